// SearchMethod: how a sweep decides, while it runs, what its trials do beyond the plan.
//
// A search method is a pure state machine: no I/O, no clock, no lock. The coordinator feeds it
// events — a trial exists, a trial's metric points (once durable), a trial reaching a final
// state — and asks it two questions, answered with operations for the coordinator to carry out:
// what to do about a running trial that just reported (stop it?), and what to add once some
// trials end (which new trials?). The second is asked while the ending is being planned, before
// it is durable, so the trials it adds are written in the same transaction as the ending that
// caused them. Its state is derived only from what the store holds (trial rows and metric
// points), so after a coordinator restart, replaying the store through the same events rebuilds
// it exactly. The coordinator knows no method by name: MakeSearchMethod picks it from the file.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<SearchMethod> method, MakeSearchMethod(spec));  // or null
//   method->OnTrialCreated(trial);
//   method->OnMetrics(trial, points);
//   for (const SearchOperation& op : method->Decide(trial)) { /* kStop: stop it */ }
//   for (const SearchOperation& op : method->AfterTrialsEnd(rows, points)) { /* kCreate: add op.trial */ }
//   method->OnTrialEnded(finished_trial);
//
// Thread safety: not thread-safe; the coordinator calls it under its lock.
#ifndef LRSWEEP_SEARCH_SEARCH_METHOD_H_
#define LRSWEEP_SEARCH_SEARCH_METHOD_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sweep/records.h"
#include "sweep/sweep_spec.h"

namespace lrsweep {

// Metric points by trial.
using EndingPoints = std::map<int64_t, std::vector<MetricPoint>>;

// What a search method asks the coordinator to do.
struct SearchOperation {
  enum class Kind {
    kStop,    // stop the running trial `trial`: STOPPED, with `reason` shown in status and reports
    kCreate,  // add `created` to the sweep (the coordinator gives it its index and sweep id)
  };
  Kind kind = Kind::kStop;
  int64_t trial = 0;
  std::string reason;
  TrialRecord created;  // kCreate: config, seed, plan_json, params_json, total_steps
};

class SearchMethod {
 public:
  virtual ~SearchMethod() = default;

  // `trial` is part of the sweep (submitted, added by this method, or loaded at a restart).
  // Idempotent: a trial already known keeps what was learned about it.
  virtual void OnTrialCreated(const TrialRecord& /*trial*/) {}
  // Whether OnMetrics is used: a restart reads every trial's points only for methods that are.
  virtual bool ObservesMetrics() const { return true; }

  // Durable metric points of `trial` (its row as of the report). Points of a step already seen
  // replace it: a resumed attempt redoes the steps after its checkpoint.
  virtual void OnMetrics(const TrialRecord& /*trial*/, const std::vector<MetricPoint>& /*points*/) {}
  // `trial` reached a final state (COMPLETED, DIVERGED, FAILED, STOPPED or CANCELLED).
  virtual void OnTrialEnded(const TrialRecord& trial) = 0;
  // What to do about `trial`, RUNNING, which just reported. Empty: let it train.
  virtual std::vector<SearchOperation> Decide(const TrialRecord& /*trial*/) const { return {}; }
  // The trials to add once `ending` (rows of trials about to become final, not yet applied) are
  // final. Empty: nothing to add. Nothing changes until those rows come back as OnTrialEnded
  // and the added ones as OnTrialCreated.
  // `points`: the metric points stored with the endings (a completion's last points), by trial;
  // they come to OnMetrics once the ending is durable.
  virtual std::vector<SearchOperation> AfterTrialsEnd(const std::vector<TrialRecord>& /*ending*/,
                                                      const EndingPoints& /*points*/) const {
    return {};
  }
};

// The method a sweep runs with, or null when the plan alone decides (a grid or random search
// without early stopping). InvalidArgument when the method cannot plan the trials it may add.
absl::StatusOr<std::unique_ptr<SearchMethod>> MakeSearchMethod(const SweepSpec& spec);

}  // namespace lrsweep

#endif  // LRSWEEP_SEARCH_SEARCH_METHOD_H_
