#include "cli/submission.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "fmt/format.h"

namespace lrsweep {
namespace {

absl::Status UploadMissing(CoordinatorClient& client, const Submission& submission,
                           std::ostream& err) {
  const ArtifactManifest& manifest = submission.spec.artifacts;
  std::vector<std::string> uploaded;
  for (const auto& [path, ref] : manifest) {
    if (ref.upload) uploaded.push_back(ref.sha256);
  }
  if (uploaded.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(v1::StatArtifactsResponse stat, client.StatArtifacts(uploaded));
  const std::set<std::string> missing(stat.missing().begin(), stat.missing().end());
  for (const auto& [path, ref] : manifest) {
    if (!ref.upload || missing.count(ref.sha256) == 0) continue;
    if (ref.bytes > stat.max_artifact_bytes()) {
      return absl::InvalidArgumentError(fmt::format(
          "{}: {} bytes, above the coordinator's upload limit of {} bytes (lrsweep-coordinator "
          "--max-artifact-mb). Put it on a path every node reads and set upload: false.",
          path, ref.bytes, stat.max_artifact_bytes()));
    }
    err << "uploading " << DescribeArtifact(ref) << "\n";
    RETURN_IF_ERROR(client.UploadArtifact(ref.sha256, ref.bytes,
                                          submission.artifacts.local_paths.at(path)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Submission> ReadSubmission(const std::string& file) {
  Submission submission;
  submission.file = file;
  ASSIGN_OR_RETURN(submission.spec, LoadSweepFile(file));
  submission.yaml = submission.spec.text;
  ASSIGN_OR_RETURN(submission.artifacts, ReadLocalArtifacts(submission.spec));
  submission.spec.artifacts = submission.artifacts.manifest;
  submission.source_digest = SweepSourceDigest(submission.yaml, submission.spec.artifacts);
  return submission;
}

absl::StatusOr<v1::SubmitSweepResponse> Submit(CoordinatorClient& client,
                                               const Submission& submission, std::ostream& err) {
  RETURN_IF_ERROR(UploadMissing(client, submission, err));
  std::vector<ArtifactRef> artifacts;
  for (const auto& [path, ref] : submission.spec.artifacts) artifacts.push_back(ref);
  return client.Submit(submission.yaml, submission.file, artifacts, submission.spec.base_dir,
                       submission.into_sweep_id);
}

}  // namespace lrsweep
