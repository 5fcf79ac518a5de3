// Submission: a sweep file read where it is submitted, with the files it names pinned — what
// `lrsweep submit`, `run` and `plan` all start from.
//
// Reading it parses the sweep (every error with file:line:column) and reads each TorchScript
// model and tensors data file it names (artifact/local_artifacts.h). Submitting uploads the
// files the coordinator lacks (asked first: re-submitting uploads nothing), in 1 MiB chunks, and
// then the sweep with its manifest.
//
//   ASSIGN_OR_RETURN(Submission submission, ReadSubmission("sweeps/mynet.yaml"));
//   ASSIGN_OR_RETURN(v1::SubmitSweepResponse response, Submit(client, submission, std::cerr));
//
// Thread safety: plain values and stateless functions.
#ifndef LRSWEEP_CLI_SUBMISSION_H_
#define LRSWEEP_CLI_SUBMISSION_H_

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "artifact/local_artifacts.h"
#include "cli/coordinator_client.h"
#include "sweep/sweep_spec.h"

namespace lrsweep {

struct Submission {
  std::string file;
  std::string yaml;
  SweepSpec spec;  // spec.artifacts is the manifest
  LocalArtifacts artifacts;
  std::string source_digest;  // SweepSourceDigest: recognizes a resubmission of the same sweep
  std::string into_sweep_id;  // set: add the trials this file has and that sweep lacks to it
};

absl::StatusOr<Submission> ReadSubmission(const std::string& file);

// Uploads the missing artifacts (saying so on `err`), then submits the sweep.
absl::StatusOr<v1::SubmitSweepResponse> Submit(CoordinatorClient& client,
                                               const Submission& submission, std::ostream& err);

}  // namespace lrsweep

#endif  // LRSWEEP_CLI_SUBMISSION_H_
