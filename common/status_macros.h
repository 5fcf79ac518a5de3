// Status propagation helpers for code that returns absl::Status / absl::StatusOr.
//
// Debian's abseil (20220623) does not ship the status macros, so lrsweep keeps these two.
//
//   absl::Status Load(const std::string& path) {
//     RETURN_IF_ERROR(CheckReadable(path));
//     ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//     ...
//   }
#ifndef LRSWEEP_COMMON_STATUS_MACROS_H_
#define LRSWEEP_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LRSWEEP_CONCAT_INNER_(a, b) a##b
#define LRSWEEP_CONCAT_(a, b) LRSWEEP_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing function if not OK.
#define RETURN_IF_ERROR(expr)                         \
  do {                                                \
    const ::absl::Status lrsweep_status_ = (expr);    \
    if (!lrsweep_status_.ok()) return lrsweep_status_; \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, otherwise moves the
// value into `lhs`, which may be a declaration.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  ASSIGN_OR_RETURN_IMPL_(LRSWEEP_CONCAT_(lrsweep_statusor_, __LINE__), lhs, rexpr)

#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                           \
  if (!statusor.ok()) return statusor.status();      \
  lhs = std::move(statusor).value()

#endif  // LRSWEEP_COMMON_STATUS_MACROS_H_
