// Machine-readable reasons carried by an absl::Status, for errors a caller must tell apart from
// others with the same canonical code.
//
// A reason rides as a payload of the status, and the rpc library carries it across gRPC in the
// status details, so a worker knows its lease is lost without reading the message text:
//
//   return LeaseLostError(absl::StatusCode::kFailedPrecondition, "stale lease for trial 3 ...");
//   ...
//   if (IsLeaseLost(status)) DropTrial();
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_COMMON_STATUS_REASON_H_
#define LRSWEEP_COMMON_STATUS_REASON_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace lrsweep {

// The payload type URL under which a reason is stored.
inline constexpr absl::string_view kReasonPayloadUrl = "type.lrsweep.dev/lrsweep.v1.ErrorReason";

// The lease a report names is not the trial's current one (it expired and the trial went to
// another worker, or the sweep is gone): the worker drops the trial without a result.
inline constexpr absl::string_view kReasonLeaseLost = "LEASE_LOST";

absl::Status WithReason(absl::Status status, absl::string_view reason);
std::optional<std::string> ReasonOf(const absl::Status& status);

inline absl::Status LeaseLostError(absl::StatusCode code, absl::string_view message) {
  return WithReason(absl::Status(code, message), kReasonLeaseLost);
}
inline bool IsLeaseLost(const absl::Status& status) {
  return ReasonOf(status) == std::string(kReasonLeaseLost);
}

}  // namespace lrsweep

#endif  // LRSWEEP_COMMON_STATUS_REASON_H_
