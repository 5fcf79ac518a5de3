// ArtifactCache: a worker's copies of the files trial plans name (TorchScript models, tensors
// data), by SHA-256, so that each is downloaded once per machine and verified before use.
//
// An uploaded artifact is downloaded from the coordinator into DIR/<sha256> through a temp file
// renamed into place after its digest verifies; later trials (and later worker processes on the
// node) reuse it. A file the sweep keeps on a shared path (upload: false) is used where it is,
// after its digest is checked. Each digest is verified once per process.
//
//   ArtifactCache cache(DefaultWorkerStateDir() + "/artifacts", link);
//   ASSIGN_OR_RETURN(LocalFiles files, cache.FetchAll(UsedArtifacts(config.train)));
//
// Thread safety: not thread-safe; one cache per agent loop. Several worker processes may share
// DIR: each writes its own temp file and the rename is atomic.
#ifndef LRSWEEP_WORKER_ARTIFACT_CACHE_H_
#define LRSWEEP_WORKER_ARTIFACT_CACHE_H_

#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "sweep/artifact_ref.h"
#include "worker/coordinator_link.h"
#include "worker/data.h"

namespace lrsweep {

class ArtifactCache {
 public:
  // `link` is not owned and must outlive the cache.
  ArtifactCache(std::string dir, CoordinatorLink* link) : dir_(std::move(dir)), link_(link) {}

  // The local file holding `ref`'s bytes. DATA_LOSS naming the file when a shared path's
  // content is not the one submitted (it changed since); errors of the download otherwise.
  absl::StatusOr<std::string> Fetch(const ArtifactRef& ref);
  absl::StatusOr<LocalFiles> FetchAll(const ArtifactManifest& artifacts);

 private:
  absl::Status Download(const ArtifactRef& ref, const std::string& target);

  std::string dir_;
  CoordinatorLink* link_;
  std::set<std::string> verified_;  // digests whose local file was checked in this process
};

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_ARTIFACT_CACHE_H_
