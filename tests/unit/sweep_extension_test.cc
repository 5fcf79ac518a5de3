// Adding to a sweep from its edited file: only the trials it lacks, numbered after its own, with
// a new seed of an existing configuration joining that configuration.
#include "sweep/sweep_extension.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sweep/sweep_spec.h"

namespace lrsweep {
namespace {

constexpr char kSweep[] = R"(name: grow
seeds: [0]
train:
  model: {type: mlp, hidden: [4]}
  data: {type: synthetic, train_examples: 100, val_fraction: 0.2}
  steps: 10
  batch_size: 10
parameters:
  schedule.type: constant
  schedule.lr: [0.1, 0.2]
)";

std::vector<TrialRecord> Records(const std::string& yaml, const std::string& sweep_id) {
  absl::StatusOr<SweepSpec> spec = ParseSweep(yaml, "grow.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status();
  absl::StatusOr<SweepPlan> plan = PlanSweep(*spec);
  EXPECT_TRUE(plan.ok()) << plan.status();
  return TrialsToAdd(sweep_id, {}, *plan, 0);
}

SweepPlan Plan(const std::string& yaml) {
  return *PlanSweep(*ParseSweep(yaml, "grow.yaml"));
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

TEST(SweepExtensionTest, OnlyTheNewConfigurationsAndSeedsAreAddedAfterTheSweepsOwn) {
  const std::vector<TrialRecord> existing = Records(kSweep, "s");
  ASSERT_EQ(existing.size(), 2u);
  EXPECT_TRUE(TrialsToAdd("s", existing, Plan(kSweep), 5).empty()) << "the same file adds nothing";

  // A third LR and a second seed: the new LR is a new configuration for both seeds, and the
  // second seed of the two old LRs joins their configurations.
  const std::string edited =
      Replace(Replace(kSweep, "[0.1, 0.2]", "[0.1, 0.2, 0.4]"), "seeds: [0]", "seeds: [0, 1]");
  const std::vector<TrialRecord> added = TrialsToAdd("s", existing, Plan(edited), 5);
  ASSERT_EQ(added.size(), 4u);
  std::map<int64_t, int64_t> seeds_per_config;
  for (size_t i = 0; i < added.size(); ++i) {
    EXPECT_EQ(added[i].trial, static_cast<int64_t>(2 + i));
    EXPECT_EQ(added[i].sweep_id, "s");
    EXPECT_EQ(added[i].state, TrialState::kPending);
    EXPECT_EQ(nlohmann::json::parse(added[i].plan_json)["trial"], added[i].trial);
    const double lr = nlohmann::json::parse(added[i].params_json)["schedule.lr"];
    if (lr == 0.4) {
      EXPECT_EQ(added[i].config, 2);
    } else {
      EXPECT_EQ(added[i].seed, 1);
      EXPECT_EQ(added[i].config, lr == 0.1 ? existing[0].config : existing[1].config);
    }
    ++seeds_per_config[added[i].config];
  }
  EXPECT_EQ(seeds_per_config[2], 2);

  // A change to what every trial trains with makes every trial new.
  EXPECT_EQ(TrialsToAdd("s", existing, Plan(Replace(kSweep, "steps: 10", "steps: 20")), 5).size(),
            2u);
}

}  // namespace
}  // namespace lrsweep
