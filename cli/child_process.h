// ChildProcess: a program started by `lrsweep run` (the embedded coordinator and local
// workers), with its output sent to a log file; terminated and reaped on destruction. It gets
// SIGTERM when its parent dies, however the parent dies, so it never runs on as an orphan.
//
//   ASSIGN_OR_RETURN(ChildProcess worker,
//                    ChildProcess::Start({"/path/lrsweep-worker", "--coordinator", addr}, log));
//   worker.Terminate(absl::Seconds(5));  // SIGTERM, then SIGKILL after the grace period
//
// Thread safety: not thread-safe.
#ifndef LRSWEEP_CLI_CHILD_PROCESS_H_
#define LRSWEEP_CLI_CHILD_PROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace lrsweep {

class ChildProcess {
 public:
  static absl::StatusOr<ChildProcess> Start(const std::vector<std::string>& argv,
                                            const std::string& log_file);
  ChildProcess(ChildProcess&& other) noexcept : pid_(other.pid_), exit_code_(other.exit_code_) {
    other.pid_ = -1;
  }
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess() { Terminate(absl::Seconds(5)); }

  pid_t pid() const { return pid_; }
  // True while the process runs (reaps it if it exited).
  bool Running();
  // SIGTERM, wait up to `grace`, then SIGKILL; returns once reaped. Idempotent.
  void Terminate(absl::Duration grace);
  // Waits up to `timeout` for the process to exit: its exit code, or -1 (killed by a signal, or
  // still running at the timeout).
  int Wait(absl::Duration timeout);
  // Once reaped: its exit code, -1 when a signal killed it; nullopt before.
  std::optional<int> exit_code() const { return exit_code_; }

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  void Reaped(int status);
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// What a child that failed said last: the text after "error: " of the last such line of its
// log, or "" when there is none.
std::string LastErrorLine(const std::string& log_file);

// The directory of the running executable (to find its sibling binaries).
std::string ExecutableDir();

}  // namespace lrsweep

#endif  // LRSWEEP_CLI_CHILD_PROCESS_H_
