// The LibTorch trainer: real Fashion-MNIST learning, determinism, the schedule driving the
// optimizer, divergence as a result.
#include <chrono>
#include "worker/trainer.h"

#include <filesystem>
#include <map>
#include <set>

#include "sweep/sweep_planner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lrsweep {
namespace {

using ::testing::HasSubstr;

class RecordingObserver : public TrainingObserver {
 public:
  void OnPoint(const MetricPoint& point) override { points.push_back(point); }
  StopRequest ShouldStop() override {
    if (stop_after < 0 || int64_t(points.size()) < stop_after) return StopRequest::kNone;
    return preempt ? StopRequest::kPreempt : StopRequest::kStop;
  }
  bool CheckpointDue(int64_t step) override { return checkpoint_at.count(step) > 0; }
  void OnCheckpoint(int64_t step, std::string bytes) override { checkpoints[step] = bytes; }
  std::vector<MetricPoint> points;
  int64_t stop_after = -1;
  bool preempt = false;
  std::set<int64_t> checkpoint_at;
  std::map<int64_t, std::string> checkpoints;
};

TrialConfig Config(const std::string& sweep_yaml) {
  absl::StatusOr<SweepSpec> sweep = ParseSweep(sweep_yaml, "t.yaml");
  EXPECT_TRUE(sweep.ok()) << sweep.status();
  absl::StatusOr<SweepPlan> plan = PlanSweep(*sweep);
  EXPECT_TRUE(plan.ok()) << plan.status();
  absl::StatusOr<TrialConfig> config = ParseTrialConfig(TrialPlanToJson(plan->trials[0]).dump());
  EXPECT_TRUE(config.ok()) << config.status();
  return *config;
}

absl::StatusOr<TrainOutcome> TrainTrial(const TrialConfig& config, RecordingObserver* observer,
                                        const std::string& checkpoint = "") {
  absl::StatusOr<std::shared_ptr<const DataSplits>> data =
      LoadData(config.train.data, torch::kCPU);
  if (!data.ok()) return data.status();
  Trainer trainer(config, *data, TrainerOptions{});
  if (absl::Status status = trainer.Init(); !status.ok()) return status;
  if (!checkpoint.empty()) {
    if (absl::Status status = trainer.Restore(checkpoint); !status.ok()) return status;
  }
  return trainer.Train(observer);
}

constexpr char kSynthetic[] = R"(name: t
train:
  model: {type: mlp, hidden: [32]}
  data: {type: synthetic, train_examples: 1024, test_examples: 128, val_fraction: 0.25}
  optimizer: {type: sgd, momentum: 0.9}
  epochs: 2
  batch_size: 32
  accumulate: 2
schedule: {type: onecycle, lr: 0.1}
)";

