// Every proto <-> domain conversion round-trips, and a lost lease stays recognizable across the
// gRPC status mapping.
#include "rpc/rpc_convert.h"

#include "common/status_reason.h"
#include "gtest/gtest.h"
#include "rpc/status.h"
#include "sweep/trial_columns.h"

namespace lrsweep {
namespace {

TrialRecord FullTrial() {
  TrialRecord t;
  t.sweep_id = "s-1";
  t.trial = 4;
  t.config = 2;
  t.seed = 7;
  t.plan_json = R"({"trial":4})";
  t.params_json = R"({"schedule.lr":0.1})";
  t.state = TrialState::kPreempted;
  t.attempts = 3;
  t.failures = 1;
  t.reason = "attempt 1: oom";
  t.worker_id = "w-1";
  t.step = 120;
  t.total_steps = 500;
  t.lr = 0.05;
  t.score = 0.91;
  t.latest_metric = 0.9;
  t.final_metrics_json = R"({"val_accuracy":0.91})";
  t.updated_ms = 1234;
  t.preemptions = 2;
  t.checkpoint_step = 100;
  t.checkpoint_error = "disk full";
  return t;
}

// Every column of the table, compared by value: a field added to TrialRecord and TrialColumns
// but forgotten in a conversion fails here.
void ExpectSameTrial(const TrialRecord& a, const TrialRecord& b) {
  for (const TrialColumn& column : TrialColumns()) {
    std::visit([&](auto member) { EXPECT_EQ(a.*member, b.*member) << column.name; },
               column.member);
  }
}

TEST(RpcConvertTest, TrialsRoundTripEveryColumn) {
  const TrialRecord trial = FullTrial();
  ExpectSameTrial(FromProto(ToProto(trial)), trial);
  TrialRecord unscored = trial;
  unscored.score.reset();
  unscored.latest_metric.reset();
  ExpectSameTrial(FromProto(ToProto(unscored)), unscored);
}

TEST(RpcConvertTest, MetricPointsRoundTripWithOptionalFieldsAbsentOrPresent) {
  MetricPoint full{10, 1, 0.1, 0.9, 2.3, 2.1, 0.4, 0.38, 512.0, 3.5};
  MetricPoint sparse;
  sparse.step = 11;
  sparse.lr = 0.2;
  for (const MetricPoint& point : {full, sparse}) {
    const MetricPoint back = FromProto(ToProto(point));
    EXPECT_EQ(back.step, point.step);
    EXPECT_EQ(back.epoch, point.epoch);
    EXPECT_EQ(back.lr, point.lr);
    EXPECT_EQ(back.momentum, point.momentum);
    EXPECT_EQ(back.train_loss, point.train_loss);
    EXPECT_EQ(back.val_loss, point.val_loss);
    EXPECT_EQ(back.val_accuracy, point.val_accuracy);
    EXPECT_EQ(back.test_accuracy, point.test_accuracy);
    EXPECT_EQ(back.examples_per_second, point.examples_per_second);
    EXPECT_EQ(back.wall_seconds, point.wall_seconds);
  }
}

TEST(RpcConvertTest, LeasesAndGrantsRoundTrip) {
  const LeaseRef lease{"w-1", "s-1", 4, 3};
  const LeaseRef back = FromProto(ToProto(lease));
  EXPECT_EQ(back.worker_id, lease.worker_id);
  EXPECT_EQ(back.sweep_id, lease.sweep_id);
  EXPECT_EQ(back.trial, lease.trial);
  EXPECT_EQ(back.fencing_token, lease.fencing_token);

  LeaseGrant grant{"s-1", 4, 3, R"({"trial":4})", {}};
  grant.checkpoints.push_back({"s-1", 4, 200, std::string(64, 'a'), 99, "/coordinator/only", 2,
                               5, "s-1/4/step-200-a2.ckpt"});
  grant.checkpoints.push_back({"s-1", 4, 100, std::string(64, 'b'), 98, "", 1, 4, ""});
  const LeaseGrant got = FromProto(ToProto(grant));
  EXPECT_EQ(got.sweep_id, grant.sweep_id);
  EXPECT_EQ(got.trial, grant.trial);
  EXPECT_EQ(got.fencing_token, grant.fencing_token);
  EXPECT_EQ(got.plan_json, grant.plan_json);
  ASSERT_EQ(got.checkpoints.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(got.checkpoints[i].sweep_id, "s-1");
    EXPECT_EQ(got.checkpoints[i].trial, 4);
    EXPECT_EQ(got.checkpoints[i].step, grant.checkpoints[i].step);
    EXPECT_EQ(got.checkpoints[i].size, grant.checkpoints[i].size);
    EXPECT_EQ(got.checkpoints[i].sha256, grant.checkpoints[i].sha256);
    EXPECT_EQ(got.checkpoints[i].shared_path, grant.checkpoints[i].shared_path);
  }
  // Where the coordinator keeps a file is its own business: the lease does not say.
  EXPECT_TRUE(got.checkpoints[0].path.empty());
}

TEST(RpcConvertTest, EnumsRoundTrip) {
  for (TrialState state :
       {TrialState::kPending, TrialState::kRunning, TrialState::kCompleted, TrialState::kDiverged,
        TrialState::kFailed, TrialState::kCancelled, TrialState::kPreempted, TrialState::kStopped}) {
    EXPECT_EQ(FromProto(ToProto(state)), state);
  }
  for (SweepState state : {SweepState::kRunning, SweepState::kFinished, SweepState::kCancelled}) {
    EXPECT_EQ(FromProto(ToProto(state)), state);
  }
  for (Directive directive : {Directive::kContinue, Directive::kStop, Directive::kPreempt}) {
    EXPECT_EQ(FromProto(ToProto(directive)), directive);
  }
  EXPECT_EQ(ToProto(WorkerState::kTraining), v1::WORKER_TRAINING);
  EXPECT_EQ(ToProto(WorkerState::kWaiting), v1::WORKER_WAITING);
  EXPECT_EQ(ToProto(WorkerState::kLost), v1::WORKER_LOST);
}

TEST(RpcConvertTest, SweepAndWorkerViewsCarryTheirFields) {
  SweepView view;
  view.record.id = "s-1";
  view.record.name = "demo";
  view.record.state = SweepState::kFinished;
  view.record.metric_name = "val_loss";
  view.record.maximize = false;
  view.record.source_sha256 = "abc";
  view.counts = {{TrialState::kCompleted, 3}, {TrialState::kFailed, 1}};
  view.total_trials = 4;
  const v1::SweepSummary summary = ToProto(view);
  EXPECT_EQ(summary.sweep_id(), "s-1");
  EXPECT_EQ(summary.state(), v1::SWEEP_FINISHED);
  EXPECT_EQ(summary.metric_name(), "val_loss");
  EXPECT_FALSE(summary.maximize());
  EXPECT_EQ(summary.source_sha256(), "abc");
  EXPECT_EQ(summary.total_trials(), 4);
  ASSERT_EQ(summary.counts_size(), 2);
  EXPECT_EQ(summary.counts(0).state(), v1::COMPLETED);
  EXPECT_EQ(summary.counts(0).count(), 3);

  const v1::WorkerInfo worker =
      ToProto(WorkerView{WorkerRecord{"w-1", "gpu0", "cuda:0", 4, 1, 2}, WorkerState::kTraining,
                         "s-1", 3});
  EXPECT_EQ(worker.worker_id(), "w-1");
  EXPECT_EQ(worker.name(), "gpu0");
  EXPECT_EQ(worker.device(), "cuda:0");
  EXPECT_EQ(worker.threads(), 4);
  EXPECT_EQ(worker.last_heartbeat_unix_ms(), 2);
  EXPECT_EQ(worker.current_sweep_id(), "s-1");
  EXPECT_EQ(worker.current_trial(), 3);
  EXPECT_EQ(worker.state(), v1::WORKER_TRAINING);
}

TEST(RpcStatusTest, ALostLeaseIsStillALostLeaseAfterCrossingGrpc) {
  const absl::Status lost =
      LeaseLostError(absl::StatusCode::kFailedPrecondition, "stale lease for trial 3");
  const absl::Status back = FromGrpcStatus(ToGrpcStatus(lost));
  EXPECT_EQ(back.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(back.message(), "stale lease for trial 3");
  EXPECT_TRUE(IsLeaseLost(back));
  // Another error with the same code is not a lost lease, whatever its text says.
  const absl::Status other = absl::FailedPreconditionError("stale lease? no: not mounted");
  EXPECT_FALSE(IsLeaseLost(FromGrpcStatus(ToGrpcStatus(other))));
  EXPECT_TRUE(FromGrpcStatus(ToGrpcStatus(absl::OkStatus())).ok());
  // Garbage in the details is ignored, not a crash.
  EXPECT_FALSE(IsLeaseLost(FromGrpcStatus(
      grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "x", std::string("\xff\xfe\x01", 3)))));
}

}  // namespace
}  // namespace lrsweep
