// A user's own model and data, end to end through real processes: a TorchScript module and
// torch.save'd tensors exported from Python at test time (tests/reference/export_user_model.py),
// swept by `lrsweep run` and by `submit` to a separate coordinator, its files uploaded once and
// downloaded by workers that share no filesystem with the submitter; killed and preempted
// trials end bit-identical; a bad configuration fails its trial and leaves the worker serving.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/local_cluster.h"

namespace lrsweep {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::LocalCluster;
using testing::TempDir;
using testing::UserModelDir;

namespace fs = std::filesystem;

// Copies the user's files next to a sweep file that names them by relative paths, as a user's
// project directory would hold them.
std::string UserProject(const TempDir& dir, const std::string& sweep_body) {
  for (const char* file : {"tagger.pt", "cls-train.pt", "cls-val.pt", "cls-test.pt"}) {
    fs::copy_file(UserModelDir() + "/" + file, dir.path() + "/" + file,
                  fs::copy_options::overwrite_existing);
  }
  return dir.Write("sweep.yaml", sweep_body);
}

constexpr char kSweep[] = R"(name: tagger
metric: {name: val_accuracy}
checkpoint: {every_steps: 10}
train:
  model: {type: torchscript, path: tagger.pt}
  data: {type: tensors, train: cls-train.pt, val: cls-val.pt, test: cls-test.pt}
  optimizer:
    type: sgd
    momentum: 0.9
    param_groups: [{prefix: backbone., lr_scale: 0.5}]
  epochs: 3
  batch_size: 16
  eval_every_steps: 25
parameters:
  - schedule.type: cosine
    schedule.lr: [0.02, 0.05]
    schedule.eta_min: 1.0e-4
  - schedule.type: onecycle
    schedule.lr: 0.05
)";


TEST(OwnModelTest, RunSweepsAUsersModelOnTwoWorkers) {
  TempDir project;
  const std::string sweep = UserProject(project, kSweep);
  const testing::CommandResult run = testing::RunLrsweep(
      "run " + sweep + " --workers 2 --data-dir " + project.path() + "/data");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, AllOf(HasSubstr("uploading tagger.pt"), HasSubstr("uploading cls-train.pt")));
  EXPECT_THAT(run.out, AllOf(HasSubstr("3 trials: 3 COMPLETED"), HasSubstr("val_accuracy")));
}

TEST(OwnModelTest, SubmitUploadsOnceAndWorkersDownloadAndVerify) {
  TempDir project;
  const std::string file = UserProject(project, kSweep);
  LocalCluster cluster;
  cluster.StartWorker();
  cluster.StartWorker();
  std::string log;
  const std::string sweep = cluster.SubmitFile(file, &log);
  EXPECT_THAT(log, AllOf(HasSubstr("uploading tagger.pt"), HasSubstr("uploading cls-val.pt")));
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(240))) << cluster.dir();
  for (const v1::TrialInfo& trial : cluster.Trials(sweep)) {
    EXPECT_EQ(trial.state(), v1::COMPLETED) << trial.trial() << ": " << trial.reason();
    const nlohmann::json final = nlohmann::json::parse(trial.final_metrics_json());
    EXPECT_GT(final.at("test_accuracy").get<double>(), 0.3) << "chance is 0.2";
  }
  EXPECT_THAT(cluster.WorkerLog(0) + cluster.WorkerLog(1), HasSubstr("downloading tagger.pt"));

  const std::string again = cluster.SubmitFile(file, &log);
  EXPECT_NE(again, sweep);
  EXPECT_THAT(log, Not(HasSubstr("uploading"))) << "the coordinator has every file already";
  ASSERT_TRUE(cluster.WaitUntilFinished(again, absl::Seconds(240)));
  EXPECT_EQ(cluster.FinalMetrics(again), cluster.FinalMetrics(sweep));
}

