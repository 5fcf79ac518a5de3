#include "coordinator/artifact_reactors.h"

#include <filesystem>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/checkpoint_files.h"
#include "common/status_macros.h"
#include "coordinator/file_download_reactor.h"
#include "rpc/status.h"

namespace lrsweep {
namespace {

class UploadReactor final : public grpc::ServerReadReactor<v1::ArtifactChunk> {
 public:
  UploadReactor(const ArtifactStore* artifacts, v1::UploadArtifactResponse* response)
      : artifacts_(artifacts), response_(response) {
    StartRead(&chunk_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client finished sending
      Finish(ToGrpcStatus(Commit()));
      return;
    }
    const absl::Status status = Append();
    if (!status.ok()) {
      file_.reset();
      Finish(ToGrpcStatus(status));
      return;
    }
    StartRead(&chunk_);
  }

  void OnDone() override { delete this; }

 private:
  absl::Status Append() {
    if (!file_) {
      if (chunk_.size() < 1) return absl::InvalidArgumentError("first chunk: size must be >= 1");
      sha256_ = chunk_.sha256();
      size_ = chunk_.size();
      ASSIGN_OR_RETURN(TempFile file, artifacts_->BeginUpload(sha256_, size_));
      file_ = std::move(file);
    }
    if (file_->size() + static_cast<int64_t>(chunk_.data().size()) > size_) {
      return absl::InvalidArgumentError(
          absl::StrCat("artifact upload is larger than its declared size ", size_));
    }
    return file_->Append(chunk_.data());
  }

  absl::Status Commit() {
    if (!file_) return absl::InvalidArgumentError("empty artifact upload");
    TempFile file = std::move(*file_);
    file_.reset();
    RETURN_IF_ERROR(artifacts_->CommitUpload(std::move(file), sha256_, size_));
    response_->set_sha256(sha256_);
    return absl::OkStatus();
  }

  const ArtifactStore* const artifacts_;
  v1::UploadArtifactResponse* const response_;
  v1::ArtifactChunk chunk_;
  std::string sha256_;
  int64_t size_ = 0;
  std::optional<TempFile> file_;
};

}  // namespace

grpc::ServerReadReactor<v1::ArtifactChunk>* NewArtifactUploadReactor(
    const ArtifactStore* artifacts, v1::UploadArtifactResponse* response) {
  return new UploadReactor(artifacts, response);
}

grpc::ServerWriteReactor<v1::ArtifactChunk>* NewArtifactDownloadReactor(
    const ArtifactStore* artifacts, const v1::DownloadArtifactRequest& request) {
  absl::StatusOr<std::string> path = artifacts->PathOf(request.sha256());
  std::error_code error;
  const int64_t size = path.ok() ? static_cast<int64_t>(std::filesystem::file_size(*path, error)) : 0;
  if (path.ok() && error) path = absl::NotFoundError(absl::StrCat(*path, ": ", error.message()));
  if (!path.ok()) return FileDownloadReactor<v1::ArtifactChunk>::Failed(path.status());
  v1::ArtifactChunk first;
  first.set_sha256(request.sha256());
  first.set_size(size);
  return new FileDownloadReactor<v1::ArtifactChunk>(*path, std::move(first));
}

}  // namespace lrsweep
