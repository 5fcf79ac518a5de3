// The LR range test stage: reading a curve, parsing `lr_range_test:` and relative peak LRs,
// planning the tests and the trials after them, and the stage as a pure state machine.
#include <cmath>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "search/range_test_stage.h"
#include "search/search_method.h"
#include "sweep/range_test.h"
#include "sweep/range_test_plan.h"
#include "sweep/sweep_planner.h"
#include "sweep/sweep_spec.h"

namespace lrsweep {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// A range test's points: lr = 1e-4 * 10^(4 i / (n - 1)), loss = `loss(log10 lr)`.
template <typename F>
std::vector<MetricPoint> Ramp(int n, F loss) {
  std::vector<MetricPoint> points;
  for (int i = 0; i < n; ++i) {
    MetricPoint point;
    point.step = i;
    const double x = -4.0 + 4.0 * i / (n - 1);
    point.lr = std::pow(10.0, x);
    point.train_loss = loss(x);
    points.push_back(point);
  }
  return points;
}

RangeTestSpec Unsmoothed() {
  RangeTestSpec spec;
  spec.smoothing = 0.0;
  return spec;
}

TEST(RangeTestCurveTest, SteepestIsWhereTheLossFallsFastestAndMinLossIsATenthOfTheLowest) {
  // Falls fastest at lr 1e-2 (x = -2), lowest near x = -0.6, then climbs and diverges.
  auto loss = [](double x) {
    return x < -0.5 ? 2.0 - std::tanh(2.0 * (x + 2.0)) : 1.05 + 20.0 * (x + 0.5) * (x + 0.5) * 10;
  };
  const RangeTestCurve curve = AnalyzeRangeTest(Ramp(81, loss), Unsmoothed());
  ASSERT_TRUE(curve.steepest_lr.has_value()) << curve.problem;
  EXPECT_NEAR(std::log10(*curve.steepest_lr), -2.0, 0.051);
  ASSERT_TRUE(curve.min_loss_lr.has_value());
  EXPECT_NEAR(std::log10(*curve.min_loss_lr), -0.5, 0.051);
  EXPECT_NEAR(*curve.Pick("min_loss"), *curve.min_loss_lr / 10.0, 1e-12);
  EXPECT_EQ(curve.Pick("steepest"), curve.steepest_lr);
  EXPECT_TRUE(curve.diverged);
  ASSERT_TRUE(curve.diverged_lr.has_value());
  EXPECT_LT(curve.points.size(), 81u) << "the curve ends at the divergence";
  EXPECT_EQ(curve.problem, "");
}

TEST(RangeTestCurveTest, ANonFiniteLossEndsTheCurve) {
  std::vector<MetricPoint> points = Ramp(40, [](double x) { return 2.0 - 0.1 * (x + 4.0); });
  points[30].train_loss = std::nan("");
  const RangeTestCurve curve = AnalyzeRangeTest(points, RangeTestSpec{});
  EXPECT_TRUE(curve.diverged);
  EXPECT_EQ(curve.points.size(), 30u);
  EXPECT_DOUBLE_EQ(*curve.diverged_lr, points[30].lr);
}

TEST(RangeTestCurveTest, ALossThatNeverFallsHasNoSteepestPickAndSaysWhatToChange) {
  const RangeTestCurve curve =
      AnalyzeRangeTest(Ramp(50, [](double x) { return 1.0 + 0.01 * (x + 4.0); }), Unsmoothed());
  EXPECT_FALSE(curve.steepest_lr.has_value());
  EXPECT_FALSE(curve.Pick("steepest").has_value());
  EXPECT_THAT(curve.problem, HasSubstr("never fell"));
  EXPECT_THAT(curve.problem, HasSubstr("min_lr"));
}

TEST(RangeTestCurveTest, ALossStillFallingAtMaxLrIsFlagged) {
  const RangeTestCurve curve =
      AnalyzeRangeTest(Ramp(50, [](double x) { return 3.0 - 0.5 * (x + 4.0); }), Unsmoothed());
  EXPECT_TRUE(curve.steepest_lr.has_value());
  EXPECT_THAT(curve.problem, HasSubstr("raise lr_range_test.max_lr"));
}

TEST(RangeTestCurveTest, TooFewPointsBeforeTheDivergenceGiveNoPick) {
  std::vector<MetricPoint> points = Ramp(30, [](double) { return 1.0; });
  points[3].train_loss = 100.0;
  const RangeTestCurve curve = AnalyzeRangeTest(points, Unsmoothed());
  EXPECT_FALSE(curve.Pick("steepest").has_value());
  EXPECT_FALSE(curve.Pick("min_loss").has_value());
  EXPECT_THAT(curve.problem, HasSubstr("lower lr_range_test.min_lr"));
}

TEST(RangeTestCurveTest, SmoothingIsABiasCorrectedMovingAverage) {
  std::vector<MetricPoint> points = Ramp(3, [](double) { return 0.0; });
  points[0].train_loss = 2.0;
  points[1].train_loss = 1.0;
  points[2].train_loss = 1.0;
  RangeTestSpec spec;
  spec.smoothing = 0.5;
  const RangeTestCurve curve = AnalyzeRangeTest(points, spec);
  ASSERT_THAT(curve.points, SizeIs(3));
  // average_i = 0.5 average_{i-1} + 0.5 loss_i, divided by 1 - 0.5^(i+1).
  EXPECT_DOUBLE_EQ(curve.points[0].smoothed, 1.0 / 0.5);
  EXPECT_DOUBLE_EQ(curve.points[1].smoothed, 1.0 / 0.75);
  EXPECT_DOUBLE_EQ(curve.points[2].smoothed, 1.0 / 0.875);
  EXPECT_DOUBLE_EQ(curve.points[2].loss, 1.0);
}

// --- The sweep file ---

constexpr char kHead[] = R"(name: range
metric: {name: val_loss}
seeds: [0, 1]
train:
  model: {type: mlp, hidden: [4]}
  data: {type: synthetic, train_examples: 200, val_fraction: 0.2}
  optimizer: {type: sgd, momentum: 0.9}
  steps: 40
  batch_size: 10
)";

