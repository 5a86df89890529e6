// forage-testhooks: `forage` with fault injection for the end-to-end tests,
// never shipped. A worker that starts to parse a page whose URL contains
// FORAGE_TEST_CRASH_URL aborts; one whose URL contains FORAGE_TEST_HANG_URL
// hangs (never returns to its loop). The shipped binary (cmd/main.cc)
// installs no hook, so these variables do nothing there.

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "cmd/forage_main.h"
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
  return forage::cmd::ForageMain(argc, argv);
}
