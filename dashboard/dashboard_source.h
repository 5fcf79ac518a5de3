// Where the dashboard reads sweeps from: the live coordinator, or (later) a data dir whose
// coordinator has stopped. The dashboard's API (dashboard_api.h) knows only this interface, so it
// is tested against a real coordinator in one process and needs no HTTP or gRPC to be tested.
//
//   CoordinatorDashboardSource source(coordinator.get());
//   DashboardApi api(&source);
//
// Thread safety: implementations are thread-safe; the HTTP server calls them from its pool.
#ifndef LRSWEEP_DASHBOARD_DASHBOARD_SOURCE_H_
#define LRSWEEP_DASHBOARD_DASHBOARD_SOURCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "coordinator/trial_log_store.h"
#include "sweep/records.h"
#include "sweep/sweep_labels.h"
#include "sweep/views.h"

namespace lrsweep {

class DashboardSource {
 public:
  virtual ~DashboardSource() = default;

  virtual std::vector<SweepView> ListSweeps() = 0;
  // NOT_FOUND for an unknown sweep, as for every call taking a sweep id.
  virtual absl::StatusOr<SweepView> GetSweep(const std::string& sweep_id) = 0;
  virtual absl::StatusOr<std::vector<TrialRecord>> ListTrials(const std::string& sweep_id) = 0;
  virtual absl::StatusOr<std::vector<MetricPoint>> GetMetrics(const std::string& sweep_id,
                                                              int64_t trial) = 0;
  // The trial's timeline, oldest first.
  virtual absl::StatusOr<std::vector<TrialEvent>> ListTrialEvents(const std::string& sweep_id,
                                                                  int64_t trial) = 0;
  virtual std::vector<WorkerView> ListWorkers() = 0;
  // The number of trials cancelled; FAILED_PRECONDITION where nothing can be cancelled (a source
  // without a running coordinator).
  virtual absl::StatusOr<int64_t> CancelSweep(const std::string& sweep_id) = 0;
  // The number of FAILED (and with `cancelled` CANCELLED) trials that run again; as
  // Coordinator::RetrySweep.
  virtual absl::StatusOr<int64_t> RetrySweep(const std::string& sweep_id, bool cancelled) = 0;
  // Sweep housekeeping, as Coordinator::LabelSweep, ArchiveSweep and DeleteSweep (deleting also
  // deletes the sweep's trial logs). FAILED_PRECONDITION where nothing can be changed.
  virtual absl::StatusOr<SweepView> LabelSweep(const std::string& sweep_id,
                                               const SweepLabelChange& change) = 0;
  virtual absl::StatusOr<SpaceFreed> ArchiveSweep(const std::string& sweep_id) = 0;
  virtual absl::StatusOr<SpaceFreed> DeleteSweep(const std::string& sweep_id) = 0;
  // The output of a command trial's attempt (0: the latest), its last `tail_bytes` when > 0.
  // NOT_FOUND when the trial has none (a built-in trial, or no output yet).
  virtual absl::StatusOr<TrialLog> ReadTrialLog(const std::string& sweep_id, int64_t trial,
                                                int64_t attempt, int64_t tail_bytes) = 0;
};

}  // namespace lrsweep

#endif  // LRSWEEP_DASHBOARD_DASHBOARD_SOURCE_H_
