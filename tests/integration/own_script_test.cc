// A user's own training script swept end to end: real coordinator and worker processes run
// tests/scripts/train_script.py (PyTorch, with Debian's python3-torch) through train.command and
// the Python client. Several schedules complete on two workers with the LR the script applied
// equal to `lrsweep schedule` at every step; killed and preempted attempts end bit-identical to
// an undisturbed run; a script that raises, never reports, or cannot start fails its trial with
// the reason; `lrsweep logs` shows what the script printed.
#include <signal.h>

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
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

std::string Script() { return testing::SourceDir() + "/tests/scripts/train_script.py"; }

// A sweep of the test script; `extra` adds lines under train: (indented by two spaces).
std::string ScriptSweep(const std::string& name, const std::string& extra,
                        const std::string& parameters) {
  return "name: " + name + R"(
metric: {name: val_accuracy}
max_failures: 1
train:
  command: [/usr/bin/python3, )" + Script() + R"(]
  steps: 48
  steps_per_epoch: 8
  batch_size: 64
  checkpoint: {every_steps: 6}
)" + extra + "schedule: {type: cosine, lr: 0.1}\nparameters:\n" + parameters;
}

// The LR at every step of a trial's planned schedule, from `lrsweep schedule`.
std::vector<double> PlannedLrs(const TempDir& dir, const v1::TrialInfo& trial) {
  const nlohmann::json plan = nlohmann::json::parse(trial.plan_json());
  const std::string file = dir.Write(absl::StrCat("schedule-", trial.trial(), ".yaml"),
                                     nlohmann::json{{"schedule", plan.at("schedule")}}.dump());
  const testing::CommandResult printed = testing::RunLrsweep(
      absl::StrCat("schedule ", file, " --format json --total-steps ", trial.total_steps()));
  EXPECT_EQ(printed.exit_code, 0) << printed.err;
  return nlohmann::json::parse(printed.out).at("lr").get<std::vector<double>>();
}

TEST(OwnScriptTest, SchedulesCompleteOnTwoWorkersWithExactlyThePlannedLr) {
  TempDir dir;
  const std::string file = dir.Write("sweep.yaml", ScriptSweep("script", "", R"(
  - schedule.type: cosine
  - schedule.type: wsd
    schedule.decay_steps: 12
  - schedule.type: onecycle
    schedule.lr: 0.2
  - schedule.type: step
    schedule.step_size: 10
    schedule.warmup: {steps: 5}
)"));
  LocalCluster cluster;
  cluster.StartWorker();
  cluster.StartWorker();
  const std::string sweep = cluster.SubmitFile(file);
  ASSERT_FALSE(sweep.empty());
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(180))) << cluster.dir();
  const std::vector<v1::TrialInfo> trials = cluster.Trials(sweep);
  ASSERT_EQ(trials.size(), 4u);
  for (const v1::TrialInfo& trial : trials) {
    ASSERT_EQ(trial.state(), v1::COMPLETED) << trial.trial() << ": " << trial.reason();
    const nlohmann::json final = nlohmann::json::parse(trial.final_metrics_json());
    EXPECT_GT(final.at("val_accuracy").get<double>(), 0.8) << trial.params_json();
    auto points = cluster.client().GetMetrics(sweep, trial.trial());
    ASSERT_TRUE(points.ok()) << points.status();
    const std::vector<double> planned = PlannedLrs(dir, trial);
    ASSERT_EQ(points->size(), planned.size()) << "one report per step";
    for (const v1::MetricPoint& point : *points) {
      EXPECT_EQ(point.lr(), planned[static_cast<size_t>(point.step() - 1)])
          << trial.params_json() << " at step " << point.step();
    }
  }
  const testing::CommandResult logs = testing::RunLrsweep(
      absl::StrCat("logs ", sweep, " 0 --tail 3 --coordinator ", cluster.address()));
  EXPECT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_THAT(logs.out, AllOf(HasSubstr("lrsweep {\"step\": 48"), HasSubstr("exited with code 0")));
}

TEST(OwnScriptTest, KilledAndPreemptedScriptsEndBitIdenticalToAnUndisturbedRun) {
  TempDir dir;
  const std::string file = dir.Write(
      "sweep.yaml", ScriptSweep("script-resume", "  args: {step_sleep: 0.03}\n", R"(
  schedule.type: [cosine, onecycle, plateau]
)"));
  std::map<int64_t, std::string> reference;
  {
    LocalCluster undisturbed;
    undisturbed.StartWorker();
    undisturbed.StartWorker();
    const std::string sweep = undisturbed.SubmitFile(file);
    ASSERT_TRUE(undisturbed.WaitUntilFinished(sweep, absl::Seconds(180)));
    reference = undisturbed.FinalMetrics(sweep);
  }
  LocalCluster cluster({.heartbeat_ms = 100, .lease_timeout_ms = 600});
  std::vector<int> live = {cluster.StartWorker(), cluster.StartWorker()};
  const std::string sweep = cluster.SubmitFile(file);
  // Pauses long enough for a script to start (importing torch) and train some steps.
  const int interruptions =
      cluster.InterruptWorkers(sweep, 6, absl::Milliseconds(2200), SIGTERM, live);
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(240))) << cluster.dir();
  EXPECT_GE(interruptions, 3);
  int64_t preemptions = 0;
  for (const v1::TrialInfo& trial : cluster.Trials(sweep)) {
    EXPECT_EQ(trial.state(), v1::COMPLETED) << trial.trial() << ": " << trial.reason();
    preemptions += trial.preemptions();
  }
  EXPECT_GE(preemptions, 2);
  EXPECT_EQ(cluster.FinalMetrics(sweep), reference);
}

