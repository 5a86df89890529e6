#include "engine/supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

namespace forage::engine {
namespace {

bool IsOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

// Forks a child that opens descriptors, closes from the first of them up and
// exits 0 only if they are all closed and the one below is still open.
int ChildClosesFrom(bool use_close_range) {
  pid_t pid = fork();
  if (pid == 0) {
    int keep = open("/dev/null", O_RDONLY);
    int fds[2];
    if (keep < 0 || pipe(fds) != 0) _exit(10);
    int more = dup(fds[0]);
    const int lowest = fds[0] < fds[1] ? fds[0] : fds[1];
    CloseFdsFrom(lowest, use_close_range);
    if (IsOpen(fds[0]) || IsOpen(fds[1]) || IsOpen(more)) _exit(11);
    if (!IsOpen(keep)) _exit(12);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

TEST_SUITE("engine.supervisor") {

TEST_CASE("a child closes every descriptor it does not own, with close_range or without") {
  CHECK(ChildClosesFrom(true) == 0);
  CHECK(ChildClosesFrom(false) == 0);  // the /proc/self/fd fallback
}

TEST_CASE("the signal mask is the same after a fork as before it") {
  sigset_t before, after;
  sigemptyset(&before);
  sigaddset(&before, SIGUSR2);
  sigset_t saved;
  sigprocmask(SIG_SETMASK, &before, &saved);
  worker::WorkerConfig config;  // the child says hello and waits for leases
  auto w = ForkWorker(config);
  sigprocmask(SIG_SETMASK, nullptr, &after);
  sigprocmask(SIG_SETMASK, &saved, nullptr);
  REQUIRE(w.has_value());
  CHECK(sigismember(&after, SIGUSR2) == 1);
  CHECK(sigismember(&after, SIGTERM) == 0);
  CHECK(sigismember(&after, SIGCHLD) == 0);
  w->channel.Reset();  // EOF: the child exits
  int status = 0;
  CHECK(waitpid(w->pid, &status, 0) == w->pid);
}

TEST_CASE("exits are described for the report") {
  CHECK(DescribeExit(0) == "exited 0");
  CHECK(DescribeExit(9).find("killed by signal 9") == 0);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::engine
