// End to end on loopback: real coordinator and worker processes, killed and cancelled as users
// and clusters do, checked through the CLI and the gRPC API.
#include <signal.h>

#include <filesystem>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "common/atomic_file.h"
#include "absl/strings/str_split.h"
#include "rpc/rpc_convert.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/local_cluster.h"
#include <fstream>

namespace lrsweep {
namespace {

using ::testing::HasSubstr;
using testing::LocalCluster;
using testing::RunLrsweep;

// Six quick trials over several schedule families (each well under a second).
constexpr char kQuickSweep[] = R"(name: e2e-quick
metric: {name: val_accuracy}
seeds: [0, 1]
train:
  model: {type: mlp, hidden: [16]}
  data: {type: synthetic, train_examples: 1024, test_examples: 128, val_fraction: 0.25}
  optimizer: {type: sgd, momentum: 0.9}
  epochs: 2
  batch_size: 32
schedule: {eta_min: 1.0e-4}
parameters:
  - schedule.type: onecycle
    schedule.lr: 0.1
  - schedule.type: cosine
    schedule.lr: 0.05
    schedule.warmup.fraction: 0.1
  - schedule.type: step
    schedule.lr: 0.1
    schedule.unit: epoch
    schedule.step_size: 1
)";

// One trial long enough (a few seconds) to be interrupted.
constexpr char kLongSweep[] = R"(name: e2e-long
train:
  model: {type: mlp, hidden: [64]}
  data: {type: synthetic, train_examples: 2048, test_examples: 128, val_fraction: 0.25}
  optimizer: {type: sgd, momentum: 0.9}
  steps: 4000
  batch_size: 16
schedule: {type: cosine, lr: 0.02, eta_min: 1.0e-4}
)";

TEST(EndToEndTest, SweepCompletesEveryTrialExactlyOnce) {
  LocalCluster cluster;
  cluster.StartWorker();
  cluster.StartWorker();
  const std::string sweep = cluster.Submit(kQuickSweep);
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(120))) << cluster.dir();
  const std::vector<v1::TrialInfo> trials = cluster.Trials(sweep);
  ASSERT_EQ(trials.size(), 6u);
  std::set<std::string> workers;
  for (const v1::TrialInfo& trial : trials) {
    EXPECT_EQ(trial.state(), v1::COMPLETED) << trial.trial() << ": " << trial.reason();
    EXPECT_EQ(trial.attempts(), 1) << "trial " << trial.trial() << " ran twice";
    EXPECT_TRUE(trial.has_score());
    EXPECT_EQ(trial.step() + 1, trial.total_steps());
  }

  // The report ranks the three configurations across both seeds.
  const testing::CommandResult report = RunLrsweep(
      "--coordinator " + cluster.address() + " report " + sweep + " --format json");
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const nlohmann::json json = nlohmann::json::parse(report.out);
  EXPECT_EQ(json["sweep"], sweep);
  ASSERT_EQ(json["ranking"].size(), 3u);
  EXPECT_EQ(json["ranking"][0]["n"], 2);
  EXPECT_GE(json["ranking"][0]["mean"].get<double>(), json["ranking"][2]["mean"].get<double>());
  for (const char* key : {"trial", "seed", "state", "params", "schedule", "score", "attempts",
                          "reason"}) {
    EXPECT_TRUE(json["trials"][0].contains(key)) << key;
  }
  const testing::CommandResult markdown =
      RunLrsweep("--coordinator " + cluster.address() + " report " + sweep);
  EXPECT_THAT(markdown.out, HasSubstr("| rank | schedule | val_accuracy (mean ± std) | 95% CI |"));
  // watch on a finished sweep prints its state and exits 0.
  EXPECT_EQ(RunLrsweep("--coordinator " + cluster.address() + " watch " + sweep).exit_code, 0);
  // JSON carries statistics and diagnoses; compare runs across sweeps of one metric.
  EXPECT_TRUE(json["ranking"][0]["ci95"].is_array());
  EXPECT_TRUE(json.contains("family_best") && json.contains("sensitivity") &&
              json.contains("diagnoses"));
  const testing::CommandResult compare = RunLrsweep(
      "--coordinator " + cluster.address() + " compare " + sweep + " " + sweep);
  EXPECT_EQ(compare.exit_code, 0) << compare.err;
  EXPECT_THAT(compare.out, HasSubstr("is not better by +0.0000"));
  testing::TempDir dir;
  EXPECT_EQ(RunLrsweep("--coordinator " + cluster.address() + " report " + sweep +
                       " --format html -o " + dir.path() + "/r.html")
                .exit_code,
            0);
  EXPECT_GT(std::filesystem::file_size(dir.path() + "/r.html"), 100000u);

  // The winner's schedule, exported, is the schedule file of exactly what it trained with.
  const nlohmann::json plan = nlohmann::json::parse(trials[0].plan_json());
  const std::string exported = dir.path() + "/best.yaml";
  const testing::CommandResult exporting = RunLrsweep(
      "--coordinator " + cluster.address() + " schedule export " + sweep + " 0 -o " + exported);
  ASSERT_EQ(exporting.exit_code, 0) << exporting.err;
  const testing::CommandResult replay = RunLrsweep(
      "schedule " + exported + " --format json --total-steps " +
      std::to_string(plan["total_steps"].get<int64_t>()) + " --steps-per-epoch " +
      std::to_string(plan["steps_per_epoch"].get<int64_t>()));
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_EQ(nlohmann::json::parse(replay.out)["schedule"], plan["schedule"]);
  const testing::CommandResult code = RunLrsweep("--coordinator " + cluster.address() +
                                                 " schedule export " + sweep + " 0 --format pytorch");
  ASSERT_EQ(code.exit_code, 0) << code.err;
  EXPECT_THAT(code.out, HasSubstr("scheduler = lr_scheduler."));
  const testing::CommandResult missing =
      RunLrsweep("--coordinator " + cluster.address() + " schedule export " + sweep + " 99");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("has no trial 99 (it has 6 trials"));
}

