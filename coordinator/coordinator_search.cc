// The Coordinator's side of search methods: restoring them from the store, feeding them durable
// events, and carrying out what they decide.
#include <iostream>

#include "coordinator/coordinator.h"
#include "common/status_macros.h"
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
  std::unique_ptr<SearchMethod> method = MakeSearchMethod(*spec);
  if (method == nullptr) return method;
  // The same events, in the same order per trial, as when they happened.
  for (const TrialRecord& trial : trials) {
    if (trial.step > 0 || IsFinal(trial.state)) {
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
    if (!IsFinal(row.state)) continue;
    auto method = search_methods_.find(row.sweep_id);
    if (method != search_methods_.end()) method->second->OnTrialEnded(row);
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
