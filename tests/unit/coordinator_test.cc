// The coordinator's lease logic without a server: grants, long-polls, fencing tokens, expiry,
// retries and cancellation, on a real SQLite store in a temp dir.
#include "coordinator/coordinator.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/synchronization/notification.h"
#include "common/atomic_file.h"
#include "common/checkpoint_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
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

// A metric point at `step` with only its LR.
MetricPoint PointAt(int64_t step) {
  MetricPoint point;
  point.step = step;
  point.lr = 0.1;
  return point;
}

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
    options.shared_checkpoint_dir = shared_dir_;
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

  // A checkpoint file written into the shared directory as a worker would; returns its path
  // relative to that directory.
  std::string WriteShared(const LeaseRef& lease, int64_t step, const std::string& bytes) {
    const std::string relative =
        SharedCheckpointPath(lease.sweep_id, lease.trial, step, lease.fencing_token);
    std::filesystem::create_directories(
        std::filesystem::path(shared_.path() + "/" + relative).parent_path());
    EXPECT_TRUE(WriteFileAtomically(shared_.path() + "/" + relative, bytes).ok());
    return relative;
  }
  absl::StatusOr<RegisteredCheckpoint> Register(const LeaseRef& lease, int64_t step,
                                                const std::string& relative,
                                                const std::string& bytes) {
    return coordinator_->RegisterSharedCheckpoint(
        lease, {step, relative, Sha256Hex(bytes), static_cast<int64_t>(bytes.size())});
  }

  testing::TempDir dir_;
  testing::TempDir shared_;
  std::string shared_dir_;  // the coordinator's --shared-checkpoint-dir; empty: not mounted
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
  ASSERT_TRUE(coordinator_->SubmitSweep(kSweep, "s.yaml").ok());
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

// `lrsweep retry`: a FAILED trial runs again with its failures forgiven, the finished sweep runs
// until it ends, and all of it is durable.
TEST_F(CoordinatorTest, RetryRunsFailedTrialsAgainAndTheSweepUntilTheyEnd) {
  const std::string sweep = coordinator_->SubmitSweep(kSweep, "s.yaml")->sweep_id;
  const std::string worker = Worker();
  std::optional<LeaseGrant> first = Acquire(worker);
  ASSERT_TRUE(coordinator_->CompleteTrial(Ref(worker, *first), false, "", {}).ok());
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::optional<LeaseGrant> grant = Acquire(worker);
    ASSERT_TRUE(coordinator_->FailTrial(Ref(worker, *grant), "out of memory").ok());
  }
  const int64_t failed = 1 - first->trial;
  ASSERT_EQ(Trial(sweep, failed).state, TrialState::kFailed);
  ASSERT_EQ(coordinator_->GetSweep(sweep)->record.state, SweepState::kFinished);

  EXPECT_EQ(*coordinator_->RetrySweep(sweep, /*cancelled=*/false), 1);
  Restart();  // what the store holds
  EXPECT_EQ(coordinator_->GetSweep(sweep)->record.state, SweepState::kRunning);
  EXPECT_EQ(Trial(sweep, failed).state, TrialState::kPending);
  EXPECT_EQ(Trial(sweep, failed).failures, 0);
  EXPECT_EQ(Trial(sweep, failed).reason, "");
  EXPECT_EQ(Trial(sweep, first->trial).state, TrialState::kCompleted);  // untouched

  const std::string again_worker = Worker();
  std::optional<LeaseGrant> again = Acquire(again_worker);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->trial, failed);
  EXPECT_EQ(again->fencing_token, 3);  // a new attempt after the two that failed
  ASSERT_TRUE(coordinator_->CompleteTrial(Ref(again_worker, *again), false, "", {}).ok());
  EXPECT_EQ(coordinator_->GetSweep(sweep)->record.state, SweepState::kFinished);
  EXPECT_EQ(*coordinator_->RetrySweep(sweep, false), 0);  // nothing left to retry
  EXPECT_EQ(coordinator_->RetrySweep("nope", false).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CoordinatorTest, RetryWithCancelledRunsACancelledSweepOnOnceItsWorkersLetGo) {
  const std::string sweep = coordinator_->SubmitSweep(kSweep, "s.yaml")->sweep_id;
  const std::string worker = Worker();
  std::optional<LeaseGrant> running = Acquire(worker);
  ASSERT_EQ(*coordinator_->CancelSweep(sweep), 2);
  EXPECT_EQ(*coordinator_->RetrySweep(sweep, /*cancelled=*/false), 0);  // none failed
  // The running trial's worker still holds its lease: only the other trial runs again now.
  EXPECT_EQ(*coordinator_->RetrySweep(sweep, /*cancelled=*/true), 1);
  EXPECT_EQ(coordinator_->GetSweep(sweep)->record.state, SweepState::kRunning);
  EXPECT_EQ(*coordinator_->Heartbeat(Ref(worker, *running), 1), Directive::kStop);
  std::optional<LeaseGrant> next = Acquire(Worker());
  ASSERT_TRUE(next.has_value());
  EXPECT_NE(next->trial, running->trial);
}

