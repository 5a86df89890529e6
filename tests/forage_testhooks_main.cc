// forage-testhooks: `forage` with fault injection for the end-to-end tests,
// never shipped. A worker that starts to parse a page whose URL contains
// FORAGE_TEST_CRASH_URL aborts; one whose URL contains FORAGE_TEST_HANG_URL
// hangs (never returns to its loop). With FORAGE_TEST_LEASE_LOG=FILE the
// master appends a line per lease that fetches to FILE:
//   NOW_S HOST_NEXT_S HOST_FETCHING URL
// (engine::LeaseEvent; the times in seconds on the master's monotonic clock,
// printed so that they read back exactly). The shipped binary (cmd/main.cc)
// installs no hook, so these variables do nothing there.

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "cmd/forage_main.h"
#include "engine/dispatcher.h"
#include "worker/worker.h"

int main(int argc, char** argv) {
  std::string crash, hang;
  if (const char* v = std::getenv("FORAGE_TEST_CRASH_URL")) crash = v;
  if (const char* v = std::getenv("FORAGE_TEST_HANG_URL")) hang = v;
  if (!crash.empty() || !hang.empty()) {
    forage::worker::InstallFaultHookForTesting([crash, hang](std::string_view url) {
      if (!crash.empty() && url.find(crash) != std::string_view::npos) std::abort();
      while (!hang.empty() && url.find(hang) != std::string_view::npos) pause();
    });
  }
  if (const char* path = std::getenv("FORAGE_TEST_LEASE_LOG")) {
    // One write(2) per line on an O_APPEND descriptor: lines from several
    // runs (tune, bench) never interleave. Left open until the process ends.
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return 3;
    forage::engine::InstallLeaseHookForTesting([fd](const forage::engine::LeaseEvent& e) {
      std::string line =
          fmt::format("{:.17g} {:.17g} {} {}\n", e.now_s, e.host_next_s, e.host_fetching, e.url);
      if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) std::abort();
    });
  }
  return forage::cmd::ForageMain(argc, argv);
}
