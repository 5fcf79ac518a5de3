#include "sweep/trial_columns.h"

namespace lrsweep {

const std::vector<TrialColumn>& TrialColumns() {
  using T = TrialRecord;
  static const std::vector<TrialColumn> columns = {
      {"sweep_id", &T::sweep_id},
      {"trial", &T::trial},
      {"config", &T::config},
      {"seed", &T::seed},
      {"plan_json", &T::plan_json},
      {"params_json", &T::params_json},
      {"state", &T::state},
      {"attempts", &T::attempts},
      {"failures", &T::failures},
      {"reason", &T::reason},
      {"worker_id", &T::worker_id},
      {"step", &T::step},
      {"total_steps", &T::total_steps},
      {"lr", &T::lr},
      {"score", &T::score},
      {"latest_metric", &T::latest_metric},
      {"final_metrics_json", &T::final_metrics_json},
      {"updated_ms", &T::updated_ms},
      {"preemptions", &T::preemptions},
      {"checkpoint_step", &T::checkpoint_step},
      {"checkpoint_error", &T::checkpoint_error},
  };
  return columns;
}

}  // namespace lrsweep
