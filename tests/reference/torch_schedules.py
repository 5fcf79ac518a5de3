#!/usr/bin/env python3
"""Reference LR curves from PyTorch itself, for lrsweep's schedule tests.

For every case below it builds the schedule with torch.optim.lr_scheduler (1.13) or, for the
HuggingFace schedules (inverse_sqrt, wsd, warmup + cosine/linear, hard restarts, min LR), with HuggingFace's published
lr_lambda formulas driven by torch's LambdaLR, and records the LR the optimizer uses at every step
(before that step's scheduler.step()). Output: JSON on stdout or in the file given as argv[1].

Each case holds the lrsweep `schedule:` mapping, the horizon (total_steps, steps_per_epoch), the
metrics fed to plateau, and the expected `lr` (and `momentum`) per step.
"""
import json
import math
import sys

import torch
from torch.optim import lr_scheduler as S


# --- HuggingFace transformers formulas (optimization.py), verbatim in behaviour. ---------------

def hf_cosine_with_warmup(warmup, total, num_cycles=0.5):
    def f(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        progress = float(step - warmup) / float(max(1, total - warmup))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))
    return f


def hf_cosine_with_hard_restarts(warmup, total, num_cycles=1):
    def f(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        progress = float(step - warmup) / float(max(1, total - warmup))
        if progress >= 1.0:
            return 0.0
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((float(num_cycles) * progress) % 1.0))))
    return f


