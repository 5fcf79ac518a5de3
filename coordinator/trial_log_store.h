// TrialLogStore: the logs of command trials' attempts, kept by the coordinator so that
// `lrsweep logs SWEEP TRIAL` shows them from any machine.
//
// One file per attempt, DIR/<sweep>/<trial>/attempt-<N>.log, appended as workers send lines.
// Logs are not fsynced: they are for reading, not results, and a coordinator crash may lose the
// last second of one. An attempt's log stops growing at `max_bytes` (the worker keeps its local
// copy whole).
//
//   TrialLogStore logs(data_dir + "/logs", 16 << 20);
//   RETURN_IF_ERROR(logs.Append(lease, "step 10 loss 0.42\n"));   // after the lease is checked
//   ASSIGN_OR_RETURN(TrialLog log, logs.Read(sweep_id, trial, /*attempt=*/0, /*tail_bytes=*/0));
//
// Thread safety: thread-safe; appends to one store are serialized.
#ifndef LRSWEEP_COORDINATOR_TRIAL_LOG_STORE_H_
#define LRSWEEP_COORDINATOR_TRIAL_LOG_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "sweep/lease.h"

namespace lrsweep {

struct TrialLog {
  int64_t attempt = 0;
  std::string text;
  std::vector<int64_t> attempts;  // ascending
  bool truncated = false;
};

class TrialLogStore {
 public:
  TrialLogStore(std::string dir, int64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {}

  // Appends to the log of the lease's attempt. The caller has checked that the lease is current.
  absl::Status Append(const LeaseRef& lease, absl::string_view text) ABSL_LOCKS_EXCLUDED(mu_);
  // One attempt's log (0: the latest), its last `tail_bytes` when > 0. NOT_FOUND when the trial
  // has no log (a built-in trial, or no output yet).
  absl::StatusOr<TrialLog> Read(const std::string& sweep_id, int64_t trial, int64_t attempt,
                                int64_t tail_bytes) const;
  // Deletes the logs of every trial of the sweep; the bytes freed.
  int64_t RemoveSweep(const std::string& sweep_id) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  std::string TrialDir(const std::string& sweep_id, int64_t trial) const;

  const std::string dir_;
  const int64_t max_bytes_;
  absl::Mutex mu_;  // serializes appends (a file is appended by one request at a time)
};

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_TRIAL_LOG_STORE_H_
