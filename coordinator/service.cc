#include "coordinator/service.h"

#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include <filesystem>
#include <fstream>
#include "common/status_macros.h"
#include "coordinator/rpc_convert.h"

namespace lrsweep {
namespace {

grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

absl::Status Required(const std::string& value, const char* field) {
  if (!value.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
}

absl::Status CheckLeaseRef(const v1::LeaseRef& lease) {
  RETURN_IF_ERROR(Required(lease.worker_id(), "lease.worker_id"));
  RETURN_IF_ERROR(Required(lease.sweep_id(), "lease.sweep_id"));
  if (lease.fencing_token() < 1) {
    return absl::InvalidArgumentError("lease.fencing_token: must be the lease's token (>= 1)");
  }
  return absl::OkStatus();
}

v1::Directive ToProto(Directive directive) {
  switch (directive) {
    case Directive::kContinue:
      return v1::CONTINUE;
    case Directive::kStop:
      return v1::STOP;
    case Directive::kPreempt:
      return v1::PREEMPT;
  }
  return v1::CONTINUE;
}

// Streams SweepEvents for one sweep: one on start, then one after every change (coalesced while a
// write is in flight), and finishes after the event that shows the sweep ended.
class WatchReactor final : public grpc::ServerWriteReactor<v1::SweepEvent> {
 public:
  WatchReactor(Coordinator* coordinator, std::string sweep_id)
      : coordinator_(coordinator), sweep_id_(std::move(sweep_id)), alive_(std::make_shared<Alive>(this)) {
    std::shared_ptr<Alive> alive = alive_;
    watcher_id_ = coordinator_->AddWatcher([alive] {
      absl::MutexLock lock(&alive->mu);
      if (alive->reactor != nullptr) alive->reactor->OnChange();
    });
    OnChange();
  }

  void OnWriteDone(bool ok) override {
    bool write_again = false, finish = false;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (finishing_) return;
      if (!ok || last_) {
        finishing_ = finish = true;
      } else if (dirty_) {
        writing_ = write_again = true;
        dirty_ = false;
      }
    }
    if (finish) Finish(grpc::Status::OK);
    if (write_again) WriteEvent();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&alive_->mu);
      alive_->reactor = nullptr;
    }
    coordinator_->RemoveWatcher(watcher_id_);
    delete this;
  }

 private:
  struct Alive {
    explicit Alive(WatchReactor* reactor) : reactor(reactor) {}
    WatchReactor* reactor;
    absl::Mutex mu;
  };

  void OnChange() {
    {
      absl::MutexLock lock(&mu_);
      if (finishing_) return;
      dirty_ = true;
      if (writing_) return;
      writing_ = true;
      dirty_ = false;
    }
    WriteEvent();
  }

  void WriteEvent() {
    absl::StatusOr<SweepView> sweep = coordinator_->GetSweep(sweep_id_);
    absl::StatusOr<std::vector<TrialRecord>> trials = coordinator_->ListTrials(sweep_id_);
    if (!sweep.ok() || !trials.ok()) {
      {
        absl::MutexLock lock(&mu_);
        finishing_ = true;
        writing_ = false;
      }
      Finish(ToGrpcStatus(sweep.ok() ? trials.status() : sweep.status()));
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      if (cancelled_) {
        finishing_ = true;
        writing_ = false;
      } else {
        // event_ is only touched by the one writer that set writing_.
        event_.Clear();
        *event_.mutable_sweep() = ToProto(*sweep);
        for (const TrialRecord& trial : *trials) {
          if (trial.state == TrialState::kRunning) *event_.add_running() = ToProto(trial);
          if (IsFinal(trial.state) && reported_final_.insert(trial.trial).second) {
            *event_.add_finished() = ToProto(trial);
          }
        }
        last_ = sweep->record.state != SweepState::kRunning;
      }
    }
    // Finish and StartWrite are called without mu_: their reactions take it.
    if (cancelled()) {
      Finish(grpc::Status::CANCELLED);
    } else {
      StartWrite(&event_);
    }
  }

  bool cancelled() {
    absl::MutexLock lock(&mu_);
    return cancelled_;
  }

