#include "coordinator/service.h"

#include "coordinator/artifact_reactors.h"
#include "coordinator/checkpoint_reactors.h"
#include "coordinator/service_steps.h"
#include "coordinator/watch_reactor.h"
#include "rpc/status.h"

namespace lrsweep {
namespace {

grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

// --- SweepService ---

grpc::ServerUnaryReactor* SweepServiceImpl::SubmitSweep(grpc::CallbackServerContext* context,
                                                        const v1::SubmitSweepRequest* request,
                                                        v1::SubmitSweepResponse* response) {
  return Answer(context, HandleSubmitSweep(coordinator_, artifacts_, *request, response));
}

grpc::ServerUnaryReactor* SweepServiceImpl::StatArtifacts(grpc::CallbackServerContext* context,
                                                          const v1::StatArtifactsRequest* request,
                                                          v1::StatArtifactsResponse* response) {
  return Answer(context, HandleStatArtifacts(artifacts_, *request, response));
}

grpc::ServerReadReactor<v1::ArtifactChunk>* SweepServiceImpl::UploadArtifact(
    grpc::CallbackServerContext* context, v1::UploadArtifactResponse* response) {
  return NewArtifactUploadReactor(artifacts_, response);
}

grpc::ServerUnaryReactor* SweepServiceImpl::GetSweep(grpc::CallbackServerContext* context,
                                                     const v1::GetSweepRequest* request,
                                                     v1::GetSweepResponse* response) {
  return Answer(context, HandleGetSweep(coordinator_, *request, response));
}

grpc::ServerUnaryReactor* SweepServiceImpl::ListSweeps(grpc::CallbackServerContext* context,
                                                       const v1::ListSweepsRequest* request,
                                                       v1::ListSweepsResponse* response) {
  return Answer(context, HandleListSweeps(coordinator_, response));
}

grpc::ServerUnaryReactor* SweepServiceImpl::ListTrials(grpc::CallbackServerContext* context,
                                                       const v1::ListTrialsRequest* request,
                                                       v1::ListTrialsResponse* response) {
  return Answer(context, HandleListTrials(coordinator_, *request, response));
}

grpc::ServerUnaryReactor* SweepServiceImpl::GetMetrics(grpc::CallbackServerContext* context,
                                                       const v1::GetMetricsRequest* request,
                                                       v1::GetMetricsResponse* response) {
  return Answer(context, HandleGetMetrics(coordinator_, *request, response));
}

grpc::ServerUnaryReactor* SweepServiceImpl::GetTrialLog(grpc::CallbackServerContext* context,
                                                        const v1::GetTrialLogRequest* request,
                                                        v1::GetTrialLogResponse* response) {
  return Answer(context, HandleGetTrialLog(coordinator_, logs_, *request, response));
}

grpc::ServerUnaryReactor* SweepServiceImpl::CancelSweep(grpc::CallbackServerContext* context,
                                                        const v1::CancelSweepRequest* request,
                                                        v1::CancelSweepResponse* response) {
  return Answer(context, HandleCancelSweep(coordinator_, *request, response));
}

grpc::ServerUnaryReactor* SweepServiceImpl::RetrySweep(grpc::CallbackServerContext* context,
                                                       const v1::RetrySweepRequest* request,
                                                       v1::RetrySweepResponse* response) {
  return Answer(context, HandleRetrySweep(coordinator_, *request, response));
}

grpc::ServerUnaryReactor* SweepServiceImpl::LabelSweep(grpc::CallbackServerContext* context,
                                                       const v1::LabelSweepRequest* request,
                                                       v1::LabelSweepResponse* response) {
  return Answer(context, HandleLabelSweep(coordinator_, *request, response));
}

grpc::ServerUnaryReactor* SweepServiceImpl::ArchiveSweep(grpc::CallbackServerContext* context,
                                                         const v1::ArchiveSweepRequest* request,
                                                         v1::ArchiveSweepResponse* response) {
  return Answer(context, HandleArchiveSweep(coordinator_, *request, response));
}

grpc::ServerUnaryReactor* SweepServiceImpl::DeleteSweep(grpc::CallbackServerContext* context,
                                                        const v1::DeleteSweepRequest* request,
                                                        v1::DeleteSweepResponse* response) {
  return Answer(context, HandleDeleteSweep(coordinator_, logs_, *request, response));
}

grpc::ServerWriteReactor<v1::SweepEvent>* SweepServiceImpl::WatchSweep(
    grpc::CallbackServerContext* context, const v1::WatchSweepRequest* request) {
  return NewWatchReactor(coordinator_, request->sweep_id());
}

// --- WorkerService ---

grpc::ServerWriteReactor<v1::ArtifactChunk>* WorkerServiceImpl::DownloadArtifact(
    grpc::CallbackServerContext* context, const v1::DownloadArtifactRequest* request) {
  return NewArtifactDownloadReactor(artifacts_, *request);
}

grpc::ServerUnaryReactor* WorkerServiceImpl::RegisterWorker(
    grpc::CallbackServerContext* context, const v1::RegisterWorkerRequest* request,
    v1::RegisterWorkerResponse* response) {
  return Answer(context, HandleRegisterWorker(coordinator_, *request, response));
}

grpc::ServerUnaryReactor* WorkerServiceImpl::UnregisterWorker(
    grpc::CallbackServerContext* context, const v1::UnregisterWorkerRequest* request,
    v1::UnregisterWorkerResponse* response) {
  return Answer(context, HandleUnregisterWorker(coordinator_, *request));
}

grpc::ServerUnaryReactor* WorkerServiceImpl::AcquireLease(grpc::CallbackServerContext* context,
                                                          const v1::AcquireLeaseRequest* request,
                                                          v1::AcquireLeaseResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  HandleAcquireLease(coordinator_, *request, response, [reactor](const absl::Status& status) {
    reactor->Finish(ToGrpcStatus(status));
  });
  return reactor;
}

grpc::ServerUnaryReactor* WorkerServiceImpl::Heartbeat(grpc::CallbackServerContext* context,
                                                       const v1::HeartbeatRequest* request,
                                                       v1::HeartbeatResponse* response) {
  return Answer(context, HandleHeartbeat(coordinator_, *request, response));
}

grpc::ServerUnaryReactor* WorkerServiceImpl::ReportMetrics(grpc::CallbackServerContext* context,
                                                           const v1::ReportMetricsRequest* request,
                                                           v1::ReportMetricsResponse* response) {
  return Answer(context, HandleReportMetrics(coordinator_, *request, response));
}

grpc::ServerUnaryReactor* WorkerServiceImpl::AppendTrialLog(
    grpc::CallbackServerContext* context, const v1::AppendTrialLogRequest* request,
    v1::AppendTrialLogResponse* response) {
  return Answer(context, HandleAppendTrialLog(coordinator_, logs_, *request));
}

grpc::ServerUnaryReactor* WorkerServiceImpl::CompleteTrial(grpc::CallbackServerContext* context,
                                                           const v1::CompleteTrialRequest* request,
                                                           v1::CompleteTrialResponse* response) {
  return Answer(context, HandleCompleteTrial(coordinator_, *request));
}

grpc::ServerUnaryReactor* WorkerServiceImpl::FailTrial(grpc::CallbackServerContext* context,
                                                       const v1::FailTrialRequest* request,
                                                       v1::FailTrialResponse* response) {
  return Answer(context, HandleFailTrial(coordinator_, *request));
}

grpc::ServerUnaryReactor* WorkerServiceImpl::PreemptTrial(grpc::CallbackServerContext* context,
                                                          const v1::PreemptTrialRequest* request,
                                                          v1::PreemptTrialResponse* response) {
  return Answer(context, HandlePreemptTrial(coordinator_, *request));
}

grpc::ServerUnaryReactor* WorkerServiceImpl::RegisterCheckpoint(
    grpc::CallbackServerContext* context, const v1::RegisterCheckpointRequest* request,
    v1::RegisterCheckpointResponse* response) {
  return Answer(context, HandleRegisterCheckpoint(coordinator_, *request, response));
}

grpc::ServerReadReactor<v1::CheckpointChunk>* WorkerServiceImpl::UploadCheckpoint(
    grpc::CallbackServerContext* context, v1::UploadCheckpointResponse* response) {
  return NewUploadReactor(coordinator_, response);
}

grpc::ServerWriteReactor<v1::CheckpointChunk>* WorkerServiceImpl::DownloadCheckpoint(
    grpc::CallbackServerContext* context, const v1::DownloadCheckpointRequest* request) {
  return NewDownloadReactor(coordinator_, *request);
}

}  // namespace lrsweep
