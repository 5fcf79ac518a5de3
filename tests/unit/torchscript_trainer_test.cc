// Training a user's TorchScript model on a user's tensors files: the same promises as the
// built-in models — the planned LR at every step (per param group), bit-identical resumes,
// divergence as a result — and clear errors for models and files that do not fit. The models
// and data are exported by tests/reference/export_user_model.py with Debian's python3-torch.
#include <fstream>
#include <map>

#include "artifact/local_artifacts.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sweep/sweep_planner.h"
#include "tests/unit/test_util.h"
#include "worker/trainer.h"

namespace lrsweep {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::TempDir;
using testing::UserModelDir;

std::string File(const std::string& name) { return UserModelDir() + "/" + name; }

class RecordingObserver : public TrainingObserver {
 public:
  explicit RecordingObserver(Trainer* trainer = nullptr) : trainer_(trainer) {}
  void OnPoint(const MetricPoint& point) override {
    points.push_back(point);
    if (trainer_ != nullptr) group_lrs.push_back(trainer_->GroupLrs());
  }
  StopRequest ShouldStop() override {
    return preempt_at >= 0 && static_cast<int64_t>(points.size()) >= preempt_at
               ? StopRequest::kPreempt
               : StopRequest::kNone;
  }
  void OnCheckpoint(int64_t step, std::string bytes) override { checkpoint = std::move(bytes); }

  std::vector<MetricPoint> points;
  std::vector<std::vector<double>> group_lrs;  // after each step's update
  int64_t preempt_at = -1;                     // points of this attempt before preempting
  std::string checkpoint;

