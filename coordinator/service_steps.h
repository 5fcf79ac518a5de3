// The coordinator's request handling, gRPC-free but for the messages: one function per unary
// RPC that checks the request (INVALID_ARGUMENT naming the field), calls the Coordinator and
// fills the response. service.cc's handlers only call these and answer with ToGrpcStatus, so a
// test (or a fuzzer: fuzz/fuzz_rpc_requests.cc) drives exactly what a server would, without one.
//
//   v1::HeartbeatResponse response;
//   absl::Status status = HandleHeartbeat(coordinator, request, &response);
//
// Thread safety: as the Coordinator's (thread-safe); the stores are thread-safe too.
#ifndef LRSWEEP_COORDINATOR_SERVICE_STEPS_H_
#define LRSWEEP_COORDINATOR_SERVICE_STEPS_H_

#include "absl/status/status.h"
#include "coordinator/artifact_store.h"
#include "coordinator/coordinator.h"
#include "coordinator/trial_log_store.h"
#include "lrsweep/v1/lrsweep.pb.h"

namespace lrsweep {

// --- SweepService ---
absl::Status HandleSubmitSweep(Coordinator* coordinator, const ArtifactStore* artifacts,
                               const v1::SubmitSweepRequest& request,
                               v1::SubmitSweepResponse* response);
absl::Status HandleStatArtifacts(const ArtifactStore* artifacts,
                                 const v1::StatArtifactsRequest& request,
                                 v1::StatArtifactsResponse* response);
absl::Status HandleGetSweep(Coordinator* coordinator, const v1::GetSweepRequest& request,
                            v1::GetSweepResponse* response);
absl::Status HandleListSweeps(Coordinator* coordinator, v1::ListSweepsResponse* response);
absl::Status HandleListTrials(Coordinator* coordinator, const v1::ListTrialsRequest& request,
                              v1::ListTrialsResponse* response);
absl::Status HandleGetMetrics(Coordinator* coordinator, const v1::GetMetricsRequest& request,
                              v1::GetMetricsResponse* response);
absl::Status HandleGetTrialLog(Coordinator* coordinator, const TrialLogStore* logs,
                               const v1::GetTrialLogRequest& request,
                               v1::GetTrialLogResponse* response);
absl::Status HandleCancelSweep(Coordinator* coordinator, const v1::CancelSweepRequest& request,
                               v1::CancelSweepResponse* response);
// Label, archive and delete a sweep; deleting also deletes its trials' logs from `logs`.
absl::Status HandleLabelSweep(Coordinator* coordinator, const v1::LabelSweepRequest& request,
                              v1::LabelSweepResponse* response);
absl::Status HandleArchiveSweep(Coordinator* coordinator, const v1::ArchiveSweepRequest& request,
                                v1::ArchiveSweepResponse* response);
absl::Status HandleDeleteSweep(Coordinator* coordinator, TrialLogStore* logs,
                               const v1::DeleteSweepRequest& request,
                               v1::DeleteSweepResponse* response);
absl::Status HandleRetrySweep(Coordinator* coordinator, const v1::RetrySweepRequest& request,
                              v1::RetrySweepResponse* response);

// --- WorkerService ---
absl::Status HandleRegisterWorker(Coordinator* coordinator, const v1::RegisterWorkerRequest& request,
                                  v1::RegisterWorkerResponse* response);
absl::Status HandleUnregisterWorker(Coordinator* coordinator,
                                    const v1::UnregisterWorkerRequest& request);
// AcquireLease answers later: `done` receives the grant (or nothing after the wait), or the
// request's error at once.
void HandleAcquireLease(Coordinator* coordinator, const v1::AcquireLeaseRequest& request,
                        v1::AcquireLeaseResponse* response,
                        std::function<void(const absl::Status&)> done);
absl::Status HandleHeartbeat(Coordinator* coordinator, const v1::HeartbeatRequest& request,
                             v1::HeartbeatResponse* response);
absl::Status HandleReportMetrics(Coordinator* coordinator, const v1::ReportMetricsRequest& request,
                                 v1::ReportMetricsResponse* response);
absl::Status HandleAppendTrialLog(Coordinator* coordinator, TrialLogStore* logs,
                                  const v1::AppendTrialLogRequest& request);
absl::Status HandleCompleteTrial(Coordinator* coordinator, const v1::CompleteTrialRequest& request);
absl::Status HandleFailTrial(Coordinator* coordinator, const v1::FailTrialRequest& request);
absl::Status HandlePreemptTrial(Coordinator* coordinator, const v1::PreemptTrialRequest& request);
absl::Status HandleRegisterCheckpoint(Coordinator* coordinator,
                                      const v1::RegisterCheckpointRequest& request,
                                      v1::RegisterCheckpointResponse* response);

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_SERVICE_STEPS_H_