TEST(EndToEndTest, LoggedLrEqualsThePlannedScheduleAtEveryStep) {
  LocalCluster cluster;
  cluster.StartWorker();
  const std::string sweep = cluster.Submit(kQuickSweep);
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(120)));
  testing::TempDir dir;
  for (const v1::TrialInfo& trial : cluster.Trials(sweep)) {
    const nlohmann::json plan = nlohmann::json::parse(trial.plan_json());
    const std::string file = dir.Write("s.yaml", "schedule: " + plan["schedule"].dump() + "\n");
    const testing::CommandResult planned = RunLrsweep(
        "schedule " + file + " --total-steps " + std::to_string(plan["total_steps"].get<int>()) +
        " --steps-per-epoch " + std::to_string(plan["steps_per_epoch"].get<int>()));
    ASSERT_EQ(planned.exit_code, 0) << planned.err;
    std::vector<std::string> rows = absl::StrSplit(planned.out, '\n', absl::SkipEmpty());
    const testing::CommandResult logged =
        RunLrsweep("--coordinator " + cluster.address() + " metrics " + sweep + " " +
                   std::to_string(trial.trial()) + " --format json");
    ASSERT_EQ(logged.exit_code, 0) << logged.err;
    const nlohmann::json points = nlohmann::json::parse(logged.out);
    ASSERT_EQ(points.size() + 1, rows.size()) << "one logged point per step";
    for (size_t i = 0; i < points.size(); ++i) {
      std::vector<std::string> cells = absl::StrSplit(rows[i + 1], ',');
      double lr = 0;
      ASSERT_TRUE(absl::SimpleAtod(cells[1], &lr));
      ASSERT_EQ(points[i]["step"].get<int64_t>(), static_cast<int64_t>(i));
      ASSERT_EQ(points[i]["lr"].get<double>(), lr) << "trial " << trial.trial() << " step " << i;
      if (cells.size() > 2) {  // onecycle: momentum too
        double momentum = 0;
        ASSERT_TRUE(absl::SimpleAtod(cells[2], &momentum));
        ASSERT_EQ(points[i]["momentum"].get<double>(), momentum);
      }
    }
  }
}

TEST(EndToEndTest, KilledWorkersTrialIsLeasedAgainAndCompletes) {
  LocalCluster cluster({.heartbeat_ms = 100, .lease_timeout_ms = 600});
  const int doomed = cluster.StartWorker();
  const std::string sweep = cluster.Submit(kLongSweep);
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(60), [](const auto& trials) {
    return trials[0].state() == v1::RUNNING && trials[0].step() > 50;
  }));
  cluster.KillWorker(doomed, SIGKILL);
  // The lease expires after its timeout and the trial is PREEMPTED, then a new worker takes it.
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(30), [](const auto& trials) {
    return trials[0].state() == v1::PREEMPTED;
  }));
  cluster.StartWorker();
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(120)));
  const v1::TrialInfo trial = cluster.Trials(sweep)[0];
  EXPECT_EQ(trial.state(), v1::COMPLETED) << trial.reason();
  EXPECT_EQ(trial.attempts(), 2);
  EXPECT_EQ(trial.failures(), 0);  // a lost worker is not the trial's failure
}

