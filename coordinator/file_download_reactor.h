// FileDownloadReactor: the server side of a download RPC that streams one file in 1 MiB chunks,
// the first chunk carrying the file's metadata (size, digest) so that the client verifies it.
// Checkpoint and artifact downloads both use it.
//
//   v1::ArtifactChunk first;
//   first.set_sha256(sha256);
//   first.set_size(size);
//   return new FileDownloadReactor<v1::ArtifactChunk>(path, std::move(first));
//   return FileDownloadReactor<v1::ArtifactChunk>::Failed(status);   // nothing to stream
//
// Thread safety: the reactor deletes itself when gRPC is done with it.
#ifndef LRSWEEP_COORDINATOR_FILE_DOWNLOAD_REACTOR_H_
#define LRSWEEP_COORDINATOR_FILE_DOWNLOAD_REACTOR_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "common/checkpoint_files.h"
#include "common/chunk_reader.h"
#include "grpcpp/grpcpp.h"
#include "rpc/status.h"

namespace lrsweep {

template <typename Chunk>
class FileDownloadReactor final : public grpc::ServerWriteReactor<Chunk> {
 public:
  FileDownloadReactor(const std::string& path, Chunk first) : chunk_(std::move(first)) {
    const absl::Status opened = file_.Open(path, kCheckpointChunkBytes);
    if (!opened.ok()) {
      this->Finish(ToGrpcStatus(opened));
      return;
    }
    WriteNext();
  }

  // A call that ends at once with `status` (not OK): the file could not be found.
  static FileDownloadReactor* Failed(const absl::Status& status) {
    return new FileDownloadReactor(status);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      this->Finish(grpc::Status::CANCELLED);
      return;
    }
    WriteNext();
  }

  void OnDone() override { delete this; }

 private:
  explicit FileDownloadReactor(const absl::Status& status) { this->Finish(ToGrpcStatus(status)); }

  void WriteNext() {
    if (read_all_) {
      this->Finish(grpc::Status::OK);
      return;
    }
    if (!first_) chunk_.Clear();  // only the first chunk carries the metadata
    first_ = false;
    absl::StatusOr<bool> last = file_.Next(chunk_.mutable_data());
    if (!last.ok()) {
      this->Finish(ToGrpcStatus(last.status()));
      return;
    }
    read_all_ = *last;
    this->StartWrite(&chunk_);
  }

  ChunkReader file_;
  Chunk chunk_;
  bool first_ = true;
  bool read_all_ = false;
};

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_FILE_DOWNLOAD_REACTOR_H_
