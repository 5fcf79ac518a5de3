// The cnn's batch norm and training-time augmentation (train.model.batch_norm,
// train.data.augment): what each does to a batch, that they parse with clear errors, and that a
// trial using them still resumes bit-identically from any checkpoint.
#include "worker/augment.h"

#include <map>
#include <set>

#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sweep/sweep_planner.h"
#include "worker/models.h"
#include "worker/trainer.h"

namespace lrsweep {
namespace {

using ::testing::HasSubstr;

// Distinct values everywhere, so that any shift or mirror shows.
torch::Tensor Images(int64_t n) {
  return torch::arange(n * 28 * 28, torch::kFloat32).view({n, 1, 28, 28}) + 1;
}

TEST(AugmentTest, FlipsMirrorAboutHalfTheImagesAndLeaveTheRestAlone) {
  BatchAugmenter augmenter(AugmentSpec{0, true}, /*seed=*/3);
  const torch::Tensor original = Images(256);
  torch::Tensor batch = original.clone();
  augmenter.Apply(/*step=*/5, 0, &batch);
  int64_t flipped = 0;
  for (int64_t i = 0; i < 256; ++i) {
    const bool same = batch[i].equal(original[i]);
    const bool mirrored = batch[i].equal(original[i].flip({2}));
    ASSERT_TRUE(same || mirrored) << "image " << i << " is neither itself nor its mirror";
    flipped += mirrored ? 1 : 0;
  }
  EXPECT_GT(flipped, 90);   // binomial(256, 1/2): 128 +- 8
  EXPECT_LT(flipped, 166);
}

TEST(AugmentTest, CropsShiftEachImageWithinThePaddingAndFillWithZeros) {
  const int64_t pad = 2;
  BatchAugmenter augmenter(AugmentSpec{pad, false}, /*seed=*/3);
  const torch::Tensor original = Images(64);
  torch::Tensor batch = original.clone();
  augmenter.Apply(/*step=*/0, 0, &batch);
  const torch::Tensor padded = torch::constant_pad_nd(original, {pad, pad, pad, pad}, 0);
  std::set<std::pair<int64_t, int64_t>> offsets;
  for (int64_t i = 0; i < 64; ++i) {
    bool found = false;
    for (int64_t dy = 0; dy <= 2 * pad && !found; ++dy) {
      for (int64_t dx = 0; dx <= 2 * pad && !found; ++dx) {
        if (batch[i].equal(padded[i].narrow(1, dy, 28).narrow(2, dx, 28))) {
          found = true;
          offsets.emplace(dy, dx);
        }
      }
    }
    ASSERT_TRUE(found) << "image " << i << " is not a crop of its padded self";
  }
  EXPECT_GT(offsets.size(), 10u);  // 25 offsets drawn 64 times
}

TEST(AugmentTest, TheSameSeedStepAndMicroBatchGiveTheSameBatchAndOthersDiffer) {
  const AugmentSpec spec{2, true};
  auto augmented = [&](int64_t seed, int64_t step, int64_t micro_batch) {
    BatchAugmenter augmenter(spec, seed);
    torch::Tensor batch = Images(32);
    augmenter.Apply(step, micro_batch, &batch);
    return batch;
  };
  EXPECT_TRUE(augmented(1, 7, 0).equal(augmented(1, 7, 0)));
  EXPECT_FALSE(augmented(1, 7, 0).equal(augmented(1, 8, 0)));
  EXPECT_FALSE(augmented(1, 7, 0).equal(augmented(1, 7, 1)));
  EXPECT_FALSE(augmented(1, 7, 0).equal(augmented(2, 7, 0)));
  // A batch of another size (the epoch's last) is augmented too.
  BatchAugmenter augmenter(spec, 1);
  torch::Tensor small = Images(5);
  augmenter.Apply(0, 0, &small);
  EXPECT_FALSE(small.equal(Images(5)));
}

TEST(AugmentTest, BatchNormCnnStaysUnder100KParametersAndEvaluatesWithRunningStatistics) {
  ModelSpec spec;
  spec.batch_norm = true;
  std::shared_ptr<Model> model = MakeModel(spec, 10);
  EXPECT_LT(CountParameters(*model), 100000);
  EXPECT_EQ(model->named_buffers().size(), 6u);  // mean, var, count of two norms
  // In eval mode an image's output does not depend on the rest of its batch.
  model->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor batch = torch::randn({8, 1, 28, 28});
  const torch::Tensor alone = model->forward(batch.slice(0, 0, 1));
  EXPECT_TRUE(torch::allclose(model->forward(batch)[0], alone[0], 1e-5, 1e-6));
}

absl::StatusOr<SweepPlan> Plan(const std::string& train_yaml) {
  ASSIGN_OR_RETURN(SweepSpec sweep,
                   ParseSweep("name: t\ntrain:\n" + train_yaml + "schedule: {type: cosine, lr: 0.1}\n",
                              "t.yaml"));
  return PlanSweep(sweep);
}

TEST(AugmentTest, OptionsParseIntoThePlanAndMistakesNameTheKey) {
  absl::StatusOr<SweepPlan> plan = Plan(
      "  model: {type: cnn, batch_norm: true}\n"
      "  data: {type: synthetic, augment: {random_crop: 2, hflip: true}}\n  steps: 4\n");
  ASSERT_TRUE(plan.ok()) << plan.status();
  const nlohmann::ordered_json json = TrialPlanToJson(plan->trials[0]);
  EXPECT_EQ(json["train"]["model"]["batch_norm"], true);
  EXPECT_EQ(json["train"]["data"]["augment"]["random_crop"], 2);
  EXPECT_EQ(json["train"]["data"]["augment"]["hflip"], true);
  // The worker reads the plan back to the same options.
  absl::StatusOr<TrialConfig> config = ParseTrialConfig(json.dump());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->train.model.batch_norm);
  EXPECT_EQ(config->train.data.augment.random_crop, 2);
  EXPECT_TRUE(config->train.data.augment.hflip);
  // Left out, they leave no trace in the plan.
  plan = Plan("  model: {type: cnn}\n  steps: 4\n");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE(TrialPlanToJson(plan->trials[0])["train"]["model"].contains("batch_norm"));
  EXPECT_FALSE(TrialPlanToJson(plan->trials[0])["train"]["data"].contains("augment"));

