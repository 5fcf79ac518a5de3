#include "sweep/sweep_planner.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/portable_random.h"
#include "common/status_macros.h"
#include "fmt/format.h"
#include "schedule/schedule.h"
#include "schedule/schedule_horizon.h"
#include "schedule/schedule_parser.h"
#include "sweep/range_test_plan.h"

namespace lrsweep {
namespace {

// Trials planned from one parse of the sweep's text (see Resolve): the parse is paid once per
// batch, and the nodes the batch's trials add are freed with it.
constexpr size_t kTrialsPerParse = 16;

// Where one swept value is in the sweep file, so that each trial can take it from a parse of the
// file (with its position), or the value itself when it was sampled.
struct ValueRef {
  std::string path;
  size_t grid = 0;
  int64_t index = -1;      // position in the axis' list (or a choice's values); -1: the value
  // A number drawn from a distribution, as YAML text. Text, not a node: a node kept here would
  // be merged with the tree of the first trial that used it and keep that whole tree alive.
  std::optional<std::string> sampled;
  // A factor of this range test pick (sweep/range_test_spec.h); `sampled` holds the factor.
  std::string relative_anchor;
};

// The reference to value `index` of a listed axis.
ValueRef ListedRef(const ParameterAxis& axis, size_t grid, int64_t index) {
  ValueRef ref{axis.path, grid, index, std::nullopt, ""};
  if (!axis.relative_anchor.empty()) {
    ref.sampled = axis.values[static_cast<size_t>(index)].Scalar();
    ref.relative_anchor = axis.relative_anchor;
  }
  return ref;
}

// One configuration: a value for each axis of one grid.
struct Configuration {
  std::vector<ValueRef> values;
};

// The node a ValueRef points to inside `root`, a parse of the sweep's text. yaml-cpp never frees
// a node while any node of its tree lives, and every node a trial's mappings are assembled from
// joins that tree; so a parse is shared by a batch of trials only (kTrialsPerParse), which bounds
// the memory planning holds.
YAML::Node Resolve(const YAML::Node& root, const ValueRef& ref) {
  if (!ref.relative_anchor.empty()) {
    YAML::Node relative(YAML::NodeType::Map);
    relative["range_test"] = ref.relative_anchor;
    relative["factor"] = *ref.sampled;
    return relative;
  }
  if (ref.sampled) return YAML::Node(*ref.sampled);
  const YAML::Node parameters = root["parameters"];
  const YAML::Node grid = parameters.IsSequence() ? parameters[ref.grid] : parameters;
  const YAML::Node value = grid[ref.path];
  if (ref.index < 0) return value;
  if (value.IsMap()) return value["values"][static_cast<size_t>(ref.index)];  // choice
  return value[static_cast<size_t>(ref.index)];
}

int64_t GridSize(const ParameterGrid& grid) {
  int64_t size = 1;
  for (const ParameterAxis& axis : grid.axes) {
    const int64_t n = static_cast<int64_t>(axis.values.size());
    if (size > std::numeric_limits<int64_t>::max() / n) return std::numeric_limits<int64_t>::max();
    size *= n;
  }
  return size;
}

int64_t SaturatingMultiply(int64_t a, int64_t b) {
  if (a != 0 && b > std::numeric_limits<int64_t>::max() / a) {
    return std::numeric_limits<int64_t>::max();
  }
  return a * b;
}

// Grid configurations in order: first axis outermost, last axis fastest.
std::vector<Configuration> GridConfigurations(const SweepSpec& sweep) {
  std::vector<Configuration> configurations;
  if (sweep.grids.empty()) return {Configuration{}};
  for (const ParameterGrid& grid : sweep.grids) {
    std::vector<size_t> digits(grid.axes.size(), 0);
    const int64_t size = GridSize(grid);
    for (int64_t n = 0; n < size; ++n) {
      Configuration configuration;
      for (size_t a = 0; a < grid.axes.size(); ++a) {
        const ParameterAxis& axis = grid.axes[a];
        const size_t g = static_cast<size_t>(&grid - sweep.grids.data());
        configuration.values.push_back(
            axis.listed ? ListedRef(axis, g, static_cast<int64_t>(digits[a]))
                        : ValueRef{axis.path, g, -1, std::nullopt, ""});
      }
      configurations.push_back(std::move(configuration));
      for (size_t a = grid.axes.size(); a-- > 0;) {
        if (++digits[a] < grid.axes[a].values.size()) break;
        digits[a] = 0;
      }
    }
  }
  return configurations;
}

std::string NumberText(double value) { return fmt::format("{}", value); }

ValueRef Sample(const ParameterAxis& axis, size_t grid, std::mt19937_64& rng) {
  ValueRef ref{axis.path, grid, -1, std::nullopt, ""};
  if (!axis.distribution) {
    if (axis.listed) {
      ref = ListedRef(axis, grid, static_cast<int64_t>(UniformIndex(rng, axis.values.size())));
    }
    return ref;
  }
  const Distribution& d = *axis.distribution;
  const double u = Uniform01(rng);
  switch (d.kind) {
    case Distribution::Kind::kUniform:
      ref.sampled = NumberText(d.min + u * (d.max - d.min));
      break;
    case Distribution::Kind::kLogUniform:
      ref.sampled =
          NumberText(std::exp(std::log(d.min) + u * (std::log(d.max) - std::log(d.min))));
      break;
    case Distribution::Kind::kIntUniform:
      ref.sampled = std::to_string(
          static_cast<int64_t>(d.min) +
          std::min(static_cast<int64_t>(d.max - d.min),
                   static_cast<int64_t>(u * (d.max - d.min + 1))));
      break;
    case Distribution::Kind::kChoice:
      ref.index = static_cast<int64_t>(UniformIndex(rng, d.values.size()));
      break;
  }
  return ref;
}

// The first `count` configurations of random search.
std::vector<Configuration> RandomConfigurations(const SweepSpec& sweep, int64_t count) {
  std::mt19937_64 rng(sweep.seed);
  std::vector<Configuration> configurations;
  for (int64_t n = 0; n < count; ++n) {
    Configuration configuration;
    if (!sweep.grids.empty()) {
      const size_t g = UniformIndex(rng, sweep.grids.size());
      for (const ParameterAxis& axis : sweep.grids[g].axes) {
        configuration.values.push_back(Sample(axis, g, rng));
      }
    }
    configurations.push_back(std::move(configuration));
  }
  return configurations;
}

// A copy of mapping `base` with the value at `path` replaced by `value`. Only the mappings along
// the path are copied; every other node is shared, so positions in the file are kept and the
// sweep's shared mappings are never modified.
YAML::Node WithOverride(const YAML::Node& base, const std::vector<std::string>& path, size_t depth,
                        const YAML::Node& value) {
  YAML::Node copy(YAML::NodeType::Map);
  if (base.IsMap()) {
    for (const auto& entry : base) copy[entry.first.Scalar()] = entry.second;
  }
  const std::string& key = path[depth];
  if (depth + 1 == path.size()) {
    copy[key] = value;
  } else {
    YAML::Node child;
    if (base.IsMap() && base[key].IsDefined()) child.reset(base[key]);
    copy[key] = WithOverride(child, path, depth + 1, value);
  }
  return copy;
}

double LrScale(const SweepSpec& sweep, int64_t effective_batch) {
  const double ratio =
      static_cast<double>(effective_batch) / static_cast<double>(sweep.base_batch_size);
  switch (sweep.lr_scaling) {
    case LrScalingRule::kNone:
      return 1.0;
    case LrScalingRule::kLinear:
      return ratio;
    case LrScalingRule::kSqrt:
      return std::sqrt(ratio);
  }
  return 1.0;
}

using Overrides = std::vector<std::pair<std::string, YAML::Node>>;  // path -> value

// The trial's schedule mapping: shared keys its type accepts, then the schedule overrides.
absl::StatusOr<YAML::Node> TrialScheduleNode(const YAML::Node& shared,
                                             const Overrides& configuration,
                                             const YamlReader& reader) {
  // Node handles are reassigned through a pointer: assigning to a yaml-cpp node would write
  // through it into the parsed mapping.
  const YAML::Node shared_type = shared["type"];
  const YAML::Node* type_node = &shared_type;
  for (const auto& [path, value] : configuration) {
    if (path == "schedule.type") type_node = &value;
  }
  ASSIGN_OR_RETURN(std::string type_name, reader.String(*type_node, "schedule.type"));
  const std::optional<ScheduleType> type = ParseScheduleTypeName(type_name);
  if (!type) return reader.Error(*type_node, "schedule.type", "unknown schedule type");
  YAML::Node schedule(YAML::NodeType::Map);
  if (shared.IsMap()) {
    for (const auto& entry : shared) {
      const std::string key = entry.first.Scalar();
      if (AcceptsScheduleKey(*type, key)) schedule[key] = entry.second;
    }
  }
  for (const auto& [path, value] : configuration) {
    std::vector<std::string> parts = absl::StrSplit(path, '.');
    if (parts[0] != "schedule") continue;
    schedule.reset(WithOverride(schedule, parts, 1, value));
  }
  return schedule;
}

YAML::Node TrialTrainNode(const YAML::Node& shared, const Overrides& configuration) {
  // reset() rebinds the handle; assignment would write through it into the parsed mapping.
  YAML::Node train;
  train.reset(shared);
  for (const auto& [path, value] : configuration) {
    std::vector<std::string> parts = absl::StrSplit(path, '.');
    if (parts[0] != "train") continue;
    train.reset(WithOverride(train, parts, 1, value));
  }
  return train;
}

// A command trial's working folder, made absolute against the sweep file's folder.
absl::Status ResolveCommandWorkdir(const SweepSpec& sweep, TrainSpec* train) {
  if (!train->command) return absl::OkStatus();
  absl::StatusOr<std::string> workdir = ResolveWorkdir(*train->command, sweep.base_dir);
  if (!workdir.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(sweep.file, ": ", workdir.status().message()));
  }
  train->command->workdir = *workdir;
  return absl::OkStatus();
}

// Where a trial sits in the sweep, and what its relative LR resolves against.
struct TrialPlace {
  int64_t config = 0;
  int64_t seed = 0;
  int64_t index = 0;
  int64_t rung = 0;
  double fraction = 1.0;
  // lr_range_test: the finished range tests; null plans a relative LR with a stand-in pick.
  const RangeTestResults* range_tests = nullptr;
};

// The swept values of a trial for people: a relative LR as "0.3 x steepest".
std::vector<std::pair<std::string, nlohmann::ordered_json>> ParamsOf(const Overrides& overrides) {
  std::vector<std::pair<std::string, nlohmann::ordered_json>> params;
  for (const auto& [path, value] : overrides) {
    if (IsRelativeLr(value)) {
      params.emplace_back(path, absl::StrCat(value["factor"].Scalar(), " x ",
                                             value["range_test"].Scalar()));
    } else {
      params.emplace_back(path, YamlToJson(value));
    }
  }
  return params;
}

// A relative schedule.lr replaced by factor x the pick of the trial's training setup (a stand-in
// pick when no range test has run). FailedPrecondition, saying why, when the pick is missing.
absl::Status ApplyRelativeLr(const SweepSpec& sweep, const YamlReader& reader,
                             const RangeTestResults* range_tests, YAML::Node* schedule,
                             TrialPlan* trial) {
  const YAML::Node lr = (*schedule)["lr"];
  if (!IsRelativeLr(lr) || !sweep.range_test) return absl::OkStatus();
  RelativeLr relative;
  relative.key = trial->setup_key;
  relative.anchor = lr["range_test"].Scalar();
  ASSIGN_OR_RETURN(relative.factor, reader.Double(lr["factor"], "schedule.lr.factors"));
  if (range_tests == nullptr) {
    relative.pick = std::sqrt(sweep.range_test->min_lr * sweep.range_test->max_lr);
    relative.provisional = true;
  } else {
    const auto found = range_tests->find(relative.key);
    if (found == range_tests->end()) {
      return absl::FailedPreconditionError("no range test ran for its training setup");
    }
    const RangeTestResult& result = found->second;
    relative.range_test_trial = result.trial;
    const std::optional<double> pick = result.curve.Pick(relative.anchor);
    if (!pick) {
      return absl::FailedPreconditionError(absl::StrCat(
          "range test trial ", result.trial, " has no ", relative.anchor, " pick: ",
          result.failure.empty() ? result.curve.problem : result.failure));
    }
    relative.pick = *pick;
  }
  schedule->reset(WithOverride(*schedule, {"lr"}, 0, YAML::Node(relative.factor * relative.pick)));
  trial->relative_lr = relative;
  return absl::OkStatus();
}

// The run's length and schedule: shortened to a rung of successive halving, resolved, linted.
absl::Status ResolveTrialRun(ScheduleSpec schedule, TrialPlan* trial) {
  if (trial->horizon_fraction < 1.0) {
    // A rung of successive halving: the run and its schedule shortened together.
    const double fraction = trial->horizon_fraction;
    const int64_t steps = std::max<int64_t>(
        1, std::llround(fraction * static_cast<double>(trial->train.TotalSteps())));
    schedule = ScheduleForFraction(schedule, fraction, trial->train.StepsPerEpoch());
    trial->train.epochs.reset();
    trial->train.steps = steps;
  }
  trial->total_steps = trial->train.TotalSteps();
  trial->steps_per_epoch = trial->train.StepsPerEpoch();
  const Horizon horizon{trial->total_steps, trial->steps_per_epoch};
  trial->warnings = LintSchedule(
      schedule, horizon,
      LintContext{trial->train.optimizer.type, trial->train.EffectiveBatchSize(),
                  trial->train.epochs.has_value()});
  absl::StatusOr<ScheduleSpec> resolved = ResolveSchedule(schedule, horizon);
  if (!resolved.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(resolved.status().message(), " (trial ", trial->index, ")"));
  }
  trial->schedule = *std::move(resolved);
  const int64_t warmup_ticks = trial->schedule.warmup ? *trial->schedule.warmup->steps : 0;
  const int64_t ticks_to_steps =
      trial->schedule.unit == ScheduleUnit::kEpoch ? trial->steps_per_epoch : 1;
  trial->warmup_steps = std::min(trial->total_steps, warmup_ticks * ticks_to_steps);
  return absl::OkStatus();
}

