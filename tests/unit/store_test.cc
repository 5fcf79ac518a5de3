// The SQLite store, on a real database in a temp dir: what is written is there after reopening,
// and re-logged steps replace rather than duplicate.
#include "coordinator/store.h"

#include <sqlite3.h>

#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace lrsweep {
namespace {

SweepRecord Sweep(const std::string& id) {
  SweepRecord sweep;
  sweep.id = id;
  sweep.name = "s";
  sweep.yaml = "name: s";
  sweep.file_name = "s.yaml";
  sweep.created_ms = 1;
  sweep.metric_name = "val_loss";
  sweep.maximize = false;
  return sweep;
}

std::vector<TrialRecord> Trials(const std::string& sweep_id, int n) {
  std::vector<TrialRecord> trials;
  for (int i = 0; i < n; ++i) {
    TrialRecord trial;
    trial.sweep_id = sweep_id;
    trial.trial = i;
    trial.config = i / 2;
    trial.seed = i % 2;
    trial.plan_json = "{}";
    trial.params_json = "{}";
    trial.total_steps = 10;
    trials.push_back(trial);
  }
  return trials;
}

TEST(SqliteStoreTest, EverythingWrittenSurvivesReopening) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/lrsweep.db";
  {
    auto store = OpenSqliteStore(path);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->CreateSweep(Sweep("a"), Trials("a", 4)).ok());
    TrialRecord running = Trials("a", 4)[2];
    running.state = TrialState::kRunning;
    running.attempts = 1;
    running.worker_id = "w-1";
    running.score = 0.5;
    ASSERT_TRUE((*store)->UpdateTrial(running).ok());
    MetricPoint point;
    point.step = 3;
    point.lr = 0.1;
    point.val_loss = 0.7;
    running.step = 3;
    ASSERT_TRUE((*store)->AppendMetrics(running, {point}).ok());
    ASSERT_TRUE((*store)->SetSweepState("a", SweepState::kCancelled).ok());
    ASSERT_TRUE((*store)->UpsertWorker({"w-1", "gpu0", "cuda:0", 4, 5, 6}).ok());
  }
  auto store = OpenSqliteStore(path);
  ASSERT_TRUE(store.ok());
  absl::StatusOr<SweepRecord> sweep = (*store)->GetSweep("a");
  ASSERT_TRUE(sweep.ok());
  EXPECT_EQ(sweep->state, SweepState::kCancelled);
  EXPECT_FALSE(sweep->maximize);
  absl::StatusOr<std::vector<TrialRecord>> trials = (*store)->ListTrials("a");
  ASSERT_TRUE(trials.ok());
  ASSERT_EQ(trials->size(), 4u);
  EXPECT_EQ((*trials)[2].state, TrialState::kRunning);
  EXPECT_EQ((*trials)[2].worker_id, "w-1");
  EXPECT_EQ((*trials)[2].step, 3);
  EXPECT_EQ(*(*trials)[2].score, 0.5);
  EXPECT_FALSE((*trials)[1].score.has_value());
  absl::StatusOr<std::vector<MetricPoint>> metrics = (*store)->GetMetrics("a", 2);
  ASSERT_TRUE(metrics.ok());
  ASSERT_EQ(metrics->size(), 1u);
  EXPECT_EQ(*(*metrics)[0].val_loss, 0.7);
  EXPECT_FALSE((*metrics)[0].val_accuracy.has_value());
  absl::StatusOr<std::vector<WorkerRecord>> workers = (*store)->ListWorkers();
  ASSERT_EQ(workers->size(), 1u);
  EXPECT_EQ((*workers)[0].device, "cuda:0");
}

TEST(SqliteStoreTest, RedoneStepsReplaceEarlierPoints) {
  testing::TempDir dir;
  auto store = OpenSqliteStore(dir.path() + "/lrsweep.db");
  ASSERT_TRUE((*store)->CreateSweep(Sweep("a"), Trials("a", 1)).ok());
  const TrialRecord trial = Trials("a", 1)[0];
  std::vector<MetricPoint> first(5), again(3);
  for (int i = 0; i < 5; ++i) first[i].step = i, first[i].lr = 1.0;
  for (int i = 0; i < 3; ++i) again[i].step = 3 + i, again[i].lr = 2.0;
  ASSERT_TRUE((*store)->AppendMetrics(trial, first).ok());
  ASSERT_TRUE((*store)->AppendMetrics(trial, again).ok());
  absl::StatusOr<std::vector<MetricPoint>> points = (*store)->GetMetrics("a", 0);
  ASSERT_EQ(points->size(), 6u);
  EXPECT_EQ((*points)[2].lr, 1.0);
  EXPECT_EQ((*points)[3].lr, 2.0);
  EXPECT_EQ((*points)[5].step, 5);
}

