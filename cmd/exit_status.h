#pragma once
// The documented exit codes of the forage binary (README, docs/cli.md).

namespace forage {

enum ExitStatus : int {
  kExitOk = 0,           // every page done
  kExitPagesFailed = 1,  // finished; some pages failed for good (listed in the report)
  kExitUsage = 2,        // bad usage, job or selector; nothing written
  kExitRuntime = 3,      // runtime failure (I/O, a worker could not be started)
  kExitInterrupted = 130,
  kExitClosed = 141,     // our stdout's reader went away (128 + SIGPIPE, as a shell reports it)
};

}  // namespace forage