// `root` is a parse of the sweep's text (see Resolve); positions are those of the file.
absl::StatusOr<TrialPlan> PlanTrial(const SweepSpec& sweep, const YAML::Node& root,
                                    const Configuration& configuration, const TrialPlace& place) {
  const YamlReader reader(sweep.file);
  Overrides overrides;
  for (const ValueRef& ref : configuration.values) overrides.emplace_back(ref.path, Resolve(root, ref));
  TrialPlan trial;
  trial.index = place.index;
  trial.config = place.config;
  trial.seed = place.seed;
  trial.rung = place.rung;
  trial.horizon_fraction = place.fraction;
  trial.params = ParamsOf(overrides);
  const YAML::Node train_node = TrialTrainNode(root["train"], overrides);
  ASSIGN_OR_RETURN(trial.train, ParseTrainSpec(train_node, reader, "train", sweep.artifacts));
  RETURN_IF_ERROR(ResolveCommandWorkdir(sweep, &trial.train));
  if (sweep.range_test) trial.setup_key = TrainSetupKey(train_node);
  if (absl::StrContains(sweep.metric.name, "accuracy") && !trial.train.Classification()) {
    return absl::InvalidArgumentError(absl::StrCat(
        sweep.file, ": metric ", sweep.metric.name, " needs class-index targets (integer, one "
        "per example) and a classification loss, but trial ", place.index, " trains with loss ",
        trial.train.loss, " on ", trial.train.data.train_file->path,
        " targets; rank by a loss: metric: {name: val_loss}"));
  }
  const YAML::Node shared_schedule =
      root["schedule"].IsDefined() ? root["schedule"] : YAML::Node(YAML::NodeType::Map);
  ASSIGN_OR_RETURN(YAML::Node schedule_node,
                   TrialScheduleNode(shared_schedule, overrides, reader));
  if (!schedule_node["lr"].IsDefined() && !schedule_node["max_lr"].IsDefined()) {
    // The trial's schedule mapping is assembled, so it has no position: name the grid's.
    const std::string grid = configuration.values.empty() || sweep.grids.empty()
                                 ? sweep.file
                                 : sweep.grids[configuration.values[0].grid].location;
    return absl::InvalidArgumentError(absl::StrCat(
        grid, ": schedule.lr: missing for trial ", place.index, " (", trial.params.empty() ? "" :
        trial.params[0].first + "=" + trial.params[0].second.dump(), "); set schedule.lr in the "
        "shared schedule: mapping or in this grid"));
  }
  RETURN_IF_ERROR(ApplyRelativeLr(sweep, reader, place.range_tests, &schedule_node, &trial));
  ASSIGN_OR_RETURN(ScheduleSpec schedule, ParseScheduleSpec(schedule_node, reader, "schedule"));
  trial.base_lr = schedule.lr;
  // A range test ran at the trial's own batch size: its pick needs no scaling.
  trial.lr = trial.relative_lr ? schedule.lr
                               : schedule.lr * LrScale(sweep, trial.train.EffectiveBatchSize());
  schedule.lr = trial.lr;
  RETURN_IF_ERROR(ResolveTrialRun(std::move(schedule), &trial));
  trial.checkpoint = sweep.checkpoint;
  return trial;
}

