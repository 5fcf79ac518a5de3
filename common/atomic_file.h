// Durable file writes and SHA-256, for checkpoints.
//
// A TempFile is the one owner of a file being written: it is either committed into place
// (fsynced, renamed over the target, directory fsynced) or deleted when the TempFile goes away,
// so no error path leaves a stray temp file behind. It keeps the size and SHA-256 of what was
// appended, so a receiver verifies a streamed file without reading it back. WriteFileAtomically
// is the one-call form: after it returns OK the file is complete on disk, and a crash at any
// moment leaves either the old file or the new one, never a torn one.
//
//   RETURN_IF_ERROR(WriteFileAtomically(dir + "/step-000500.ckpt", bytes));
//
//   ASSIGN_OR_RETURN(TempFile temp, TempFile::Create(dir + "/upload.tmp"));
//   RETURN_IF_ERROR(temp.Append(chunk));                 // as chunks arrive
//   if (temp.sha256_hex() == claimed) RETURN_IF_ERROR(temp.CommitTo(dir + "/step-500.ckpt"));
//
// Thread safety: TempFile is not thread-safe; the functions are stateless. Concurrent writes to
// the same path race (last rename wins).
#ifndef LRSWEEP_COMMON_ATOMIC_FILE_H_
#define LRSWEEP_COMMON_ATOMIC_FILE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lrsweep {

// Incremental SHA-256.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(Sha256Hasher&& other) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&& other) noexcept;
  void Update(absl::string_view bytes);
  std::string FinalHex();  // once

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

class TempFile {
 public:
  enum class Digest { kSha256, kNone };
  // Creates (or truncates) `path` for writing. Errors name the path; a full disk is
  // RESOURCE_EXHAUSTED. With Digest::kNone nothing is hashed (sha256_hex() is empty): for a
  // writer that knows its bytes, hashing them again would cost more than writing them.
  static absl::StatusOr<TempFile> Create(const std::string& path,
                                         Digest digest = Digest::kSha256);
  TempFile(TempFile&& other) noexcept;
  TempFile& operator=(TempFile&& other) noexcept;
  ~TempFile();  // deletes the file unless committed

  absl::Status Append(absl::string_view bytes);
  // fsyncs, closes and renames the file over `target`, then fsyncs target's directory. On an
  // error the temp file is deleted.
  absl::Status CommitTo(const std::string& target);

  const std::string& path() const { return path_; }
  int64_t size() const { return size_; }
  // Of everything appended; once, after the last Append. Empty for Digest::kNone.
  std::string sha256_hex() { return hashed_ ? hasher_.FinalHex() : std::string(); }

 private:
  TempFile(std::string path, int fd, bool hashed)
      : path_(std::move(path)), fd_(fd), hashed_(hashed) {}
  void Discard();

  std::string path_;
  int fd_ = -1;
  int64_t size_ = 0;
  bool hashed_ = true;
  Sha256Hasher hasher_;
};

// A disk-full error is RESOURCE_EXHAUSTED; other I/O errors INTERNAL; both name the path.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view bytes);
// Renames `from` over `to` and fsyncs the directory of `to`.
absl::Status RenameDurably(const std::string& from, const std::string& to);
absl::Status FsyncDirectory(const std::string& dir);
absl::StatusOr<std::string> ReadBinaryFile(const std::string& path);
// Streams the file at `path` through `consume` in chunks of `chunk_bytes`, never holding it
// whole. NOT_FOUND when it cannot be opened.
absl::Status ReadFileInChunks(const std::string& path, size_t chunk_bytes,
                              const std::function<absl::Status(absl::string_view)>& consume);

// Lowercase hex SHA-256 of `bytes`.
std::string Sha256Hex(absl::string_view bytes);
// Raw 32-byte SHA-256.
std::string Sha256(absl::string_view bytes);

}  // namespace lrsweep

#endif  // LRSWEEP_COMMON_ATOMIC_FILE_H_