absl::StatusOr<SweepSpec> Parse(const std::string& tail) {
  return ParseSweep(std::string(kHead) + tail, "range.yaml");
}

TEST(RangeTestSpecTest, ParsesTheTestAndRelativeLrsInAGridAndTheSharedSchedule) {
  absl::StatusOr<SweepSpec> spec = Parse(R"(lr_range_test: {min_lr: 1.0e-5, max_lr: 3, steps: 50}
schedule: {lr: {range_test: min_loss, factors: [0.5, 2]}}
parameters:
  - schedule.type: cosine
    schedule.lr: {range_test: steepest, factors: [0.3, 1, 3]}
  - schedule.type: constant
)");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_TRUE(spec->range_test.has_value());
  EXPECT_DOUBLE_EQ(spec->range_test->min_lr, 1e-5);
  EXPECT_DOUBLE_EQ(spec->range_test->max_lr, 3.0);
  EXPECT_EQ(spec->range_test->steps, 50);
  ASSERT_THAT(spec->grids, SizeIs(2));
  EXPECT_EQ(spec->grids[0].axes[1].relative_anchor, "steepest");
  EXPECT_THAT(spec->grids[0].axes[1].values, SizeIs(3));
  // The shared relative lr becomes the second grid's axis.
  EXPECT_EQ(spec->grids[1].axes.back().relative_anchor, "min_loss");
  EXPECT_TRUE(spec->grids[1].axes.back().implicit);
  EXPECT_EQ(CountTrials(*spec), (3 + 2) * 2);
}

TEST(RangeTestSpecTest, BadInputNamesTheKeyAndWhatToDo) {
  struct Case {
    std::string tail;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"schedule: {type: cosine, lr: {range_test: steepest}}\n", "add lr_range_test"},
      {"lr_range_test: {min_lr: 1.0e-3, max_lr: 1.0e-4}\nschedule: {type: cosine, lr: 0.1}\n",
       "lr_range_test.max_lr: must be above min_lr"},
      {"lr_range_test: {steps: 5}\nschedule: {type: cosine, lr: 0.1}\n", "at least 10"},
      {"lr_range_test: {min_lr: 1.0e-6, max_lr: 1, stpes: 100}\nschedule: {type: cosine, lr: 0.1}\n",
       "steps"},
      {"lr_range_test: {}\nschedule: {type: cosine, lr: {range_test: steep}}\n",
       "Did you mean 'steepest'"},
      {"lr_range_test: {}\nschedule: {type: cosine, lr: {range_test: steepest, factors: [1, -2]}}\n",
       "schedule.lr.factors[1]: must be a positive multiplier"},
      {"method: asha\nlr_range_test: {}\nschedule: {type: cosine, lr: 0.1}\n",
       "not combined with method: asha"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<SweepSpec> spec = Parse(c.tail);
    ASSERT_FALSE(spec.ok()) << c.tail;
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(spec.status().message()), HasSubstr(c.message)) << c.tail;
    EXPECT_THAT(std::string(spec.status().message()), HasSubstr("range.yaml:")) << c.tail;
  }
}

