// The Coordinator's sweep housekeeping: notes and tags, archiving (checkpoints deleted, results
// kept) and deleting a sweep. (The rest of the class is in coordinator.cc.) Each is serialized
// with transitions by the commit lock, made durable without the coordinator's lock, then applied;
// files are deleted last, once nothing refers to them.
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/remove_tree.h"
#include "common/status_macros.h"
#include "coordinator/coordinator.h"
#include "search/search_method.h"
#include "sweep/sweep_extension.h"
#include "sweep/sweep_planner.h"
#include "sweep/sweep_spec.h"

namespace lrsweep {
namespace {

// The edited file must rank its trials as the sweep does, or the ranking would mix two metrics.
absl::Status CheckSameMetric(const SweepRecord& sweep, const SweepSpec& edited) {
  const MetricSpec& metric = edited.metric;
  if (metric.name == sweep.metric_name && metric.maximize == sweep.maximize &&
      metric.summary == sweep.metric_summary && metric.last_k == sweep.metric_last_k) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      edited.file, ": metric: the edited file ranks by ", metric.name, " (",
      metric.maximize ? "maximize" : "minimize", ", ", metric.summary, "), sweep ", sweep.id,
      " by ", sweep.metric_name, " (", sweep.maximize ? "maximize" : "minimize", ", ",
      sweep.metric_summary, "); keep its metric, or submit the file as a new sweep"));
}

}  // namespace

absl::StatusOr<SubmitResult> Coordinator::ExtendSweep(const std::string& sweep_id,
                                                      const std::string& yaml,
                                                      const std::string& file_name,
                                                      const ArtifactManifest& artifacts,
                                                      const std::string& base_dir) {
  ASSIGN_OR_RETURN(SweepSpec spec, ParseSubmittedSweep(yaml, file_name, artifacts, base_dir));
  ASSIGN_OR_RETURN(std::unique_ptr<SearchMethod> method, MakeSearchMethod(spec));
  SweepRecord record;
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(SweepView view, table_.GetSweep(sweep_id));
    record = std::move(view.record);
    if (method != nullptr || search_methods_.count(sweep_id) > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "sweep ", sweep_id, " or the edited file has a search method, which decides itself "
          "which trials run; submit the edited file as a new sweep"));
    }
  }
  if (record.archived_ms > 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sweep ", sweep_id, " is archived; submit the edited file as a new sweep"));
  }
  RETURN_IF_ERROR(CheckSameMetric(record, spec));
  ASSIGN_OR_RETURN(SweepPlan plan, PlanSweep(spec));
  SubmitResult result;
  result.sweep_id = sweep_id;
  result.warnings = SubmitWarnings(spec, plan);
  RETURN_IF_ERROR(Transition([&](const TrialTable& table) -> absl::StatusOr<StoreWrite> {
    StoreWrite write;
    ASSIGN_OR_RETURN(std::vector<TrialRecord> existing, table.ListTrials(sweep_id));
    write.trials = TrialsToAdd(sweep_id, existing, plan, absl::ToUnixMillis(absl::Now()));
    result.total_trials = static_cast<int64_t>(write.trials.size());
    if (!write.trials.empty()) write.sweep_states.emplace_back(sweep_id, SweepState::kRunning);
    return write;
  }));
  // The sweep's file is the edited one from now on (`lrsweep run` finds the sweep by it). A crash
  // before this leaves the old file: adding again adds nothing and records it.
  Deferred deferred;
  BeginCommit();  // read, write and apply the record with no label change in between
  absl::Status updated = [&]() -> absl::Status {
    {
      absl::MutexLock lock(&mu_);
      ASSIGN_OR_RETURN(SweepView view, table_.GetSweep(sweep_id));
      record = std::move(view.record);
    }
    record.yaml = yaml;
    record.file_name = spec.file;
    record.source_sha256 = SweepSourceDigest(yaml, spec.artifacts);
    RETURN_IF_ERROR(store_->UpdateSweep(record));
    absl::MutexLock lock(&mu_);
    table_.UpdateSweep(record);
    return absl::OkStatus();
  }();
  EndCommit(&deferred);
  RunDeferred(deferred);
  RETURN_IF_ERROR(updated);
  return result;
}

absl::StatusOr<SweepView> Coordinator::LabelSweep(const std::string& sweep_id,
                                                  const SweepLabelChange& change) {
  Deferred deferred;
  BeginCommit();
  absl::StatusOr<SweepView> labelled = [&]() -> absl::StatusOr<SweepView> {
    SweepRecord record;
    {
      absl::MutexLock lock(&mu_);
      ASSIGN_OR_RETURN(SweepView view, table_.GetSweep(sweep_id));
      record = std::move(view.record);
    }
    RETURN_IF_ERROR(ApplyLabelChange(change, &record));
    RETURN_IF_ERROR(store_->UpdateSweep(record));
    absl::MutexLock lock(&mu_);
    table_.UpdateSweep(record);
    NotifyWatchers(&deferred);
    return table_.GetSweep(sweep_id);
  }();
  EndCommit(&deferred);
  RunDeferred(deferred);
  return labelled;
}

