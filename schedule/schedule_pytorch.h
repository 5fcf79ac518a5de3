// The PyTorch code of a schedule: the torch.optim.lr_scheduler construction that gives the same LR
// at every tick, for a user to paste into their own training script.
//
// Each schedule becomes its torch.optim.lr_scheduler class (StepLR, CosineAnnealingLR, OneCycleLR,
// CyclicLR, ReduceLROnPlateau, ...), the HuggingFace ones a LambdaLR over HF's formula, a warmup
// block a LinearLR / ConstantLR before the main part, and `sequential` (or any warmup) a
// SequentialLR of the parts, flattened. Lengths are the resolved ones (t_max, total_iters, ...),
// so the code is for the run length the Schedule was created with. The tests run the code with
// PyTorch and compare every tick's LR.
//
//   ASSIGN_OR_RETURN(Schedule schedule, Schedule::Create(spec, Horizon{1000, 100}));
//   ASSIGN_OR_RETURN(std::string code, PytorchSchedulerCode(schedule));
//   std::cout << code;  // "...\nscheduler = lr_scheduler.CosineAnnealingLR(optimizer, ...)\n"
//
// The code expects a variable `optimizer` whose lr is the schedule's lr, and binds `scheduler`.
// Refused (FailedPrecondition, naming why): what torch cannot chain — OneCycleLR or
// ReduceLROnPlateau after a warmup or inside a sequential schedule (OneCycleLR rewrites the
// optimizer's initial_lr; SequentialLR does not step ReduceLROnPlateau).
//
// Thread safety: a pure function.
#ifndef LRSWEEP_SCHEDULE_SCHEDULE_PYTORCH_H_
#define LRSWEEP_SCHEDULE_SCHEDULE_PYTORCH_H_

#include <string>

#include "absl/status/statusor.h"
#include "schedule/schedule.h"

namespace lrsweep {

absl::StatusOr<std::string> PytorchSchedulerCode(const Schedule& schedule);

}  // namespace lrsweep

#endif  // LRSWEEP_SCHEDULE_SCHEDULE_PYTORCH_H_
