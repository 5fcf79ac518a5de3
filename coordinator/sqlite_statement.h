// Statement: a prepared SQLite statement for the SQLite store (sqlite_store.cc), with typed
// binding and reading, finalized on destruction. An implementation detail of that store.
//
//   Statement select(db, "SELECT step, lr FROM metrics WHERE sweep_id = ?");
//   RETURN_IF_ERROR(select.Prepared());
//   select.Bind(1, sweep_id);
//   while (select.Step() == SQLITE_ROW) Use(select.Int(0), select.Double(1));
//
// Thread safety: not thread-safe; the store guards its connection and statements with a mutex.
#ifndef LRSWEEP_COORDINATOR_SQLITE_STATEMENT_H_
#define LRSWEEP_COORDINATOR_SQLITE_STATEMENT_H_

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace lrsweep {

// A prepared statement, finalized on destruction.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    status_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  absl::Status Prepared() const {
    if (status_ == SQLITE_OK) return absl::OkStatus();
    return absl::InternalError(absl::StrCat("sqlite prepare: ", sqlite3_errmsg(db_)));
  }

  Statement& Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); return *this; }
  Statement& Bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); return *this; }
  Statement& Bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int i, const std::optional<double>& v) {
    if (v) sqlite3_bind_double(stmt_, i, *v); else sqlite3_bind_null(stmt_, i);
    return *this;
  }

  // SQLITE_ROW, SQLITE_DONE, or an error code.
  int Step() { return sqlite3_step(stmt_); }
  absl::Status Run() {
    const int rc = Step();
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
      return absl::OkStatus();
    }
    const std::string message = sqlite3_errmsg(db_);
    sqlite3_reset(stmt_);
    if (rc == SQLITE_FULL) {
      return absl::ResourceExhaustedError(absl::StrCat("sqlite: disk full: ", message));
    }
    return absl::InternalError(absl::StrCat("sqlite: ", message));
  }

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  std::optional<double> OptionalDouble(int col) const {
    if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_double(stmt_, col);
  }
  std::string Text(int col) const {
    const unsigned char* text = sqlite3_column_text(stmt_, col);
    return text ? reinterpret_cast<const char*>(text) : "";
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int status_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_SQLITE_STATEMENT_H_
