// Exit codes of the lrsweep command (a contract: users' scripts rely on them).
//
//   0  success
//   1  any other failure (I/O, internal error, unreachable coordinator)
//   2  bad input: the message names the file, line and column (or the key path or trial)
//
//   absl::Status status = RunPlan(options);
//   return ReportAndExitCode(status);  // prints "error: ..." on stderr unless OK
#ifndef LRSWEEP_CLI_EXIT_CODES_H_
#define LRSWEEP_CLI_EXIT_CODES_H_

#include "absl/status/status.h"

namespace lrsweep {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitInterrupted = 130;  // 128 + SIGINT, as shells report Ctrl-C

// kExitBadInput for InvalidArgument / OutOfRange / FailedPrecondition / NotFound (an unknown
// sweep or trial), kExitInterrupted for Cancelled (Ctrl-C, SIGTERM, SIGHUP), else kExitFailure.
int ExitCodeFor(const absl::Status& status);

// Prints a non-OK status as "error: <message>" on stderr and returns its exit code.
int ReportAndExitCode(const absl::Status& status);

}  // namespace lrsweep

#endif  // LRSWEEP_CLI_EXIT_CODES_H_