  Coordinator* const coordinator_;
  const std::string sweep_id_;
  std::shared_ptr<Alive> alive_;
  int64_t watcher_id_ = 0;

  absl::Mutex mu_;
  v1::SweepEvent event_ ABSL_GUARDED_BY(mu_);
  std::set<int64_t> reported_final_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;
  bool last_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

// Receives a checkpoint in chunks into a temp file; on the last chunk the coordinator verifies
// and commits it. Any error ends the upload without touching committed checkpoints.
class UploadReactor final : public grpc::ServerReadReactor<v1::CheckpointChunk> {
 public:
  UploadReactor(Coordinator* coordinator, v1::UploadCheckpointResponse* response)
      : coordinator_(coordinator), response_(response) {
    StartRead(&chunk_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client finished sending
      Finish(ToGrpcStatus(Commit()));
      return;
    }
    const absl::Status status = Append();
    if (!status.ok()) {
      if (started_ && !temp_path_.empty()) {
        coordinator_->NoteCheckpointFailure(lease_, step_, status).IgnoreError();
      }
      Abandon();
      Finish(ToGrpcStatus(status));
      return;
    }
    StartRead(&chunk_);
  }

  void OnDone() override {
    Abandon();
    delete this;
  }

 private:
  absl::Status Append() {
    if (!started_) {
      started_ = true;
      RETURN_IF_ERROR(CheckLeaseRef(chunk_.lease()));
      if (chunk_.step() < 1 || chunk_.size() < 0 || chunk_.sha256().size() != 64) {
        return absl::InvalidArgumentError(
            "first chunk: step (>= 1), size and sha256 (64 hex digits) are required");
      }
      lease_ = FromProto(chunk_.lease());
      step_ = chunk_.step();
      size_ = chunk_.size();
      sha256_ = chunk_.sha256();
      ASSIGN_OR_RETURN(temp_path_, coordinator_->BeginCheckpointUpload(lease_, step_));
      file_.open(temp_path_, std::ios::binary | std::ios::trunc);
      if (!file_) return absl::InternalError(absl::StrCat("cannot write ", temp_path_));
    }
    received_ += static_cast<int64_t>(chunk_.data().size());
    if (received_ > size_) {
      return absl::InvalidArgumentError(
          absl::StrCat("checkpoint upload is larger than its declared size ", size_));
    }
    file_.write(chunk_.data().data(), static_cast<std::streamsize>(chunk_.data().size()));
    if (!file_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot write checkpoint ", temp_path_, " (disk full?)"));
    }
    return absl::OkStatus();
  }

  absl::Status Commit() {
    if (!started_) return absl::InvalidArgumentError("empty checkpoint upload");
    file_.close();
    if (!file_) return absl::ResourceExhaustedError("cannot finish the checkpoint file (disk full?)");
    const absl::Status status =
        coordinator_->CommitCheckpoint(lease_, step_, temp_path_, sha256_, size_);
    temp_path_.clear();  // committed or removed by the coordinator
    if (status.ok()) response_->set_step(step_);
    return status;
  }

  void Abandon() {
    if (file_.is_open()) file_.close();
    if (!temp_path_.empty()) {
      std::error_code ignored;
      std::filesystem::remove(temp_path_, ignored);
      temp_path_.clear();
    }
  }

