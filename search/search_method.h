// SearchMethod: how a sweep decides, while it runs, what its trials do beyond the plan.
//
// A search method is a pure state machine: no I/O, no clock, no lock. The coordinator feeds it
// events — a trial's metric points (once durable), a trial reaching a final state — and asks it
// what to do about a trial that just reported; it answers with operations for the coordinator to
// carry out. Its state is derived only from what the store holds (trial rows and metric points),
// so after a coordinator restart, replaying the store through the same events rebuilds it exactly.
// The coordinator knows no method by name: MakeSearchMethod picks it from the sweep file.
//
//   std::unique_ptr<SearchMethod> method = MakeSearchMethod(spec);  // null: nothing to decide
//   method->OnMetrics(trial, points);
//   for (const SearchOperation& op : method->Decide(trial)) { /* op.kind == kStop: stop it */ }
//   method->OnTrialEnded(finished_trial);
//
// Thread safety: not thread-safe; the coordinator calls it under its lock.
#ifndef LRSWEEP_SEARCH_SEARCH_METHOD_H_
#define LRSWEEP_SEARCH_SEARCH_METHOD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sweep/records.h"
#include "sweep/sweep_spec.h"

namespace lrsweep {

// What a search method asks the coordinator to do.
struct SearchOperation {
  enum class Kind {
    kStop,  // stop the running trial: STOPPED, with `reason` shown in status and reports
  };
  Kind kind = Kind::kStop;
  int64_t trial = 0;
  std::string reason;
};

class SearchMethod {
 public:
  virtual ~SearchMethod() = default;

  // Durable metric points of `trial` (its row as of the report). Points of a step already seen
  // replace it: a resumed attempt redoes the steps after its checkpoint.
  virtual void OnMetrics(const TrialRecord& trial, const std::vector<MetricPoint>& points) = 0;
  // `trial` reached a final state (COMPLETED, DIVERGED, FAILED, STOPPED or CANCELLED).
  virtual void OnTrialEnded(const TrialRecord& trial) = 0;
  // What to do about `trial`, RUNNING, which just reported. Empty: let it train.
  virtual std::vector<SearchOperation> Decide(const TrialRecord& trial) const = 0;
};

// The method a sweep runs with, or null when the plan alone decides (a grid or random search
// without early stopping).
std::unique_ptr<SearchMethod> MakeSearchMethod(const SweepSpec& spec);

}  // namespace lrsweep

#endif  // LRSWEEP_SEARCH_SEARCH_METHOD_H_
