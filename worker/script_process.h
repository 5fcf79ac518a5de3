// ScriptProcess: the user's training program of one command-trial attempt, run as a child of
// the worker in a process group of its own, its stdout and stderr read line by line.
//
// The group is what gets signalled: a launcher script (`sh -c`, torchrun, a conda wrapper) and
// everything it started get SIGTERM on preemption and SIGKILL when the lease is lost. The child
// also dies with the worker (PR_SET_PDEATHSIG), so a SIGKILLed worker leaves no program writing
// checkpoints for a trial that another worker now runs.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<ScriptProcess> child,
//                    ScriptProcess::Start({"python3", "train.py"}, "/work", env));
//   ScriptProcess::Line line;
//   while (child->NextLine(absl::Milliseconds(100), &line) != ScriptProcess::Event::kEnded) {...}
//   int code = child->Wait();
//
// Thread safety: not thread-safe; one thread drives a ScriptProcess.
#ifndef LRSWEEP_WORKER_SCRIPT_PROCESS_H_
#define LRSWEEP_WORKER_SCRIPT_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace lrsweep {

class ScriptProcess {
 public:
  struct Line {
    bool is_stderr = false;
    std::string text;  // without the newline
  };
  // What NextLine saw.
  enum class Event { kLine, kTimeout, kEnded };

  // Starts `argv` in `workdir` with the worker's environment plus `env`. InvalidArgument when
  // the folder does not exist or the program cannot be executed (its name and the reason).
  static absl::StatusOr<std::unique_ptr<ScriptProcess>> Start(
      const std::vector<std::string>& argv, const std::string& workdir,
      const std::map<std::string, std::string>& env);
  // Kills the group (SIGKILL) if it still runs, and reaps the child.
  ~ScriptProcess();

  // Waits up to `timeout` for a complete line on stdout or stderr. kEnded once both are closed
  // (the program and everything it started exited, or closed them) and every line was returned.
  Event NextLine(absl::Duration timeout, Line* line);
  // Sends `signal` to the whole process group (no-op once reaped).
  void SignalGroup(int signal);
  // Waits for the child to exit: its exit code, or 128 + the signal that killed it.
  // After `timeout`, SIGKILLs the group and waits for that.
  int Wait(absl::Duration timeout);
  // True once the program's main process has exited (reaps it; what it started may still run).
  bool Exited();
  pid_t pid() const { return pid_; }

 private:
  ScriptProcess(pid_t pid, int out_fd, int err_fd);
  // Reads what is available on `fd` into `buffer`; false at end of file.
  bool Drain(int fd, std::string* buffer);
  bool PopLine(std::string* buffer, bool is_stderr, bool at_eof, Line* line);

  pid_t pid_;
  int fds_[2];  // stdout, stderr; -1 once closed
  std::string buffers_[2];
  std::optional<int> exit_code_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_SCRIPT_PROCESS_H_