TEST(OwnScriptTest, AFailingSilentOrMissingScriptFailsItsTrialWithTheReason) {
  TempDir dir;
  const std::string file = dir.Write("sweep.yaml", ScriptSweep("script-bad",
                                                               "  report_timeout_minutes: 0.25\n",
                                                               R"(
  - train.args.mode: [raise, silent]
  - train.command: [[/nonexistent/python3, train.py]]
)"));
  LocalCluster cluster;
  cluster.StartWorker();
  const std::string sweep = cluster.SubmitFile(file);
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(120))) << cluster.dir();
  std::map<int64_t, v1::TrialInfo> trials;
  for (const v1::TrialInfo& trial : cluster.Trials(sweep)) trials[trial.trial()] = trial;
  ASSERT_EQ(trials.size(), 3u);
  for (const auto& [index, trial] : trials) EXPECT_EQ(trial.state(), v1::FAILED) << index;
  EXPECT_THAT(trials[0].reason(), AllOf(HasSubstr("exited with code 1"),
                                        HasSubstr("ValueError: boom at step 3")));
  EXPECT_THAT(trials[1].reason(), HasSubstr("reported nothing for 0.25 minutes"));
  EXPECT_THAT(trials[2].reason(), HasSubstr("cannot run '/nonexistent/python3'"));
  const testing::CommandResult logs = testing::RunLrsweep(
      absl::StrCat("logs ", sweep, " 0 --coordinator ", cluster.address()));
  EXPECT_THAT(logs.out, AllOf(HasSubstr("stderr: Traceback"), HasSubstr("boom at step 3")));
}

// `lrsweep run --retry`: the file's ended sweep runs its failed trial again (a new attempt)
// instead of starting over; with nothing left to retry it reports the sweep and trains nothing.
TEST(OwnScriptTest, RunRetryRunsTheEndedSweepsFailedTrialAgain) {
  TempDir dir;
  const std::string file = dir.Write("sweep.yaml", ScriptSweep("script-retry", "", R"(
  - train.args.mode: [raise]
)"));
  const std::string run =
      "run " + file + " --workers 1 --no-dashboard --data-dir " + dir.path() + "/data";
  const testing::CommandResult first = testing::RunLrsweep(run);
  ASSERT_EQ(first.exit_code, 1) << first.err;  // its one trial failed
  // run prints the sweep's id on a line of its own.
  std::string sweep;
  for (absl::string_view line : absl::StrSplit(first.out, '\n')) {
    if (absl::StartsWith(line, "script-retry-") && line.find(' ') == absl::string_view::npos) {
      sweep = std::string(line);
      break;
    }
  }
  ASSERT_FALSE(sweep.empty()) << first.out;
  EXPECT_THAT(first.out + first.err, HasSubstr("attempt 1:"));

  const testing::CommandResult retried = testing::RunLrsweep(run + " --retry");
  EXPECT_EQ(retried.exit_code, 1) << retried.err;  // the script raises again
  EXPECT_THAT(retried.err, HasSubstr("retrying 1 failed or cancelled trials of " + sweep));
  EXPECT_THAT(retried.out + retried.err, HasSubstr("attempt 2:"));  // the same trial, again
  EXPECT_THAT(retried.err, Not(HasSubstr("submitted")));

  // Without --retry the same file starts a new sweep, and says how to retry instead.
  const testing::CommandResult fresh = testing::RunLrsweep(run);
  EXPECT_THAT(fresh.err, HasSubstr("`--retry` runs its failed trials again"));
}

TEST(OwnScriptTest, ACancelledTrialsScriptIsAskedToStopThenKilled) {
  TempDir dir;
  const std::string file = dir.Write(
      "sweep.yaml", ScriptSweep("script-cancel", "  args: {step_sleep: 0.3}\n",
                                "  schedule.type: cosine\n"));
  LocalCluster cluster;
  cluster.StartWorker();
  const std::string sweep = cluster.SubmitFile(file);
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(60), [](const std::vector<v1::TrialInfo>& trials) {
    return !trials.empty() && trials[0].step() >= 2;
  }));
  ASSERT_TRUE(cluster.client().Cancel(sweep).ok());
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(30)));
  EXPECT_EQ(cluster.Trials(sweep)[0].state(), v1::CANCELLED);
  // The worker is free again within the grace, and says what it did in the trial's log.
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(30), [&](const std::vector<v1::TrialInfo>&) {
    return cluster.WorkerLog(0).find("trial 0 stopped") != std::string::npos;
  })) << cluster.WorkerLog(0);
  const testing::CommandResult logs = testing::RunLrsweep(
      absl::StrCat("logs ", sweep, " 0 --coordinator ", cluster.address()));
  EXPECT_THAT(logs.out, AllOf(HasSubstr("trial stopped (cancelled"),
                              HasSubstr("program exited with code 0")));
}

}  // namespace
}  // namespace lrsweep
