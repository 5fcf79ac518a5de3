// Reading a trial's loss and LR curves the way an experienced engineer does: findings with the
// step range where they show and a suggested fix.
//
// Rules (thresholds are the constants in diagnoses.cc, documented in docs/sweep-reference.md):
//   diverged               the trial DIVERGED: lower the peak LR or add warmup
//   lr_reaches_zero        the LR is ~0 for the last >2% of training: raise eta_min or t_max
//   early_plateau          the LR fell below 10% of its peak before half of training and the
//                          training loss stopped improving: slower decay, later milestones
//   spike_at_lr_change     the mean training loss over the next 2% of steps is >25% above the
//                          2% before an abrupt LR change (x2 or /2 between two steps)
//                          (a step decay or a warm restart): smaller gamma, lower restart LR
//   oscillating            the second half's loss neither decreases nor settles (relative spread
//                          >25%, still above half its first value): the LR is too high
//   overfitting            validation loss rises >5% above its minimum while training loss keeps
//                          falling: regularize or stop earlier (not a schedule problem)
//   plateau                training and validation loss both flat (<1% change per tenth of
//                          training) for >=30% of training, from before its midpoint: try warm
//                          restarts or reduce-on-plateau
//
//   std::vector<Diagnosis> findings = DiagnoseTrial(trial, history);
//
// Thread safety: stateless functions.
#ifndef LRSWEEP_REPORT_DIAGNOSES_H_
#define LRSWEEP_REPORT_DIAGNOSES_H_

#include <string>
#include <vector>

#include "sweep/records.h"

namespace lrsweep {

struct Diagnosis {
  int64_t trial = 0;
  std::string code;
  int64_t from_step = 0;
  int64_t to_step = 0;
  std::string message;
  std::string fix;
};

std::vector<Diagnosis> DiagnoseTrial(const TrialRecord& trial,
                                     const std::vector<MetricPoint>& history);

}  // namespace lrsweep

#endif  // LRSWEEP_REPORT_DIAGNOSES_H_
