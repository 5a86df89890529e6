#pragma once
// One `forage run` started by the crash torture, in a process group of its
// own so that "kill -9 of the master" can take the master and every worker
// at once, as a power cut or the OOM killer's group kill would.
//
// Used from the torture's single thread only. The torture process must be a
// child subreaper (BecomeSubreaper) so that workers orphaned by a killed
// master are reparented to it and can be waited for.

#include <sys/types.h>

#include <string>
#include <vector>

namespace forage::torture {

// Makes this process the reaper of its orphaned descendants.
bool BecomeSubreaper();

class JobProcess {
 public:
  // Forks and execs `argv` with stdin and stdout on /dev/null and stderr
  // into `err_path`. `file_size_limit` > 0 sets RLIMIT_FSIZE (soft) in the
  // child between fork and exec: no file it writes can grow past that size.
  // `ignore_sigxfsz`: the child starts with SIGXFSZ ignored (inherited
  // across exec), so a write past the limit fails with EFBIG instead.
  JobProcess(const std::vector<std::string>& argv, const std::string& err_path,
             long file_size_limit = 0, bool ignore_sigxfsz = false);
  // Kills the whole group and reaps it unless Wait() returned.
  ~JobProcess();
  JobProcess(const JobProcess&) = delete;
  JobProcess& operator=(const JobProcess&) = delete;

  pid_t pid() const { return pid_; }

  // True once the master has exited (reaps it; the code is kept for Wait).
  bool Exited();
  // Signals the master only.
  void Signal(int signum);
  // Signals every process of the group: the master and its workers.
  void SignalGroup(int signum);
  // The master's children: its workers.
  std::vector<pid_t> Workers() const;

  // Waits up to `timeout_s` for the master to exit; on timeout kills the
  // group and returns -1. Otherwise the exit code, 128 + N for signal N.
  int Wait(double timeout_s);
  // After Wait: the signal that ended the master, 0 if it exited (so an
  // orderly exit 130 and a death by SIGINT's default action differ).
  int term_signal() const { return term_signal_; }
  // After the master's exit: waits up to `timeout_s` until no process of
  // the group is left (workers exit on their own once the master is gone).
  // False if some outlived it; those are then killed.
  bool GroupGone(double timeout_s);

 private:
  pid_t pid_ = -1;  // also the process group id
  bool reaped_ = false;
  int exit_code_ = -1;
  int term_signal_ = 0;
};

}  // namespace forage::torture
