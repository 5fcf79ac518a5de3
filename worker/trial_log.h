// TrialLog: the log of one command-trial attempt — every line its program printed and the
// worker's notes — written to a local file at once and sent to the coordinator (AppendTrialLog)
// about every second by a thread of its own, so that a slow or unreachable coordinator never
// holds up the program's supervision. `lrsweep logs SWEEP TRIAL` reads the coordinator's copy.
//
//   TrialLog log("/state/logs/s-1/4/attempt-2.log", link, lease);
//   log.Append("step 10 loss 0.42");
//   // destruction sends what is left (best effort, a few seconds at most)
//
// Thread safety: Append may be called from any thread.
#ifndef LRSWEEP_WORKER_TRIAL_LOG_H_
#define LRSWEEP_WORKER_TRIAL_LOG_H_

#include <fstream>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "sweep/lease.h"
#include "worker/coordinator_link.h"

namespace lrsweep {

class TrialLog {
 public:
  // `link` (not owned; may be null: local file only) must outlive the log.
  TrialLog(const std::string& path, CoordinatorLink* link, LeaseRef lease);
  ~TrialLog();

  void Append(const std::string& line) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void SendLoop();
  // Sends (up to 1 MiB of) what is pending; kept for the next round when the coordinator is
  // unreachable, dropped when it refused.
  absl::Status SendPending() ABSL_LOCKS_EXCLUDED(mu_);

  CoordinatorLink* const link_;
  const LeaseRef lease_;
  absl::Mutex mu_;
  std::ofstream file_ ABSL_GUARDED_BY(mu_);
  std::string pending_ ABSL_GUARDED_BY(mu_);  // not yet sent to the coordinator
  bool dropped_ ABSL_GUARDED_BY(mu_) = false;  // the pending text overflowed; some was dropped
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  std::thread sender_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_TRIAL_LOG_H_
