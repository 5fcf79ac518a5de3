// Search methods as pure state machines: events in, operations out, no coordinator.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "search/median_stopping.h"
#include "search/search_method.h"
#include "sweep/sweep_spec.h"

namespace lrsweep {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kSweepHead[] = R"(name: stopping
train:
  model: {type: mlp, hidden: [4]}
  data: {type: synthetic, train_examples: 100, val_fraction: 0.2}
  steps: 100
  batch_size: 10
parameters:
  schedule.type: constant
  schedule.lr: [0.1, 0.2]
)";

EarlyStoppingSpec Spec(double grace = 0.25, int64_t min_trials = 3, bool maximize = true) {
  EarlyStoppingSpec spec;
  spec.metric = maximize ? "val_accuracy" : "val_loss";
  spec.maximize = maximize;
  spec.grace_fraction = grace;
  spec.min_trials = min_trials;
  return spec;
}

TrialRecord Running(int64_t index, int64_t total_steps = 100) {
  TrialRecord trial;
  trial.trial = index;
  trial.total_steps = total_steps;
  trial.state = TrialState::kRunning;
  return trial;
}

MetricPoint Point(int64_t step, double accuracy) {
  MetricPoint point;
  point.step = step;
  point.val_accuracy = accuracy;
  point.val_loss = 1.0 - accuracy;
  return point;
}

// Trials 0..n-1 complete, each measuring `accuracy` + 0.01 * index at steps 25, 50, 75, 100.
void CompleteTrials(SearchMethod& method, int n, double accuracy) {
  for (int i = 0; i < n; ++i) {
    TrialRecord trial = Running(i);
    method.OnMetrics(trial, {Point(25, accuracy + 0.01 * i), Point(50, accuracy + 0.01 * i),
                             Point(75, accuracy + 0.01 * i), Point(100, accuracy + 0.01 * i)});
    trial.state = TrialState::kCompleted;
    method.OnTrialEnded(trial);
  }
}

TEST(MedianStoppingTest, ATrialBehindTheMedianOfCompletedTrialsIsStoppedWithTheReason) {
  MedianStoppingRule rule(Spec());
  CompleteTrials(rule, 3, 0.80);  // 0.80, 0.81, 0.82: median 0.81
  const TrialRecord behind = Running(7);
  rule.OnMetrics(behind, {Point(25, 0.5), Point(50, 0.6)});
  const std::vector<SearchOperation> ops = rule.Decide(behind);
  ASSERT_THAT(ops, SizeIs(1));
  EXPECT_EQ(ops[0].kind, SearchOperation::Kind::kStop);
  EXPECT_EQ(ops[0].trial, 7);
  EXPECT_THAT(ops[0].reason, HasSubstr("median rule"));
  EXPECT_THAT(ops[0].reason, HasSubstr("val_accuracy 0.6 by step 50 (50% of training)"));
  EXPECT_THAT(ops[0].reason, HasSubstr("median 0.81 of 3 completed trials"));

  const TrialRecord ahead = Running(8);
  rule.OnMetrics(ahead, {Point(25, 0.5), Point(50, 0.85)});
  EXPECT_THAT(rule.Decide(ahead), IsEmpty());
}

TEST(MedianStoppingTest, NothingIsStoppedInTheGracePeriodOrBeforeMinTrialsCompleted) {
  MedianStoppingRule rule(Spec(/*grace=*/0.5, /*min_trials=*/3));
  CompleteTrials(rule, 2, 0.80);
  TrialRecord behind = Running(7);
  rule.OnMetrics(behind, {Point(25, 0.1), Point(50, 0.1)});
  EXPECT_THAT(rule.Decide(behind), IsEmpty()) << "only 2 completed trials";
  CompleteTrials(rule, 3, 0.80);
  TrialRecord early = Running(9);
  rule.OnMetrics(early, {Point(25, 0.1)});
  EXPECT_THAT(rule.Decide(early), IsEmpty()) << "25% < grace 50%";
  EXPECT_THAT(rule.Decide(behind), SizeIs(1));
}

TEST(MedianStoppingTest, ATrialIsJudgedByItsBestSoFarAndOthersAtTheSameFractionOfTheirHorizon) {
  MedianStoppingRule rule(Spec(0.25, 3));
  // Completed trials with a 1000-step horizon: 0.6 by 25%, 0.9 by the end.
  for (int i = 0; i < 3; ++i) {
    TrialRecord trial = Running(i, 1000);
    rule.OnMetrics(trial, {Point(250, 0.6), Point(1000, 0.9)});
    trial.state = TrialState::kCompleted;
    rule.OnTrialEnded(trial);
  }
  // A 100-step trial at 30%: compared with their value at 30% (0.6), not their final 0.9.
  TrialRecord trial = Running(5, 100);
  rule.OnMetrics(trial, {Point(10, 0.7), Point(30, 0.65)});  // best so far 0.7
  EXPECT_THAT(rule.Decide(trial), IsEmpty());
  rule.OnMetrics(trial, {Point(30, 0.5)});  // a resumed attempt redid step 30: best is now 0.7
  EXPECT_THAT(rule.Decide(trial), IsEmpty());
  TrialRecord worse = Running(6, 100);
  rule.OnMetrics(worse, {Point(10, 0.55), Point(30, 0.58)});
  EXPECT_THAT(rule.Decide(worse), SizeIs(1));
}

