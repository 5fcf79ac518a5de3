// The checkpoint file format.
//
//   "LRSWCKPT" | u32 format version | u64 header length | header (JSON) |
//   u64 payload length | payload (a torch archive: model, optimizer, RNG states) |
//   SHA-256 of everything before it (32 bytes)
//
// Integers are little-endian. The header holds the trial, fencing token, global step, epoch,
// position in the epoch's data order, the schedule's saved state and the divergence reference.
// Decoding checks the magic, version, lengths and checksum, so a torn or corrupted file is
// refused (DATA_LOSS naming what is wrong) instead of loaded.
//
// A CheckpointBuilder writes the payload straight into the checkpoint's bytes as a serializer
// produces it (torch's OutputArchive::save_to(function)), so a checkpoint is never held twice.
//
//   CheckpointBuilder builder(header.dump(), expected_size);
//   archive.save_to(builder.PayloadWriter());
//   std::string bytes = std::move(builder).Finish();
//   ASSIGN_OR_RETURN(DecodedCheckpoint decoded, DecodeCheckpoint(bytes));  // views into bytes
//
// Thread safety: stateless functions; a CheckpointBuilder is used by one thread.
#ifndef LRSWEEP_WORKER_CHECKPOINT_FORMAT_H_
#define LRSWEEP_WORKER_CHECKPOINT_FORMAT_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace lrsweep {

inline constexpr uint32_t kCheckpointFormatVersion = 1;

struct DecodedCheckpoint {
  nlohmann::json header;
  absl::string_view payload;  // into the decoded bytes, which must outlive it
};

class CheckpointBuilder {
 public:
  // `reserve`: the expected size of the whole checkpoint (the previous one's is a good guess),
  // so that the bytes are not moved while they grow.
  explicit CheckpointBuilder(const std::string& header_json, size_t reserve = 0);
  // Appends payload bytes; the form OutputArchive::save_to takes.
  std::function<size_t(const void*, size_t)> PayloadWriter();
  void AppendPayload(absl::string_view bytes);
  // Fills in the payload length and appends the checksum.
  std::string Finish() &&;

 private:
  std::string out_;
  size_t payload_length_at_;  // where the payload length goes
};

std::string EncodeCheckpoint(const std::string& header_json, absl::string_view payload);
absl::StatusOr<DecodedCheckpoint> DecodeCheckpoint(absl::string_view bytes);

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_CHECKPOINT_FORMAT_H_
