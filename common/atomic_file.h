// Durable file writes and SHA-256, for checkpoints.
//
// WriteFileAtomically writes to a temp file in the same directory, fsyncs it, renames it over the
// target and fsyncs the directory: after it returns OK the file is complete on disk, and a crash
// at any moment leaves either the old file or the new one, never a torn one.
//
//   RETURN_IF_ERROR(WriteFileAtomically(dir + "/step-000500.ckpt", bytes));
//   std::string digest = Sha256Hex(bytes);
//
// Thread safety: stateless functions; concurrent writes to the same path race (last rename wins).
#ifndef LRSWEEP_COMMON_ATOMIC_FILE_H_
#define LRSWEEP_COMMON_ATOMIC_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lrsweep {

// A disk-full error is RESOURCE_EXHAUSTED; other I/O errors INTERNAL; both name the path.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view bytes);
// Renames `from` over `to` and fsyncs the directory of `to`.
absl::Status RenameDurably(const std::string& from, const std::string& to);
absl::Status FsyncDirectory(const std::string& dir);
absl::StatusOr<std::string> ReadBinaryFile(const std::string& path);

// Lowercase hex SHA-256 of `bytes`.
std::string Sha256Hex(absl::string_view bytes);
// Raw 32-byte SHA-256.
std::string Sha256(absl::string_view bytes);

}  // namespace lrsweep

#endif  // LRSWEEP_COMMON_ATOMIC_FILE_H_
