#include "search/search_method.h"

#include "search/median_stopping.h"

namespace lrsweep {

std::unique_ptr<SearchMethod> MakeSearchMethod(const SweepSpec& spec) {
  if (spec.early_stopping && spec.early_stopping->rule == "median") {
    return std::make_unique<MedianStoppingRule>(*spec.early_stopping);
  }
  return nullptr;
}

}  // namespace lrsweep