TEST(EndToEndTest, ReportsWithAStaleFencingTokenAreRejected) {
  LocalCluster cluster({.heartbeat_ms = 100, .lease_timeout_ms = 300});
  auto channel = grpc::CreateChannel(cluster.address(), grpc::InsecureChannelCredentials());
  auto stub = v1::WorkerService::NewStub(channel);
  auto call = [&](auto method, const auto& request, auto* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ((*stub).*method)(&context, request, response);
  };
  v1::RegisterWorkerRequest registration;
  v1::RegisterWorkerResponse zombie, fresh;
  ASSERT_TRUE(call(&v1::WorkerService::Stub::RegisterWorker, registration, &zombie).ok());
  ASSERT_TRUE(call(&v1::WorkerService::Stub::RegisterWorker, registration, &fresh).ok());
  const std::string sweep = cluster.Submit(kLongSweep);

  v1::AcquireLeaseRequest acquire;
  acquire.set_worker_id(zombie.worker_id());
  v1::AcquireLeaseResponse first;
  ASSERT_TRUE(call(&v1::WorkerService::Stub::AcquireLease, acquire, &first).ok());
  ASSERT_TRUE(first.has_lease());
  // The zombie stops heartbeating; its lease expires and the fresh worker gets the trial.
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(10), [](const auto& trials) {
    return trials[0].state() == v1::PREEMPTED;
  }));
  acquire.set_worker_id(fresh.worker_id());
  acquire.set_wait_ms(5000);
  v1::AcquireLeaseResponse second;
  ASSERT_TRUE(call(&v1::WorkerService::Stub::AcquireLease, acquire, &second).ok());
  ASSERT_EQ(second.lease().fencing_token(), first.lease().fencing_token() + 1);

  v1::ReportMetricsRequest report;
  report.mutable_lease()->set_worker_id(zombie.worker_id());
  report.mutable_lease()->set_sweep_id(sweep);
  report.mutable_lease()->set_trial(0);
  report.mutable_lease()->set_fencing_token(first.lease().fencing_token());
  report.add_points()->set_step(7);
  v1::ReportMetricsResponse ignored;
  const grpc::Status stale = call(&v1::WorkerService::Stub::ReportMetrics, report, &ignored);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(stale.error_message(), HasSubstr("stale lease"));
  v1::CompleteTrialRequest complete;
  *complete.mutable_lease() = report.lease();
  v1::CompleteTrialResponse done;
  EXPECT_EQ(call(&v1::WorkerService::Stub::CompleteTrial, complete, &done).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // A malformed report is INVALID_ARGUMENT naming the field.
  v1::HeartbeatRequest malformed;
  v1::HeartbeatResponse beat;
  const grpc::Status bad = call(&v1::WorkerService::Stub::Heartbeat, malformed, &beat);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), HasSubstr("lease.worker_id"));

  // Shared-directory checkpoints: the zombie cannot register one; a malformed registration names
  // what is wrong; a worker's report that it could not write one shows on the trial.
  v1::RegisterCheckpointRequest checkpoint;
  *checkpoint.mutable_lease() = report.lease();
  checkpoint.set_step(100);
  checkpoint.set_size(10);
  checkpoint.set_sha256(std::string(64, 'a'));
  checkpoint.set_shared_path(absl::StrCat(sweep, "/0/step-100-a1.ckpt"));
  v1::RegisterCheckpointResponse registered;
  EXPECT_EQ(call(&v1::WorkerService::Stub::RegisterCheckpoint, checkpoint, &registered).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  checkpoint.mutable_lease()->set_worker_id(fresh.worker_id());
  checkpoint.mutable_lease()->set_fencing_token(second.lease().fencing_token());
  checkpoint.set_shared_path(absl::StrCat(sweep, "/0/../../../etc/step.ckpt"));
  grpc::Status refused = call(&v1::WorkerService::Stub::RegisterCheckpoint, checkpoint, &registered);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("shared_path"));
  checkpoint.set_sha256("not hex");
  refused = call(&v1::WorkerService::Stub::RegisterCheckpoint, checkpoint, &registered);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("sha256"));
  checkpoint.set_error("cannot write /mnt/ckpt/x: No space left on device");
  ASSERT_TRUE(call(&v1::WorkerService::Stub::RegisterCheckpoint, checkpoint, &registered).ok());
  EXPECT_THAT(cluster.Trials(sweep)[0].checkpoint_error(),
              HasSubstr("checkpoint at step 100 not stored: cannot write /mnt/ckpt/x: No space"));

  const v1::TrialInfo trial = cluster.Trials(sweep)[0];
  EXPECT_EQ(trial.state(), v1::RUNNING);
  EXPECT_EQ(trial.worker_id(), fresh.worker_id());
  EXPECT_TRUE(cluster.client().GetMetrics(sweep, 0)->empty());
}

TEST(EndToEndTest, CancelStopsRunningTrials) {
  LocalCluster cluster;
  cluster.StartWorker();
  const std::string sweep = cluster.Submit(kLongSweep);
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(60), [](const auto& trials) {
    return trials[0].state() == v1::RUNNING && trials[0].step() > 10;
  }));
  const testing::CommandResult cancel =
      RunLrsweep("--coordinator " + cluster.address() + " cancel " + sweep);
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_THAT(cancel.out, HasSubstr("cancelled 1 trials"));
  const int64_t step_at_cancel = cluster.Trials(sweep)[0].step();
  absl::SleepFor(absl::Seconds(1));
  const v1::TrialInfo trial = cluster.Trials(sweep)[0];
  EXPECT_EQ(trial.state(), v1::CANCELLED);
  EXPECT_LT(trial.step(), 3999);  // it did not run to the end
  EXPECT_LE(trial.step() - step_at_cancel, 200);  // the worker stopped within a few heartbeats
  // watch exits non-zero for a cancelled sweep, and status shows the worker idle.
  EXPECT_EQ(RunLrsweep("--coordinator " + cluster.address() + " watch " + sweep).exit_code, 1);
  const testing::CommandResult status =
      RunLrsweep("--coordinator " + cluster.address() + " status");
  EXPECT_THAT(status.out, HasSubstr("CANCELLED"));
  EXPECT_THAT(status.out, ::testing::ContainsRegex("test-0 +cpu +1 +waiting"));

  // `lrsweep retry --cancelled` runs the cancelled trial again, from its newest checkpoint.
  const std::string coordinator = "--coordinator " + cluster.address();
  const testing::CommandResult nothing = RunLrsweep(coordinator + " retry " + sweep);
  ASSERT_EQ(nothing.exit_code, 0) << nothing.err;
  EXPECT_THAT(nothing.out, HasSubstr("has no FAILED trial to retry"));
  const testing::CommandResult retry = RunLrsweep(coordinator + " retry --cancelled " + sweep);
  ASSERT_EQ(retry.exit_code, 0) << retry.err;
  EXPECT_THAT(retry.out, HasSubstr("1 trials of " + sweep + " run again"));
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(60), [&](const auto& trials) {
    return trials[0].state() == v1::RUNNING && trials[0].step() > trial.step();
  }));
  EXPECT_THAT(RunLrsweep(coordinator + " status").out, HasSubstr("RUNNING"));
  ASSERT_EQ(RunLrsweep(coordinator + " cancel " + sweep).exit_code, 0);
  const testing::CommandResult unknown = RunLrsweep(coordinator + " retry no-such-sweep");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("no-such-sweep"));
}

