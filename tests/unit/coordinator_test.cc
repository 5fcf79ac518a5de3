// The coordinator's lease logic without a server: grants, long-polls, fencing tokens, expiry,
// retries and cancellation, on a real SQLite store in a temp dir.
#include "coordinator/coordinator.h"

#include <atomic>

#include <fstream>

#include "absl/synchronization/notification.h"
#include "common/atomic_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace lrsweep {
namespace {

using ::testing::HasSubstr;

constexpr char kSweep[] = R"(name: unit
max_failures: 2
train:
  model: {type: mlp, hidden: [4]}
  data: {type: synthetic, train_examples: 100, val_fraction: 0.2}
  steps: 10
  batch_size: 10
parameters:
  schedule.type: constant
  schedule.lr: [0.1, 0.2]
)";

class CoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *OpenSqliteStore(dir_.path() + "/lrsweep.db");
    Restart();
  }
  void Restart(absl::Duration lease_timeout = absl::Milliseconds(300)) {
    coordinator_.reset();
    CoordinatorOptions options;
    options.heartbeat_interval = absl::Milliseconds(100);
    options.lease_timeout = lease_timeout;
    options.checkpoint_dir = dir_.path() + "/checkpoints";
    coordinator_ = *Coordinator::Create(store_.get(), options);
  }
  std::string Worker() { return coordinator_->RegisterWorker("w", "cpu", 1)->id; }
  std::optional<LeaseGrant> Acquire(const std::string& worker,
                                    absl::Duration wait = absl::ZeroDuration()) {
    absl::Notification done;
    std::optional<LeaseGrant> result;
    coordinator_->AcquireLease(worker, wait, [&](absl::StatusOr<std::optional<LeaseGrant>> grant) {
      EXPECT_TRUE(grant.ok()) << grant.status();
      if (grant.ok()) result = *grant;
      done.Notify();
    });
    done.WaitForNotification();
    return result;
  }
  LeaseRef Ref(const std::string& worker, const LeaseGrant& grant) {
    return {worker, grant.sweep_id, grant.trial, grant.fencing_token};
  }
  TrialRecord Trial(const std::string& sweep, int64_t index) {
    return (*coordinator_->ListTrials(sweep))[static_cast<size_t>(index)];
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Coordinator> coordinator_;
};

TEST_F(CoordinatorTest, EachTrialIsLeasedToOneWorkerAtATime) {
  const std::string sweep = coordinator_->SubmitSweep(kSweep, "s.yaml")->sweep_id;
  const std::string a = Worker(), b = Worker(), c = Worker();
  std::optional<LeaseGrant> first = Acquire(a), second = Acquire(b), third = Acquire(c);
  ASSERT_TRUE(first && second);
  EXPECT_FALSE(third.has_value());  // two trials, both leased
  EXPECT_NE(first->trial, second->trial);
  EXPECT_EQ(first->fencing_token, 1);
  EXPECT_EQ(Trial(sweep, first->trial).state, TrialState::kRunning);
  EXPECT_EQ(Trial(sweep, first->trial).worker_id, a);
}