 private:
  Trainer* trainer_;
};

// A trial of a user's sweep, planned the way the coordinator plans it, with its files located.
struct UserTrial {
  TrialConfig config;
  LocalFiles files;
};

absl::StatusOr<UserTrial> Plan(const std::string& train, const std::string& schedule,
                               const std::string& metric = "val_accuracy") {
  TempDir dir;
  const std::string file = dir.Write("sweep.yaml", "name: user\nmetric: {name: " + metric +
                                                       "}\ntrain:\n" + train +
                                                       "schedule: " + schedule + "\n");
  absl::StatusOr<SweepSpec> sweep = LoadSweepFile(file);
  if (!sweep.ok()) return sweep.status();
  absl::StatusOr<LocalArtifacts> local = ReadLocalArtifacts(*sweep);
  if (!local.ok()) return local.status();
  sweep->artifacts = local->manifest;
  absl::StatusOr<SweepPlan> plan = PlanSweep(*sweep);
  if (!plan.ok()) return plan.status();
  absl::StatusOr<TrialConfig> config = ParseTrialConfig(TrialPlanToJson(plan->trials[0]).dump());
  if (!config.ok()) return config.status();
  UserTrial trial{*config, {}};
  for (const auto& [path, ref] : local->manifest) trial.files[ref.sha256] = local->local_paths[path];
  if (trial.config.train.model.type == "torchscript") {
    trial.config.model_file = trial.files[trial.config.train.model.file.sha256];
  }
  return trial;
}

std::string Tagger(const std::string& extra = "") {
  return "  model: {type: torchscript, path: " + File("tagger.pt") + "}\n" +
         "  data: {type: tensors, train: " + File("cls-train.pt") + ", val: " + File("cls-val.pt") +
         ", test: " + File("cls-test.pt") + "}\n  batch_size: 32\n  epochs: 2\n" + extra;
}

// Init()s a trainer for `trial`, restoring `checkpoint` if given.
absl::StatusOr<std::unique_ptr<Trainer>> Start(const UserTrial& trial,
                                               const std::string& checkpoint = "") {
  absl::StatusOr<std::shared_ptr<const DataSplits>> data =
      LoadData(trial.config.train.data, torch::kCPU, trial.files);
  if (!data.ok()) return data.status();
  auto trainer = std::make_unique<Trainer>(trial.config, *data, TrainerOptions{});
  if (absl::Status status = trainer->Init(); !status.ok()) return status;
  if (!checkpoint.empty()) {
    if (absl::Status status = trainer->Restore(checkpoint); !status.ok()) return status;
  }
  return trainer;
}

std::vector<torch::Tensor> Parameters(Trainer& trainer) {
  std::vector<torch::Tensor> out;
  for (auto& [name, parameter] : trainer.model().NamedParameters()) out.push_back(parameter.clone());
  return out;
}

TEST(TorchScriptTrainerTest, EvaluatesLikePyTorchBeforeTraining) {
  std::ifstream in(File("reference.json"));
  const nlohmann::json reference = nlohmann::json::parse(in);
  absl::StatusOr<UserTrial> tagger = Plan(Tagger(), "{type: constant, lr: 0.01}");
  ASSERT_TRUE(tagger.ok()) << tagger.status();
  absl::StatusOr<std::unique_ptr<Trainer>> trainer = Start(*tagger);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  const DataSplits& data = *LoadData(tagger->config.train.data, torch::kCPU, tagger->files).value();
  const Evaluation eval = (*trainer)->Evaluate(data.val);
  EXPECT_NEAR(eval.loss, reference["tagger_val_cross_entropy"].get<double>(), 1e-5);
  ASSERT_TRUE(eval.accuracy.has_value());
  EXPECT_NEAR(*eval.accuracy, reference["tagger_val_accuracy"].get<double>(), 1e-6);

  absl::StatusOr<UserTrial> regressor = Plan(
      "  model: {type: torchscript, path: " + File("regressor.pt") + "}\n  data: {type: tensors, "
      "train: " + File("reg-train.pt") + ", val: " + File("reg-val.pt") + "}\n  loss: mse\n"
      "  epochs: 1\n  batch_size: 50\n", "{type: constant, lr: 0.01}", "val_loss");
  ASSERT_TRUE(regressor.ok()) << regressor.status();
  absl::StatusOr<std::unique_ptr<Trainer>> fit = Start(*regressor);
  ASSERT_TRUE(fit.ok()) << fit.status();
  const DataSplits& reg = *LoadData(regressor->config.train.data, torch::kCPU, regressor->files).value();
  const Evaluation mse = (*fit)->Evaluate(reg.val);
  EXPECT_NEAR(mse.loss, reference["regressor_val_mse"].get<double>(), 1e-5);
  EXPECT_FALSE(mse.accuracy.has_value()) << "regression has no accuracy";
}

TEST(TorchScriptTrainerTest, EveryStepTrainsWithThePlannedLrInEachParamGroup) {
  absl::StatusOr<UserTrial> trial = Plan(
      Tagger("  loss: method\n  optimizer:\n    type: adamw\n    param_groups:\n"
             "      - {prefix: backbone., lr_scale: 0.1, weight_decay: 0.0}\n"),
      "{type: cosine, lr: 0.01, eta_min: 1.0e-4, warmup: {fraction: 0.1}}");
  ASSERT_TRUE(trial.ok()) << trial.status();
  absl::StatusOr<std::unique_ptr<Trainer>> trainer = Start(*trial);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  RecordingObserver observer(trainer->get());
  absl::StatusOr<TrainOutcome> outcome = (*trainer)->Train(&observer);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  ASSERT_EQ(static_cast<int64_t>(observer.points.size()), trial->config.total_steps);

  Schedule planned = Schedule::Create(trial->config.schedule, trial->config.horizon()).value();
  for (size_t step = 0; step < observer.points.size(); ++step) {
    const MetricPoint& point = observer.points[step];
    ASSERT_EQ(point.step, static_cast<int64_t>(step));
    ASSERT_DOUBLE_EQ(point.lr, planned.lr()) << "step " << step;
    // The update of step s used lr(s): the head (default group) at it, the backbone at 1/10.
    ASSERT_EQ(observer.group_lrs[step].size(), 2u);
    EXPECT_DOUBLE_EQ(observer.group_lrs[step][0], planned.lr()) << "step " << step;
    EXPECT_DOUBLE_EQ(observer.group_lrs[step][1], 0.1 * planned.lr()) << "step " << step;
    planned.Step();
  }
  EXPECT_TRUE(observer.points.back().test_accuracy.has_value());
  EXPECT_GT(*observer.points.back().val_accuracy, 0.3) << "the tagger learns (chance: 0.2)";
}

TEST(TorchScriptTrainerTest, PreemptedFourTimesEndsBitIdenticalToAnUndisturbedRun) {
  const std::string train =
      Tagger("  optimizer: {type: sgd, momentum: 0.9, weight_decay: 1.0e-4}\n");
  const std::string schedule = "{type: onecycle, lr: 0.05}";
  absl::StatusOr<UserTrial> trial = Plan(train, schedule);
  ASSERT_TRUE(trial.ok()) << trial.status();
  absl::StatusOr<std::unique_ptr<Trainer>> undisturbed = Start(*trial);
  ASSERT_TRUE(undisturbed.ok()) << undisturbed.status();
  RecordingObserver reference;
  ASSERT_TRUE((*undisturbed)->Train(&reference).ok());

  std::vector<MetricPoint> points;
  std::string checkpoint;
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<std::unique_ptr<Trainer>> trainer = Start(*trial, checkpoint);
    ASSERT_TRUE(trainer.ok()) << trainer.status();
    RecordingObserver observer;
    observer.preempt_at = attempt < 4 ? 7 + 3 * attempt : -1;
    absl::StatusOr<TrainOutcome> outcome = (*trainer)->Train(&observer);
    points.insert(points.end(), observer.points.begin(), observer.points.end());
    if (outcome.ok()) {
      EXPECT_EQ(attempt, 4);
      const std::vector<torch::Tensor> expected = Parameters(**undisturbed);
      const std::vector<torch::Tensor> actual = Parameters(**trainer);
      ASSERT_EQ(actual.size(), expected.size());
      for (size_t i = 0; i < actual.size(); ++i) EXPECT_TRUE(torch::equal(actual[i], expected[i]));
      break;
    }
    ASSERT_TRUE(absl::IsAborted(outcome.status())) << outcome.status();
    ASSERT_FALSE(observer.checkpoint.empty());
    checkpoint = observer.checkpoint;
  }
  ASSERT_EQ(points.size(), reference.points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    EXPECT_EQ(points[i].train_loss, reference.points[i].train_loss) << "step " << i;
    EXPECT_EQ(points[i].val_loss, reference.points[i].val_loss) << "step " << i;
  }
  EXPECT_EQ(points.back().test_accuracy, reference.points.back().test_accuracy);
}

