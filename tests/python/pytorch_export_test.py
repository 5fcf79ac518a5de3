"""`lrsweep schedule --format pytorch` prints torch.optim.lr_scheduler code that, run by PyTorch
itself, gives the optimizer the LR lrsweep gives at every tick: checked for every reference case
(every schedule type, warmup shapes, epoch units, plateau fed with metrics, sequential schedules).

Run by ctest with Debian's python3 (torch) and LRSWEEP_BIN at the build's bin/ folder.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import warnings

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
import torch_schedules  # noqa: E402  (the reference cases)

BIN = os.environ["LRSWEEP_BIN"]

# Cases torch cannot chain; lrsweep refuses them with exit code 2 and says why.
REFUSED = {"plateau_warmup"}


def lrsweep(args, tmp):
    return subprocess.run([os.path.join(BIN, "lrsweep"), "schedule"] + args, cwd=tmp,
                          capture_output=True, text=True)


def torch_lrs(code, lr, ticks, metrics):
    """Runs the printed code and records the LR before each tick's scheduler.step()."""
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=lr, momentum=0.9)
    namespace = {"optimizer": optimizer}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SequentialLR's step(0) deprecation notice
        exec(code, namespace)  # noqa: S102 - the code under test
        scheduler = namespace["scheduler"]
        lrs = []
        for tick in range(ticks):
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            if metrics is not None:
                scheduler.step(metrics[tick])
            else:
                scheduler.step()
    return lrs


class PytorchExportTest(unittest.TestCase):
    def test_every_reference_case_runs_the_same_in_pytorch(self):
        checked = 0
        for case in torch_schedules.CASES:
            with self.subTest(case=case["name"]), tempfile.TemporaryDirectory() as tmp:
                with open(os.path.join(tmp, "s.yaml"), "w") as f:
                    json.dump({"schedule": case["schedule"]}, f)
                args = ["s.yaml"]
                spe = case["steps_per_epoch"]
                if case["metrics"] is not None:
                    with open(os.path.join(tmp, "m.txt"), "w") as f:
                        f.write("\n".join(str(m) for m in case["metrics"]))
                    args += ["--metrics", "m.txt"]
                else:
                    args += ["--total-steps", str(case["total_steps"])]
                if spe:
                    args += ["--steps-per-epoch", str(spe)]
                code = lrsweep(args + ["--format", "pytorch"], tmp)
                if case["name"] in REFUSED:
                    self.assertEqual(code.returncode, 2, code.stderr)
                    self.assertIn("no torch.optim.lr_scheduler form", code.stderr)
                    continue
                self.assertEqual(code.returncode, 0, code.stderr)
                curve = lrsweep(args + ["--format", "json"], tmp)
                self.assertEqual(curve.returncode, 0, curve.stderr)
                ours = json.loads(curve.stdout)["lr"]
                epoch = case["schedule"].get("unit") == "epoch" and case["metrics"] is None
                ticks = -(-len(ours) // spe) if epoch else len(ours)
                expected = [ours[t * spe] for t in range(ticks)] if epoch else ours
                lr = case["schedule"].get("lr", case["schedule"].get("max_lr"))
                got = torch_lrs(code.stdout, lr, ticks, case["metrics"])
                for tick, (a, b) in enumerate(zip(got, expected)):
                    self.assertAlmostEqual(a, b, delta=1e-9 * abs(b) + 1e-15,
                                           msg=f"tick {tick}\n{code.stdout}")
                checked += 1
        self.assertGreater(checked, 40)

    def test_the_code_names_the_optimizer_lr_and_how_to_step(self):
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "s.yaml"), "w") as f:
                f.write("schedule: {type: cosine, lr: 0.3, warmup: {steps: 10}}\n")
            out = lrsweep(["s.yaml", "--total-steps", "100", "--format", "pytorch"], tmp)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn("Create `optimizer` with lr=0.3", out.stdout)
            self.assertIn("Call scheduler.step() once per step", out.stdout)
            self.assertIn("CosineAnnealingLR(optimizer, T_max=90", out.stdout)
            self.assertIn("milestones=[10]", out.stdout)


if __name__ == "__main__":
    unittest.main()
