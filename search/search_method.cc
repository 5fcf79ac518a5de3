#include "search/search_method.h"

#include "common/status_macros.h"
#include "search/median_stopping.h"
#include "search/successive_halving.h"
#include "search/tpe_search.h"

namespace lrsweep {

absl::StatusOr<std::unique_ptr<SearchMethod>> MakeSearchMethod(const SweepSpec& spec) {
  if (spec.method == SweepMethod::kAsha) {
    ASSIGN_OR_RETURN(std::unique_ptr<SuccessiveHalving> halving, SuccessiveHalving::Create(spec));
    return std::unique_ptr<SearchMethod>(std::move(halving));
  }
  if (spec.method == SweepMethod::kTpe) {
    ASSIGN_OR_RETURN(std::unique_ptr<TpeSearch> tpe, TpeSearch::Create(spec));
    return std::unique_ptr<SearchMethod>(std::move(tpe));
  }
  if (spec.early_stopping && spec.early_stopping->rule == "median") {
    return std::unique_ptr<SearchMethod>(std::make_unique<MedianStoppingRule>(*spec.early_stopping));
  }
  return std::unique_ptr<SearchMethod>();
}

}  // namespace lrsweep
