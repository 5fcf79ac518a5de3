#include "worker/trial_log.h"

#include <filesystem>

#include "common/status_reason.h"
#include "worker/coordinator_link.h"

namespace lrsweep {
namespace {

constexpr absl::Duration kSendInterval = absl::Seconds(1);
constexpr size_t kMaxSend = 1 << 20;     // per AppendTrialLog request
constexpr size_t kMaxPending = 8 << 20;  // while the coordinator is unreachable

}  // namespace

TrialLog::TrialLog(const std::string& path, CoordinatorLink* link, LeaseRef lease)
    : link_(link), lease_(std::move(lease)) {
  std::error_code ignored;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ignored);
  {
    absl::MutexLock lock(&mu_);
    file_.open(path, std::ios::binary | std::ios::app);
  }
  if (link_ != nullptr) sender_ = std::thread([this] { SendLoop(); });
}

TrialLog::~TrialLog() {
  {
    absl::MutexLock lock(&mu_);
    ended_ = true;
  }
  if (sender_.joinable()) sender_.join();
}

void TrialLog::Append(const std::string& line) {
  absl::MutexLock lock(&mu_);
  file_ << line << '\n';
  file_.flush();
  if (link_ == nullptr) return;
  if (pending_.size() + line.size() + 1 > kMaxPending) {
    dropped_ = true;
    return;
  }
  pending_.append(line).push_back('\n');
}

absl::Status TrialLog::SendPending() {
  std::string text;
  size_t take = 0;
  {
    absl::MutexLock lock(&mu_);
    if (pending_.empty()) return absl::OkStatus();
    take = std::min(pending_.size(), kMaxSend);
    text = pending_.substr(0, take);
    if (dropped_ && take == pending_.size()) {
      text += "[lrsweep-worker: the coordinator was unreachable; lines were dropped here]\n";
      dropped_ = false;
    }
  }
  const absl::Status sent = link_->AppendTrialLog(lease_, text);
  if (!sent.ok() && IsRetryable(sent)) return sent;  // kept for the next round
  absl::MutexLock lock(&mu_);
  pending_.erase(0, take);
  return sent;
}

void TrialLog::SendLoop() {
  bool ending = false;
  while (!ending) {
    {
      absl::MutexLock lock(&mu_);
      ending = mu_.AwaitWithTimeout(absl::Condition(&ended_), kSendInterval);
    }
    const absl::Status sent = SendPending();
    // A lost lease or an old coordinator: the local file has it all.
    if (!sent.ok() && !IsRetryable(sent)) return;
  }
  // The rest, while the coordinator answers: the attempt's report must not wait on its log.
  for (int round = 0; round < 8; ++round) {
    {
      absl::MutexLock lock(&mu_);
      if (pending_.empty()) return;
    }
    if (!SendPending().ok()) return;
  }
}

}  // namespace lrsweep
