#include "coordinator/checkpoint_reactors.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include "common/status_macros.h"
#include "coordinator/request_checks.h"
#include "coordinator/rpc_convert.h"

namespace lrsweep {
namespace {

// Receives a checkpoint in chunks into a temp file; on the last chunk the coordinator verifies
// and commits it. Any error ends the upload without touching committed checkpoints.
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
      if (started_ && !temp_path_.empty()) {
        coordinator_->NoteCheckpointFailure(lease_, step_, status).IgnoreError();
      }
      Abandon();
      Finish(ToGrpcStatus(status));
      return;
    }
    StartRead(&chunk_);
  }

  void OnDone() override {
    Abandon();
    delete this;
  }

 private:
  absl::Status Append() {
    if (!started_) {
      started_ = true;
      RETURN_IF_ERROR(CheckLeaseRef(chunk_.lease()));
      if (chunk_.step() < 1 || chunk_.size() < 0 || chunk_.sha256().size() != 64) {
        return absl::InvalidArgumentError(
            "first chunk: step (>= 1), size and sha256 (64 hex digits) are required");
      }
      lease_ = FromProto(chunk_.lease());
      step_ = chunk_.step();
      size_ = chunk_.size();
      sha256_ = chunk_.sha256();
      ASSIGN_OR_RETURN(temp_path_, coordinator_->BeginCheckpointUpload(lease_, step_));
      file_.open(temp_path_, std::ios::binary | std::ios::trunc);
      if (!file_) return absl::InternalError(absl::StrCat("cannot write ", temp_path_));
    }
    received_ += static_cast<int64_t>(chunk_.data().size());
    if (received_ > size_) {
      return absl::InvalidArgumentError(
          absl::StrCat("checkpoint upload is larger than its declared size ", size_));
    }
    file_.write(chunk_.data().data(), static_cast<std::streamsize>(chunk_.data().size()));
    if (!file_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot write checkpoint ", temp_path_, " (disk full?)"));
    }
    return absl::OkStatus();
  }

  absl::Status Commit() {
    if (!started_) return absl::InvalidArgumentError("empty checkpoint upload");
    file_.close();
    if (!file_) return absl::ResourceExhaustedError("cannot finish the checkpoint file (disk full?)");
    const absl::Status status =
        coordinator_->CommitCheckpoint(lease_, step_, temp_path_, sha256_, size_);
    temp_path_.clear();  // committed or removed by the coordinator
    if (status.ok()) response_->set_step(step_);
    return status;
  }

  void Abandon() {
    if (file_.is_open()) file_.close();
    if (!temp_path_.empty()) {
      std::error_code ignored;
      std::filesystem::remove(temp_path_, ignored);
      temp_path_.clear();
    }
  }

  Coordinator* const coordinator_;
  v1::UploadCheckpointResponse* const response_;
  v1::CheckpointChunk chunk_;
  bool started_ = false;
  LeaseRef lease_;
  int64_t step_ = 0, size_ = 0, received_ = 0;
  std::string sha256_, temp_path_;
  std::ofstream file_;
};

// Streams a committed checkpoint in 1 MiB chunks; the first carries its size and SHA-256.
class DownloadReactor final : public grpc::ServerWriteReactor<v1::CheckpointChunk> {
 public:
  DownloadReactor(Coordinator* coordinator, const v1::DownloadCheckpointRequest& request) {
    absl::Status status = CheckLeaseRef(request.lease());
    absl::StatusOr<CheckpointRecord> checkpoint =
        status.ok() ? coordinator->GetCheckpoint(FromProto(request.lease()), request.step())
                    : absl::StatusOr<CheckpointRecord>(status);
    if (checkpoint.ok()) {
      absl::StatusOr<std::string> bytes = ReadBinaryFile(checkpoint->path);
      if (bytes.ok()) {
        // The size and digest recorded at commit: the worker detects a file damaged since.
        bytes_ = *std::move(bytes);
        record_ = *checkpoint;
        WriteNext();
        return;
      }
      checkpoint = bytes.status();
    }
    Finish(ToGrpcStatus(checkpoint.status()));
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::CANCELLED);
      return;
    }
    WriteNext();
  }

  void OnDone() override { delete this; }

 private:
  static constexpr size_t kChunkBytes = 1 << 20;

  void WriteNext() {
    if (offset_ >= bytes_.size() && offset_ > 0) {
      Finish(grpc::Status::OK);
      return;
    }
    chunk_.Clear();
    if (offset_ == 0) {
      chunk_.set_step(record_.step);
      chunk_.set_size(record_.size);
      chunk_.set_sha256(record_.sha256);
    }
    const size_t n = std::min(kChunkBytes, bytes_.size() - offset_);
    chunk_.set_data(bytes_.substr(offset_, n));
    offset_ += std::max<size_t>(n, 1);
    StartWrite(&chunk_);
  }

  std::string bytes_;
  CheckpointRecord record_;
  size_t offset_ = 0;
  v1::CheckpointChunk chunk_;
};

}  // namespace

grpc::ServerReadReactor<v1::CheckpointChunk>* NewUploadReactor(
    Coordinator* coordinator, v1::UploadCheckpointResponse* response) {
  return new UploadReactor(coordinator, response);
}

grpc::ServerWriteReactor<v1::CheckpointChunk>* NewDownloadReactor(
    Coordinator* coordinator, const v1::DownloadCheckpointRequest& request) {
  return new DownloadReactor(coordinator, request);
}

}  // namespace lrsweep
