#include "rpc/request_checks.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace lrsweep {

absl::Status Required(const std::string& value, const char* field) {
  if (!value.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
}

absl::Status CheckLeaseRef(const v1::LeaseRef& lease) {
  RETURN_IF_ERROR(Required(lease.worker_id(), "lease.worker_id"));
  RETURN_IF_ERROR(Required(lease.sweep_id(), "lease.sweep_id"));
  if (lease.fencing_token() < 1) {
    return absl::InvalidArgumentError("lease.fencing_token: must be the lease's token (>= 1)");
  }
  return absl::OkStatus();
}

}  // namespace lrsweep
