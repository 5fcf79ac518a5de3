#include "coordinator/checkpoint_reactors.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include "common/checkpoint_files.h"
#include "common/status_macros.h"
#include "coordinator/file_download_reactor.h"
#include "rpc/request_checks.h"
#include "rpc/rpc_convert.h"

namespace lrsweep {
namespace {

// Receives a checkpoint in chunks into a temp file; on the last chunk the coordinator verifies
// and commits it. Any error ends the upload without touching committed checkpoints; the temp
// file, owned here until handed to the coordinator, is deleted with the reactor.
class UploadReactor final : public grpc::ServerReadReactor<v1::CheckpointChunk> {
 public:
  UploadReactor(Coordinator* coordinator, v1::UploadCheckpointResponse* response)
      : coordinator_(coordinator), response_(response) {
    StartRead(&chunk_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client finished sending
      Finish(ToGrpcStatus(Commit()));
      return;
    }
    const absl::Status status = Append();
    if (!status.ok()) {
      if (file_) coordinator_->NoteCheckpointFailure(lease_, step_, status).IgnoreError();
      file_.reset();
      Finish(ToGrpcStatus(status));
      return;
    }
    StartRead(&chunk_);
  }

  void OnDone() override { delete this; }

 private:
  absl::Status Start() {
    RETURN_IF_ERROR(CheckLeaseRef(chunk_.lease()));
    if (chunk_.step() < 1) return absl::InvalidArgumentError("first chunk: step must be >= 1");
    RETURN_IF_ERROR(ValidateDigestFields(chunk_.size(), chunk_.sha256()));
    lease_ = FromProto(chunk_.lease());
    step_ = chunk_.step();
    digest_ = {chunk_.size(), chunk_.sha256()};
    ASSIGN_OR_RETURN(TempFile file, coordinator_->BeginCheckpointUpload(lease_, step_));
    file_ = std::move(file);
    return absl::OkStatus();
  }

  absl::Status Append() {
    if (!started_) {
      started_ = true;
      RETURN_IF_ERROR(Start());
    }
    if (file_->size() + static_cast<int64_t>(chunk_.data().size()) > digest_.size) {
      return absl::InvalidArgumentError(
          absl::StrCat("checkpoint upload is larger than its declared size ", digest_.size));
    }
    return file_->Append(chunk_.data());
  }

  absl::Status Commit() {
    if (!file_) return absl::InvalidArgumentError("empty checkpoint upload");
    TempFile file = std::move(*file_);
    file_.reset();
    RETURN_IF_ERROR(coordinator_->CommitCheckpoint(lease_, step_, std::move(file),
                                                   digest_.sha256_hex, digest_.size));
    response_->set_step(step_);
    return absl::OkStatus();
  }

  Coordinator* const coordinator_;
  v1::UploadCheckpointResponse* const response_;
  v1::CheckpointChunk chunk_;
  bool started_ = false;
  LeaseRef lease_;
  int64_t step_ = 0;
  CheckpointDigest digest_;
  std::optional<TempFile> file_;
};

// The checkpoint a download asks for, after checking the lease.
absl::StatusOr<CheckpointRecord> FindCheckpoint(Coordinator* coordinator,
                                                const v1::DownloadCheckpointRequest& request) {
  RETURN_IF_ERROR(CheckLeaseRef(request.lease()));
  return coordinator->GetCheckpoint(FromProto(request.lease()), request.step());
}

}  // namespace

grpc::ServerReadReactor<v1::CheckpointChunk>* NewUploadReactor(
    Coordinator* coordinator, v1::UploadCheckpointResponse* response) {
  return new UploadReactor(coordinator, response);
}

grpc::ServerWriteReactor<v1::CheckpointChunk>* NewDownloadReactor(
    Coordinator* coordinator, const v1::DownloadCheckpointRequest& request) {
  // The first chunk carries the size and digest recorded at commit, so the worker detects a
  // file damaged since.
  absl::StatusOr<CheckpointRecord> record = FindCheckpoint(coordinator, request);
  if (!record.ok()) return FileDownloadReactor<v1::CheckpointChunk>::Failed(record.status());
  v1::CheckpointChunk first;
  first.set_step(record->step);
  first.set_size(record->size);
  first.set_sha256(record->sha256);
  return new FileDownloadReactor<v1::CheckpointChunk>(record->path, std::move(first));
}

}  // namespace lrsweep
