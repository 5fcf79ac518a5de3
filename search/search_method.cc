#include "search/search_method.h"

#include "common/status_macros.h"
#include "search/median_stopping.h"
#include "search/range_test_stage.h"
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
  std::unique_ptr<SearchMethod> early_stopping;
  if (spec.early_stopping && spec.early_stopping->rule == "median") {
    early_stopping = std::make_unique<MedianStoppingRule>(*spec.early_stopping);
  }
  if (spec.range_test) {
    // asha and tpe plan their trials up front or from the trials that ended: not combined.
    return std::unique_ptr<SearchMethod>(
        std::make_unique<RangeTestStage>(spec, std::move(early_stopping)));
  }
  return early_stopping;
}

}  // namespace lrsweep
