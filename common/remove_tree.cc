#include "common/remove_tree.h"

#include <filesystem>

namespace lrsweep {

namespace fs = std::filesystem;

int64_t TreeBytes(const std::string& path) {
  std::error_code error;
  if (fs::is_regular_file(path, error)) return static_cast<int64_t>(fs::file_size(path, error));
  int64_t bytes = 0;
  for (fs::recursive_directory_iterator it(path, error), end; !error && it != end;
       it.increment(error)) {
    std::error_code size_error;
    if (it->is_regular_file(size_error)) {
      const auto size = it->file_size(size_error);
      if (!size_error) bytes += static_cast<int64_t>(size);
    }
  }
  return bytes;
}

int64_t RemoveTree(const std::string& path) {
  const int64_t bytes = TreeBytes(path);
  std::error_code error;
  fs::remove_all(path, error);
  return error ? bytes - TreeBytes(path) : bytes;
}

}  // namespace lrsweep
