// Lets fmt format absl::string_view (Debian's abseil has its own string_view type, which fmt
// does not know).
//
//   fmt::format("{}", TrialStateName(state));
#ifndef LRSWEEP_COMMON_FMT_ABSL_H_
#define LRSWEEP_COMMON_FMT_ABSL_H_

#include "absl/strings/string_view.h"
#include "fmt/format.h"

template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  auto format(absl::string_view text, fmt::format_context& context) const
      -> decltype(context.out()) {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(text.data(), text.size()),
                                                    context);
  }
};

#endif  // LRSWEEP_COMMON_FMT_ABSL_H_
