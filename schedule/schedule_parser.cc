#include "schedule/schedule_parser.h"

#include <cmath>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/suggest.h"

namespace lrsweep {
namespace {

// Reads the keys of one schedule mapping, remembering where each came from.
class SpecReader {
 public:
  SpecReader(const YAML::Node& node, const YamlReader& reader, absl::string_view path,
             ScheduleSpec* spec)
      : node_(node), reader_(reader), path_(path), spec_(spec) {}

  bool Has(const std::string& key) const { return node_[key].IsDefined(); }
  std::string PathOf(const std::string& key) const { return JoinPath(path_, key); }

  absl::Status Error(const std::string& key, absl::string_view message) const {
    return reader_.Error(node_[key], PathOf(key), message);
  }

  // Reads `key` into `out` when present; `check` returns "" or a reason the value is invalid.
  absl::Status Number(const std::string& key, double* out,
                      const std::function<std::string(double)>& check) {
    if (!Has(key)) return absl::OkStatus();
    ASSIGN_OR_RETURN(*out, reader_.Double(node_[key], PathOf(key)));
    if (!std::isfinite(*out)) return Error(key, absl::StrCat("must be finite, got ", *out));
    if (std::string why = check(*out); !why.empty()) {
      return Error(key, absl::StrCat(why, ", got ", node_[key].Scalar()));
    }
    Remember(key);
    return absl::OkStatus();
  }

  absl::Status Integer(const std::string& key, int64_t* out, int64_t minimum) {
    if (!Has(key)) return absl::OkStatus();
    ASSIGN_OR_RETURN(*out, reader_.Int(node_[key], PathOf(key)));
    if (*out < minimum) {
      return Error(key, absl::StrCat("must be at least ", minimum, ", got ", *out));
    }
    Remember(key);
    return absl::OkStatus();
  }

  absl::Status OptionalInteger(const std::string& key, std::optional<int64_t>* out,
                               int64_t minimum) {
    if (!Has(key)) return absl::OkStatus();
    int64_t value = 0;
    RETURN_IF_ERROR(Integer(key, &value, minimum));
    *out = value;
    return absl::OkStatus();
  }

  absl::Status Boolean(const std::string& key, bool* out) {
    if (!Has(key)) return absl::OkStatus();
    ASSIGN_OR_RETURN(*out, reader_.Bool(node_[key], PathOf(key)));
    Remember(key);
    return absl::OkStatus();
  }

  // Reads one of `names` and stores the matching value of `values`.
  template <typename Enum>
  absl::Status Choice(const std::string& key, const std::vector<std::string>& names,
                      const std::vector<Enum>& values, Enum* out) {
    if (!Has(key)) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::string text, reader_.String(node_[key], PathOf(key)));
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == text) {
        *out = values[i];
        Remember(key);
        return absl::OkStatus();
      }
    }
    return Error(key, absl::StrCat("unknown value '", text, "'.", DidYouMean(text, names)));
  }

  void Remember(const std::string& key) {
    spec_->explicit_keys.push_back(key);
    spec_->locations[key] = reader_.Location(node_[key]);
  }

  const YamlReader& reader() const { return reader_; }
  const YAML::Node& node() const { return node_; }

 private:
  YAML::Node node_;
  const YamlReader& reader_;
  std::string path_;
  ScheduleSpec* spec_;
};

std::string Positive(double v) { return v > 0 ? "" : "must be greater than 0"; }
std::string NonNegative(double v) { return v >= 0 ? "" : "must be 0 or more"; }
std::string UnitInterval(double v) { return v >= 0 && v <= 1 ? "" : "must be in [0, 1]"; }
std::string OpenUnitInterval(double v) { return v > 0 && v < 1 ? "" : "must be in (0, 1)"; }

const std::vector<std::string> kWsdShapeNames = {"linear", "cosine", "1-sqrt"};
const std::vector<WsdShape> kWsdShapes = {WsdShape::kLinear, WsdShape::kCosine,
                                          WsdShape::kOneMinusSqrt};

