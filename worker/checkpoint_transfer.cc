#include "worker/checkpoint_transfer.h"

#include "common/atomic_file.h"
#include "common/status_macros.h"
#include "coordinator/rpc_convert.h"

namespace lrsweep {
namespace {
constexpr size_t kChunkBytes = 1 << 20;
}  // namespace

absl::Status UploadCheckpoint(v1::WorkerService::StubInterface& stub, const v1::LeaseRef& lease,
                              int64_t step, const std::string& bytes, absl::Duration deadline) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  v1::UploadCheckpointResponse response;
  std::unique_ptr<grpc::ClientWriterInterface<v1::CheckpointChunk>> writer =
      stub.UploadCheckpoint(&context, &response);
  for (size_t offset = 0; offset == 0 || offset < bytes.size(); offset += kChunkBytes) {
    v1::CheckpointChunk chunk;
    if (offset == 0) {
      *chunk.mutable_lease() = lease;
      chunk.set_step(step);
      chunk.set_size(static_cast<int64_t>(bytes.size()));
      chunk.set_sha256(Sha256Hex(bytes));
    }
    chunk.set_data(bytes.substr(offset, kChunkBytes));
    if (!writer->Write(chunk)) break;
  }
  writer->WritesDone();
  return FromGrpcStatus(writer->Finish());
}

absl::StatusOr<std::string> DownloadCheckpoint(v1::WorkerService::StubInterface& stub,
                                               const v1::LeaseRef& lease, int64_t step,
                                               absl::Duration deadline) {
  v1::DownloadCheckpointRequest request;
  *request.mutable_lease() = lease;
  request.set_step(step);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  std::unique_ptr<grpc::ClientReaderInterface<v1::CheckpointChunk>> reader =
      stub.DownloadCheckpoint(&context, request);
  std::string bytes, sha256;
  int64_t size = -1;
  v1::CheckpointChunk chunk;
  while (reader->Read(&chunk)) {
    if (size < 0) {
      size = chunk.size();
      sha256 = chunk.sha256();
    }
    bytes += chunk.data();
  }
  RETURN_IF_ERROR(FromGrpcStatus(reader->Finish()));
  if (static_cast<int64_t>(bytes.size()) != size || Sha256Hex(bytes) != sha256) {
    return absl::DataLossError("download does not match its size and SHA-256");
  }
  return bytes;
}

}  // namespace lrsweep
