// The coordinator's durable records: sweeps, trials, metric points, workers.
//
// Plain value types shared by the store, the coordinator core and the gRPC edge (which converts
// them to and from lrsweep.v1 messages).
#ifndef LRSWEEP_SWEEP_RECORDS_H_
#define LRSWEEP_SWEEP_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace lrsweep {

// Trial lifecycle: PENDING -> RUNNING -> {COMPLETED | DIVERGED | FAILED | STOPPED | CANCELLED};
// RUNNING -> PREEMPTED when a lease expires or its worker gives it back (then leased again like
// PENDING); RUNNING -> PENDING after a failure with retries left.
enum class TrialState {
  kPending = 1,
  kRunning = 2,
  kCompleted = 3,
  kDiverged = 4,
  kFailed = 5,
  kCancelled = 6,
  kPreempted = 7,
  kStopped = 8,
};

// True for states a trial never leaves.
bool IsFinal(TrialState state);
// True for states waiting for a worker (PENDING, PREEMPTED).
bool IsWaiting(TrialState state);
absl::string_view TrialStateName(TrialState state);  // "COMPLETED", ...
std::optional<TrialState> ParseTrialState(absl::string_view name);

enum class SweepState { kRunning = 1, kFinished = 2, kCancelled = 3 };
absl::string_view SweepStateName(SweepState state);
std::optional<SweepState> ParseSweepState(absl::string_view name);

struct SweepRecord {
  std::string id;
  std::string name;
  std::string yaml;
  std::string file_name;
  int64_t created_ms = 0;
  SweepState state = SweepState::kRunning;
  std::string metric_name;
  bool maximize = true;
  std::string metric_summary = "final";
  int64_t metric_last_k = 5;
  int64_t max_failures = 3;
  int64_t checkpoint_keep = 2;
  std::string source_sha256;  // of `yaml`, to recognize a resubmission of the same file
  // What people wrote about it (`lrsweep label`); not part of what the sweep runs.
  std::string note;
  std::vector<std::string> tags;  // sorted, distinct (sweep/sweep_labels.h says which are valid)
  int64_t archived_ms = 0;        // when its checkpoints were deleted (`lrsweep archive`); 0: not
};

struct TrialRecord {
  std::string sweep_id;
  int64_t trial = 0;
  int64_t config = 0;
  int64_t seed = 0;
  std::string plan_json;
  std::string params_json;
  TrialState state = TrialState::kPending;
  int64_t attempts = 0;  // leases handed out; the current lease's fencing token
  int64_t failures = 0;
  std::string reason;
  std::string worker_id;
  int64_t step = 0;
  int64_t total_steps = 0;
  double lr = 0.0;
  std::optional<double> score;
  std::optional<double> latest_metric;
  std::string final_metrics_json;
  int64_t updated_ms = 0;
  int64_t preemptions = 0;      // leases lost or given back; these do not count as failures
  int64_t checkpoint_step = 0;  // newest committed checkpoint, 0 if none
  std::string checkpoint_error;  // why the last checkpoint could not be stored ("" once one is)
};

// A committed checkpoint file of a trial.
struct CheckpointRecord {
  std::string sweep_id;
  int64_t trial = 0;
  int64_t step = 0;
  std::string sha256;  // hex
  int64_t size = 0;
  std::string path;  // where the coordinator reads it; empty when it cannot (shared directory)
  int64_t attempt = 0;  // fencing token of the lease that wrote it
  int64_t created_ms = 0;
  // Relative to the shared checkpoint directory, for a checkpoint a worker wrote there; empty for
  // one uploaded to the coordinator's store.
  std::string shared_path;
};

// Something that happened to a trial, for its timeline: a lease granted (`leased`), an attempt's
// end (`completed`, `diverged`, `failed`, `preempted`, `cancelled`, `stopped`), a retry by the
// user (`retried`), a checkpoint stored (`checkpoint`) or not (`checkpoint_failed`).
struct TrialEvent {
  std::string sweep_id;
  int64_t trial = 0;
  int64_t ms = 0;       // Unix milliseconds
  int64_t attempt = 0;  // the attempt it belongs to (the lease's fencing token)
  std::string kind;
  std::string worker_id;
  int64_t step = 0;    // the trial's step then (a lease: the checkpoint it resumes from)
  std::string detail;  // a reason, a score, a checkpoint's size
};

struct MetricPoint {
  int64_t step = 0;
  int64_t epoch = 0;
  double lr = 0.0;
  std::optional<double> momentum;
  std::optional<double> train_loss;
  std::optional<double> val_loss;
  std::optional<double> val_accuracy;
  std::optional<double> test_accuracy;
  double examples_per_second = 0.0;
  double wall_seconds = 0.0;

  // The named metric ("val_accuracy", ...) if measured at this point.
  std::optional<double> Get(absl::string_view name) const;
};

struct WorkerRecord {
  std::string id;
  std::string name;
  std::string device;
  int32_t threads = 0;
  int64_t registered_ms = 0;
  int64_t last_heartbeat_ms = 0;
  int64_t stopped_ms = 0;  // when it said goodbye; 0 while it runs
};

}  // namespace lrsweep

#endif  // LRSWEEP_SWEEP_RECORDS_H_