TEST(TrainerTest, CnnPasses85PercentOnFashionMnistInOneEpoch) {
  if (!std::filesystem::exists(std::string(kDefaultFashionMnistPath) + "/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed (deploy/install-deps.sh installs it)";
  }
  torch::set_num_threads(2);
  RecordingObserver observer;
  absl::StatusOr<TrainOutcome> outcome = TrainTrial(Config(R"(name: t
train:
  model: {type: cnn}
  data: {type: fashion_mnist, val_fraction: 0.1}
  optimizer: {type: sgd, momentum: 0.9, weight_decay: 5.0e-4}
  epochs: 1
  batch_size: 128
schedule: {type: onecycle, lr: 0.1}
)"),
                                             &observer);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_FALSE(outcome->diverged);
  ASSERT_EQ(observer.points.size(), 422u);  // ceil(54000 / 128)
  ASSERT_TRUE(outcome->last.val_accuracy.has_value());
  EXPECT_GT(*outcome->last.val_accuracy, 0.85);
  EXPECT_GT(*outcome->last.test_accuracy, 0.84);
}

TEST(TrainerTest, CnnStaysUnder100KParametersAndMlpMatchesTheBenchmarkTable) {
  ModelSpec cnn;
  cnn.type = "cnn";
  std::shared_ptr<Model> model = MakeModel(cnn, 10);
  EXPECT_LT(CountParameters(*model), 100000);
  ModelSpec mlp;
  mlp.type = "mlp";
  mlp.hidden = {256, 128, 100};
  // 784*256+256 + 256*128+128 + 128*100+100 + 100*10+10
  EXPECT_EQ(CountParameters(*MakeModel(mlp, 10)), 247766);
  ModelSpec resnet;
  resnet.type = "resnet";
  EXPECT_EQ(MakeModel(resnet, 10)->forward(torch::zeros({2, 1, 28, 28})).sizes(),
            (std::vector<int64_t>{2, 10}));
}

TEST(TrainerTest, SameSeedGivesTheSameNumbers) {
  torch::set_num_threads(1);
  RecordingObserver first, second;
  ASSERT_TRUE(TrainTrial(Config(kSynthetic), &first).ok());
  ASSERT_TRUE(TrainTrial(Config(kSynthetic), &second).ok());
  ASSERT_EQ(first.points.size(), second.points.size());
  for (size_t i = 0; i < first.points.size(); ++i) {
    ASSERT_EQ(*first.points[i].train_loss, *second.points[i].train_loss) << "step " << i;
  }
  EXPECT_EQ(*first.points.back().val_accuracy, *second.points.back().val_accuracy);
}

TEST(TrainerTest, EveryStepUsesTheScheduleAndAccumulationCountsOptimizerSteps) {
  const TrialConfig config = Config(kSynthetic);
  RecordingObserver observer;
  ASSERT_TRUE(TrainTrial(config, &observer).ok());
  // 768 training examples, micro-batches of 32, 2 per step: 12 steps per epoch, 2 epochs.
  ASSERT_EQ(observer.points.size(), 24u);
  absl::StatusOr<Schedule> schedule = Schedule::Create(config.schedule, config.horizon());
  for (const MetricPoint& point : observer.points) {
    EXPECT_EQ(point.lr, schedule->lr()) << point.step;
    EXPECT_EQ(*point.momentum, *schedule->momentum()) << point.step;
    schedule->Step();
  }
  EXPECT_TRUE(observer.points[11].val_accuracy.has_value());  // evaluated at each epoch end
  EXPECT_FALSE(observer.points[10].val_accuracy.has_value());
}

TEST(TrainerTest, ExplodingLossEndsAsDivergedWithStepAndLr) {
  std::string yaml = kSynthetic;
  yaml.replace(yaml.find("lr: 0.1"), 7, "lr: 50.0");
  RecordingObserver observer;
  absl::StatusOr<TrainOutcome> outcome = TrainTrial(Config(yaml), &observer);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->diverged);
  EXPECT_THAT(outcome->reason, HasSubstr("diverged at step"));
  EXPECT_THAT(outcome->reason, HasSubstr("lr "));
  EXPECT_LT(observer.points.size(), 24u);
}

TEST(TrainerTest, StopsWhenTheObserverSaysSo) {
  RecordingObserver observer;
  observer.stop_after = 5;
  absl::StatusOr<TrainOutcome> outcome = TrainTrial(Config(kSynthetic), &observer);
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(observer.points.size(), 5u);
}

// Dropout and AdamW make the RNG and optimizer state matter; accumulation and a plateau schedule
// make the data position and schedule state matter.
constexpr char kStateful[] = R"(name: t
train:
  model: {type: mlp, hidden: [32], dropout: 0.2}
  data: {type: synthetic, train_examples: 1024, test_examples: 128, val_fraction: 0.25}
  optimizer: {type: adamw}
  epochs: 4
  batch_size: 32
  accumulate: 2
  eval_every_steps: 5
schedule: {type: plateau, lr: 0.003, patience: 0, factor: 0.5, warmup: {steps: 2}}
)";

TEST(TrainerTest, TheTestSetIsEvaluatedAtTheEndUnlessTurnedOff) {
  RecordingObserver tested;
  absl::StatusOr<TrainOutcome> with_test = TrainTrial(Config(kSynthetic), &tested);
  ASSERT_TRUE(with_test.ok()) << with_test.status();
  EXPECT_TRUE(with_test->last.test_accuracy.has_value());
  for (size_t i = 0; i + 1 < tested.points.size(); ++i) {
    EXPECT_FALSE(tested.points[i].test_accuracy.has_value()) << "step " << i;
  }

  std::string yaml = kSynthetic;
  yaml.replace(yaml.find("  accumulate: 2\n"), 0, "  test: false\n");
  RecordingObserver untested;
  absl::StatusOr<TrainOutcome> without = TrainTrial(Config(yaml), &untested);
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_FALSE(without->last.test_accuracy.has_value());
  // Ranking is unaffected: validation and training are the same numbers.
  EXPECT_EQ(without->last.val_accuracy, with_test->last.val_accuracy);
  EXPECT_EQ(without->last.train_loss, with_test->last.train_loss);
}