absl::Status ParseWarmup(const YamlReader& reader, const YAML::Node& node, absl::string_view path,
                         ScheduleSpec* spec) {
  const std::string warmup_path = JoinPath(path, "warmup");
  RETURN_IF_ERROR(
      reader.CheckKeys(node, warmup_path, {"steps", "fraction", "start_factor", "shape"}));
  WarmupSpec warmup;
  ScheduleSpec scratch;  // collects explicit keys and locations under "warmup."
  SpecReader keys(node, reader, warmup_path, &scratch);
  if (keys.Has("steps") && keys.Has("fraction")) {
    return keys.Error("fraction", "give warmup.steps or warmup.fraction, not both");
  }
  if (!keys.Has("steps") && !keys.Has("fraction")) {
    return reader.Error(node, warmup_path,
                        "needs 'steps: N' or 'fraction: f' (e.g. warmup: {fraction: 0.05})");
  }
  if (keys.Has("steps")) {
    int64_t steps = 0;
    RETURN_IF_ERROR(keys.Integer("steps", &steps, 0));
    warmup.steps = steps;
  }
  if (keys.Has("fraction")) {
    double fraction = 0;
    RETURN_IF_ERROR(keys.Number("fraction", &fraction, [](double v) {
      return v >= 0 && v < 1 ? "" : "must be in [0, 1)";
    }));
    warmup.fraction = fraction;
  }
  RETURN_IF_ERROR(keys.Choice<WarmupShape>("shape", {"linear", "constant"},
                                           {WarmupShape::kLinear, WarmupShape::kConstant},
                                           &warmup.shape));
  if (warmup.shape == WarmupShape::kConstant) {
    if (!keys.Has("start_factor")) {
      return keys.Error("shape", "a constant warmup holds the LR at start_factor x lr: give "
                                 "start_factor (ConstantLR's factor, e.g. 0.333)");
    }
    RETURN_IF_ERROR(keys.Number("start_factor", &warmup.start_factor, [](double v) {
      return v > 0 && v <= 1 ? "" : "must be in (0, 1] for a constant warmup (as ConstantLR's "
                                    "factor)";
    }));
  } else {
    RETURN_IF_ERROR(keys.Number("start_factor", &warmup.start_factor, UnitInterval));
  }
  for (const std::string& key : scratch.explicit_keys) {
    spec->explicit_keys.push_back("warmup." + key);
    spec->locations["warmup." + key] = scratch.locations[key];
  }
  spec->warmup = warmup;
  return absl::OkStatus();
}

// Reads `milestones`: increasing ticks, each at least `minimum`.
absl::Status ParseMilestones(SpecReader& keys, ScheduleSpec* spec, int64_t minimum) {
  ASSIGN_OR_RETURN(spec->milestones, keys.reader().IntList(keys.node()["milestones"],
                                                           keys.PathOf("milestones")));
  for (size_t i = 0; i < spec->milestones.size(); ++i) {
    if (spec->milestones[i] < minimum) {
      return keys.Error("milestones", absl::StrCat("milestones must be >= ", minimum));
    }
    if (i > 0 && spec->milestones[i] <= spec->milestones[i - 1]) {
      return keys.Error("milestones",
                        absl::StrCat("milestones must be sorted in increasing order, but ",
                                     spec->milestones[i], " follows ",
                                     spec->milestones[i - 1]));
    }
  }
  keys.Remember("milestones");
  return absl::OkStatus();
}

absl::Status ParseMultiStep(SpecReader& keys, ScheduleSpec* spec) {
  if (!keys.Has("milestones")) {
    return keys.reader().Error(keys.node(), keys.PathOf("milestones"),
                               "multistep needs milestones (a sorted list of ticks)");
  }
  RETURN_IF_ERROR(ParseMilestones(keys, spec, 0));
  return keys.Number("gamma", &spec->gamma, Positive);
}

// cycle_momentum, base_momentum and max_momentum: onecycle's and cyclic's momentum range.
absl::Status ParseMomentumCycle(SpecReader& keys, ScheduleSpec* spec) {
  RETURN_IF_ERROR(keys.Boolean("cycle_momentum", &spec->cycle_momentum));
  RETURN_IF_ERROR(keys.Number("base_momentum", &spec->base_momentum, UnitInterval));
  RETURN_IF_ERROR(keys.Number("max_momentum", &spec->max_momentum, UnitInterval));
  if (spec->base_momentum > spec->max_momentum) {
    return keys.Error("base_momentum",
                      absl::StrCat("must not exceed max_momentum (", spec->max_momentum, ")"));
  }
  return absl::OkStatus();
}