  const std::pair<const char*, const char*> mistakes[] = {
      {"  model: {type: mlp, batch_norm: true}\n  steps: 4\n",
       "train.model.batch_norm: is an option of model type cnn"},
      {"  model: {type: resnet, batch_norm: true}\n  steps: 4\n", "resnet always normalizes"},
      {"  data: {type: synthetic, augment: {hflip: true, crop: 2}}\n  steps: 4\n",
       "train.data.augment"},
      {"  data: {type: synthetic, augment: {random_crop: 9}}\n  steps: 4\n",
       "train.data.augment.random_crop: must be at most 8"},
      {"  data: {type: synthetic, augment: {hflip: maybe}}\n  steps: 4\n",
       "train.data.augment.hflip"},
      {"  data: {type: synthetic, augment: true}\n  steps: 4\n", "train.data.augment"},
  };
  for (const auto& [yaml, message] : mistakes) {
    plan = Plan(yaml);
    EXPECT_TRUE(absl::IsInvalidArgument(plan.status())) << yaml;
    EXPECT_THAT(plan.status().message(), HasSubstr(message)) << yaml;
    EXPECT_THAT(plan.status().message(), HasSubstr("t.yaml:")) << yaml;
  }
}

class Checkpoints : public TrainingObserver {
 public:
  void OnPoint(const MetricPoint& point) override { points.push_back(point); }
  StopRequest ShouldStop() override { return StopRequest::kNone; }
  bool CheckpointDue(int64_t step) override { return checkpoint_at.count(step) > 0; }
  void OnCheckpoint(int64_t step, std::string bytes) override { saved[step] = std::move(bytes); }
  std::vector<MetricPoint> points;
  std::set<int64_t> checkpoint_at;
  std::map<int64_t, std::string> saved;
};

// A small batch-norm cnn on synthetic images with `augment` (a flow mapping, or empty for none).
std::string BatchNormCnn(const std::string& augment) {
  return R"(name: t
train:
  model: {type: cnn, channels: [4, 8], batch_norm: true}
  data: {type: synthetic, train_examples: 512, test_examples: 64, val_fraction: 0.25)" +
         (augment.empty() ? "" : ", augment: " + augment) + R"(}
  optimizer: {type: sgd, momentum: 0.9}
  epochs: 2
  batch_size: 32
  accumulate: 2
schedule: {type: cosine, lr: 0.05}
)";
}

