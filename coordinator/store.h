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
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "coordinator/records.h"

namespace lrsweep {

class Store {
 public:
  virtual ~Store() = default;

  // Inserts a sweep and all its trials atomically.
  virtual absl::Status CreateSweep(const SweepRecord& sweep,
                                   const std::vector<TrialRecord>& trials) = 0;
  virtual absl::Status SetSweepState(const std::string& sweep_id, SweepState state) = 0;
  virtual absl::StatusOr<std::vector<SweepRecord>> ListSweeps() = 0;
  // NotFound for an unknown id.
  virtual absl::StatusOr<SweepRecord> GetSweep(const std::string& sweep_id) = 0;

  virtual absl::StatusOr<std::vector<TrialRecord>> ListTrials(const std::string& sweep_id) = 0;
  // Writes every field of the trial (identified by sweep_id and trial).
  virtual absl::Status UpdateTrial(const TrialRecord& trial) = 0;
  // Updates several trials in one transaction (cancel, recovery).
  virtual absl::Status UpdateTrials(const std::vector<TrialRecord>& trials) = 0;
  // Appends points and updates the trial's progress fields (step, lr, latest_metric, updated_ms)
  // if the stored trial is still at `trial.attempts`. Concurrent calls are group-committed: one
  // transaction (one fsync) for all that are waiting, each returning once it is durable.
  virtual absl::Status AppendMetrics(const TrialRecord& trial,
                                     const std::vector<MetricPoint>& points) = 0;
  // The trial's points by step, ascending.
  virtual absl::StatusOr<std::vector<MetricPoint>> GetMetrics(const std::string& sweep_id,
                                                              int64_t trial) = 0;

  // Records a committed checkpoint and the trial's new checkpoint_step in one transaction.
  virtual absl::Status AddCheckpoint(const CheckpointRecord& checkpoint,
                                     const TrialRecord& trial) = 0;
  // The trial's checkpoints, newest first.
  virtual absl::StatusOr<std::vector<CheckpointRecord>> ListCheckpoints(
      const std::string& sweep_id, int64_t trial) = 0;
  virtual absl::Status DeleteCheckpoint(const std::string& sweep_id, int64_t trial,
                                        int64_t step) = 0;

  virtual absl::Status UpsertWorker(const WorkerRecord& worker) = 0;
  virtual absl::StatusOr<std::vector<WorkerRecord>> ListWorkers() = 0;
};

// Opens (creating if needed) the SQLite store at `path`.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_STORE_H_
