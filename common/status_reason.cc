#include "common/status_reason.h"

#include "absl/strings/cord.h"

namespace lrsweep {

absl::Status WithReason(absl::Status status, absl::string_view reason) {
  if (!status.ok()) status.SetPayload(kReasonPayloadUrl, absl::Cord(reason));
  return status;
}

std::optional<std::string> ReasonOf(const absl::Status& status) {
  auto payload = status.GetPayload(kReasonPayloadUrl);  // absl::optional in Debian's abseil
  if (!payload) return std::nullopt;
  return std::string(*payload);
}

}  // namespace lrsweep
