// The trial state machine on its own: no store, no lock, no clock but the one passed in. Each
// transition is planned (nothing changes), then applied, and the indexes follow the rows.
#include "coordinator/trial_table.h"

#include "common/status_reason.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lrsweep {
namespace {

using ::testing::HasSubstr;

const absl::Time kStart = absl::FromUnixSeconds(1'000'000);
constexpr absl::Duration kLeaseTimeout = absl::Seconds(6);

class TrialTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SweepRecord sweep;
    sweep.id = "s";
    sweep.max_failures = 2;
    std::vector<TrialRecord> trials(3);
    for (int64_t i = 0; i < 3; ++i) {
      trials[static_cast<size_t>(i)].sweep_id = "s";
      trials[static_cast<size_t>(i)].trial = i;
    }
    table_.AddSweep(sweep, trials, kStart);
    for (const char* id : {"a", "b"}) table_.AddWorker(WorkerRecord{id, id, "cpu", 1, 0, 0});
  }
  // Grants the next waiting trial to `worker` and applies it; returns its lease.
  LeaseRef Grant(const std::string& worker, absl::Time now = kStart) {
    StoreWrite write = table_.Grant({{worker, ""}}, 0);
    EXPECT_EQ(write.trials.size(), 1u);
    table_.Apply(write, now);
    const TrialRecord& row = write.trials[0];
    return {worker, row.sweep_id, row.trial, row.attempts};
  }
  const TrialRecord& Trial(int64_t index) { return **table_.FindTrial("s", index); }
  int64_t Count(TrialState state) {
    std::map<TrialState, int64_t> counts = table_.GetSweep("s")->counts;
    return counts.count(state) ? counts[state] : 0;
  }

  TrialTable table_{kLeaseTimeout};
};

TEST_F(TrialTableTest, APlannedTransitionChangesNothingUntilApplied) {
  const StoreWrite write = table_.Grant({{"a", ""}, {"b", ""}}, 0);
  ASSERT_EQ(write.trials.size(), 2u);
  EXPECT_EQ(write.trials[0].trial, 0);
  EXPECT_EQ(write.trials[1].trial, 1);
  EXPECT_EQ(Trial(0).state, TrialState::kPending);  // not applied: the store may still refuse it
  EXPECT_FALSE(table_.HoldsLease("a"));
  table_.Apply(write, kStart);
  EXPECT_EQ(Trial(0).state, TrialState::kRunning);
  EXPECT_EQ(Trial(0).attempts, 1);
  EXPECT_TRUE(table_.HoldsLease("a"));
  EXPECT_EQ(Count(TrialState::kRunning), 2);
  EXPECT_EQ(Count(TrialState::kPending), 1);
}

TEST_F(TrialTableTest, AWorkerOfOneSweepGetsOnlyThatSweepsTrials) {
  SweepRecord other;
  other.id = "t";
  std::vector<TrialRecord> trials(1);
  trials[0].sweep_id = "t";
  table_.AddSweep(other, trials, kStart);
  std::vector<size_t> served;
  const StoreWrite write = table_.Grant({{"a", "t"}, {"b", "t"}, {"b", ""}}, 0, &served);
  ASSERT_EQ(write.trials.size(), 2u);
  EXPECT_EQ(write.trials[0].sweep_id, "t");  // "a" asked for sweep t: its only trial
  EXPECT_EQ(write.trials[1].sweep_id, "s");  // the second request for t finds none; any sweep does
  EXPECT_EQ(served, (std::vector<size_t>{0, 2}));
  EXPECT_TRUE(table_.HasWaitingTrials("t"));  // planned, not applied
  table_.Apply(write, kStart);
  EXPECT_FALSE(table_.HasWaitingTrials("t"));
  EXPECT_TRUE(table_.HasWaitingTrials("s"));
  EXPECT_FALSE(table_.HasWaitingTrials("no-such-sweep"));
}

