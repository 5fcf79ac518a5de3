// Schedule linter: the common LR-scheduling pitfalls from the literature, as warnings with a fix.
//
// Warnings never stop a run; `lrsweep plan`, `submit` and `schedule` print them on stderr. Each
// names the check, the key (and its file position when known), what goes wrong and a one-line fix.
//
//   std::vector<LintWarning> warnings =
//       LintSchedule(spec, Horizon{.total_steps = 4220, .steps_per_epoch = 422},
//                    LintContext{.optimizer = "adamw", .batch_size = 1024});
//   for (const LintWarning& w : warnings) std::cerr << FormatLintWarning(w) << "\n";
//
// Checks (names are stable; docs/sweep-reference.md explains each):
//   t_max_mismatch        cosine t_max / polynomial total_iters not equal to the ticks after warmup
//   eta_min_zero          cosine or cosine_restarts decays to exactly 0
//   step_schedule_by_epoch  onecycle or inverse_sqrt with unit: epoch
//   plateau_by_step       plateau with unit: step
//   long_warmup           warmup longer than 30% of training
//   missing_warmup        no warmup with AdamW or a batch size above 512
//   fixed_warmup_steps    warmup.steps where the run length comes from epochs
//   many_step_drops       more than 3 step-decay drops
//   double_warmup         onecycle (which warms up by itself) with a warmup block
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_SCHEDULE_SCHEDULE_LINT_H_
#define LRSWEEP_SCHEDULE_SCHEDULE_LINT_H_

#include <optional>
#include <string>
#include <vector>

#include "schedule/schedule.h"
#include "schedule/schedule_spec.h"

namespace lrsweep {

// What the linter knows about the training run around the schedule.
struct LintContext {
  std::optional<std::string> optimizer;  // "sgd", "adamw"
  std::optional<int64_t> batch_size;     // effective batch size
  bool length_from_epochs = false;       // the run's length is set in epochs (scales with data)
};

struct LintWarning {
  std::string check;     // stable name, e.g. "eta_min_zero"
  std::string location;  // "file:line:col", or "" when unknown
  std::string key;       // key path inside the schedule, e.g. "eta_min"
  std::string message;   // what goes wrong
  std::string fix;       // one line: what to change
};

// Lints `spec` (as parsed, before resolution) for a run of `horizon`. A spec that does not
// resolve yields no warnings: its error is reported by ResolveSchedule.
std::vector<LintWarning> LintSchedule(const ScheduleSpec& spec, const Horizon& horizon,
                                      const LintContext& context);

// "warning: file:3:5: schedule.eta_min: ... Fix: ... [eta_min_zero]"
std::string FormatLintWarning(const LintWarning& warning);

}  // namespace lrsweep

#endif  // LRSWEEP_SCHEDULE_SCHEDULE_LINT_H_
