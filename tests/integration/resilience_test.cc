// Preemption, crashes and zombies: none of them may change a sweep's result. Each test compares
// the final metrics of trials that were interrupted with those of an uninterrupted run of the same
// sweep, bit for bit (same thread count, CPU).
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "common/atomic_file.h"
#include "sweep/records.h"
#include "rpc/rpc_convert.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/local_cluster.h"

namespace lrsweep {
namespace {

using ::testing::HasSubstr;
using testing::LocalCluster;

// Six trials of 600 steps each, checkpointed every 50 steps; dropout, momentum and a plateau
// schedule make every piece of saved state matter.
constexpr char kSweep[] = R"(name: resilience
metric: {name: val_loss, goal: minimize}
seeds: [0, 1]
checkpoint: {every_steps: 50}
train:
  model: {type: mlp, hidden: [48], dropout: 0.1}
  data: {type: synthetic, train_examples: 1600, test_examples: 200, val_fraction: 0.25}
  optimizer: {type: sgd, momentum: 0.9}
  steps: 600
  batch_size: 16
  eval_every_steps: 100
schedule: {eta_min: 1.0e-4}
parameters:
  - schedule.type: cosine
    schedule.lr: 0.02
    schedule.warmup.fraction: 0.1
  - schedule.type: onecycle
    schedule.lr: 0.05
  - schedule.type: plateau
    schedule.lr: 0.02
    schedule.unit: step
    schedule.patience: 50
)";

// One longer trial, checkpointed every 200 steps, keeping 2.
constexpr char kLong[] = R"(name: resilience-long
checkpoint: {every_steps: 200, keep: 2}
train:
  model: {type: mlp, hidden: [64], dropout: 0.1}
  data: {type: synthetic, train_examples: 2048, test_examples: 200, val_fraction: 0.25}
  optimizer: {type: adamw}
  steps: 3000
  batch_size: 16
schedule: {type: cosine, lr: 0.002, eta_min: 1.0e-5, warmup: {fraction: 0.05}}
)";

// Runs `yaml` once without interruptions and returns its final metrics.
std::map<int64_t, std::string> Uninterrupted(const std::string& yaml) {
  LocalCluster cluster;
  cluster.StartWorker();
  cluster.StartWorker();
  const std::string sweep = cluster.Submit(yaml);
  EXPECT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(300)));
  return cluster.FinalMetrics(sweep);
}

// Every step 0..total-1 is logged exactly once, with the LR the schedule plans for it.
void ExpectCompleteHistory(LocalCluster& cluster, const std::string& sweep) {
  for (const v1::TrialInfo& trial : cluster.Trials(sweep)) {
    auto points = cluster.client().GetMetrics(sweep, trial.trial());
    ASSERT_TRUE(points.ok());
    ASSERT_EQ(static_cast<int64_t>(points->size()), trial.total_steps()) << trial.trial();
    for (size_t i = 0; i < points->size(); ++i) ASSERT_EQ((*points)[i].step(), int64_t(i));
  }
}

