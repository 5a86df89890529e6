#pragma once
// Helpers for end-to-end tests: run the real binaries, start the real
// fixture on a free loopback port, fetch its stats, read CSV output.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace forage::testing {

// Absolute paths of the built binaries.
std::string ForageBin();
// forage with test-only fault injection (FORAGE_TEST_CRASH_URL,
// FORAGE_TEST_HANG_URL; tests/forage_testhooks_main.cc).
std::string ForageTestHooksBin();
std::string FixtureBin();
std::string SourcePath(const std::string& relative);

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
};

// Runs argv[0] with the rest as arguments, waits for it (killing it after
// `timeout_s`), and returns its exit code and output.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {},
                         double timeout_s = 120);

// A child process started in the background, in its own process group;
// the group is killed (SIGKILL) and the child reaped on destruction unless
// waited for. Children never outlive the test process, however it ends (a
// failed REQUIRE, an exception, abort(), a fatal signal, exit, _exit or
// SIGKILL): see test_support.cc.
class Background {
 public:
  Background(const std::vector<std::string>& argv,
             const std::map<std::string, std::string>& env = {});
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  pid_t pid() const { return pid_; }
  // Reads stdout up to the next newline (blocking).
  std::string ReadLine();
  // Reads stderr until `needle` appears or the stream ends; returns what was read.
  std::string ReadErrUntil(const std::string& needle);
  void Signal(int signum);
  // Waits for exit; collects the rest of stdout and stderr.
  ProcessResult Wait(double timeout_s = 120);

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string err_seen_;
};

// forage-fixture on 127.0.0.1, port chosen by the system.
class Fixture {
 public:
  explicit Fixture(const std::vector<std::string>& args = {});
  const std::string& url() const { return url_; }  // "http://127.0.0.1:PORT/"
  pid_t pid() const { return proc_.pid(); }
  std::string host() const;                          // "127.0.0.1:PORT"
  std::string Get(const std::string& path) const;    // body of GET url()+path
  // The /__stats document's integer field `key`.
  long Stat(const std::string& key) const;

 private:
  Background proc_;
  std::string url_;
};

// Polls `done` every few milliseconds until it holds; false after
// `timeout_s`. A wait on a condition, not a sleep standing in for one.
bool WaitUntil(const std::function<bool()>& done, double timeout_s = 30);

// True once `pid` has exited: gone, or a zombie nobody has reaped yet.
bool ProcessExited(pid_t pid);

// The forked workers of the forage master `pid`: its direct children (from
// /proc) named forage-worker. Only those: under LeakSanitizer a process that
// exits clones a tracer child of the same name as itself, and killing that
// one instead of a worker leaves the master spinning forever.
std::vector<pid_t> WorkerPids(pid_t pid);

// `forage run` with the seed's job (SEEDS.md section 1) against the
// fixture's shop: pages `pages`, items .product, fields id, name, price, url.
// Flags for output, workers and the like are appended by the caller.
std::vector<std::string> SeedJob(const Fixture& fx, const std::string& pages = "1-48");

// The CSV forage must write for pages 1-48 of `fx`'s shop. Written by the
// peers' own generator (Python), so tests compare two independent
// implementations, not forage with itself.
std::string GoldenShopCsv(const Fixture& fx);

// A loopback port nothing listens on (bound, then closed).
int ClosedPort();
// Pages the resume state (a SQLite file: OUTPUT.state) records as stored;
// 0 while it does not exist or cannot be read.
int64_t StatePages(const std::string& state);
// Something accepts TCP connections on 127.0.0.1:`port`.
bool PortAnswers(int port);

// Splits RFC 4180 CSV text (CRLF lines) into rows of fields.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text);

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& text);
bool FileExists(const std::string& path);
// A fresh empty directory under the build tree for one test, unique to the
// process and the call (test-tmp/NAME-PID-N-XXXXXX), removed when the test
// process exits normally unless FORAGE_KEEP_TEST_TMP is set.
std::string TempDir(const std::string& name);
// `dir` (from TempDir) is not removed at exit: its owner decides (the crash
// torture keeps a failed iteration's directory).
void KeepTempDir(const std::string& dir);

// One line of forage-testhooks' FORAGE_TEST_LEASE_LOG: a lease the master
// made (engine::LeaseEvent). Times in seconds on the master's clock.
struct LeaseLine {
  double now_s = 0;
  double host_next_s = 0;
  int host_fetching = 0;
  std::string url;
};
// The leases logged in `path`, in the order they were made; empty when the
// file does not exist. Throws on a line it cannot read.
std::vector<LeaseLine> ReadLeaseLog(const std::string& path);

}  // namespace forage::testing
