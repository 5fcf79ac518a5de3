// The Coordinator's side of search methods: restoring them from the store, feeding them durable
// events, and carrying out what they decide.
#include <algorithm>
#include <iostream>
#include <map>

#include "coordinator/coordinator.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "sweep/sweep_spec.h"

namespace lrsweep {
namespace {

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

}  // namespace

absl::StatusOr<std::unique_ptr<SearchMethod>> Coordinator::RestoreSearchMethod(
    const SweepRecord& record, const std::vector<TrialRecord>& trials) {
  // The sweep's file was accepted when it was submitted; a later version of lrsweep that reads
  // it differently runs the sweep on without a method rather than refusing to start.
  absl::StatusOr<SweepSpec> spec = ParseSweep(record.yaml, record.file_name);
  if (!spec.ok()) {
    std::cerr << "lrsweep-coordinator: sweep " << record.id
              << ": its file no longer parses, so it runs without its search method: "
              << spec.status().message() << "\n";
    return nullptr;
  }
  absl::StatusOr<std::unique_ptr<SearchMethod>> made = MakeSearchMethod(*spec);
  if (!made.ok()) {
    std::cerr << "lrsweep-coordinator: sweep " << record.id
              << ": its search method cannot be restored, so the sweep runs on without it: "
              << made.status().message() << "\n";
    return nullptr;
  }
  std::unique_ptr<SearchMethod> method = *std::move(made);
  if (method == nullptr) return method;
  // The same events, in the same order per trial, as when they happened.
  for (const TrialRecord& trial : trials) method->OnTrialCreated(trial);
  for (const TrialRecord& trial : trials) {
    if (method->ObservesMetrics() && (trial.step > 0 || IsFinal(trial.state))) {
      ASSIGN_OR_RETURN(std::vector<MetricPoint> points, store_->GetMetrics(record.id, trial.trial));
      if (!points.empty()) method->OnMetrics(trial, points);
    }
    if (IsFinal(trial.state)) method->OnTrialEnded(trial);
  }
  return method;
}

void Coordinator::FeedSearchMethods(const StoreWrite& write) {
  if (search_methods_.empty()) return;
  for (const MetricAppend& append : write.metrics) {
    auto method = search_methods_.find(append.sweep_id);
    if (method == search_methods_.end()) continue;
    absl::StatusOr<const TrialRecord*> trial = table_.FindTrial(append.sweep_id, append.trial);
    if (trial.ok()) method->second->OnMetrics(**trial, append.points);
  }
  for (const TrialRecord& row : write.trials) {
    auto method = search_methods_.find(row.sweep_id);
    if (method == search_methods_.end()) continue;
    if (row.attempts == 0 && row.state == TrialState::kPending) {
      method->second->OnTrialCreated(row);  // added by AddSearchTrials
    } else if (IsFinal(row.state)) {
      method->second->OnTrialEnded(row);
    }
  }
}

void Coordinator::AddSearchTrials(StoreWrite& write) {
  if (search_methods_.empty()) return;
  // The trials the write ends, by sweep.
  std::map<std::string, std::vector<TrialRecord>> ending;
  for (const TrialRecord& row : write.trials) {
    if (!IsFinal(row.state) || search_methods_.count(row.sweep_id) == 0) continue;
    absl::StatusOr<const TrialRecord*> live = table_.FindTrial(row.sweep_id, row.trial);
    if (live.ok() && !IsFinal((*live)->state)) ending[row.sweep_id].push_back(row);
  }
  for (const auto& entry : ending) {
    // Named, not structured, bindings: lambdas below capture the sweep id.
    const std::string& sweep_id = entry.first;
    const std::vector<TrialRecord>& rows = entry.second;
    absl::StatusOr<SweepView> sweep = table_.GetSweep(sweep_id);
    if (!sweep.ok() || sweep->record.state != SweepState::kRunning) continue;
    const bool cancelled = std::any_of(
        write.sweep_states.begin(), write.sweep_states.end(), [&](const auto& change) {
          return change.first == sweep_id && change.second == SweepState::kCancelled;
        });
    if (cancelled) continue;
    EndingPoints points;
    for (const MetricAppend& append : write.metrics) {
      if (append.sweep_id != sweep_id) continue;
      std::vector<MetricPoint>& into = points[append.trial];
      into.insert(into.end(), append.points.begin(), append.points.end());
    }
    int64_t next = table_.TrialCount(sweep_id);
    const int64_t first = next;
    for (const SearchOperation& operation :
         search_methods_.at(sweep_id)->AfterTrialsEnd(rows, points)) {
      if (operation.kind != SearchOperation::Kind::kCreate) continue;
      TrialRecord added = operation.created;
      added.sweep_id = sweep_id;
      added.trial = next++;
      added.state = TrialState::kPending;
      added.updated_ms = NowMs();
      // The plan names its trial: the worker checks its checkpoints against it.
      nlohmann::ordered_json plan = nlohmann::ordered_json::parse(added.plan_json);
      plan["trial"] = added.trial;
      added.plan_json = plan.dump();
      write.trials.push_back(std::move(added));
    }
    if (next == first) continue;
    // The ending no longer finishes the sweep: it has new trials to run.
    write.sweep_states.erase(
        std::remove_if(write.sweep_states.begin(), write.sweep_states.end(),
                       [&](const auto& change) {
                         return change.first == sweep_id && change.second == SweepState::kFinished;
                       }),
        write.sweep_states.end());
  }
}

std::vector<SearchOperation> Coordinator::DecideAfterReport(
    const LeaseRef& lease, const std::vector<MetricPoint>& points) {
  auto method = search_methods_.find(lease.sweep_id);
  if (method == search_methods_.end()) return {};
  absl::StatusOr<const TrialRecord*> trial = table_.FindTrial(lease.sweep_id, lease.trial);
  if (!trial.ok()) return {};
  method->second->OnMetrics(**trial, points);
  return method->second->Decide(**trial);
}

absl::StatusOr<Directive> Coordinator::StopForSearch(const LeaseRef& lease,
                                                     const std::string& reason) {
  RETURN_IF_ERROR(Transition([&](const TrialTable& table) {
    return table.Stop(lease, reason, NowMs());
  }));
  return Directive::kStop;
}

}  // namespace lrsweep
