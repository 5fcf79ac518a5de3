#include "common/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace lrsweep {
namespace {

std::string ReadHolder(int fd) {
  char buffer[512];
  const ssize_t n = pread(fd, buffer, sizeof(buffer) - 1, 0);
  if (n <= 0) return "another process";
  return std::string(absl::StripTrailingAsciiWhitespace(absl::string_view(buffer, size_t(n))));
}

}  // namespace

absl::StatusOr<DataDirLock> DataDirLock::Acquire(const std::string& dir) {
  const std::string path = absl::StrCat(dir, "/lrsweep.lock");
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    const std::string holder = ReadHolder(fd);
    close(fd);
    if (error == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data dir ", dir, " is in use by ", holder,
          "; stop that process, or give this one another --data-dir"));
    }
    return absl::InternalError(absl::StrCat("cannot lock ", path, ": ", std::strerror(error)));
  }
  DataDirLock lock(fd, path);
  lock.Describe("starting");
  return lock;
}

DataDirLock::DataDirLock(DataDirLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) close(fd_);  // closing the descriptor releases the flock
}

void DataDirLock::Describe(absl::string_view what) {
  if (fd_ < 0) return;
  const std::string text = absl::StrCat("pid ", getpid(), " (", what, ")\n");
  if (ftruncate(fd_, 0) == 0) {
    (void)!pwrite(fd_, text.data(), text.size(), 0);
  }
}

}  // namespace lrsweep
