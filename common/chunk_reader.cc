#include "common/chunk_reader.h"

#include "absl/strings/str_cat.h"

namespace lrsweep {

absl::Status ChunkReader::Open(const std::string& path, size_t chunk_bytes) {
  path_ = path;
  chunk_bytes_ = chunk_bytes;
  file_.open(path, std::ios::binary);
  if (!file_) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  return absl::OkStatus();
}

absl::StatusOr<bool> ChunkReader::Next(std::string* data) {
  data->resize(chunk_bytes_);
  file_.read(data->data(), static_cast<std::streamsize>(data->size()));
  if (file_.bad()) return absl::InternalError(absl::StrCat("reading ", path_, " failed"));
  data->resize(static_cast<size_t>(file_.gcount()));
  return !file_ || file_.peek() == std::char_traits<char>::eof();
}

}  // namespace lrsweep
