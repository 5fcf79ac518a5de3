// ChunkReader: a file read one chunk at a time, for a streaming RPC that sends it without holding
// it whole (checkpoint and artifact downloads).
//
//   ChunkReader reader;
//   RETURN_IF_ERROR(reader.Open(path, 1 << 20));
//   ASSIGN_OR_RETURN(bool last, reader.Next(chunk.mutable_data()));   // until last is true
//
// Thread safety: not thread-safe; one reader per stream.
#ifndef LRSWEEP_COMMON_CHUNK_READER_H_
#define LRSWEEP_COMMON_CHUNK_READER_H_

#include <cstddef>
#include <fstream>
#include <string>

#include "absl/status/statusor.h"

namespace lrsweep {

class ChunkReader {
 public:
  // NOT_FOUND naming the path when it cannot be opened.
  absl::Status Open(const std::string& path, size_t chunk_bytes);
  // Replaces *data with the next chunk (empty for an empty file); true when it was the last.
  // INTERNAL naming the path on a read error.
  absl::StatusOr<bool> Next(std::string* data);

 private:
  std::string path_;
  size_t chunk_bytes_ = 0;
  std::ifstream file_;
};

}  // namespace lrsweep

#endif  // LRSWEEP_COMMON_CHUNK_READER_H_
