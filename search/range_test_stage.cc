#include "search/range_test_stage.h"

#include <algorithm>
#include <utility>

#include "fmt/format.h"
#include "sweep/range_test.h"
#include "sweep/sweep_planner.h"

namespace lrsweep {
namespace {

std::vector<MetricPoint> Values(const std::map<int64_t, MetricPoint>& by_step) {
  std::vector<MetricPoint> points;
  points.reserve(by_step.size());
  for (const auto& [step, point] : by_step) points.push_back(point);
  return points;
}

}  // namespace

RangeTestStage::RangeTestStage(SweepSpec spec, std::unique_ptr<SearchMethod> after)
    : spec_(std::move(spec)), after_(std::move(after)) {}

void RangeTestStage::OnTrialCreated(const TrialRecord& trial) {
  trials_ = std::max(trials_, trial.trial + 1);
  if (tests_.count(trial.trial) > 0) return;
  std::optional<RangeTestTrial> test = RangeTestTrialFromPlan(trial.plan_json);
  if (test) {
    tests_[trial.trial].test = *std::move(test);
    return;
  }
  planned_after_ = true;
  if (after_ != nullptr) after_->OnTrialCreated(trial);
}

void RangeTestStage::OnMetrics(const TrialRecord& trial, const std::vector<MetricPoint>& points) {
  auto test = tests_.find(trial.trial);
  if (test == tests_.end()) {
    if (after_ != nullptr) after_->OnMetrics(trial, points);
    return;
  }
  for (const MetricPoint& point : points) test->second.points[point.step] = point;
}

void RangeTestStage::OnTrialEnded(const TrialRecord& trial) {
  auto test = tests_.find(trial.trial);
  if (test == tests_.end()) {
    if (after_ != nullptr) after_->OnTrialEnded(trial);
    return;
  }
  test->second.final_state = trial.state;
  test->second.reason = trial.reason;
}

std::vector<SearchOperation> RangeTestStage::Decide(const TrialRecord& trial) const {
  auto test = tests_.find(trial.trial);
  if (test == tests_.end()) return after_ != nullptr ? after_->Decide(trial) : std::vector<SearchOperation>{};
  const std::vector<MetricPoint> points = Values(test->second.points);
  const RangeTestSpec& spec = test->second.test.spec;
  if (!RangeTestDiverged(points, spec)) return {};
  SearchOperation stop;
  stop.kind = SearchOperation::Kind::kStop;
  stop.trial = trial.trial;
  stop.reason = fmt::format(
      "range test complete: the smoothed loss rose past {:g}x its lowest at lr {:.3g}",
      spec.divergence_factor, points.empty() ? 0.0 : points.back().lr);
  return {stop};
}

std::optional<RangeTestResults> RangeTestStage::ResultsAfter(
    const std::vector<TrialRecord>& ending, const EndingPoints& points) const {
  RangeTestResults results;
  for (const auto& [trial, known] : tests_) {
    std::optional<TrialState> state = known.final_state;
    std::string reason = known.reason;
    for (const TrialRecord& row : ending) {
      if (row.trial == trial && IsFinal(row.state)) {
        state = row.state;
        reason = row.reason;
      }
    }
    if (!state) return std::nullopt;
    std::map<int64_t, MetricPoint> by_step = known.points;
    auto last = points.find(trial);
    if (last != points.end()) {
      for (const MetricPoint& point : last->second) by_step[point.step] = point;
    }
    RangeTestResult& result = results[known.test.key];
    result.trial = trial;
    result.curve = AnalyzeRangeTest(Values(by_step), known.test.spec);
    // A test ends by completing its ramp, by diverging, or stopped by this stage when its
    // smoothed loss did; failed or cancelled, its curve is not trusted.
    if (*state == TrialState::kFailed || *state == TrialState::kCancelled) {
      result.failure = fmt::format("the range test trial {} ({})", std::string(TrialStateName(*state)),
                                   reason.empty() ? "no reason recorded" : reason);
    }
  }
  return results;
}

std::vector<SearchOperation> RangeTestStage::AfterTrialsEnd(const std::vector<TrialRecord>& ending,
                                                            const EndingPoints& points) const {
  if (planned_after_) {
    return after_ != nullptr ? after_->AfterTrialsEnd(ending, points)
                             : std::vector<SearchOperation>{};
  }
  const std::optional<RangeTestResults> results = ResultsAfter(ending, points);
  if (!results) return {};
  // Checked at submission with stand-in picks, so only a missing pick leaves a trial out.
  absl::StatusOr<SweepPlan> plan = PlanSweepAfterRangeTest(spec_, *results, trials_);
  if (!plan.ok()) return {};
  std::vector<SearchOperation> operations;
  for (const TrialPlan& trial : plan->trials) {
    SearchOperation create;
    create.kind = SearchOperation::Kind::kCreate;
    create.created = NewTrialRecord(trial);
    operations.push_back(std::move(create));
  }
  return operations;
}

}  // namespace lrsweep
