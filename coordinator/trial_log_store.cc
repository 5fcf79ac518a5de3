#include "coordinator/trial_log_store.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/remove_tree.h"

namespace lrsweep {
namespace {

namespace fs = std::filesystem;

constexpr char kTruncatedNote[] =
    "\n[lrsweep: this log reached the coordinator's size cap; the worker's local copy has the "
    "rest]\n";

// Sweep ids are the coordinator's own; anything else must not become a path.
bool SafeId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

std::string AttemptFile(int64_t attempt) { return absl::StrCat("attempt-", attempt, ".log"); }

}  // namespace

std::string TrialLogStore::TrialDir(const std::string& sweep_id, int64_t trial) const {
  return (fs::path(dir_) / sweep_id / std::to_string(trial)).string();
}

int64_t TrialLogStore::RemoveSweep(const std::string& sweep_id) {
  if (!SafeId(sweep_id)) return 0;
  absl::MutexLock lock(&mu_);
  return RemoveTree((fs::path(dir_) / sweep_id).string());
}

absl::Status TrialLogStore::Append(const LeaseRef& lease, absl::string_view text) {
  if (!SafeId(lease.sweep_id)) return absl::InvalidArgumentError("lease.sweep_id: not a sweep id");
  const fs::path dir = TrialDir(lease.sweep_id, lease.trial);
  const fs::path file = dir / AttemptFile(lease.fencing_token);
  absl::MutexLock lock(&mu_);
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) return absl::InternalError(absl::StrCat("cannot create ", dir.string(), ": ", error.message()));
  const uintmax_t size = fs::exists(file, error) ? fs::file_size(file, error) : 0;
  if (static_cast<int64_t>(size) >= max_bytes_) return absl::OkStatus();  // already capped
  std::ofstream out(file, std::ios::binary | std::ios::app);
  const int64_t room = max_bytes_ - static_cast<int64_t>(size);
  if (static_cast<int64_t>(text.size()) <= room) {
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  } else {
    out.write(text.data(), room);
    out << kTruncatedNote;
  }
  if (!out) return absl::ResourceExhaustedError(absl::StrCat("cannot write ", file.string()));
  return absl::OkStatus();
}

absl::StatusOr<TrialLog> TrialLogStore::Read(const std::string& sweep_id, int64_t trial,
                                             int64_t attempt, int64_t tail_bytes) const {
  if (!SafeId(sweep_id)) return absl::InvalidArgumentError("sweep_id: not a sweep id");
  TrialLog log;
  std::error_code error;
  for (fs::directory_iterator it(TrialDir(sweep_id, trial), error), end; !error && it != end;
       it.increment(error)) {
    const std::string name = it->path().filename().string();
    int64_t number = 0;
    if (absl::StartsWith(name, "attempt-") && absl::EndsWith(name, ".log") &&
        absl::SimpleAtoi(name.substr(8, name.size() - 12), &number)) {
      log.attempts.push_back(number);
    }
  }
  std::sort(log.attempts.begin(), log.attempts.end());
  if (log.attempts.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "trial ", trial, " of ", sweep_id, " has no log: only command trials (train.command) "
        "have one, once their program has printed something"));
  }
  log.attempt = attempt == 0 ? log.attempts.back() : attempt;
  if (std::find(log.attempts.begin(), log.attempts.end(), log.attempt) == log.attempts.end()) {
    return absl::NotFoundError(absl::StrCat("trial ", trial, " has no log of attempt ", attempt,
                                            "; attempts with logs: ",
                                            absl::StrJoin(log.attempts, ", ")));
  }
  std::ifstream in(fs::path(TrialDir(sweep_id, trial)) / AttemptFile(log.attempt),
                   std::ios::binary);
  log.text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  log.truncated = absl::EndsWith(log.text, kTruncatedNote);
  if (tail_bytes > 0 && static_cast<int64_t>(log.text.size()) > tail_bytes) {
    log.text.erase(0, log.text.size() - static_cast<size_t>(tail_bytes));
    const size_t newline = log.text.find('\n');  // start at a line
    if (newline != std::string::npos) log.text.erase(0, newline + 1);
  }
  return log;
}

}  // namespace lrsweep
