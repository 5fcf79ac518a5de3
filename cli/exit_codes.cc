#include "cli/exit_codes.h"

#include <iostream>

namespace lrsweep {

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
      return kExitBadInput;
    case absl::StatusCode::kCancelled:
      return kExitInterrupted;
    default:
      return kExitFailure;
  }
}

int ReportAndExitCode(const absl::Status& status) {
  if (!status.ok()) std::cerr << "error: " << status.message() << "\n";
  return ExitCodeFor(status);
}

}  // namespace lrsweep