absl::Status ParseOneCycle(SpecReader& keys, ScheduleSpec* spec) {
  RETURN_IF_ERROR(keys.Number("pct_start", &spec->pct_start, OpenUnitInterval));
  RETURN_IF_ERROR(keys.Choice<AnnealStrategy>("anneal_strategy", {"cos", "linear"},
                                              {AnnealStrategy::kCos, AnnealStrategy::kLinear},
                                              &spec->anneal_strategy));
  RETURN_IF_ERROR(keys.Number("div_factor", &spec->div_factor, Positive));
  RETURN_IF_ERROR(keys.Number("final_div_factor", &spec->final_div_factor, Positive));
  RETURN_IF_ERROR(keys.Boolean("three_phase", &spec->three_phase));
  return ParseMomentumCycle(keys, spec);
}

absl::Status ParseWsd(SpecReader& keys, ScheduleSpec* spec) {
  RETURN_IF_ERROR(keys.Integer("warmup_steps", &spec->warmup_steps, 0));
  RETURN_IF_ERROR(keys.OptionalInteger("stable_steps", &spec->stable_steps, 0));
  RETURN_IF_ERROR(keys.OptionalInteger("decay_steps", &spec->decay_steps, 0));
  if (!spec->stable_steps && !spec->decay_steps) {
    return keys.reader().Error(
        keys.node(), keys.PathOf("decay_steps"),
        "wsd needs decay_steps (or stable_steps); the decay is commonly 10-20% of training");
  }
  RETURN_IF_ERROR(keys.Choice("warmup_type", kWsdShapeNames, kWsdShapes, &spec->warmup_type));
  RETURN_IF_ERROR(keys.Choice("decay_type", kWsdShapeNames, kWsdShapes, &spec->decay_type));
  RETURN_IF_ERROR(keys.Number("min_lr_ratio", &spec->min_lr_ratio, UnitInterval));
  return keys.Number("num_cycles", &spec->num_cycles, Positive);
}

absl::Status ParsePlateau(SpecReader& keys, ScheduleSpec* spec) {
  RETURN_IF_ERROR(keys.Choice<PlateauMode>("mode", {"min", "max"},
                                           {PlateauMode::kMin, PlateauMode::kMax},
                                           &spec->mode));
  RETURN_IF_ERROR(keys.Number("factor", &spec->factor, [](double v) {
    return v > 0 && v < 1 ? "" : "must be in (0, 1) (the LR is multiplied by it)";
  }));
  RETURN_IF_ERROR(keys.Integer("patience", &spec->patience, 0));
  RETURN_IF_ERROR(keys.Number("threshold", &spec->threshold, NonNegative));
  RETURN_IF_ERROR(keys.Choice<ThresholdMode>("threshold_mode", {"rel", "abs"},
                                             {ThresholdMode::kRel, ThresholdMode::kAbs},
                                             &spec->threshold_mode));
  RETURN_IF_ERROR(keys.Integer("cooldown", &spec->cooldown, 0));
  RETURN_IF_ERROR(keys.Number("min_lr", &spec->min_lr, NonNegative));
  return keys.Number("eps", &spec->eps, NonNegative);
}

absl::Status ParseCyclic(SpecReader& keys, ScheduleSpec* spec) {
  // CyclicLR's defaults where they differ from the keys' defaults of other types.
  spec->gamma = 1.0;
  spec->base_momentum = 0.8;
  spec->max_momentum = 0.9;
  if (!keys.Has("base_lr")) {
    return keys.reader().Error(keys.node(), keys.PathOf("base_lr"),
                               "cyclic needs base_lr (the bottom of each cycle; lr is the top)");
  }
  RETURN_IF_ERROR(keys.Number("base_lr", &spec->base_lr, NonNegative));
  if (spec->base_lr >= spec->lr) {
    return keys.Error("base_lr", absl::StrCat("must be below lr (", spec->lr, "), the top of "
                                              "each cycle"));
  }
  RETURN_IF_ERROR(keys.Integer("step_size_up", &spec->step_size_up, 1));
  RETURN_IF_ERROR(keys.OptionalInteger("step_size_down", &spec->step_size_down, 1));
  RETURN_IF_ERROR(keys.Choice<CyclicMode>(
      "mode", {"triangular", "triangular2", "exp_range"},
      {CyclicMode::kTriangular, CyclicMode::kTriangular2, CyclicMode::kExpRange},
      &spec->cyclic_mode));
  RETURN_IF_ERROR(keys.Number("gamma", &spec->gamma, [](double v) {
    return v > 0 && v <= 1 ? "" : "must be in (0, 1] (exp_range multiplies the amplitude by "
                                  "gamma every tick)";
  }));
  return ParseMomentumCycle(keys, spec);
}