// Housekeeping through the CLI: a note and tags, listings filtered by them, and an archive and a
// delete that refuse a running sweep, want --yes without a terminal, and say what they freed.
TEST(EndToEndTest, SweepsAreLabelledFilteredArchivedAndDeletedWithTheSpaceFreed) {
  LocalCluster cluster;
  cluster.StartWorker();
  const std::string coordinator = "--coordinator " + cluster.address();
  const std::string sweep = cluster.Submit(kLongSweep);
  ASSERT_TRUE(cluster.WaitFor(sweep, absl::Seconds(90), [](const auto& trials) {
    return trials[0].checkpoint_step() > 0;
  }));
  const testing::CommandResult label = RunLrsweep(
      coordinator + " label " + sweep + " --tag baseline --tag mlp --note 'before the fix'");
  ASSERT_EQ(label.exit_code, 0) << label.err;
  EXPECT_THAT(label.out, HasSubstr("tags [baseline, mlp]"));
  EXPECT_EQ(RunLrsweep(coordinator + " label " + sweep + " --tag 'a b'").exit_code, 2);
  EXPECT_THAT(RunLrsweep(coordinator + " status --tag baseline").out, HasSubstr(sweep));
  const testing::CommandResult other = RunLrsweep(coordinator + " status --tag other");
  const auto sweeps_part = [](const std::string& out) { return out.substr(0, out.find("WORKER")); };
  EXPECT_THAT(sweeps_part(other.out), ::testing::Not(HasSubstr(sweep)));
  EXPECT_THAT(other.out, HasSubstr("1 more sweeps not shown"));
  EXPECT_THAT(RunLrsweep(coordinator + " status " + sweep).out, HasSubstr("note: before the fix"));

  const testing::CommandResult running = RunLrsweep(coordinator + " archive --yes " + sweep);
  EXPECT_EQ(running.exit_code, 2);
  EXPECT_THAT(running.err, HasSubstr("cancel it first"));
  ASSERT_EQ(RunLrsweep(coordinator + " cancel " + sweep).exit_code, 0);
  const testing::CommandResult unconfirmed = RunLrsweep(coordinator + " delete " + sweep);
  EXPECT_EQ(unconfirmed.exit_code, 2);
  EXPECT_THAT(unconfirmed.err, HasSubstr("pass --yes"));

  // The worker lets go of the cancelled trial at its next report; then the archive goes ahead.
  testing::CommandResult archived;
  for (int i = 0; i < 50; ++i) {
    archived = RunLrsweep(coordinator + " archive --yes " + sweep);
    if (archived.err.find("still holds") == std::string::npos) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_EQ(archived.exit_code, 0) << archived.err;
  EXPECT_THAT(archived.out, ::testing::ContainsRegex("archived " + sweep +
                                                     ": [12] checkpoints \\([0-9.]+ kB\\)"));
  EXPECT_THAT(RunLrsweep(coordinator + " status").out, HasSubstr("1 of them archived"));
  EXPECT_THAT(RunLrsweep(coordinator + " status --archived").out, HasSubstr("(archived)"));
  EXPECT_EQ(RunLrsweep(coordinator + " retry --cancelled " + sweep).exit_code, 2);

  const testing::CommandResult deleted = RunLrsweep(coordinator + " delete -y " + sweep);
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_THAT(deleted.out, HasSubstr("deleted " + sweep + ": 1 trials"));
  EXPECT_THAT(deleted.out, HasSubstr("metric points"));
  const testing::CommandResult gone = RunLrsweep(coordinator + " status " + sweep);
  EXPECT_EQ(gone.exit_code, 2);
  EXPECT_THAT(gone.err, HasSubstr(sweep));
}

// `lrsweep submit FILE --into SWEEP` after editing the file: only the new configurations train,
// the finished trials stay, and the sweep ranks them all together.
TEST(EndToEndTest, SubmitIntoASweepRunsOnlyTheConfigurationsItsEditedFileAdds) {
  LocalCluster cluster;
  cluster.StartWorker();
  const std::string coordinator = "--coordinator " + cluster.address();
  const std::string file = cluster.dir() + "/quick.yaml";
  ASSERT_TRUE(WriteFileAtomically(file, kQuickSweep).ok());
  const testing::CommandResult submitted = RunLrsweep(coordinator + " submit " + file);
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  const std::string sweep(absl::StripAsciiWhitespace(submitted.out));
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(120)));
  const std::map<int64_t, std::string> before = cluster.FinalMetrics(sweep);

  std::string edited = kQuickSweep;
  edited += R"(  - schedule.type: constant
    schedule.lr: 0.05
)";
  ASSERT_TRUE(WriteFileAtomically(file, edited).ok());
  const testing::CommandResult added =
      RunLrsweep(coordinator + " submit " + file + " --into " + sweep);
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_THAT(added.err, HasSubstr("added 2 new trials"));
  EXPECT_EQ(absl::StripAsciiWhitespace(added.out), sweep);
  ASSERT_TRUE(cluster.WaitUntilFinished(sweep, absl::Seconds(120)));
  const std::vector<v1::TrialInfo> trials = cluster.Trials(sweep);
  ASSERT_EQ(trials.size(), 8u);
  for (const v1::TrialInfo& trial : trials) EXPECT_EQ(trial.state(), v1::COMPLETED);
  for (const auto& [index, metrics] : before) {
    EXPECT_EQ(cluster.FinalMetrics(sweep)[index], metrics) << "trial " << index << " ran again";
    EXPECT_EQ(trials[static_cast<size_t>(index)].attempts(), 1);
  }
  EXPECT_THAT(trials[6].params_json(), HasSubstr("constant"));
  const testing::CommandResult again =
      RunLrsweep(coordinator + " submit " + file + " --into " + sweep);
  EXPECT_THAT(again.err, HasSubstr("nothing added"));
  const testing::CommandResult report = RunLrsweep(coordinator + " report " + sweep);
  EXPECT_THAT(report.out, HasSubstr("constant"));
}

