#include "coordinator/artifact_store.h"

#include <atomic>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "artifact/torch_file.h"
#include "common/checkpoint_files.h"
#include "common/status_macros.h"
#include "fmt/format.h"

namespace lrsweep {
namespace {

absl::Status CheckDigest(const std::string& sha256) {
  bool hex = sha256.size() == 64;
  for (char c : sha256) hex = hex && absl::ascii_isxdigit(c) && !absl::ascii_isupper(c);
  if (!hex) {
    return absl::InvalidArgumentError(
        absl::StrCat("sha256: '", sha256, "' is not 64 lower-case hex digits"));
  }
  return absl::OkStatus();
}

}  // namespace

ArtifactStore::ArtifactStore(std::string dir, int64_t max_bytes)
    : dir_(std::move(dir)), max_bytes_(max_bytes) {}

bool ArtifactStore::Has(const std::string& sha256) const {
  std::error_code error;
  return CheckDigest(sha256).ok() &&
         std::filesystem::is_regular_file(std::filesystem::path(dir_) / sha256, error);
}

absl::StatusOr<std::string> ArtifactStore::PathOf(const std::string& sha256) const {
  RETURN_IF_ERROR(CheckDigest(sha256));
  if (!Has(sha256)) {
    return absl::NotFoundError(absl::StrCat("artifact ", sha256, " was never uploaded here"));
  }
  return (std::filesystem::path(dir_) / sha256).string();
}

absl::StatusOr<TempFile> ArtifactStore::BeginUpload(const std::string& sha256,
                                                    int64_t size) const {
  RETURN_IF_ERROR(CheckDigest(sha256));
  if (size < 0 || size > max_bytes_) {
    return absl::InvalidArgumentError(fmt::format(
        "artifact of {} bytes is above this coordinator's limit of {} bytes "
        "(--max-artifact-mb); put the file on a path every node reads and set upload: false",
        size, max_bytes_));
  }
  std::error_code error;
  std::filesystem::create_directories(dir_, error);
  if (error) return absl::InternalError(absl::StrCat("cannot create ", dir_, ": ", error.message()));
  static std::atomic<uint64_t> uploads{0};  // concurrent uploads of one digest get own files
  return TempFile::Create((std::filesystem::path(dir_) /
                           absl::StrCat(".upload-", sha256, "-", uploads.fetch_add(1)))
                              .string());
}

absl::Status ArtifactStore::CommitUpload(TempFile upload, const std::string& sha256,
                                         int64_t size) const {
  RETURN_IF_ERROR(VerifyDigest("uploaded artifact", upload.size(), upload.sha256_hex(),
                               {size, sha256}));
  return upload.CommitTo((std::filesystem::path(dir_) / sha256).string());
}

absl::StatusOr<ArtifactManifest> ArtifactStore::CheckManifest(
    const ArtifactManifest& claimed) const {
  ArtifactManifest checked;
  for (const auto& [path, ref] : claimed) {
    RETURN_IF_ERROR(CheckDigest(ref.sha256));
    ArtifactRef out = ref;
    if (ref.upload) {
      absl::StatusOr<std::string> stored = PathOf(ref.sha256);
      if (!stored.ok()) {
        return absl::FailedPreconditionError(absl::StrCat(
            DescribeArtifact(ref), " was not uploaded; `lrsweep submit` uploads it first"));
      }
      std::error_code error;
      const int64_t size = static_cast<int64_t>(std::filesystem::file_size(*stored, error));
      if (error || size != ref.bytes) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": the stored file has ", size,
                                                       " bytes, the submission says ", ref.bytes));
      }
      if (ref.tensors) {
        ASSIGN_OR_RETURN(TensorFileSummary summary, ReadTensorFileSummary(*stored));
        out.tensors = summary;
      }
    }
    checked[path] = out;
  }
  return checked;
}

}  // namespace lrsweep
