#include "engine/supervisor.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace forage::engine {
namespace {

// The fd number the child's channel gets; everything above it is closed.
constexpr int kChildChannelFd = 3;

// Runs with every signal blocked (ForkWorker); `mask` is the one to restore.
void ResetSignalsInChild(const sigset_t& mask) {
  // The master's libuv signal handlers write to its loop's fds, which the
  // child closes: put every handled signal back to its default first.
  for (int sig : {SIGTERM, SIGCHLD, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) signal(sig, SIG_DFL);
  // Ctrl-C reaches the whole foreground group; only the master decides what
  // it means. A dead master shows up as EPIPE/EOF on the channel instead.
  signal(SIGINT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  sigprocmask(SIG_SETMASK, &mask, nullptr);
}

[[noreturn]] void RunChild(const worker::WorkerConfig& config, int channel_fd,
                           const sigset_t& mask) {
  ResetSignalsInChild(mask);
  // `ps -e`, `top` and `pgrep forage-worker` tell the workers from their
  // master (which keeps the name the user started: forage).
  prctl(PR_SET_NAME, kWorkerProcessName);
  if (channel_fd != kChildChannelFd) {
    if (dup2(channel_fd, kChildChannelFd) < 0) _exit(3);
  }
  // Close everything the child does not own: the master's loop, the output
  // file, and the channels of the other workers (whose EOF would otherwise be
  // delayed until this child exits too).
  CloseFdsFrom(kChildChannelFd + 1);
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

void CloseFdsFrom(int lowest, bool use_close_range) {
  if (use_close_range && syscall(SYS_close_range, lowest, ~0U, 0) == 0) return;
  // No close_range (kernels before 5.9, some sandboxes): the open ones, as
  // /proc lists them, collected first so the listing is not changed under
  // the walk.
  if (DIR* dir = opendir("/proc/self/fd")) {
    std::vector<int> open;
    const int own = dirfd(dir);
    while (dirent* e = readdir(dir)) {
      int fd = std::atoi(e->d_name);
      if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd >= lowest && fd != own) {
        open.push_back(fd);
      }
    }
    closedir(dir);
    for (int fd : open) close(fd);
    return;
  }
  long max = sysconf(_SC_OPEN_MAX);
  for (long fd = lowest; fd < (max > 0 ? max : 65536); ++fd) close(static_cast<int>(fd));
}

Result<ForkedWorker> ForkWorker(const worker::WorkerConfig& config) {
  auto pair = ChannelPair();
  if (!pair) return pair.error();
  std::fflush(nullptr);  // or buffered output is written twice
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  pid_t pid = fork();
  if (pid == 0) {
    pair->first.Reset();
    RunChild(config, pair->second.Release(), old);
  }
  const int fork_errno = errno;
  sigprocmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return Err(ErrorCode::kIo, "fork() failed: {}", std::strerror(fork_errno));
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
