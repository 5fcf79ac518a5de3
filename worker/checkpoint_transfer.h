// Moving checkpoints between a worker and the coordinator's checkpoint store.
//
// UploadCheckpoint streams the file in 1 MiB chunks (the first carries the lease, step, size and
// SHA-256); the coordinator commits it only if the bytes match. DownloadCheckpoint fetches a
// committed checkpoint and verifies it against the size and digest recorded at commit (DATA_LOSS
// when they differ).
//
//   RETURN_IF_ERROR(UploadCheckpoint(*stub, lease, step, bytes, absl::Seconds(60)));
//   ASSIGN_OR_RETURN(std::string bytes, DownloadCheckpoint(*stub, lease, step, absl::Seconds(60)));
//
// Thread safety: stateless functions; gRPC stubs are thread-safe.
#ifndef LRSWEEP_WORKER_CHECKPOINT_TRANSFER_H_
#define LRSWEEP_WORKER_CHECKPOINT_TRANSFER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lrsweep/v1/lrsweep.grpc.pb.h"

namespace lrsweep {

absl::Status UploadCheckpoint(v1::WorkerService::StubInterface& stub, const v1::LeaseRef& lease,
                              int64_t step, const std::string& bytes, absl::Duration deadline);
absl::StatusOr<std::string> DownloadCheckpoint(v1::WorkerService::StubInterface& stub,
                                               const v1::LeaseRef& lease, int64_t step,
                                               absl::Duration deadline);

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_CHECKPOINT_TRANSFER_H_
