// Checkpoint files as the worker and the coordinator both handle them: the chunk size they
// travel in, how their digest fields are validated and verified, and every file name — uploads
// in the coordinator's store, and the shared checkpoint directory (a filesystem every worker
// mounts, such as NFS or Lustre).
//
// Shared paths are relative to the shared directory, because each node may mount it elsewhere:
// <sweep_id>/<trial>/step-<step>-a<attempt>.ckpt. The attempt (the lease's fencing token) is part
// of the name so that a stale worker writing the same step never overwrites a file that another
// attempt committed. Uploads are received into upload-<attempt>-<step>.tmp and committed as
// step-<step>.ckpt in DIR/<sweep_id>/<trial>/ of the coordinator's checkpoint directory.
//
//   std::string relative = SharedCheckpointPath("mnist-3f2a", 4, 1200, 2);
//   RETURN_IF_ERROR(ValidateSharedCheckpointPath("mnist-3f2a", 4, relative));
//   RETURN_IF_ERROR(ValidateDigestFields(request.size(), request.sha256()));
//   RETURN_IF_ERROR(VerifyDigest(what, bytes.size(), Sha256Hex(bytes), committed));
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_COMMON_CHECKPOINT_FILES_H_
#define LRSWEEP_COMMON_CHECKPOINT_FILES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace lrsweep {

// Checkpoints stream in chunks of this size, both ways.
inline constexpr size_t kCheckpointChunkBytes = 1 << 20;

// The size and SHA-256 a checkpoint was committed with.
struct CheckpointDigest {
  int64_t size = 0;
  std::string sha256_hex;
};

// INVALID_ARGUMENT unless `size` >= 1 and `sha256_hex` is 64 lowercase hex digits.
absl::Status ValidateDigestFields(int64_t size, absl::string_view sha256_hex);
// DATA_LOSS naming `what` unless the actual size and digest are the expected ones.
absl::Status VerifyDigest(absl::string_view what, int64_t actual_size,
                          absl::string_view actual_sha256_hex, const CheckpointDigest& expected);
// Streams the file through SHA-256 (never whole in memory) and verifies it. DATA_LOSS on a
// mismatch; NOT_FOUND when it cannot be opened.
absl::Status VerifyCheckpointFile(const std::string& path, const CheckpointDigest& expected);

// --- The coordinator's checkpoint store ---
std::string UploadTempName(int64_t attempt, int64_t step);  // upload-<attempt>-<step>.tmp
std::string UploadedCheckpointName(int64_t step);           // step-<step>.ckpt

// --- The shared checkpoint directory ---
std::string SharedCheckpointPath(const std::string& sweep_id, int64_t trial, int64_t step,
                                 int64_t attempt);
// The attempt in a shared checkpoint file's name (step-<step>-a<attempt>.ckpt, or the temp file
// of one being written); nullopt for any other file.
std::optional<int64_t> AttemptOfSharedCheckpoint(const std::string& file_name);
// INVALID_ARGUMENT unless `relative` is a plain file name ending in .ckpt directly under
// <sweep_id>/<trial>/: no absolute path, no "." or ".." component, nothing outside the trial.
absl::Status ValidateSharedCheckpointPath(const std::string& sweep_id, int64_t trial,
                                          const std::string& relative);

}  // namespace lrsweep

#endif  // LRSWEEP_COMMON_CHECKPOINT_FILES_H_