TEST(SqliteStoreTest, UnknownSweepIsNotFoundAndDuplicateIdIsRefused) {
  testing::TempDir dir;
  auto store = OpenSqliteStore(dir.path() + "/lrsweep.db");
  EXPECT_EQ((*store)->GetSweep("nope").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE((*store)->CreateSweep(Sweep("a"), Trials("a", 2)).ok());
  EXPECT_FALSE((*store)->CreateSweep(Sweep("a"), Trials("a", 2)).ok());
  EXPECT_EQ((*store)->ListTrials("a")->size(), 2u);  // the failed insert left nothing behind
}

TEST(SqliteStoreTest, UnwritableDirectoryIsAClearError) {
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore("/nonexistent/dir/lrsweep.db");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(std::string(store.status().message()).find("--data-dir"), std::string::npos);
}

TEST(SqliteStoreTest, CheckpointsOfBothStoresSurviveReopeningNewestFirst) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/lrsweep.db";
  {
    auto store = OpenSqliteStore(path);
    ASSERT_TRUE((*store)->CreateSweep(Sweep("a"), Trials("a", 1)).ok());
    TrialRecord trial = Trials("a", 1)[0];
    trial.checkpoint_step = 20;
    ASSERT_TRUE((*store)->AddCheckpoint({"a", 0, 10, "aa", 5, "/data/a/0/step-10.ckpt", 1, 7, ""},
                                        trial)
                    .ok());
    ASSERT_TRUE(
        (*store)->AddCheckpoint({"a", 0, 20, "bb", 6, "", 2, 8, "a/0/step-20-a2.ckpt"}, trial).ok());
  }
  auto store = OpenSqliteStore(path);
  absl::StatusOr<std::vector<CheckpointRecord>> checkpoints = (*store)->ListCheckpoints("a", 0);
  ASSERT_TRUE(checkpoints.ok()) << checkpoints.status();
  ASSERT_EQ(checkpoints->size(), 2u);
  EXPECT_EQ((*checkpoints)[0].step, 20);
  EXPECT_EQ((*checkpoints)[0].shared_path, "a/0/step-20-a2.ckpt");
  EXPECT_EQ((*checkpoints)[0].path, "");
  EXPECT_EQ((*checkpoints)[0].attempt, 2);
  EXPECT_EQ((*checkpoints)[1].path, "/data/a/0/step-10.ckpt");
  EXPECT_EQ((*checkpoints)[1].shared_path, "");
  EXPECT_EQ((*(*store)->ListTrials("a"))[0].checkpoint_step, 20);
}

TEST(SqliteStoreTest, ADatabaseFromBeforeSharedCheckpointsOpensWithItsCheckpoints) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/lrsweep.db";
  {
    auto store = OpenSqliteStore(path);
    ASSERT_TRUE((*store)->CreateSweep(Sweep("a"), Trials("a", 1)).ok());
    ASSERT_TRUE(
        (*store)->AddCheckpoint({"a", 0, 10, "aa", 5, "/x/step-10.ckpt", 1, 7, ""}, Trials("a", 1)[0])
            .ok());
  }
  {  // The checkpoints table as the first release created it.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE checkpoints DROP COLUMN shared_path", nullptr,
                           nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto store = OpenSqliteStore(path);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<std::vector<CheckpointRecord>> checkpoints = (*store)->ListCheckpoints("a", 0);
  ASSERT_TRUE(checkpoints.ok()) << checkpoints.status();
  ASSERT_EQ(checkpoints->size(), 1u);
  EXPECT_EQ((*checkpoints)[0].path, "/x/step-10.ckpt");
  EXPECT_EQ((*checkpoints)[0].shared_path, "");
}

}  // namespace
}  // namespace lrsweep
