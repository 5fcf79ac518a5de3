// Store on SQLite (WAL, synchronous=FULL). Two connections, each guarded by a mutex: one writes
// (SQLite serializes writers anyway, and writes are group-committed), one reads, so that WAL lets
// reads proceed while a commit fsyncs.
#include <sqlite3.h>

#include <mutex>
#include <type_traits>
#include <variant>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "coordinator/sqlite_statement.h"
#include "coordinator/store.h"
#include "sweep/trial_columns.h"

namespace lrsweep {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS sweeps (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  yaml TEXT NOT NULL,
  file_name TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  state TEXT NOT NULL,
  metric_name TEXT NOT NULL,
  maximize INTEGER NOT NULL,
  metric_summary TEXT NOT NULL,
  metric_last_k INTEGER NOT NULL,
  max_failures INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS metrics (
  sweep_id TEXT NOT NULL,
  trial INTEGER NOT NULL,
  step INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  lr REAL NOT NULL,
  momentum REAL,
  train_loss REAL,
  val_loss REAL,
  val_accuracy REAL,
  test_accuracy REAL,
  examples_per_second REAL NOT NULL,
  wall_seconds REAL NOT NULL,
  PRIMARY KEY (sweep_id, trial, step)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (
  sweep_id TEXT NOT NULL,
  trial INTEGER NOT NULL,
  step INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  path TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (sweep_id, trial, step)
);
CREATE TABLE IF NOT EXISTS trial_events (
  sweep_id TEXT NOT NULL,
  trial INTEGER NOT NULL,
  ms INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  kind TEXT NOT NULL,
  worker_id TEXT NOT NULL,
  step INTEGER NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS trial_events_by_trial ON trial_events (sweep_id, trial);
CREATE TABLE IF NOT EXISTS workers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  device TEXT NOT NULL,
  threads INTEGER NOT NULL,
  registered_ms INTEGER NOT NULL,
  last_heartbeat_ms INTEGER NOT NULL
);
)sql";

constexpr char kSweepColumns[] =
    "id, name, yaml, file_name, created_ms, state, metric_name, maximize, metric_summary, "
    "metric_last_k, max_failures, checkpoint_keep, source_sha256, note, tags, archived_ms";

// Columns added after the first release, created on databases that lack them.
constexpr struct {
  const char* table;
  const char* column;
  const char* declaration;
} kAddedColumns[] = {
    {"sweeps", "checkpoint_keep", "INTEGER NOT NULL DEFAULT 2"},
    {"sweeps", "source_sha256", "TEXT NOT NULL DEFAULT ''"},
    {"sweeps", "note", "TEXT NOT NULL DEFAULT ''"},
    {"sweeps", "tags", "TEXT NOT NULL DEFAULT ''"},  // comma-joined (a tag has no comma)
    {"sweeps", "archived_ms", "INTEGER NOT NULL DEFAULT 0"},
    {"checkpoints", "shared_path", "TEXT NOT NULL DEFAULT ''"},
    {"workers", "stopped_ms", "INTEGER NOT NULL DEFAULT 0"},
};

// The trials table, its column list and its row binding, all from TrialColumns().
// Each type's SQL declaration, with a default so that ALTER TABLE can add the column.
const char* SqlOf(int64_t TrialRecord::*) { return "INTEGER NOT NULL DEFAULT 0"; }
const char* SqlOf(double TrialRecord::*) { return "REAL NOT NULL DEFAULT 0"; }
const char* SqlOf(std::string TrialRecord::*) { return "TEXT NOT NULL DEFAULT ''"; }
const char* SqlOf(std::optional<double> TrialRecord::*) { return "REAL"; }
const char* SqlOf(TrialState TrialRecord::*) { return "TEXT NOT NULL DEFAULT 'PENDING'"; }

const char* SqlDeclaration(const TrialColumn& column) {
  return std::visit([](auto member) { return SqlOf(member); }, column.member);
}

std::string TrialsSchema() {
  std::string sql = "CREATE TABLE IF NOT EXISTS trials (";
  for (const TrialColumn& column : TrialColumns()) {
    absl::StrAppend(&sql, column.name, " ", SqlDeclaration(column), ", ");
  }
  return absl::StrCat(sql, "PRIMARY KEY (sweep_id, trial))");
}

std::string TrialColumnList() {
  std::vector<std::string> names;
  for (const TrialColumn& column : TrialColumns()) names.push_back(column.name);
  return absl::StrJoin(names, ", ");
}

void BindTrial(Statement& s, const TrialRecord& t) {
  int index = 1;
  for (const TrialColumn& column : TrialColumns()) {
    std::visit(
        [&](auto member) {
          if constexpr (std::is_same_v<decltype(member), TrialState TrialRecord::*>) {
            s.Bind(index, std::string(TrialStateName(t.*member)));
          } else {
            s.Bind(index, t.*member);
          }
        },
        column.member);
    ++index;
  }
}

TrialRecord ReadTrial(const Statement& s) {
  TrialRecord t;
  int col = 0;
  for (const TrialColumn& column : TrialColumns()) {
    std::visit(
        [&](auto member) {
          using Member = decltype(member);
          if constexpr (std::is_same_v<Member, int64_t TrialRecord::*>) {
            t.*member = s.Int(col);
          } else if constexpr (std::is_same_v<Member, double TrialRecord::*>) {
            t.*member = s.Double(col);
          } else if constexpr (std::is_same_v<Member, std::string TrialRecord::*>) {
            t.*member = s.Text(col);
          } else if constexpr (std::is_same_v<Member, std::optional<double> TrialRecord::*>) {
            t.*member = s.OptionalDouble(col);
          } else {
            t.*member = ParseTrialState(s.Text(col)).value_or(TrialState::kPending);
          }
        },
        column.member);
    ++col;
  }
  return t;
}

class SqliteStore : public Store {
 public:
  // `db` writes; `reader` (a second connection to the same file) reads, so that with WAL a read
  // never waits behind a commit's fsync.
  SqliteStore(sqlite3* db, sqlite3* reader) : db_(db), reader_(reader) {}
  ~SqliteStore() override {
    sqlite3_close(reader_);
    sqlite3_close(db_);
  }

  absl::Status Init() {
    {
      absl::MutexLock lock(&mu_);
      RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL"));
      RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL"));
      RETURN_IF_ERROR(Exec("PRAGMA busy_timeout=5000"));
      RETURN_IF_ERROR(Exec(kSchema));
      RETURN_IF_ERROR(Exec(TrialsSchema().c_str()));
      RETURN_IF_ERROR(AddMissingColumns());
    }
    absl::MutexLock lock(&read_mu_);
    return ExecOn(reader_, "PRAGMA busy_timeout=5000");
  }

  absl::Status AddMissingColumns() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const auto& added : kAddedColumns) {
      RETURN_IF_ERROR(AddColumnIfMissing(added.table, added.column, added.declaration));
    }
    for (const TrialColumn& column : TrialColumns()) {
      RETURN_IF_ERROR(AddColumnIfMissing("trials", column.name, SqlDeclaration(column)));
    }
    return absl::OkStatus();
  }