TEST_F(CoordinatorTest, RetryRefusesASweepWhoseSearchMethodDecidedOnItsTrials) {
  const std::string sweep =
      coordinator_->SubmitSweep(absl::StrCat(kSweep, "early_stopping: {rule: median}\n"), "s.yaml")
          ->sweep_id;
  const absl::StatusOr<int64_t> retried = coordinator_->RetrySweep(sweep, false);
  EXPECT_EQ(retried.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(retried.status().message(), HasSubstr("search method"));
}

TEST_F(CoordinatorTest, NotesAndTagsAreKeptSortedAndSurviveARestart) {
  const std::string sweep = coordinator_->SubmitSweep(kSweep, "s.yaml")->sweep_id;
  SweepLabelChange change;
  change.note = "after the loader fix";
  change.add_tags = {"baseline", "bs-256", "baseline"};
  absl::StatusOr<SweepView> labelled = coordinator_->LabelSweep(sweep, change);
  ASSERT_TRUE(labelled.ok()) << labelled.status();
  EXPECT_THAT(labelled->record.tags, ::testing::ElementsAre("baseline", "bs-256"));

  SweepLabelChange bad;
  bad.add_tags = {"two words"};
  const absl::StatusOr<SweepView> refused = coordinator_->LabelSweep(sweep, bad);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("'two words' has ' '"));

  SweepLabelChange untag;
  untag.remove_tags = {"bs-256", "never-there"};
  ASSERT_TRUE(coordinator_->LabelSweep(sweep, untag).ok());
  Restart();
  const SweepRecord record = coordinator_->GetSweep(sweep)->record;
  EXPECT_EQ(record.note, "after the loader fix");
  EXPECT_THAT(record.tags, ::testing::ElementsAre("baseline"));
  EXPECT_EQ(coordinator_->LabelSweep("nope", change).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(CoordinatorTest, ArchiveDeletesAnEndedSweepsCheckpointsAndKeepsItsResults) {
  const std::string sweep = coordinator_->SubmitSweep(kSweep, "s.yaml")->sweep_id;
  const std::string worker = Worker();
  std::optional<LeaseGrant> grant = Acquire(worker);
  const LeaseRef lease = Ref(worker, *grant);
  const std::string bytes(5000, 'c');
  absl::StatusOr<TempFile> temp = coordinator_->BeginCheckpointUpload(lease, 5);
  ASSERT_TRUE(temp.ok() && temp->Append(bytes).ok());
  ASSERT_TRUE(coordinator_->CommitCheckpoint(lease, 5, *std::move(temp), Sha256Hex(bytes), 5000)
                  .ok());
  ASSERT_TRUE(coordinator_->ReportMetrics(lease, {PointAt(5)}).ok());

  const absl::StatusOr<SpaceFreed> running = coordinator_->ArchiveSweep(sweep);
  EXPECT_EQ(running.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(running.status().message(), HasSubstr("lrsweep cancel"));
  ASSERT_TRUE(coordinator_->CancelSweep(sweep).ok());
  // The cancelled trial's worker holds its lease until it hears STOP.
  EXPECT_THAT(coordinator_->ArchiveSweep(sweep).status().message(), HasSubstr("still holds"));
  EXPECT_EQ(*coordinator_->Heartbeat(lease, 6), Directive::kStop);
  ASSERT_TRUE(coordinator_->PreemptTrial(lease, "told to stop").ok());  // it lets go

  absl::StatusOr<SpaceFreed> freed = coordinator_->ArchiveSweep(sweep);
  ASSERT_TRUE(freed.ok()) << freed.status();
  EXPECT_EQ(freed->checkpoints, 1);
  EXPECT_EQ(freed->checkpoint_bytes, 5000);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/checkpoints/" + sweep));
  Restart();
  EXPECT_GT(coordinator_->GetSweep(sweep)->record.archived_ms, 0);
  EXPECT_EQ(coordinator_->GetMetrics(sweep, grant->trial)->size(), 1u);  // results stay
  EXPECT_TRUE(store_->ListCheckpoints(sweep, grant->trial)->empty());
  EXPECT_THAT(coordinator_->RetrySweep(sweep, true).status().message(), HasSubstr("archived"));
  EXPECT_EQ(coordinator_->ArchiveSweep(sweep)->checkpoint_bytes, 0);  // again: nothing left
}

TEST_F(CoordinatorTest, DeleteRemovesAnEndedSweepWithEverythingItStored) {
  const std::string kept = coordinator_->SubmitSweep(kSweep, "kept.yaml")->sweep_id;
  const std::string sweep = coordinator_->SubmitSweep(kSweep, "s.yaml")->sweep_id;
  const std::string worker = Worker();
  ASSERT_TRUE(coordinator_->CancelSweep(kept).ok());
  std::optional<LeaseGrant> grant = Acquire(worker);
  ASSERT_EQ(grant->sweep_id, sweep);
  const LeaseRef lease = Ref(worker, *grant);
  absl::StatusOr<TempFile> temp = coordinator_->BeginCheckpointUpload(lease, 5);
  ASSERT_TRUE(temp.ok() && temp->Append("abc").ok());
  ASSERT_TRUE(coordinator_->CommitCheckpoint(lease, 5, *std::move(temp), Sha256Hex("abc"), 3)
                  .ok());
  ASSERT_TRUE(coordinator_->CompleteTrial(lease, false, "",
                                          {PointAt(5), PointAt(10)})
                  .ok());
  EXPECT_EQ(coordinator_->DeleteSweep(sweep).status().code(),
            absl::StatusCode::kFailedPrecondition);  // one trial still to run
  ASSERT_TRUE(coordinator_->CancelSweep(sweep).ok());

  absl::StatusOr<SpaceFreed> freed = coordinator_->DeleteSweep(sweep);
  ASSERT_TRUE(freed.ok()) << freed.status();
  EXPECT_EQ(freed->trials, 2);
  EXPECT_EQ(freed->metric_points, 2);
  EXPECT_EQ(freed->checkpoints, 1);
  EXPECT_EQ(freed->checkpoint_bytes, 3);
  EXPECT_EQ(coordinator_->GetSweep(sweep).status().code(), absl::StatusCode::kNotFound);
  Restart();
  EXPECT_EQ(coordinator_->GetSweep(sweep).status().code(), absl::StatusCode::kNotFound);
  ASSERT_EQ(coordinator_->ListSweeps().size(), 1u);
  EXPECT_EQ(coordinator_->ListSweeps()[0].record.id, kept);
  EXPECT_TRUE(store_->GetMetrics(sweep, grant->trial)->empty());
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/checkpoints/" + sweep));
  EXPECT_EQ(coordinator_->DeleteSweep(sweep).status().code(), absl::StatusCode::kNotFound);
  // A new sweep still gets work after the deleted one left the dispatch order.
  const std::string next = coordinator_->SubmitSweep(kSweep, "next.yaml")->sweep_id;
  std::optional<LeaseGrant> again = Acquire(Worker());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->sweep_id, next);
}

TEST_F(CoordinatorTest, AnEditedFileAddsOnlyItsNewTrialsAndRunsTheEndedSweepAgain) {
  const std::string sweep = coordinator_->SubmitSweep(kSweep, "s.yaml")->sweep_id;
  const std::string worker = Worker();
  for (int i = 0; i < 2; ++i) {
    std::optional<LeaseGrant> grant = Acquire(worker);
    ASSERT_TRUE(coordinator_->CompleteTrial(Ref(worker, *grant), false, "", {}).ok());
  }
  ASSERT_EQ(coordinator_->GetSweep(sweep)->record.state, SweepState::kFinished);
  std::string edited = kSweep;
  edited.replace(edited.find("[0.1, 0.2]"), 10, "[0.1, 0.2, 0.4]");

  absl::StatusOr<SubmitResult> added = coordinator_->ExtendSweep(sweep, edited, "s.yaml");
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(added->total_trials, 1);
  Restart();  // what the store holds
  const SweepView view = *coordinator_->GetSweep(sweep);
  EXPECT_EQ(view.record.state, SweepState::kRunning);
  EXPECT_EQ(view.total_trials, 3);
  EXPECT_EQ(view.record.yaml, edited);
  EXPECT_EQ(Trial(sweep, 0).state, TrialState::kCompleted);  // the finished trials stay
  std::optional<LeaseGrant> grant = Acquire(Worker());
  ASSERT_TRUE(grant.has_value());
  EXPECT_EQ(grant->trial, 2);
  EXPECT_EQ(Trial(sweep, 2).config, 2);
  EXPECT_EQ(coordinator_->ExtendSweep(sweep, edited, "s.yaml")->total_trials, 0);

  std::string other_metric = edited + "metric: {name: val_loss}\n";
  const absl::StatusOr<SubmitResult> refused = coordinator_->ExtendSweep(sweep, other_metric, "s.yaml");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("ranks by val_loss"));
  const absl::StatusOr<SubmitResult> searched =
      coordinator_->ExtendSweep(sweep, edited + "early_stopping: {rule: median}\n", "s.yaml");
  EXPECT_EQ(searched.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(coordinator_->ExtendSweep("nope", edited, "s.yaml").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(CoordinatorTest, ATrialsTimelineRecordsItsAttemptsCheckpointsAndEndsDurably) {
  const std::string sweep = coordinator_->SubmitSweep(kSweep, "s.yaml")->sweep_id;
  const std::string worker = Worker();
  std::optional<LeaseGrant> first = Acquire(worker);
  ASSERT_EQ(first->trial, 0);
  ASSERT_TRUE(coordinator_->FailTrial(Ref(worker, *first), "CUDA out of memory").ok());
  std::optional<LeaseGrant> second = Acquire(worker);
  ASSERT_EQ(second->trial, 0);
  const LeaseRef lease = Ref(worker, *second);
  absl::StatusOr<TempFile> temp = coordinator_->BeginCheckpointUpload(lease, 5);
  ASSERT_TRUE(temp.ok() && temp->Append("state").ok());
  ASSERT_TRUE(
      coordinator_->CommitCheckpoint(lease, 5, *std::move(temp), Sha256Hex("state"), 5).ok());
  ASSERT_TRUE(coordinator_->PreemptTrial(lease, "SIGTERM").ok());
  const std::string other = Worker();
  std::optional<LeaseGrant> third = Acquire(other);
  ASSERT_EQ(third->trial, 0);
  MetricPoint last;
  last.step = 10;
  last.val_accuracy = 0.75;
  ASSERT_TRUE(coordinator_->CompleteTrial(Ref(other, *third), false, "", {last}).ok());
  Restart();

  const std::vector<TrialEvent> events = *coordinator_->ListTrialEvents(sweep, 0);
  std::vector<std::string> kinds;
  for (const TrialEvent& event : events) kinds.push_back(event.kind);
  EXPECT_THAT(kinds, ::testing::ElementsAre("leased", "failed", "leased", "checkpoint",
                                            "preempted", "leased", "completed"));
  ASSERT_EQ(events.size(), 7u);
  EXPECT_EQ(events[0].worker_id, worker);
  EXPECT_EQ(events[1].attempt, 1);
  EXPECT_THAT(events[1].detail, HasSubstr("CUDA out of memory (will be retried)"));
  EXPECT_EQ(events[3].step, 5);
  EXPECT_EQ(events[3].attempt, 2);
  EXPECT_EQ(events[5].worker_id, other);
  EXPECT_EQ(events[5].attempt, 3);
  EXPECT_EQ(events[5].step, 5);  // it resumes from the checkpoint
  EXPECT_THAT(events[5].detail, HasSubstr("resumes from the checkpoint at step 5"));
  EXPECT_THAT(events[6].detail, HasSubstr("score 0.75"));
  for (size_t i = 1; i < events.size(); ++i) EXPECT_GE(events[i].ms, events[i - 1].ms);
  EXPECT_TRUE(coordinator_->ListTrialEvents(sweep, 1)->empty());  // never leased
  EXPECT_EQ(coordinator_->ListTrialEvents(sweep, 7).status().code(), absl::StatusCode::kNotFound);
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

// Completions that arrive together are committed together; each was planned seeing the others'
// trials still running, so the batch itself must end the sweep, durably.
TEST_F(CoordinatorTest, TheLastTrialsCompletingTogetherFinishTheSweepDurably) {
  constexpr int kTrials = 16;
  std::string yaml = kSweep;
  yaml.replace(yaml.find("[0.1, 0.2]"), 10,
               "[0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.11, 0.12, 0.13, "
               "0.14, 0.15, 0.16]");
  for (int round = 0; round < 5; ++round) {
    const std::string sweep = coordinator_->SubmitSweep(yaml, "s.yaml")->sweep_id;
    std::vector<LeaseRef> leases;
    for (int w = 0; w < kTrials; ++w) {
      const std::string worker = Worker();
      std::optional<LeaseGrant> grant = Acquire(worker);
      ASSERT_TRUE(grant.has_value());
      leases.push_back(Ref(worker, *grant));
    }
    std::atomic<int> ready{0}, acknowledged{0};
    std::vector<std::thread> threads;
    for (const LeaseRef& lease : leases) {
      threads.emplace_back([&, lease] {
        ++ready;
        while (ready.load() < kTrials) std::this_thread::yield();
        MetricPoint last;
        last.step = 9;
        last.val_accuracy = 0.5 + 0.01 * static_cast<double>(lease.trial);
        if (coordinator_->CompleteTrial(lease, false, "", {last}).ok()) ++acknowledged;
      });
    }
    for (std::thread& thread : threads) thread.join();
    ASSERT_EQ(acknowledged.load(), kTrials);
    EXPECT_EQ(coordinator_->GetSweep(sweep)->record.state, SweepState::kFinished)
        << "round " << round;
    Restart();  // what the store holds
    EXPECT_EQ(coordinator_->GetSweep(sweep)->record.state, SweepState::kFinished)
        << "round " << round;
    for (int t = 0; t < kTrials; ++t) {
      const TrialRecord trial = Trial(sweep, t);
      EXPECT_EQ(trial.state, TrialState::kCompleted) << "round " << round << " trial " << t;
      ASSERT_TRUE(trial.score.has_value());
      EXPECT_DOUBLE_EQ(*trial.score, 0.5 + 0.01 * t);
    }
  }
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

// early_stopping: a running trial behind the completed trials' median is STOPPED, its worker
// told to stop; the rule's picture of the sweep is rebuilt from the store after a restart.
TEST_F(CoordinatorTest, TheMedianRuleStopsATrialBehindAndKeepsDecidingAfterARestart) {
  std::string yaml = kSweep;
  yaml.replace(yaml.find("[0.1, 0.2]"), 10, "[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]");
  yaml += "early_stopping: {rule: median, min_trials: 3, grace_fraction: 0.3}\n";
  const std::string sweep = coordinator_->SubmitSweep(yaml, "s.yaml")->sweep_id;
  const std::string worker = Worker();
  auto point = [](int64_t step, double accuracy) {
    MetricPoint p;
    p.step = step;
    p.val_accuracy = accuracy;
    return p;
  };
  for (int i = 0; i < 3; ++i) {  // three complete with 0.8 at step 4 (40%) and 0.9 at the end
    std::optional<LeaseGrant> grant = Acquire(worker);
    ASSERT_EQ(*coordinator_->ReportMetrics(Ref(worker, *grant), {point(4, 0.8)}),
              Directive::kContinue);
    ASSERT_TRUE(coordinator_->CompleteTrial(Ref(worker, *grant), false, "", {point(9, 0.9)}).ok());
  }
  std::optional<LeaseGrant> behind = Acquire(worker);
  ASSERT_TRUE(behind);
  EXPECT_EQ(*coordinator_->ReportMetrics(Ref(worker, *behind), {point(2, 0.5)}),
            Directive::kContinue) << "20% of training is within the grace period";
  EXPECT_EQ(*coordinator_->ReportMetrics(Ref(worker, *behind), {point(4, 0.6)}),
            Directive::kStop);
  EXPECT_EQ(Trial(sweep, behind->trial).state, TrialState::kStopped);
  EXPECT_THAT(Trial(sweep, behind->trial).reason, HasSubstr("median rule"));
  EXPECT_EQ(*coordinator_->Heartbeat(Ref(worker, *behind), 5), Directive::kStop);
  // What the worker still reports changes nothing: the trial stays STOPPED, unscored.
  ASSERT_TRUE(coordinator_->CompleteTrial(Ref(worker, *behind), false, "", {point(9, 0.99)}).ok());
  EXPECT_EQ(Trial(sweep, behind->trial).state, TrialState::kStopped);
  EXPECT_FALSE(Trial(sweep, behind->trial).score.has_value());

  Restart(absl::Seconds(5));  // the rule is rebuilt from the stored metrics and states
  EXPECT_EQ(Trial(sweep, behind->trial).state, TrialState::kStopped);
  std::optional<LeaseGrant> ahead = Acquire(worker);
  ASSERT_TRUE(ahead);
  EXPECT_EQ(*coordinator_->ReportMetrics(Ref(worker, *ahead), {point(4, 0.85)}),
            Directive::kContinue);
  ASSERT_TRUE(coordinator_->CompleteTrial(Ref(worker, *ahead), false, "", {point(9, 0.95)}).ok());
  std::optional<LeaseGrant> last = Acquire(worker);
  ASSERT_TRUE(last);
  EXPECT_EQ(*coordinator_->ReportMetrics(Ref(worker, *last), {point(4, 0.7)}), Directive::kStop);
  EXPECT_EQ(coordinator_->GetSweep(sweep)->record.state, SweepState::kFinished);
  EXPECT_EQ(coordinator_->GetSweep(sweep)->counts.at(TrialState::kStopped), 2);
}

// method: asha through the coordinator: promotions are trials added with the completions that
// earn them, durably, so a restart in the middle neither loses nor repeats one.
TEST_F(CoordinatorTest, SuccessiveHalvingAddsPromotedTrialsAndSurvivesARestart) {
  std::string yaml = kSweep;
  yaml.replace(yaml.find("steps: 10"), 9, "steps: 90");
  yaml.replace(yaml.find("[0.1, 0.2]"), 10,
               "[0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09]");
  yaml += "method: asha\nreduction_factor: 3\n";
  const std::string sweep = coordinator_->SubmitSweep(yaml, "s.yaml")->sweep_id;
  EXPECT_EQ(coordinator_->GetSweep(sweep)->total_trials, 9);
  const std::string worker = Worker();
  int completed = 0;
  // One worker, one trial at a time: configuration c scores 0.9 - 0.01 c at every rung.
  while (std::optional<LeaseGrant> grant = Acquire(worker)) {
    const TrialRecord trial = Trial(sweep, grant->trial);
    MetricPoint last;
    last.step = trial.total_steps;
    last.val_accuracy = 0.9 - 0.01 * static_cast<double>(trial.config);
    ASSERT_TRUE(coordinator_->CompleteTrial(Ref(worker, *grant), false, "", {last}).ok());
    if (++completed == 4) Restart(absl::Seconds(5));  // rung 1 has its first trial by now
  }
  EXPECT_EQ(coordinator_->GetSweep(sweep)->record.state, SweepState::kFinished);
  const std::vector<TrialRecord> trials = *coordinator_->ListTrials(sweep);
  ASSERT_EQ(trials.size(), 13u) << "9 at rung 0, the best 3 at rung 1, the best 1 at rung 2";
  for (size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i].state, TrialState::kCompleted) << i;
    const nlohmann::json plan = nlohmann::json::parse(trials[i].plan_json);
    EXPECT_EQ(plan["trial"], i);
    const int64_t rung = i < 9 ? 0 : i < 12 ? 1 : 2;
    EXPECT_EQ(plan.value("rung", int64_t{0}), rung) << i;
    EXPECT_EQ(trials[i].total_steps, rung == 0 ? 10 : rung == 1 ? 30 : 90) << i;
  }
  EXPECT_EQ(trials[9].config, 0);
  EXPECT_EQ(trials[10].config, 1);
  EXPECT_EQ(trials[11].config, 2);
  EXPECT_EQ(trials[12].config, 0);
  Restart();
  EXPECT_EQ(coordinator_->GetSweep(sweep)->total_trials, 13);
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
    absl::StatusOr<TempFile> temp = coordinator_->BeginCheckpointUpload(lease, step);
    EXPECT_TRUE(temp.ok()) << temp.status();
    EXPECT_TRUE(temp->Append(bytes).ok());
    return coordinator_->CommitCheckpoint(lease, step, *std::move(temp), claimed_sha,
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

TEST_F(CoordinatorTest, SharedCheckpointsAreCommittedFromMetadataAndLeasesSayWhereTheyAre) {
  // The coordinator does not mount the shared directory: it trusts the digests, and tells the
  // worker which files it keeps so that the worker deletes the others.
  const std::string sweep = coordinator_->SubmitSweep(kSweep, "s.yaml")->sweep_id;
  const std::string worker = Worker();
  std::optional<LeaseGrant> grant = Acquire(worker);
  const LeaseRef lease = Ref(worker, *grant);
  std::vector<std::string> paths;
  for (int64_t step : {3, 6, 9}) {
    const std::string bytes = absl::StrCat("state at ", step);
    paths.push_back(WriteShared(lease, step, bytes));
    absl::StatusOr<RegisteredCheckpoint> registered = Register(lease, step, paths.back(), bytes);
    ASSERT_TRUE(registered.ok()) << registered.status();
    EXPECT_FALSE(registered->verified);
    // keep: 2 (the default), newest first.
    std::vector<std::string> kept(paths.rbegin(), paths.rend());
    kept.resize(std::min<size_t>(kept.size(), 2));
    EXPECT_EQ(registered->kept_shared_paths, kept);
  }
  EXPECT_TRUE(std::filesystem::exists(shared_.path() + "/" + paths[0]));  // not the coordinator's to delete
  EXPECT_EQ(Trial(sweep, grant->trial).checkpoint_step, 9);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/checkpoints/" + sweep));  // no upload
  EXPECT_EQ(coordinator_->GetCheckpoint(lease, 9).status().code(),
            absl::StatusCode::kFailedPrecondition);  // the coordinator cannot serve it

  ASSERT_TRUE(coordinator_->PreemptTrial(lease, "sigterm").ok());
  std::optional<LeaseGrant> resumed = Acquire(worker);
  ASSERT_TRUE(resumed);
  ASSERT_EQ(resumed->trial, grant->trial);
  ASSERT_EQ(resumed->checkpoints.size(), 2u);
  EXPECT_EQ(resumed->checkpoints[0].step, 9);
  EXPECT_EQ(resumed->checkpoints[0].shared_path, paths[2]);
  EXPECT_EQ(resumed->checkpoints[0].sha256, Sha256Hex("state at 9"));
  EXPECT_EQ(resumed->checkpoints[1].shared_path, paths[1]);

  // The previous attempt is stale now: nothing it registers is committed.
  EXPECT_EQ(Register(lease, 10, WriteShared(lease, 10, "zombie"), "zombie").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Trial(sweep, grant->trial).checkpoint_step, 9);

  // The resumed attempt checkpoints step 9 again under its own name: the earlier file goes.
  const LeaseRef second = Ref(worker, *resumed);
  const std::string again = WriteShared(second, 9, "state at 9");
  EXPECT_NE(again, paths[2]);
  absl::StatusOr<RegisteredCheckpoint> replaced = Register(second, 9, again, "state at 9");
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  EXPECT_EQ(replaced->kept_shared_paths, (std::vector<std::string>{again, paths[1]}));
}

TEST_F(CoordinatorTest, ASharedCheckpointPathOutsideTheTrialIsInvalidArgument) {
  const std::string sweep = coordinator_->SubmitSweep(kSweep, "s.yaml")->sweep_id;
  const std::string worker = Worker();
  const LeaseRef lease = Ref(worker, *Acquire(worker));
  const std::string own = absl::StrCat(sweep, "/", lease.trial, "/");
  const std::string other = absl::StrCat(sweep, "/", 1 - lease.trial, "/step-1-a1.ckpt");
  for (const std::string& path :
       {std::string("/etc/passwd"), absl::StrCat(own, "../../x.ckpt"), other,
        absl::StrCat(own, "sub/step-1.ckpt"), absl::StrCat(own, "step-1.bin"), own,
        std::string("step-1.ckpt")}) {
    const absl::Status status = Register(lease, 1, path, "bytes").status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_THAT(std::string(status.message()), HasSubstr("shared_path")) << path;
  }
  EXPECT_EQ(Trial(sweep, lease.trial).checkpoint_step, 0);
}

TEST_F(CoordinatorTest, ACoordinatorThatMountsTheSharedDirectoryVerifiesServesAndCollects) {
  shared_dir_ = shared_.path();
  Restart();
  const std::string sweep = coordinator_->SubmitSweep(kSweep, "s.yaml")->sweep_id;
  const std::string worker = Worker();
  const LeaseRef lease = Ref(worker, *Acquire(worker));
  const std::string first = WriteShared(lease, 4, "four");
  absl::StatusOr<RegisteredCheckpoint> registered = Register(lease, 4, first, "four");
  ASSERT_TRUE(registered.ok()) << registered.status();
  EXPECT_TRUE(registered->verified);
  // Served to a worker that does not mount the directory.
  EXPECT_EQ(*ReadBinaryFile(coordinator_->GetCheckpoint(lease, 4)->path), "four");

  // The file differs from what the worker claims: refused and noted; step 4 stays.
  const std::string torn = WriteShared(lease, 5, "fiv");
  EXPECT_EQ(Register(lease, 5, torn, "five").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(Trial(sweep, lease.trial).checkpoint_error, HasSubstr("at step 5 not stored"));
  // Missing on this machine: another directory is mounted here.
  const absl::Status missing =
      Register(lease, 6, SharedCheckpointPath(sweep, lease.trial, 6, 1), "six").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(missing.message()), HasSubstr("--shared-checkpoint-dir"));
  EXPECT_EQ(Trial(sweep, lease.trial).checkpoint_step, 4);

  // Beyond keep: 2 the coordinator deletes the file itself.
  ASSERT_TRUE(Register(lease, 7, WriteShared(lease, 7, "seven"), "seven").ok());
  const std::string eighth = WriteShared(lease, 8, "eight");
  registered = Register(lease, 8, eighth, "eight");
  ASSERT_TRUE(registered.ok()) << registered.status();
  EXPECT_EQ(registered->kept_shared_paths,
            (std::vector<std::string>{eighth, SharedCheckpointPath(sweep, lease.trial, 7, 1)}));
  EXPECT_FALSE(std::filesystem::exists(shared_.path() + "/" + first));
  EXPECT_TRUE(Trial(sweep, lease.trial).checkpoint_error.empty());
}

TEST_F(CoordinatorTest, WorkersAreTrainingWaitingOrLost) {
  Restart(absl::Seconds(1));
  ASSERT_TRUE(coordinator_->SubmitSweep(kSweep, "s.yaml").ok());
  const std::string silent = Worker();
  absl::SleepFor(absl::Milliseconds(1100));  // past the lease timeout
  const std::string training = Worker(), parked = Worker(), between = Worker();
  ASSERT_TRUE(Acquire(training));
  std::optional<LeaseGrant> finished = Acquire(between);  // the second trial
  ASSERT_TRUE(finished);
  ASSERT_TRUE(coordinator_->CompleteTrial(Ref(between, *finished), false, "", {}).ok());
  coordinator_->AcquireLease(parked, absl::Seconds(30), [](auto) {});  // long-polls: no work left
  std::map<std::string, WorkerState> states;
  for (const WorkerView& view : coordinator_->ListWorkers()) states[view.record.id] = view.state;
  EXPECT_EQ(states[training], WorkerState::kTraining);
  EXPECT_EQ(states[parked], WorkerState::kWaiting);
  EXPECT_EQ(states[between], WorkerState::kWaiting);  // finished a trial a moment ago
  EXPECT_EQ(states[silent], WorkerState::kLost);
  coordinator_->Shutdown();  // answers the parked request
}

TEST_F(CoordinatorTest, AWorkerThatAsksForWorkGivesUpTheTrialItHeld) {
  Restart(absl::Seconds(30));  // long enough that only the new request can end the lease
  const std::string sweep = coordinator_->SubmitSweep(kSweep, "s.yaml")->sweep_id;
  const std::string worker = Worker();
  std::optional<LeaseGrant> first = Acquire(worker);
  ASSERT_TRUE(first);
  // The worker dropped the trial without a report and asks again: the trial is given back at
  // once (and, first in line, leased again) instead of after the lease timeout.
  std::optional<LeaseGrant> again = Acquire(worker);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->trial, first->trial);
  EXPECT_EQ(again->fencing_token, first->fencing_token + 1);
  EXPECT_EQ(Trial(sweep, first->trial).preemptions, 1);
  EXPECT_EQ(Trial(sweep, first->trial).failures, 0);
  EXPECT_EQ(coordinator_->Heartbeat(Ref(worker, *first), 1).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // A cancelled trial's worker stops without a report; asking again leaves it cancelled.
  ASSERT_TRUE(coordinator_->CancelSweep(sweep).ok());
  EXPECT_FALSE(Acquire(worker).has_value());
  EXPECT_EQ(Trial(sweep, first->trial).state, TrialState::kCancelled);
  for (const WorkerView& view : coordinator_->ListWorkers()) {
    EXPECT_EQ(view.state, WorkerState::kWaiting);
    EXPECT_EQ(view.trial, -1);
  }
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
