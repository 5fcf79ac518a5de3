#include "sweep/sweep_spec.h"

#include <filesystem>

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/atomic_file.h"
#include "common/status_macros.h"
#include "common/suggest.h"
#include "sweep/train_spec.h"
#include "schedule/schedule_spec.h"

namespace lrsweep {
namespace {

const std::vector<std::string> kTopLevelKeys = {
    "name",     "metric",     "method",   "count",      "seed",      "seeds",
    "train",    "lr_scaling", "schedule", "parameters", "max_trials", "max_failures",
    "checkpoint", "early_stopping", "reduction_factor", "min_fraction", "max_fraction",
    "n_startup_trials", "lr_range_test"};
const std::vector<std::string> kMetricNames = {"val_accuracy", "val_loss", "test_accuracy",
                                               "train_loss"};

absl::Status ParseMetric(const YamlReader& reader, const YAML::Node& node, MetricSpec* metric,
                         std::vector<std::string>* warnings) {
  RETURN_IF_ERROR(reader.CheckKeys(node, "metric", {"name", "goal", "summary", "last_k"}));
  if (node["name"].IsDefined()) {
    ASSIGN_OR_RETURN(metric->name, reader.String(node["name"], "metric.name"));
    if (std::find(kMetricNames.begin(), kMetricNames.end(), metric->name) == kMetricNames.end()) {
      return reader.Error(node["name"], "metric.name",
                          absl::StrCat("unknown metric '", metric->name, "'.",
                                       DidYouMean(metric->name, kMetricNames)));
    }
  }
  metric->maximize = absl::EndsWith(metric->name, "accuracy");
  if (node["goal"].IsDefined()) {
    ASSIGN_OR_RETURN(std::string goal, reader.String(node["goal"], "metric.goal"));
    if (goal != "maximize" && goal != "minimize") {
      return reader.Error(node["goal"], "metric.goal",
                          absl::StrCat("must be maximize or minimize, got '", goal, "'"));
    }
    metric->maximize = goal == "maximize";
    const bool loss = absl::EndsWith(metric->name, "loss");
    if (loss == metric->maximize) {
      warnings->push_back(absl::StrCat(
          "warning: ", reader.Location(node["goal"]), ": metric.goal: ", goal, " ", metric->name,
          " ranks the ", loss ? "highest loss" : "lowest accuracy", " first; ",
          loss ? "losses are minimized" : "accuracies are maximized", " (leave goal out for the "
          "usual direction)"));
    }
  }
  if (node["summary"].IsDefined()) {
    ASSIGN_OR_RETURN(metric->summary, reader.String(node["summary"], "metric.summary"));
    const std::vector<std::string> summaries = {"final", "best", "last_k_mean"};
    if (std::find(summaries.begin(), summaries.end(), metric->summary) == summaries.end()) {
      return reader.Error(node["summary"], "metric.summary",
                          absl::StrCat("unknown summary '", metric->summary, "'.",
                                       DidYouMean(metric->summary, summaries)));
    }
  }
  if (node["last_k"].IsDefined()) {
    ASSIGN_OR_RETURN(metric->last_k, reader.Int(node["last_k"], "metric.last_k"));
    if (metric->last_k < 1) return reader.Error(node["last_k"], "metric.last_k", "must be >= 1");
  }
  return absl::OkStatus();
}

absl::Status ParseLrScaling(const YamlReader& reader, const YAML::Node& node, SweepSpec* sweep) {
  RETURN_IF_ERROR(reader.CheckKeys(node, "lr_scaling", {"rule", "base_batch_size"}));
  if (node["rule"].IsDefined()) {
    ASSIGN_OR_RETURN(std::string rule, reader.String(node["rule"], "lr_scaling.rule"));
    if (rule == "none") {
      sweep->lr_scaling = LrScalingRule::kNone;
    } else if (rule == "linear") {
      sweep->lr_scaling = LrScalingRule::kLinear;
    } else if (rule == "sqrt") {
      sweep->lr_scaling = LrScalingRule::kSqrt;
    } else {
      return reader.Error(node["rule"], "lr_scaling.rule",
                          absl::StrCat("unknown rule '", rule, "'.",
                                       DidYouMean(rule, {"none", "linear", "sqrt"})));
    }
  }
  if (node["base_batch_size"].IsDefined()) {
    ASSIGN_OR_RETURN(sweep->base_batch_size,
                     reader.Int(node["base_batch_size"], "lr_scaling.base_batch_size"));
    if (sweep->base_batch_size < 1) {
      return reader.Error(node["base_batch_size"], "lr_scaling.base_batch_size", "must be >= 1");
    }
  }
  return absl::OkStatus();
}

// `prefix` is where the mapping is: "checkpoint", or "train.checkpoint".
absl::Status ParseCheckpointPolicy(const YamlReader& reader, const YAML::Node& node,
                                   const std::string& prefix, CheckpointPolicy* policy) {
  RETURN_IF_ERROR(reader.CheckKeys(node, prefix, {"every_steps", "every_minutes", "keep"}));
  auto at = [&](const char* key) { return JoinPath(prefix, key); };
  if (node["every_steps"].IsDefined()) {
    ASSIGN_OR_RETURN(policy->every_steps, reader.Int(node["every_steps"], at("every_steps")));
    if (policy->every_steps < 1) {
      return reader.Error(node["every_steps"], at("every_steps"), "must be >= 1");
    }
  }
  if (node["every_minutes"].IsDefined()) {
    ASSIGN_OR_RETURN(policy->every_minutes,
                     reader.Double(node["every_minutes"], at("every_minutes")));
    if (!(policy->every_minutes > 0)) {
      return reader.Error(node["every_minutes"], at("every_minutes"), "must be > 0");
    }
  }
  if (node["keep"].IsDefined()) {
    ASSIGN_OR_RETURN(policy->keep, reader.Int(node["keep"], at("keep")));
    if (policy->keep < 1) return reader.Error(node["keep"], at("keep"), "must be >= 1");
  }
  return absl::OkStatus();
}

absl::StatusOr<Distribution> ParseDistribution(const YamlReader& reader, const YAML::Node& node,
                                               const std::string& path) {
  RETURN_IF_ERROR(reader.CheckKeys(node, path, {"distribution", "min", "max", "values"}));
  ASSIGN_OR_RETURN(std::string kind, reader.String(node["distribution"], path + ".distribution"));
  Distribution distribution;
  const std::vector<std::string> kinds = {"uniform", "log_uniform", "int_uniform", "choice"};
  if (kind == "choice") {
    distribution.kind = Distribution::Kind::kChoice;
    if (!IsSequenceNode(node["values"]) || node["values"].size() == 0) {
      return reader.Error(node, path, "a choice distribution needs a non-empty 'values' list");
    }
    for (const YAML::Node& value : node["values"]) distribution.values.push_back(value);
    return distribution;
  }
  if (kind == "uniform") {
    distribution.kind = Distribution::Kind::kUniform;
  } else if (kind == "log_uniform") {
    distribution.kind = Distribution::Kind::kLogUniform;
  } else if (kind == "int_uniform") {
    distribution.kind = Distribution::Kind::kIntUniform;
  } else {
    return reader.Error(node["distribution"], path + ".distribution",
                        absl::StrCat("unknown distribution '", kind, "'.", DidYouMean(kind, kinds)));
  }
  ASSIGN_OR_RETURN(distribution.min, reader.Double(node["min"], path + ".min"));
  ASSIGN_OR_RETURN(distribution.max, reader.Double(node["max"], path + ".max"));
  if (!(distribution.min < distribution.max)) {
    return reader.Error(node["max"], path + ".max", "must be greater than min");
  }
  if (distribution.kind == Distribution::Kind::kLogUniform && distribution.min <= 0) {
    return reader.Error(node["min"], path + ".min", "log_uniform needs min > 0");
  }
  if (distribution.kind == Distribution::Kind::kIntUniform &&
      (distribution.min != std::floor(distribution.min) ||
       distribution.max != std::floor(distribution.max))) {
    return reader.Error(node, path, "int_uniform needs whole-number min and max");
  }
  return distribution;
}

// Checks that a parameter path names a key that can exist: schedule.<schedule key>[...] or
// train.<train key>[...].
absl::Status CheckParameterPath(const YamlReader& reader, const YAML::Node& key_node,
                                const std::string& path) {
  const std::vector<std::string> parts = absl::StrSplit(path, '.');
  if (parts.size() < 2 || (parts[0] != "schedule" && parts[0] != "train")) {
    return reader.Error(key_node, path,
                        "a parameter is a dotted path under schedule. or train. "
                        "(e.g. schedule.lr, train.batch_size)");
  }
  if (parts[0] == "train") {
    const std::vector<std::string>& keys = TrainKeys();
    if (std::find(keys.begin(), keys.end(), parts[1]) == keys.end()) {
      return reader.Error(key_node, path,
                          absl::StrCat("train has no key '", parts[1], "'.",
                                       DidYouMean(parts[1], keys)));
    }
    return absl::OkStatus();
  }
  std::set<std::string> all;
  for (const std::string& name : ScheduleTypeNames()) {
    for (const std::string& key : AcceptedScheduleKeys(*ParseScheduleTypeName(name))) {
      all.insert(key);
    }
  }
  if (all.count(parts[1]) == 0) {
    return reader.Error(key_node, path,
                        absl::StrCat("no schedule type has a key '", parts[1], "'.",
                                     DidYouMean(parts[1], {all.begin(), all.end()})));
  }
  return absl::OkStatus();
}

absl::StatusOr<ParameterGrid> ParseGrid(const YamlReader& reader, const YAML::Node& node,
                                        const std::string& path, SweepMethod method) {
  RETURN_IF_ERROR(reader.RequireMap(node, path));
  ParameterGrid grid;
  grid.location = reader.Location(node);
  for (const auto& entry : node) {
    ParameterAxis axis;
    axis.path = entry.first.Scalar();
    RETURN_IF_ERROR(CheckParameterPath(reader, entry.first, axis.path));
    const YAML::Node& value = entry.second;
    const std::string axis_path = absl::StrCat(path, ".", axis.path);
    if (axis.path == "schedule.lr" && IsRelativeLr(value)) {
      ASSIGN_OR_RETURN(RelativeLrSpec relative, ParseRelativeLr(reader, value, axis_path));
      axis.relative_anchor = relative.anchor;
      axis.values = std::move(relative.factors);
      axis.listed = true;
    } else if (value.IsMap() && value["distribution"].IsDefined()) {
      if (method != SweepMethod::kRandom && method != SweepMethod::kTpe) {
        return reader.Error(value, axis_path,
                            "distributions need method: random or tpe (a grid takes a list of "
                            "values)");
      }
      ASSIGN_OR_RETURN(axis.distribution, ParseDistribution(reader, value, axis_path));
    } else if (value.IsSequence()) {
      if (value.size() == 0) return reader.Error(value, axis_path, "an empty list of values");
      axis.listed = true;
      for (const YAML::Node& item : value) axis.values.push_back(item);
    } else if (value.IsNull()) {
      return reader.Error(entry.first, axis_path, "has no value");
    } else {
      axis.values.push_back(value);
    }
    grid.axes.push_back(std::move(axis));
  }
  if (grid.axes.empty()) return reader.Error(node, path, "an empty grid; add parameters");
  return grid;
}

// Scalar schedule types a grid can produce (from its schedule.type axis).
absl::StatusOr<std::vector<ScheduleType>> GridTypes(const YamlReader& reader,
                                                    const ParameterGrid& grid,
                                                    const std::optional<ScheduleType>& shared) {
  for (const ParameterAxis& axis : grid.axes) {
    if (axis.path != "schedule.type") continue;
    std::vector<YAML::Node> values = axis.values;
    if (axis.distribution) values = axis.distribution->values;
    std::vector<ScheduleType> types;
    for (const YAML::Node& value : values) {
      ASSIGN_OR_RETURN(std::string name, reader.String(value, "schedule.type"));
      std::optional<ScheduleType> type = ParseScheduleTypeName(name);
      if (!type) {
        return reader.Error(value, "schedule.type",
                            absl::StrCat("unknown schedule type '", name, "'.",
                                         DidYouMean(name, ScheduleTypeNames())));
      }
      types.push_back(*type);
    }
    return types;
  }
  if (shared) return std::vector<ScheduleType>{*shared};
  return absl::InvalidArgumentError(absl::StrCat(
      grid.location, ": parameters: this grid sets no schedule.type and the shared schedule "
                     "has none; add 'schedule.type: cosine' (or another type) to one of them"));
}

// Each key of the shared schedule must be accepted by at least one type the sweep uses; it is
// then applied to the trials whose type accepts it.
absl::Status CheckSharedScheduleKeys(const YamlReader& reader, const YAML::Node& root,
                                     const SweepSpec& sweep) {
  if (!sweep.schedule.IsDefined()) return absl::OkStatus();
  RETURN_IF_ERROR(reader.RequireMap(sweep.schedule, "schedule"));
  std::optional<ScheduleType> shared;
  if (sweep.schedule["type"].IsDefined()) {
    ASSIGN_OR_RETURN(std::string name, reader.String(sweep.schedule["type"], "schedule.type"));
    shared = ParseScheduleTypeName(name);
    if (!shared) {
      return reader.Error(sweep.schedule["type"], "schedule.type",
                          absl::StrCat("unknown schedule type '", name, "'.",
                                       DidYouMean(name, ScheduleTypeNames())));
    }
  }
  std::set<ScheduleType> used;
  for (const ParameterGrid& grid : sweep.grids) {
    ASSIGN_OR_RETURN(std::vector<ScheduleType> types, GridTypes(reader, grid, shared));
    used.insert(types.begin(), types.end());
  }
  if (sweep.grids.empty() && shared) used.insert(*shared);
  if (sweep.grids.empty() && !shared) {
    return reader.Error(root["schedule"].IsDefined() ? root["schedule"] : root, "schedule.type",
                        "missing; set schedule.type or sweep it under parameters");
  }
  std::vector<std::string> accepted;
  for (ScheduleType type : used) {
    for (const std::string& key : AcceptedScheduleKeys(type)) accepted.push_back(key);
  }
  for (const auto& entry : sweep.schedule) {
    const std::string key = entry.first.Scalar();
    bool ok = false;
    for (ScheduleType type : used) ok = ok || AcceptsScheduleKey(type, key);
    if (!ok) {
      std::vector<std::string> names;
      for (ScheduleType type : used) names.emplace_back(ScheduleTypeName(type));
      return reader.Error(entry.first, JoinPath("schedule", key),
                          absl::StrCat("no schedule type in this sweep (", absl::StrJoin(names, ", "),
                                       ") takes '", key, "'.", DidYouMean(key, accepted)));
    }
  }
  return absl::OkStatus();
}

// reduction_factor, min_fraction and max_fraction: the rungs of method: asha.
absl::Status ParseHalving(const YamlReader& reader, const YAML::Node& root, SweepSpec* sweep) {
  if (sweep->method != SweepMethod::kAsha) {
    for (const char* key : {"reduction_factor", "min_fraction", "max_fraction"}) {
      if (root[key].IsDefined()) return reader.Error(root[key], key, "only used with method: asha");
    }
    return absl::OkStatus();
  }
  SuccessiveHalvingSpec& halving = sweep->halving;
  if (root["reduction_factor"].IsDefined()) {
    ASSIGN_OR_RETURN(halving.reduction_factor,
                     reader.Int(root["reduction_factor"], "reduction_factor"));
    if (halving.reduction_factor < 2) {
      return reader.Error(root["reduction_factor"], "reduction_factor",
                          "must be at least 2: each rung keeps 1/reduction_factor of the last");
    }
  }
  halving.min_fraction = 1.0 / static_cast<double>(halving.reduction_factor * halving.reduction_factor);
  if (root["max_fraction"].IsDefined()) {
    ASSIGN_OR_RETURN(halving.max_fraction, reader.Double(root["max_fraction"], "max_fraction"));
    if (!(halving.max_fraction > 0.0 && halving.max_fraction <= 1.0)) {
      return reader.Error(root["max_fraction"], "max_fraction",
                          "must be in (0, 1]: the fraction of the full run the last rung trains");
    }
  }
  if (root["min_fraction"].IsDefined()) {
    ASSIGN_OR_RETURN(halving.min_fraction, reader.Double(root["min_fraction"], "min_fraction"));
    if (!(halving.min_fraction > 0.0 && halving.min_fraction < halving.max_fraction)) {
      return reader.Error(root["min_fraction"], "min_fraction",
                          absl::StrCat("must be in (0, max_fraction = ", halving.max_fraction,
                                       "): the fraction of the full run the first rung trains"));
    }
  } else {
    halving.min_fraction = std::min(halving.min_fraction, halving.max_fraction);
  }
  return absl::OkStatus();
}

// method, count and seed: what to search and how many configurations random search samples.
absl::Status ParseMethod(const YamlReader& reader, const YAML::Node& root, SweepSpec* sweep) {
  if (root["method"].IsDefined()) {
    ASSIGN_OR_RETURN(std::string method, reader.String(root["method"], "method"));
    if (method == "grid") {
      sweep->method = SweepMethod::kGrid;
    } else if (method == "random") {
      sweep->method = SweepMethod::kRandom;
    } else if (method == "asha") {
      sweep->method = SweepMethod::kAsha;
    } else if (method == "tpe") {
      sweep->method = SweepMethod::kTpe;
    } else {
      return reader.Error(root["method"], "method",
                          absl::StrCat("unknown method '", method, "'.",
                                       DidYouMean(method, {"grid", "random", "asha", "tpe"})));
    }
  }
  RETURN_IF_ERROR(ParseHalving(reader, root, sweep));
  const bool samples =
      sweep->method == SweepMethod::kRandom || sweep->method == SweepMethod::kTpe;
  if (!samples) {
    for (const char* key : {"count", "seed"}) {
      if (root[key].IsDefined()) {
        return reader.Error(root[key], key,
                            "only used with method: random or tpe (grids use seeds:)");
      }
    }
  }
  if (sweep->method != SweepMethod::kTpe && root["n_startup_trials"].IsDefined()) {
    return reader.Error(root["n_startup_trials"], "n_startup_trials", "only used with method: tpe");
  }
  if (!samples) return absl::OkStatus();
  if (!root["count"].IsDefined()) {
    return reader.Error(root, "count",
                        absl::StrCat("method: ", sweep->method == SweepMethod::kTpe ? "tpe" : "random",
                                     " needs count (configurations to sample)"));
  }
  ASSIGN_OR_RETURN(sweep->count, reader.Int(root["count"], "count"));
  if (sweep->count < 1) return reader.Error(root["count"], "count", "must be at least 1");
  if (root["seed"].IsDefined()) {
    ASSIGN_OR_RETURN(int64_t seed, reader.Int(root["seed"], "seed"));
    sweep->seed = static_cast<uint64_t>(seed);
  }
  if (root["n_startup_trials"].IsDefined()) {
    ASSIGN_OR_RETURN(sweep->n_startup_trials,
                     reader.Int(root["n_startup_trials"], "n_startup_trials"));
    if (sweep->n_startup_trials < 1) {
      return reader.Error(root["n_startup_trials"], "n_startup_trials", "must be at least 1");
    }
  }
  return absl::OkStatus();
}

// early_stopping: which running trials to stop (needs the sweep's metric parsed).
absl::Status ParseEarlyStopping(const YamlReader& reader, const YAML::Node& root,
                                SweepSpec* sweep) {
  const YAML::Node node = root["early_stopping"];
  if (!node.IsDefined()) return absl::OkStatus();
  if (sweep->method == SweepMethod::kAsha) {
    return reader.Error(node, "early_stopping",
                        "not used with method: asha, which already drops the configurations "
                        "behind at each rung; remove one of them");
  }
  if (sweep->method == SweepMethod::kTpe) {
    return reader.Error(node, "early_stopping",
                        "not combined with method: tpe yet (TPE learns from finished "
                        "configurations); use one of them");
  }
  RETURN_IF_ERROR(reader.RequireMap(node, "early_stopping"));
  RETURN_IF_ERROR(reader.CheckKeys(node, "early_stopping",
                                   {"rule", "metric", "grace_fraction", "min_trials"}));
  EarlyStoppingSpec spec;
  if (!node["rule"].IsDefined()) {
    return reader.Error(node, "early_stopping.rule", "missing; the rule is median");
  }
  ASSIGN_OR_RETURN(spec.rule, reader.String(node["rule"], "early_stopping.rule"));
  if (spec.rule != "median") {
    return reader.Error(node["rule"], "early_stopping.rule",
                        absl::StrCat("unknown rule '", spec.rule, "'.",
                                     DidYouMean(spec.rule, {"median"})));
  }
  // The sweep's own metric, unless it is only measured at the end.
  spec.metric = sweep->metric.name == "test_accuracy" ? "val_accuracy" : sweep->metric.name;
  spec.maximize = sweep->metric.name == spec.metric ? sweep->metric.maximize : true;
  if (node["metric"].IsDefined()) {
    ASSIGN_OR_RETURN(spec.metric, reader.String(node["metric"], "early_stopping.metric"));
    const std::vector<std::string> during = {"val_accuracy", "val_loss", "train_loss"};
    if (std::find(during.begin(), during.end(), spec.metric) == during.end()) {
      return reader.Error(
          node["metric"], "early_stopping.metric",
          absl::StrCat("'", spec.metric, "' is not measured while a trial trains; use one of ",
                       absl::StrJoin(during, ", "), ".", DidYouMean(spec.metric, during)));
    }
    spec.maximize = absl::EndsWith(spec.metric, "accuracy");
  }
  if (node["grace_fraction"].IsDefined()) {
    ASSIGN_OR_RETURN(spec.grace_fraction,
                     reader.Double(node["grace_fraction"], "early_stopping.grace_fraction"));
    if (!(spec.grace_fraction >= 0.0 && spec.grace_fraction < 1.0)) {
      return reader.Error(node["grace_fraction"], "early_stopping.grace_fraction",
                          "must be in [0, 1): the fraction of a trial's steps it always trains");
    }
  }
  if (node["min_trials"].IsDefined()) {
    ASSIGN_OR_RETURN(spec.min_trials, reader.Int(node["min_trials"], "early_stopping.min_trials"));
    if (spec.min_trials < 1) {
      return reader.Error(node["min_trials"], "early_stopping.min_trials", "must be at least 1");
    }
  }
  sweep->early_stopping = spec;
  return absl::OkStatus();
}

// seeds, max_trials, max_failures and checkpoint: how each configuration is run.
absl::Status ParseRunPolicy(const YamlReader& reader, const YAML::Node& root, SweepSpec* sweep) {
  if (root["seeds"].IsDefined()) {
    ASSIGN_OR_RETURN(sweep->seeds, reader.IntList(root["seeds"], "seeds"));
    if (sweep->seeds.empty()) return reader.Error(root["seeds"], "seeds", "must not be empty");
    std::set<int64_t> unique(sweep->seeds.begin(), sweep->seeds.end());
    if (unique.size() != sweep->seeds.size()) {
      return reader.Error(root["seeds"], "seeds", "lists a seed twice");
    }
  }
  if (root["max_trials"].IsDefined()) {
    ASSIGN_OR_RETURN(sweep->max_trials, reader.Int(root["max_trials"], "max_trials"));
    if (sweep->max_trials < 1) return reader.Error(root["max_trials"], "max_trials", "must be >= 1");
  }
  if (root["max_failures"].IsDefined()) {
    ASSIGN_OR_RETURN(sweep->max_failures, reader.Int(root["max_failures"], "max_failures"));
    if (sweep->max_failures < 1) {
      return reader.Error(root["max_failures"], "max_failures", "must be >= 1");
    }
  }
  const YAML::Node train = root["train"];
  const bool in_train = train.IsDefined() && train.IsMap() && train["checkpoint"].IsDefined();
  if (in_train && root["checkpoint"].IsDefined()) {
    return reader.Error(train["checkpoint"], "train.checkpoint",
                        "the sweep also has a top-level checkpoint: mapping; keep one of them");
  }
  if (in_train) {
    RETURN_IF_ERROR(ParseCheckpointPolicy(reader, train["checkpoint"], "train.checkpoint",
                                          &sweep->checkpoint));
  } else if (root["checkpoint"].IsDefined()) {
    RETURN_IF_ERROR(
        ParseCheckpointPolicy(reader, root["checkpoint"], "checkpoint", &sweep->checkpoint));
  }
  return absl::OkStatus();
}

// train, lr_scaling and the shared schedule.
absl::Status ParseTraining(const YamlReader& reader, const YAML::Node& root, SweepSpec* sweep) {
  if (!root["train"].IsDefined()) {
    return reader.Error(root, "train", "missing; say how to train (model, data, epochs, ...)");
  }
  RETURN_IF_ERROR(CheckTrainKeys(root["train"], reader, "train"));
  sweep->train = root["train"];
  if (root["lr_scaling"].IsDefined()) {
    RETURN_IF_ERROR(ParseLrScaling(reader, root["lr_scaling"], sweep));
  }
  if (sweep->base_batch_size == 0) {
    sweep->base_batch_size = 128;
    if (sweep->train["batch_size"].IsDefined()) {
      ASSIGN_OR_RETURN(sweep->base_batch_size,
                       reader.Int(sweep->train["batch_size"], "train.batch_size"));
    }
  }
  sweep->schedule =
      root["schedule"].IsDefined() ? root["schedule"] : YAML::Node(YAML::NodeType::Map);
  return absl::OkStatus();
}

// parameters: one grid, or a list of them.
absl::Status ParseParameters(const YamlReader& reader, const YAML::Node& root, SweepSpec* sweep) {
  const YAML::Node& parameters = root["parameters"];
  if (!parameters.IsDefined() || parameters.IsNull()) return absl::OkStatus();
  if (!parameters.IsSequence()) {
    ASSIGN_OR_RETURN(ParameterGrid grid, ParseGrid(reader, parameters, "parameters", sweep->method));
    sweep->grids.push_back(std::move(grid));
    return absl::OkStatus();
  }
  for (size_t i = 0; i < parameters.size(); ++i) {
    ASSIGN_OR_RETURN(ParameterGrid grid, ParseGrid(reader, parameters[i],
                                                   absl::StrCat("parameters[", i, "]"),
                                                   sweep->method));
    sweep->grids.push_back(std::move(grid));
  }
  return absl::OkStatus();
}

// Whether any grid sweeps schedule.lr relative to the range test.
bool HasRelativeLr(const SweepSpec& sweep) {
  for (const ParameterGrid& grid : sweep.grids) {
    for (const ParameterAxis& axis : grid.axes) {
      if (!axis.relative_anchor.empty()) return true;
    }
  }
  return false;
}

// lr_range_test, and peak LRs relative to it: a shared `schedule.lr: {range_test: ...}` becomes
// an axis of every grid that does not sweep schedule.lr itself (of a grid of its own when the
// file has none).
absl::Status ParseRangeTest(const YamlReader& reader, const YAML::Node& root, SweepSpec* sweep) {
  const YAML::Node shared_lr = IsMapNode(sweep->schedule) ? sweep->schedule["lr"] : YAML::Node();
  if (IsRelativeLr(shared_lr)) {
    ASSIGN_OR_RETURN(RelativeLrSpec relative, ParseRelativeLr(reader, shared_lr, "schedule.lr"));
    ParameterAxis axis;
    axis.path = "schedule.lr";
    axis.listed = true;
    axis.values = relative.factors;
    axis.relative_anchor = relative.anchor;
    axis.implicit = true;
    if (sweep->grids.empty()) sweep->grids.push_back({{}, reader.Location(shared_lr)});
    for (ParameterGrid& grid : sweep->grids) {
      const bool sweeps_lr = std::any_of(grid.axes.begin(), grid.axes.end(),
                                         [](const ParameterAxis& a) { return a.path == "schedule.lr"; });
      if (!sweeps_lr) grid.axes.push_back(axis);
    }
  }
  const YAML::Node node = root["lr_range_test"];
  if (!node.IsDefined()) {
    if (!HasRelativeLr(*sweep)) return absl::OkStatus();
    return reader.Error(IsRelativeLr(shared_lr) ? shared_lr : root["parameters"], "schedule.lr",
                        "is relative to an LR range test, but the sweep has none; add "
                        "lr_range_test: {min_lr: 1.0e-6, max_lr: 1.0, steps: 200}");
  }
  if (sweep->method == SweepMethod::kAsha || sweep->method == SweepMethod::kTpe) {
    return reader.Error(node, "lr_range_test",
                        absl::StrCat("not combined with method: ",
                                     sweep->method == SweepMethod::kAsha ? "asha" : "tpe",
                                     " yet (it plans its trials before the range test ends); "
                                     "run the range test with method: grid or random"));
  }
  ASSIGN_OR_RETURN(sweep->range_test, ParseRangeTestSpec(reader, node));
  return absl::OkStatus();
}

absl::StatusOr<SweepSpec> ParseSweepDocument(absl::string_view text, const std::string& file) {
  ASSIGN_OR_RETURN(YAML::Node root, ParseYaml(text, file));
  YamlReader reader(file);
  if (root.IsNull() || !root.IsDefined()) {
    return absl::InvalidArgumentError(absl::StrCat(
        file, ": the file is empty; a sweep needs at least name:, train: and schedule: "
        "(sweeps/quickstart.yaml is a complete one)"));
  }
  RETURN_IF_ERROR(reader.CheckKeys(root, "", kTopLevelKeys));
  SweepSpec sweep;
  sweep.file = file;
  sweep.text = std::string(text);
  if (!root["name"].IsDefined()) {
    return reader.Error(root, "name", "missing; give the sweep a name (name: my-sweep)");
  }
  ASSIGN_OR_RETURN(sweep.name, reader.String(root["name"], "name"));
  if (sweep.name.empty()) return reader.Error(root["name"], "name", "must not be empty");
  if (root["metric"].IsDefined()) {
    RETURN_IF_ERROR(ParseMetric(reader, root["metric"], &sweep.metric, &sweep.warnings));
  }
  RETURN_IF_ERROR(ParseMethod(reader, root, &sweep));
  RETURN_IF_ERROR(ParseEarlyStopping(reader, root, &sweep));
  RETURN_IF_ERROR(ParseRunPolicy(reader, root, &sweep));
  RETURN_IF_ERROR(ParseTraining(reader, root, &sweep));
  RETURN_IF_ERROR(ParseParameters(reader, root, &sweep));
  RETURN_IF_ERROR(CheckSharedScheduleKeys(reader, root, sweep));
  RETURN_IF_ERROR(ParseRangeTest(reader, root, &sweep));
  return sweep;
}

}  // namespace

absl::StatusOr<SweepSpec> ParseSweep(absl::string_view text, const std::string& file) {
  // The readers check every node before converting it; this is the edge's net for a yaml-cpp
  // throw that a check missed, so that a bad file is still an error and never a crash.
  try {
    return ParseSweepDocument(text, file);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": could not read the sweep (", e.what(),
                     "); check the YAML around that key against docs/sweep-reference.md"));
  }
}

absl::StatusOr<SweepSpec> LoadSweepFile(const std::string& file) {
  ASSIGN_OR_RETURN(std::string text, ReadTextFile(file));
  ASSIGN_OR_RETURN(SweepSpec spec, ParseSweep(text, file));
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(file, error);
  if (!error) spec.base_dir = absolute.parent_path().lexically_normal().string();
  return spec;
}

std::vector<double> RungFractions(const SweepSpec& sweep) {
  if (sweep.method != SweepMethod::kAsha) return {1.0};
  const SuccessiveHalvingSpec& halving = sweep.halving;
  std::vector<double> fractions;
  for (double f = halving.min_fraction; f < halving.max_fraction * (1.0 - 1e-9);
       f *= static_cast<double>(halving.reduction_factor)) {
    fractions.push_back(f);
  }
  fractions.push_back(halving.max_fraction);
  return fractions;
}

std::string SweepSourceDigest(absl::string_view yaml, const ArtifactManifest& artifacts) {
  if (artifacts.empty()) return Sha256Hex(yaml);
  std::string source(yaml);
  for (const auto& [path, ref] : artifacts) absl::StrAppend(&source, "\n#artifact ", path, " ", ref.sha256);
  return Sha256Hex(source);
}

}  // namespace lrsweep
