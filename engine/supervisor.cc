#include "engine/supervisor.h"

#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

namespace forage::engine {
namespace {

// The fd number the child's channel gets; everything above it is closed.
constexpr int kChildChannelFd = 3;

void ResetSignalsInChild() {
  // The master's libuv signal handlers write to its loop's fds, which the
  // child closes: put every handled signal back to its default first.
  for (int sig : {SIGTERM, SIGCHLD, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) signal(sig, SIG_DFL);
  // Ctrl-C reaches the whole foreground group; only the master decides what
  // it means. A dead master shows up as EPIPE/EOF on the channel instead.
  signal(SIGINT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

[[noreturn]] void RunChild(const worker::WorkerConfig& config, int channel_fd) {
  ResetSignalsInChild();
  if (channel_fd != kChildChannelFd) {
    if (dup2(channel_fd, kChildChannelFd) < 0) _exit(3);
  }
  // Close everything the child does not own: the master's loop, the output
  // file, and the channels of the other workers (whose EOF would otherwise be
  // delayed until this child exits too).
  syscall(SYS_close_range, kChildChannelFd + 1, ~0U, 0);
  _exit(worker::WorkerMain(config, UniqueFd(kChildChannelFd)));
}

}  // namespace

Result<std::pair<UniqueFd, UniqueFd>> ChannelPair() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return Err(ErrorCode::kIo, "socketpair() failed: {}", std::strerror(errno));
  }
  return std::make_pair(UniqueFd(fds[0]), UniqueFd(fds[1]));
}

Result<ForkedWorker> ForkWorker(const worker::WorkerConfig& config) {
  auto pair = ChannelPair();
  if (!pair) return pair.error();
  std::fflush(nullptr);  // or buffered output is written twice
  pid_t pid = fork();
  if (pid < 0) return Err(ErrorCode::kIo, "fork() failed: {}", std::strerror(errno));
  if (pid == 0) {
    pair->first.Reset();
    RunChild(config, pair->second.Release());
  }
  ForkedWorker w;
  w.pid = pid;
  w.channel = std::move(pair->first);
  return w;
}

uint64_t RaiseFdLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  return lim.rlim_cur;
}

int UsableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

Reaped ReapOne() {
  Reaped r;
  for (;;) {
    r.pid = wait4(-1, &r.status, WNOHANG, &r.usage);
    if (r.pid < 0 && errno == EINTR) continue;
    if (r.pid <= 0) r.pid = -1;
    return r;
  }
}

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return fmt::format("exited {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    return fmt::format("killed by signal {} ({})", sig, strsignal(sig));
  }
  return fmt::format("status {}", status);
}

}  // namespace forage::engine
