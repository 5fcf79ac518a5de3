// MedianStoppingRule: `early_stopping: {rule: median}` — stop a trial that is behind the median.
//
// When a running trial reports at a fraction f of its horizon (step / total_steps) with
// f >= grace_fraction, its best metric so far is compared with each COMPLETED trial's best over
// the same fraction of that trial's horizon. If at least min_trials completed trials reached f
// and the trial's best is strictly worse than their median, it is stopped. Comparing by fraction
// rather than by step keeps trials of different batch sizes (and so different step counts) on
// equal terms. This is the rule of Google Vizier and Optuna's MedianPruner.
//
// Its bias, which the docs state: trials are compared at the same point of their horizons, not
// at the same point of their schedules. At 30% of training a cosine schedule still runs near its
// peak LR and shows a worse metric than a one-cycle or step schedule that is already annealing,
// so the rule favours schedules that decay early, and can stop a schedule that would have won.
// It suits sweeps of one schedule family (peak LR, warmup, batch size); to compare families use
// successive halving, which resolves each schedule for a shorter horizon instead.
//
//   MedianStoppingRule rule(*spec.early_stopping);
//   rule.OnMetrics(trial, points);
//   std::vector<SearchOperation> ops = rule.Decide(trial);  // a kStop when it is behind
//
// Thread safety: not thread-safe (see SearchMethod).
#ifndef LRSWEEP_SEARCH_MEDIAN_STOPPING_H_
#define LRSWEEP_SEARCH_MEDIAN_STOPPING_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "search/search_method.h"

namespace lrsweep {

class MedianStoppingRule : public SearchMethod {
 public:
  explicit MedianStoppingRule(EarlyStoppingSpec spec) : spec_(std::move(spec)) {}

  void OnMetrics(const TrialRecord& trial, const std::vector<MetricPoint>& points) override;
  void OnTrialEnded(const TrialRecord& trial) override;
  std::vector<SearchOperation> Decide(const TrialRecord& trial) const override;

 private:
  // One trial's measured metric: by step, the best value up to and including that step.
  struct Curve {
    int64_t total_steps = 0;
    std::map<int64_t, double> value_by_step;
    std::map<int64_t, double> best_by_step;  // derived from value_by_step
  };
  // True when `a` is better than `b` in the metric's direction.
  bool Better(double a, double b) const { return spec_.maximize ? a > b : a < b; }
  // The best value of `curve` over its first `fraction` of the horizon, if it measured one.
  std::optional<double> BestUpTo(const Curve& curve, double fraction) const;
  void RebuildBest(Curve& curve, int64_t from_step) const;

  const EarlyStoppingSpec spec_;
  std::map<int64_t, Curve> curves_;
  std::set<int64_t> completed_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_SEARCH_MEDIAN_STOPPING_H_