const std::string kAugmentedCnn = BatchNormCnn("{random_crop: 2, hflip: true}");

absl::StatusOr<TrainOutcome> Train(const std::string& sweep_yaml, Checkpoints* observer,
                                   const std::string& checkpoint = "") {
  ASSIGN_OR_RETURN(SweepSpec sweep, ParseSweep(sweep_yaml, "t.yaml"));
  ASSIGN_OR_RETURN(SweepPlan plan, PlanSweep(sweep));
  ASSIGN_OR_RETURN(TrialConfig config, ParseTrialConfig(TrialPlanToJson(plan.trials[0]).dump()));
  ASSIGN_OR_RETURN(std::shared_ptr<const DataSplits> data,
                   LoadData(config.train.data, torch::kCPU));
  Trainer trainer(config, data, TrainerOptions{});
  RETURN_IF_ERROR(trainer.Init());
  if (!checkpoint.empty()) RETURN_IF_ERROR(trainer.Restore(checkpoint));
  return trainer.Train(observer);
}

TEST(AugmentTest, AnAugmentedBatchNormTrialResumesBitIdenticallyAndAugmentationChangesTraining) {
  torch::set_num_threads(1);
  Checkpoints whole;
  whole.checkpoint_at = {3, 6, 11};  // mid-epoch, and the first step of the second epoch
  absl::StatusOr<TrainOutcome> reference = Train(kAugmentedCnn, &whole);
  ASSERT_TRUE(reference.ok()) << reference.status();
  ASSERT_EQ(whole.points.size(), 12u);  // ceil(384 / 32) = 12 batches = 6 steps per epoch
  for (const auto& [step, bytes] : whole.saved) {
    Checkpoints resumed;
    absl::StatusOr<TrainOutcome> outcome = Train(kAugmentedCnn, &resumed, bytes);
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    ASSERT_EQ(resumed.points.size(), whole.points.size() - static_cast<size_t>(step));
    for (size_t i = 0; i < resumed.points.size(); ++i) {
      ASSERT_EQ(*resumed.points[i].train_loss,
                *whole.points[static_cast<size_t>(step) + i].train_loss)
          << "step " << resumed.points[i].step << " resuming from " << step;
    }
    EXPECT_EQ(*outcome->last.val_loss, *reference->last.val_loss);  // running statistics too
    EXPECT_EQ(*outcome->last.test_accuracy, *reference->last.test_accuracy);
  }
  // Same seed, same initial weights and data order: only the augmentation differs.
  Checkpoints unaugmented;
  ASSERT_TRUE(Train(BatchNormCnn(""), &unaugmented).ok());
  EXPECT_NE(*unaugmented.points[0].train_loss, *whole.points[0].train_loss);
}

TEST(AugmentTest, AugmentingInputsThatAreNotImagesIsRefusedBeforeTraining) {
  // The built-in data are images; a trainer given flat inputs says what is wrong.
  absl::StatusOr<SweepSpec> sweep = ParseSweep(kAugmentedCnn, "t.yaml");
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  absl::StatusOr<SweepPlan> plan = PlanSweep(*sweep);
  ASSERT_TRUE(plan.ok()) << plan.status();
  absl::StatusOr<TrialConfig> parsed = ParseTrialConfig(TrialPlanToJson(plan->trials[0]).dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  auto flat = std::make_shared<DataSplits>();
  flat->train.inputs = torch::randn({64, 784});
  flat->train.targets = torch::randint(10, {64}, torch::kLong);
  flat->num_classes = 10;
  Trainer trainer(*parsed, flat, TrainerOptions{});
  const absl::Status status = trainer.Init();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("train.data.augment crops and flips images"));
  EXPECT_THAT(status.message(), HasSubstr("[64, 784]"));
}

}  // namespace
}  // namespace lrsweep
