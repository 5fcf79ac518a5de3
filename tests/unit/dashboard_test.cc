// The dashboard's JSON API against a real coordinator on SQLite in a temp dir (no HTTP): the
// shapes the pages and scripts read, paging and sorting, thinned curves, the planned LR, live
// change notification, cancelling, and errors as 400/404/405 with a message. And LTTB thinning.
#include <chrono>
#include <cmath>
#include <thread>

#include "absl/synchronization/notification.h"
#include "coordinator/coordinator.h"
#include "coordinator/store.h"
#include "dashboard/change_counter.h"
#include "dashboard/coordinator_source.h"
#include "dashboard/dashboard_api.h"
#include "dashboard/downsample.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace lrsweep {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::ordered_json;

TEST(DownsampleTest, KeepsTheEndsAndTheSpikesWithinTheBudget) {
  std::vector<CurvePoint> curve;
  for (int i = 0; i < 1000; ++i) curve.push_back({double(i), std::exp(-i / 200.0)});
  curve[517].y = 40.0;  // one divergence spike a stride would likely skip
  const std::vector<CurvePoint> kept = DownsampleLttb(curve, 50);
  ASSERT_EQ(kept.size(), 50u);
  EXPECT_EQ(kept.front().x, 0);
  EXPECT_EQ(kept.back().x, 999);
  bool spike = false;
  for (size_t i = 0; i < kept.size(); ++i) {
    if (kept[i].y == 40.0) spike = true;
    if (i > 0) {
      EXPECT_LT(kept[i - 1].x, kept[i].x) << "points stay in order";
    }
  }
  EXPECT_TRUE(spike) << "the spike survives thinning";
  EXPECT_EQ(DownsampleLttb(curve, 2000).size(), 1000u) << "a short curve is kept whole";
  EXPECT_EQ(DownsampleLttb({}, 10).size(), 0u);
}

TEST(ChangeCounterTest, AWaitEndsAtAChangeOrItsDeadline) {
  ChangeCounter changes;
  const int64_t first = changes.version();
  EXPECT_EQ(changes.WaitNewer(first, absl::Milliseconds(20)), first) << "nothing changed";
  std::thread bump([&] {
    absl::SleepFor(absl::Milliseconds(50));
    changes.Bump();
  });
  const absl::Time start = absl::Now();
  EXPECT_EQ(changes.WaitNewer(first, absl::Seconds(30)), first + 1);
  EXPECT_LT(absl::Now() - start, absl::Seconds(20)) << "the change ended the wait";
  bump.join();
  changes.Close();
  EXPECT_EQ(changes.WaitNewer(first + 1, absl::Seconds(30)), first + 1) << "closed: no wait";
}

constexpr char kSweep[] = R"(name: dashboard
metric: {name: val_loss, goal: minimize}
train:
  model: {type: mlp, hidden: [4]}
  data: {type: synthetic, train_examples: 100, val_fraction: 0.2}
  steps: 400
  batch_size: 10
parameters:
  - schedule.type: cosine
    schedule.lr: [0.1, 0.2, 0.4]
  - schedule.type: constant
    schedule.lr: 0.1
)";

class DashboardApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *OpenSqliteStore(dir_.path() + "/lrsweep.db");
    CoordinatorOptions options;
    options.checkpoint_dir = dir_.path() + "/checkpoints";
    coordinator_ = *Coordinator::Create(store_.get(), options);
    source_ = std::make_unique<CoordinatorDashboardSource>(coordinator_.get(), &changes_);
    DashboardApiOptions api_options;
    api_options.longest_change_wait = absl::Seconds(5);
    api_ = std::make_unique<DashboardApi>(source_.get(), &changes_, api_options);
    sweep_ = coordinator_->SubmitSweep(kSweep, "dashboard.yaml")->sweep_id;
  }

  ApiResponse Get(const std::string& path, std::map<std::string, std::string> query = {}) {
    return api_->Handle({"GET", path, std::move(query)});
  }

  // A new worker named `name` holding the lease of the next waiting trial.
  LeaseRef LeaseNext(const std::string& name = "w") {
    const std::string worker = coordinator_->RegisterWorker(name, "cpu", 1)->id;
    absl::Notification done;
    std::optional<LeaseGrant> grant;
    coordinator_->AcquireLease(worker, absl::ZeroDuration(),
                               [&](absl::StatusOr<std::optional<LeaseGrant>> g) {
                                 if (g.ok()) grant = *g;
                                 done.Notify();
                               });
    done.WaitForNotification();
    EXPECT_TRUE(grant.has_value());
    if (!grant) return {worker, "", -1, 0};
    return {worker, grant->sweep_id, grant->trial, grant->fencing_token};
  }

  // Trains the next waiting trial on a worker: 400 steps of falling loss (with one spike), a
  // validation loss every 100 steps; it ends with `final_val_loss`.
  int64_t TrainOne(double final_val_loss) {
    const LeaseRef lease = LeaseNext();
    std::vector<MetricPoint> points;
    for (int64_t step = 0; step < 400; ++step) {
      MetricPoint p;
      p.step = step;
      p.lr = 0.1;
      p.train_loss = step == 250 ? 9.0 : 2.0 * std::exp(-step / 100.0);
      if ((step + 1) % 100 == 0) p.val_loss = step == 399 ? final_val_loss : 1.0;
      points.push_back(p);
    }
    const std::vector<MetricPoint> head(points.begin(), points.end() - 1);
    EXPECT_TRUE(coordinator_->ReportMetrics(lease, head).ok());
    EXPECT_TRUE(coordinator_->CompleteTrial(lease, false, "", {points.back()}).ok());
    return lease.trial;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Coordinator> coordinator_;
  ChangeCounter changes_;
  std::unique_ptr<CoordinatorDashboardSource> source_;
  std::unique_ptr<DashboardApi> api_;
  std::string sweep_;
};

TEST_F(DashboardApiTest, TheSweepListShowsProgressBestAndFailures) {
  const int64_t best = TrainOne(0.25);
  TrainOne(0.5);
  const ApiResponse response = Get("/api/v1/sweeps");
  ASSERT_EQ(response.status, 200) << response.body.dump();
  ASSERT_EQ(response.body["sweeps"].size(), 1u);
  const Json& sweep = response.body["sweeps"][0];
  EXPECT_EQ(sweep["id"], sweep_);
  EXPECT_EQ(sweep["state"], "RUNNING");
  EXPECT_EQ(sweep["trials"], 4);
  EXPECT_EQ(sweep["finished"], 2);
  EXPECT_EQ(sweep["counts"]["COMPLETED"], 2);
  EXPECT_DOUBLE_EQ(sweep["progress"].get<double>(), 0.5);
  EXPECT_EQ(sweep["best"]["trial"], best) << "val_loss is minimized";
  EXPECT_DOUBLE_EQ(sweep["best"]["score"].get<double>(), 0.25);
  EXPECT_TRUE(sweep["eta_seconds"].is_number());
  EXPECT_EQ(Get("/api/v1/sweeps", {{"state", "FINISHED"}}).body["sweeps"].size(), 0u);
  EXPECT_EQ(Get("/api/v1/sweeps", {{"q", "nothing-like-it"}}).body["sweeps"].size(), 0u);
}

TEST_F(DashboardApiTest, TheSweepPageCarriesTheRankingAndTheTrialTableIsPagedAndSorted) {
  TrainOne(0.5);
  TrainOne(0.25);
  TrainOne(0.75);
  const ApiResponse page = Get("/api/v1/sweeps/" + sweep_);
  ASSERT_EQ(page.status, 200) << page.body.dump();
  const Json& ranking = page.body["report"]["ranking"];
  ASSERT_EQ(ranking.size(), 4u);
  EXPECT_EQ(ranking[0]["rank"], 1);
  EXPECT_DOUBLE_EQ(ranking[0]["mean"].get<double>(), 0.25);
  EXPECT_FALSE(page.body["report"].contains("trials")) << "trials come paged from /trials";
  const ApiResponse best_two = Get("/api/v1/sweeps/" + sweep_, {{"ranking_limit", "2"}});
  ASSERT_EQ(best_two.body["report"]["ranking"].size(), 2u);
  EXPECT_EQ(best_two.body["report"]["ranking_total"], 4);
  EXPECT_EQ(best_two.body["report"]["ranking"][0]["rank"], 1);

  const ApiResponse sorted = Get("/api/v1/sweeps/" + sweep_ + "/trials",
                                 {{"sort", "score"}, {"limit", "2"}});
  ASSERT_EQ(sorted.status, 200) << sorted.body.dump();
  EXPECT_EQ(sorted.body["total"], 4);
  ASSERT_EQ(sorted.body["trials"].size(), 2u);
  EXPECT_DOUBLE_EQ(sorted.body["trials"][0]["score"].get<double>(), 0.25) << "best first";
  EXPECT_DOUBLE_EQ(sorted.body["trials"][1]["score"].get<double>(), 0.5);
  const ApiResponse last = Get("/api/v1/sweeps/" + sweep_ + "/trials",
                               {{"sort", "score"}, {"offset", "3"}, {"limit", "2"}});
  ASSERT_EQ(last.body["trials"].size(), 1u);
  EXPECT_TRUE(last.body["trials"][0]["score"].is_null()) << "unscored trials come last";
  const ApiResponse pending = Get("/api/v1/sweeps/" + sweep_ + "/trials", {{"state", "PENDING"}});
  EXPECT_EQ(pending.body["total"], 1);
  EXPECT_EQ(pending.body["trials"][0]["state"], "PENDING");
}

