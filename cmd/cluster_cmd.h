#pragma once
// forage worker --redis URL [--workers N] [--exit-when-idle DUR]: a node of
// distributed jobs. forage status --redis URL [JOB]: their state.
// docs/distributed.md.

namespace forage::cmd {

// True for the commands this file runs.
bool IsClusterCommand(int argc, const char* const* argv);
// Runs one; returns the exit code.
int RunClusterCommand(int argc, const char* const* argv);

}  // namespace forage::cmd
