"""The Python client's LR scheduler applies exactly what `lrsweep schedule` prints, for every
schedule type, including plateau fed with metrics and a save/restore in the middle of training.

Run by ctest with Debian's python3 (torch), PYTHONPATH at the build's python/ folder and
LRSWEEP_BIN at its bin/ folder.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import torch

import lrsweep

BIN = os.environ["LRSWEEP_BIN"]
TOTAL = 40

# One spec per schedule type (and warmup), with lengths that make every phase happen in TOTAL.
SPECS = {
    "constant": {"type": "constant", "lr": 0.1},
    "step": {"type": "step", "lr": 0.1, "step_size": 7, "gamma": 0.5},
    "multistep": {"type": "multistep", "lr": 0.1, "milestones": [10, 25], "gamma": 0.3},
    "exponential": {"type": "exponential", "lr": 0.1, "gamma": 0.95},
    "cosine": {"type": "cosine", "lr": 0.1, "eta_min": 0.001},
    "warmup_cosine": {"type": "cosine", "lr": 0.1, "warmup": {"steps": 6}},
    "cosine_restarts": {"type": "cosine_restarts", "lr": 0.1, "t_0": 8, "t_mult": 2},
    "onecycle": {"type": "onecycle", "max_lr": 0.2},
    "linear": {"type": "linear", "lr": 0.1, "start_factor": 1.0, "end_factor": 0.1},
    "polynomial": {"type": "polynomial", "lr": 0.1, "power": 2.0},
    "inverse_sqrt": {"type": "inverse_sqrt", "lr": 0.1, "warmup_steps": 5},
    "wsd": {"type": "wsd", "lr": 0.1, "warmup_steps": 4, "decay_steps": 10},
    "plateau": {"type": "plateau", "lr": 0.1, "unit": "step", "patience": 2, "factor": 0.5},
    "hard_restarts": {"type": "cosine_restarts", "lr": 0.1, "num_cycles": 3},
    "sequential": {"type": "sequential", "lr": 0.1, "milestones": [5, 20],
                   "schedules": [{"type": "linear", "start_factor": 0.1, "total_iters": 5},
                                 {"type": "constant"}, {"type": "cosine", "eta_min": 0.001}]},
}

# Plateau's metric: improves, then stalls (so that the LR is reduced, more than once).
METRICS = [1.0 / (1 + i) if i < 12 else 0.2 for i in range(TOTAL)]


def cli_schedule(spec):
    """The LR and momentum per step from `lrsweep schedule` (the C++ library via the CLI)."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "schedule.yaml")
        with open(path, "w") as file:
            json.dump({"schedule": spec}, file)  # JSON is YAML
        argv = [os.path.join(BIN, "lrsweep"), "schedule", path, "--format", "json"]
        if spec["type"] == "plateau":
            metrics = os.path.join(folder, "metrics.txt")
            with open(metrics, "w") as file:
                file.write("\n".join(repr(value) for value in METRICS))
            argv += ["--metrics", metrics]
        else:
            argv += ["--total-steps", str(TOTAL)]
        out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    printed = json.loads(out)
    momentum = printed.get("momentum") or [None] * len(printed["lr"])
    return list(zip(printed["lr"], momentum))


def python_schedule(spec, restore_at=None, adam=False):
    """The LR and momentum the client's scheduler applies in a training loop, optionally saved
    and restored into a fresh optimizer and scheduler after `restore_at` steps."""
    def fresh():
        weight = torch.nn.Parameter(torch.zeros(3))
        optimizer = (torch.optim.AdamW([weight], lr=1.0) if adam else
                     torch.optim.SGD([weight], lr=1.0, momentum=0.9))
        trial = lrsweep.init(schedule=spec, total_steps=TOTAL,
                             checkpoint_dir=tempfile.mkdtemp())
        return weight, optimizer, trial, trial.lr_scheduler(optimizer)

    weight, optimizer, trial, scheduler = fresh()
    applied = []
    for step in range(TOTAL):
        if step == restore_at:
            saved = scheduler.state_dict()
            weight, optimizer, trial, scheduler = fresh()
            scheduler.load_state_dict(json.loads(json.dumps(saved)))
        group = optimizer.param_groups[0]
        momentum = group["betas"][0] if adam else group["momentum"]
        applied.append((group["lr"], momentum))
        weight.grad = torch.ones(3)
        optimizer.step()
        if spec["type"] == "plateau":
            trial.report(step + 1, train_loss=METRICS[step])
        scheduler.step()
    return applied


class ClientScheduleTest(unittest.TestCase):
    def check(self, name, **kwargs):
        spec = SPECS[name]
        expected = cli_schedule(spec)
        got = python_schedule(spec, **kwargs)
        self.assertEqual(len(got), len(expected))
        for step, ((lr, momentum), (want_lr, want_momentum)) in enumerate(zip(got, expected)):
            self.assertEqual(lr, want_lr, f"{name}: LR at step {step}")
            if want_momentum is not None:
                self.assertEqual(momentum, want_momentum, f"{name}: momentum at step {step}")

    def test_every_type_equals_the_cli(self):
        for name in SPECS:
            with self.subTest(schedule=name):
                self.check(name)

    def test_save_and_restore_in_the_middle_changes_nothing(self):
        for name in SPECS:
            with self.subTest(schedule=name):
                self.check(name, restore_at=TOTAL // 2 + 1)

    def test_onecycle_cycles_adam_beta1(self):
        self.check("onecycle", adam=True)

    def test_plateau_reduces_the_lr(self):
        lrs = [lr for lr, _ in python_schedule(SPECS["plateau"])]
        self.assertLess(lrs[-1], lrs[0])

    def test_a_bad_schedule_names_the_key(self):
        with self.assertRaisesRegex(ValueError, "schedule.type: unknown schedule type 'cosin'"):
            lrsweep.init(schedule={"type": "cosin", "lr": 0.1}, total_steps=10)

    def test_a_state_of_another_schedule_is_refused(self):
        _, _, _, cosine = (lambda t: (None, None, t, t.lr_scheduler(
            torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0))))(
                lrsweep.init(schedule=SPECS["cosine"], total_steps=TOTAL))
        for _ in range(5):
            cosine.step()
        other = lrsweep.init(schedule=SPECS["step"], total_steps=TOTAL).lr_scheduler(
            torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0))
        with self.assertRaises(ValueError):
            other.load_state_dict(cosine.state_dict())


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1] + sys.argv[1:])