def hf_cosine_with_min_lr(warmup, total, num_cycles=0.5, min_lr_rate=0.0):
    def f(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        progress = float(step - warmup) / float(max(1, total - warmup))
        factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
        factor = factor * (1 - min_lr_rate) + min_lr_rate
        return max(0, factor)
    return f


def hf_linear_with_warmup(warmup, total):
    def f(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        return max(0.0, float(total - step) / float(max(1, total - warmup)))
    return f


def hf_inverse_sqrt(warmup, timescale=None):
    if timescale is None:
        timescale = warmup or 10_000

    def f(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        shift = timescale - warmup
        return 1.0 / math.sqrt((step + shift) / timescale)
    return f


def hf_wsd(warmup, decay, total=None, stable=None, warmup_type="linear", decay_type="cosine",
           min_lr_ratio=0.0, num_cycles=0.5):
    if stable is None:
        stable = total - warmup - decay

    def f(step):
        if step < warmup:
            progress = float(step) / float(max(1, warmup))
            if warmup_type == "linear":
                factor = progress
            elif warmup_type == "cosine":
                factor = 0.5 * (1.0 - math.cos(math.pi * progress))
            else:
                factor = 1.0 - math.sqrt(1.0 - progress)
            factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
            return max(0.0, factor)
        if step < warmup + stable:
            return 1.0
        if step < warmup + stable + decay:
            progress = float(step - warmup - stable) / float(max(1, decay))
            if decay_type == "linear":
                factor = 1.0 - progress
            elif decay_type == "cosine":
                factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
            else:
                factor = 1.0 - math.sqrt(progress)
            factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
            return max(0.0, factor)
        return min_lr_ratio
    return f


# --- Driving a torch scheduler -----------------------------------------------------------------

def optimizer(lr, momentum=0.9):
    param = torch.nn.Parameter(torch.zeros(1))
    return torch.optim.SGD([param], lr=lr, momentum=momentum)


def run(make, lr, ticks, metrics=None):
    """LR (and momentum) per tick: read before each scheduler.step()."""
    opt = optimizer(lr)
    sched = make(opt)
    lrs, moms = [], []
    for i in range(ticks):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        if metrics is not None:
            sched.step(metrics[i])
        else:
            sched.step()
    return lrs, moms


def warmup_lrs(lr, ticks, start_factor):
    opt = optimizer(lr)
    sched = S.LambdaLR(opt, lambda s: start_factor + (1.0 - start_factor) * s / ticks)
    out = []
    for _ in range(ticks):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


CASES = []


def case(name, schedule, total_steps, make, steps_per_epoch=0, metrics=None, warmup=0,
         start_factor=0.0, momentum=False):
    """Registers a case. `make(opt, main_ticks)` builds the torch scheduler for the main part."""
    CASES.append(dict(name=name, schedule=schedule, total_steps=total_steps,
                      steps_per_epoch=steps_per_epoch, metrics=metrics, make=make,
                      warmup=warmup, start_factor=start_factor, momentum=momentum))


def evaluate(c):
    lr = c["schedule"].get("lr", c["schedule"].get("max_lr"))
    spe = c["steps_per_epoch"]
    if c["metrics"] is not None:
        ticks = len(c["metrics"])
    elif c["schedule"].get("unit", "plateau_default" if c["schedule"]["type"] == "plateau"
                           else "step") == "epoch":
        ticks = -(-c["total_steps"] // spe)
    else:
        ticks = c["total_steps"]
    w = c["warmup"]
    main_metrics = c["metrics"][w:] if c["metrics"] is not None else None
    lrs, moms = run(lambda opt: c["make"](opt, ticks - w), lr, ticks - w, main_metrics)
    if w:
        lrs = warmup_lrs(lr, w, c["start_factor"]) + lrs
        moms = [moms[0]] * w + moms
    if c["metrics"] is None and c["schedule"].get("unit") == "epoch":
        lrs = [lrs[i // spe] for i in range(c["total_steps"])]
        moms = [moms[i // spe] for i in range(c["total_steps"])]
    out = dict(name=c["name"], schedule=c["schedule"], total_steps=c["total_steps"],
               steps_per_epoch=spe, lr=lrs)
    if c["metrics"] is not None:
        out["metrics"] = c["metrics"]
    if c["momentum"]:
        out["momentum"] = moms
    return out


def lam(f):
    return lambda opt, n: S.LambdaLR(opt, f)


# --- Cases ---------------------------------------------------------------------------------------

case("constant", {"type": "constant", "lr": 0.05}, 20, lambda o, n: S.LambdaLR(o, lambda s: 1.0))
case("step", {"type": "step", "lr": 0.1, "step_size": 7, "gamma": 0.5}, 40,
     lambda o, n: S.StepLR(o, 7, 0.5))
case("step_size_1_default_gamma", {"type": "step", "lr": 0.3, "step_size": 1}, 12,
     lambda o, n: S.StepLR(o, 1))
case("multistep", {"type": "multistep", "lr": 0.1, "milestones": [10, 25, 40], "gamma": 0.2},
     50, lambda o, n: S.MultiStepLR(o, [10, 25, 40], 0.2))
case("multistep_past_end", {"type": "multistep", "lr": 0.1, "milestones": [15, 1000]}, 30,
     lambda o, n: S.MultiStepLR(o, [15, 1000]))
case("exponential", {"type": "exponential", "lr": 0.1, "gamma": 0.97}, 200,
     lambda o, n: S.ExponentialLR(o, 0.97))
case("cosine_default_t_max", {"type": "cosine", "lr": 0.1}, 100,
     lambda o, n: S.CosineAnnealingLR(o, n))
case("cosine_eta_min", {"type": "cosine", "lr": 0.1, "eta_min": 1e-4}, 157,
     lambda o, n: S.CosineAnnealingLR(o, n, 1e-4))
case("cosine_short_t_max_periodic", {"type": "cosine", "lr": 0.1, "t_max": 9, "eta_min": 0.001},
     60, lambda o, n: S.CosineAnnealingLR(o, 9, 0.001))
case("cosine_t_max_1", {"type": "cosine", "lr": 0.1, "t_max": 1}, 8,
     lambda o, n: S.CosineAnnealingLR(o, 1))
case("cosine_restarts_t_mult_1", {"type": "cosine_restarts", "lr": 0.1, "t_0": 10}, 55,
     lambda o, n: S.CosineAnnealingWarmRestarts(o, 10))
case("cosine_restarts_t_mult_3",
     {"type": "cosine_restarts", "lr": 0.1, "t_0": 3, "t_mult": 3, "eta_min": 0.002}, 60,
     lambda o, n: S.CosineAnnealingWarmRestarts(o, 3, 3, 0.002))
case("cosine_restarts_on_last_step", {"type": "cosine_restarts", "lr": 0.1, "t_0": 4, "t_mult": 2},
     13, lambda o, n: S.CosineAnnealingWarmRestarts(o, 4, 2))
case("onecycle_default", {"type": "onecycle", "lr": 0.1}, 100,
     lambda o, n: S.OneCycleLR(o, 0.1, total_steps=n), momentum=True)
case("onecycle_three_phase_linear",
     {"type": "onecycle", "max_lr": 0.3, "three_phase": True, "anneal_strategy": "linear",
      "div_factor": 10, "final_div_factor": 100}, 77,
     lambda o, n: S.OneCycleLR(o, 0.3, total_steps=n, three_phase=True, anneal_strategy="linear",
                               div_factor=10, final_div_factor=100), momentum=True)
case("onecycle_three_phase_cos", {"type": "onecycle", "lr": 0.2, "three_phase": True}, 64,
     lambda o, n: S.OneCycleLR(o, 0.2, total_steps=n, three_phase=True), momentum=True)
for pct in (0.49, 0.5, 0.51, 0.05):
    case(f"onecycle_pct_{str(pct).replace('.', '_')}", {"type": "onecycle", "lr": 0.1, "pct_start": pct}, 101,
         lambda o, n, pct=pct: S.OneCycleLR(o, 0.1, total_steps=n, pct_start=pct),
         momentum=True)
case("onecycle_momentum_range",
     {"type": "onecycle", "lr": 0.05, "base_momentum": 0.8, "max_momentum": 0.99}, 50,
     lambda o, n: S.OneCycleLR(o, 0.05, total_steps=n, base_momentum=0.8, max_momentum=0.99),
     momentum=True)
case("cyclic_triangular", {"type": "cyclic", "lr": 0.1, "base_lr": 0.01, "step_size_up": 7}, 60,
     lambda o, n: S.CyclicLR(o, 0.01, 0.1, step_size_up=7), momentum=True)
case("cyclic_triangular2_asymmetric",
     {"type": "cyclic", "max_lr": 0.3, "base_lr": 0.001, "step_size_up": 5, "step_size_down": 11,
      "mode": "triangular2"}, 70,
     lambda o, n: S.CyclicLR(o, 0.001, 0.3, step_size_up=5, step_size_down=11,
                             mode="triangular2"), momentum=True)
case("cyclic_exp_range_momentum",
     {"type": "cyclic", "lr": 0.05, "base_lr": 0.005, "step_size_up": 6, "mode": "exp_range",
      "gamma": 0.97, "base_momentum": 0.85, "max_momentum": 0.95}, 50,
     lambda o, n: S.CyclicLR(o, 0.005, 0.05, step_size_up=6, mode="exp_range", gamma=0.97,
                             base_momentum=0.85, max_momentum=0.95), momentum=True)
case("cyclic_no_momentum_with_warmup",
     {"type": "cyclic", "lr": 0.1, "base_lr": 0.02, "step_size_up": 4, "cycle_momentum": False,
      "warmup": {"steps": 5, "start_factor": 0.1}}, 40,
     lambda o, n: S.CyclicLR(o, 0.02, 0.1, step_size_up=4, cycle_momentum=False),
     warmup=5, start_factor=0.1)
case("linear_defaults", {"type": "linear", "lr": 0.1, "total_iters": 5}, 20,
     lambda o, n: S.LinearLR(o, total_iters=5))
case("linear_decay", {"type": "linear", "lr": 0.1, "start_factor": 1.0, "end_factor": 0.01}, 90,
     lambda o, n: S.LinearLR(o, 1.0, 0.01, n))
case("polynomial_power_2", {"type": "polynomial", "lr": 0.1, "power": 2.0}, 60,
     lambda o, n: S.PolynomialLR(o, n, 2.0))
case("polynomial_short", {"type": "polynomial", "lr": 0.1, "total_iters": 20, "power": 0.5}, 30,
     lambda o, n: S.PolynomialLR(o, 20, 0.5))
case("inverse_sqrt", {"type": "inverse_sqrt", "lr": 1e-3, "warmup_steps": 10}, 80,
     lam(hf_inverse_sqrt(10)))
case("inverse_sqrt_no_warmup", {"type": "inverse_sqrt", "lr": 1e-3}, 30, lam(hf_inverse_sqrt(0)))
case("inverse_sqrt_timescale",
     {"type": "inverse_sqrt", "lr": 1e-3, "warmup_steps": 4, "timescale": 9}, 40,
     lam(hf_inverse_sqrt(4, 9)))
case("wsd_default", {"type": "wsd", "lr": 3e-4, "warmup_steps": 10, "decay_steps": 20}, 100,
     lam(hf_wsd(10, 20, total=100)))
case("wsd_shapes",
     {"type": "wsd", "lr": 3e-4, "warmup_steps": 8, "decay_steps": 15, "warmup_type": "1-sqrt",
      "decay_type": "1-sqrt", "min_lr_ratio": 0.1}, 50,
     lam(hf_wsd(8, 15, total=50, warmup_type="1-sqrt", decay_type="1-sqrt", min_lr_ratio=0.1)))
case("wsd_cosine_warmup_linear_decay_stable_given",
     {"type": "wsd", "lr": 1e-3, "warmup_steps": 5, "stable_steps": 20, "warmup_type": "cosine",
      "decay_type": "linear", "num_cycles": 1.0}, 40,
     lam(hf_wsd(5, 15, stable=20, warmup_type="cosine", decay_type="linear", num_cycles=1.0)))
case("wsd_decay_before_end",
     {"type": "wsd", "lr": 1e-3, "warmup_steps": 5, "stable_steps": 10, "decay_steps": 10,
      "min_lr_ratio": 0.05}, 40,
     lam(hf_wsd(5, 10, stable=10, min_lr_ratio=0.05)))

# Warmup blocks: equal to HF's *_with_warmup when start_factor is 0.
case("warmup_cosine_equals_hf", {"type": "cosine", "lr": 0.1, "warmup": {"steps": 10}}, 100,
     lam(hf_cosine_with_warmup(10, 100)), warmup=0)
CASES[-1]["make"] = lambda o, n: S.LambdaLR(o, hf_cosine_with_warmup(10, 100))
CASES[-1]["whole"] = True
case("warmup_linear_equals_hf",
     {"type": "polynomial", "lr": 0.1, "power": 1.0, "warmup": {"fraction": 0.1}}, 73,
     lambda o, n: S.LambdaLR(o, hf_linear_with_warmup(7, 73)))
CASES[-1]["whole"] = True
case("warmup_start_factor_step", {"type": "step", "lr": 0.1, "step_size": 10, "gamma": 0.5,
                                  "warmup": {"fraction": 0.1, "start_factor": 0.1}}, 60,
     lambda o, n: S.StepLR(o, 10, 0.5), warmup=6, start_factor=0.1)
# ConstantLR's factor / total_iters form: a constant warmup, alone and as SequentialLR's first part.
case("constant_lr_factor", {"type": "constant", "lr": 0.1,
                            "warmup": {"steps": 5, "start_factor": 0.333, "shape": "constant"}}, 20,
     lambda o, n: S.ConstantLR(o, factor=0.333, total_iters=5))
CASES[-1]["whole"] = True
case("sequential_constant_then_cosine",
     {"type": "cosine", "lr": 0.1, "eta_min": 1e-3,
      "warmup": {"steps": 8, "start_factor": 0.25, "shape": "constant"}}, 50,
     lambda o, n: S.SequentialLR(o, [S.ConstantLR(o, factor=0.25, total_iters=8),
                                     S.CosineAnnealingLR(o, 42, 1e-3)], milestones=[8]))
CASES[-1]["whole"] = True
# HF's cosine with hard restarts (num_cycles equal cycles) and cosine_with_min_lr (= eta_min).
case("hf_hard_restarts", {"type": "cosine_restarts", "lr": 0.1, "num_cycles": 3,
                          "warmup": {"steps": 10}}, 100,
     lambda o, n: S.LambdaLR(o, hf_cosine_with_hard_restarts(10, 100, 3)))
CASES[-1]["whole"] = True
case("hf_hard_restarts_fractional", {"type": "cosine_restarts", "lr": 0.1, "num_cycles": 2.5}, 77,
     lambda o, n: S.LambdaLR(o, hf_cosine_with_hard_restarts(0, 77, 2.5)))
CASES[-1]["whole"] = True
case("hf_cosine_with_min_lr", {"type": "cosine", "lr": 0.1, "eta_min": 0.01,
                               "warmup": {"steps": 10}}, 100,
     lambda o, n: S.LambdaLR(o, hf_cosine_with_min_lr(10, 100, min_lr_rate=0.1)))
CASES[-1]["whole"] = True
# sequential: SequentialLR, each schedule starting from its milestone at the shared base LR.
case("sequential_linear_then_cosine",
     {"type": "sequential", "lr": 0.1,
      "schedules": [{"type": "linear", "start_factor": 0.1, "total_iters": 10},
                    {"type": "cosine", "eta_min": 1e-4}],
      "milestones": [10]}, 60,
     lambda o, n: S.SequentialLR(o, [S.LinearLR(o, 0.1, 1.0, 10),
                                     S.CosineAnnealingLR(o, 50, 1e-4)], milestones=[10]))
CASES[-1]["whole"] = True
case("sequential_three_schedules",
     {"type": "sequential", "lr": 0.1,
      "schedules": [{"type": "constant",
                     "warmup": {"steps": 5, "start_factor": 0.5, "shape": "constant"}},
                    {"type": "step", "step_size": 10, "gamma": 0.5},
                    {"type": "exponential", "gamma": 0.95}],
      "milestones": [8, 30]}, 50,
     lambda o, n: S.SequentialLR(o, [S.ConstantLR(o, factor=0.5, total_iters=5),
                                     S.StepLR(o, 10, 0.5), S.ExponentialLR(o, 0.95)],
                                 milestones=[8, 30]))
CASES[-1]["whole"] = True
case("warmup_restarts", {"type": "cosine_restarts", "lr": 0.1, "t_0": 5, "t_mult": 2,
                         "warmup": {"steps": 3}}, 40,
     lambda o, n: S.CosineAnnealingWarmRestarts(o, 5, 2), warmup=3)
case("warmup_exponential", {"type": "exponential", "lr": 0.1, "gamma": 0.9,
                            "warmup": {"steps": 4, "start_factor": 0.25}}, 25,
     lambda o, n: S.ExponentialLR(o, 0.9), warmup=4, start_factor=0.25)

# Epoch units: the schedule advances once per epoch.
case("step_by_epoch", {"type": "step", "lr": 0.1, "step_size": 2, "unit": "epoch"}, 70,
     lambda o, n: S.StepLR(o, 2), steps_per_epoch=7)
case("cosine_by_epoch_warmup", {"type": "cosine", "lr": 0.1, "unit": "epoch", "eta_min": 0.001,
                                "warmup": {"steps": 2}}, 100,
     lambda o, n: S.CosineAnnealingLR(o, n, 0.001), steps_per_epoch=9, warmup=2)

# Plateau: one metric per tick.
LOSSES = [1.0, 0.8, 0.7, 0.69995, 0.71, 0.72, 0.7, 0.65, 0.66, 0.66, 0.67, 0.68, 0.5, 0.51,
          0.52, 0.53, 0.54, 0.55, 0.56, 0.57, 0.58, 0.4, 0.41, 0.42, 0.43, 0.44, 0.45, 0.46]
case("plateau_min_rel", {"type": "plateau", "lr": 0.1, "patience": 2}, len(LOSSES),
     lambda o, n: S.ReduceLROnPlateau(o, patience=2), steps_per_epoch=1, metrics=LOSSES)
ACC = [0.5, 0.6, 0.65, 0.65, 0.651, 0.64, 0.66, 0.66, 0.66, 0.7, 0.69, 0.69, 0.69, 0.69, 0.69,
       0.69, 0.69, 0.71, 0.7, 0.7, 0.7]
case("plateau_max_abs_cooldown",
     {"type": "plateau", "lr": 0.1, "mode": "max", "threshold_mode": "abs", "threshold": 0.005,
      "patience": 1, "cooldown": 2, "factor": 0.5, "min_lr": 0.02}, len(ACC),
     lambda o, n: S.ReduceLROnPlateau(o, "max", 0.5, 1, 0.005, "abs", 2, 0.02),
     steps_per_epoch=1, metrics=ACC)
case("plateau_step_unit_patience_0",
     {"type": "plateau", "lr": 0.01, "unit": "step", "patience": 0, "factor": 0.9}, len(LOSSES),
     lambda o, n: S.ReduceLROnPlateau(o, patience=0, factor=0.9), metrics=LOSSES)
case("plateau_warmup", {"type": "plateau", "lr": 0.1, "patience": 1, "warmup": {"steps": 3}},
     len(LOSSES), lambda o, n: S.ReduceLROnPlateau(o, patience=1), steps_per_epoch=1,
     metrics=LOSSES, warmup=3)


def main():
    results = []
    for c in CASES:
        if c.get("whole"):
            lrs, _ = run(lambda opt: c["make"](opt, c["total_steps"]), c["schedule"]["lr"],
                         c["total_steps"])
            results.append(dict(name=c["name"], schedule=c["schedule"],
                                total_steps=c["total_steps"], steps_per_epoch=0, lr=lrs))
        else:
            results.append(evaluate(c))
    text = json.dumps({"torch_version": torch.__version__, "cases": results}, indent=1)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            f.write(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