  Coordinator* const coordinator_;
  v1::UploadCheckpointResponse* const response_;
  v1::CheckpointChunk chunk_;
  bool started_ = false;
  LeaseRef lease_;
  int64_t step_ = 0, size_ = 0, received_ = 0;
  std::string sha256_, temp_path_;
  std::ofstream file_;
};

// Streams a committed checkpoint in 1 MiB chunks; the first carries its size and SHA-256.
class DownloadReactor final : public grpc::ServerWriteReactor<v1::CheckpointChunk> {
 public:
  DownloadReactor(Coordinator* coordinator, const v1::DownloadCheckpointRequest& request) {
    absl::Status status = CheckLeaseRef(request.lease());
    absl::StatusOr<CheckpointRecord> checkpoint =
        status.ok() ? coordinator->GetCheckpoint(FromProto(request.lease()), request.step())
                    : absl::StatusOr<CheckpointRecord>(status);
    if (checkpoint.ok()) {
      absl::StatusOr<std::string> bytes = ReadBinaryFile(checkpoint->path);
      if (bytes.ok()) {
        // The size and digest recorded at commit: the worker detects a file damaged since.
        bytes_ = *std::move(bytes);
        record_ = *checkpoint;
        WriteNext();
        return;
      }
      checkpoint = bytes.status();
    }
    Finish(ToGrpcStatus(checkpoint.status()));
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::CANCELLED);
      return;
    }
    WriteNext();
  }

  void OnDone() override { delete this; }

 private:
  static constexpr size_t kChunkBytes = 1 << 20;

  void WriteNext() {
    if (offset_ >= bytes_.size() && offset_ > 0) {
      Finish(grpc::Status::OK);
      return;
    }
    chunk_.Clear();
    if (offset_ == 0) {
      chunk_.set_step(record_.step);
      chunk_.set_size(record_.size);
      chunk_.set_sha256(record_.sha256);
    }
    const size_t n = std::min(kChunkBytes, bytes_.size() - offset_);
    chunk_.set_data(bytes_.substr(offset_, n));
    offset_ += std::max<size_t>(n, 1);
    StartWrite(&chunk_);
  }

  std::string bytes_;
  CheckpointRecord record_;
  size_t offset_ = 0;
  v1::CheckpointChunk chunk_;
};

// --- Service steps, gRPC-free but for the messages ---

// A checkpoint written to the shared directory, or the worker's report that it could not be.
absl::Status RegisterCheckpointInto(Coordinator* coordinator,
                                    const v1::RegisterCheckpointRequest& request,
                                    v1::RegisterCheckpointResponse* response) {
  RETURN_IF_ERROR(CheckLeaseRef(request.lease()));
  if (request.step() < 1) return absl::InvalidArgumentError("step: must be >= 1");
  const LeaseRef lease = FromProto(request.lease());
  if (!request.error().empty()) {
    return coordinator->NoteCheckpointFailure(lease, request.step(),
                                              absl::UnknownError(request.error()));
  }
  if (request.size() < 1 || request.sha256().size() != 64 ||
      request.sha256().find_first_not_of("0123456789abcdef") != std::string::npos) {
    return absl::InvalidArgumentError(
        "size (>= 1) and sha256 (64 lowercase hex digits) are required");
  }
  ASSIGN_OR_RETURN(RegisteredCheckpoint registered,
                   coordinator->RegisterSharedCheckpoint(
                       lease, {request.step(), request.shared_path(), request.sha256(),
                               request.size()}));
  response->set_step(request.step());
  response->set_verified(registered.verified);
  for (const std::string& path : registered.kept_shared_paths) response->add_kept_shared_paths(path);
  return absl::OkStatus();
}

absl::Status Submit(Coordinator* coordinator, const v1::SubmitSweepRequest& request,
                    v1::SubmitSweepResponse* response) {
  if (request.yaml().empty()) {
    return absl::InvalidArgumentError("yaml: required (the sweep file's text)");
  }
  ASSIGN_OR_RETURN(SubmitResult result, coordinator->SubmitSweep(request.yaml(), request.file_name()));
  response->set_sweep_id(result.sweep_id);
  response->set_total_trials(result.total_trials);
  for (const std::string& warning : result.warnings) response->add_warnings(warning);
  return absl::OkStatus();
}

absl::Status ListTrialsInto(Coordinator* coordinator, const std::string& sweep_id,
                            v1::ListTrialsResponse* response) {
  RETURN_IF_ERROR(Required(sweep_id, "sweep_id"));
  ASSIGN_OR_RETURN(std::vector<TrialRecord> trials, coordinator->ListTrials(sweep_id));
  for (const TrialRecord& trial : trials) *response->add_trials() = ToProto(trial);
  return absl::OkStatus();
}

