// ArtifactRef: a file a sweep names (a TorchScript model, a tensors data file), pinned by its
// SHA-256 so that every worker trains on exactly the bytes the user submitted.
//
// The user writes paths (`model: {type: torchscript, path: mynet.pt}`); `lrsweep submit` reads
// each file where it runs, records its digest and size (and, for data files, the number of
// examples and the tensors' shapes) in an ArtifactManifest keyed by the path as written, and
// uploads it unless the sweep says `upload: false`. The coordinator plans with the manifest (the
// examples give the steps per epoch) and every trial plan carries the resolved ArtifactRef, so a
// worker fetches, verifies and caches the file by digest.
//
//   ArtifactManifest manifest;
//   manifest["mynet.pt"] = ArtifactRef{.path = "mynet.pt", .sha256 = hex, .bytes = 81234};
//   ASSIGN_OR_RETURN(TrainSpec train, ParseTrainSpec(node, reader, "train", &manifest));
//
// Thread safety: plain value types.
#ifndef LRSWEEP_SWEEP_ARTIFACT_REF_H_
#define LRSWEEP_SWEEP_ARTIFACT_REF_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace lrsweep {

// What a `torch.save({"inputs": x, "targets": y}, f)` file holds, read without LibTorch.
struct TensorFileSummary {
  int64_t examples = 0;  // first dimension of both tensors
  std::vector<int64_t> input_shape;
  std::string input_dtype;  // "float32", "int64", ... (torch's names without "torch.")
  std::vector<int64_t> target_shape;
  std::string target_dtype;

  // Integer targets of shape [N]: class indices, for which accuracy is measured.
  bool ClassIndexTargets() const;
};

struct ArtifactRef {
  std::string path;    // as the sweep names it; absolute when upload is false
  std::string sha256;  // hex, lower case
  int64_t bytes = 0;
  // True: the file travels through the coordinator. False: every node reads `path` itself.
  bool upload = true;
  std::optional<TensorFileSummary> tensors;  // data files only
};

// The artifacts of one submission, keyed by the path as the sweep writes it.
using ArtifactManifest = std::map<std::string, ArtifactRef>;

nlohmann::ordered_json ArtifactRefToJson(const ArtifactRef& ref);
// The inverse; nlohmann's exceptions (missing key, wrong type) are the caller's to catch.
ArtifactRef ArtifactRefFromJson(const nlohmann::json& json);

// A short description for messages: "mynet.pt (sha256 1a2b3c4d…, 81.2 KB)".
std::string DescribeArtifact(const ArtifactRef& ref);

}  // namespace lrsweep

#endif  // LRSWEEP_SWEEP_ARTIFACT_REF_H_
