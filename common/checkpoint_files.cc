#include "common/checkpoint_files.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"

namespace lrsweep {

absl::Status ValidateDigestFields(int64_t size, absl::string_view sha256_hex) {
  if (size < 1 || sha256_hex.size() != 64 ||
      sha256_hex.find_first_not_of("0123456789abcdef") != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "size (>= 1) and sha256 (64 lowercase hex digits) are required");
  }
  return absl::OkStatus();
}

absl::Status VerifyDigest(absl::string_view what, int64_t actual_size,
                          absl::string_view actual_sha256_hex, const CheckpointDigest& expected) {
  if (actual_size != expected.size) {
    return absl::DataLossError(
        absl::StrCat(what, " has ", actual_size, " bytes, but ", expected.size, " were committed"));
  }
  if (actual_sha256_hex != expected.sha256_hex) {
    return absl::DataLossError(absl::StrCat(what, " does not match the SHA-256 committed for it"));
  }
  return absl::OkStatus();
}

absl::Status VerifyCheckpointFile(const std::string& path, const CheckpointDigest& expected) {
  Sha256Hasher hasher;
  int64_t size = 0;
  absl::Status read = ReadFileInChunks(path, kCheckpointChunkBytes, [&](absl::string_view chunk) {
    hasher.Update(chunk);
    size += static_cast<int64_t>(chunk.size());
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  return VerifyDigest(path, size, hasher.FinalHex(), expected);
}

std::string UploadTempName(int64_t attempt, int64_t step) {
  return absl::StrCat("upload-", attempt, "-", step, ".tmp");
}

std::string UploadedCheckpointName(int64_t step) { return absl::StrCat("step-", step, ".ckpt"); }

std::string SharedCheckpointPath(const std::string& sweep_id, int64_t trial, int64_t step,
                                 int64_t attempt) {
  return absl::StrCat(sweep_id, "/", trial, "/step-", step, "-a", attempt, ".ckpt");
}

std::optional<int64_t> AttemptOfSharedCheckpoint(const std::string& name) {
  const size_t marker = name.find("-a");
  const size_t suffix = name.find(".ckpt");
  int64_t attempt = 0;
  if (!absl::StartsWith(name, "step-") || marker == std::string::npos ||
      suffix == std::string::npos || suffix < marker ||
      !absl::SimpleAtoi(name.substr(marker + 2, suffix - marker - 2), &attempt)) {
    return std::nullopt;
  }
  return attempt;
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