TEST(ResilienceTest, WorkersKilledAtRandomStepsChangeNoResult) {
  const std::map<int64_t, std::string> reference = Uninterrupted(kSweep);
  LocalCluster cluster({.heartbeat_ms = 100, .lease_timeout_ms = 500});
  std::vector<int> live = {cluster.StartWorker(), cluster.StartWorker()};
  const std::string sweep = cluster.Submit(kSweep);
  std::mt19937 rng(7);
  int kills = 0;
  for (int round = 0; round < 4 && !cluster.WaitUntilFinished(sweep, absl::ZeroDuration()); ++round) {
    absl::SleepFor(absl::Milliseconds(300 + rng() % 700));
    // Lost work is at most one checkpoint interval: no trial has reported more than every_steps
    // (50) steps past its newest committed checkpoint.
    for (const v1::TrialInfo& trial : cluster.Trials(sweep)) {
      EXPECT_LT(trial.step() - trial.checkpoint_step(), 50)
          << "trial " << trial.trial() << " at step " << trial.step() << ", checkpoint at "
          << trial.checkpoint_step();
    }
    const size_t victim = rng() % live.size();
    cluster.KillWorker(live[victim], SIGKILL);
    ++kills;
    live[victim] = cluster.StartWorker();
  }
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(300))) << cluster.dir();
  EXPECT_GE(kills, 2);
  int64_t preemptions = 0;
  for (const v1::TrialInfo& trial : cluster.Trials(sweep)) {
    EXPECT_EQ(trial.state(), v1::COMPLETED) << trial.trial() << ": " << trial.reason();
    EXPECT_EQ(trial.failures(), 0);
    preemptions += trial.preemptions();
  }
  EXPECT_GE(preemptions, 1);
  EXPECT_EQ(cluster.FinalMetrics(sweep), reference);
  ExpectCompleteHistory(cluster, sweep);
}

TEST(ResilienceTest, SigtermCheckpointsGivesTheTrialBackAndExitsZero) {
  const std::map<int64_t, std::string> reference = Uninterrupted(kLong);
  LocalCluster cluster;
  const int first = cluster.StartWorker();
  const std::string sweep = cluster.Submit(kLong);
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(60), [](const auto& trials) {
    return trials[0].state() == v1::RUNNING && trials[0].step() > 700;
  }));
  cluster.KillWorker(first, SIGTERM);
  EXPECT_EQ(cluster.WaitWorker(first, absl::Seconds(20)), 0);  // within the grace period
  v1::TrialInfo trial = cluster.Trials(sweep)[0];
  EXPECT_EQ(trial.state(), v1::PREEMPTED);
  EXPECT_EQ(trial.preemptions(), 1);
  EXPECT_GT(trial.checkpoint_step(), 700);  // the SIGTERM checkpoint, not the periodic one
  EXPECT_NE(trial.checkpoint_step() % 200, 0);
  const int second = cluster.StartWorker();
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(120)));
  EXPECT_THAT(cluster.WorkerLog(second), HasSubstr("resumed trial 0 from its checkpoint at step " +
                                                   std::to_string(trial.checkpoint_step())));
  trial = cluster.Trials(sweep)[0];
  EXPECT_EQ(trial.state(), v1::COMPLETED);
  EXPECT_EQ(trial.failures(), 0);
  EXPECT_EQ(cluster.FinalMetrics(sweep), reference);
  ExpectCompleteHistory(cluster, sweep);
}

TEST(ResilienceTest, AStoppedZombieCannotReportAfterAnotherWorkerFinished) {
  const std::map<int64_t, std::string> reference = Uninterrupted(kLong);
  LocalCluster cluster({.heartbeat_ms = 100, .lease_timeout_ms = 1000});
  const int zombie = cluster.StartWorker();
  const std::string sweep = cluster.Submit(kLong);
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(60), [](const auto& trials) {
    return trials[0].state() == v1::RUNNING && trials[0].step() > 300;
  }));
  kill(cluster.WorkerPid(zombie), SIGSTOP);
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(30), [](const auto& trials) {
    return trials[0].state() == v1::PREEMPTED;
  }));
  cluster.StartWorker();
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(120)));
  const std::map<int64_t, std::string> finished = cluster.FinalMetrics(sweep);
  kill(cluster.WorkerPid(zombie), SIGCONT);
  absl::SleepFor(absl::Seconds(2));
  EXPECT_THAT(cluster.WorkerLog(zombie), HasSubstr("lost the lease"));
  const v1::TrialInfo trial = cluster.Trials(sweep)[0];
  EXPECT_EQ(trial.state(), v1::COMPLETED);
  EXPECT_EQ(trial.attempts(), 2);
  EXPECT_EQ(cluster.FinalMetrics(sweep), finished);  // the zombie changed nothing
  EXPECT_EQ(finished, reference);
  ExpectCompleteHistory(cluster, sweep);
}

