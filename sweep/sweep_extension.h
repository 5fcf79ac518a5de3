// Adding to a sweep from an edited file: which trials the edited file plans that the sweep has
// not, numbered to follow its own. A trial is the same trial when everything it trains with is
// the same (its plan but for its index and configuration number); trials equal but for the seed
// are one configuration, so a seed added to an existing configuration joins it in the ranking.
//
//   ASSIGN_OR_RETURN(SweepPlan plan, PlanSweep(edited_spec));
//   std::vector<TrialRecord> added = TrialsToAdd(sweep_id, existing_trials, plan, now_ms);
//
// Thread safety: a plain function.
#ifndef LRSWEEP_SWEEP_SWEEP_EXTENSION_H_
#define LRSWEEP_SWEEP_SWEEP_EXTENSION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "sweep/records.h"
#include "sweep/sweep_planner.h"

namespace lrsweep {

// The trials of `plan` that `existing` (a sweep's trials, by index) lacks, PENDING, with indexes
// from existing.size() on, each with the configuration number of the existing configuration it
// belongs to or a new one. Trials of `existing` that `plan` no longer has stay as they are.
std::vector<TrialRecord> TrialsToAdd(const std::string& sweep_id,
                                     const std::vector<TrialRecord>& existing,
                                     const SweepPlan& plan, int64_t now_ms);

}  // namespace lrsweep

#endif  // LRSWEEP_SWEEP_SWEEP_EXTENSION_H_
