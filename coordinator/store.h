// Store: the coordinator's durable state behind a small interface.
//
// Every method is one transaction: when it returns OK the change is on disk (SQLite in WAL mode,
// synchronous=FULL), so the coordinator acknowledges a state transition only after it is durable,
// and a kill -9 loses nothing acknowledged. Metric points are appended in batches (one
// transaction per batch); a point for a step already stored replaces it, so steps redone after a
// resume never duplicate.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenSqliteStore(data_dir + "/lrsweep.db"));
//   RETURN_IF_ERROR(store->CreateSweep(sweep, trials));
//
// Thread safety: implementations are thread-safe.
#ifndef LRSWEEP_COORDINATOR_STORE_H_
#define LRSWEEP_COORDINATOR_STORE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sweep/records.h"

namespace lrsweep {

// Metric points of one trial, stored with a write (a point for a stored step replaces it).
struct MetricAppend {
  std::string sweep_id;
  int64_t trial = 0;
  std::vector<MetricPoint> points;
};

// Changes committed together in one transaction: the rows a trial transition (or a batch of
// them) writes.
struct StoreWrite {
  std::vector<TrialRecord> trials;  // each row written whole (identified by sweep_id and trial)
  std::vector<MetricAppend> metrics;
  std::vector<std::pair<std::string, SweepState>> sweep_states;
  std::vector<CheckpointRecord> added_checkpoints;
  std::vector<CheckpointRecord> deleted_checkpoints;  // by sweep_id, trial and step
  std::vector<TrialEvent> events;  // appended to the trials' timelines

  bool empty() const {
    return trials.empty() && metrics.empty() && sweep_states.empty() &&
           added_checkpoints.empty() && deleted_checkpoints.empty() && events.empty();
  }
};

// What Store::DeleteSweep removed.
struct DeletedRows {
  int64_t trials = 0;
  int64_t metric_points = 0;
  int64_t checkpoints = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Inserts a sweep and all its trials atomically.
  virtual absl::Status CreateSweep(const SweepRecord& sweep,
                                   const std::vector<TrialRecord>& trials) = 0;
  // Commits every change of `write` in one transaction, or none of them. Like AppendMetrics, it
  // is group-committed: writes and appends that wait together share one transaction and one
  // fsync (and succeed or fail together), each returning once it is durable.
  virtual absl::Status Write(const StoreWrite& write) = 0;
  absl::Status SetSweepState(const std::string& sweep_id, SweepState state) {
    return Write({{}, {}, {{sweep_id, state}}, {}, {}, {}});
  }
  virtual absl::StatusOr<std::vector<SweepRecord>> ListSweeps() = 0;
  // NotFound for an unknown id.
  virtual absl::StatusOr<SweepRecord> GetSweep(const std::string& sweep_id) = 0;

  // Writes what may change of a sweep after it was created: its file (yaml, file_name,
  // source_sha256: trials added from an edited file), note, tags and archived_ms. The rest of
  // `sweep` is ignored. NOT_FOUND for an unknown id.
  virtual absl::Status UpdateSweep(const SweepRecord& sweep) = 0;
  // Deletes the sweep with every trial, metric point and checkpoint record of it, in one
  // transaction. The rows deleted; NOT_FOUND for an unknown id.
  virtual absl::StatusOr<DeletedRows> DeleteSweep(const std::string& sweep_id) = 0;

  virtual absl::StatusOr<std::vector<TrialRecord>> ListTrials(const std::string& sweep_id) = 0;
  // Writes every field of the trial (identified by sweep_id and trial).
  absl::Status UpdateTrial(const TrialRecord& trial) { return Write({{trial}, {}, {}, {}, {}, {}}); }
  absl::Status UpdateTrials(const std::vector<TrialRecord>& trials) {
    return Write({trials, {}, {}, {}, {}, {}});
  }
  // Appends points and updates the trial's progress fields (step, lr, latest_metric, updated_ms)
  // if the stored trial is still at `trial.attempts`. Concurrent calls are group-committed: one
  // transaction (one fsync) for all that are waiting, each returning once it is durable.
  virtual absl::Status AppendMetrics(const TrialRecord& trial,
                                     const std::vector<MetricPoint>& points) = 0;
  // The trial's points by step, ascending.
  virtual absl::StatusOr<std::vector<MetricPoint>> GetMetrics(const std::string& sweep_id,
                                                              int64_t trial) = 0;

  // Records a committed checkpoint and the trial's new checkpoint_step in one transaction.
  absl::Status AddCheckpoint(const CheckpointRecord& checkpoint, const TrialRecord& trial) {
    return Write({{trial}, {}, {}, {checkpoint}, {}, {}});
  }
  // The trial's checkpoints, newest first.
  virtual absl::StatusOr<std::vector<CheckpointRecord>> ListCheckpoints(
      const std::string& sweep_id, int64_t trial) = 0;
  absl::Status DeleteCheckpoint(const std::string& sweep_id, int64_t trial, int64_t step) {
    CheckpointRecord key;
    key.sweep_id = sweep_id;
    key.trial = trial;
    key.step = step;
    return Write({{}, {}, {}, {}, {key}, {}});
  }

  // The trial's timeline, oldest first.
  virtual absl::StatusOr<std::vector<TrialEvent>> ListTrialEvents(const std::string& sweep_id,
                                                                  int64_t trial) = 0;

  virtual absl::Status UpsertWorker(const WorkerRecord& worker) = 0;
  virtual absl::StatusOr<std::vector<WorkerRecord>> ListWorkers() = 0;
};

// Opens (creating if needed) the SQLite store at `path`.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_STORE_H_
