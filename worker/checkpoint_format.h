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
//   std::string bytes = EncodeCheckpoint(header.dump(), payload);
//   ASSIGN_OR_RETURN(DecodedCheckpoint decoded, DecodeCheckpoint(bytes));
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_WORKER_CHECKPOINT_FORMAT_H_
#define LRSWEEP_WORKER_CHECKPOINT_FORMAT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace lrsweep {

inline constexpr uint32_t kCheckpointFormatVersion = 1;

struct DecodedCheckpoint {
  nlohmann::json header;
  std::string payload;
};

std::string EncodeCheckpoint(const std::string& header_json, absl::string_view payload);
absl::StatusOr<DecodedCheckpoint> DecodeCheckpoint(absl::string_view bytes);

}  // namespace lrsweep

#endif  // LRSWEEP_WORKER_CHECKPOINT_FORMAT_H_
