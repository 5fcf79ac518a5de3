// DataDirLock: the exclusive ownership of a data directory by one process.
//
// Two coordinators on one data dir would each believe they own every lease in it (one fencing
// token on two workers). A coordinator therefore takes DIR/lrsweep.lock with flock() before it
// opens the store; a second process is refused with the holder's pid and address. The kernel
// drops the lock when its holder exits, however it exits (kill -9 included), so a stale lock file
// never blocks a restart.
//
//   ASSIGN_OR_RETURN(DataDirLock lock, DataDirLock::Acquire(data_dir));
//   ... open the store, bind the port ...
//   lock.Describe("serving on 127.0.0.1:7077");   // what a refused second process is told
//
// Thread safety: not thread-safe; one owner per process.
#ifndef LRSWEEP_COMMON_DATA_DIR_LOCK_H_
#define LRSWEEP_COMMON_DATA_DIR_LOCK_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lrsweep {

class DataDirLock {
 public:
  // FAILED_PRECONDITION naming the holder when another process owns `dir`; INTERNAL when the
  // lock file cannot be created.
  static absl::StatusOr<DataDirLock> Acquire(const std::string& dir);
  DataDirLock(DataDirLock&& other) noexcept;
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  ~DataDirLock();  // releases the lock

  // Records what the owner is doing (after its pid) in the lock file, for a refused process to
  // print.
  void Describe(absl::string_view what);

 private:
  DataDirLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_COMMON_DATA_DIR_LOCK_H_