absl::Status GetMetricsInto(Coordinator* coordinator, const v1::GetMetricsRequest& request,
                            v1::GetMetricsResponse* response) {
  RETURN_IF_ERROR(Required(request.sweep_id(), "sweep_id"));
  ASSIGN_OR_RETURN(std::vector<MetricPoint> points,
                   coordinator->GetMetrics(request.sweep_id(), request.trial()));
  for (const MetricPoint& point : points) *response->add_points() = ToProto(point);
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* SweepServiceImpl::SubmitSweep(grpc::CallbackServerContext* context,
                                                        const v1::SubmitSweepRequest* request,
                                                        v1::SubmitSweepResponse* response) {
  return Answer(context, Submit(coordinator_, *request, response));
}

grpc::ServerUnaryReactor* SweepServiceImpl::GetSweep(grpc::CallbackServerContext* context,
                                                     const v1::GetSweepRequest* request,
                                                     v1::GetSweepResponse* response) {
  absl::Status status = Required(request->sweep_id(), "sweep_id");
  if (status.ok()) {
    absl::StatusOr<SweepView> sweep = coordinator_->GetSweep(request->sweep_id());
    status = sweep.status();
    if (sweep.ok()) *response->mutable_sweep() = ToProto(*sweep);
  }
  return Answer(context, status);
}

grpc::ServerUnaryReactor* SweepServiceImpl::ListSweeps(grpc::CallbackServerContext* context,
                                                       const v1::ListSweepsRequest* request,
                                                       v1::ListSweepsResponse* response) {
  for (const SweepView& sweep : coordinator_->ListSweeps()) *response->add_sweeps() = ToProto(sweep);
  for (const WorkerView& worker : coordinator_->ListWorkers()) {
    *response->add_workers() = ToProto(worker);
  }
  return Answer(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* SweepServiceImpl::ListTrials(grpc::CallbackServerContext* context,
                                                       const v1::ListTrialsRequest* request,
                                                       v1::ListTrialsResponse* response) {
  return Answer(context, ListTrialsInto(coordinator_, request->sweep_id(), response));
}

grpc::ServerUnaryReactor* SweepServiceImpl::GetMetrics(grpc::CallbackServerContext* context,
                                                       const v1::GetMetricsRequest* request,
                                                       v1::GetMetricsResponse* response) {
  return Answer(context, GetMetricsInto(coordinator_, *request, response));
}

grpc::ServerUnaryReactor* SweepServiceImpl::CancelSweep(grpc::CallbackServerContext* context,
                                                        const v1::CancelSweepRequest* request,
                                                        v1::CancelSweepResponse* response) {
  absl::Status status = Required(request->sweep_id(), "sweep_id");
  if (status.ok()) {
    absl::StatusOr<int64_t> cancelled = coordinator_->CancelSweep(request->sweep_id());
    status = cancelled.status();
    if (cancelled.ok()) response->set_cancelled_trials(*cancelled);
  }
  return Answer(context, status);
}

grpc::ServerWriteReactor<v1::SweepEvent>* SweepServiceImpl::WatchSweep(
    grpc::CallbackServerContext* context, const v1::WatchSweepRequest* request) {
  return new WatchReactor(coordinator_, request->sweep_id());
}

grpc::ServerUnaryReactor* WorkerServiceImpl::RegisterWorker(
    grpc::CallbackServerContext* context, const v1::RegisterWorkerRequest* request,
    v1::RegisterWorkerResponse* response) {
  absl::StatusOr<WorkerRecord> worker =
      coordinator_->RegisterWorker(request->name(), request->device(), request->threads());
  if (worker.ok()) {
    response->set_worker_id(worker->id);
    response->set_heartbeat_interval_ms(
        absl::ToInt64Milliseconds(coordinator_->options().heartbeat_interval));
    response->set_lease_timeout_ms(absl::ToInt64Milliseconds(coordinator_->options().lease_timeout));
  }
  return Answer(context, worker.status());
}

grpc::ServerUnaryReactor* WorkerServiceImpl::AcquireLease(grpc::CallbackServerContext* context,
                                                          const v1::AcquireLeaseRequest* request,
                                                          v1::AcquireLeaseResponse* response) {
  if (absl::Status status = Required(request->worker_id(), "worker_id"); !status.ok()) {
    return Answer(context, status);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  coordinator_->AcquireLease(
      request->worker_id(), absl::Milliseconds(std::max<int64_t>(0, request->wait_ms())),
      [reactor, response](absl::StatusOr<std::optional<LeaseGrant>> grant) {
        if (grant.ok() && grant->has_value()) {
          v1::Lease* lease = response->mutable_lease();
          lease->set_sweep_id((*grant)->sweep_id);
          lease->set_trial((*grant)->trial);
          lease->set_fencing_token((*grant)->fencing_token);
          lease->set_plan_json((*grant)->plan_json);
          for (const CheckpointRecord& checkpoint : (*grant)->checkpoints) {
            lease->add_checkpoint_steps(checkpoint.step);
            *lease->add_checkpoints() = ToProto(checkpoint);
          }
        }
        reactor->Finish(ToGrpcStatus(grant.status()));
      });
  return reactor;
}

grpc::ServerUnaryReactor* WorkerServiceImpl::Heartbeat(grpc::CallbackServerContext* context,
                                                       const v1::HeartbeatRequest* request,
                                                       v1::HeartbeatResponse* response) {
  absl::Status status = CheckLeaseRef(request->lease());
  if (status.ok()) {
    absl::StatusOr<Directive> directive =
        coordinator_->Heartbeat(FromProto(request->lease()), request->step());
    status = directive.status();
    if (directive.ok()) response->set_directive(ToProto(*directive));
  }
  return Answer(context, status);
}

grpc::ServerUnaryReactor* WorkerServiceImpl::ReportMetrics(grpc::CallbackServerContext* context,
                                                           const v1::ReportMetricsRequest* request,
                                                           v1::ReportMetricsResponse* response) {
  absl::Status status = CheckLeaseRef(request->lease());
  if (status.ok()) {
    absl::StatusOr<Directive> directive =
        coordinator_->ReportMetrics(FromProto(request->lease()), FromProto(request->points()));
    status = directive.status();
    if (directive.ok()) response->set_directive(ToProto(*directive));
  }
  return Answer(context, status);
}

grpc::ServerUnaryReactor* WorkerServiceImpl::CompleteTrial(grpc::CallbackServerContext* context,
                                                           const v1::CompleteTrialRequest* request,
                                                           v1::CompleteTrialResponse* response) {
  absl::Status status = CheckLeaseRef(request->lease());
  if (status.ok()) {
    status = coordinator_->CompleteTrial(FromProto(request->lease()), request->diverged(),
                                         request->reason(), FromProto(request->points()));
  }
  return Answer(context, status);
}

grpc::ServerUnaryReactor* WorkerServiceImpl::PreemptTrial(grpc::CallbackServerContext* context,
                                                          const v1::PreemptTrialRequest* request,
                                                          v1::PreemptTrialResponse* response) {
  absl::Status status = CheckLeaseRef(request->lease());
  if (status.ok()) status = coordinator_->PreemptTrial(FromProto(request->lease()), request->reason());
  return Answer(context, status);
}

grpc::ServerReadReactor<v1::CheckpointChunk>* WorkerServiceImpl::UploadCheckpoint(
    grpc::CallbackServerContext* context, v1::UploadCheckpointResponse* response) {
  return new UploadReactor(coordinator_, response);
}

grpc::ServerWriteReactor<v1::CheckpointChunk>* WorkerServiceImpl::DownloadCheckpoint(
    grpc::CallbackServerContext* context, const v1::DownloadCheckpointRequest* request) {
  return new DownloadReactor(coordinator_, *request);
}

grpc::ServerUnaryReactor* WorkerServiceImpl::RegisterCheckpoint(
    grpc::CallbackServerContext* context, const v1::RegisterCheckpointRequest* request,
    v1::RegisterCheckpointResponse* response) {
  return Answer(context, RegisterCheckpointInto(coordinator_, *request, response));
}

grpc::ServerUnaryReactor* WorkerServiceImpl::FailTrial(grpc::CallbackServerContext* context,
                                                       const v1::FailTrialRequest* request,
                                                       v1::FailTrialResponse* response) {
  absl::Status status = CheckLeaseRef(request->lease());
  if (status.ok()) status = Required(request->reason(), "reason");
  if (status.ok()) status = coordinator_->FailTrial(FromProto(request->lease()), request->reason());
  return Answer(context, status);
}

}  // namespace lrsweep