TEST(TorchScriptTrainerTest, ATooHighLrDivergesWithItsStepAndLr) {
  absl::StatusOr<UserTrial> trial =
      Plan(Tagger("  optimizer: {type: sgd, momentum: 0.9}\n"), "{type: constant, lr: 80.0}");
  ASSERT_TRUE(trial.ok()) << trial.status();
  absl::StatusOr<std::unique_ptr<Trainer>> trainer = Start(*trial);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  RecordingObserver observer;
  absl::StatusOr<TrainOutcome> outcome = (*trainer)->Train(&observer);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->diverged);
  EXPECT_THAT(outcome->reason, AllOf(HasSubstr("diverged at step"), HasSubstr("(lr 80)")));
  EXPECT_LT(static_cast<int64_t>(observer.points.size()), trial->config.total_steps);
}

TEST(TorchScriptTrainerTest, AModelWhoseOutputDoesNotFitTheLossFailsWithTheShapes) {
  absl::StatusOr<UserTrial> trial =
      Plan(Tagger("  loss: mse\n"), "{type: constant, lr: 0.01}", "val_loss");
  ASSERT_TRUE(trial.ok()) << trial.status();
  absl::StatusOr<std::unique_ptr<Trainer>> trainer = Start(*trial);
  ASSERT_FALSE(trainer.ok());
  EXPECT_EQ(trainer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(trainer.status().message()),
              AllOf(HasSubstr("tagger.pt failed on one batch of"), HasSubstr("cls-train.pt"),
                    HasSubstr("[2, 5] does not fit loss mse"), HasSubstr("[2]")));
}