TEST(EndToEndTest, BadYamlIsRejectedAtSubmitWithItsLine) {
  LocalCluster cluster;
  testing::TempDir dir;
  const std::string file = dir.Write(
      "bad.yaml", "name: bad\ntrain:\n  epochs: 1\n  batch_sise: 32\n");
  const testing::CommandResult submit =
      RunLrsweep("--coordinator " + cluster.address() + " submit " + file);
  EXPECT_EQ(submit.exit_code, 2);
  EXPECT_THAT(submit.err, HasSubstr("bad.yaml:4:3: train.batch_sise: unknown key"));
  auto direct = cluster.client().Submit("name: [", "x.yaml");
  EXPECT_EQ(direct.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(direct.status().message()), HasSubstr("x.yaml:"));
  // Unknown sweeps are NOT_FOUND (exit 2), an unreachable coordinator exit 1.
  EXPECT_EQ(RunLrsweep("--coordinator " + cluster.address() + " status nope").exit_code, 2);
  const testing::CommandResult unreachable = RunLrsweep("--coordinator 127.0.0.1:1 status");
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_THAT(unreachable.err, HasSubstr("cannot reach the coordinator"));
}

TEST(EndToEndTest, SubmitPrintsTheSweepIdLast) {
  LocalCluster cluster;
  const testing::CommandResult submit = RunLrsweep(
      "--coordinator " + cluster.address() + " submit " + testing::SourceDir() +
      "/sweeps/synthetic-smoke.yaml");
  ASSERT_EQ(submit.exit_code, 0) << submit.err;
  std::vector<std::string> lines = absl::StrSplit(submit.out, '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  EXPECT_TRUE(cluster.client().GetSweep(lines.back()).ok());
}

TEST(EndToEndTest, RunDoesItAllLocally) {
  testing::TempDir dir;
  const testing::CommandResult run =
      RunLrsweep("run " + testing::SourceDir() + "/sweeps/synthetic-smoke.yaml --workers 2 "
                 "--data-dir " + dir.path() + "/data");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("| rank | schedule | val_loss (mean ± std) | 95% CI |"));
  EXPECT_THAT(run.out, HasSubstr("Reports: "));
  EXPECT_THAT(run.out, HasSubstr("HTML report: "));
  EXPECT_THAT(run.err, HasSubstr("6/6 finished"));
  EXPECT_THAT(run.err, HasSubstr("dashboard: http://127.0.0.1:"));

  // Afterwards the data dir exports to TensorBoard: one event file per trial, which a reader
  // written apart from the writer parses, its CRCs checked.
  const std::string sweep_id = run.out.substr(0, run.out.find('\n'));
  const testing::CommandResult exported = RunLrsweep(
      "export " + sweep_id + " --tensorboard " + dir.path() + "/tb --data-dir " + dir.path() + "/data");
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_THAT(exported.out, HasSubstr("wrote 6 of 6 trials' event files"));
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path() + "/tb")) {
    if (entry.path().filename().string().rfind("events.out.tfevents.", 0) != 0) continue;
    ++files;
    const testing::CommandResult read = testing::RunCommand(
        "/usr/bin/python3 " + testing::SourceDir() + "/tests/python/read_tfevents.py " +
        entry.path().string());
    ASSERT_EQ(read.exit_code, 0) << read.err;
    EXPECT_THAT(read.out, HasSubstr("\"val_loss\": [["));
  }
  EXPECT_EQ(files, 6);
}

// early_stopping through `lrsweep run`: trials far behind the median are STOPPED by the
// coordinator, their workers stop training them, and the report counts what that saved.
TEST(EndToEndTest, RunStopsTrialsBehindTheMedianAndReportsThem) {
  testing::TempDir dir;
  const std::string file = dir.path() + "/median.yaml";
  ASSERT_TRUE(WriteFileAtomically(file, R"(name: e2e-median
metric: {name: val_loss}
train:
  model: {type: mlp, hidden: [32]}
  data: {type: synthetic, train_examples: 2048, test_examples: 128, val_fraction: 0.25}
  optimizer: {type: sgd, momentum: 0.9}
  epochs: 4
  batch_size: 64
  eval_every_steps: 8
early_stopping: {rule: median, min_trials: 2, grace_fraction: 0.25}
parameters:
  schedule.type: constant
  schedule.lr: [0.05, 0.1, 0.0001, 0.00003]
)").ok());
  // One worker: the two good LRs complete first and set the median.
  const testing::CommandResult run =
      RunLrsweep("run " + file + " --workers 1 --data-dir " + dir.path() + "/data");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("## Stopped early"));
  EXPECT_THAT(run.out, HasSubstr("2 trials stopped early"));
  const std::vector<std::string> reports = absl::StrSplit(
      run.out.substr(run.out.find("Reports: ") + 9), absl::ByAnyChar(" \n"), absl::SkipEmpty());
  ASSERT_GE(reports.size(), 2u);
  std::ifstream in(reports[1]);
  const nlohmann::json report = nlohmann::json::parse(in);
  for (const nlohmann::json& trial : report["trials"]) {
    const int64_t index = trial["trial"].get<int64_t>();
    EXPECT_EQ(trial["state"], index < 2 ? "COMPLETED" : "STOPPED") << trial.dump();
    if (index >= 2) {
      EXPECT_THAT(trial["reason"].get<std::string>(), HasSubstr("median rule"));
      EXPECT_TRUE(trial["score"].is_null());
    }
  }
  EXPECT_EQ(report["early_stopping"]["stopped"], 2);
  EXPECT_GT(report["early_stopping"]["steps_saved"].get<int64_t>(), 0);
  EXPECT_EQ(report["early_stopping"]["steps_planned"], 4 * 96);
}

