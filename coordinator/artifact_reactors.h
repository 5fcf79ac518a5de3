// UploadArtifact and DownloadArtifact's server sides: artifacts streamed in 1 MiB chunks.
//
// An upload's first chunk names the artifact's SHA-256 and size; chunks go into a temp file of
// the ArtifactStore, which verifies and commits it after the last one. A download streams a
// committed artifact, its first chunk carrying the size and digest so that the worker verifies
// what it received.
//
//   return NewArtifactUploadReactor(artifacts, response);   // from SweepService::UploadArtifact
//   return NewArtifactDownloadReactor(artifacts, *request); // from WorkerService::DownloadArtifact
//
// Thread safety: each reactor deletes itself when gRPC is done with it.
#ifndef LRSWEEP_COORDINATOR_ARTIFACT_REACTORS_H_
#define LRSWEEP_COORDINATOR_ARTIFACT_REACTORS_H_

#include "coordinator/artifact_store.h"
#include "grpcpp/grpcpp.h"
#include "lrsweep/v1/lrsweep.pb.h"

namespace lrsweep {

// `artifacts` is not owned and must outlive the call.
grpc::ServerReadReactor<v1::ArtifactChunk>* NewArtifactUploadReactor(
    const ArtifactStore* artifacts, v1::UploadArtifactResponse* response);
grpc::ServerWriteReactor<v1::ArtifactChunk>* NewArtifactDownloadReactor(
    const ArtifactStore* artifacts, const v1::DownloadArtifactRequest& request);

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_ARTIFACT_REACTORS_H_