std::vector<PlanWarning> GroupWarnings(const std::vector<TrialPlan>& trials) {
  std::vector<PlanWarning> grouped;
  std::map<std::tuple<std::string, std::string, std::string>, size_t> by_place;
  for (const TrialPlan& trial : trials) {
    for (const LintWarning& warning : trial.warnings) {
      const auto key = std::make_tuple(warning.check, warning.key, warning.location);
      auto found = by_place.find(key);
      if (found == by_place.end()) {
        by_place[key] = grouped.size();
        grouped.push_back({warning, {trial.index}});
      } else {
        grouped[found->second].trials.push_back(trial.index);
      }
    }
  }
  return grouped;
}

}  // namespace

int64_t CountTrials(const SweepSpec& sweep) {
  int64_t configurations = 0;
  if (sweep.method == SweepMethod::kRandom) {
    configurations = sweep.count;
  } else if (sweep.method == SweepMethod::kTpe) {
    configurations = std::min(sweep.count, sweep.n_startup_trials);
  } else if (sweep.grids.empty()) {
    configurations = 1;
  } else {
    for (const ParameterGrid& grid : sweep.grids) {
      const int64_t size = GridSize(grid);
      configurations = size > std::numeric_limits<int64_t>::max() - configurations
                           ? std::numeric_limits<int64_t>::max()
                           : configurations + size;
    }
  }
  return SaturatingMultiply(configurations, static_cast<int64_t>(sweep.seeds.size()));
}