// --- Planning ---

constexpr char kPlanned[] = R"(lr_range_test: {min_lr: 1.0e-4, max_lr: 1, steps: 20}
lr_scaling: {rule: linear, base_batch_size: 10}
parameters:
  - schedule.type: cosine
    schedule.lr: {range_test: steepest, factors: [0.5, 2]}
    train.batch_size: [10, 20]
  - schedule.type: constant
    schedule.lr: 0.05
)";

TEST(RangeTestPlanTest, PlansOneTestPerTrainingSetupFirstAndTheTrialsAfterWithStandInPicks) {
  absl::StatusOr<SweepSpec> spec = Parse(kPlanned);
  ASSERT_TRUE(spec.ok()) << spec.status();
  absl::StatusOr<SweepPlan> plan = PlanSweep(*spec);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_THAT(plan->trials, SizeIs(2)) << "batch 10 and batch 20; constant shares batch 10's";
  for (const TrialPlan& test : plan->trials) {
    ASSERT_TRUE(test.range_test.has_value());
    EXPECT_EQ(test.total_steps, 20);
    EXPECT_EQ(test.seed, 0);
    EXPECT_EQ(test.schedule.type, ScheduleType::kExponential);
    EXPECT_DOUBLE_EQ(test.lr, 1e-4);
  }
  EXPECT_EQ(plan->trials[0].range_test->label, "mlp, sgd, batch 10");
  EXPECT_EQ(plan->trials[1].range_test->label, "mlp, sgd, batch 20");
  EXPECT_NE(plan->trials[0].config, plan->trials[1].config);
  ASSERT_THAT(plan->after_range_test, SizeIs(10));  // (4 + 1) configurations x 2 seeds
  EXPECT_EQ(plan->after_range_test[0].index, 2) << "numbered after the tests";
  EXPECT_TRUE(plan->after_range_test[0].relative_lr->provisional);
  EXPECT_FALSE(plan->after_range_test[8].relative_lr.has_value()) << "constant's lr is absolute";
  // The plan JSON marks both kinds, and reads back.
  const nlohmann::ordered_json json = TrialPlanToJson(plan->trials[1]);
  std::optional<RangeTestTrial> test = RangeTestTrialFromPlan(json.dump());
  ASSERT_TRUE(test.has_value());
  EXPECT_EQ(test->key, plan->trials[1].setup_key);
  EXPECT_EQ(test->spec.steps, 20);
}

TEST(RangeTestPlanTest, TheTrialsAfterTakeFactorTimesTheirSetupsPickUnscaledAndSkipAMissingOne) {
  absl::StatusOr<SweepSpec> spec = Parse(kPlanned);
  ASSERT_TRUE(spec.ok()) << spec.status();
  absl::StatusOr<SweepPlan> first = PlanSweep(*spec);
  ASSERT_TRUE(first.ok()) << first.status();
  RangeTestResults results;
  results[first->trials[0].setup_key].trial = 0;
  results[first->trials[0].setup_key].curve.steepest_lr = 0.04;
  results[first->trials[1].setup_key].trial = 1;
  results[first->trials[1].setup_key].curve.problem = "the loss never fell";
  absl::StatusOr<SweepPlan> plan = PlanSweepAfterRangeTest(*spec, results, 2);
  ASSERT_TRUE(plan.ok()) << plan.status();
  // Batch 10 at 0.5x and 2x of 0.04 (no linear scaling: the test ran at batch 10), and the
  // constant configuration; batch 20's trials have no pick.
  ASSERT_THAT(plan->trials, SizeIs(6));
  EXPECT_DOUBLE_EQ(plan->trials[0].lr, 0.02);
  EXPECT_DOUBLE_EQ(plan->trials[2].lr, 0.08);
  EXPECT_EQ(plan->trials[0].index, 2);
  EXPECT_EQ(plan->trials[5].index, 7);
  EXPECT_EQ(plan->trials[0].relative_lr->range_test_trial, 0);
  EXPECT_FALSE(plan->trials[0].relative_lr->provisional);
  EXPECT_DOUBLE_EQ(plan->trials[4].lr, 0.05);
  ASSERT_THAT(plan->skipped, SizeIs(2));
  EXPECT_THAT(plan->skipped[0], HasSubstr("range test trial 1 has no steepest pick: the loss never fell"));
}

