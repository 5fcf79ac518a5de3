// Fuzzes the small parsers of names and digests that guard paths and files: SHA-256 fields,
// shared checkpoint paths (nothing outside the trial's folder may pass), checkpoint file names,
// HOST:PORT flags, trial and sweep state names, and artifact references in trial plans.
#include <cstdint>
#include <filesystem>
#include <string>

#include "common/checkpoint_files.h"
#include "common/command_line.h"
#include "nlohmann/json.hpp"
#include "sweep/artifact_ref.h"
#include "sweep/records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const int64_t number = static_cast<int64_t>(data[0]) - 8;
  (void)lrsweep::ValidateDigestFields(number, text);
  (void)lrsweep::AttemptOfSharedCheckpoint(text);
  if (lrsweep::ValidateSharedCheckpointPath("s-1", 3, text).ok()) {
    // What passes must stay inside s-1/3/.
    const std::filesystem::path path = std::filesystem::path(text).lexically_normal();
    auto part = path.begin();
    if (path.is_absolute() || part == path.end() || *part != "s-1" || ++part == path.end() ||
        *part != "3") {
      __builtin_trap();
    }
  }
  (void)lrsweep::CheckHostPort(text, data[0] % 2 == 0);
  (void)lrsweep::ParseTrialState(text);
  (void)lrsweep::ParseSweepState(text);
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_discarded()) {
    try {
      (void)lrsweep::ArtifactRefFromJson(json);
    } catch (const nlohmann::json::exception&) {
      // The worker's plan reader catches these and reports the field (trial_config.cc).
    }
  }
  return 0;
}
