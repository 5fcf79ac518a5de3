// method: tpe — the sampler learns where the good configurations are, and the search method adds
// one configuration per finished one, as a pure function of the trials it has seen.
#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "search/search_method.h"
#include "search/tpe_sampler.h"
#include "search/tpe_search.h"
#include "sweep/sweep_planner.h"
#include "sweep/sweep_spec.h"

namespace lrsweep {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kTpeSweep[] = R"(name: tpe
train:
  model: {type: mlp, hidden: [4]}
  data: {type: synthetic, train_examples: 100, val_fraction: 0.2}
  steps: 100
  batch_size: 10
method: tpe
count: 6
n_startup_trials: 2
seed: 7
parameters:
  schedule.type: [constant, cosine, linear]
  schedule.lr: {distribution: log_uniform, min: 1.0e-4, max: 1.0}
  schedule.warmup.fraction: {distribution: uniform, min: 0.0, max: 0.2}
)";

SweepSpec Sweep(std::string text) {
  absl::StatusOr<SweepSpec> spec = ParseSweep(text, "s.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

SweepSpec SamplerSweep() { return Sweep(kTpeSweep); }

// A synthetic objective: best at lr = 0.03 and a warmup of 5%, whatever the family.
double Loss(const ChosenConfiguration& c) {
  const double distance = std::log10(*c.values[1].number) - std::log10(0.03);
  const double warmup = *c.values[2].number - 0.05;
  return distance * distance + 10 * warmup * warmup;
}

// The best loss after `trials` sequential suggestions; TPE after `startup` random ones, or
// random throughout when startup >= trials.
double BestLoss(const TpeSampler& sampler, int trials, int startup, uint64_t seed) {
  std::vector<TpeObservation> observations;
  double best = 1e9;
  for (int n = 0; n < trials; ++n) {
    // Random search: suggestions from no observations are uniform draws.
    const ChosenConfiguration next = sampler.Suggest(
        n < startup ? std::vector<TpeObservation>{} : observations, seed * 1000 + n);
    const double loss = Loss(next);
    best = std::min(best, loss);
    observations.push_back({next, loss});
  }
  return best;
}

TEST(TpeSamplerTest, FindsABetterConfigurationThanRandomSearchWithTheSameTrials) {
  const TpeSampler sampler(SamplerSweep());
  int tpe_wins = 0;
  double tpe_sum = 0, random_sum = 0;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    const double tpe = BestLoss(sampler, 30, 10, seed);
    const double random = BestLoss(sampler, 30, 30, seed);
    tpe_wins += tpe < random ? 1 : 0;
    tpe_sum += tpe;
    random_sum += random;
  }
  EXPECT_GE(tpe_wins, 7);
  EXPECT_LT(tpe_sum, 0.6 * random_sum);
}

TEST(TpeSamplerTest, ConcentratesOnTheGoodRegion) {
  const TpeSampler sampler(SamplerSweep());
  std::vector<TpeObservation> observations;
  for (int n = 0; n < 40; ++n) {
    const ChosenConfiguration next = sampler.Suggest(n < 10 ? std::vector<TpeObservation>{}
                                                            : observations, 99 + n);
    observations.push_back({next, Loss(next)});
  }
  int near = 0;
  for (size_t n = 30; n < 40; ++n) {
    const ChosenConfiguration& c = observations[n].configuration;
    near += std::abs(std::log10(*c.values[1].number) - std::log10(0.03)) < 0.5 ? 1 : 0;
  }
  EXPECT_GE(near, 7);  // of the last 10; random search: 1 of 4 on average
}

TEST(TpeSamplerTest, RunningConfigurationsSpreadParallelSuggestionsAndFailuresAreAvoided) {
  const TpeSampler sampler(SamplerSweep());
  std::vector<TpeObservation> observations;
  for (int n = 0; n < 12; ++n) {
    const ChosenConfiguration next = sampler.Suggest({}, 500 + n);
    observations.push_back({next, Loss(next)});
  }
  // Eight suggestions in a row, each seeing the previous ones as running: all different.
  std::set<double> lrs;
  for (int n = 0; n < 8; ++n) {
    const ChosenConfiguration next = sampler.Suggest(observations, 900 + n);
    lrs.insert(*next.values[1].number);
    observations.push_back({next, std::nullopt});
  }
  EXPECT_THAT(lrs, SizeIs(8));

  // The same observations and seed give the same suggestion.
  const ChosenConfiguration a = sampler.Suggest(observations, 42);
  const ChosenConfiguration b = sampler.Suggest(observations, 42);
  EXPECT_EQ(*a.values[1].number, *b.values[1].number);
  EXPECT_EQ(a.values[0].index, b.values[0].index);

  // Every linear trial failed (no score) while constant and cosine scored: linear is avoided.
  std::vector<TpeObservation> failed;
  for (int n = 0; n < 30; ++n) {
    ChosenConfiguration c = sampler.Suggest({}, 2000 + n);
    failed.push_back({c, c.values[0].index == 2 ? std::nullopt : std::optional<double>(Loss(c))});
  }
  int linear = 0;
  for (int n = 0; n < 20; ++n) linear += sampler.Suggest(failed, 3000 + n).values[0].index == 2;
  EXPECT_LE(linear, 3);
}

// Drives a TpeSearch the way the coordinator does: trials created, ended in batches.
class TpeHarness {
 public:
  explicit TpeHarness(const SweepSpec& spec) : spec_(spec), tpe_(spec) {
    absl::StatusOr<SweepPlan> plan = PlanSweep(spec);
    EXPECT_TRUE(plan.ok()) << plan.status();
    for (const TrialPlan& trial : plan->trials) Add(NewTrialRecord(trial));
  }
  // Ends trials with scores (nullopt: diverged); returns the rows added.
  std::vector<TrialRecord> End(const std::vector<std::pair<int64_t, std::optional<double>>>& ends) {
    std::vector<TrialRecord> ending;
    for (const auto& [index, score] : ends) {
      TrialRecord row = rows_.at(static_cast<size_t>(index));
      row.state = score ? TrialState::kCompleted : TrialState::kDiverged;
      row.score = score;
      ending.push_back(row);
    }
    std::vector<SearchOperation> ops = tpe_.AfterTrialsEnd(ending, {});
    for (const TrialRecord& row : ending) {
      tpe_.OnTrialEnded(row);
      rows_[static_cast<size_t>(row.trial)] = row;
    }
    std::vector<TrialRecord> added;
    for (const SearchOperation& op : ops) {
      EXPECT_EQ(op.kind, SearchOperation::Kind::kCreate);
      added.push_back(Add(op.created));
    }
    return added;
  }
  const std::vector<TrialRecord>& rows() const { return rows_; }
  // A new method fed every row, as after a coordinator restart.
  std::vector<SearchOperation> ReplayedAfter(const std::vector<TrialRecord>& ending) const {
    TpeSearch replayed(spec_);
    for (const TrialRecord& row : rows_) {
      replayed.OnTrialCreated(row);
      if (IsFinal(row.state)) replayed.OnTrialEnded(row);
    }
    return replayed.AfterTrialsEnd(ending, {});
  }

 private:
  TrialRecord Add(TrialRecord row) {
    row.trial = static_cast<int64_t>(rows_.size());
    row.state = TrialState::kPending;
    tpe_.OnTrialCreated(row);
    rows_.push_back(row);
    return row;
  }

  SweepSpec spec_;
  TpeSearch tpe_;
  std::vector<TrialRecord> rows_;
};

TEST(TpeSearchTest, EachFinishedConfigurationAddsOneUntilCountAndFailuresCount) {
  const SweepSpec spec = SamplerSweep();
  TpeHarness h(spec);
  ASSERT_THAT(h.rows(), SizeIs(2));  // the random start
  EXPECT_THAT(h.End({{0, 0.8}}), SizeIs(1));
  EXPECT_THAT(h.End({{1, std::nullopt}}), SizeIs(1));  // a diverged one is an observation too
  // Two ending together add two different configurations.
  const std::vector<TrialRecord> two = h.End({{2, 0.7}, {3, 0.6}});
  ASSERT_THAT(two, SizeIs(2));
  EXPECT_NE(two[0].params_json, two[1].params_json);
  EXPECT_EQ(two[0].config, 4);
  EXPECT_EQ(two[1].config, 5);
  EXPECT_THAT(two[0].plan_json, HasSubstr("\"grid\":0"));
  // count: 6 configurations exist; the rest add nothing.
  EXPECT_THAT(h.End({{4, 0.5}}), IsEmpty());
}

TEST(TpeSearchTest, ARestartedMethodSuggestsWhatTheOriginalWould) {
  const SweepSpec spec = SamplerSweep();
  TpeHarness h(spec);
  h.End({{0, 0.8}});
  h.End({{1, 0.6}});
  TrialRecord ending = h.rows()[2];
  ending.state = TrialState::kCompleted;
  ending.score = 0.9;
  const std::vector<SearchOperation> replayed = h.ReplayedAfter({ending});
  const std::vector<TrialRecord> original = h.End({{2, 0.9}});
  ASSERT_THAT(replayed, SizeIs(1));
  ASSERT_THAT(original, SizeIs(1));
  EXPECT_EQ(replayed[0].created.params_json, original[0].params_json);
}

TEST(TpeSearchTest, SeedsOfAConfigurationAreAveragedBeforeItCounts) {
  std::string text = std::string(kTpeSweep) + "seeds: [0, 1]\n";
  TpeHarness h(Sweep(text));
  ASSERT_THAT(h.rows(), SizeIs(4));  // 2 configurations x 2 seeds
  EXPECT_THAT(h.End({{0, 0.8}}), IsEmpty());  // its other seed still runs
  const std::vector<TrialRecord> added = h.End({{1, 0.7}});
  ASSERT_THAT(added, SizeIs(2));  // the next configuration, with both seeds
  EXPECT_EQ(added[0].config, added[1].config);
  EXPECT_NE(added[0].seed, added[1].seed);
}

TEST(TpeSpecTest, MistakesNameTheKey) {
  const std::string text = kTpeSweep;
  absl::StatusOr<SweepSpec> spec = ParseSweep(text, "s.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->n_startup_trials, 2);
  EXPECT_NE(*MakeSearchMethod(*spec), nullptr);
  absl::StatusOr<SweepPlan> plan = PlanSweep(*spec);
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(plan->trials, SizeIs(2));

  std::string no_count = text;
  no_count.replace(no_count.find("count: 6\n"), 9, "");
  EXPECT_THAT(std::string(ParseSweep(no_count, "s.yaml").status().message()),
              HasSubstr("count: method: tpe needs count"));
  const std::string grid = R"(name: grid
train:
  model: {type: mlp, hidden: [4]}
  data: {type: synthetic, train_examples: 100, val_fraction: 0.2}
  steps: 100
  batch_size: 10
n_startup_trials: 3
parameters:
  schedule.type: constant
  schedule.lr: [0.1, 0.2]
)";
  EXPECT_THAT(std::string(ParseSweep(grid, "s.yaml").status().message()),
              HasSubstr("n_startup_trials: only used with method: tpe"));
}

}  // namespace
}  // namespace lrsweep