TEST(ResilienceTest, CoordinatorKilledMidSweepLosesNothing) {
  const std::map<int64_t, std::string> reference = Uninterrupted(kSweep);
  LocalCluster cluster({.heartbeat_ms = 100, .lease_timeout_ms = 3000});
  cluster.StartWorker();
  cluster.StartWorker();
  const std::string sweep = cluster.Submit(kSweep);
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(60), [](const auto& trials) {
    int64_t done = 0;
    for (const auto& trial : trials) done += trial.state() == v1::COMPLETED;
    return done >= 1 && done < 5;
  }));
  cluster.CrashAndRestartCoordinator();
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(300))) << cluster.dir();
  for (const v1::TrialInfo& trial : cluster.Trials(sweep)) {
    EXPECT_EQ(trial.state(), v1::COMPLETED) << trial.trial() << ": " << trial.reason();
  }
  EXPECT_EQ(cluster.FinalMetrics(sweep), reference);
  ExpectCompleteHistory(cluster, sweep);
}

// Successive halving: 9 configurations over rungs of 300, 900 and 2700 steps.
constexpr char kHalving[] = R"(name: resilience-halving
method: asha
reduction_factor: 3
checkpoint: {every_steps: 100}
train:
  model: {type: mlp, hidden: [32], dropout: 0.1}
  data: {type: synthetic, train_examples: 1600, test_examples: 200, val_fraction: 0.25}
  optimizer: {type: sgd, momentum: 0.9}
  steps: 2700
  batch_size: 16
  eval_every_steps: 100
schedule: {type: cosine, eta_min: 1.0e-4, warmup: {fraction: 0.1}}
parameters:
  schedule.lr: [0.003, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5]
)";

// A worker killed mid-trial and the coordinator killed after a promotion: with one worker the
// trials run in the same order, so the same configurations are promoted and every trial ends
// with the metrics of an uninterrupted run.
TEST(ResilienceTest, SuccessiveHalvingSurvivesKilledWorkersAndCoordinator) {
  std::map<int64_t, std::string> reference;
  {
    LocalCluster cluster;
    cluster.StartWorker();
    const std::string sweep = cluster.Submit(kHalving);
    ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(300)));
    reference = cluster.FinalMetrics(sweep);
  }
  ASSERT_GT(reference.size(), 10u) << "9 at rung 0 and promotions to rungs 1 and 2";
  LocalCluster cluster({.heartbeat_ms = 100, .lease_timeout_ms = 1500});
  const int worker = cluster.StartWorker();
  const std::string sweep = cluster.Submit(kHalving);
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(120), [](const auto& trials) {
    return trials.size() >= 9 && trials[4].state() == v1::RUNNING && trials[4].step() > 100;
  }));
  cluster.KillWorker(worker, SIGKILL);
  cluster.StartWorker();
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(120), [](const auto& trials) {
    return trials.size() > 9 && trials[9].state() == v1::RUNNING && trials[9].step() > 100;
  }));
  cluster.CrashAndRestartCoordinator();
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(300))) << cluster.dir();
  const std::vector<v1::TrialInfo> trials = cluster.Trials(sweep);
  ASSERT_EQ(trials.size(), reference.size());
  int64_t preemptions = 0;
  for (const v1::TrialInfo& trial : trials) {
    // The largest peak LRs diverge at rung 0, as they do uninterrupted.
    EXPECT_TRUE(trial.state() == v1::COMPLETED || trial.state() == v1::DIVERGED)
        << trial.trial() << ": " << trial.reason();
    EXPECT_EQ(trial.failures(), 0);
    preemptions += trial.preemptions();
  }
  EXPECT_GE(preemptions, 1);
  EXPECT_EQ(cluster.FinalMetrics(sweep), reference);
}

