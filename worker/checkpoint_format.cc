#include "worker/checkpoint_format.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"

namespace lrsweep {
namespace {

constexpr char kMagic[] = "LRSWCKPT";
constexpr size_t kMagicSize = 8;
constexpr size_t kDigestSize = 32;

template <typename T>
void Append(std::string& out, T value) {
  char bytes[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  out.append(bytes, sizeof(T));
}

template <typename T>
bool Read(absl::string_view& in, T* value) {
  if (in.size() < sizeof(T)) return false;
  *value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    *value |= static_cast<T>(static_cast<unsigned char>(in[i])) << (8 * i);
  }
  in.remove_prefix(sizeof(T));
  return true;
}

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("checkpoint is corrupt: ", what));
}

}  // namespace

CheckpointBuilder::CheckpointBuilder(const std::string& header_json, size_t reserve) {
  out_.reserve(std::max(reserve, kMagicSize + 20 + header_json.size() + kDigestSize));
  out_.append(kMagic, kMagicSize);
  Append<uint32_t>(out_, kCheckpointFormatVersion);
  Append<uint64_t>(out_, header_json.size());
  out_ += header_json;
  payload_length_at_ = out_.size();
  Append<uint64_t>(out_, 0);  // filled in by Finish
}

std::function<size_t(const void*, size_t)> CheckpointBuilder::PayloadWriter() {
  return [this](const void* data, size_t size) {
    AppendPayload(absl::string_view(static_cast<const char*>(data), size));
    return size;
  };
}

void CheckpointBuilder::AppendPayload(absl::string_view bytes) {
  out_.append(bytes.data(), bytes.size());
}

std::string CheckpointBuilder::Finish() && {
  const uint64_t payload_size = out_.size() - payload_length_at_ - sizeof(uint64_t);
  for (size_t i = 0; i < sizeof(uint64_t); ++i) {
    out_[payload_length_at_ + i] = static_cast<char>((payload_size >> (8 * i)) & 0xff);
  }
  out_ += Sha256(out_);
  return std::move(out_);
}

std::string EncodeCheckpoint(const std::string& header_json, absl::string_view payload) {
  CheckpointBuilder builder(header_json, header_json.size() + payload.size() + 64);
  builder.AppendPayload(payload);
  return std::move(builder).Finish();
}

absl::StatusOr<DecodedCheckpoint> DecodeCheckpoint(absl::string_view bytes) {
  if (bytes.size() < kMagicSize + 4 + 8 + 8 + kDigestSize ||
      std::memcmp(bytes.data(), kMagic, kMagicSize) != 0) {
    return Corrupt(absl::StrCat("not an lrsweep checkpoint (", bytes.size(), " bytes)"));
  }
  const absl::string_view body = bytes.substr(0, bytes.size() - kDigestSize);
  if (Sha256(body) != bytes.substr(bytes.size() - kDigestSize)) {
    return Corrupt("checksum mismatch (truncated or modified)");
  }
  absl::string_view in = body.substr(kMagicSize);
  uint32_t version = 0;
  uint64_t header_size = 0, payload_size = 0;
  if (!Read(in, &version)) return Corrupt("no version");
  if (version != kCheckpointFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "checkpoint format version ", version, " is not supported (this worker reads version ",
        kCheckpointFormatVersion, ")"));
  }
  if (!Read(in, &header_size) || in.size() < header_size) return Corrupt("header cut short");
  DecodedCheckpoint decoded;
  decoded.header = nlohmann::json::parse(in.substr(0, header_size), nullptr, false);
  if (decoded.header.is_discarded() || !decoded.header.is_object()) {
    return Corrupt("header is not a JSON object");
  }
  in.remove_prefix(header_size);
  if (!Read(in, &payload_size) || in.size() != payload_size) return Corrupt("payload cut short");
  decoded.payload = in;
  return decoded;
}

}  // namespace lrsweep
