// The worker's parts that talk to the coordinator — LeaseSession, the checkpoint stores and the
// WorkerAgent — driven through a fake CoordinatorLink: no server, no network.
#include <filesystem>
#include <map>
#include <mutex>

#include "common/atomic_file.h"
#include "common/checkpoint_files.h"
#include "common/status_reason.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sweep/sweep_planner.h"
#include "sweep/sweep_spec.h"
#include "tests/unit/test_util.h"
#include "worker/agent.h"
#include "worker/checkpoint_store.h"
#include "worker/coordinator_link.h"
#include "worker/lease_session.h"

namespace lrsweep {
namespace {

using ::testing::HasSubstr;

// A coordinator in memory: records what the worker sends and answers as told.
class FakeLink : public CoordinatorLink {
 public:
  absl::StatusOr<Registration> Register(const std::string&, const std::string&,
                                        int32_t) override {
    return Registration{"w-fake", absl::Milliseconds(20), absl::Seconds(1)};
  }
  absl::Status UnregisterWorker(const std::string& worker_id) override {
    std::lock_guard<std::mutex> lock(mu);
    unregistered.push_back(worker_id);
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<LeaseGrant>> AcquireLease(const std::string&, const std::string&,
                                                         absl::Duration,
                                                         CallCanceller* canceller) override {
    std::lock_guard<std::mutex> lock(mu);
    if (!grants.empty()) {
      LeaseGrant grant = grants.front();
      grants.erase(grants.begin());
      return std::optional<LeaseGrant>(grant);
    }
    if (on_idle) on_idle();
    return std::optional<LeaseGrant>();
  }
  absl::StatusOr<Directive> Heartbeat(const LeaseRef&, int64_t, CallCanceller*) override {
    std::lock_guard<std::mutex> lock(mu);
    ++heartbeats;
    if (!heartbeat_answer.ok()) return heartbeat_answer;
    return directive;
  }
  absl::StatusOr<Directive> ReportMetrics(const LeaseRef&,
                                          const std::vector<MetricPoint>& points) override {
    std::lock_guard<std::mutex> lock(mu);
    if (!report_answer.ok()) return report_answer;
    for (const MetricPoint& point : points) reported.push_back(point.step);
    ++reports;
    return directive;
  }
  absl::Status CompleteTrial(const LeaseRef&, bool diverged, const std::string&,
                             const std::vector<MetricPoint>& points) override {
    std::lock_guard<std::mutex> lock(mu);
    for (const MetricPoint& point : points) reported.push_back(point.step);
    outcomes.push_back(diverged ? "diverged" : "completed");
    return absl::OkStatus();
  }
  absl::Status FailTrial(const LeaseRef&, const std::string& reason) override {
    std::lock_guard<std::mutex> lock(mu);
    outcomes.push_back("failed: " + reason);
    return absl::OkStatus();
  }
  absl::Status PreemptTrial(const LeaseRef&, const std::string& reason) override {
    std::lock_guard<std::mutex> lock(mu);
    outcomes.push_back("preempted: " + reason);
    return absl::OkStatus();
  }
  absl::Status UploadCheckpoint(const LeaseRef&, int64_t step, const std::string& bytes) override {
    std::lock_guard<std::mutex> lock(mu);
    uploads[step] = bytes;
    return upload_answer;
  }
  absl::StatusOr<std::string> DownloadCheckpoint(const LeaseRef&,
                                                 const CheckpointRecord& committed) override {
    std::lock_guard<std::mutex> lock(mu);
    return uploads.at(committed.step);
  }
  absl::StatusOr<RegisteredCheckpoint> RegisterCheckpoint(
      const LeaseRef&, const SharedCheckpoint& checkpoint) override {
    std::lock_guard<std::mutex> lock(mu);
    if (!register_answer.ok()) return register_answer;
    registered.push_back(checkpoint);
    RegisteredCheckpoint answer;
    // Keeps the newest two, as keep: 2 would.
    for (size_t i = registered.size() >= 2 ? registered.size() - 2 : 0; i < registered.size(); ++i) {
      answer.kept_shared_paths.push_back(registered[i].shared_path);
    }
    return answer;
  }
  absl::Status DownloadArtifact(
      const std::string& sha256,
      const std::function<absl::Status(absl::string_view)>& consume) override {
    return absl::NotFoundError(absl::StrCat("no artifact ", sha256));
  }
  absl::Status ReportCheckpointFailure(const LeaseRef&, int64_t step,
                                       const std::string& error) override {
    std::lock_guard<std::mutex> lock(mu);
    checkpoint_failures.push_back(absl::StrCat(step, ": ", error));
    return absl::OkStatus();
  }

  std::mutex mu;
  std::vector<LeaseGrant> grants;
  std::function<void()> on_idle;
  Directive directive = Directive::kContinue;
  absl::Status heartbeat_answer, report_answer, upload_answer, register_answer;
  int heartbeats = 0, reports = 0;
  std::vector<int64_t> reported;
  std::vector<std::string> outcomes, checkpoint_failures, unregistered;
  std::map<int64_t, std::string> uploads;
  std::vector<SharedCheckpoint> registered;
};

const LeaseRef kLease{"w-fake", "s", 0, 1};

MetricPoint Point(int64_t step) {
  MetricPoint point;
  point.step = step;
  return point;
}

TEST(LeaseSessionTest, ALostLeaseFromAReportStopsTheTrainerAndIsNotRetried) {
  FakeLink link;
  std::atomic<bool> shutdown{false};
  auto store = NewCheckpointStore({}, &link, "");
  LeaseSession session(&link, kLease, absl::Hours(1), &shutdown, nullptr, store.get());
  session.OnPoint(Point(0));
  session.Flush();
  EXPECT_EQ(session.ShouldStop(), StopRequest::kNone);
  link.report_answer = LeaseLostError(absl::StatusCode::kFailedPrecondition, "stale lease");
  session.OnPoint(Point(1));
  session.Flush();
  EXPECT_TRUE(session.lost());
  EXPECT_EQ(session.ShouldStop(), StopRequest::kStop);
}

TEST(LeaseSessionTest, AnUnreachableCoordinatorKeepsThePointsForLater) {
  FakeLink link;
  std::atomic<bool> shutdown{false};
  auto store = NewCheckpointStore({}, &link, "");
  LeaseSession session(&link, kLease, absl::Hours(1), &shutdown, nullptr, store.get());
  link.report_answer = absl::UnavailableError("connection refused");
  session.OnPoint(Point(0));
  session.Flush();
  EXPECT_FALSE(session.lost());
  EXPECT_EQ(session.ShouldStop(), StopRequest::kNone);
  // Even a FAILED_PRECONDITION without the lease-lost reason is not a lost lease.
  link.report_answer = absl::FailedPreconditionError("stale lease? not this one");
  session.Flush();
  EXPECT_FALSE(session.lost());
  link.report_answer = absl::OkStatus();
  session.OnPoint(Point(1));
  session.Flush();
  EXPECT_EQ(link.reported, (std::vector<int64_t>{0, 1}));
  EXPECT_TRUE(session.TakeBuffer().empty());
}

TEST(LeaseSessionTest, HeartbeatsStopTheTrialWhenCancelledOrLost) {
  FakeLink link;
  std::atomic<bool> shutdown{false};
  auto store = NewCheckpointStore({}, &link, "");
  {
    LeaseSession session(&link, kLease, absl::Milliseconds(5), &shutdown, nullptr, store.get());
    link.directive = Directive::kStop;  // cancelled by the user
    for (int i = 0; i < 400 && session.ShouldStop() == StopRequest::kNone; ++i) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    EXPECT_EQ(session.ShouldStop(), StopRequest::kStop);
    EXPECT_FALSE(session.lost());
  }
  link.directive = Directive::kContinue;
  link.heartbeat_answer = LeaseLostError(absl::StatusCode::kFailedPrecondition, "expired");
  LeaseSession session(&link, kLease, absl::Milliseconds(5), &shutdown, nullptr, store.get());
  for (int i = 0; i < 400 && !session.lost(); ++i) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_TRUE(session.lost());
  shutdown = true;
  EXPECT_EQ(session.ShouldStop(), StopRequest::kStop);  // lost beats preempt: nothing to give back
}

TEST(LeaseSessionTest, ACheckpointIsStoredOnlyAfterEveryEarlierPointIsAcknowledged) {
  FakeLink link;
  std::atomic<bool> shutdown{false};
  auto store = NewCheckpointStore({}, &link, "");
  LeaseSession session(&link, kLease, absl::Hours(1), &shutdown, nullptr, store.get());
  link.report_answer = absl::UnavailableError("down");
  session.OnPoint(Point(9));
  session.OnCheckpoint(10, "state at 10");
  EXPECT_TRUE(link.uploads.empty());
  EXPECT_EQ(session.stored_step(), -1);
  link.report_answer = absl::OkStatus();
  session.OnCheckpoint(10, "state at 10");
  EXPECT_EQ(link.uploads.at(10), "state at 10");
  EXPECT_EQ(session.stored_step(), 10);
}

TEST(CheckpointStoreTest, TheSharedStoreWritesRegistersAndDeletesWhatIsNotKept) {
  testing::TempDir shared;
  FakeLink link;
  auto store = NewCheckpointStore({CheckpointStoreConfig::Kind::kShared, shared.path()}, &link, "");
  for (int64_t step : {10, 20, 30}) {
    ASSERT_TRUE(store->Save(kLease, step, absl::StrCat("state ", step)).ok());
  }
  ASSERT_EQ(link.registered.size(), 3u);
  EXPECT_EQ(link.registered[2].sha256_hex, Sha256Hex("state 30"));
  EXPECT_FALSE(std::filesystem::exists(shared.path() + "/" + link.registered[0].shared_path));
  EXPECT_TRUE(std::filesystem::exists(shared.path() + "/" + link.registered[2].shared_path));
  CheckpointRecord newest;
  newest.step = 30;
  newest.size = static_cast<int64_t>(std::string("state 30").size());
  newest.sha256 = Sha256Hex("state 30");
  newest.shared_path = link.registered[2].shared_path;
  EXPECT_EQ(*store->Load(kLease, newest), "state 30");
  // Damaged since it was committed: DATA_LOSS, so the caller falls back to an older one.
  ASSERT_TRUE(WriteFileAtomically(shared.path() + "/" + newest.shared_path, "state 3X").ok());
  EXPECT_EQ(store->Load(kLease, newest).status().code(), absl::StatusCode::kDataLoss);
}

TEST(CheckpointStoreTest, ARefusedRegistrationLeavesNoFileAndAFailedWriteIsReported) {
  testing::TempDir shared;
  FakeLink link;
  auto store = NewCheckpointStore({CheckpointStoreConfig::Kind::kShared, shared.path()}, &link, "");
  link.register_answer = LeaseLostError(absl::StatusCode::kFailedPrecondition, "stale lease");
  const absl::Status refused = store->Save(kLease, 10, "state");
  EXPECT_TRUE(IsLeaseLost(refused));
  EXPECT_FALSE(std::filesystem::exists(
      shared.path() + "/" + SharedCheckpointPath(kLease.sweep_id, kLease.trial, 10, 1)));
  // An unreachable coordinator may have committed it: the file stays.
  link.register_answer = absl::UnavailableError("down");
  EXPECT_FALSE(store->Save(kLease, 20, "state").ok());
  EXPECT_TRUE(std::filesystem::exists(
      shared.path() + "/" + SharedCheckpointPath(kLease.sweep_id, kLease.trial, 20, 1)));
  // A trial directory that cannot be created is a write failure, reported on the trial.
  const LeaseRef other{"w-fake", "t", 0, 1};
  ASSERT_TRUE(WriteFileAtomically(shared.path() + "/t", "not a directory").ok());
  EXPECT_FALSE(store->Save(other, 30, "state").ok());
  ASSERT_EQ(link.checkpoint_failures.size(), 1u);
  EXPECT_THAT(link.checkpoint_failures[0], HasSubstr("30: "));
}

// The plan of a tiny trial, as the coordinator would lease it.
std::string TinyPlan() {
  absl::StatusOr<SweepSpec> sweep = ParseSweep(R"(name: t
train:
  model: {type: mlp, hidden: [4]}
  data: {type: synthetic, train_examples: 60, val_fraction: 0.2}
  steps: 6
  batch_size: 8
checkpoint: {every_steps: 2}
schedule: {type: constant, lr: 0.1}
)", "t.yaml");
  EXPECT_TRUE(sweep.ok()) << sweep.status();
  absl::StatusOr<SweepPlan> plan = PlanSweep(*sweep);
  EXPECT_TRUE(plan.ok()) << plan.status();
  return TrialPlanToJson(plan->trials[0]).dump();
}

TEST(WorkerAgentTest, TrainsALeasedTrialAndReportsItsOutcomeThroughTheLink) {
  auto owned = std::make_unique<FakeLink>();
  FakeLink* link = owned.get();
  link->grants.push_back({"s", 0, 1, TinyPlan(), {}});
  AgentOptions options;
  options.lease_wait = absl::Milliseconds(1);
  testing::TempDir dir;
  options.checkpoint_dir = dir.path();
  WorkerAgent agent(options, std::move(owned));
  link->on_idle = [&agent] { agent.RequestStop(); };  // no more work: stop
  ASSERT_TRUE(agent.Run().ok());
  ASSERT_EQ(link->outcomes.size(), 1u);
  EXPECT_EQ(link->outcomes[0], "completed");
  EXPECT_EQ(link->uploads.size(), 2u);  // steps 2 and 4: checkpoints go through the link too
  EXPECT_EQ(link->unregistered, (std::vector<std::string>{"w-fake"}));  // said goodbye
  // The local copy of the latest checkpoint is gone with the trial: nothing piles up.
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  // Every step reported exactly once, in order, across the batches and the outcome.
  std::vector<int64_t> steps = link->reported;
  ASSERT_FALSE(steps.empty());
  for (size_t i = 0; i < steps.size(); ++i) EXPECT_EQ(steps[i], static_cast<int64_t>(i));
}

}  // namespace
}  // namespace lrsweep