TEST(TrainerTest, ResumingFromACheckpointAtAnyStepIsBitIdentical) {
  torch::set_num_threads(1);
  const TrialConfig config = Config(kStateful);
  RecordingObserver uninterrupted;
  uninterrupted.checkpoint_at = {1, 7, 12, 13, 30, 47};
  absl::StatusOr<TrainOutcome> reference = TrainTrial(config, &uninterrupted);
  ASSERT_TRUE(reference.ok()) << reference.status();
  ASSERT_EQ(uninterrupted.points.size(), 48u);
  ASSERT_EQ(uninterrupted.checkpoints.size(), 6u);
  for (const auto& [step, bytes] : uninterrupted.checkpoints) {
    RecordingObserver resumed;
    absl::StatusOr<TrainOutcome> outcome = TrainTrial(config, &resumed, bytes);
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    ASSERT_EQ(resumed.points.size(), 48u - static_cast<size_t>(step)) << "from step " << step;
    for (size_t i = 0; i < resumed.points.size(); ++i) {
      const MetricPoint& a = uninterrupted.points[static_cast<size_t>(step) + i];
      const MetricPoint& b = resumed.points[i];
      ASSERT_EQ(a.step, b.step);
      ASSERT_EQ(a.lr, b.lr) << "LR jump at step " << a.step << " resuming from " << step;
      ASSERT_EQ(*a.train_loss, *b.train_loss) << "step " << a.step << " resuming from " << step;
      ASSERT_EQ(a.val_loss, b.val_loss) << "step " << a.step;
    }
    EXPECT_EQ(*outcome->last.val_accuracy, *reference->last.val_accuracy);
    EXPECT_EQ(*outcome->last.test_accuracy, *reference->last.test_accuracy);
  }
}

TEST(TrainerTest, PreemptionCheckpointsAtTheStepBoundary) {
  torch::set_num_threads(1);
  const TrialConfig config = Config(kStateful);
  RecordingObserver preempted;
  preempted.stop_after = 9;
  preempted.preempt = true;
  absl::StatusOr<TrainOutcome> outcome = TrainTrial(config, &preempted);
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kAborted);
  ASSERT_EQ(preempted.checkpoints.count(9), 1u);
  RecordingObserver rest, whole;
  ASSERT_TRUE(TrainTrial(config, &rest, preempted.checkpoints[9]).ok());
  ASSERT_TRUE(TrainTrial(config, &whole).ok());
  EXPECT_EQ(*rest.points.back().test_accuracy, *whole.points.back().test_accuracy);
  EXPECT_EQ(*rest.points.back().train_loss, *whole.points.back().train_loss);
}

TEST(TrainerTest, WallSecondsCountTrainingTimeOnceWhenCheckpointingEveryStep) {
  // A trial that checkpoints often must not count the time before each checkpoint again: its
  // wall_seconds stay within the time it actually trained, across a resume too.
  const TrialConfig config = Config(kSynthetic);
  RecordingObserver first;
  for (int64_t step = 1; step < config.total_steps; ++step) first.checkpoint_at.insert(step);
  first.stop_after = config.total_steps / 2;
  first.preempt = true;
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(absl::IsAborted(TrainTrial(config, &first).status()));
  RecordingObserver second;
  for (int64_t step = 1; step < config.total_steps; ++step) second.checkpoint_at.insert(step);
  ASSERT_TRUE(TrainTrial(config, &second, first.checkpoints.rbegin()->second).ok());
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_FALSE(second.points.empty());
  EXPECT_GT(second.points.back().wall_seconds, 0.0);
  EXPECT_LE(second.points.back().wall_seconds, elapsed);
  for (size_t i = 1; i < second.points.size(); ++i) {
    EXPECT_LE(second.points[i - 1].wall_seconds, second.points[i].wall_seconds);
  }
  EXPECT_GE(second.points.front().wall_seconds, first.points.back().wall_seconds);
}

TEST(TrainerTest, CorruptOrForeignCheckpointsAreRefused) {
  const TrialConfig config = Config(kStateful);
  RecordingObserver observer;
  observer.checkpoint_at = {5};
  ASSERT_TRUE(TrainTrial(config, &observer).ok());
  std::string bytes = observer.checkpoints[5];
  RecordingObserver unused;
  const std::string truncated = bytes.substr(0, bytes.size() / 2);
  EXPECT_EQ(TrainTrial(config, &unused, truncated).status().code(), absl::StatusCode::kDataLoss);
  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 1;
  EXPECT_THAT(std::string(TrainTrial(config, &unused, flipped).status().message()),
              HasSubstr("checksum mismatch"));
  TrialConfig other = config;
  other.seed = 7;
  EXPECT_EQ(TrainTrial(other, &unused, bytes).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(TrainerTest, MissingDatasetIsAClearError) {
  DataSpec spec;
  spec.path = "/nonexistent";
  absl::StatusOr<std::shared_ptr<const DataSplits>> data = LoadData(spec, torch::kCPU);
  EXPECT_THAT(std::string(data.status().message()), HasSubstr("dataset-fashion-mnist"));
}

}  // namespace
}  // namespace lrsweep