// The JSON report `lrsweep run` wrote (its "Reports:" line names it second).
nlohmann::json RunReportJson(const testing::CommandResult& run) {
  const std::vector<std::string> reports = absl::StrSplit(
      run.out.substr(run.out.find("Reports: ") + 9), absl::ByAnyChar(" \n"), absl::SkipEmpty());
  EXPECT_GE(reports.size(), 2u) << run.out;
  std::ifstream in(reports.size() >= 2 ? reports[1] : "");
  return nlohmann::json::parse(in, nullptr, false);
}

// method: tpe through `lrsweep run`: a random start, then one TPE suggestion per finished
// configuration, shown in the report.
TEST(EndToEndTest, RunWithTpeSuggestsEachNextConfigurationFromTheResults) {
  testing::TempDir dir;
  const std::string sweep = R"(name: e2e-tpe
method: tpe
count: 7
n_startup_trials: 3
seed: 11
train:
  model: {type: mlp, hidden: [16]}
  data: {type: synthetic, train_examples: 512, test_examples: 64, val_fraction: 0.25}
  optimizer: {type: sgd, momentum: 0.9}
  steps: 60
  batch_size: 32
parameters:
  schedule.type: [constant, cosine]
  schedule.lr: {distribution: log_uniform, min: 1.0e-3, max: 0.2}
)";
  ASSERT_TRUE(WriteFileAtomically(dir.path() + "/tpe.yaml", sweep).ok());
  const testing::CommandResult run = RunLrsweep(
      "run " + dir.path() + "/tpe.yaml --workers 2 --data-dir " + dir.path() + "/data");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("## TPE search"));
  const nlohmann::json report = RunReportJson(run);
  ASSERT_FALSE(report.is_discarded());
  ASSERT_EQ(report["trials"].size(), 7u);
  std::set<std::string> params;
  for (const nlohmann::json& trial : report["trials"]) {
    EXPECT_THAT(trial["state"].get<std::string>(), ::testing::AnyOf("COMPLETED", "DIVERGED"))
        << trial.dump();
    params.insert(trial["params"].dump());
  }
  EXPECT_EQ(params.size(), 7u);  // no configuration suggested twice
  const nlohmann::json& tpe = report["tpe"];
  EXPECT_EQ(tpe["random_start"], 3);
  EXPECT_EQ(tpe["suggested"], 4);
  ASSERT_EQ(tpe["history"].size(), 7u);
  EXPECT_EQ(tpe["history"][3]["from"], "tpe");
  EXPECT_FALSE(tpe["concentrated"].empty());
}

// lr_range_test through `lrsweep run`: the test runs first, the trials after it take factor x
// its steepest pick as their peak LR, and the report sets the test apart with its curve.
TEST(EndToEndTest, RunWithARangeTestGivesTheTrialsPeakLrsRelativeToItsPick) {
  testing::TempDir dir;
  const std::string sweep = R"(name: e2e-range-test
metric: {name: val_loss}
seeds: [0, 1]
lr_range_test: {min_lr: 1.0e-4, max_lr: 10, steps: 80}
train:
  model: {type: mlp, hidden: [16]}
  data: {type: synthetic, train_examples: 1024, test_examples: 64, val_fraction: 0.25}
  optimizer: {type: sgd, momentum: 0.9}
  steps: 60
  batch_size: 32
parameters:
  schedule.type: [constant, cosine]
  schedule.lr: {range_test: steepest, factors: [0.1, 0.3]}
)";
  ASSERT_TRUE(WriteFileAtomically(dir.path() + "/range.yaml", sweep).ok());
  const testing::CommandResult run = RunLrsweep(
      "run " + dir.path() + "/range.yaml --workers 2 --data-dir " + dir.path() + "/data");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("## LR range test"));
  const nlohmann::json report = RunReportJson(run);
  ASSERT_FALSE(report.is_discarded());
  ASSERT_EQ(report["range_tests"].size(), 1u);
  const nlohmann::json& test = report["range_tests"][0];
  EXPECT_EQ(test["trial"], 0);
  EXPECT_EQ(test["setup"], "mlp, sgd, batch 32");
  ASSERT_TRUE(test["steepest"].is_number()) << test.dump();
  const double steepest = test["steepest"].get<double>();
  EXPECT_GT(steepest, 1e-4);
  EXPECT_LT(steepest, 10.0);
  EXPECT_GT(test["curve"].size(), 10u);
  // The ranked trials are the sweep's own: 2 types x 2 factors x 2 seeds, after the test.
  ASSERT_EQ(report["trials"].size(), 8u);
  std::set<double> peaks;
  for (const nlohmann::json& chosen : test["chosen"]) {
    peaks.insert(chosen["lr"].get<double>());
    EXPECT_EQ(chosen["trials"].size(), 4u) << chosen.dump();
  }
  ASSERT_EQ(peaks.size(), 2u);
  EXPECT_NEAR(*peaks.begin(), 0.1 * steepest, 1e-12 * steepest);
  EXPECT_NEAR(*peaks.rbegin(), 0.3 * steepest, 1e-12 * steepest);
  for (const nlohmann::json& rank : report["ranking"]) {
    EXPECT_TRUE(std::abs(rank["peak_lr"].get<double>() - 0.1 * steepest) < 1e-9 ||
                std::abs(rank["peak_lr"].get<double>() - 0.3 * steepest) < 1e-9)
        << rank.dump();
  }
}

