// RemoveTree: deletes a directory tree and says how much disk it gave back, for the commands
// that free space (`lrsweep archive`, `lrsweep delete`) and report it.
//
//   const int64_t freed = RemoveTree(checkpoint_dir + "/" + sweep_id);   // 0 if it was not there
//
// Thread safety: a plain function; callers make sure nobody writes under `path` meanwhile.
#ifndef LRSWEEP_COMMON_REMOVE_TREE_H_
#define LRSWEEP_COMMON_REMOVE_TREE_H_

#include <cstdint>
#include <string>

namespace lrsweep {

// The bytes of the regular files under `path` (a file or a directory), 0 when it does not exist.
int64_t TreeBytes(const std::string& path);

// Removes `path` and everything under it; the bytes of the regular files removed. Best effort:
// what cannot be removed stays, and is not counted.
int64_t RemoveTree(const std::string& path);

}  // namespace lrsweep

#endif  // LRSWEEP_COMMON_REMOVE_TREE_H_
