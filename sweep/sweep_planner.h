// Sweep planning: expanding a SweepSpec into the trials it runs.
//
// A grid is the cartesian product of its axes (first key outermost); a list of grids is their
// union, in order; random search samples `count` configurations with a seeded generator (the same
// seed gives the same trials on every machine). Every configuration runs once per seed (seeds
// innermost). For each trial the planner builds the schedule and train mappings (shared keys plus
// the trial's overrides), scales the peak LR by batch size, derives the run's length, resolves and
// lints the schedule.
//
// The number of trials is checked against max_trials before anything is built, so a runaway grid
// is refused at once.
//
//   ASSIGN_OR_RETURN(SweepSpec sweep, LoadSweepFile(path));
//   ASSIGN_OR_RETURN(SweepPlan plan, PlanSweep(sweep));
//   for (const TrialPlan& trial : plan.trials) std::cout << TrialPlanToJson(trial).dump() << "\n";
//
// Thread safety: stateless functions; see SweepSpec for sharing the input.
#ifndef LRSWEEP_SWEEP_SWEEP_PLANNER_H_
#define LRSWEEP_SWEEP_SWEEP_PLANNER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "sweep/range_test.h"
#include "sweep/records.h"
#include "sweep/sweep_spec.h"
#include "sweep/train_spec.h"
#include "nlohmann/json.hpp"
#include "schedule/schedule_lint.h"
#include "schedule/schedule_spec.h"

namespace lrsweep {

// A trial that runs an LR range test (sweep/range_test_spec.h) for one training setup.
struct RangeTestTrial {
  std::string key;    // the setup: the train mapping without its length, as canonical JSON
  std::string label;  // the setup for people: "cnn, sgd, batch 128"
  RangeTestSpec spec;
};

// A trial whose peak LR is `factor` x the `anchor` pick of the range test of its setup.
struct RelativeLr {
  std::string key;  // the training setup (RangeTestTrial::key)
  std::string anchor;
  double factor = 1.0;
  double pick = 0.0;              // the anchor LR the factor multiplies
  int64_t range_test_trial = -1;  // the trial it comes from
  // Planned before the range test ran (lrsweep plan, checking at submission): `pick` is the
  // geometric middle of the test's LR range, a stand-in.
  bool provisional = false;
};

// What a finished range test found, for the planning of the trials after it.
struct RangeTestResult {
  int64_t trial = -1;
  RangeTestCurve curve;
  std::string failure;  // the trial did not finish its test ("" when it did)
};
// By training setup key.
using RangeTestResults = std::map<std::string, RangeTestResult>;

struct TrialPlan {
  int64_t index = 0;   // 0-based position in the sweep
  int64_t config = 0;  // configuration index: trials equal but for the seed share it
  int64_t seed = 0;
  // The swept values of this trial, by dotted path, in grid order.
  std::vector<std::pair<std::string, nlohmann::ordered_json>> params;
  TrainSpec train;
  ScheduleSpec schedule;  // resolved: lr scaled, every length filled in
  double base_lr = 0.0;   // peak LR at base_batch_size, as written
  double lr = 0.0;        // effective peak LR after batch-size scaling
  int64_t total_steps = 0;
  int64_t steps_per_epoch = 0;
  // method: asha: the rung, and the fraction of the full run it trains (the schedule compressed
  // to it, schedule/schedule_horizon.h). 0 and 1 otherwise.
  int64_t rung = 0;
  double horizon_fraction = 1.0;
  // method: tpe: the grid of `parameters:` the configuration comes from (-1 otherwise), and
  // whether TPE suggested it (else it is from the random start).
  int64_t grid = -1;
  bool suggested = false;
  int64_t warmup_steps = 0;  // optimizer steps spent in the warmup block
  // lr_range_test: set on the range test trials, and on the trials whose LR is relative to one.
  // `setup_key` is the training setup of every trial of such a sweep.
  std::optional<RangeTestTrial> range_test;
  std::optional<RelativeLr> relative_lr;
  std::string setup_key;
  CheckpointPolicy checkpoint;
  std::vector<LintWarning> warnings;
};

// A warning and the trials it applies to.
struct PlanWarning {
  LintWarning warning;
  std::vector<int64_t> trials;
};

struct SweepPlan {
  std::vector<TrialPlan> trials;
  std::vector<PlanWarning> warnings;  // deduplicated across trials
  // lr_range_test: the trials above are the range tests; these follow once they end, planned
  // here with stand-in picks (RelativeLr::provisional) to check them and to show them.
  std::vector<TrialPlan> after_range_test;
  // PlanSweepAfterRangeTest: why configurations were not planned (their pick is missing).
  std::vector<std::string> skipped;
};

// A configuration chosen by a search method (method: tpe): a value for each axis of grid `grid`,
// in the grid's axis order — an index into the axis' listed values (or a choice's values), or a
// number drawn from its distribution. Axes with one fixed value take no choice (index -1).
struct ChosenValue {
  int64_t index = -1;
  std::optional<double> number;
};
struct ChosenConfiguration {
  size_t grid = 0;
  std::vector<ChosenValue> values;
};

// The trials of one chosen configuration (one per seed), numbered from `first_index`, with
// configuration index `config`. InvalidArgument when a trial does not resolve.
absl::StatusOr<std::vector<TrialPlan>> PlanChosenConfiguration(const SweepSpec& sweep,
                                                                const ChosenConfiguration& chosen,
                                                                int64_t config,
                                                                int64_t first_index);

// Trials the sweep expands to (configurations x seeds), without building them; for method: asha,
// those of its first rung; for method: tpe, those of its random start. An LR range test's trials
// are not counted.
int64_t CountTrials(const SweepSpec& sweep);

// Expands and checks every trial. InvalidArgument (with file:line:column) for a trial that does
// not parse or resolve, or when the sweep exceeds max_trials. For method: asha, the trials of
// `rung` (every configuration and seed, at that rung's fraction of the run); the sweep starts with
// rung 0, and the coordinator adds the promoted configurations' trials of later rungs. With
// lr_range_test, the range test trials (one per training setup, numbered first); every trial
// after them is planned too, with a stand-in pick, so that a mistake is found at submission.
absl::StatusOr<SweepPlan> PlanSweep(const SweepSpec& sweep, int64_t rung = 0);

// The trials that follow a sweep's range tests, numbered from `first_index`, their relative LRs
// resolved from `results`. A configuration whose pick is missing is left out, and said so in
// `skipped`. InvalidArgument when a trial does not resolve.
absl::StatusOr<SweepPlan> PlanSweepAfterRangeTest(const SweepSpec& sweep,
                                                  const RangeTestResults& results,
                                                  int64_t first_index);

// The JSON object `lrsweep plan --format jsonl` prints for one trial.
nlohmann::ordered_json TrialPlanToJson(const TrialPlan& trial);

// The row a planned trial starts as: PENDING, its plan and parameters as JSON. The caller sets
// sweep_id and updated_ms.
TrialRecord NewTrialRecord(const TrialPlan& planned);

// "warning: ... (trials 0-11, 3 of 57)" lines for stderr.
std::string FormatPlanWarning(const PlanWarning& warning, int64_t total_trials);

}  // namespace lrsweep

#endif  // LRSWEEP_SWEEP_SWEEP_PLANNER_H_
