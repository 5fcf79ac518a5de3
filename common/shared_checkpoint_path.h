// Where checkpoints live in a shared checkpoint directory (a filesystem every worker mounts, such
// as NFS or Lustre), and the check that a path a worker names is one of them.
//
// Paths are relative to the shared directory, because each node may mount it elsewhere:
// <sweep_id>/<trial>/step-<step>-a<attempt>.ckpt. The attempt (the lease's fencing token) is part
// of the name so that a stale worker writing the same step never overwrites a file that another
// attempt committed.
//
//   std::string relative = SharedCheckpointPath("mnist-3f2a", 4, 1200, 2);
//   RETURN_IF_ERROR(ValidateSharedCheckpointPath("mnist-3f2a", 4, relative));
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_COMMON_SHARED_CHECKPOINT_PATH_H_
#define LRSWEEP_COMMON_SHARED_CHECKPOINT_PATH_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace lrsweep {

std::string SharedCheckpointPath(const std::string& sweep_id, int64_t trial, int64_t step,
                                 int64_t attempt);

// INVALID_ARGUMENT unless `relative` is a plain file name ending in .ckpt directly under
// <sweep_id>/<trial>/: no absolute path, no "." or ".." component, nothing outside the trial.
absl::Status ValidateSharedCheckpointPath(const std::string& sweep_id, int64_t trial,
                                          const std::string& relative);

}  // namespace lrsweep

#endif  // LRSWEEP_COMMON_SHARED_CHECKPOINT_PATH_H_