TEST_F(DashboardApiTest, ATrialPageHasThinnedCurvesAndItsPlannedLr) {
  const int64_t trial = TrainOne(0.3);
  const ApiResponse page =
      Get("/api/v1/sweeps/" + sweep_ + "/trials/" + std::to_string(trial), {{"points", "40"}});
  ASSERT_EQ(page.status, 200) << page.body.dump();
  EXPECT_EQ(page.body["trial"]["state"], "COMPLETED");
  EXPECT_EQ(page.body["points"], 400);
  const Json& loss = page.body["curves"]["train_loss"];
  ASSERT_EQ(loss.size(), 40u);
  EXPECT_EQ(loss.front()[0], 0);
  EXPECT_EQ(loss.back()[0], 399);
  bool spike = false;
  for (const Json& point : loss) spike = spike || point[1].get<double>() == 9.0;
  EXPECT_TRUE(spike) << "the spike at step 250 survives thinning";
  EXPECT_EQ(page.body["curves"]["val_loss"].size(), 4u);
  // The planned LR is the trial's own schedule: the first cosine trial, 0.1 falling to 0.
  const Json& planned = page.body["planned_lr"];
  ASSERT_TRUE(planned.is_array());
  ASSERT_GE(planned.size(), 3u);
  EXPECT_EQ(page.body["trial"]["schedule"], "cosine");
  EXPECT_NEAR(planned.front()[1].get<double>(), page.body["trial"]["peak_lr"].get<double>(), 1e-12);
  EXPECT_LT(planned.back()[1].get<double>(), 0.01) << "cosine anneals";
  // Its timeline: leased, then completed with its score.
  const Json& events = page.body["events"];
  ASSERT_EQ(events.size(), 2u) << events.dump();
  EXPECT_EQ(events[0]["kind"], "leased");
  EXPECT_EQ(events[0]["attempt"], 1);
  EXPECT_EQ(events[1]["kind"], "completed");
  EXPECT_THAT(events[1]["detail"].get<std::string>(), HasSubstr("score 0.3"));

  const ApiResponse curves = Get("/api/v1/sweeps/" + sweep_ + "/curves",
                                 {{"metric", "val_loss"}, {"points", "10"}});
  ASSERT_EQ(curves.status, 200) << curves.body.dump();
  ASSERT_EQ(curves.body["curves"].size(), 1u) << "only trials with points";
  EXPECT_EQ(curves.body["curves"][0]["trial"], trial);
}