  absl::Status AddColumnIfMissing(const std::string& table, const std::string& column,
                                  const std::string& declaration)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Statement info(db_, absl::StrCat("PRAGMA table_info(", table, ")").c_str());
    RETURN_IF_ERROR(info.Prepared());
    bool present = false;
    while (info.Step() == SQLITE_ROW) present = present || info.Text(1) == column;
    if (present) return absl::OkStatus();
    return Exec(absl::StrCat("ALTER TABLE ", table, " ADD COLUMN ", column, " ", declaration).c_str());
  }

  absl::Status CreateSweep(const SweepRecord& sweep,
                           const std::vector<TrialRecord>& trials) override {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(Begin());
    return End(WriteSweep(sweep, trials));
  }

  absl::Status Write(const StoreWrite& write) override {
    if (write.empty()) return absl::OkStatus();
    PendingWrite mine;
    mine.write = &write;
    return GroupCommit(mine);
  }

  absl::StatusOr<std::vector<SweepRecord>> ListSweeps() override {
    absl::MutexLock lock(&read_mu_);
    return ReadSweeps(
        absl::StrCat("SELECT ", kSweepColumns, " FROM sweeps ORDER BY created_ms, id"), "");
  }

  absl::StatusOr<SweepRecord> GetSweep(const std::string& sweep_id) override {
    absl::MutexLock lock(&read_mu_);
    ASSIGN_OR_RETURN(
        std::vector<SweepRecord> sweeps,
        ReadSweeps(absl::StrCat("SELECT ", kSweepColumns, " FROM sweeps WHERE id = ?"), sweep_id));
    if (sweeps.empty()) return NoSweep(sweep_id);
    return sweeps[0];
  }

  absl::Status UpdateSweep(const SweepRecord& sweep) override {
    absl::MutexLock lock(&mu_);
    Statement update(db_,
                     "UPDATE sweeps SET yaml = ?, file_name = ?, source_sha256 = ?, note = ?, "
                     "tags = ?, archived_ms = ? WHERE id = ?");
    RETURN_IF_ERROR(update.Prepared());
    update.Bind(1, sweep.yaml).Bind(2, sweep.file_name).Bind(3, sweep.source_sha256)
        .Bind(4, sweep.note).Bind(5, absl::StrJoin(sweep.tags, ",")).Bind(6, sweep.archived_ms)
        .Bind(7, sweep.id);
    RETURN_IF_ERROR(update.Run());
    if (sqlite3_changes(db_) == 0) return NoSweep(sweep.id);
    return absl::OkStatus();
  }

  absl::StatusOr<DeletedRows> DeleteSweep(const std::string& sweep_id) override {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(Begin());
    DeletedRows deleted;
    absl::Status body = DeleteSweepRows(sweep_id, &deleted);
    RETURN_IF_ERROR(End(std::move(body)));
    return deleted;
  }

  absl::StatusOr<std::vector<TrialRecord>> ListTrials(const std::string& sweep_id) override {
    absl::MutexLock lock(&read_mu_);
    Statement select(reader_, absl::StrCat("SELECT ", TrialColumnList(),
                                       " FROM trials WHERE sweep_id = ? ORDER BY trial")
                              .c_str());
    RETURN_IF_ERROR(select.Prepared());
    select.Bind(1, sweep_id);
    std::vector<TrialRecord> trials;
    int rc;
    while ((rc = select.Step()) == SQLITE_ROW) trials.push_back(ReadTrial(select));
    if (rc != SQLITE_DONE) return absl::InternalError(sqlite3_errmsg(reader_));
    return trials;
  }

  absl::Status AppendMetrics(const TrialRecord& trial,
                             const std::vector<MetricPoint>& points) override {
    PendingWrite mine;
    mine.trial = &trial;
    mine.points = &points;
    return GroupCommit(mine);
  }

  absl::StatusOr<std::vector<MetricPoint>> GetMetrics(const std::string& sweep_id,
                                                      int64_t trial) override {
    absl::MutexLock lock(&read_mu_);
    Statement select(reader_,
                     "SELECT step, epoch, lr, momentum, train_loss, val_loss, val_accuracy, "
                     "test_accuracy, examples_per_second, wall_seconds FROM metrics "
                     "WHERE sweep_id = ? AND trial = ? ORDER BY step");
    RETURN_IF_ERROR(select.Prepared());
    select.Bind(1, sweep_id).Bind(2, trial);
    std::vector<MetricPoint> points;
    int rc;
    while ((rc = select.Step()) == SQLITE_ROW) {
      MetricPoint p;
      p.step = select.Int(0);
      p.epoch = select.Int(1);
      p.lr = select.Double(2);
      p.momentum = select.OptionalDouble(3);
      p.train_loss = select.OptionalDouble(4);
      p.val_loss = select.OptionalDouble(5);
      p.val_accuracy = select.OptionalDouble(6);
      p.test_accuracy = select.OptionalDouble(7);
      p.examples_per_second = select.Double(8);
      p.wall_seconds = select.Double(9);
      points.push_back(p);
    }
    if (rc != SQLITE_DONE) return absl::InternalError(sqlite3_errmsg(reader_));
    return points;
  }

  absl::StatusOr<std::vector<CheckpointRecord>> ListCheckpoints(const std::string& sweep_id,
                                                                int64_t trial) override {
    absl::MutexLock lock(&read_mu_);
    Statement select(reader_,
                     "SELECT step, sha256, size, path, attempt, created_ms, shared_path FROM checkpoints "
                     "WHERE sweep_id = ? AND trial = ? ORDER BY step DESC");
    RETURN_IF_ERROR(select.Prepared());
    select.Bind(1, sweep_id).Bind(2, trial);
    std::vector<CheckpointRecord> checkpoints;
    while (select.Step() == SQLITE_ROW) {
      checkpoints.push_back({sweep_id, trial, select.Int(0), select.Text(1), select.Int(2),
                             select.Text(3), select.Int(4), select.Int(5), select.Text(6)});
    }
    return checkpoints;
  }

  absl::StatusOr<std::vector<TrialEvent>> ListTrialEvents(const std::string& sweep_id,
                                                          int64_t trial) override {
    absl::MutexLock lock(&read_mu_);
    Statement select(reader_,
                     "SELECT ms, attempt, kind, worker_id, step, detail FROM trial_events "
                     "WHERE sweep_id = ? AND trial = ? ORDER BY rowid");
    RETURN_IF_ERROR(select.Prepared());
    select.Bind(1, sweep_id).Bind(2, trial);
    std::vector<TrialEvent> events;
    int rc;
    while ((rc = select.Step()) == SQLITE_ROW) {
      events.push_back({sweep_id, trial, select.Int(0), select.Int(1), select.Text(2),
                        select.Text(3), select.Int(4), select.Text(5)});
    }
    if (rc != SQLITE_DONE) return absl::InternalError(sqlite3_errmsg(reader_));
    return events;
  }

  absl::Status UpsertWorker(const WorkerRecord& w) override {
    absl::MutexLock lock(&mu_);
    Statement upsert(db_,
                     "INSERT OR REPLACE INTO workers (id, name, device, threads, registered_ms, "
                     "last_heartbeat_ms, stopped_ms) VALUES (?,?,?,?,?,?,?)");
    RETURN_IF_ERROR(upsert.Prepared());
    upsert.Bind(1, w.id).Bind(2, w.name).Bind(3, w.device).Bind(4, int64_t{w.threads})
        .Bind(5, w.registered_ms).Bind(6, w.last_heartbeat_ms).Bind(7, w.stopped_ms);
    return upsert.Run();
  }

  absl::StatusOr<std::vector<WorkerRecord>> ListWorkers() override {
    absl::MutexLock lock(&read_mu_);
    Statement select(reader_,
                     "SELECT id, name, device, threads, registered_ms, last_heartbeat_ms, "
                     "stopped_ms FROM workers ORDER BY registered_ms, id");
    RETURN_IF_ERROR(select.Prepared());
    std::vector<WorkerRecord> workers;
    while (select.Step() == SQLITE_ROW) {
      workers.push_back({select.Text(0), select.Text(1), select.Text(2),
                         static_cast<int32_t>(select.Int(3)), select.Int(4), select.Int(5),
                         select.Int(6)});
    }
    return workers;
  }

 private:
  absl::Status Exec(const char* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ExecOn(db_, sql); }

  static absl::Status ExecOn(sqlite3* db, const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string message = error ? error : "unknown error";
      sqlite3_free(error);
      return absl::InternalError(absl::StrCat("sqlite: ", message));
    }
    return absl::OkStatus();
  }

  // A transaction: Begin(), then End() with the status of its body, which commits it or, on an
  // error, rolls it back.
  absl::Status Begin() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return Exec("BEGIN IMMEDIATE"); }
  absl::Status End(absl::Status body) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!body.ok()) {
      Exec("ROLLBACK").IgnoreError();
      return body;
    }
    return Exec("COMMIT");
  }

  absl::Status WriteSweep(const SweepRecord& sweep, const std::vector<TrialRecord>& trials)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Statement insert(db_, absl::StrCat("INSERT INTO sweeps (", kSweepColumns,
                                       ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
                              .c_str());
    RETURN_IF_ERROR(insert.Prepared());
    insert.Bind(1, sweep.id).Bind(2, sweep.name).Bind(3, sweep.yaml).Bind(4, sweep.file_name)
        .Bind(5, sweep.created_ms).Bind(6, std::string(SweepStateName(sweep.state)))
        .Bind(7, sweep.metric_name).Bind(8, int64_t{sweep.maximize}).Bind(9, sweep.metric_summary)
        .Bind(10, sweep.metric_last_k).Bind(11, sweep.max_failures)
        .Bind(12, sweep.checkpoint_keep).Bind(13, sweep.source_sha256).Bind(14, sweep.note)
        .Bind(15, absl::StrJoin(sweep.tags, ",")).Bind(16, sweep.archived_ms);
    RETURN_IF_ERROR(insert.Run());
    return WriteTrials(trials, "INSERT");
  }

  absl::Status WriteAll(const StoreWrite& write) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    RETURN_IF_ERROR(WriteTrials(write.trials, "REPLACE"));
    for (const MetricAppend& append : write.metrics) {
      RETURN_IF_ERROR(WritePoints(append.sweep_id, append.trial, append.points));
    }
    RETURN_IF_ERROR(WriteSweepStates(write.sweep_states));
    RETURN_IF_ERROR(WriteCheckpoints(write.added_checkpoints));
    RETURN_IF_ERROR(WriteEvents(write.events));
    return DeleteCheckpoints(write.deleted_checkpoints);
  }

  // A write waiting for the group commit: a metric append (trial and points) or a StoreWrite.
  struct PendingWrite {
    const TrialRecord* trial = nullptr;
    const std::vector<MetricPoint>* points = nullptr;
    const StoreWrite* write = nullptr;
    absl::Status status;
    bool done = false;
  };

  // Writes that wait together share one transaction and one fsync: the first caller commits
  // batches until nobody waits, the others return once their batch is durable. A batch fails
  // or succeeds whole.
  absl::Status GroupCommit(PendingWrite& mine) ABSL_LOCKS_EXCLUDED(queue_mu_, mu_) {
    {
      absl::MutexLock lock(&queue_mu_);
      queue_.push_back(&mine);
      if (committing_) {
        // Another caller is committing: it will take this write in its next batch.
        queue_mu_.Await(absl::Condition(&mine.done));
        return mine.status;
      }
      committing_ = true;
    }
    while (true) {
      std::vector<PendingWrite*> batch;
      {
        absl::MutexLock lock(&queue_mu_);
        batch.swap(queue_);
        if (batch.empty()) {
          committing_ = false;
          break;
        }
      }
      absl::Status status;
      {
        absl::MutexLock lock(&mu_);
        status = Begin();
        if (status.ok()) status = End(WriteBatch(batch));
      }
      absl::MutexLock lock(&queue_mu_);
      for (PendingWrite* pending : batch) {
        pending->status = status;
        pending->done = true;
      }
    }
    return mine.status;
  }

  absl::Status WriteBatch(const std::vector<PendingWrite*>& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Statement progress(db_,
                       "UPDATE trials SET step = ?, lr = ?, latest_metric = ?, updated_ms = ? "
                       "WHERE sweep_id = ? AND trial = ? AND attempts = ?");
    RETURN_IF_ERROR(progress.Prepared());
    for (const PendingWrite* pending : batch) {
      if (pending->write != nullptr) {
        RETURN_IF_ERROR(WriteAll(*pending->write));
        continue;
      }
      const TrialRecord& trial = *pending->trial;
      RETURN_IF_ERROR(WritePoints(trial.sweep_id, trial.trial, *pending->points));
      progress.Bind(1, trial.step).Bind(2, trial.lr).Bind(3, trial.latest_metric)
          .Bind(4, trial.updated_ms).Bind(5, trial.sweep_id).Bind(6, trial.trial)
          .Bind(7, trial.attempts);
      RETURN_IF_ERROR(progress.Run());
    }
    return absl::OkStatus();
  }

  absl::Status WritePoints(const std::string& sweep_id, int64_t trial,
                           const std::vector<MetricPoint>& points)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (points.empty()) return absl::OkStatus();
    Statement insert(db_,
                     "INSERT OR REPLACE INTO metrics (sweep_id, trial, step, epoch, lr, "
                     "momentum, train_loss, val_loss, val_accuracy, test_accuracy, "
                     "examples_per_second, wall_seconds) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    RETURN_IF_ERROR(insert.Prepared());
    for (const MetricPoint& p : points) {
      insert.Bind(1, sweep_id).Bind(2, trial).Bind(3, p.step).Bind(4, p.epoch).Bind(5, p.lr)
          .Bind(6, p.momentum).Bind(7, p.train_loss).Bind(8, p.val_loss).Bind(9, p.val_accuracy)
          .Bind(10, p.test_accuracy).Bind(11, p.examples_per_second).Bind(12, p.wall_seconds);
      RETURN_IF_ERROR(insert.Run());
    }
    return absl::OkStatus();
  }

  absl::Status WriteTrials(const std::vector<TrialRecord>& trials, const char* verb)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (trials.empty()) return absl::OkStatus();
    std::vector<std::string> placeholders(TrialColumns().size(), "?");
    Statement write(db_, absl::StrCat(verb, " INTO trials (", TrialColumnList(), ") VALUES (",
                                      absl::StrJoin(placeholders, ","), ")")
                             .c_str());
    RETURN_IF_ERROR(write.Prepared());
    for (const TrialRecord& trial : trials) {
      BindTrial(write, trial);
      RETURN_IF_ERROR(write.Run());
    }
    return absl::OkStatus();
  }

  absl::Status WriteSweepStates(const std::vector<std::pair<std::string, SweepState>>& states)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (states.empty()) return absl::OkStatus();
    Statement update(db_, "UPDATE sweeps SET state = ? WHERE id = ?");
    RETURN_IF_ERROR(update.Prepared());
    for (const auto& [sweep_id, state] : states) {
      update.Bind(1, std::string(SweepStateName(state))).Bind(2, sweep_id);
      RETURN_IF_ERROR(update.Run());
    }
    return absl::OkStatus();
  }

  absl::Status WriteCheckpoints(const std::vector<CheckpointRecord>& checkpoints)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (checkpoints.empty()) return absl::OkStatus();
    Statement insert(db_,
                     "INSERT OR REPLACE INTO checkpoints (sweep_id, trial, step, sha256, size, "
                     "path, attempt, created_ms, shared_path) VALUES (?,?,?,?,?,?,?,?,?)");
    RETURN_IF_ERROR(insert.Prepared());
    for (const CheckpointRecord& c : checkpoints) {
      insert.Bind(1, c.sweep_id).Bind(2, c.trial).Bind(3, c.step).Bind(4, c.sha256)
          .Bind(5, c.size).Bind(6, c.path).Bind(7, c.attempt).Bind(8, c.created_ms)
          .Bind(9, c.shared_path);
      RETURN_IF_ERROR(insert.Run());
    }
    return absl::OkStatus();
  }

  absl::Status WriteEvents(const std::vector<TrialEvent>& events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (events.empty()) return absl::OkStatus();
    Statement insert(db_,
                     "INSERT INTO trial_events (sweep_id, trial, ms, attempt, kind, worker_id, "
                     "step, detail) VALUES (?,?,?,?,?,?,?,?)");
    RETURN_IF_ERROR(insert.Prepared());
    for (const TrialEvent& e : events) {
      insert.Bind(1, e.sweep_id).Bind(2, e.trial).Bind(3, e.ms).Bind(4, e.attempt).Bind(5, e.kind)
          .Bind(6, e.worker_id).Bind(7, e.step).Bind(8, e.detail);
      RETURN_IF_ERROR(insert.Run());
    }
    return absl::OkStatus();
  }

  absl::Status DeleteCheckpoints(const std::vector<CheckpointRecord>& checkpoints)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (checkpoints.empty()) return absl::OkStatus();
    Statement remove(db_, "DELETE FROM checkpoints WHERE sweep_id = ? AND trial = ? AND step = ?");
    RETURN_IF_ERROR(remove.Prepared());
    for (const CheckpointRecord& c : checkpoints) {
      remove.Bind(1, c.sweep_id).Bind(2, c.trial).Bind(3, c.step);
      RETURN_IF_ERROR(remove.Run());
    }
    return absl::OkStatus();
  }

  static absl::Status NoSweep(const std::string& sweep_id) {
    return absl::NotFoundError(absl::StrCat("no sweep '", sweep_id, "'"));
  }

  // The body of DeleteSweep's transaction: the sweep row last, NOT_FOUND when there was none.
  absl::Status DeleteSweepRows(const std::string& sweep_id, DeletedRows* deleted)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    int64_t events = 0;
    const std::pair<const char*, int64_t*> tables[] = {{"metrics", &deleted->metric_points},
                                                       {"checkpoints", &deleted->checkpoints},
                                                       {"trial_events", &events},
                                                       {"trials", &deleted->trials}};
    for (const auto& [table, count] : tables) {
      Statement remove(db_, absl::StrCat("DELETE FROM ", table, " WHERE sweep_id = ?").c_str());
      RETURN_IF_ERROR(remove.Prepared());
      remove.Bind(1, sweep_id);
      RETURN_IF_ERROR(remove.Run());
      *count = sqlite3_changes(db_);
    }
    Statement remove(db_, "DELETE FROM sweeps WHERE id = ?");
    RETURN_IF_ERROR(remove.Prepared());
    remove.Bind(1, sweep_id);
    RETURN_IF_ERROR(remove.Run());
    if (sqlite3_changes(db_) == 0) return NoSweep(sweep_id);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<SweepRecord>> ReadSweeps(const std::string& sql,
                                                      const std::string& id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(read_mu_) {
    Statement select(reader_, sql.c_str());
    RETURN_IF_ERROR(select.Prepared());
    if (!id.empty()) select.Bind(1, id);
    std::vector<SweepRecord> sweeps;
    while (select.Step() == SQLITE_ROW) {
      SweepRecord s;
      s.id = select.Text(0);
      s.name = select.Text(1);
      s.yaml = select.Text(2);
      s.file_name = select.Text(3);
      s.created_ms = select.Int(4);
      s.state = ParseSweepState(select.Text(5)).value_or(SweepState::kRunning);
      s.metric_name = select.Text(6);
      s.maximize = select.Int(7) != 0;
      s.metric_summary = select.Text(8);
      s.metric_last_k = select.Int(9);
      s.max_failures = select.Int(10);
      s.checkpoint_keep = select.Int(11);
      s.source_sha256 = select.Text(12);
      s.note = select.Text(13);
      s.tags = absl::StrSplit(select.Text(14), ',', absl::SkipEmpty());
      s.archived_ms = select.Int(15);
      sweeps.push_back(std::move(s));
    }
    return sweeps;
  }

  absl::Mutex mu_;
  sqlite3* db_ ABSL_GUARDED_BY(mu_);
  absl::Mutex read_mu_;
  sqlite3* reader_ ABSL_GUARDED_BY(read_mu_);
  // Group commit of metric appends and writes.
  absl::Mutex queue_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::vector<PendingWrite*> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool committing_ ABSL_GUARDED_BY(queue_mu_) = false;
};

}  // namespace

namespace {

absl::StatusOr<sqlite3*> OpenConnection(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    const std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open store ", path, ": ", message,
                     ". Check that --data-dir exists and is writable."));
  }
  return db;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  ASSIGN_OR_RETURN(sqlite3 * db, OpenConnection(path));
  absl::StatusOr<sqlite3*> reader = OpenConnection(path);
  if (!reader.ok()) {
    sqlite3_close(db);
    return reader.status();
  }
  auto store = std::make_unique<SqliteStore>(db, *reader);
  RETURN_IF_ERROR(store->Init());
  return store;
}

}  // namespace lrsweep