TEST(TorchScriptTrainerTest, MisconfiguredModelsAreNamedWithWhatToDo) {
  absl::StatusOr<UserTrial> no_method = Plan(
      "  model: {type: torchscript, path: " + File("regressor.pt") + "}\n  data: {type: tensors, "
      "train: " + File("reg-train.pt") + "}\n  loss: method\n  epochs: 1\n",
      "{type: constant, lr: 0.01}", "val_loss");
  ASSERT_TRUE(no_method.ok()) << no_method.status();
  absl::StatusOr<std::unique_ptr<Trainer>> trainer = Start(*no_method);
  ASSERT_FALSE(trainer.ok());
  EXPECT_THAT(std::string(trainer.status().message()),
              AllOf(HasSubstr("regressor.pt"), HasSubstr("no loss(inputs, targets)"),
                    HasSubstr("@torch.jit.export")));

  absl::StatusOr<UserTrial> bad_group = Plan(
      Tagger("  optimizer:\n    type: sgd\n    param_groups: [{prefix: encoder., lr_scale: 0.1}]\n"),
      "{type: constant, lr: 0.01}");
  ASSERT_TRUE(bad_group.ok()) << bad_group.status();
  trainer = Start(*bad_group);
  ASSERT_FALSE(trainer.ok());
  EXPECT_THAT(std::string(trainer.status().message()),
              AllOf(HasSubstr("param_groups[0].prefix 'encoder.' matches no parameter"),
                    HasSubstr("backbone.0.weight"), HasSubstr("head.bias")));

  UserTrial not_scripted = *Plan(Tagger(), "{type: constant, lr: 0.01}");
  not_scripted.config.model_file = File("broken/state-dict-model.pt");
  trainer = Start(not_scripted);
  ASSERT_FALSE(trainer.ok());
  EXPECT_THAT(std::string(trainer.status().message()),
              AllOf(HasSubstr("tagger.pt"), HasSubstr("not a TorchScript module"),
                    HasSubstr("torch.jit.script(model).save(path)")));
}

TEST(TorchScriptTrainerTest, RegressionTargetsCannotBeRankedByAccuracy) {
  absl::StatusOr<UserTrial> trial = Plan(
      "  model: {type: torchscript, path: " + File("regressor.pt") + "}\n  data: {type: tensors, "
      "train: " + File("reg-train.pt") + "}\n  loss: mse\n  epochs: 1\n",
      "{type: constant, lr: 0.01}");
  ASSERT_FALSE(trial.ok());
  EXPECT_THAT(std::string(trial.status().message()),
              AllOf(HasSubstr("metric val_accuracy needs class-index targets"),
                    HasSubstr("metric: {name: val_loss}")));
}

TEST(TorchScriptTrainerTest, TensorsFilesThatAreNotADictOfTensorsNameTheFileAndKey) {
  for (const auto& [file, says] : std::map<std::string, std::string>{
           {"broken/not-a-dict.pt", "not a dict of tensors"},
           {"broken/mismatch.pt", "disagree on the number of examples"},
           {"broken/list-targets.pt", "key 'targets' is not a tensor"}}) {
    absl::StatusOr<Dataset> data = LoadTensorsFile(File(file), file);
    ASSERT_FALSE(data.ok()) << file;
    EXPECT_THAT(std::string(data.status().message()), AllOf(HasSubstr(file), HasSubstr(says)));
  }
  // LibTorch 1.13 cannot read a one-key dict (pickle's SETITEM); `lrsweep submit` reads it and
  // names the missing key before any worker sees the file (artifact_test).
  absl::StatusOr<Dataset> one_key = LoadTensorsFile(File("broken/no-targets.pt"), "no-targets.pt");
  ASSERT_FALSE(one_key.ok());
  EXPECT_THAT(std::string(one_key.status().message()), HasSubstr("no-targets.pt"));
}

}  // namespace
}  // namespace lrsweep