// --- The stage ---

std::vector<TrialRecord> Rows(const std::vector<TrialPlan>& plans, int64_t first = 0) {
  std::vector<TrialRecord> rows;
  for (const TrialPlan& plan : plans) {
    TrialRecord row = NewTrialRecord(plan);
    row.trial = first + static_cast<int64_t>(rows.size());
    rows.push_back(row);
  }
  return rows;
}

std::vector<MetricPoint> GoodCurve() {
  return Ramp(20, [](double x) { return 2.0 - std::tanh(2.0 * (x + 2.0)); });
}

TEST(RangeTestStageTest, AddsTheTrialsWithTheLastTestsEndingAndNeverAgain) {
  absl::StatusOr<SweepSpec> spec = Parse(kPlanned);
  ASSERT_TRUE(spec.ok()) << spec.status();
  absl::StatusOr<SweepPlan> plan = PlanSweep(*spec);
  ASSERT_TRUE(plan.ok()) << plan.status();
  absl::StatusOr<std::unique_ptr<SearchMethod>> made = MakeSearchMethod(*spec);
  ASSERT_TRUE(made.ok() && *made != nullptr);
  SearchMethod& stage = **made;
  std::vector<TrialRecord> tests = Rows(plan->trials);
  for (const TrialRecord& row : tests) stage.OnTrialCreated(row);
  stage.OnMetrics(tests[0], GoodCurve());

  TrialRecord ended = tests[0];
  ended.state = TrialState::kCompleted;
  EXPECT_THAT(stage.AfterTrialsEnd({ended}, {}), IsEmpty()) << "test 1 still runs";
  stage.OnTrialEnded(ended);

  // Test 1's last points come with its ending.
  TrialRecord last = tests[1];
  last.state = TrialState::kDiverged;
  const std::vector<SearchOperation> created = stage.AfterTrialsEnd({last}, {{1, GoodCurve()}});
  ASSERT_THAT(created, SizeIs(10));
  const double steepest = *AnalyzeRangeTest(GoodCurve(), spec->range_test.value()).steepest_lr;
  EXPECT_EQ(created[0].kind, SearchOperation::Kind::kCreate);
  EXPECT_DOUBLE_EQ(created[0].created.lr, 0.5 * steepest);
  std::optional<RelativeLr> relative = RelativeLrFromPlan(created[0].created.plan_json);
  ASSERT_TRUE(relative.has_value());
  EXPECT_EQ(relative->range_test_trial, 0);
  EXPECT_DOUBLE_EQ(relative->pick, steepest);

  // Once they exist (live, or replayed after a restart), an ending adds nothing more.
  stage.OnTrialEnded(last);
  TrialRecord added = created[0].created;
  added.trial = 2;
  stage.OnTrialCreated(added);
  TrialRecord done = added;
  done.state = TrialState::kCompleted;
  EXPECT_THAT(stage.AfterTrialsEnd({done}, {}), IsEmpty());
}

TEST(RangeTestStageTest, StopsATestOnceItsSmoothedLossDivergesAndNotBefore) {
  absl::StatusOr<SweepSpec> spec = Parse(kPlanned);
  ASSERT_TRUE(spec.ok()) << spec.status();
  absl::StatusOr<SweepPlan> plan = PlanSweep(*spec);
  ASSERT_TRUE(plan.ok()) << plan.status();
  RangeTestStage stage(*spec, nullptr);
  TrialRecord test = Rows(plan->trials)[0];
  test.state = TrialState::kRunning;
  stage.OnTrialCreated(test);
  std::vector<MetricPoint> points = GoodCurve();
  stage.OnMetrics(test, points);
  EXPECT_THAT(stage.Decide(test), IsEmpty());
  MetricPoint blown = points.back();
  blown.step = 20;
  blown.train_loss = 1e6;
  stage.OnMetrics(test, {blown});
  const std::vector<SearchOperation> stop = stage.Decide(test);
  ASSERT_THAT(stop, SizeIs(1));
  EXPECT_EQ(stop[0].kind, SearchOperation::Kind::kStop);
  EXPECT_THAT(stop[0].reason, HasSubstr("range test complete"));
}

}  // namespace
}  // namespace lrsweep
