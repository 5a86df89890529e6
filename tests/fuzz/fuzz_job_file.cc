// Fuzz target: the job-file loader (cmd/job_file.h), arbitrary bytes as a
// TOML job file. The bytes are written to a memfd and read back through
// /proc/self/fd, so the loader runs exactly as on a real file without disk
// I/O.
//
// Properties beyond "no memory error, no hang":
// - no exception escapes (libFuzzer reports one as a crash);
// - an error is kInvalidArgument and names the file ("job file '<path>'");
// - a success starts with a flag ("--...").

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cmd/job_file.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

// The memfd every input is written to; its /proc path.
const std::string& JobPath() {
  static const std::string* path = [] {
    int fd = memfd_create("forage-fuzz-job.toml", 0);
    FUZZ_CHECK(fd >= 0, "memfd_create");
    return new std::string("/proc/self/fd/" + std::to_string(fd));
  }();
  return *path;
}

int JobFd() {
  const std::string& path = JobPath();
  return std::stoi(path.substr(path.rfind('/') + 1));
}

void WriteJob(const uint8_t* data, size_t size) {
  int fd = JobFd();
  FUZZ_CHECK(ftruncate(fd, 0) == 0, "ftruncate");
  size_t done = 0;
  while (done < size) {
    ssize_t n = pwrite(fd, data + done, size - done, static_cast<off_t>(done));
    FUZZ_CHECK(n > 0, "pwrite");
    done += static_cast<size_t>(n);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using forage::ErrorCode;
  WriteJob(data, size);
  const std::string& path = JobPath();
  auto args = forage::cmd::JobFileArgs(path);
  if (!args) {
    FUZZ_CHECK(args.error().code == ErrorCode::kInvalidArgument, args.error().message);
    FUZZ_CHECK(args.error().message.rfind("job file '" + path + "'", 0) == 0,
               args.error().message);
    return 0;
  }
  const std::vector<std::string>& v = *args;
  FUZZ_CHECK(v.empty() || v.front().rfind("--", 0) == 0, "the first argument is not a flag");
  return 0;
}