TEST(OwnModelTest, KilledAndPreemptedTrialsEndBitIdenticalToAnUndisturbedRun) {
  TempDir project;
  std::string longer = kSweep;  // twice the steps, so that interruptions meet running trials
  longer.replace(longer.find("epochs: 3"), 9, "epochs: 6");
  const std::string file = UserProject(project, longer);
  std::map<int64_t, std::string> reference;
  {
    LocalCluster undisturbed;
    undisturbed.StartWorker();
    undisturbed.StartWorker();
    const std::string sweep = undisturbed.SubmitFile(file);
    ASSERT_TRUE(undisturbed.WaitUntilFinished(sweep, absl::Seconds(240)));
    reference = undisturbed.FinalMetrics(sweep);
  }
  LocalCluster cluster({.heartbeat_ms = 100, .lease_timeout_ms = 500});
  std::vector<int> live = {cluster.StartWorker(), cluster.StartWorker()};
  const std::string sweep = cluster.SubmitFile(file);
  const int interruptions =
      cluster.InterruptWorkers(sweep, 6, absl::Milliseconds(900), SIGKILL, live);
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(240))) << cluster.dir();
  EXPECT_GE(interruptions, 3);
  int64_t preemptions = 0;
  for (const v1::TrialInfo& trial : cluster.Trials(sweep)) {
    EXPECT_EQ(trial.state(), v1::COMPLETED) << trial.trial() << ": " << trial.reason();
    preemptions += trial.preemptions();
  }
  EXPECT_GE(preemptions, 1);
  EXPECT_EQ(cluster.FinalMetrics(sweep), reference);
}

TEST(OwnModelTest, ABadConfigurationFailsItsTrialAndTheWorkerServesOn) {
  TempDir project;
  const std::string file = UserProject(project, R"(name: tagger-mixed
metric: {name: val_loss}
max_failures: 1
train:
  model: {type: torchscript, path: tagger.pt}
  data: {type: tensors, train: cls-train.pt, val: cls-val.pt}
  optimizer: {type: sgd, momentum: 0.9}
  epochs: 1
  batch_size: 32
schedule: {type: constant}
parameters:
  - train.loss: mse
    schedule.lr: 0.01
  - train.loss: cross_entropy
    schedule.lr: [80.0, 0.01]
)");
  LocalCluster cluster;
  cluster.StartWorker();
  const std::string sweep = cluster.SubmitFile(file);
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(120))) << cluster.dir();
  std::map<int64_t, v1::TrialInfo> trials;
  for (const v1::TrialInfo& trial : cluster.Trials(sweep)) trials[trial.trial()] = trial;
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[0].state(), v1::FAILED);
  EXPECT_THAT(trials[0].reason(), AllOf(HasSubstr("tagger.pt failed on one batch of cls-train.pt"),
                                        HasSubstr("does not fit loss mse")));
  EXPECT_EQ(trials[1].state(), v1::DIVERGED);
  EXPECT_THAT(trials[1].reason(), AllOf(HasSubstr("diverged at step"), HasSubstr("lr 80")));
  EXPECT_EQ(trials[2].state(), v1::COMPLETED) << trials[2].reason();
}

TEST(OwnModelTest, ASharedPathIsNotUploadedButStillDigestChecked) {
  TempDir project;
  UserProject(project, "");
  const std::string shared = project.path();
  const std::string file = project.Write("shared.yaml", R"(name: tagger-shared
train:
  model: {type: torchscript, path: )" + shared + R"(/tagger.pt, upload: false}
  data: {type: tensors, train: )" + shared + "/cls-train.pt, val: " + shared +
                                                           R"(/cls-val.pt, upload: false}
  epochs: 1
  batch_size: 64
schedule: {type: cosine, lr: 0.05}
)");
  LocalCluster cluster;
  std::string log;
  const std::string sweep = cluster.SubmitFile(file, &log);
  EXPECT_THAT(log, Not(HasSubstr("uploading")));
  // The file changes between submission and training: the trial must not train on it.
  std::ofstream(shared + "/cls-val.pt", std::ios::app) << "changed";
  cluster.StartWorker();
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(120))) << cluster.dir();
  const std::vector<v1::TrialInfo> trials = cluster.Trials(sweep);
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].state(), v1::FAILED);
  EXPECT_THAT(trials[0].reason(), AllOf(HasSubstr("cls-val.pt"),
                                        HasSubstr("changed since the sweep was submitted")));
}

}  // namespace
}  // namespace lrsweep
