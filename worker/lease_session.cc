#include "worker/lease_session.h"

#include <algorithm>
#include <iostream>

#include "common/status_reason.h"

namespace lrsweep {
namespace {

constexpr size_t kBatchPoints = 64;
constexpr absl::Duration kBatchInterval = absl::Seconds(1);

}  // namespace

LeaseSession::LeaseSession(CoordinatorLink* link, const LeaseRef& lease,
                           absl::Duration heartbeat_interval, const std::atomic<bool>* shutdown,
                           const TrialConfig* config, CheckpointStore* checkpoints,
                           WorkerMetrics* metrics)
    : link_(link),
      lease_(lease),
      shutdown_(shutdown),
      config_(config),
      metrics_(metrics),
      checkpoints_(checkpoints),
      heartbeat_([this, heartbeat_interval] { HeartbeatLoop(heartbeat_interval); }) {}

LeaseSession::~LeaseSession() {
  {
    absl::MutexLock lock(&mu_);
    ended_ = true;
  }
  heartbeat_call_.Cancel();
  heartbeat_.join();
}

void LeaseSession::OnPoint(const MetricPoint& point) {
  if (metrics_ != nullptr) metrics_->OnPoint(point);
  buffer_.push_back(point);
  if (buffer_.size() >= kBatchPoints || absl::Now() - last_flush_ >= kBatchInterval) Flush();
}

StopRequest LeaseSession::ShouldStop() {
  if (stop_.load()) return StopRequest::kStop;
  if (shutdown_->load()) return StopRequest::kPreempt;
  return StopRequest::kNone;
}

void LeaseSession::StartedAt(int64_t step) {
  last_checkpoint_step_ = step;
  last_checkpoint_time_ = absl::Now();
}

bool LeaseSession::CheckpointDue(int64_t step) {
  if (config_ == nullptr) return false;
  const bool due = retry_ ? step >= retry_->step || absl::Now() >= retry_->time
                          : step - last_checkpoint_step_ >= config_->checkpoint_every_steps ||
                                absl::Now() - last_checkpoint_time_ >=
                                    absl::Seconds(60 * config_->checkpoint_every_minutes);
  if (due) checkpoint_due_since_ = absl::Now();
  return due;
}

void LeaseSession::RetryCheckpointLater(int64_t step) {
  if (config_ == nullptr) return;
  retry_ = Retry{step + std::max<int64_t>(1, config_->checkpoint_every_steps / 10),
                 absl::Now() + absl::Seconds(6 * config_->checkpoint_every_minutes)};
}

void LeaseSession::OnCheckpoint(int64_t step, std::string bytes) {
  // A preemption's checkpoint was never "due": its time starts here.
  const absl::Time began = checkpoint_due_since_.value_or(absl::Now());
  checkpoint_due_since_.reset();
  const int64_t size = static_cast<int64_t>(bytes.size());
  const absl::Status stored = Store(step, std::move(bytes));
  if (metrics_ != nullptr) metrics_->OnCheckpoint(size, absl::Now() - began, stored.ok());
}

absl::Status LeaseSession::Store(int64_t step, std::string bytes) {
  Flush();
  if (!buffer_.empty()) {
    std::cerr << "lrsweep-worker: checkpoint at step " << step
              << " not stored: earlier metrics are not acknowledged yet\n";
    RetryCheckpointLater(step);
    return absl::UnavailableError("earlier metrics are not acknowledged yet");
  }
  const absl::Status stored = checkpoints_->Save(lease_, step, bytes);
  if (!stored.ok()) {
    std::cerr << "lrsweep-worker: checkpoint at step " << step << " not stored: "
              << stored.message() << "\n";
    Handle(stored);
    RetryCheckpointLater(step);
    return stored;
  }
  last_checkpoint_step_ = step;
  last_checkpoint_time_ = absl::Now();
  retry_.reset();
  stored_step_ = step;
  return absl::OkStatus();
}

void LeaseSession::Flush() {
  last_flush_ = absl::Now();
  if (buffer_.empty()) return;
  const absl::StatusOr<Directive> directive = link_->ReportMetrics(lease_, buffer_);
  if (!directive.ok()) {
    Handle(directive.status());  // the points stay buffered
    return;
  }
  buffer_.clear();
  if (*directive == Directive::kStop) stop_.store(true);
}

void LeaseSession::Handle(const absl::Status& status) {
  if (!IsLeaseLost(status)) return;
  std::cerr << "lrsweep-worker: lost the lease on trial " << lease_.trial << ": "
            << status.message() << "\n";
  lost_.store(true);
  stop_.store(true);
}

void LeaseSession::HeartbeatLoop(absl::Duration interval) {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&ended_), interval)) return;
    }
    const absl::StatusOr<Directive> directive =
        link_->Heartbeat(lease_, /*step=*/0, &heartbeat_call_);
    if (directive.ok() && *directive == Directive::kStop) stop_.store(true);
    if (!directive.ok()) Handle(directive.status());
  }
}

}  // namespace lrsweep