// method: asha through `lrsweep run`: rungs of growing runs, the winner trained on the full run
// exactly as the grid trains it, for a fraction of the grid's steps.
TEST(EndToEndTest, RunWithSuccessiveHalvingTrainsTheWinnerLikeTheGridForFewerSteps) {
  testing::TempDir dir;
  const std::string grid = R"(name: e2e-halving
metric: {name: val_loss}
train:
  model: {type: mlp, hidden: [32]}
  data: {type: synthetic, train_examples: 2048, test_examples: 128, val_fraction: 0.25}
  optimizer: {type: sgd, momentum: 0.9}
  epochs: 9
  batch_size: 64
schedule: {eta_min: 1.0e-4}
parameters:
  - schedule.type: cosine
    schedule.lr: [0.003, 0.01, 0.03, 0.1]
    schedule.warmup.steps: 27
  - schedule.type: step
    schedule.unit: epoch
    schedule.step_size: 3
    schedule.lr: [0.01, 0.1]
)";
  ASSERT_TRUE(WriteFileAtomically(dir.path() + "/grid.yaml", grid).ok());
  ASSERT_TRUE(WriteFileAtomically(dir.path() + "/asha.yaml",
                                  "method: asha\nreduction_factor: 3\n" + grid).ok());
  const testing::CommandResult halving = RunLrsweep(
      "run " + dir.path() + "/asha.yaml --workers 1 --data-dir " + dir.path() + "/asha-data");
  ASSERT_EQ(halving.exit_code, 0) << halving.err;
  EXPECT_THAT(halving.out, HasSubstr("## Successive halving"));
  const nlohmann::json report = RunReportJson(halving);
  ASSERT_FALSE(report.is_discarded());
  const nlohmann::json& rungs = report["successive_halving"]["rungs"];
  ASSERT_EQ(rungs.size(), 3u) << report["successive_halving"].dump();
  EXPECT_EQ(rungs[0]["configurations"], 6);
  EXPECT_EQ(rungs[0]["steps_per_trial"], 24);  // 216 / 9
  EXPECT_GE(rungs[2]["configurations"], 1);
  EXPECT_EQ(rungs[2]["steps_per_trial"], 216);
  EXPECT_LT(report["successive_halving"]["steps_trained"].get<int64_t>() * 2,
            report["successive_halving"]["full_grid_steps"].get<int64_t>());
  const nlohmann::json& winner = report["ranking"][0];
  EXPECT_EQ(winner["rung"], 2);

  const testing::CommandResult full = RunLrsweep(
      "run " + dir.path() + "/grid.yaml --workers 1 --data-dir " + dir.path() + "/grid-data");
  ASSERT_EQ(full.exit_code, 0) << full.err;
  const nlohmann::json grid_report = RunReportJson(full);
  // The winner's last-rung trial ends bit-identical to the grid's trial of that configuration.
  nlohmann::json top_trial, grid_trial;
  for (const nlohmann::json& trial : report["trials"]) {
    if (trial["config"] == winner["config"] && trial["trial"] == winner["trials"].back()) {
      top_trial = trial;
    }
  }
  for (const nlohmann::json& trial : grid_report["trials"]) {
    if (trial["config"] == winner["config"]) grid_trial = trial;
  }
  ASSERT_FALSE(top_trial.is_null() || grid_trial.is_null());
  top_trial["final"].erase("wall_seconds");
  grid_trial["final"].erase("wall_seconds");
  EXPECT_EQ(top_trial["final"], grid_trial["final"]);
  EXPECT_EQ(top_trial["score"], grid_trial["score"]);
}

TEST(EndToEndTest, RunEndsWithTheWorkersErrorWhenNoWorkerCanStart) {
  // A device no worker can use: instead of waiting forever with every trial PENDING, run says
  // why its workers exited, and exits 2 (a bad flag).
  testing::TempDir dir;
  const testing::CommandResult run =
      RunLrsweep("run " + testing::SourceDir() + "/sweeps/synthetic-smoke.yaml --workers 2 "
                 "--device bogus --data-dir " + dir.path() + "/data");
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_THAT(run.err, HasSubstr("all 2 workers exited before the sweep finished"));
  EXPECT_THAT(run.err, HasSubstr("--device bogus: not a device"));
  EXPECT_THAT(run.err, HasSubstr("/logs/worker-0.log"));
}

// lrsweep processes with `arg` as a whole argument (the run's data dir, its coordinator's address).
std::vector<pid_t> ProcessesMentioning(const std::string& arg) {
  const std::string needle = std::string(1, '\0') + arg + std::string(1, '\0');
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(needle) != std::string::npos && cmdline.find("lrsweep-") != std::string::npos) {
      found.push_back(std::stoi(name));
    }
  }
  return found;
}