constexpr char kTpe[] = R"(name: resilience-tpe
method: tpe
count: 6
n_startup_trials: 2
seed: 3
checkpoint: {every_steps: 100}
train:
  model: {type: mlp, hidden: [32]}
  data: {type: synthetic, train_examples: 1600, test_examples: 200, val_fraction: 0.25}
  optimizer: {type: sgd, momentum: 0.9}
  steps: 600
  batch_size: 16
  eval_every_steps: 100
schedule: {type: cosine, eta_min: 1.0e-4}
parameters:
  schedule.lr: {distribution: log_uniform, min: 1.0e-3, max: 0.3}
)";

// TPE under a killed worker and a killed coordinator: with one worker the configurations end in
// the same order with the same scores, so TPE suggests the same ones, none twice and none lost,
// and every trial ends with the metrics of an uninterrupted run.
TEST(ResilienceTest, TpeSuggestsTheSameConfigurationsThroughKilledWorkersAndCoordinator) {
  std::map<int64_t, std::string> reference;
  std::vector<std::string> reference_params;
  {
    LocalCluster cluster;
    cluster.StartWorker();
    const std::string sweep = cluster.Submit(kTpe);
    ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(300)));
    reference = cluster.FinalMetrics(sweep);
    for (const v1::TrialInfo& trial : cluster.Trials(sweep)) {
      reference_params.push_back(trial.params_json());
    }
  }
  ASSERT_EQ(reference_params.size(), 6u);
  LocalCluster cluster({.heartbeat_ms = 100, .lease_timeout_ms = 1500});
  const int worker = cluster.StartWorker();
  const std::string sweep = cluster.Submit(kTpe);
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(120), [](const auto& trials) {
    return trials.size() >= 3 && trials[2].state() == v1::RUNNING && trials[2].step() > 150;
  }));
  cluster.KillWorker(worker, SIGKILL);
  cluster.StartWorker();
  // A configuration TPE suggested after the kill trains (one may diverge at once).
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(120), [](const auto& trials) {
    return std::any_of(trials.begin() + std::min<size_t>(3, trials.size()), trials.end(),
                       [](const v1::TrialInfo& t) {
                         return t.state() == v1::RUNNING && t.step() > 150;
                       });
  }));
  cluster.CrashAndRestartCoordinator();
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(300))) << cluster.dir();
  std::vector<std::string> params;
  int64_t preemptions = 0;
  for (const v1::TrialInfo& trial : cluster.Trials(sweep)) {
    EXPECT_TRUE(trial.state() == v1::COMPLETED || trial.state() == v1::DIVERGED)
        << trial.trial() << ": " << trial.reason();
    params.push_back(trial.params_json());
    preemptions += trial.preemptions();
  }
  EXPECT_EQ(params, reference_params);
  EXPECT_GE(preemptions, 1);
  EXPECT_EQ(cluster.FinalMetrics(sweep), reference);
}

// Two range tests (batch 16 and 32) of 1000 steps, then 4 trials at 0.3x and 1x their pick.
constexpr char kRangeTest[] = R"(name: resilience-range-test
metric: {name: val_loss}
checkpoint: {every_steps: 100}
lr_range_test: {min_lr: 1.0e-5, max_lr: 1.0, steps: 1000}
train:
  model: {type: mlp, hidden: [32]}
  data: {type: synthetic, train_examples: 1600, test_examples: 200, val_fraction: 0.25}
  optimizer: {type: sgd, momentum: 0.9}
  steps: 600
  eval_every_steps: 100
schedule: {type: cosine, eta_min: 1.0e-4}
parameters:
  train.batch_size: [16, 32]
  schedule.lr: {range_test: steepest, factors: [0.3, 1]}
)";

