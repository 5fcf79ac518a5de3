"""PlannedLR: a torch LR scheduler driven by lrsweep's C++ schedule library."""

import json

import torch

from lrsweep._trial import _native


class PlannedLR(torch.optim.lr_scheduler._LRScheduler):
    """Applies the trial's planned LR at every step(): exactly what the worker planned and
    `lrsweep schedule` prints, because the same C++ library computes it.

    Each param group trains with lr x group.get("lr_scale", 1.0). For one-cycle with
    cycle_momentum, SGD momentum or Adam's beta1 is set too. A plateau schedule observes the
    metric trial.report() carries: the training loss at every report (unit: step), or the
    validation loss (mode: min) / accuracy (mode: max) (unit: epoch). Its state (the step count
    and plateau's history) is saved by trial.save() and restored by trial.restore().
    """

    def __init__(self, optimizer, trial):
        self._native = _native().Schedule(json.dumps(trial.schedule), trial.total_steps,
                                          trial.steps_per_epoch)
        spec = trial.schedule
        self._plateau = spec.get("type") == "plateau"
        self._by_step = spec.get("unit", "step") == "step"
        self._maximize = spec.get("mode", "min") == "max"
        self._applied = {}  # optimizer step index -> (lr, momentum) it ran with
        self._started = False
        for group in optimizer.param_groups:
            group.setdefault("lr_scale", 1.0)
        super().__init__(optimizer)

    def get_lr(self):
        return [self._native.lr() * group["lr_scale"] for group in self.optimizer.param_groups]

    def step(self, epoch=None):
        """Moves to the next optimizer step (call it after optimizer.step())."""
        if not self._started:  # torch's constructor call: the LR of step 0, nothing taken yet
            self._started = True
        else:
            self._applied[self._native.step_count] = self._current()
            self._native.step()
        self._apply()

    def _current(self):
        group = self.optimizer.param_groups[0]
        momentum = None
        if self._native.cycles_momentum():
            momentum = group["betas"][0] if "betas" in group else group.get("momentum")
        return group["lr"], momentum

    def _apply(self):
        lr = self._native.lr()
        momentum = self._native.momentum()
        for group in self.optimizer.param_groups:
            group["lr"] = lr * group["lr_scale"]
            if momentum is not None:
                if "betas" in group:
                    group["betas"] = (momentum, group["betas"][1])
                elif "momentum" in group:
                    group["momentum"] = momentum
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]
        self.last_epoch = self._native.step_count

    # --- Used by Trial.report ---

    def _applied_at(self, step):
        """(lr, momentum) optimizer step `step` (1-based) ran with."""
        index = step - 1
        for old in [key for key in self._applied if key < index - 1]:
            del self._applied[old]
        if index in self._applied:
            return self._applied[index]
        if index == self._native.step_count:  # reported before scheduler.step()
            return self._current()
        return self._native.planned_lr_at(max(index, 0)), None

    def applied_lr(self, step):
        return self._applied_at(step)[0]

    def applied_momentum(self, step):
        return self._applied_at(step)[1]

    def observe_report(self, message):
        if not self._plateau:
            return
        if self._by_step:
            value = message.get("train_loss")
        else:
            value = message.get("val_accuracy" if self._maximize else "val_loss")
        if value is None or isinstance(value, str):
            return
        self._native.observe_metric(float(value))
        self._apply()  # a reduction applies from the next optimizer step on

    # --- State ---

    def state_dict(self):
        return {"native": self._native.save_state()}

    def load_state_dict(self, state_dict):
        self._native.restore_state(state_dict["native"])
        self._started = True
        self._applied.clear()
        self._apply()
