// Checks of the fields every worker request shares, for the gRPC edge: INVALID_ARGUMENT naming
// the field that is missing or malformed.
//
//   RETURN_IF_ERROR(CheckLeaseRef(request.lease()));
//   RETURN_IF_ERROR(Required(request.sweep_id(), "sweep_id"));
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_RPC_REQUEST_CHECKS_H_
#define LRSWEEP_RPC_REQUEST_CHECKS_H_

#include <string>

#include "absl/status/status.h"
#include "lrsweep/v1/lrsweep.pb.h"

namespace lrsweep {

absl::Status Required(const std::string& value, const char* field);
// A lease reference must name the worker, the sweep and the lease's fencing token.
absl::Status CheckLeaseRef(const v1::LeaseRef& lease);

}  // namespace lrsweep

#endif  // LRSWEEP_RPC_REQUEST_CHECKS_H_
