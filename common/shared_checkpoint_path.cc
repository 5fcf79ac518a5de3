#include "common/shared_checkpoint_path.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace lrsweep {

std::string SharedCheckpointPath(const std::string& sweep_id, int64_t trial, int64_t step,
                                 int64_t attempt) {
  return absl::StrCat(sweep_id, "/", trial, "/step-", step, "-a", attempt, ".ckpt");
}

absl::Status ValidateSharedCheckpointPath(const std::string& sweep_id, int64_t trial,
                                          const std::string& relative) {
  const std::string prefix = absl::StrCat(sweep_id, "/", trial, "/");
  const std::string name =
      absl::StartsWith(relative, prefix) ? relative.substr(prefix.size()) : std::string();
  if (name.empty() || name == ".ckpt" || !absl::EndsWith(name, ".ckpt") ||
      name.find('/') != std::string::npos || name.find('\0') != std::string::npos ||
      sweep_id.empty() || sweep_id.find('/') != std::string::npos || sweep_id == "." ||
      sweep_id == "..") {
    return absl::InvalidArgumentError(absl::StrCat(
        "shared_path: \"", relative, "\" is not a checkpoint of this trial; expected a file name "
        "ending in .ckpt directly under \"", prefix, "\", relative to the shared directory"));
  }
  return absl::OkStatus();
}

}  // namespace lrsweep