// Starts `lrsweep run` on a long sweep and waits until its coordinator serves; returns the port.
int StartLongRun(const testing::TempDir& dir, std::optional<ChildProcess>* run) {
  const std::string sweep_file = dir.Write("long.yaml", kLongSweep);
  auto started = ChildProcess::Start({LocalCluster::Bin() + "/lrsweep", "run", sweep_file,
                                      "--workers", "1", "--data-dir", dir.path() + "/data"},
                                     dir.path() + "/run.log");
  EXPECT_TRUE(started.ok());
  run->emplace(std::move(*started));
  int port = 0;
  for (int i = 0; i < 600 && port == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    std::ifstream(dir.path() + "/data/coordinator.port") >> port;
  }
  absl::SleepFor(absl::Seconds(1));  // the worker starts and registers
  return port;
}

TEST(EndToEndTest, ClosingTheTerminalEndsRunLikeCtrlC) {
  testing::TempDir dir;
  std::optional<ChildProcess> run;
  const int port = StartLongRun(dir, &run);
  ASSERT_GT(port, 0);
  ASSERT_FALSE(ProcessesMentioning(dir.path() + "/data").empty());
  kill(run->pid(), SIGHUP);
  EXPECT_EQ(run->Wait(absl::Seconds(40)), 130);
  EXPECT_TRUE(ProcessesMentioning(dir.path() + "/data").empty());
  EXPECT_TRUE(ProcessesMentioning(absl::StrCat("127.0.0.1:", port)).empty());
}

TEST(EndToEndTest, TheChildrenOfAKilledRunDoNotOutliveIt) {
  testing::TempDir dir;
  std::optional<ChildProcess> run;
  const int port = StartLongRun(dir, &run);
  ASSERT_GT(port, 0);
  kill(run->pid(), SIGKILL);
  run->Wait(absl::Seconds(10));
  // They get SIGTERM: the worker tries to give its trial back within its grace period, the
  // coordinator stops at once.
  const absl::Time deadline = absl::Now() + absl::Seconds(45);
  while (absl::Now() < deadline &&
         !(ProcessesMentioning(dir.path() + "/data").empty() &&
           ProcessesMentioning(absl::StrCat("127.0.0.1:", port)).empty())) {
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_TRUE(ProcessesMentioning(dir.path() + "/data").empty());
  EXPECT_TRUE(ProcessesMentioning(absl::StrCat("127.0.0.1:", port)).empty());
}

TEST(EndToEndTest, RunTrainsOnlyItsOwnSweepAndNamesTheOthers) {
  testing::TempDir dir;
  std::optional<ChildProcess> first;
  ASSERT_GT(StartLongRun(dir, &first), 0);
  absl::SleepFor(absl::Seconds(2));  // its worker takes the long trial
  kill(first->pid(), SIGINT);
  ASSERT_EQ(first->Wait(absl::Seconds(40)), 130);
  const std::string data = dir.path() + "/data";
  const std::string smoke = testing::SourceDir() + "/sweeps/synthetic-smoke.yaml";
  const testing::CommandResult second =
      RunLrsweep("run " + smoke + " --workers 1 --data-dir " + data);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.err, HasSubstr("also unfinished in " + data + ": e2e-long-"));
  // The interrupted sweep's trial was not trained by the second run's worker.
  const std::string log = *ReadBinaryFile(data + "/logs/worker-0.log");
  size_t long_attempts = 0;
  for (size_t at = log.find("trial 0 of e2e-long-"); at != std::string::npos;
       at = log.find("trial 0 of e2e-long-", at + 1)) {
    ++long_attempts;
  }
  EXPECT_EQ(long_attempts, 1u) << log;
  // The same file again, after its sweep finished: a new sweep, and run says so.
  const testing::CommandResult third =
      RunLrsweep("run " + smoke + " --workers 1 --data-dir " + data);
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_THAT(third.err, HasSubstr("this file's sweep ended earlier as "));
}

TEST(EndToEndTest, RunInterruptedAndRunAgainContinuesTheSameSweep) {
  testing::TempDir dir;
  const std::string sweep_file = dir.Write("long.yaml", std::string(kLongSweep) +
                                                            "checkpoint: {every_steps: 200}\n");
  const std::string data = dir.path() + "/data";
  auto first = ChildProcess::Start({LocalCluster::Bin() + "/lrsweep", "run", sweep_file,
                                    "--workers", "1", "--data-dir", data},
                                   dir.path() + "/first.log");
  ASSERT_TRUE(first.ok());
  // Wait until the trial has a committed checkpoint, then interrupt the run (Ctrl-C).
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  bool checkpointed = false;
  while (!checkpointed && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
    int port = 0;
    std::ifstream(data + "/coordinator.port") >> port;
    if (port == 0) continue;
    CoordinatorClient client(absl::StrCat("127.0.0.1:", port), absl::Seconds(2));
    auto sweeps = client.ListSweeps();
    if (!sweeps.ok() || sweeps->sweeps().empty()) continue;
    auto trials = client.ListTrials(sweeps->sweeps(0).sweep_id());
    checkpointed = trials.ok() && !trials->empty() && (*trials)[0].checkpoint_step() > 0;
  }
  ASSERT_TRUE(checkpointed);
  kill(first->pid(), SIGINT);
  EXPECT_EQ(first->Wait(absl::Seconds(30)), 130);  // interrupted, as a shell reports Ctrl-C
  const testing::CommandResult second =
      RunLrsweep("run " + sweep_file + " --workers 1 --data-dir " + data);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.err, HasSubstr("resuming sweep"));
  EXPECT_THAT(second.out, HasSubstr("1 COMPLETED"));
}

}  // namespace
}  // namespace lrsweep
