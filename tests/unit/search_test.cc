// Search methods as pure state machines: events in, operations out, no coordinator.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "search/median_stopping.h"
#include "search/search_method.h"
#include "search/successive_halving.h"
#include "sweep/sweep_planner.h"
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
  EXPECT_NE(*MakeSearchMethod(*spec), nullptr);

  // test_accuracy is measured at the end only: the rule watches val_accuracy.
  spec = ParseSweep(std::string(kSweepHead) +
                        "metric: {name: test_accuracy}\nearly_stopping: {rule: median}\n",
                    "s.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->early_stopping->metric, "val_accuracy");
  EXPECT_TRUE(spec->early_stopping->maximize);

  spec = ParseSweep(kSweepHead, "s.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(*MakeSearchMethod(*spec), nullptr);
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

// --- Successive halving ---

// A trial row of `rung` as the planner writes it: the plan names the rung.
TrialRecord RungRow(int64_t index, int64_t config, int64_t seed, int64_t rung) {
  TrialRecord row;
  row.trial = index;
  row.config = config;
  row.seed = seed;
  row.plan_json = "{\"trial\": " + std::to_string(index) + ", \"rung\": " + std::to_string(rung) + "}";
  row.total_steps = 10 * (rung + 1);
  return row;
}

// Holds a SuccessiveHalving and the rows it made, as the coordinator would.
class HalvingHarness {
 public:
  HalvingHarness(int64_t configs, int64_t seeds, int64_t rungs, bool maximize = true)
      : halving_(3, maximize, Planned(configs, seeds, rungs)) {
    for (int64_t c = 0; c < configs; ++c) {
      for (int64_t s = 0; s < seeds; ++s) Add(RungRow(0, c, s, 0));
    }
  }
  // Ends trial `index` with `score` (nullopt: diverged); returns the configurations promoted,
  // whose trials are added.
  std::vector<int64_t> End(int64_t index, std::optional<double> score) {
    return EndTogether({{index, score}});
  }
  // Ends several trials in one write, as a batch of completions is committed.
  std::vector<int64_t> EndTogether(
      const std::vector<std::pair<int64_t, std::optional<double>>>& ends) {
    std::vector<TrialRecord> ending;
    for (const auto& [index, score] : ends) {
      TrialRecord row = rows_.at(static_cast<size_t>(index));
      row.state = score ? TrialState::kCompleted : TrialState::kDiverged;
      row.score = score;
      ending.push_back(row);
    }
    std::vector<SearchOperation> ops = halving_.AfterTrialsEnd(ending, {});
    for (const TrialRecord& row : ending) {
      halving_.OnTrialEnded(row);
      rows_[static_cast<size_t>(row.trial)] = row;
    }
    std::vector<int64_t> promoted;
    for (const SearchOperation& op : ops) {
      EXPECT_EQ(op.kind, SearchOperation::Kind::kCreate);
      if (op.created.seed == 0) promoted.push_back(op.created.config);
      Add(op.created);
    }
    return promoted;
  }
  const TrialRecord& Row(int64_t index) const { return rows_.at(static_cast<size_t>(index)); }
  int64_t size() const { return static_cast<int64_t>(rows_.size()); }
  // The index of the trial of (config, seed, rung).
  int64_t Find(int64_t config, int64_t seed, int64_t rung) const {
    for (const TrialRecord& row : rows_) {
      if (row.config == config && row.seed == seed && SuccessiveHalving::RungOf(row) == rung) {
        return row.trial;
      }
    }
    return -1;
  }

 private:
  static std::vector<std::vector<TrialRecord>> Planned(int64_t configs, int64_t seeds,
                                                       int64_t rungs) {
    std::vector<std::vector<TrialRecord>> planned(static_cast<size_t>(rungs));
    for (int64_t r = 1; r < rungs; ++r) {
      for (int64_t c = 0; c < configs; ++c) {
        for (int64_t s = 0; s < seeds; ++s) planned[static_cast<size_t>(r)].push_back(RungRow(0, c, s, r));
      }
    }
    return planned;
  }
  void Add(TrialRecord row) {
    row.trial = size();
    row.state = TrialState::kPending;
    halving_.OnTrialCreated(row);
    rows_.push_back(row);
  }

  SuccessiveHalving halving_;
  std::vector<TrialRecord> rows_;
};

TEST(SuccessiveHalvingTest, PromotesTheBestThirdOfEachRungAsResultsArrive) {
  HalvingHarness h(/*configs=*/9, /*seeds=*/1, /*rungs=*/3);
  EXPECT_THAT(h.End(0, 0.50), IsEmpty());
  EXPECT_THAT(h.End(1, 0.70), IsEmpty());
  // Three results: the best one goes up at once, without waiting for the rung to fill.
  EXPECT_THAT(h.End(2, 0.60), ::testing::ElementsAre(1));
  // Four results: the top one is now config 3, not yet promoted; config 1 stays promoted (the
  // asynchronous rule never takes a promotion back).
  EXPECT_THAT(h.End(3, 0.90), ::testing::ElementsAre(3));
  EXPECT_THAT(h.End(4, 0.10), IsEmpty());
  EXPECT_THAT(h.End(5, 0.20), IsEmpty());                  // 6 results: top 2 = {3, 1}
  EXPECT_THAT(h.End(6, std::nullopt), IsEmpty());          // diverged: never promoted
  EXPECT_THAT(h.End(7, 0.30), IsEmpty());
  EXPECT_THAT(h.End(8, 0.40), ::testing::ElementsAre(2));  // 9 results: top 3 = {3, 1, 2}
  EXPECT_EQ(h.size(), 12);
  // Rung 1 (trials 9, 10, 11 of configs 1, 3, 2): the best of three reaches the last rung.
  EXPECT_EQ(SuccessiveHalving::RungOf(h.Row(9)), 1);
  EXPECT_THAT(h.End(h.Find(1, 0, 1), 0.75), IsEmpty());
  EXPECT_THAT(h.End(h.Find(3, 0, 1), 0.95), IsEmpty());
  EXPECT_THAT(h.End(h.Find(2, 0, 1), 0.65), ::testing::ElementsAre(3));
  // The last rung promotes nothing further.
  EXPECT_THAT(h.End(h.Find(3, 0, 2), 0.97), IsEmpty());
  EXPECT_EQ(h.size(), 13);
}

TEST(SuccessiveHalvingTest, ARungThatCanGetNoMoreConfigurationsPromotesItsBest) {
  // 6 configurations, rungs 1/9, 1/3, 1: rung 1 gets 2, and floor(2 / 3) = 0 would leave the
  // full run untrained.
  HalvingHarness h(/*configs=*/6, /*seeds=*/1, /*rungs=*/3);
  for (int64_t i = 0; i < 6; ++i) h.End(i, 0.5 - 0.1 * static_cast<double>(i));
  ASSERT_EQ(h.size(), 8);  // configs 0 and 1 at rung 1
  EXPECT_THAT(h.End(h.Find(0, 0, 1), 0.8), IsEmpty()) << "rung 1 still waits for config 1";
  EXPECT_THAT(h.End(h.Find(1, 0, 1), 0.9), ::testing::ElementsAre(1));
  EXPECT_EQ(h.Find(1, 0, 2), 8);
}

TEST(SuccessiveHalvingTest, AConfigurationIsJudgedOnTheMeanOfAllItsSeeds) {
  HalvingHarness h(/*configs=*/3, /*seeds=*/2, /*rungs=*/2, /*maximize=*/false);  // losses
  // Config 0 (trials 0, 1), config 1 (2, 3), config 2 (4, 5).
  EXPECT_THAT(h.End(0, 0.1), IsEmpty());
  EXPECT_THAT(h.End(2, 0.5), IsEmpty());
  EXPECT_THAT(h.End(4, 0.4), IsEmpty());
  EXPECT_THAT(h.End(3, 0.5), IsEmpty());  // two results (1: 0.5, ...): none promotable yet
  EXPECT_THAT(h.End(5, 0.4), IsEmpty());  // configs 1 and 2 done, 0 waits for its second seed
  // Config 0's mean (0.1 + 0.9) / 2 = 0.5 ties with config 1; config 2 (0.4) is the lowest loss.
  EXPECT_THAT(h.End(1, 0.9), ::testing::ElementsAre(2));
  EXPECT_EQ(h.size(), 8);  // both seeds of config 2 at rung 1
  EXPECT_EQ(h.Find(2, 1, 1), 7);
}

TEST(SuccessiveHalvingTest, TrialsEndingTogetherPromoteOnceAndAFailedSeedSinksItsConfiguration) {
  HalvingHarness h(/*configs=*/3, /*seeds=*/2, /*rungs=*/2);
  // Config 0 (trials 0, 1) has the best seed but the other diverged; config 1 (2, 3) beats 2 (4, 5).
  EXPECT_THAT(h.End(0, 0.99), IsEmpty());
  EXPECT_THAT(h.End(1, std::nullopt), IsEmpty());
  EXPECT_THAT(h.End(2, 0.5), IsEmpty());
  EXPECT_THAT(h.End(3, 0.5), IsEmpty());
  // The last two in one batch: one promotion, of config 1, with both its seeds.
  EXPECT_THAT(h.EndTogether({{4, 0.4}, {5, 0.4}}), ::testing::ElementsAre(1));
  EXPECT_EQ(h.size(), 8);
  EXPECT_EQ(h.Find(1, 0, 1), 6);
  EXPECT_EQ(h.Find(1, 1, 1), 7);
}

TEST(SuccessiveHalvingTest, RungsArePlannedWithTheirScheduleResolvedForTheShorterRun) {
  absl::StatusOr<SweepSpec> spec = ParseSweep(R"(name: halving
method: asha
reduction_factor: 3
train:
  model: {type: mlp, hidden: [4]}
  data: {type: synthetic, train_examples: 960, val_fraction: 0.25}
  epochs: 9
  batch_size: 8
schedule: {type: cosine, warmup: {steps: 18}, eta_min: 0.001}
parameters:
  schedule.lr: [0.1, 0.2, 0.3]
)", "s.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_THAT(RungFractions(*spec), ::testing::ElementsAre(::testing::DoubleEq(1.0 / 9),
                                                           ::testing::DoubleEq(1.0 / 3),
                                                           ::testing::DoubleEq(1.0)));
  absl::StatusOr<SweepPlan> rung0 = PlanSweep(*spec, 0);
  absl::StatusOr<SweepPlan> rung2 = PlanSweep(*spec, 2);
  ASSERT_TRUE(rung0.ok() && rung2.ok());
  ASSERT_THAT(rung0->trials, SizeIs(3));
  // 720 examples / 8 = 90 steps per epoch, 810 steps in the full run.
  EXPECT_EQ(rung2->trials[0].total_steps, 810);
  EXPECT_EQ(rung0->trials[0].total_steps, 90);
  EXPECT_EQ(*rung0->trials[0].schedule.warmup->steps, 2);  // 18 / 9
  EXPECT_EQ(*rung0->trials[0].schedule.t_max, 88);        // decays fully within the rung
  EXPECT_EQ(*rung2->trials[0].schedule.t_max, 792);
  EXPECT_EQ(rung2->trials[0].rung, 2);
  // The last rung is the trial a grid would run, but for its rung.
  const std::string halving_keys = "method: asha\nreduction_factor: 3\n";
  absl::StatusOr<SweepSpec> grid = ParseSweep(
      std::string(spec->text).replace(spec->text.find(halving_keys), halving_keys.size(), ""),
      "s.yaml");
  ASSERT_TRUE(grid.ok()) << grid.status();
  absl::StatusOr<SweepPlan> full = PlanSweep(*grid);
  nlohmann::ordered_json a = TrialPlanToJson(full->trials[1]);
  nlohmann::ordered_json b = TrialPlanToJson(rung2->trials[1]);
  b.erase("rung");
  b.erase("horizon_fraction");
  EXPECT_EQ(a.dump(), b.dump());
}

TEST(SuccessiveHalvingTest, SpecMistakesNameTheKey) {
  const std::string head = std::string(kSweepHead);
  struct Case {
    std::string yaml;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"method: asha\nreduction_factor: 1\n", "reduction_factor: must be at least 2"},
      {"method: asha\nmin_fraction: 1.5\n", "min_fraction: must be in (0, max_fraction = 1)"},
      {"method: asha\nmax_fraction: 0\n", "max_fraction: must be in (0, 1]"},
      {"reduction_factor: 3\n", "reduction_factor: only used with method: asha"},
      {"method: asha\nearly_stopping: {rule: median}\n", "not used with method: asha"},
      {"method: ashа\n", "unknown method"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<SweepSpec> spec = ParseSweep(head + c.yaml, "s.yaml");
    ASSERT_FALSE(spec.ok()) << c.yaml;
    EXPECT_THAT(std::string(spec.status().message()), HasSubstr(c.message)) << c.yaml;
  }
}

}  // namespace
}  // namespace lrsweep
