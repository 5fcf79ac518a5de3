#include "worker/lease_session.h"

#include <algorithm>
#include <iostream>

#include "coordinator/rpc_convert.h"

namespace lrsweep {
namespace {

constexpr size_t kBatchPoints = 64;
constexpr absl::Duration kBatchInterval = absl::Seconds(1);

}  // namespace

LeaseSession::LeaseSession(v1::WorkerService::StubInterface* stub, const v1::LeaseRef& lease,
                           absl::Duration heartbeat_interval, absl::Duration rpc_deadline,
                           const std::atomic<bool>* shutdown, const TrialConfig* config,
                           CheckpointStore* checkpoints)
    : stub_(stub),
      lease_(lease),
      rpc_deadline_(rpc_deadline),
      shutdown_(shutdown),
      config_(config),
      checkpoints_(checkpoints),
      heartbeat_([this, heartbeat_interval] { HeartbeatLoop(heartbeat_interval); }) {}

LeaseSession::~LeaseSession() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = true;
    // A heartbeat stuck on an unreachable coordinator must not hold up the trial's report.
    if (heartbeat_call_ != nullptr) heartbeat_call_->TryCancel();
  }
  wake_.notify_all();
  heartbeat_.join();
}

void LeaseSession::OnPoint(const MetricPoint& point) {
  buffer_.push_back(ToProto(point));
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
  if (retry_) return step >= retry_->step || absl::Now() >= retry_->time;
  return step - last_checkpoint_step_ >= config_->checkpoint_every_steps ||
         absl::Now() - last_checkpoint_time_ >=
             absl::Seconds(60 * config_->checkpoint_every_minutes);
}

void LeaseSession::RetryCheckpointLater(int64_t step) {
  if (config_ == nullptr) return;
  retry_ = Retry{step + std::max<int64_t>(1, config_->checkpoint_every_steps / 10),
                 absl::Now() + absl::Seconds(6 * config_->checkpoint_every_minutes)};
}

void LeaseSession::OnCheckpoint(int64_t step, std::string bytes) {
  Flush();
  if (!buffer_.empty()) {
    std::cerr << "lrsweep-worker: checkpoint at step " << step
              << " not stored: earlier metrics are not acknowledged yet\n";
    RetryCheckpointLater(step);
    return;
  }
  const absl::Status stored = checkpoints_->Save(lease_, step, bytes);
  if (!stored.ok()) {
    std::cerr << "lrsweep-worker: checkpoint at step " << step << " not stored: "
              << stored.message() << "\n";
    Handle(ToGrpcStatus(stored));
    RetryCheckpointLater(step);
    return;
  }
  last_checkpoint_step_ = step;
  last_checkpoint_time_ = absl::Now();
  retry_.reset();
  stored_step_ = step;
}

void LeaseSession::Flush() {
  last_flush_ = absl::Now();
  if (buffer_.empty()) return;
  v1::ReportMetricsRequest request;
  *request.mutable_lease() = lease_;
  for (v1::MetricPoint& point : buffer_) *request.add_points() = std::move(point);
  v1::ReportMetricsResponse response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + rpc_deadline_));
  const grpc::Status status = stub_->ReportMetrics(&context, request, &response);
  if (status.ok()) {
    buffer_.clear();
    if (response.directive() == v1::STOP) stop_.store(true);
    return;
  }
  buffer_.assign(request.points().begin(), request.points().end());
  Handle(status);
}

void LeaseSession::Handle(const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
      status.error_code() == grpc::StatusCode::NOT_FOUND) {
    std::cerr << "lrsweep-worker: lost the lease on trial " << lease_.trial() << ": "
              << status.error_message() << "\n";
    lost_.store(true);
    stop_.store(true);
  }
}

void LeaseSession::HeartbeatLoop(absl::Duration interval) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!wake_.wait_for(lock, absl::ToChronoMilliseconds(interval), [this] { return ended_; })) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + rpc_deadline_));
    heartbeat_call_ = &context;
    lock.unlock();
    v1::HeartbeatRequest request;
    *request.mutable_lease() = lease_;
    v1::HeartbeatResponse response;
    const grpc::Status status = stub_->Heartbeat(&context, request, &response);
    if (status.ok() && response.directive() == v1::STOP) stop_.store(true);
    if (!status.ok()) Handle(status);
    lock.lock();
    heartbeat_call_ = nullptr;
  }
}

}  // namespace lrsweep