TEST_F(CoordinatorTest, LongPollIsAnsweredAsSoonAsWorkArrives) {
  const std::string worker = Worker();
  absl::Notification granted;
  std::optional<LeaseGrant> grant;
  coordinator_->AcquireLease(worker, absl::Seconds(20),
                             [&](absl::StatusOr<std::optional<LeaseGrant>> result) {
                               grant = *result;
                               granted.Notify();
                             });
  EXPECT_FALSE(granted.HasBeenNotified());
  const absl::Time submitted = absl::Now();
  coordinator_->SubmitSweep(kSweep, "s.yaml");
  ASSERT_TRUE(granted.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(grant.has_value());
  // Woken by the submission, not by the 20 s wait running out (a generous bound).
  EXPECT_LT(absl::Now() - submitted, absl::Seconds(5));
}

TEST_F(CoordinatorTest, StaleFencingTokenIsRejectedAfterExpiry) {
  const std::string sweep = coordinator_->SubmitSweep(kSweep, "s.yaml")->sweep_id;
  const std::string zombie = Worker(), fresh = Worker();
  std::optional<LeaseGrant> lost = Acquire(zombie);
  ASSERT_TRUE(lost);
  std::optional<LeaseGrant> other = Acquire(fresh);  // the second trial
  ASSERT_TRUE(other);
  ASSERT_TRUE(coordinator_->CompleteTrial(Ref(fresh, *other), false, "", {}).ok());
  // No heartbeat: the lease expires and the trial returns to PENDING, then goes to `fresh`.
  absl::SleepFor(absl::Milliseconds(600));
  EXPECT_EQ(Trial(sweep, lost->trial).state, TrialState::kPreempted);
  EXPECT_EQ(Trial(sweep, lost->trial).preemptions, 1);
  EXPECT_EQ(Trial(sweep, lost->trial).failures, 0);
  std::optional<LeaseGrant> retaken = Acquire(fresh);
  ASSERT_TRUE(retaken);
  EXPECT_EQ(retaken->trial, lost->trial);
  EXPECT_EQ(retaken->fencing_token, 2);

  MetricPoint point;
  point.step = 5;
  const absl::StatusOr<Directive> report = coordinator_->ReportMetrics(Ref(zombie, *lost), {point});
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(report.status().message()), HasSubstr("stale lease"));
  EXPECT_EQ(coordinator_->CompleteTrial(Ref(zombie, *lost), false, "", {}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(coordinator_->Heartbeat(Ref(zombie, *lost), 5).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(coordinator_->GetMetrics(sweep, lost->trial)->empty());
  EXPECT_EQ(Trial(sweep, lost->trial).worker_id, fresh);
}

TEST_F(CoordinatorTest, HeartbeatsKeepTheLease) {
  const std::string sweep = coordinator_->SubmitSweep(kSweep, "s.yaml")->sweep_id;
  const std::string worker = Worker();
  std::optional<LeaseGrant> grant = Acquire(worker);
  for (int i = 0; i < 8; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    ASSERT_EQ(*coordinator_->Heartbeat(Ref(worker, *grant), i), Directive::kContinue);
  }
  EXPECT_EQ(Trial(sweep, grant->trial).state, TrialState::kRunning);
}

TEST_F(CoordinatorTest, FailuresAreRetriedUntilMaxFailuresWithReasonsKept) {
  const std::string sweep = coordinator_->SubmitSweep(kSweep, "s.yaml")->sweep_id;
  const std::string worker = Worker();
  std::optional<LeaseGrant> grant = Acquire(worker);
  ASSERT_TRUE(coordinator_->FailTrial(Ref(worker, *grant), "out of memory").ok());
  EXPECT_EQ(Trial(sweep, grant->trial).state, TrialState::kPending);
  std::optional<LeaseGrant> again = Acquire(worker);
  ASSERT_EQ(again->trial, grant->trial);  // retried first: it is the earliest pending trial
  ASSERT_TRUE(coordinator_->FailTrial(Ref(worker, *again), "segfault").ok());
  const TrialRecord failed = Trial(sweep, grant->trial);
  EXPECT_EQ(failed.state, TrialState::kFailed);
  EXPECT_EQ(failed.failures, 2);
  EXPECT_THAT(failed.reason, HasSubstr("attempt 1: out of memory"));
  EXPECT_THAT(failed.reason, HasSubstr("attempt 2: segfault"));
}

TEST_F(CoordinatorTest, CompletionScoresAndFinishesTheSweep) {
  const std::string sweep = coordinator_->SubmitSweep(kSweep, "s.yaml")->sweep_id;
  const std::string worker = Worker();
  for (int i = 0; i < 2; ++i) {
    std::optional<LeaseGrant> grant = Acquire(worker);
    MetricPoint a, b;
    a.step = 4, a.val_accuracy = 0.5;
    b.step = 9, b.val_accuracy = 0.75 + i * 0.1;
    ASSERT_TRUE(coordinator_->ReportMetrics(Ref(worker, *grant), {a}).ok());
    ASSERT_TRUE(coordinator_->CompleteTrial(Ref(worker, *grant), i == 1, i ? "nan at 9" : "", {b}).ok());
  }
  EXPECT_EQ(coordinator_->GetSweep(sweep)->record.state, SweepState::kFinished);
  EXPECT_DOUBLE_EQ(*Trial(sweep, 0).score, 0.75);
  EXPECT_EQ(Trial(sweep, 1).state, TrialState::kDiverged);
  EXPECT_FALSE(Trial(sweep, 1).score.has_value());
  EXPECT_EQ(Trial(sweep, 1).reason, "nan at 9");
}

TEST_F(CoordinatorTest, CancelTellsRunningWorkersToStop) {
  const std::string sweep = coordinator_->SubmitSweep(kSweep, "s.yaml")->sweep_id;
  const std::string worker = Worker();
  std::optional<LeaseGrant> grant = Acquire(worker);
  EXPECT_EQ(*coordinator_->CancelSweep(sweep), 2);
  EXPECT_EQ(*coordinator_->Heartbeat(Ref(worker, *grant), 1), Directive::kStop);
  EXPECT_FALSE(Acquire(worker).has_value());
  EXPECT_EQ(coordinator_->GetSweep(sweep)->record.state, SweepState::kCancelled);
}

TEST_F(CoordinatorTest, StateSurvivesARestartAndRunningLeasesContinue) {
  const std::string sweep = coordinator_->SubmitSweep(kSweep, "s.yaml")->sweep_id;
  const std::string worker = Worker();
  std::optional<LeaseGrant> grant = Acquire(worker);
  Restart(absl::Seconds(5));
  EXPECT_EQ(Trial(sweep, grant->trial).state, TrialState::kRunning);
  EXPECT_EQ(*coordinator_->Heartbeat(Ref(worker, *grant), 3), Directive::kContinue);
  ASSERT_TRUE(coordinator_->CompleteTrial(Ref(worker, *grant), false, "", {}).ok());
  std::optional<LeaseGrant> next = Acquire(worker);
  ASSERT_TRUE(next);
  EXPECT_NE(next->trial, grant->trial);
}

TEST_F(CoordinatorTest, ACheckpointThatDoesNotVerifyIsRefusedAndNotedOnTheTrial) {
  const std::string sweep = coordinator_->SubmitSweep(kSweep, "s.yaml")->sweep_id;
  const std::string worker = Worker();
  std::optional<LeaseGrant> grant = Acquire(worker);
  const LeaseRef lease = Ref(worker, *grant);
  auto upload = [&](int64_t step, const std::string& bytes, const std::string& claimed_sha) {
    absl::StatusOr<std::string> temp = coordinator_->BeginCheckpointUpload(lease, step);
    EXPECT_TRUE(temp.ok()) << temp.status();
    std::ofstream(*temp, std::ios::binary) << bytes;
    return coordinator_->CommitCheckpoint(lease, step, *temp, claimed_sha,
                                          static_cast<int64_t>(bytes.size()));
  };
  ASSERT_TRUE(upload(5, "good bytes", Sha256Hex("good bytes")).ok());
  const absl::Status bad = upload(8, "torn byt", Sha256Hex("torn bytes"));
  EXPECT_EQ(bad.code(), absl::StatusCode::kDataLoss);
  TrialRecord trial = Trial(sweep, grant->trial);
  EXPECT_EQ(trial.checkpoint_step, 5);  // the previous checkpoint stays
  EXPECT_THAT(trial.checkpoint_error, HasSubstr("checkpoint at step 8 not stored"));
  EXPECT_EQ(*ReadBinaryFile(coordinator_->GetCheckpoint(lease, 5)->path), "good bytes");
  ASSERT_TRUE(upload(9, "newer", Sha256Hex("newer")).ok());
  EXPECT_TRUE(Trial(sweep, grant->trial).checkpoint_error.empty());
  // A stale lease cannot upload.
  EXPECT_EQ(coordinator_->BeginCheckpointUpload(LeaseRef{worker, sweep, grant->trial, 99}, 10)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(CoordinatorTest, BadSweepIsInvalidArgumentWithPosition) {
  absl::StatusOr<SubmitResult> result =
      coordinator_->SubmitSweep("name: x\ntrain: {epochs: 1}\nschedule: {type: cosin, lr: 1}\n",
                                "bad.yaml");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("bad.yaml:3:18"));
  EXPECT_TRUE(coordinator_->ListSweeps().empty());
}

}  // namespace
}  // namespace lrsweep
