#pragma once
// Job files: TOML with one key per `forage run` flag (the flag's name with
// '-' turned into '_'), fields in a [fields] table. A job file is turned
// into the flags it stands for, so it is checked exactly as flags are, and
// flags given on the command line override it. Keys: docs/jobfile.md.

#include <string>
#include <vector>

#include "base/result.h"

namespace forage::cmd {

// The `forage run` arguments equivalent to the job file at `path`, fields in
// the order the file lists them. An unreadable file, a TOML syntax error, an
// unknown key or a value of the wrong type is kInvalidArgument, naming the
// file, the key and its line.
Result<std::vector<std::string>> JobFileArgs(const std::string& path);

}  // namespace forage::cmd