// The trials after the range tests, by index: their plan (with the peak LR from the pick) and
// final metrics.
std::map<int64_t, std::string> TrialsAfterRangeTests(LocalCluster& cluster,
                                                     const std::string& sweep) {
  // A range test stopped at its divergence has no final metrics.
  std::map<int64_t, std::string> after;
  for (const v1::TrialInfo& trial : cluster.Trials(sweep)) {
    if (trial.trial() < 2) continue;
    const nlohmann::json plan = nlohmann::json::parse(trial.plan_json());
    nlohmann::json finals = nlohmann::json::parse(trial.final_metrics_json());
    finals.erase("wall_seconds");
    after[trial.trial()] = plan["lr"].dump() + " " + finals.dump();
  }
  return after;
}

// A worker killed in the middle of the first range test and the coordinator killed in the
// middle of the second: the picks, the trials they give and those trials' results are those of
// an uninterrupted run, and no trial is added twice.
TEST(ResilienceTest, RangeTestsSurviveKilledWorkersAndCoordinator) {
  std::map<int64_t, std::string> reference;
  {
    LocalCluster cluster;
    cluster.StartWorker();
    const std::string sweep = cluster.Submit(kRangeTest);
    ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(300)));
    reference = TrialsAfterRangeTests(cluster, sweep);
  }
  ASSERT_EQ(reference.size(), 4u);
  LocalCluster cluster({.heartbeat_ms = 100, .lease_timeout_ms = 1500});
  const int worker = cluster.StartWorker();
  const std::string sweep = cluster.Submit(kRangeTest);
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(120), [](const auto& trials) {
    return trials.size() == 2 && trials[0].state() == v1::RUNNING && trials[0].step() > 150;
  }));
  cluster.KillWorker(worker, SIGKILL);
  cluster.StartWorker();
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(120), [](const auto& trials) {
    return trials.size() == 2 && trials[1].state() == v1::RUNNING && trials[1].step() > 150;
  }));
  cluster.CrashAndRestartCoordinator();
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(300))) << cluster.dir();
  const std::vector<v1::TrialInfo> trials = cluster.Trials(sweep);
  ASSERT_EQ(trials.size(), 6u);
  int64_t preemptions = 0;
  for (const v1::TrialInfo& trial : trials) {
    EXPECT_EQ(trial.failures(), 0) << trial.trial() << ": " << trial.reason();
    if (trial.trial() >= 2) EXPECT_EQ(trial.state(), v1::COMPLETED) << trial.reason();
    preemptions += trial.preemptions();
  }
  EXPECT_GE(preemptions, 1);
  EXPECT_EQ(TrialsAfterRangeTests(cluster, sweep), reference);
}

TEST(ResilienceTest, ACoordinatorRestartShorterThanTheLeaseTimeoutCostsNoWork) {
  // kill -9 of the coordinator while a trial trains, and a new one on the same data dir and port
  // a second later: the worker re-attaches with its lease and token, nothing is redone, and a
  // `lrsweep watch` says it is reconnecting and goes on to the end.
  // The lease timeout leaves room for a loaded machine: in full suite runs the worker's first
  // heartbeat after the restart has been seen to take over 4 s to arrive.
  LocalCluster cluster({.heartbeat_ms = 100, .lease_timeout_ms = 10000});
  const int worker = cluster.StartWorker();
  const std::string sweep = cluster.Submit(kLong);
  testing::TempDir dir;
  absl::StatusOr<ChildProcess> watch = ChildProcess::Start(
      {LocalCluster::Bin() + "/lrsweep", "watch", sweep, "--coordinator", cluster.address()},
      dir.path() + "/watch.log");
  ASSERT_TRUE(watch.ok());
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(60), [](const auto& trials) {
    return trials[0].state() == v1::RUNNING && trials[0].step() >= 300;
  }));
  cluster.CrashAndRestartCoordinator(absl::Seconds(1));
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(120))) << cluster.dir();
  EXPECT_EQ(watch->Wait(absl::Seconds(30)), 0);
  const std::string watched = *ReadBinaryFile(dir.path() + "/watch.log");
  EXPECT_THAT(watched, HasSubstr("lost the coordinator at " + cluster.address()));
  EXPECT_THAT(watched, HasSubstr("reconnecting"));
  EXPECT_THAT(watched, HasSubstr("1/1 finished"));
  const v1::TrialInfo trial = cluster.Trials(sweep)[0];
  EXPECT_EQ(trial.state(), v1::COMPLETED);
  EXPECT_EQ(trial.attempts(), 1) << cluster.WorkerLog(worker);
  EXPECT_EQ(trial.preemptions(), 0);
  EXPECT_THAT(cluster.WorkerLog(worker), ::testing::Not(HasSubstr("lost the lease")));
  ExpectCompleteHistory(cluster, sweep);
}

