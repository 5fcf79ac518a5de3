// The gRPC edge of lrsweep-coordinator: SweepService and WorkerService on the callback API.
//
// Each unary handler calls its gRPC-free step (service_steps.h: the request's checks, one
// Coordinator call, the response) and answers with ToGrpcStatus; no logic lives here. WatchSweep streams an event on
// every change of the sweep until it ends.
//
//   Coordinator* coordinator = ...;
//   ArtifactStore artifacts(data_dir + "/artifacts", max_bytes);
//   SweepServiceImpl sweeps(coordinator, &artifacts, &logs);
//   TrialLogStore logs(data_dir + "/logs", 16 << 20);
//   WorkerServiceImpl workers(coordinator, &artifacts, &logs);
//   builder.RegisterService(&sweeps);
//   builder.RegisterService(&workers);
//
// Thread safety: thread-safe (the coordinator is).
#ifndef LRSWEEP_COORDINATOR_SERVICE_H_
#define LRSWEEP_COORDINATOR_SERVICE_H_

#include "coordinator/artifact_store.h"
#include "coordinator/trial_log_store.h"
#include "coordinator/coordinator.h"
#include "lrsweep/v1/lrsweep.grpc.pb.h"

namespace lrsweep {

class SweepServiceImpl final : public v1::SweepService::CallbackService {
 public:
  SweepServiceImpl(Coordinator* coordinator, const ArtifactStore* artifacts,
                   TrialLogStore* logs)
      : coordinator_(coordinator), artifacts_(artifacts), logs_(logs) {}

  grpc::ServerUnaryReactor* StatArtifacts(grpc::CallbackServerContext* context,
                                          const v1::StatArtifactsRequest* request,
                                          v1::StatArtifactsResponse* response) override;
  grpc::ServerReadReactor<v1::ArtifactChunk>* UploadArtifact(
      grpc::CallbackServerContext* context, v1::UploadArtifactResponse* response) override;

  grpc::ServerUnaryReactor* SubmitSweep(grpc::CallbackServerContext* context,
                                        const v1::SubmitSweepRequest* request,
                                        v1::SubmitSweepResponse* response) override;
  grpc::ServerUnaryReactor* GetSweep(grpc::CallbackServerContext* context,
                                     const v1::GetSweepRequest* request,
                                     v1::GetSweepResponse* response) override;
  grpc::ServerUnaryReactor* ListSweeps(grpc::CallbackServerContext* context,
                                       const v1::ListSweepsRequest* request,
                                       v1::ListSweepsResponse* response) override;
  grpc::ServerUnaryReactor* ListTrials(grpc::CallbackServerContext* context,
                                       const v1::ListTrialsRequest* request,
                                       v1::ListTrialsResponse* response) override;
  grpc::ServerUnaryReactor* GetMetrics(grpc::CallbackServerContext* context,
                                       const v1::GetMetricsRequest* request,
                                       v1::GetMetricsResponse* response) override;
  grpc::ServerUnaryReactor* GetTrialLog(grpc::CallbackServerContext* context,
                                        const v1::GetTrialLogRequest* request,
                                        v1::GetTrialLogResponse* response) override;
  grpc::ServerUnaryReactor* CancelSweep(grpc::CallbackServerContext* context,
                                        const v1::CancelSweepRequest* request,
                                        v1::CancelSweepResponse* response) override;
  grpc::ServerUnaryReactor* RetrySweep(grpc::CallbackServerContext* context,
                                       const v1::RetrySweepRequest* request,
                                       v1::RetrySweepResponse* response) override;
  grpc::ServerUnaryReactor* LabelSweep(grpc::CallbackServerContext* context,
                                       const v1::LabelSweepRequest* request,
                                       v1::LabelSweepResponse* response) override;
  grpc::ServerUnaryReactor* ArchiveSweep(grpc::CallbackServerContext* context,
                                         const v1::ArchiveSweepRequest* request,
                                         v1::ArchiveSweepResponse* response) override;
  grpc::ServerUnaryReactor* DeleteSweep(grpc::CallbackServerContext* context,
                                        const v1::DeleteSweepRequest* request,
                                        v1::DeleteSweepResponse* response) override;
  grpc::ServerWriteReactor<v1::SweepEvent>* WatchSweep(
      grpc::CallbackServerContext* context, const v1::WatchSweepRequest* request) override;

 private:
  Coordinator* const coordinator_;
  const ArtifactStore* const artifacts_;
  TrialLogStore* const logs_;
};

class WorkerServiceImpl final : public v1::WorkerService::CallbackService {
 public:
  WorkerServiceImpl(Coordinator* coordinator, const ArtifactStore* artifacts,
                    TrialLogStore* logs)
      : coordinator_(coordinator), artifacts_(artifacts), logs_(logs) {}

  grpc::ServerWriteReactor<v1::ArtifactChunk>* DownloadArtifact(
      grpc::CallbackServerContext* context, const v1::DownloadArtifactRequest* request) override;

  grpc::ServerUnaryReactor* RegisterWorker(grpc::CallbackServerContext* context,
                                           const v1::RegisterWorkerRequest* request,
                                           v1::RegisterWorkerResponse* response) override;
  grpc::ServerUnaryReactor* UnregisterWorker(grpc::CallbackServerContext* context,
                                             const v1::UnregisterWorkerRequest* request,
                                             v1::UnregisterWorkerResponse* response) override;
  grpc::ServerUnaryReactor* AcquireLease(grpc::CallbackServerContext* context,
                                         const v1::AcquireLeaseRequest* request,
                                         v1::AcquireLeaseResponse* response) override;
  grpc::ServerUnaryReactor* Heartbeat(grpc::CallbackServerContext* context,
                                      const v1::HeartbeatRequest* request,
                                      v1::HeartbeatResponse* response) override;
  grpc::ServerUnaryReactor* ReportMetrics(grpc::CallbackServerContext* context,
                                          const v1::ReportMetricsRequest* request,
                                          v1::ReportMetricsResponse* response) override;
  grpc::ServerUnaryReactor* AppendTrialLog(grpc::CallbackServerContext* context,
                                           const v1::AppendTrialLogRequest* request,
                                           v1::AppendTrialLogResponse* response) override;
  grpc::ServerUnaryReactor* CompleteTrial(grpc::CallbackServerContext* context,
                                          const v1::CompleteTrialRequest* request,
                                          v1::CompleteTrialResponse* response) override;
  grpc::ServerUnaryReactor* RegisterCheckpoint(grpc::CallbackServerContext* context,
                                               const v1::RegisterCheckpointRequest* request,
                                               v1::RegisterCheckpointResponse* response) override;
  grpc::ServerUnaryReactor* FailTrial(grpc::CallbackServerContext* context,
                                      const v1::FailTrialRequest* request,
                                      v1::FailTrialResponse* response) override;
  grpc::ServerUnaryReactor* PreemptTrial(grpc::CallbackServerContext* context,
                                         const v1::PreemptTrialRequest* request,
                                         v1::PreemptTrialResponse* response) override;
  grpc::ServerReadReactor<v1::CheckpointChunk>* UploadCheckpoint(
      grpc::CallbackServerContext* context, v1::UploadCheckpointResponse* response) override;
  grpc::ServerWriteReactor<v1::CheckpointChunk>* DownloadCheckpoint(
      grpc::CallbackServerContext* context,
      const v1::DownloadCheckpointRequest* request) override;

 private:
  Coordinator* const coordinator_;
  const ArtifactStore* const artifacts_;
  TrialLogStore* const logs_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_SERVICE_H_
