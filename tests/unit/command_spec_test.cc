// train.command sweeps: what the planner accepts and refuses, where relative working folders
// resolve, what a trial's plan hands the user's program; and the worker's checkpoint-folder
// archive (packed, unpacked, refused when damaged or of another trial).
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sweep/sweep_planner.h"
#include "sweep/sweep_spec.h"
#include "tests/unit/test_util.h"
#include "worker/checkpoint_folder.h"

namespace lrsweep {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

absl::StatusOr<SweepPlan> Plan(const std::string& train, const std::string& base_dir = "/work") {
  absl::StatusOr<SweepSpec> sweep = ParseSweep("name: s\ntrain:\n" + train +
                                                   "schedule: {type: cosine, lr: 0.1}\n"
                                                   "parameters:\n  train.args.dropout: [0.0, 0.2]\n",
                                               "s.yaml");
  if (!sweep.ok()) return sweep.status();
  sweep->base_dir = base_dir;
  return PlanSweep(*sweep);
}

TEST(CommandSpecTest, PlansTheScriptsHorizonArgsAndFolder) {
  absl::StatusOr<SweepPlan> plan = Plan(
      "  command: [python3, train.py]\n  workdir: project\n  epochs: 3\n  steps_per_epoch: 50\n"
      "  batch_size: 32\n  args: {dropout: 0.5, depth: 4}\n  checkpoint: {every_steps: 20}\n");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->trials.size(), 2u);
  const TrialPlan& trial = plan->trials[1];
  EXPECT_EQ(trial.total_steps, 150);
  EXPECT_EQ(trial.train.command->workdir, "/work/project");
  EXPECT_EQ(trial.train.command->args.at("dropout"), 0.2);
  EXPECT_EQ(trial.train.command->args.at("depth"), 4);
  EXPECT_EQ(trial.checkpoint.every_steps, 20);
  const nlohmann::ordered_json json = TrialPlanToJson(trial);
  EXPECT_EQ(json.at("train").at("command").dump(), R"(["python3","train.py"])");
  EXPECT_EQ(json.at("train").at("args").at("dropout"), 0.2);
}

TEST(CommandSpecTest, RefusesBuiltinKeysAndAnUnknownHorizonWithTheirPlace) {
  const std::string base = "  command: [python3, train.py]\n  batch_size: 32\n";
  EXPECT_THAT(Plan(base + "  steps: 10\n  optimizer: {type: sgd}\n").status().message(),
              AllOf(HasSubstr("s.yaml:"), HasSubstr("train.optimizer"),
                    HasSubstr("your program trains")));
  EXPECT_THAT(Plan(base + "  epochs: 3\n").status().message(),
              HasSubstr("needs train.steps_per_epoch"));
  EXPECT_THAT(Plan(base).status().message(), HasSubstr("give exactly one of train.steps"));
  EXPECT_THAT(Plan("  command: []\n  steps: 5\n").status().message(),
              HasSubstr("train.command: must be the program and its arguments"));
  EXPECT_THAT(Plan(base + "  steps: 5\n  env: {LRSWEEP_TRIAL: x}\n").status().message(),
              HasSubstr("set by the worker"));
  EXPECT_THAT(Plan(base + "  steps: 5\n", /*base_dir=*/"").status().message(),
              HasSubstr("relative to the sweep file's folder"));
  EXPECT_THAT(Plan("  epochs: 1\n  workdir: x\n").status().message(),
              HasSubstr("is an option of train.command"));
}

TEST(CheckpointFolderTest, PacksAndUnpacksAFolderOfTheSameTrialOnly) {
  testing::TempDir dir;
  namespace fs = std::filesystem;
  fs::create_directories(dir.path() + "/ckpt/sub");
  dir.Write("ckpt/state.pt", std::string("\0\1binary", 8));
  dir.Write("ckpt/sub/extra.json", "{}");
  const CheckpointIdentity identity{"s-1", 3, 40, 2, 0.75, 12.5};
  absl::StatusOr<std::string> bytes = PackCheckpointFolder(dir.path() + "/ckpt", identity);
  ASSERT_TRUE(bytes.ok()) << bytes.status();

  absl::StatusOr<CheckpointIdentity> unpacked =
      UnpackCheckpointFolder(*bytes, {"s-1", 3}, dir.path() + "/resume");
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  EXPECT_EQ(unpacked->step, 40);
  EXPECT_EQ(unpacked->first_train_loss, 0.75);
  EXPECT_EQ(unpacked->wall_seconds, 12.5);
  std::ifstream state(dir.path() + "/resume/state.pt", std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(state), {}), std::string("\0\1binary", 8));
  EXPECT_TRUE(fs::exists(dir.path() + "/resume/sub/extra.json"));

  EXPECT_TRUE(absl::IsFailedPrecondition(
      UnpackCheckpointFolder(*bytes, {"s-1", 4}, dir.path() + "/other").status()));
  std::string damaged = *bytes;
  damaged[damaged.size() / 3] ^= 0x5a;
  EXPECT_TRUE(absl::IsDataLoss(
      UnpackCheckpointFolder(damaged, {"s-1", 3}, dir.path() + "/bad").status()));
  EXPECT_TRUE(absl::IsDataLoss(
      UnpackCheckpointFolder("not a zip", {"s-1", 3}, dir.path() + "/bad").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      PackCheckpointFolder(dir.path() + "/missing", identity).status()));
}

}  // namespace
}  // namespace lrsweep