TEST(MedianStoppingTest, MinimizedMetricsStopTheHigherLoss) {
  MedianStoppingRule rule(Spec(0.25, 3, /*maximize=*/false));
  CompleteTrials(rule, 3, 0.80);  // val_loss 0.2, 0.19, 0.18
  TrialRecord worse = Running(5);
  rule.OnMetrics(worse, {Point(50, 0.7)});  // val_loss 0.3
  const std::vector<SearchOperation> ops = rule.Decide(worse);
  ASSERT_THAT(ops, SizeIs(1));
  EXPECT_THAT(ops[0].reason, HasSubstr("val_loss 0.3 by step 50 (50% of training) is higher"));
  TrialRecord better = Running(6);
  rule.OnMetrics(better, {Point(50, 0.9)});
  EXPECT_THAT(rule.Decide(better), IsEmpty());
}

TEST(MedianStoppingTest, OnlyCompletedTrialsSetTheMedian) {
  MedianStoppingRule rule(Spec(0.25, 3));
  CompleteTrials(rule, 3, 0.80);
  // A diverged and a stopped trial with low values do not pull the median down.
  for (int i = 3; i < 6; ++i) {
    TrialRecord bad = Running(i);
    rule.OnMetrics(bad, {Point(50, 0.1), Point(100, 0.1)});
    bad.state = i == 3 ? TrialState::kDiverged : TrialState::kStopped;
    rule.OnTrialEnded(bad);
  }
  TrialRecord trial = Running(9);
  rule.OnMetrics(trial, {Point(50, 0.7)});
  EXPECT_THAT(rule.Decide(trial), SizeIs(1));
}

TEST(EarlyStoppingSpecTest, ParsedWithDefaultsFromTheSweepMetric) {
  absl::StatusOr<SweepSpec> spec =
      ParseSweep(std::string(kSweepHead) + "metric: {name: val_loss}\nearly_stopping: {rule: median}\n",
                 "s.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_TRUE(spec->early_stopping.has_value());
  EXPECT_EQ(spec->early_stopping->metric, "val_loss");
  EXPECT_FALSE(spec->early_stopping->maximize);
  EXPECT_DOUBLE_EQ(spec->early_stopping->grace_fraction, 0.25);
  EXPECT_EQ(spec->early_stopping->min_trials, 5);
  EXPECT_NE(MakeSearchMethod(*spec), nullptr);

  // test_accuracy is measured at the end only: the rule watches val_accuracy.
  spec = ParseSweep(std::string(kSweepHead) +
                        "metric: {name: test_accuracy}\nearly_stopping: {rule: median}\n",
                    "s.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->early_stopping->metric, "val_accuracy");
  EXPECT_TRUE(spec->early_stopping->maximize);

  spec = ParseSweep(kSweepHead, "s.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(MakeSearchMethod(*spec), nullptr);
}

TEST(EarlyStoppingSpecTest, MistakesNameTheKeyAndPosition) {
  struct Case {
    std::string yaml;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"early_stopping: {rule: medain}\n", "s.yaml:10:24: early_stopping.rule: unknown rule "
                                           "'medain'. Did you mean 'median'?"},
      {"early_stopping: {rule: median, grace: 0.2}\n", "s.yaml:10:32: early_stopping"},
      {"early_stopping: {rule: median, grace_fraction: 1.5}\n",
       "early_stopping.grace_fraction: must be in [0, 1)"},
      {"early_stopping: {rule: median, min_trials: 0}\n",
       "early_stopping.min_trials: must be at least 1"},
      {"early_stopping: {rule: median, metric: test_accuracy}\n",
       "'test_accuracy' is not measured while a trial trains"},
      {"early_stopping: {min_trials: 3}\n", "early_stopping.rule: missing"},
      {"early_stopping: median\n", "early_stopping"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<SweepSpec> spec = ParseSweep(std::string(kSweepHead) + c.yaml, "s.yaml");
    ASSERT_FALSE(spec.ok()) << c.yaml;
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(spec.status().message()), HasSubstr(c.message)) << c.yaml;
  }
}

}  // namespace
}  // namespace lrsweep
