#include "sweep/range_test_spec.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/suggest.h"

namespace lrsweep {

const std::vector<std::string>& RangeTestAnchors() {
  static const auto* anchors = new std::vector<std::string>{"steepest", "min_loss"};
  return *anchors;
}

absl::StatusOr<RangeTestSpec> ParseRangeTestSpec(const YamlReader& reader, const YAML::Node& node) {
  RETURN_IF_ERROR(reader.RequireMap(node, "lr_range_test"));
  RETURN_IF_ERROR(reader.CheckKeys(node, "lr_range_test",
                                   {"min_lr", "max_lr", "steps", "divergence_factor", "smoothing"}));
  RangeTestSpec spec;
  if (node["min_lr"].IsDefined()) {
    ASSIGN_OR_RETURN(spec.min_lr, reader.Double(node["min_lr"], "lr_range_test.min_lr"));
    if (!(spec.min_lr > 0.0) || !std::isfinite(spec.min_lr)) {
      return reader.Error(node["min_lr"], "lr_range_test.min_lr", "must be a positive LR");
    }
  }
  if (node["max_lr"].IsDefined()) {
    ASSIGN_OR_RETURN(spec.max_lr, reader.Double(node["max_lr"], "lr_range_test.max_lr"));
  }
  if (!(spec.max_lr > spec.min_lr) || !std::isfinite(spec.max_lr)) {
    return reader.Error(node["max_lr"].IsDefined() ? node["max_lr"] : node, "lr_range_test.max_lr",
                        absl::StrCat("must be above min_lr (", spec.min_lr,
                                     "); the test sweeps the LR from min_lr up to max_lr"));
  }
  if (node["steps"].IsDefined()) {
    ASSIGN_OR_RETURN(spec.steps, reader.Int(node["steps"], "lr_range_test.steps"));
    if (spec.steps < 10) {
      return reader.Error(node["steps"], "lr_range_test.steps",
                          "must be at least 10: the curve needs points to find a slope in");
    }
  }
  if (node["divergence_factor"].IsDefined()) {
    ASSIGN_OR_RETURN(spec.divergence_factor,
                     reader.Double(node["divergence_factor"], "lr_range_test.divergence_factor"));
    if (!(spec.divergence_factor > 1.0)) {
      return reader.Error(node["divergence_factor"], "lr_range_test.divergence_factor",
                          "must be above 1: the multiple of the lowest loss that ends the test");
    }
  }
  if (node["smoothing"].IsDefined()) {
    ASSIGN_OR_RETURN(spec.smoothing, reader.Double(node["smoothing"], "lr_range_test.smoothing"));
    if (!(spec.smoothing >= 0.0 && spec.smoothing < 1.0)) {
      return reader.Error(node["smoothing"], "lr_range_test.smoothing",
                          "must be in [0, 1): the weight of the past in the loss's moving average");
    }
  }
  return spec;
}

bool IsRelativeLr(const YAML::Node& node) {
  return node.IsDefined() && node.IsMap() && node["range_test"].IsDefined();
}

absl::StatusOr<RelativeLrSpec> ParseRelativeLr(const YamlReader& reader, const YAML::Node& node,
                                               const std::string& path) {
  RETURN_IF_ERROR(reader.CheckKeys(node, path, {"range_test", "factors"}));
  RelativeLrSpec spec;
  ASSIGN_OR_RETURN(spec.anchor, reader.String(node["range_test"], path + ".range_test"));
  const std::vector<std::string>& anchors = RangeTestAnchors();
  if (std::find(anchors.begin(), anchors.end(), spec.anchor) == anchors.end()) {
    return reader.Error(node["range_test"], path + ".range_test",
                        absl::StrCat("unknown pick '", spec.anchor, "'; use steepest or min_loss.",
                                     DidYouMean(spec.anchor, anchors)));
  }
  const YAML::Node factors = node["factors"];
  if (!factors.IsDefined()) {
    spec.factors.push_back(YAML::Node(1.0));
    return spec;
  }
  if (!IsSequenceNode(factors) || factors.size() == 0) {
    return reader.Error(factors, path + ".factors",
                        "must be a list of multipliers of the range test's pick, e.g. [0.3, 1, 3]");
  }
  for (size_t i = 0; i < factors.size(); ++i) {
    const std::string at = absl::StrCat(path, ".factors[", i, "]");
    ASSIGN_OR_RETURN(double factor, reader.Double(factors[i], at));
    if (!(factor > 0.0) || !std::isfinite(factor)) {
      return reader.Error(factors[i], at, "must be a positive multiplier");
    }
    spec.factors.push_back(factors[i]);
  }
  return spec;
}

}  // namespace lrsweep
