#include "common/atomic_file.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"

namespace lrsweep {
namespace {

absl::Status IoError(const std::string& what, const std::string& path, int error) {
  const std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(error));
  if (error == ENOSPC || error == EDQUOT) return absl::ResourceExhaustedError(message);
  return absl::InternalError(message);
}

std::string HexOf(absl::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : bytes) {
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  return hex;
}

}  // namespace

absl::Status FsyncDirectory(const std::string& dir) {
  const int fd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open directory", dir, errno);
  const int rc = fsync(fd);
  const int error = errno;
  close(fd);
  return rc == 0 ? absl::OkStatus() : IoError("fsync directory", dir, error);
}

absl::Status RenameDurably(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) return IoError("rename to", to, errno);
  return FsyncDirectory(std::filesystem::path(to).parent_path().string());
}

// --- TempFile ---

absl::StatusOr<TempFile> TempFile::Create(const std::string& path, Digest digest) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("create", path, errno);
  return TempFile(path, fd, digest == Digest::kSha256);
}

TempFile::TempFile(TempFile&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      size_(other.size_),
      hashed_(other.hashed_),
      hasher_(std::move(other.hasher_)) {
  other.path_.clear();
}

TempFile& TempFile::operator=(TempFile&& other) noexcept {
  if (this != &other) {
    Discard();
    path_ = std::exchange(other.path_, std::string());
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    hashed_ = other.hashed_;
    hasher_ = std::move(other.hasher_);
  }
  return *this;
}

TempFile::~TempFile() { Discard(); }

void TempFile::Discard() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (!path_.empty()) unlink(path_.c_str());
  path_.clear();
}

absl::Status TempFile::Append(absl::string_view bytes) {
  if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat(path_, " is closed"));
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = write(fd_, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("write", path_, errno);
    }
    written += static_cast<size_t>(n);
  }
  if (hashed_) hasher_.Update(bytes);
  size_ += static_cast<int64_t>(bytes.size());
  return absl::OkStatus();
}

absl::Status TempFile::CommitTo(const std::string& target) {
  if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat(path_, " is closed"));
  absl::Status status = fsync(fd_) == 0 ? absl::OkStatus() : IoError("fsync", path_, errno);
  if (close(std::exchange(fd_, -1)) != 0 && status.ok()) status = IoError("close", path_, errno);
  if (status.ok()) status = RenameDurably(path_, target);
  if (status.ok()) path_.clear();  // committed: nothing left to delete
  Discard();
  return status;
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view bytes) {
  absl::StatusOr<TempFile> temp =
      TempFile::Create(absl::StrCat(path, ".tmp-", getpid()), TempFile::Digest::kNone);
  if (!temp.ok()) return temp.status();
  if (absl::Status written = temp->Append(bytes); !written.ok()) return written;
  return temp->CommitTo(path);
}

absl::StatusOr<std::string> ReadBinaryFile(const std::string& path) {
  // Read straight into a string sized from fstat: a checkpoint is read once, not copied through
  // streams. A file that grows meanwhile is read to its end.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  struct stat info {};
  std::string bytes;
  if (fstat(fd, &info) == 0 && info.st_size > 0) bytes.resize(static_cast<size_t>(info.st_size));
  size_t done = 0;
  while (true) {
    if (done == bytes.size()) bytes.resize(bytes.size() + (1 << 16));
    const ssize_t n = read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      close(fd);
      return IoError("read", path, error);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  bytes.resize(done);
  return bytes;
}

absl::Status ReadFileInChunks(const std::string& path, size_t chunk_bytes,
                              const std::function<absl::Status(absl::string_view)>& consume) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::string chunk(chunk_bytes, '\0');
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const std::streamsize n = in.gcount();
    if (n <= 0) break;
    if (absl::Status status = consume(absl::string_view(chunk.data(), static_cast<size_t>(n)));
        !status.ok()) {
      return status;
    }
  }
  if (in.bad()) return absl::InternalError(absl::StrCat("read ", path, " failed"));
  return absl::OkStatus();
}

// --- SHA-256 ---

struct Sha256Hasher::Context {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Context() { EVP_MD_CTX_free(md); }
};

Sha256Hasher::Sha256Hasher() : context_(std::make_unique<Context>()) {
  EVP_DigestInit_ex(context_->md, EVP_sha256(), nullptr);
}
Sha256Hasher::~Sha256Hasher() = default;
Sha256Hasher::Sha256Hasher(Sha256Hasher&& other) noexcept = default;
Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&& other) noexcept = default;

void Sha256Hasher::Update(absl::string_view bytes) {
  EVP_DigestUpdate(context_->md, bytes.data(), bytes.size());
}

std::string Sha256Hasher::FinalHex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context_->md, digest, &length);
  return HexOf(absl::string_view(reinterpret_cast<char*>(digest), length));
}

std::string Sha256(absl::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), length);
}

std::string Sha256Hex(absl::string_view bytes) { return HexOf(Sha256(bytes)); }

}  // namespace lrsweep
