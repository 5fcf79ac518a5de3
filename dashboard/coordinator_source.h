// The live coordinator as a dashboard source, with its changes counted for the pages' live
// updates.
//
//   ChangeCounter changes;
//   CoordinatorDashboardSource source(coordinator.get(), &changes);   // bumps `changes`
//
// Thread safety: thread-safe (the coordinator is). The coordinator and the counter must outlive it.
#ifndef LRSWEEP_DASHBOARD_COORDINATOR_SOURCE_H_
#define LRSWEEP_DASHBOARD_COORDINATOR_SOURCE_H_

#include "common/status_macros.h"
#include "coordinator/coordinator.h"
#include "coordinator/trial_log_store.h"
#include "dashboard/change_counter.h"
#include "dashboard/dashboard_source.h"

namespace lrsweep {

class CoordinatorDashboardSource : public DashboardSource {
 public:
  // `logs` (the command trials' output) may be null: no trial has a log then.
  CoordinatorDashboardSource(Coordinator* coordinator, ChangeCounter* changes,
                             TrialLogStore* logs = nullptr)
      : coordinator_(coordinator),
        logs_(logs),
        watcher_(coordinator->AddWatcher([changes] { changes->Bump(); })) {}
  ~CoordinatorDashboardSource() override { coordinator_->RemoveWatcher(watcher_); }
  CoordinatorDashboardSource(const CoordinatorDashboardSource&) = delete;
  CoordinatorDashboardSource& operator=(const CoordinatorDashboardSource&) = delete;

  std::vector<SweepView> ListSweeps() override { return coordinator_->ListSweeps(); }
  absl::StatusOr<SweepView> GetSweep(const std::string& sweep_id) override {
    return coordinator_->GetSweep(sweep_id);
  }
  absl::StatusOr<std::vector<TrialRecord>> ListTrials(const std::string& sweep_id) override {
    return coordinator_->ListTrials(sweep_id);
  }
  absl::StatusOr<std::vector<MetricPoint>> GetMetrics(const std::string& sweep_id,
                                                      int64_t trial) override {
    return coordinator_->GetMetrics(sweep_id, trial);
  }
  absl::StatusOr<std::vector<TrialEvent>> ListTrialEvents(const std::string& sweep_id,
                                                          int64_t trial) override {
    return coordinator_->ListTrialEvents(sweep_id, trial);
  }
  std::vector<WorkerView> ListWorkers() override { return coordinator_->ListWorkers(); }
  absl::StatusOr<int64_t> CancelSweep(const std::string& sweep_id) override {
    return coordinator_->CancelSweep(sweep_id);
  }
  absl::StatusOr<int64_t> RetrySweep(const std::string& sweep_id, bool cancelled) override {
    return coordinator_->RetrySweep(sweep_id, cancelled);
  }
  absl::StatusOr<SweepView> LabelSweep(const std::string& sweep_id,
                                       const SweepLabelChange& change) override {
    return coordinator_->LabelSweep(sweep_id, change);
  }
  absl::StatusOr<SpaceFreed> ArchiveSweep(const std::string& sweep_id) override {
    return coordinator_->ArchiveSweep(sweep_id);
  }
  absl::StatusOr<SpaceFreed> DeleteSweep(const std::string& sweep_id) override {
    ASSIGN_OR_RETURN(SpaceFreed freed, coordinator_->DeleteSweep(sweep_id));
    if (logs_ != nullptr) freed.log_bytes = logs_->RemoveSweep(sweep_id);
    return freed;
  }

  absl::StatusOr<TrialLog> ReadTrialLog(const std::string& sweep_id, int64_t trial,
                                        int64_t attempt, int64_t tail_bytes) override {
    RETURN_IF_ERROR(coordinator_->GetSweep(sweep_id).status());
    if (logs_ == nullptr) return absl::NotFoundError("this coordinator keeps no trial logs");
    return logs_->Read(sweep_id, trial, attempt, tail_bytes);
  }

 private:
  Coordinator* const coordinator_;
  TrialLogStore* const logs_;
  const int64_t watcher_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_DASHBOARD_COORDINATOR_SOURCE_H_
