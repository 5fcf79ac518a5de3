#include "worker/artifact_cache.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include "common/checkpoint_files.h"
#include "common/status_macros.h"

namespace lrsweep {
namespace {

namespace fs = std::filesystem;

absl::Status VerifyLocal(const ArtifactRef& ref, const std::string& path) {
  absl::Status status = VerifyCheckpointFile(path, {ref.bytes, ref.sha256});
  if (absl::IsDataLoss(status)) {
    return absl::DataLossError(absl::StrCat(
        path, " is not the file submitted as ", ref.path, " (", status.message(),
        "); it changed since the sweep was submitted: restore it or submit the sweep again"));
  }
  return status;
}

}  // namespace

absl::StatusOr<std::string> ArtifactCache::Fetch(const ArtifactRef& ref) {
  if (!ref.upload) {
    if (verified_.count(ref.sha256) == 0) {
      RETURN_IF_ERROR(VerifyLocal(ref, ref.path));
      verified_.insert(ref.sha256);
    }
    return ref.path;
  }
  const std::string target = (fs::path(dir_) / ref.sha256).string();
  if (verified_.count(ref.sha256) != 0) return target;
  std::error_code error;
  if (fs::exists(target, error)) {
    const absl::Status cached = VerifyCheckpointFile(target, {ref.bytes, ref.sha256});
    if (cached.ok()) {
      verified_.insert(ref.sha256);
      return target;
    }
    std::cerr << "lrsweep-worker: cached " << target << " is damaged (" << cached.message()
              << "); downloading it again\n";
  }
  RETURN_IF_ERROR(Download(ref, target));
  verified_.insert(ref.sha256);
  return target;
}

absl::Status ArtifactCache::Download(const ArtifactRef& ref, const std::string& target) {
  std::error_code error;
  fs::create_directories(dir_, error);
  if (error) return absl::InternalError(absl::StrCat("cannot create ", dir_, ": ", error.message()));
  ASSIGN_OR_RETURN(TempFile file,
                   TempFile::Create(absl::StrCat(target, ".", getpid(), ".download")));
  std::cerr << "lrsweep-worker: downloading " << DescribeArtifact(ref) << "\n";
  RETURN_IF_ERROR(link_->DownloadArtifact(ref.sha256, [&](absl::string_view chunk) {
    return file.Append(chunk);
  }));
  RETURN_IF_ERROR(VerifyDigest(absl::StrCat("downloaded ", ref.path), file.size(),
                               file.sha256_hex(), {ref.bytes, ref.sha256}));
  return file.CommitTo(target);
}

absl::StatusOr<LocalFiles> ArtifactCache::FetchAll(const ArtifactManifest& artifacts) {
  LocalFiles files;
  for (const auto& [path, ref] : artifacts) {
    ASSIGN_OR_RETURN(files[ref.sha256], Fetch(ref));
  }
  return files;
}

}  // namespace lrsweep