namespace {

absl::Status CheckTrialCount(const SweepSpec& sweep) {
  const int64_t most = sweep.method == SweepMethod::kTpe
                           ? SaturatingMultiply(sweep.count,
                                                static_cast<int64_t>(sweep.seeds.size()))
                           : CountTrials(sweep);
  if (most <= sweep.max_trials) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      sweep.file, ": parameters: the sweep expands to ",
      most == std::numeric_limits<int64_t>::max() ? "more than 9e18" : std::to_string(most),
      " trials, over max_trials (", sweep.max_trials,
      "). Narrow the grid, use method: random with a count, or raise max_trials."));
}

// The configurations the plan starts with, in order.
std::vector<Configuration> InitialConfigurations(const SweepSpec& sweep) {
  if (sweep.method == SweepMethod::kRandom) return RandomConfigurations(sweep, sweep.count);
  if (sweep.method == SweepMethod::kTpe) {
    return RandomConfigurations(sweep, std::min(sweep.count, sweep.n_startup_trials));
  }
  return GridConfigurations(sweep);
}

// Plans every configuration's trials (seeds innermost), numbered from `place.index`. With
// finished range tests, a configuration whose pick is missing is left out into plan->skipped.
absl::Status PlanConfigurations(const SweepSpec& sweep,
                                const std::vector<Configuration>& configurations,
                                TrialPlace place, SweepPlan* plan) {
  YAML::Node root;
  int64_t parsed_for = 0;
  for (size_t c = 0; c < configurations.size(); ++c) {
    place.config = static_cast<int64_t>(c);
    for (int64_t seed : sweep.seeds) {
      if (parsed_for++ % static_cast<int64_t>(kTrialsPerParse) == 0) {
        root.reset(YAML::Load(sweep.text));
      }
      place.seed = seed;
      absl::StatusOr<TrialPlan> trial = PlanTrial(sweep, root, configurations[c], place);
      if (absl::IsFailedPrecondition(trial.status()) && place.range_tests != nullptr) {
        plan->skipped.push_back(absl::StrCat("configuration ", c, ": ", trial.status().message()));
        break;  // its other seeds share the training setup and the pick
      }
      if (!trial.ok()) return trial.status();
      if (sweep.method == SweepMethod::kTpe) {  // TPE learns which grid each came from
        const std::vector<ValueRef>& values = configurations[c].values;
        trial->grid = values.empty() ? 0 : static_cast<int64_t>(values[0].grid);
      }
      plan->trials.push_back(*std::move(trial));
      ++place.index;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SweepPlan> PlanSweep(const SweepSpec& sweep, int64_t rung) {
  const std::vector<double> fractions = RungFractions(sweep);
  if (rung < 0 || rung >= static_cast<int64_t>(fractions.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat(sweep.file, ": no rung ", rung, " (the sweep has ", fractions.size(), ")"));
  }
  RETURN_IF_ERROR(CheckTrialCount(sweep));
  SweepPlan plan;
  plan.trials.reserve(static_cast<size_t>(CountTrials(sweep)));
  TrialPlace place;
  place.rung = rung;
  place.fraction = fractions[static_cast<size_t>(rung)];
  RETURN_IF_ERROR(PlanConfigurations(sweep, InitialConfigurations(sweep), place, &plan));
  if (!sweep.range_test) {
    plan.warnings = GroupWarnings(plan.trials);
    return plan;
  }
  // The range tests come first; the trials after them are numbered as they will be.
  ASSIGN_OR_RETURN(std::vector<TrialPlan> tests, PlanRangeTestTrials(sweep, plan.trials));
  for (TrialPlan& trial : plan.trials) trial.index += static_cast<int64_t>(tests.size());
  plan.warnings = GroupWarnings(plan.trials);
  plan.after_range_test = std::move(plan.trials);
  plan.trials = std::move(tests);
  return plan;
}

absl::StatusOr<SweepPlan> PlanSweepAfterRangeTest(const SweepSpec& sweep,
                                                  const RangeTestResults& results,
                                                  int64_t first_index) {
  SweepPlan plan;
  TrialPlace place;
  place.index = first_index;
  place.range_tests = &results;
  RETURN_IF_ERROR(PlanConfigurations(sweep, InitialConfigurations(sweep), place, &plan));
  plan.warnings = GroupWarnings(plan.trials);
  return plan;
}

absl::StatusOr<std::vector<TrialPlan>> PlanChosenConfiguration(const SweepSpec& sweep,
                                                                const ChosenConfiguration& chosen,
                                                                int64_t config,
                                                                int64_t first_index) {
  if (chosen.grid >= std::max<size_t>(1, sweep.grids.size())) {
    return absl::InvalidArgumentError(absl::StrCat("no grid ", chosen.grid, " in ", sweep.file));
  }
  Configuration configuration;
  if (!sweep.grids.empty()) {
    const ParameterGrid& grid = sweep.grids[chosen.grid];
    if (chosen.values.size() != grid.axes.size()) {
      return absl::InvalidArgumentError(absl::StrCat("grid ", chosen.grid, " has ",
                                                     grid.axes.size(), " parameters, not ",
                                                     chosen.values.size()));
    }
    for (size_t a = 0; a < grid.axes.size(); ++a) {
      const ParameterAxis& axis = grid.axes[a];
      const ChosenValue& value = chosen.values[a];
      ValueRef ref{axis.path, chosen.grid, value.index, std::nullopt, ""};
      if (value.number) {
        const bool integer = axis.distribution &&
                             axis.distribution->kind == Distribution::Kind::kIntUniform;
        ref.sampled = integer ? std::to_string(std::llround(*value.number))
                              : NumberText(*value.number);
      }
      configuration.values.push_back(std::move(ref));
    }
  }
  const YAML::Node root = YAML::Load(sweep.text);
  std::vector<TrialPlan> trials;
  for (int64_t seed : sweep.seeds) {
    TrialPlace place;
    place.config = config;
    place.seed = seed;
    place.index = first_index + static_cast<int64_t>(trials.size());
    ASSIGN_OR_RETURN(TrialPlan trial, PlanTrial(sweep, root, configuration, place));
    trial.grid = static_cast<int64_t>(chosen.grid);
    trial.suggested = true;
    trials.push_back(std::move(trial));
  }
  return trials;
}

nlohmann::ordered_json TrialPlanToJson(const TrialPlan& trial) {
  nlohmann::ordered_json params = nlohmann::ordered_json::object();
  for (const auto& [path, value] : trial.params) params[path] = value;
  nlohmann::ordered_json out;
  out["trial"] = trial.index;
  out["config"] = trial.config;
  out["seed"] = trial.seed;
  out["params"] = params;
  out["batch_size"] = trial.train.batch_size;
  out["effective_batch_size"] = trial.train.EffectiveBatchSize();
  out["base_lr"] = trial.base_lr;
  out["lr"] = trial.lr;
  out["total_steps"] = trial.total_steps;
  out["steps_per_epoch"] = trial.steps_per_epoch;
  out["warmup_steps"] = trial.warmup_steps;
  if (trial.grid >= 0) out["grid"] = trial.grid;
  if (trial.suggested) out["suggested"] = true;
  if (trial.rung > 0 || trial.horizon_fraction < 1.0) {
    out["rung"] = trial.rung;
    out["horizon_fraction"] = trial.horizon_fraction;
  }
  if (trial.range_test) out["range_test"] = RangeTestTrialToJson(*trial.range_test);
  if (trial.relative_lr) out["relative_lr"] = RelativeLrToJson(*trial.relative_lr);
  out["schedule"] = ScheduleSpecToJson(trial.schedule);
  out["train"] = TrainSpecToJson(trial.train);
  const ArtifactManifest artifacts = UsedArtifacts(trial.train);
  if (!artifacts.empty()) {
    nlohmann::ordered_json files = nlohmann::ordered_json::object();
    for (const auto& [path, ref] : artifacts) files[path] = ArtifactRefToJson(ref);
    out["artifacts"] = files;
  }
  out["checkpoint"] = {{"every_steps", trial.checkpoint.every_steps},
                       {"every_minutes", trial.checkpoint.every_minutes},
                       {"keep", trial.checkpoint.keep}};
  return out;
}

TrialRecord NewTrialRecord(const TrialPlan& planned) {
  TrialRecord trial;
  trial.trial = planned.index;
  trial.config = planned.config;
  trial.seed = planned.seed;
  const nlohmann::ordered_json json = TrialPlanToJson(planned);
  trial.plan_json = json.dump();
  trial.params_json = json["params"].dump();
  trial.total_steps = planned.total_steps;
  trial.lr = planned.lr;
  return trial;
}

std::string FormatPlanWarning(const PlanWarning& warning, int64_t total_trials) {
  std::string trials;
  const std::vector<int64_t>& list = warning.trials;
  if (static_cast<int64_t>(list.size()) == total_trials) {
    trials = "all trials";
  } else if (list.size() <= 6) {
    trials = absl::StrCat(list.size() == 1 ? "trial " : "trials ", absl::StrJoin(list, ", "));
  } else {
    trials = absl::StrCat(list.size(), " of ", total_trials, " trials, e.g. ", list[0], ", ",
                          list[1], ", ", list[2]);
  }
  return absl::StrCat(FormatLintWarning(warning.warning), " (", trials, ")");
}

}  // namespace lrsweep
