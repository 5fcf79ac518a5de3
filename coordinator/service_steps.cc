#include "coordinator/service_steps.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/checkpoint_files.h"
#include "common/status_macros.h"
#include "rpc/request_checks.h"
#include "rpc/rpc_convert.h"

namespace lrsweep {

absl::Status HandleSubmitSweep(Coordinator* coordinator, const ArtifactStore* artifacts,
                               const v1::SubmitSweepRequest& request,
                               v1::SubmitSweepResponse* response) {
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
  ASSIGN_OR_RETURN(SubmitResult result,
                   request.into_sweep_id().empty()
                       ? coordinator->SubmitSweep(request.yaml(), request.file_name(), manifest,
                                                  request.base_dir())
                       : coordinator->ExtendSweep(request.into_sweep_id(), request.yaml(),
                                                  request.file_name(), manifest,
                                                  request.base_dir()));
  response->set_sweep_id(result.sweep_id);
  response->set_total_trials(result.total_trials);
  for (const std::string& warning : result.warnings) response->add_warnings(warning);
  return absl::OkStatus();
}

absl::Status HandleStatArtifacts(const ArtifactStore* artifacts,
                                 const v1::StatArtifactsRequest& request,
                                 v1::StatArtifactsResponse* response) {
  for (const std::string& sha256 : request.sha256()) {
    if (!artifacts->Has(sha256)) response->add_missing(sha256);
  }
  response->set_max_artifact_bytes(artifacts->max_bytes());
  return absl::OkStatus();
}

absl::Status HandleGetSweep(Coordinator* coordinator, const v1::GetSweepRequest& request,
                            v1::GetSweepResponse* response) {
  RETURN_IF_ERROR(Required(request.sweep_id(), "sweep_id"));
  ASSIGN_OR_RETURN(SweepView sweep, coordinator->GetSweep(request.sweep_id()));
  *response->mutable_sweep() = ToProto(sweep);
  return absl::OkStatus();
}

absl::Status HandleListSweeps(Coordinator* coordinator, v1::ListSweepsResponse* response) {
  for (const SweepView& sweep : coordinator->ListSweeps()) *response->add_sweeps() = ToProto(sweep);
  for (const WorkerView& worker : coordinator->ListWorkers()) {
    *response->add_workers() = ToProto(worker);
  }
  return absl::OkStatus();
}

absl::Status HandleCancelSweep(Coordinator* coordinator, const v1::CancelSweepRequest& request,
                               v1::CancelSweepResponse* response) {
  RETURN_IF_ERROR(Required(request.sweep_id(), "sweep_id"));
  ASSIGN_OR_RETURN(int64_t cancelled, coordinator->CancelSweep(request.sweep_id()));
  response->set_cancelled_trials(cancelled);
  return absl::OkStatus();
}

absl::Status HandleRetrySweep(Coordinator* coordinator, const v1::RetrySweepRequest& request,
                              v1::RetrySweepResponse* response) {
  RETURN_IF_ERROR(Required(request.sweep_id(), "sweep_id"));
  ASSIGN_OR_RETURN(int64_t retried, coordinator->RetrySweep(request.sweep_id(), request.cancelled()));
  response->set_retried_trials(retried);
  return absl::OkStatus();
}

absl::Status HandleLabelSweep(Coordinator* coordinator, const v1::LabelSweepRequest& request,
                              v1::LabelSweepResponse* response) {
  RETURN_IF_ERROR(Required(request.sweep_id(), "sweep_id"));
  SweepLabelChange change;
  if (request.set_note()) change.note = request.note();
  change.add_tags.assign(request.add_tags().begin(), request.add_tags().end());
  change.remove_tags.assign(request.remove_tags().begin(), request.remove_tags().end());
  ASSIGN_OR_RETURN(SweepView sweep, coordinator->LabelSweep(request.sweep_id(), change));
  *response->mutable_sweep() = ToProto(sweep);
  return absl::OkStatus();
}

absl::Status HandleArchiveSweep(Coordinator* coordinator, const v1::ArchiveSweepRequest& request,
                                v1::ArchiveSweepResponse* response) {
  RETURN_IF_ERROR(Required(request.sweep_id(), "sweep_id"));
  ASSIGN_OR_RETURN(SpaceFreed freed, coordinator->ArchiveSweep(request.sweep_id()));
  *response->mutable_freed() = ToProto(freed);
  return absl::OkStatus();
}

absl::Status HandleDeleteSweep(Coordinator* coordinator, TrialLogStore* logs,
                               const v1::DeleteSweepRequest& request,
                               v1::DeleteSweepResponse* response) {
  RETURN_IF_ERROR(Required(request.sweep_id(), "sweep_id"));
  ASSIGN_OR_RETURN(SpaceFreed freed, coordinator->DeleteSweep(request.sweep_id()));
  freed.log_bytes = logs->RemoveSweep(request.sweep_id());
  *response->mutable_freed() = ToProto(freed);
  return absl::OkStatus();
}

absl::Status HandleRegisterWorker(Coordinator* coordinator, const v1::RegisterWorkerRequest& request,
                                  v1::RegisterWorkerResponse* response) {
  ASSIGN_OR_RETURN(WorkerRecord worker,
                   coordinator->RegisterWorker(request.name(), request.device(), request.threads()));
  response->set_worker_id(worker.id);
  response->set_heartbeat_interval_ms(
      absl::ToInt64Milliseconds(coordinator->options().heartbeat_interval));
  response->set_lease_timeout_ms(absl::ToInt64Milliseconds(coordinator->options().lease_timeout));
  return absl::OkStatus();
}

absl::Status HandleUnregisterWorker(Coordinator* coordinator,
                                    const v1::UnregisterWorkerRequest& request) {
  RETURN_IF_ERROR(Required(request.worker_id(), "worker_id"));
  return coordinator->UnregisterWorker(request.worker_id());
}

void HandleAcquireLease(Coordinator* coordinator, const v1::AcquireLeaseRequest& request,
                        v1::AcquireLeaseResponse* response,
                        std::function<void(const absl::Status&)> done) {
  if (absl::Status status = Required(request.worker_id(), "worker_id"); !status.ok()) {
    done(status);
    return;
  }
  coordinator->AcquireLease(
      request.worker_id(), absl::Milliseconds(std::max<int64_t>(0, request.wait_ms())),
      [response, done = std::move(done)](absl::StatusOr<std::optional<LeaseGrant>> grant) {
        if (grant.ok() && grant->has_value()) *response->mutable_lease() = ToProto(**grant);
        done(grant.status());
      },
      request.sweep_id());
}

absl::Status HandleHeartbeat(Coordinator* coordinator, const v1::HeartbeatRequest& request,
                             v1::HeartbeatResponse* response) {
  RETURN_IF_ERROR(CheckLeaseRef(request.lease()));
  ASSIGN_OR_RETURN(Directive directive,
                   coordinator->Heartbeat(FromProto(request.lease()), request.step()));
  response->set_directive(ToProto(directive));
  return absl::OkStatus();
}

absl::Status HandleReportMetrics(Coordinator* coordinator, const v1::ReportMetricsRequest& request,
                                 v1::ReportMetricsResponse* response) {
  RETURN_IF_ERROR(CheckLeaseRef(request.lease()));
  ASSIGN_OR_RETURN(Directive directive, coordinator->ReportMetrics(FromProto(request.lease()),
                                                                   FromProto(request.points())));
  response->set_directive(ToProto(directive));
  return absl::OkStatus();
}

absl::Status HandleAppendTrialLog(Coordinator* coordinator, TrialLogStore* logs,
                                  const v1::AppendTrialLogRequest& request) {
  RETURN_IF_ERROR(CheckLeaseRef(request.lease()));
  const LeaseRef lease = FromProto(request.lease());
  RETURN_IF_ERROR(coordinator->CheckLease(lease));
  return logs->Append(lease, request.text());
}

absl::Status HandleCompleteTrial(Coordinator* coordinator, const v1::CompleteTrialRequest& request) {
  RETURN_IF_ERROR(CheckLeaseRef(request.lease()));
  return coordinator->CompleteTrial(FromProto(request.lease()), request.diverged(),
                                    request.reason(), FromProto(request.points()));
}

absl::Status HandleFailTrial(Coordinator* coordinator, const v1::FailTrialRequest& request) {
  RETURN_IF_ERROR(CheckLeaseRef(request.lease()));
  RETURN_IF_ERROR(Required(request.reason(), "reason"));
  return coordinator->FailTrial(FromProto(request.lease()), request.reason());
}

absl::Status HandlePreemptTrial(Coordinator* coordinator, const v1::PreemptTrialRequest& request) {
  RETURN_IF_ERROR(CheckLeaseRef(request.lease()));
  return coordinator->PreemptTrial(FromProto(request.lease()), request.reason());
}

absl::Status HandleListTrials(Coordinator* coordinator, const v1::ListTrialsRequest& request,
                              v1::ListTrialsResponse* response) {
  RETURN_IF_ERROR(Required(request.sweep_id(), "sweep_id"));
  ASSIGN_OR_RETURN(std::vector<TrialRecord> trials, coordinator->ListTrials(request.sweep_id()));
  for (const TrialRecord& trial : trials) *response->add_trials() = ToProto(trial);
  return absl::OkStatus();
}

absl::Status HandleGetMetrics(Coordinator* coordinator, const v1::GetMetricsRequest& request,
                              v1::GetMetricsResponse* response) {
  RETURN_IF_ERROR(Required(request.sweep_id(), "sweep_id"));
  ASSIGN_OR_RETURN(std::vector<MetricPoint> points,
                   coordinator->GetMetrics(request.sweep_id(), request.trial()));
  for (const MetricPoint& point : points) *response->add_points() = ToProto(point);
  return absl::OkStatus();
}

absl::Status HandleGetTrialLog(Coordinator* coordinator, const TrialLogStore* logs,
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

absl::Status HandleRegisterCheckpoint(Coordinator* coordinator,
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

}  // namespace lrsweep