TEST(ResilienceTest, ATruncatedNewestCheckpointFallsBackToThePreviousOne) {
  const std::map<int64_t, std::string> reference = Uninterrupted(kLong);
  LocalCluster cluster({.heartbeat_ms = 100, .lease_timeout_ms = 500});
  const int first = cluster.StartWorker();
  const std::string sweep = cluster.Submit(kLong);
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(60), [](const auto& trials) {
    return trials[0].checkpoint_step() >= 600;
  }));
  cluster.KillWorker(first, SIGKILL);
  const int64_t newest = cluster.Trials(sweep)[0].checkpoint_step();
  const std::string file = absl::StrCat(cluster.dir(), "/checkpoints/", sweep, "/0/step-", newest,
                                        ".ckpt");
  ASSERT_TRUE(std::filesystem::exists(file)) << file;
  std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2);
  const int second = cluster.StartWorker();
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(120)));
  const std::string log = cluster.WorkerLog(second);
  EXPECT_THAT(log, HasSubstr(absl::StrCat("checkpoint at step ", newest, " of trial 0 is unusable")));
  EXPECT_THAT(log, HasSubstr(absl::StrCat("resumed trial 0 from its checkpoint at step ",
                                          newest - 200)));
  EXPECT_EQ(cluster.Trials(sweep)[0].state(), v1::COMPLETED);
  EXPECT_EQ(cluster.FinalMetrics(sweep), reference);
}

// The files a shared checkpoint directory holds for one trial.
std::vector<std::string> SharedFiles(const std::string& shared, const std::string& sweep,
                                     int64_t trial) {
  std::vector<std::string> names;
  const std::filesystem::path dir = absl::StrCat(shared, "/", sweep, "/", trial);
  if (!std::filesystem::exists(dir)) return names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(ResilienceTest, ASharedCheckpointDirectoryReplacesTheUploadAndSurvivesATruncatedFile) {
  const std::map<int64_t, std::string> reference = Uninterrupted(kLong);
  // The coordinator does not mount the shared directory: only metadata reaches it.
  testing::TempDir shared;
  const std::vector<std::string> flags = {"--checkpoint-store", "shared:" + shared.path()};
  LocalCluster cluster({.heartbeat_ms = 100, .lease_timeout_ms = 500});
  const int first = cluster.StartWorker(flags);
  const std::string sweep = cluster.Submit(kLong);
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(60), [](const auto& trials) {
    return trials[0].checkpoint_step() >= 600;
  }));
  cluster.KillWorker(first, SIGKILL);
  const int64_t newest = cluster.Trials(sweep)[0].checkpoint_step();
  const std::string file = absl::StrCat(shared.path(), "/", sweep, "/0/step-", newest, "-a1.ckpt");
  ASSERT_TRUE(std::filesystem::exists(file)) << file;
  std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2);
  // Leftovers of the killed attempt (a write cut short, a file never registered), and a file of
  // a later attempt than the one that will clean up.
  const std::string trial_dir = absl::StrCat(shared.path(), "/", sweep, "/0/");
  for (const char* name : {"step-130-a1.ckpt.tmp-4242", "step-77-a1.ckpt", "step-5-a9.ckpt"}) {
    std::ofstream(trial_dir + name) << "leftover";
  }

  const int second = cluster.StartWorker(flags);
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(120)));
  const std::string log = cluster.WorkerLog(second);
  EXPECT_THAT(log, HasSubstr("checkpoints to shared:" + shared.path()));
  EXPECT_THAT(log, HasSubstr(absl::StrCat("checkpoint at step ", newest, " of trial 0 is unusable")));
  EXPECT_THAT(log, HasSubstr(absl::StrCat("resumed trial 0 from its checkpoint at step ",
                                          newest - 200)));
  const v1::TrialInfo trial = cluster.Trials(sweep)[0];
  EXPECT_EQ(trial.state(), v1::COMPLETED);
  EXPECT_EQ(cluster.FinalMetrics(sweep), reference);
  ExpectCompleteHistory(cluster, sweep);
  // Nothing was uploaded, and the worker deleted what keep: 2 no longer holds and the leftovers.
  EXPECT_FALSE(std::filesystem::exists(absl::StrCat(cluster.dir(), "/checkpoints/", sweep)));
  std::vector<std::string> expected = {
      absl::StrCat("step-", trial.checkpoint_step() - 200, "-a2.ckpt"),
      absl::StrCat("step-", trial.checkpoint_step(), "-a2.ckpt"), "step-5-a9.ckpt"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(SharedFiles(shared.path(), sweep, 0), expected);
}

