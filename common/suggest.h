// "Did you mean" suggestions for misspelled names (unknown keys, unknown schedule types).
//
//   std::string hint = DidYouMean("cosin", {"cosine", "constant"});  // " Did you mean 'cosine'?"
#ifndef LRSWEEP_COMMON_SUGGEST_H_
#define LRSWEEP_COMMON_SUGGEST_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

namespace lrsweep {

// Levenshtein distance between `a` and `b`, case-sensitive.
int EditDistance(absl::string_view a, absl::string_view b);

// The candidate closest to `name`, or "" when none is close enough to be a plausible typo
// (distance at most max(2, len/3)).
std::string ClosestName(absl::string_view name, const std::vector<std::string>& candidates);

// " Did you mean 'X'?" when a close candidate exists, else " Valid: a, b, c." listing all.
std::string DidYouMean(absl::string_view name, const std::vector<std::string>& candidates);

}  // namespace lrsweep

#endif  // LRSWEEP_COMMON_SUGGEST_H_
