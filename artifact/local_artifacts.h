// Reads and pins the files a sweep names, where the sweep is submitted: every TorchScript model
// and tensors data file gets its SHA-256, size and (data files) summary, so that the sweep can
// be planned without LibTorch and every worker trains on exactly these bytes.
//
// Paths are as the sweep writes them: relative ones are relative to the sweep file's directory
// and their files are uploaded to the coordinator; `upload: false` (on train.model or
// train.data) keeps a file where it is, for a path every node reads, which must then be
// absolute. The files are read here either way, so a typo, a truncated file or a dict without
// "targets" is reported at submit with the file's name, not by a failing trial.
//
//   ASSIGN_OR_RETURN(SweepSpec sweep, LoadSweepFile("sweeps/mynet.yaml"));
//   ASSIGN_OR_RETURN(LocalArtifacts files, ReadLocalArtifacts(sweep));
//   sweep.artifacts = files.manifest;
//   ASSIGN_OR_RETURN(SweepPlan plan, PlanSweep(sweep));
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_ARTIFACT_LOCAL_ARTIFACTS_H_
#define LRSWEEP_ARTIFACT_LOCAL_ARTIFACTS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "sweep/artifact_ref.h"
#include "sweep/sweep_spec.h"

namespace lrsweep {

struct LocalArtifacts {
  ArtifactManifest manifest;
  // The file on this machine of each manifest entry (by the path as written).
  std::map<std::string, std::string> local_paths;
};

// InvalidArgument with the file position of the path when a file is missing, unreadable, not a
// torch.save dict of "inputs" and "targets" (data files), or not absolute with upload: false.
absl::StatusOr<LocalArtifacts> ReadLocalArtifacts(const SweepSpec& sweep);

// SHA-256 (hex) and size of a file, streamed.
absl::StatusOr<std::pair<std::string, int64_t>> DigestFile(const std::string& path);

}  // namespace lrsweep

#endif  // LRSWEEP_ARTIFACT_LOCAL_ARTIFACTS_H_
