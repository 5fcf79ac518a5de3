// SweepSpec: a parsed sweep file — what to vary, how to train, how to rank.
//
// A sweep file (docs/sweep-reference.md, sweeps/*.yaml) names a shared `train:` and `schedule:`
// and a `parameters:` section of grids whose keys are dotted paths into them
// (`schedule.lr`, `train.batch_size`, `schedule.warmup.fraction`). ParseSweep checks the file's
// structure: unknown keys (with the closest valid name), types, ranges, parameter paths,
// distributions. Per-trial checks (each trial's resolved schedule and train mapping) happen when
// the sweep is planned (sweep_planner.h). All errors are InvalidArgument with file:line:column.
//
//   ASSIGN_OR_RETURN(SweepSpec sweep, LoadSweepFile("sweeps/fmnist-cnn-schedules.yaml"));
//   ASSIGN_OR_RETURN(SweepPlan plan, PlanSweep(sweep));
//
// Thread safety: SweepSpec holds yaml-cpp nodes, which are not thread-safe; do not share one
// SweepSpec between threads without external synchronization.
#ifndef LRSWEEP_SWEEP_SWEEP_SPEC_H_
#define LRSWEEP_SWEEP_SWEEP_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/yaml_reader.h"
#include "sweep/artifact_ref.h"
#include "sweep/range_test_spec.h"
#include "yaml-cpp/yaml.h"

namespace lrsweep {

inline constexpr int64_t kDefaultMaxTrials = 100000;

// grid and random expand `parameters` into trials up front; asha (successive halving) expands
// them like a grid and trains each configuration over growing fractions of its run, promoting the
// best 1/reduction_factor of each rung to the next.
// tpe samples like random search for its first n_startup_trials configurations, then suggests
// each next one from a Tree-structured Parzen Estimator over the trials that ended (and those
// still running, counted as bad), one configuration per trial that ends, up to count.
enum class SweepMethod { kGrid, kRandom, kAsha, kTpe };
enum class LrScalingRule { kNone, kLinear, kSqrt };

struct MetricSpec {
  std::string name = "val_accuracy";  // val_accuracy | val_loss | test_accuracy | train_loss
  bool maximize = true;
  std::string summary = "final";  // final | best | last_k_mean
  int64_t last_k = 5;
};

// `early_stopping:` — a rule that stops running trials which are clearly behind (STOPPED).
//   median: at each report past `grace_fraction` of its horizon, a trial whose best `metric` so
//   far is worse than the median of the completed trials' best at the same fraction of their
//   horizons is stopped, once `min_trials` completed trials reached that fraction.
struct EarlyStoppingSpec {
  std::string rule = "median";
  std::string metric;  // reported during training: val_accuracy | val_loss | train_loss
  bool maximize = true;
  double grace_fraction = 0.25;
  int64_t min_trials = 5;
};

// `method: asha`: rungs at min_fraction, min_fraction x reduction_factor, ... of the full run,
// the last at max_fraction.
struct SuccessiveHalvingSpec {
  int64_t reduction_factor = 3;
  double min_fraction = 1.0 / 9.0;  // default: 1 / reduction_factor^2
  double max_fraction = 1.0;
};

// A random-search distribution for one parameter.
struct Distribution {
  enum class Kind { kUniform, kLogUniform, kIntUniform, kChoice };
  Kind kind = Kind::kUniform;
  double min = 0.0;
  double max = 0.0;
  std::vector<YAML::Node> values;  // choice
};

// One swept key: the values of a grid axis, or a distribution (random search only).
struct ParameterAxis {
  std::string path;  // dotted, e.g. "schedule.warmup.fraction"
  bool listed = false;  // the file gives a list of values (else one value or a distribution)
  std::vector<YAML::Node> values;
  std::optional<Distribution> distribution;
  // schedule.lr written relative to an LR range test pick (sweep/range_test_spec.h): `values`
  // are the factors, and this names the pick. Empty: the values are the values.
  std::string relative_anchor;
  // Not in the file's grid: the shared schedule's relative lr, applied to a grid without lr.
  bool implicit = false;
};

struct ParameterGrid {
  std::vector<ParameterAxis> axes;  // in file order
  std::string location;             // "file:line:col" of the grid
};

// When workers checkpoint a trial, and how many checkpoints the coordinator keeps per trial.
struct CheckpointPolicy {
  int64_t every_steps = 500;
  double every_minutes = 10.0;
  int64_t keep = 2;
};

struct SweepSpec {
  std::string file;
  std::string text;  // the file's YAML text (the planner re-reads it per trial)
  std::string name;
  MetricSpec metric;
  SweepMethod method = SweepMethod::kGrid;
  int64_t count = 0;  // random, tpe: configurations to sample
  uint64_t seed = 0;  // random, tpe: sampling seed
  int64_t n_startup_trials = 10;  // tpe: configurations sampled at random before TPE suggests
  SuccessiveHalvingSpec halving;  // asha
  std::vector<int64_t> seeds = {0};
  LrScalingRule lr_scaling = LrScalingRule::kNone;
  int64_t base_batch_size = 0;
  int64_t max_trials = kDefaultMaxTrials;
  int64_t max_failures = 3;  // failed attempts before a trial is FAILED
  std::optional<EarlyStoppingSpec> early_stopping;
  // `lr_range_test:`: set, the sweep's trials run after one range test per training setup.
  std::optional<RangeTestSpec> range_test;
  CheckpointPolicy checkpoint;
  YAML::Node train;     // the shared train mapping
  YAML::Node schedule;  // the shared schedule mapping (keys apply to types that accept them)
  std::vector<ParameterGrid> grids;
  // Doubts about the file as a whole ("warning: file:line:col: ..."); per-trial ones are the
  // planner's.
  std::vector<std::string> warnings;
  // The files the sweep names (TorchScript models, tensors data), read where it was submitted.
  ArtifactManifest artifacts;
  // The sweep file's folder where it was submitted (absolute; "" when unknown): relative
  // train.workdir paths of command trials are resolved against it.
  std::string base_dir;
};

// Identifies a sweep's source: its text and, when it names files, their digests. A resubmission
// of the same file with re-exported data is a new sweep.
std::string SweepSourceDigest(absl::string_view yaml, const ArtifactManifest& artifacts);

// The fractions of the full run each rung trains: {1} but for method: asha.
std::vector<double> RungFractions(const SweepSpec& sweep);

// Parses sweep YAML text; `file` names it in messages.
absl::StatusOr<SweepSpec> ParseSweep(absl::string_view text, const std::string& file);
absl::StatusOr<SweepSpec> LoadSweepFile(const std::string& file);

}  // namespace lrsweep

#endif  // LRSWEEP_SWEEP_SWEEP_SPEC_H_