absl::Status ParseSequential(SpecReader& keys, ScheduleSpec* spec);

// cosine_restarts: t_0 (and t_mult), PyTorch's form, or num_cycles, HuggingFace's.
absl::Status ParseRestarts(SpecReader& keys, ScheduleSpec* spec) {
  if (keys.Has("num_cycles")) {
    for (const char* torch_key : {"t_0", "t_mult"}) {
      if (keys.Has(torch_key)) {
        return keys.Error(torch_key, "give t_0 (and t_mult) or num_cycles, not both: num_cycles "
                                     "splits the run into equal cycles");
      }
    }
    spec->num_cycles = 1.0;  // HF's default
    spec->t_0 = 0;
    return keys.Number("num_cycles", &spec->num_cycles, Positive);
  }
  if (!keys.Has("t_0")) {
    return keys.reader().Error(keys.node(), keys.PathOf("t_0"),
                               "cosine_restarts needs t_0 (ticks in the first cycle) or "
                               "num_cycles (equal cycles over the run, as HF's hard restarts)");
  }
  RETURN_IF_ERROR(keys.Integer("t_0", &spec->t_0, 1));
  return keys.Integer("t_mult", &spec->t_mult, 1);
}

absl::Status ParseTypeParameters(SpecReader& keys, ScheduleSpec* spec) {
  switch (spec->type) {
    case ScheduleType::kConstant:
      return absl::OkStatus();
    case ScheduleType::kStep:
      if (!keys.Has("step_size")) {
        return keys.reader().Error(keys.node(), keys.PathOf("step_size"),
                                   "step needs step_size (ticks between drops)");
      }
      RETURN_IF_ERROR(keys.Integer("step_size", &spec->step_size, 1));
      return keys.Number("gamma", &spec->gamma, Positive);
    case ScheduleType::kMultiStep:
      return ParseMultiStep(keys, spec);
    case ScheduleType::kExponential:
      if (!keys.Has("gamma")) {
        return keys.reader().Error(keys.node(), keys.PathOf("gamma"),
                                   "exponential needs gamma (the factor per tick, e.g. 0.95)");
      }
      return keys.Number("gamma", &spec->gamma, Positive);
    case ScheduleType::kCosine:
      RETURN_IF_ERROR(keys.OptionalInteger("t_max", &spec->t_max, 1));
      return keys.Number("eta_min", &spec->eta_min, NonNegative);
    case ScheduleType::kCosineRestarts:
      RETURN_IF_ERROR(ParseRestarts(keys, spec));
      return keys.Number("eta_min", &spec->eta_min, NonNegative);
    case ScheduleType::kOneCycle:
      return ParseOneCycle(keys, spec);
    case ScheduleType::kLinear:
      RETURN_IF_ERROR(keys.Number("start_factor", &spec->start_factor, [](double v) {
        return v > 0 && v <= 1 ? "" : "must be in (0, 1] (as in torch LinearLR)";
      }));
      RETURN_IF_ERROR(keys.Number("end_factor", &spec->end_factor, UnitInterval));
      return keys.OptionalInteger("total_iters", &spec->total_iters, 1);
    case ScheduleType::kPolynomial:
      RETURN_IF_ERROR(keys.OptionalInteger("total_iters", &spec->total_iters, 1));
      return keys.Number("power", &spec->power, Positive);
    case ScheduleType::kInverseSqrt:
      RETURN_IF_ERROR(keys.Integer("warmup_steps", &spec->warmup_steps, 0));
      return keys.OptionalInteger("timescale", &spec->timescale, 1);
    case ScheduleType::kWsd:
      return ParseWsd(keys, spec);
    case ScheduleType::kPlateau:
      return ParsePlateau(keys, spec);
    case ScheduleType::kCyclic:
      return ParseCyclic(keys, spec);
    case ScheduleType::kSequential:
      return ParseSequential(keys, spec);
  }
  return absl::OkStatus();
}

