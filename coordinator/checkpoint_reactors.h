// UploadCheckpoint and DownloadCheckpoint's server sides: checkpoints streamed in 1 MiB chunks.
//
// An upload is received into a temp file next to the trial's checkpoints; after the last chunk
// the coordinator verifies its size and SHA-256 and commits it. Any error ends the upload without
// touching committed checkpoints, and is recorded on the trial. A download streams a committed
// checkpoint; its first chunk carries the size and digest recorded at commit, so the worker
// detects a file damaged since.
//
//   return NewUploadReactor(coordinator, response);      // from WorkerService::UploadCheckpoint
//   return NewDownloadReactor(coordinator, *request);    // from WorkerService::DownloadCheckpoint
//
// Thread safety: each reactor deletes itself when gRPC is done with it.
#ifndef LRSWEEP_COORDINATOR_CHECKPOINT_REACTORS_H_
#define LRSWEEP_COORDINATOR_CHECKPOINT_REACTORS_H_

#include "coordinator/coordinator.h"
#include "grpcpp/grpcpp.h"
#include "lrsweep/v1/lrsweep.pb.h"

namespace lrsweep {

// `coordinator` is not owned and must outlive the call.
grpc::ServerReadReactor<v1::CheckpointChunk>* NewUploadReactor(
    Coordinator* coordinator, v1::UploadCheckpointResponse* response);
grpc::ServerWriteReactor<v1::CheckpointChunk>* NewDownloadReactor(
    Coordinator* coordinator, const v1::DownloadCheckpointRequest& request);

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_CHECKPOINT_REACTORS_H_