absl::StatusOr<std::vector<CheckpointRecord>> Coordinator::SweepCheckpoints(
    const std::string& sweep_id) {
  int64_t trials = 0;
  {
    absl::MutexLock lock(&mu_);
    trials = table_.TrialCount(sweep_id);
  }
  std::vector<CheckpointRecord> all;
  for (int64_t trial = 0; trial < trials; ++trial) {
    ASSIGN_OR_RETURN(std::vector<CheckpointRecord> checkpoints,
                     store_->ListCheckpoints(sweep_id, trial));
    all.insert(all.end(), checkpoints.begin(), checkpoints.end());
  }
  return all;
}

int64_t Coordinator::RemoveSweepCheckpointFiles(
    const std::string& sweep_id, const std::vector<CheckpointRecord>& checkpoints) const {
  int64_t bytes = 0;
  for (const CheckpointRecord& checkpoint : checkpoints) {
    // Uploaded files are under the sweep's directory (removed below); shared ones are elsewhere.
    if (checkpoint.path.empty()) {
      if (const std::string path = LocalPath(checkpoint); !path.empty()) bytes += RemoveTree(path);
    }
  }
  // The sweep's whole directory: files the records name, and partial uploads no record names.
  return bytes + RemoveTree((std::filesystem::path(options_.checkpoint_dir) / sweep_id).string());
}

absl::StatusOr<SpaceFreed> Coordinator::ArchiveSweep(const std::string& sweep_id) {
  Deferred deferred;
  std::vector<CheckpointRecord> checkpoints;
  BeginCommit();
  absl::Status archived = [&]() -> absl::Status {
    SweepRecord record;
    {
      absl::MutexLock lock(&mu_);
      RETURN_IF_ERROR(table_.CheckQuiet(sweep_id));
      ASSIGN_OR_RETURN(SweepView view, table_.GetSweep(sweep_id));
      record = std::move(view.record);
    }
    // Marked archived first: a crash before the checkpoints are gone leaves a sweep that cannot
    // be retried (so nothing resumes from a file about to go), and archiving again finishes it.
    if (record.archived_ms == 0) record.archived_ms = absl::ToUnixMillis(absl::Now());
    RETURN_IF_ERROR(store_->UpdateSweep(record));
    ASSIGN_OR_RETURN(checkpoints, SweepCheckpoints(sweep_id));
    StoreWrite write;
    write.deleted_checkpoints = checkpoints;
    RETURN_IF_ERROR(store_->Write(write));
    absl::MutexLock lock(&mu_);
    table_.UpdateSweep(record);
    NotifyWatchers(&deferred);
    return absl::OkStatus();
  }();
  EndCommit(&deferred);
  RunDeferred(deferred);
  RETURN_IF_ERROR(archived);
  SpaceFreed freed;
  freed.checkpoints = static_cast<int64_t>(checkpoints.size());
  freed.checkpoint_bytes = RemoveSweepCheckpointFiles(sweep_id, checkpoints);
  return freed;
}

absl::StatusOr<SpaceFreed> Coordinator::DeleteSweep(const std::string& sweep_id) {
  Deferred deferred;
  std::vector<CheckpointRecord> checkpoints;
  DeletedRows deleted;
  BeginCommit();
  absl::Status removed = [&]() -> absl::Status {
    {
      absl::MutexLock lock(&mu_);
      RETURN_IF_ERROR(table_.CheckQuiet(sweep_id));
    }
    ASSIGN_OR_RETURN(checkpoints, SweepCheckpoints(sweep_id));
    ASSIGN_OR_RETURN(deleted, store_->DeleteSweep(sweep_id));
    absl::MutexLock lock(&mu_);
    table_.RemoveSweep(sweep_id);
    search_methods_.erase(sweep_id);
    NotifyWatchers(&deferred);
    return absl::OkStatus();
  }();
  EndCommit(&deferred);
  RunDeferred(deferred);
  RETURN_IF_ERROR(removed);
  SpaceFreed freed;
  freed.trials = deleted.trials;
  freed.metric_points = deleted.metric_points;
  freed.checkpoints = deleted.checkpoints;
  freed.checkpoint_bytes = RemoveSweepCheckpointFiles(sweep_id, checkpoints);
  return freed;
}

}  // namespace lrsweep