// The `type:` of the mapping at `path`, with the closest valid name on a typo.
absl::StatusOr<ScheduleType> ParseScheduleType(const YAML::Node& node, const YamlReader& reader,
                                               absl::string_view path) {
  const std::string type_path = JoinPath(path, "type");
  if (!node["type"].IsDefined()) {
    return reader.Error(node, type_path,
                        absl::StrCat("missing; one of: ", absl::StrJoin(ScheduleTypeNames(), ", ")));
  }
  ASSIGN_OR_RETURN(std::string type_name, reader.String(node["type"], type_path));
  std::optional<ScheduleType> type = ParseScheduleTypeName(type_name);
  if (!type) {
    return reader.Error(node["type"], type_path,
                        absl::StrCat("unknown schedule type '", type_name, "'.",
                                     DidYouMean(type_name, ScheduleTypeNames())));
  }
  return *type;
}

// One entry of a sequential schedule's `schedules:`: a schedule without lr or unit, which it
// takes from the sequential schedule when resolved.
absl::StatusOr<ScheduleSpec> ParseSegment(const YAML::Node& node, const YamlReader& reader,
                                          absl::string_view path) {
  RETURN_IF_ERROR(reader.RequireMap(node, path));
  ASSIGN_OR_RETURN(const ScheduleType type, ParseScheduleType(node, reader, path));
  for (const char* shared : {"lr", "max_lr", "unit"}) {
    if (node[shared].IsDefined()) {
      return reader.Error(node[shared], JoinPath(path, shared),
                          "a segment runs at the sequential schedule's lr and unit (SequentialLR "
                          "has one base LR): set them on the sequential schedule, and scale a "
                          "segment with its own factors (e.g. linear's start_factor)");
    }
  }
  if (type == ScheduleType::kPlateau || type == ScheduleType::kCyclic ||
      type == ScheduleType::kSequential) {
    return reader.Error(node["type"], JoinPath(path, "type"),
                        absl::StrCat(ScheduleTypeName(type), " cannot be a segment of a "
                                     "sequential schedule (", type == ScheduleType::kSequential
                                         ? "list its segments in this one instead"
                                         : "its LR does not follow the shared base LR",
                                     ")"));
  }
  ScheduleSpec spec;
  spec.type = type;
  spec.key_path = std::string(path);
  RETURN_IF_ERROR(reader.CheckKeys(node, path, AcceptedScheduleKeys(type)));
  SpecReader keys(node, reader, path, &spec);
  keys.Remember("type");
  if (keys.Has("warmup")) RETURN_IF_ERROR(ParseWarmup(reader, node["warmup"], path, &spec));
  RETURN_IF_ERROR(ParseTypeParameters(keys, &spec));
  if (type == ScheduleType::kOneCycle && spec.cycle_momentum) {
    return reader.Error(node, JoinPath(path, "cycle_momentum"),
                        "a onecycle segment must set cycle_momentum: false (the momentum would "
                        "jump at the milestones)");
  }
  return spec;
}