TEST(ResilienceTest, AWorkerWithoutTheSharedDirectoryResumesThroughTheCoordinator) {
  const std::map<int64_t, std::string> reference = Uninterrupted(kLong);
  // Here the coordinator mounts the shared directory: it verifies what workers register there,
  // serves it to a worker that uploads instead, and deletes what is no longer kept.
  testing::TempDir shared;
  LocalCluster cluster({.coordinator_flags = {"--shared-checkpoint-dir", shared.path()}});
  const int first = cluster.StartWorker({"--checkpoint-store", "shared:" + shared.path()});
  const std::string sweep = cluster.Submit(kLong);
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(60), [](const auto& trials) {
    return trials[0].state() == v1::RUNNING && trials[0].step() > 900;
  }));
  cluster.KillWorker(first, SIGTERM);
  EXPECT_EQ(cluster.WaitWorker(first, absl::Seconds(20)), 0);
  const int64_t preempted_at = cluster.Trials(sweep)[0].checkpoint_step();
  EXPECT_GT(preempted_at, 900);
  EXPECT_EQ(SharedFiles(shared.path(), sweep, 0).size(), 2u);  // keep: 2, collected by the coordinator

  const int second = cluster.StartWorker();  // uploads to the coordinator
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(120)));
  EXPECT_THAT(cluster.WorkerLog(second), HasSubstr(absl::StrCat(
                                             "resumed trial 0 from its checkpoint at step ",
                                             preempted_at)));
  EXPECT_EQ(cluster.Trials(sweep)[0].state(), v1::COMPLETED);
  EXPECT_EQ(cluster.FinalMetrics(sweep), reference);
  ExpectCompleteHistory(cluster, sweep);
  // The second attempt's checkpoints were uploaded; once two of them exist, the shared ones are
  // gone too.
  EXPECT_TRUE(SharedFiles(shared.path(), sweep, 0).empty());
}

// Makes every write to `dir`/`names` fail with ENOSPC, as on a full disk: each name becomes a
// symlink to /dev/full, which the checkpoint writer opens (and removes after the failure).
void FillDisk(const std::string& dir, const std::vector<std::string>& names) {
  std::filesystem::create_directories(dir);
  for (const std::string& name : names) std::filesystem::create_symlink("/dev/full", dir + name);
}

