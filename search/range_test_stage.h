// RangeTestStage: the LR range test stage of a sweep (`lr_range_test:`), run before its trials.
//
// The sweep starts with its range test trials alone (one per training setup, see
// sweep/range_test_plan.h). While one runs, the stage stops it as soon as its smoothed loss
// diverges: the rest of the ramp would only record a loss going up. When the last of them ends,
// the stage reads every curve (sweep/range_test.h) and adds the sweep's trials with their
// relative peak LRs resolved, in the same store transaction as that ending; a configuration
// whose pick is missing (its test failed, or the loss never fell) is not added. From then on the
// trials are those of a plain grid or random search, and the method the sweep names for them
// (early stopping) receives their events.
//
// Its state is the range test trials' rows and metric points, and whether the trials after
// them exist; a coordinator restarted at any point replays the store into the same state.
//
//   auto stage = std::make_unique<RangeTestStage>(spec, std::move(early_stopping_or_null));
//   stage->OnTrialCreated(range_test_row);
//   std::vector<SearchOperation> add = stage->AfterTrialsEnd(ending, ending_points);
//
// Thread safety: not thread-safe (see SearchMethod).
#ifndef LRSWEEP_SEARCH_RANGE_TEST_STAGE_H_
#define LRSWEEP_SEARCH_RANGE_TEST_STAGE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "search/search_method.h"
#include "sweep/range_test_plan.h"
#include "sweep/sweep_spec.h"

namespace lrsweep {

class RangeTestStage : public SearchMethod {
 public:
  // `after`: the method of the trials that follow the range tests, or null.
  RangeTestStage(SweepSpec spec, std::unique_ptr<SearchMethod> after);

  void OnTrialCreated(const TrialRecord& trial) override;
  bool ObservesMetrics() const override { return true; }
  void OnMetrics(const TrialRecord& trial, const std::vector<MetricPoint>& points) override;
  void OnTrialEnded(const TrialRecord& trial) override;
  std::vector<SearchOperation> Decide(const TrialRecord& trial) const override;
  std::vector<SearchOperation> AfterTrialsEnd(const std::vector<TrialRecord>& ending,
                                              const EndingPoints& points) const override;

 private:
  struct Test {
    RangeTestTrial test;
    std::map<int64_t, MetricPoint> points;  // by step
    std::optional<TrialState> final_state;
    std::string reason;
  };
  // The range test results once `ending` is final; nullopt while a test still runs.
  std::optional<RangeTestResults> ResultsAfter(const std::vector<TrialRecord>& ending,
                                               const EndingPoints& points) const;

  const SweepSpec spec_;
  const std::unique_ptr<SearchMethod> after_;
  std::map<int64_t, Test> tests_;  // by trial
  int64_t trials_ = 0;             // trials known
  bool planned_after_ = false;     // the trials after the range tests exist
};

}  // namespace lrsweep

#endif  // LRSWEEP_SEARCH_RANGE_TEST_STAGE_H_