TEST_F(TrialTableTest, ReportsWithAStaleTokenOrAnotherWorkerAreLeaseLost) {
  const LeaseRef lease = Grant("a");
  EXPECT_TRUE(table_.Leased(lease).ok());
  LeaseRef stale = lease;
  stale.fencing_token = 7;
  EXPECT_TRUE(IsLeaseLost(table_.Leased(stale).status()));
  EXPECT_EQ(table_.Leased(stale).status().code(), absl::StatusCode::kFailedPrecondition);
  LeaseRef impostor = lease;
  impostor.worker_id = "b";
  EXPECT_TRUE(IsLeaseLost(table_.Fail(impostor, "x", 0).status()));
  LeaseRef gone = lease;
  gone.sweep_id = "deleted";
  EXPECT_TRUE(IsLeaseLost(table_.Leased(gone).status()));
  EXPECT_EQ(table_.Leased(gone).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(TrialTableTest, ExpiryPreemptsWithoutCountingAFailureAndRequeuesTheTrial) {
  const LeaseRef lease = Grant("a");
  EXPECT_TRUE(table_.Expire(kStart + kLeaseTimeout - absl::Milliseconds(1), 0).empty());
  ASSERT_TRUE(table_.Renew(lease, kStart + absl::Seconds(5)).ok());  // pushed out to 11 s
  EXPECT_TRUE(table_.Expire(kStart + absl::Seconds(10), 0).empty());
  const StoreWrite expired = table_.Expire(kStart + absl::Seconds(11), 0);
  ASSERT_EQ(expired.trials.size(), 1u);
  table_.Apply(expired, kStart + absl::Seconds(11));
  EXPECT_EQ(Trial(0).state, TrialState::kPreempted);
  EXPECT_EQ(Trial(0).preemptions, 1);
  EXPECT_EQ(Trial(0).failures, 0);
  EXPECT_FALSE(table_.HoldsLease("a"));
  EXPECT_FALSE(table_.NextLeaseDeadline().has_value());
  // First in line again, with a new fencing token.
  const LeaseRef again = Grant("b");
  EXPECT_EQ(again.trial, 0);
  EXPECT_EQ(again.fencing_token, 2);
}

TEST_F(TrialTableTest, FailuresRetryUntilMaxFailuresThenFail) {
  LeaseRef lease = Grant("a");
  table_.Apply(*table_.Fail(lease, "out of memory", 0), kStart);
  EXPECT_EQ(Trial(0).state, TrialState::kPending);
  lease = Grant("a");
  EXPECT_EQ(lease.trial, 0);
  table_.Apply(*table_.Fail(lease, "segfault", 0), kStart);
  EXPECT_EQ(Trial(0).state, TrialState::kFailed);
  EXPECT_THAT(Trial(0).reason, HasSubstr("attempt 1: out of memory; attempt 2: segfault"));
}

TEST_F(TrialTableTest, TheLastTrialToEndFinishesTheSweepInTheSameWrite) {
  std::vector<LeaseRef> leases = {Grant("a"), Grant("b")};
  table_.Apply(*table_.Complete(leases[0], {}, 0), kStart);
  TrialOutcome diverged;
  diverged.diverged = true;
  diverged.reason = "diverged at step 3";
  table_.Apply(*table_.Complete(leases[1], diverged, 0), kStart);
  const LeaseRef last = Grant("a");
  const StoreWrite write = *table_.Complete(last, {}, 0);
  ASSERT_EQ(write.sweep_states.size(), 1u);
  EXPECT_EQ(write.sweep_states[0].second, SweepState::kFinished);
  table_.Apply(write, kStart);
  EXPECT_EQ(table_.GetSweep("s")->record.state, SweepState::kFinished);
  EXPECT_EQ(Trial(1).state, TrialState::kDiverged);
}

TEST_F(TrialTableTest, CancelKeepsTheLeaseUntilTheWorkerReportsAndIsToldStop) {
  const LeaseRef lease = Grant("a");
  const StoreWrite cancel = *table_.Cancel("s", 0);
  EXPECT_EQ(cancel.trials.size(), 3u);
  table_.Apply(cancel, kStart);
  EXPECT_FALSE(table_.HasWaitingTrials());
  EXPECT_EQ(*table_.Renew(lease, kStart), Directive::kStop);
  // The worker's report releases the lease; the cancellation stands.
  table_.Apply(*table_.Complete(lease, {}, 0), kStart);
  EXPECT_EQ(Trial(0).state, TrialState::kCancelled);
  EXPECT_FALSE(table_.HoldsLease("a"));
}

TEST_F(TrialTableTest, AWorkerAskingForWorkGivesUpTheLeaseItStillHolds) {
  Grant("a");
  const StoreWrite released = table_.ReleaseAbandoned("a", 0);
  ASSERT_EQ(released.trials.size(), 1u);
  table_.Apply(released, kStart);
  EXPECT_EQ(Trial(0).state, TrialState::kPreempted);
  EXPECT_TRUE(table_.ReleaseAbandoned("a", 0).empty());
}

TEST_F(TrialTableTest, AProgressReportLandingDuringACheckpointCommitIsNotRolledBack) {
  const LeaseRef lease = Grant("a");
  const StoreWrite checkpoint = *table_.CheckpointStored(lease, 100, 0);  // planned at step 0
  TrialRecord progress = Trial(0);
  progress.step = 150;
  table_.ApplyProgress(progress);  // a metric report committed meanwhile
  table_.Apply(checkpoint, kStart);
  EXPECT_EQ(Trial(0).checkpoint_step, 100);
  EXPECT_EQ(Trial(0).step, 150);
  // And the lease kept its deadline: a checkpoint is not a heartbeat.
  EXPECT_EQ(*table_.NextLeaseDeadline(), kStart + kLeaseTimeout);
}

TEST_F(TrialTableTest, LoadedRunningTrialsKeepTheirWorkersWithAFreshDeadline) {
  const LeaseRef lease = Grant("a");
  TrialTable reloaded(kLeaseTimeout);
  reloaded.AddWorker(WorkerRecord{"a", "a", "cpu", 1, 0, 0});
  reloaded.AddSweep(table_.GetSweep("s")->record, *table_.ListTrials("s"),
                    kStart + absl::Minutes(1));
  EXPECT_TRUE(reloaded.HoldsLease("a"));
  EXPECT_TRUE(reloaded.Leased(lease).ok());
  EXPECT_EQ(*reloaded.NextLeaseDeadline(), kStart + absl::Minutes(1) + kLeaseTimeout);
}

}  // namespace
}  // namespace lrsweep
