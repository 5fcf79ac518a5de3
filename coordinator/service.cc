#include "coordinator/service.h"

#include "absl/strings/str_cat.h"
#include "common/checkpoint_files.h"
#include "common/status_macros.h"
#include "coordinator/artifact_reactors.h"
#include "coordinator/checkpoint_reactors.h"
#include "rpc/request_checks.h"
#include "rpc/rpc_convert.h"
#include "coordinator/watch_reactor.h"

namespace lrsweep {
namespace {

grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

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
  RETURN_IF_ERROR(ValidateDigestFields(request.size(), request.sha256()));
  ASSIGN_OR_RETURN(RegisteredCheckpoint registered,
                   coordinator->RegisterSharedCheckpoint(
                       lease, {request.step(), request.shared_path(), request.sha256(),
                               request.size()}));
  response->set_step(request.step());
  response->set_verified(registered.verified);
  for (const std::string& path : registered.kept_shared_paths) response->add_kept_shared_paths(path);
  return absl::OkStatus();
}

absl::Status Submit(Coordinator* coordinator, const ArtifactStore* artifacts,
                    const v1::SubmitSweepRequest& request, v1::SubmitSweepResponse* response) {
  if (request.yaml().empty()) {
    return absl::InvalidArgumentError("yaml: required (the sweep file's text)");
  }
  ArtifactManifest claimed;
  for (const v1::Artifact& artifact : request.artifacts()) {
    RETURN_IF_ERROR(Required(artifact.path(), "artifacts.path"));
    claimed[artifact.path()] = FromProto(artifact);
  }
  ASSIGN_OR_RETURN(ArtifactManifest manifest, artifacts->CheckManifest(claimed));
  if (!request.base_dir().empty() && request.base_dir()[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat("base_dir: '", request.base_dir(),
                                                   "' is not an absolute path"));
  }
  ASSIGN_OR_RETURN(SubmitResult result, coordinator->SubmitSweep(request.yaml(),
                                                                 request.file_name(), manifest,
                                                                 request.base_dir()));
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

absl::Status GetTrialLogInto(Coordinator* coordinator, const TrialLogStore* logs,
                             const v1::GetTrialLogRequest& request,
                             v1::GetTrialLogResponse* response) {
  RETURN_IF_ERROR(Required(request.sweep_id(), "sweep_id"));
  if (request.attempt() < 0 || request.tail_bytes() < 0) {
    return absl::InvalidArgumentError("attempt and tail_bytes: must not be negative");
  }
  // NOT_FOUND naming the sweep or trial when either is unknown.
  RETURN_IF_ERROR(coordinator->GetMetrics(request.sweep_id(), request.trial()).status());
  ASSIGN_OR_RETURN(TrialLog log, logs->Read(request.sweep_id(), request.trial(), request.attempt(),
                                            request.tail_bytes()));
  response->set_attempt(log.attempt);
  response->set_text(std::move(log.text));
  for (int64_t attempt : log.attempts) response->add_attempts(attempt);
  response->set_truncated(log.truncated);
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* SweepServiceImpl::GetTrialLog(grpc::CallbackServerContext* context,
                                                        const v1::GetTrialLogRequest* request,
                                                        v1::GetTrialLogResponse* response) {
  return Answer(context, GetTrialLogInto(coordinator_, logs_, *request, response));
}

grpc::ServerUnaryReactor* SweepServiceImpl::SubmitSweep(grpc::CallbackServerContext* context,
                                                        const v1::SubmitSweepRequest* request,
                                                        v1::SubmitSweepResponse* response) {
  return Answer(context, Submit(coordinator_, artifacts_, *request, response));
}

grpc::ServerUnaryReactor* SweepServiceImpl::StatArtifacts(grpc::CallbackServerContext* context,
                                                          const v1::StatArtifactsRequest* request,
                                                          v1::StatArtifactsResponse* response) {
  for (const std::string& sha256 : request->sha256()) {
    if (!artifacts_->Has(sha256)) response->add_missing(sha256);
  }
  response->set_max_artifact_bytes(artifacts_->max_bytes());
  return Answer(context, absl::OkStatus());
}

grpc::ServerReadReactor<v1::ArtifactChunk>* SweepServiceImpl::UploadArtifact(
    grpc::CallbackServerContext* context, v1::UploadArtifactResponse* response) {
  return NewArtifactUploadReactor(artifacts_, response);
}

grpc::ServerWriteReactor<v1::ArtifactChunk>* WorkerServiceImpl::DownloadArtifact(
    grpc::CallbackServerContext* context, const v1::DownloadArtifactRequest* request) {
  return NewArtifactDownloadReactor(artifacts_, *request);
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
  return NewWatchReactor(coordinator_, request->sweep_id());
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

grpc::ServerUnaryReactor* WorkerServiceImpl::UnregisterWorker(
    grpc::CallbackServerContext* context, const v1::UnregisterWorkerRequest* request,
    v1::UnregisterWorkerResponse* response) {
  absl::Status status = Required(request->worker_id(), "worker_id");
  if (status.ok()) status = coordinator_->UnregisterWorker(request->worker_id());
  return Answer(context, status);
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
        if (grant.ok() && grant->has_value()) *response->mutable_lease() = ToProto(**grant);
        reactor->Finish(ToGrpcStatus(grant.status()));
      },
      request->sweep_id());
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

grpc::ServerUnaryReactor* WorkerServiceImpl::AppendTrialLog(
    grpc::CallbackServerContext* context, const v1::AppendTrialLogRequest* request,
    v1::AppendTrialLogResponse* response) {
  absl::Status status = CheckLeaseRef(request->lease());
  const LeaseRef lease = FromProto(request->lease());
  if (status.ok()) status = coordinator_->CheckLease(lease);
  if (status.ok()) status = logs_->Append(lease, request->text());
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
  return NewUploadReactor(coordinator_, response);
}

grpc::ServerWriteReactor<v1::CheckpointChunk>* WorkerServiceImpl::DownloadCheckpoint(
    grpc::CallbackServerContext* context, const v1::DownloadCheckpointRequest* request) {
  return NewDownloadReactor(coordinator_, *request);
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
