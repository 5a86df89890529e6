#include "tests/torture/job_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "tests/test_support.h"

extern char** environ;

namespace forage::torture {
namespace {

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

using Clock = std::chrono::steady_clock;

Clock::time_point Deadline(double timeout_s) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(timeout_s));
}

}  // namespace

bool BecomeSubreaper() { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0; }

JobProcess::JobProcess(const std::vector<std::string>& argv, const std::string& err_path,
                       long file_size_limit, bool ignore_sigxfsz) {
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (err_fd < 0 || null_fd < 0) throw std::runtime_error("open " + err_path);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
    if (file_size_limit > 0) {
      rlimit lim{};
      getrlimit(RLIMIT_FSIZE, &lim);
      lim.rlim_cur = static_cast<rlim_t>(file_size_limit);
      setrlimit(RLIMIT_FSIZE, &lim);
    }
    if (ignore_sigxfsz) signal(SIGXFSZ, SIG_IGN);
    dup2(null_fd, STDIN_FILENO);
    dup2(null_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    execve(cargv[0], cargv.data(), environ);
    _exit(127);
  }
  // Also in the parent, so a signal sent to the group right after the
  // constructor cannot miss a child that has not run setpgid yet.
  setpgid(pid, pid);
  ::close(err_fd);
  ::close(null_fd);
  pid_ = pid;
}

JobProcess::~JobProcess() {
  if (pid_ <= 0) return;
  if (!reaped_) {
    SignalGroup(SIGKILL);
    Wait(30);
  }
  GroupGone(10);
}

bool JobProcess::Exited() {
  if (reaped_) return true;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    exit_code_ = DecodeStatus(status);
    term_signal_ = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }
  return reaped_;
}

void JobProcess::Signal(int signum) {
  if (!reaped_) kill(pid_, signum);
}

void JobProcess::SignalGroup(int signum) { kill(-pid_, signum); }

std::vector<pid_t> JobProcess::Workers() const {
  if (reaped_) return {};
  return testing::WorkerPids(pid_);
}

int JobProcess::Wait(double timeout_s) {
  auto deadline = Deadline(timeout_s);
  while (!Exited()) {
    if (Clock::now() > deadline) {
      SignalGroup(SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
      reaped_ = true;
      exit_code_ = -1;
      return -1;
    }
    usleep(2000);
  }
  return exit_code_;
}

bool JobProcess::GroupGone(double timeout_s) {
  auto deadline = Deadline(timeout_s);
  for (;;) {
    int status = 0;
    pid_t r = waitpid(-pid_, &status, WNOHANG);
    if (r < 0 && errno == ECHILD) return true;  // none of the group is left
    if (r > 0) continue;
    if (Clock::now() > deadline) {
      SignalGroup(SIGKILL);
      while (waitpid(-pid_, &status, 0) > 0) {
      }
      return false;
    }
    usleep(2000);
  }
}

}  // namespace forage::torture