// kLong checkpointed every 1000 steps: a wide window between two checkpoints.
std::string SparseCheckpoints() {
  std::string yaml = kLong;
  const std::string from = "checkpoint: {every_steps: 200, keep: 2}";
  yaml.replace(yaml.find(from), from.size(), "checkpoint: {every_steps: 1000, keep: 2}");
  return yaml;
}

// Checks what a full disk must do to a running trial: an error shown on the trial, the previous
// checkpoint kept, training unaffected, and checkpoints stored again once there is space. Writes
// fail from step 2000 (the checkpoint after the one at 1000) to 2400; the worker tries again
// every tenth of the interval (2100, 2200, ...), so the checkpoint at 2500 is stored.
void ExpectAFullDiskIsReportedOnTheTrial(bool shared_store) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full to simulate a full disk";
  const std::string yaml = SparseCheckpoints();
  const std::map<int64_t, std::string> reference = Uninterrupted(yaml);
  testing::TempDir shared;
  LocalCluster cluster;
  const int worker = cluster.StartWorker(
      shared_store ? std::vector<std::string>{"--checkpoint-store", "shared:" + shared.path()}
                   : std::vector<std::string>{});
  const std::string sweep = cluster.Submit(yaml);
  // Only now: each stored checkpoint cleans up stray temp files in the shared directory.
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(60), [](const auto& trials) {
    return trials[0].checkpoint_step() == 1000;
  }));
  std::vector<std::string> names;
  for (int step = 2000; step <= 2400; ++step) {
    names.push_back(shared_store
                        ? absl::StrCat("step-", step, "-a1.ckpt.tmp-", cluster.WorkerPid(worker))
                        : absl::StrCat("upload-1-", step, ".tmp"));
  }
  FillDisk(shared_store ? absl::StrCat(shared.path(), "/", sweep, "/0/")
                        : absl::StrCat(cluster.dir(), "/checkpoints/", sweep, "/0/"),
           names);
  ASSERT_LT(cluster.Trials(sweep)[0].step(), 1900) << "the trial ran too fast for this test";
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(60), [](const auto& trials) {
    return !trials[0].checkpoint_error().empty();
  })) << cluster.WorkerLog(worker);
  const v1::TrialInfo failing = cluster.Trials(sweep)[0];
  EXPECT_THAT(failing.checkpoint_error(), HasSubstr("not stored"));
  EXPECT_THAT(failing.checkpoint_error(), ::testing::AnyOf(HasSubstr("No space left on device"),
                                                           HasSubstr("disk full")));
  EXPECT_EQ(failing.checkpoint_step(), 1000);  // the previous checkpoint stays
  EXPECT_EQ(failing.state(), v1::RUNNING);     // and the trial goes on

  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(120)));
  const v1::TrialInfo trial = cluster.Trials(sweep)[0];
  EXPECT_EQ(trial.state(), v1::COMPLETED);
  EXPECT_EQ(trial.failures(), 0);
  EXPECT_EQ(trial.checkpoint_step(), 2500);  // space came back: checkpoints were stored again
  EXPECT_TRUE(trial.checkpoint_error().empty()) << trial.checkpoint_error();
  EXPECT_EQ(cluster.FinalMetrics(sweep), reference);
  const std::string log = cluster.WorkerLog(worker);
  EXPECT_THAT(log, HasSubstr("checkpoint at step 2000 not stored"));
  EXPECT_THAT(log, HasSubstr("checkpoint at step 2100 not stored"));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("checkpoint at step 2001 ")));  // not every step
}

TEST(ResilienceTest, AFullCoordinatorDiskIsReportedOnTheTrialAndThePreviousCheckpointStays) {
  ExpectAFullDiskIsReportedOnTheTrial(/*shared_store=*/false);
}

TEST(ResilienceTest, AFullSharedDirectoryIsReportedOnTheTrialAndThePreviousCheckpointStays) {
  ExpectAFullDiskIsReportedOnTheTrial(/*shared_store=*/true);
}

}  // namespace
}  // namespace lrsweep
