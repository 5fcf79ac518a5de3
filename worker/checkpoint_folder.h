// Checkpoint folders: what a user's training program (a command trial) writes as a checkpoint,
// packed into one file for the CheckpointStore and unpacked where the next attempt resumes.
//
// The program writes any files into a folder and says so (`lrsweep {"checkpoint": DIR,
// "step": N}`); the worker packs the folder into a zip archive (stored, not compressed: tensors
// do not compress and the digest is what protects it) with a manifest naming the sweep, trial,
// step and attempt. The store then gives it the same digest, fencing and garbage collection as a
// built-in checkpoint.
//
//   ASSIGN_OR_RETURN(std::string bytes, PackCheckpointFolder(dir, identity));
//   RETURN_IF_ERROR(store->Save(lease, identity.step, bytes));
//   ...
//   RETURN_IF_ERROR(UnpackCheckpointFolder(bytes, expected, "/work/attempt-3/resume"));
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_WORKER_CHECKPOINT_FOLDER_H_
#define LRSWEEP_WORKER_CHECKPOINT_FOLDER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lrsweep {

// Whose checkpoint a folder is.
struct CheckpointIdentity {
  std::string sweep_id;
  int64_t trial = 0;
  int64_t step = 0;
  int64_t attempt = 0;  // fencing token of the lease that wrote it
  // What the worker tracks across attempts: the first training loss (the DIVERGED rule's
  // reference) and the training time so far.
  std::optional<double> first_train_loss;
  double wall_seconds = 0;
};

// The name of the manifest inside the archive; a program's own file of that name is refused.
inline constexpr char kCheckpointManifest[] = "lrsweep-checkpoint.json";

// The folder's regular files (recursively) and the manifest, as a zip archive. InvalidArgument
// when the folder is missing or holds something other than files and folders.
absl::StatusOr<std::string> PackCheckpointFolder(const std::string& folder,
                                                 const CheckpointIdentity& identity);

// Unpacks an archive into `folder` (created; emptied first). DATA_LOSS for bytes that are not
// such an archive, FAILED_PRECONDITION for one of another sweep or trial. Returns the
// identity its manifest records.
absl::StatusOr<CheckpointIdentity> UnpackCheckpointFolder(const std::string& bytes,
                                               const CheckpointIdentity& expected,
                                               const std::string& folder);

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_CHECKPOINT_FOLDER_H_
