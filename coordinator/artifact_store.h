// ArtifactStore: the coordinator's content-addressed files — the TorchScript models and tensors
// data that sweeps name, uploaded by `lrsweep submit` and downloaded by workers.
//
// A file lives at DIR/<sha256>, written through a TempFile and renamed into place once its size
// and digest verify, so a reader never sees a torn file and an interrupted upload leaves
// nothing behind. The same bytes are stored once however many sweeps name them; re-submitting
// uploads nothing. Files are kept until an operator deletes them (docs/operations.md).
//
//   ArtifactStore artifacts(data_dir + "/artifacts", /*max_bytes=*/2LL << 30);
//   ASSIGN_OR_RETURN(TempFile upload, artifacts.BeginUpload(sha256, size));
//   RETURN_IF_ERROR(upload.Append(chunk));                       // as chunks arrive
//   RETURN_IF_ERROR(artifacts.CommitUpload(std::move(upload), sha256, size));
//   ASSIGN_OR_RETURN(ArtifactManifest checked, artifacts.CheckManifest(claimed));
//
// Thread safety: thread-safe. It holds no lock: every operation is a filesystem call, and two
// uploads of the same digest both rename identical bytes into place.
#ifndef LRSWEEP_COORDINATOR_ARTIFACT_STORE_H_
#define LRSWEEP_COORDINATOR_ARTIFACT_STORE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/atomic_file.h"
#include "sweep/artifact_ref.h"

namespace lrsweep {

inline constexpr int64_t kDefaultMaxArtifactBytes = int64_t{2} << 30;  // 2 GiB

class ArtifactStore {
 public:
  ArtifactStore(std::string dir, int64_t max_bytes);

  int64_t max_bytes() const { return max_bytes_; }
  bool Has(const std::string& sha256) const;
  // The committed file of `sha256`; NOT_FOUND when it was never uploaded.
  absl::StatusOr<std::string> PathOf(const std::string& sha256) const;

  // INVALID_ARGUMENT for a malformed digest or a size above max_bytes (saying to use a shared
  // path with upload: false instead).
  absl::StatusOr<TempFile> BeginUpload(const std::string& sha256, int64_t size) const;
  // DATA_LOSS when what arrived is not `size` bytes with digest `sha256`.
  absl::Status CommitUpload(TempFile upload, const std::string& sha256, int64_t size) const;

  // The submission's manifest after checking it against the store: every artifact with upload
  // set is here with the size claimed, and a data file's summary is the stored file's (read
  // here, not trusted). FAILED_PRECONDITION naming the file when one was not uploaded.
  absl::StatusOr<ArtifactManifest> CheckManifest(const ArtifactManifest& claimed) const;

 private:
  std::string dir_;
  int64_t max_bytes_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_COORDINATOR_ARTIFACT_STORE_H_