absl::Status ParseSequential(SpecReader& keys, ScheduleSpec* spec) {
  const YAML::Node list = keys.node()["schedules"];
  if (!list.IsDefined() || !list.IsSequence() || list.size() == 0) {
    return keys.reader().Error(list.IsDefined() ? list : keys.node(), keys.PathOf("schedules"),
                               "sequential needs schedules: a list of schedules to run in turn, "
                               "e.g. [{type: linear, start_factor: 0.1, total_iters: 100}, "
                               "{type: cosine}]");
  }
  for (size_t i = 0; i < list.size(); ++i) {
    ASSIGN_OR_RETURN(ScheduleSpec segment,
                     ParseSegment(list[i], keys.reader(),
                                  absl::StrCat(keys.PathOf("schedules"), "[", i, "]")));
    spec->segments.push_back(std::move(segment));
  }
  keys.Remember("schedules");
  if (keys.Has("milestones")) RETURN_IF_ERROR(ParseMilestones(keys, spec, 1));
  if (spec->milestones.size() + 1 != spec->segments.size()) {
    return keys.reader().Error(
        keys.Has("milestones") ? keys.node()["milestones"] : keys.node(),
        keys.PathOf("milestones"),
        absl::StrCat(spec->segments.size(), " schedules need ", spec->segments.size() - 1,
                     " milestones (the tick where each schedule after the first starts), got ",
                     spec->milestones.size()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ScheduleSpec> ParseScheduleSpec(const YAML::Node& node, const YamlReader& reader,
                                               absl::string_view path) {
  RETURN_IF_ERROR(reader.RequireMap(node, path));
  ScheduleSpec spec;
  ASSIGN_OR_RETURN(spec.type, ParseScheduleType(node, reader, path));
  spec.key_path = std::string(path);
  spec.unit = spec.type == ScheduleType::kPlateau ? ScheduleUnit::kEpoch : ScheduleUnit::kStep;
  RETURN_IF_ERROR(reader.CheckKeys(node, path, AcceptedScheduleKeys(spec.type)));

  SpecReader keys(node, reader, path, &spec);
  keys.Remember("type");
  const bool peak_named_max_lr =
      spec.type == ScheduleType::kOneCycle || spec.type == ScheduleType::kCyclic;
  if (peak_named_max_lr && keys.Has("max_lr")) {
    double max_lr = 0;
    RETURN_IF_ERROR(keys.Number("max_lr", &max_lr, Positive));
    if (keys.Has("lr")) {
      RETURN_IF_ERROR(keys.Number("lr", &spec.lr, Positive));
      if (spec.lr != max_lr) {
        return keys.Error("max_lr", absl::StrCat(ScheduleTypeName(spec.type),
                                                 "'s max_lr is its lr; they differ (", max_lr,
                                                 " vs ", spec.lr, "). Give only one."));
      }
    }
    spec.lr = max_lr;
    keys.Remember("lr");
    spec.locations["lr"] = spec.locations["max_lr"];
  } else {
    if (!keys.Has("lr")) {
      return reader.Error(node, JoinPath(path, "lr"),
                          "missing; every schedule needs lr (its base or peak learning rate)");
    }
    RETURN_IF_ERROR(keys.Number("lr", &spec.lr, Positive));
  }
  RETURN_IF_ERROR(keys.Choice<ScheduleUnit>("unit", {"step", "epoch"},
                                            {ScheduleUnit::kStep, ScheduleUnit::kEpoch},
                                            &spec.unit));
  if (keys.Has("warmup")) RETURN_IF_ERROR(ParseWarmup(reader, node["warmup"], path, &spec));
  RETURN_IF_ERROR(ParseTypeParameters(keys, &spec));
  return spec;
}

absl::StatusOr<ScheduleSpec> LoadScheduleFile(const std::string& file) {
  ASSIGN_OR_RETURN(YAML::Node root, LoadYamlFile(file));
  YamlReader reader(file);
  RETURN_IF_ERROR(reader.CheckKeys(root, "", {"schedule"}));
  if (!root["schedule"].IsDefined()) {
    return reader.Error(root, "schedule", "missing; a schedule file has a top-level 'schedule:'");
  }
  return ParseScheduleSpec(root["schedule"], reader, "schedule");
}

namespace {

void SetIfPresent(nlohmann::ordered_json& out, const char* key,
                  const std::optional<int64_t>& value) {
  if (value) out[key] = *value;
}

void OneCycleToJson(const ScheduleSpec& spec, nlohmann::ordered_json& out) {
  out["pct_start"] = spec.pct_start;
  out["anneal_strategy"] = spec.anneal_strategy == AnnealStrategy::kCos ? "cos" : "linear";
  out["div_factor"] = spec.div_factor;
  out["final_div_factor"] = spec.final_div_factor;
  out["three_phase"] = spec.three_phase;
  out["cycle_momentum"] = spec.cycle_momentum;
  out["base_momentum"] = spec.base_momentum;
  out["max_momentum"] = spec.max_momentum;
}

void WsdToJson(const ScheduleSpec& spec, nlohmann::ordered_json& out) {
  out["warmup_steps"] = spec.warmup_steps;
  SetIfPresent(out, "stable_steps", spec.stable_steps);
  SetIfPresent(out, "decay_steps", spec.decay_steps);
  out["warmup_type"] = WsdShapeName(spec.warmup_type);
  out["decay_type"] = WsdShapeName(spec.decay_type);
  out["min_lr_ratio"] = spec.min_lr_ratio;
  out["num_cycles"] = spec.num_cycles;
}

void PlateauToJson(const ScheduleSpec& spec, nlohmann::ordered_json& out) {
  out["mode"] = spec.mode == PlateauMode::kMin ? "min" : "max";
  out["factor"] = spec.factor;
  out["patience"] = spec.patience;
  out["threshold"] = spec.threshold;
  out["threshold_mode"] = spec.threshold_mode == ThresholdMode::kRel ? "rel" : "abs";
  out["cooldown"] = spec.cooldown;
  out["min_lr"] = spec.min_lr;
  out["eps"] = spec.eps;
}

void CyclicToJson(const ScheduleSpec& spec, nlohmann::ordered_json& out) {
  out["base_lr"] = spec.base_lr;
  out["step_size_up"] = spec.step_size_up;
  SetIfPresent(out, "step_size_down", spec.step_size_down);
  out["mode"] = spec.cyclic_mode == CyclicMode::kTriangular    ? "triangular"
                : spec.cyclic_mode == CyclicMode::kTriangular2 ? "triangular2"
                                                               : "exp_range";
  out["gamma"] = spec.gamma;
  out["cycle_momentum"] = spec.cycle_momentum;
  out["base_momentum"] = spec.base_momentum;
  out["max_momentum"] = spec.max_momentum;
}

// The type's own parameters, as ParseTypeParameters reads them.
void TypeParametersToJson(const ScheduleSpec& spec, nlohmann::ordered_json& out) {
  switch (spec.type) {
    case ScheduleType::kConstant:
      break;
    case ScheduleType::kStep:
      out["step_size"] = spec.step_size;
      out["gamma"] = spec.gamma;
      break;
    case ScheduleType::kMultiStep:
      out["milestones"] = spec.milestones;
      out["gamma"] = spec.gamma;
      break;
    case ScheduleType::kExponential:
      out["gamma"] = spec.gamma;
      break;
    case ScheduleType::kCosine:
      SetIfPresent(out, "t_max", spec.t_max);
      out["eta_min"] = spec.eta_min;
      break;
    case ScheduleType::kCosineRestarts:
      if (spec.t_0 > 0) {
        out["t_0"] = spec.t_0;
        out["t_mult"] = spec.t_mult;
      } else {
        out["num_cycles"] = spec.num_cycles;
      }
      out["eta_min"] = spec.eta_min;
      break;
    case ScheduleType::kOneCycle:
      OneCycleToJson(spec, out);
      break;
    case ScheduleType::kLinear:
      out["start_factor"] = spec.start_factor;
      out["end_factor"] = spec.end_factor;
      SetIfPresent(out, "total_iters", spec.total_iters);
      break;
    case ScheduleType::kPolynomial:
      SetIfPresent(out, "total_iters", spec.total_iters);
      out["power"] = spec.power;
      break;
    case ScheduleType::kInverseSqrt:
      out["warmup_steps"] = spec.warmup_steps;
      SetIfPresent(out, "timescale", spec.timescale);
      break;
    case ScheduleType::kWsd:
      WsdToJson(spec, out);
      break;
    case ScheduleType::kPlateau:
      PlateauToJson(spec, out);
      break;
    case ScheduleType::kSequential:
      out["schedules"] = nlohmann::ordered_json::array();
      for (const ScheduleSpec& segment : spec.segments) {
        nlohmann::ordered_json json = ScheduleSpecToJson(segment);
        json.erase("lr");  // shared: the sequential schedule's
        json.erase("unit");
        out["schedules"].push_back(std::move(json));
      }
      out["milestones"] = spec.milestones;
      break;
    case ScheduleType::kCyclic:
      CyclicToJson(spec, out);
      break;
  }
}

}  // namespace

nlohmann::ordered_json ScheduleSpecToJson(const ScheduleSpec& spec) {
  nlohmann::ordered_json out;
  out["type"] = ScheduleTypeName(spec.type);
  out["lr"] = spec.lr;
  out["unit"] = UnitName(spec.unit);
  if (spec.warmup) {
    nlohmann::ordered_json warmup;
    if (spec.warmup->steps) warmup["steps"] = *spec.warmup->steps;
    if (spec.warmup->fraction) warmup["fraction"] = *spec.warmup->fraction;
    warmup["start_factor"] = spec.warmup->start_factor;
    if (spec.warmup->shape == WarmupShape::kConstant) warmup["shape"] = "constant";
    out["warmup"] = warmup;
  }
  TypeParametersToJson(spec, out);
  return out;
}

}  // namespace lrsweep