// A large sweep's page does not wait for every finished trial's curve to be read: it comes at
// once without those diagnoses, which arrive (with a change for the open page) when read.
TEST_F(DashboardApiTest, ManyUndiagnosedTrialsAreDiagnosedInTheBackground) {
  for (int i = 0; i < 2; ++i) TrainOne(0.3 + 0.1 * i);
  const LeaseRef diverging = LeaseNext();  // a diverged trial has a finding to show
  MetricPoint nan;
  nan.step = 40;
  nan.lr = 0.3;
  nan.train_loss = std::nan("");
  ASSERT_TRUE(coordinator_->CompleteTrial(diverging, true, "loss is NaN at step 40", {nan}).ok());
  DashboardApiOptions options;
  options.diagnose_inline_limit = 1;
  DashboardApi background(source_.get(), &changes_, options);
  const std::string path = "/api/v1/sweeps/" + sweep_;
  const int64_t version = changes_.version();
  const ApiResponse first = background.Handle({"GET", path, {}});
  ASSERT_EQ(first.status, 200) << first.body.dump();
  EXPECT_EQ(first.body["report"]["diagnoses_pending"], 3);
  EXPECT_TRUE(first.body["report"]["diagnoses"].empty());

  const Json inline_diagnoses = Get(path).body["report"]["diagnoses"];  // read at once
  ASSERT_FALSE(inline_diagnoses.empty()) << "the diverged trial's";
  EXPECT_GT(changes_.WaitNewer(version, absl::Seconds(20)), version)
      << "the background run tells open pages when it is done";
  Json report;
  for (int i = 0; i < 200; ++i) {
    report = background.Handle({"GET", path, {}}).body["report"];
    if (report["diagnoses_pending"] == 0) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(report["diagnoses_pending"], 0);
  EXPECT_EQ(report["diagnoses"], inline_diagnoses);
}

TEST_F(DashboardApiTest, ALongPollAnswersWhenTheCoordinatorChangesSomething) {
  const int64_t seen = Get("/api/v1/changes", {{"since", "0"}}).body["version"].get<int64_t>();
  const ApiResponse idle = Get("/api/v1/changes", {{"since", std::to_string(seen)},
                                                   {"wait_ms", "50"}});
  EXPECT_EQ(idle.body["version"], seen) << "nothing changed within the wait";
  std::thread train([&] {
    absl::SleepFor(absl::Milliseconds(100));
    TrainOne(0.4);
  });
  const absl::Time start = absl::Now();
  const ApiResponse changed = Get("/api/v1/changes", {{"since", std::to_string(seen)}});
  EXPECT_GT(changed.body["version"].get<int64_t>(), seen);
  EXPECT_LT(absl::Now() - start, absl::Seconds(4)) << "answered at the change, not the deadline";
  train.join();
}

TEST_F(DashboardApiTest, CancellingIsAPostAndEndsTheSweep) {
  EXPECT_EQ(Get("/api/v1/sweeps/" + sweep_ + "/cancel").status, 405);
  const ApiResponse cancelled = api_->Handle({"POST", "/api/v1/sweeps/" + sweep_ + "/cancel", {}});
  ASSERT_EQ(cancelled.status, 200) << cancelled.body.dump();
  EXPECT_EQ(cancelled.body["cancelled"], 4);
  EXPECT_EQ(Get("/api/v1/sweeps").body["sweeps"][0]["state"], "CANCELLED");
}

TEST_F(DashboardApiTest, RetryingIsAPostThatRunsTheSweepsCancelledOrFailedTrialsAgain) {
  const std::string retry = "/api/v1/sweeps/" + sweep_ + "/retry";
  ASSERT_EQ(api_->Handle({"POST", "/api/v1/sweeps/" + sweep_ + "/cancel", {}}).status, 200);
  EXPECT_EQ(Get(retry).status, 405);
  const ApiResponse bad = api_->Handle({"POST", retry, {{"cancelled", "maybe"}}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body["error"]["message"].get<std::string>(), HasSubstr("cancelled"));
  // Nothing failed: a plain retry finds nothing; with cancelled=true all four run again.
  EXPECT_EQ(api_->Handle({"POST", retry, {}}).body["retried"], 0);
  const ApiResponse retried = api_->Handle({"POST", retry, {{"cancelled", "true"}}});
  ASSERT_EQ(retried.status, 200) << retried.body.dump();
  EXPECT_EQ(retried.body["retried"], 4);
  EXPECT_EQ(Get("/api/v1/sweeps/" + sweep_).body["sweep"]["state"], "RUNNING");
  EXPECT_EQ(api_->Handle({"POST", "/api/v1/sweeps/nope/retry", {}}).status, 404);
}

// Housekeeping from the page: tags and a note, the list filtered by tag and hiding archived
// sweeps, archive and delete (POSTs; 409 while the sweep runs).
TEST_F(DashboardApiTest, SweepsAreLabelledFilteredArchivedAndDeletedByPost) {
  const std::string other = coordinator_->SubmitSweep(kSweep, "other.yaml")->sweep_id;
  const std::string labels = "/api/v1/sweeps/" + sweep_ + "/labels";
  EXPECT_EQ(Get(labels).status, 405);
  const ApiResponse labelled =
      api_->Handle({"POST", labels, {{"tag", "baseline,bs-64"}, {"note", "first try"}}});
  ASSERT_EQ(labelled.status, 200) << labelled.body.dump();
  EXPECT_EQ(labelled.body["sweep"]["tags"], Json({"baseline", "bs-64"}));
  EXPECT_EQ(labelled.body["sweep"]["note"], "first try");
  EXPECT_EQ(api_->Handle({"POST", labels, {{"tag", "no spaces"}}}).status, 400);
  ASSERT_EQ(api_->Handle({"POST", labels, {{"untag", "bs-64"}}}).status, 200);

  const ApiResponse tagged = Get("/api/v1/sweeps", {{"tag", "baseline"}});
  ASSERT_EQ(tagged.body["sweeps"].size(), 1u);
  EXPECT_EQ(tagged.body["sweeps"][0]["id"], sweep_);
  EXPECT_EQ(tagged.body["hidden"], 1);
  EXPECT_EQ(tagged.body["tags"], Json({"baseline"}));  // every sweep's tags, for the filter

  const std::string archive = "/api/v1/sweeps/" + sweep_ + "/archive";
  EXPECT_EQ(api_->Handle({"POST", archive, {}}).status, 409);  // still running
  ASSERT_EQ(api_->Handle({"POST", "/api/v1/sweeps/" + sweep_ + "/cancel", {}}).status, 200);
  const ApiResponse archived = api_->Handle({"POST", archive, {}});
  ASSERT_EQ(archived.status, 200) << archived.body.dump();
  EXPECT_EQ(archived.body["freed"]["checkpoints"], 0);
  EXPECT_EQ(Get("/api/v1/sweeps").body["sweeps"].size(), 1u);  // archived ones are hidden
  const ApiResponse all = Get("/api/v1/sweeps", {{"archived", "true"}});
  ASSERT_EQ(all.body["sweeps"].size(), 2u);
  EXPECT_TRUE(all.body["sweeps"][0]["archived_ms"].is_number());

  ASSERT_EQ(api_->Handle({"POST", "/api/v1/sweeps/" + other + "/cancel", {}}).status, 200);
  const ApiResponse deleted =
      api_->Handle({"POST", "/api/v1/sweeps/" + other + "/delete", {}});
  ASSERT_EQ(deleted.status, 200) << deleted.body.dump();
  EXPECT_EQ(deleted.body["freed"]["trials"], 4);
  EXPECT_EQ(Get("/api/v1/sweeps/" + other).status, 404);
}

// A command trial's output: its latest attempt by default, the tail asked for, 404 for a trial
// that printed nothing.
TEST_F(DashboardApiTest, ACommandTrialsOutputIsServedByAttemptAndTail) {
  TrialLogStore logs(dir_.path() + "/logs", 1 << 20);
  CoordinatorDashboardSource source(coordinator_.get(), &changes_, &logs);
  DashboardApi api(&source, &changes_);
  const LeaseRef lease = LeaseNext();
  ASSERT_GE(lease.trial, 0);
  ASSERT_TRUE(logs.Append(lease, "epoch 1 loss 0.50\nepoch 2 loss 0.25\n").ok());
  const std::string path =
      absl::StrCat("/api/v1/sweeps/", sweep_, "/trials/", lease.trial, "/log");
  const ApiResponse whole = api.Handle({"GET", path, {}});
  ASSERT_EQ(whole.status, 200) << whole.body.dump();
  EXPECT_EQ(whole.body["text"], "epoch 1 loss 0.50\nepoch 2 loss 0.25\n");
  EXPECT_EQ(whole.body["attempt"], lease.fencing_token);
  EXPECT_EQ(whole.body["attempts"].dump(), absl::StrCat("[", lease.fencing_token, "]"));
  // The last 20 bytes, from the first whole line in them.
  const ApiResponse tail = api.Handle({"GET", path, {{"tail_bytes", "20"}}});
  EXPECT_EQ(tail.body["text"], "epoch 2 loss 0.25\n");
  EXPECT_EQ(api.Handle({"GET", path, {{"attempt", "first"}}}).status, 400);
  const ApiResponse silent = api.Handle(
      {"GET", absl::StrCat("/api/v1/sweeps/", sweep_, "/trials/", lease.trial + 1, "/log"), {}});
  EXPECT_EQ(silent.status, 404) << silent.body.dump();
  EXPECT_EQ(api.Handle({"GET", "/api/v1/sweeps/nope/trials/0/log", {}}).status, 404);
}

// The workers page: a training worker's trial, its step and steps/s from two samples a second
// or more apart.
TEST_F(DashboardApiTest, TheWorkersPageShowsEachTrainingWorkersStepsPerSecond) {
  const LeaseRef lease = LeaseNext("gpu0");
  ASSERT_GE(lease.trial, 0);
  auto report_step = [&](int64_t step) {
    MetricPoint point;
    point.step = step;
    point.lr = 0.1;
    point.train_loss = 1.0;
    ASSERT_TRUE(coordinator_->ReportMetrics(lease, {point}).ok());
  };
  report_step(10);
  const ApiResponse first = Get("/api/v1/workers");
  ASSERT_EQ(first.status, 200);
  const auto& row = first.body["workers"][0];
  EXPECT_EQ(row["state"], "training");
  EXPECT_EQ(row["trial"], lease.trial);
  EXPECT_EQ(row["step"], 10);
  EXPECT_EQ(row["total_steps"], 400);
  EXPECT_TRUE(row["steps_per_second"].is_null());  // one sample says nothing about a rate
  const auto start = std::chrono::steady_clock::now();
  absl::SleepFor(absl::Milliseconds(1100));
  report_step(60);
  const ApiResponse second = Get("/api/v1/workers");
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double rate = second.body["workers"][0]["steps_per_second"].get<double>();
  EXPECT_LE(rate, 50.0 / 1.0);
  EXPECT_GE(rate, 50.0 / (elapsed + 0.1));
}

TEST_F(DashboardApiTest, BadRequestsAreErrorsThatSayWhatToDo) {
  const ApiResponse unknown = Get("/api/v1/sweeps/no-such-sweep");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body["error"]["code"], "NOT_FOUND");
  EXPECT_THAT(unknown.body["error"]["message"].get<std::string>(), HasSubstr("no-such-sweep"));
  EXPECT_EQ(Get("/api/v1/sweeps/" + sweep_ + "/trials/99").status, 404);
  EXPECT_EQ(Get("/api/v1/sweeps/" + sweep_ + "/trials/x").status, 404);
  EXPECT_EQ(Get("/api/v1/nothing").status, 404);
  EXPECT_EQ(Get("/elsewhere").status, 404);
  const ApiResponse limit = Get("/api/v1/sweeps/" + sweep_ + "/trials", {{"limit", "lots"}});
  EXPECT_EQ(limit.status, 400);
  EXPECT_THAT(limit.body["error"]["message"].get<std::string>(),
              HasSubstr("query parameter 'limit': expected a whole number from 1 to 1000, got 'lots'"));
  EXPECT_EQ(Get("/api/v1/sweeps/" + sweep_ + "/trials", {{"limit", "0"}}).status, 400);
  EXPECT_EQ(Get("/api/v1/sweeps/" + sweep_ + "/trials", {{"sort", "colour"}}).status, 400);
  const ApiResponse state = Get("/api/v1/sweeps/" + sweep_ + "/trials", {{"state", "DONE"}});
  EXPECT_EQ(state.status, 400);
  EXPECT_THAT(state.body["error"]["message"].get<std::string>(), HasSubstr("unknown trial state 'DONE'"));
  EXPECT_EQ(Get("/api/v1/sweeps/" + sweep_ + "/curves", {{"metric", "joy"}}).status, 400);
  EXPECT_EQ(Get("/api/v1/changes", {{"since", "-1"}}).status, 400);
  const ApiResponse method = api_->Handle({"DELETE", "/api/v1/sweeps/" + sweep_, {}});
  EXPECT_EQ(method.status, 405);
  EXPECT_THAT(method.body["error"]["message"].get<std::string>(), HasSubstr("use GET"));
}

}  // namespace
}  // namespace lrsweep
