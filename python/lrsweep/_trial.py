"""The trial a script trains: its plan, reports, checkpoints and stop signal."""

import atexit
import json
import math
import os
import random
import shutil
import signal
import sys
import time

REPORT_PREFIX = "lrsweep "
_BATCH_LINES = 64
_BATCH_SECONDS = 1.0


def _number(value):
    """A metric as JSON can carry it: floats, with NaN/Inf as strings the worker reads."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"metric values must be numbers, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def _native():
    try:
        from lrsweep import _native as native
    except ImportError as error:
        raise ImportError(
            "lrsweep's schedule library (lrsweep/_native*.so) was built for "
            f"{os.environ.get('LRSWEEP_BUILT_FOR', 'Debian python3')}; this is "
            f"{sys.executable} {sys.version.split()[0]}. Run the script with the python3 "
            f"that has it ({error})") from error
    return native


class Trial:
    """One attempt of one trial. Create it with lrsweep.init()."""

    def __init__(self, spec, in_sweep):
        self._spec = spec
        self.in_sweep = in_sweep
        self.sweep = spec.get("sweep", "")
        self.id = spec.get("trial", 0)
        self.attempt = spec.get("attempt", 1)
        self.seed = spec.get("seed", 0)
        self.params = dict(spec.get("params", {}))
        self.train = dict(spec.get("train", {}))
        self.args = dict(self.train.get("args", {}))
        self.batch_size = spec.get("batch_size", self.train.get("batch_size"))
        self.lr = spec.get("lr", spec.get("schedule", {}).get("lr"))
        self.total_steps = int(spec["total_steps"])
        self.steps_per_epoch = int(spec.get("steps_per_epoch", 0))
        self.warmup_steps = int(spec.get("warmup_steps", 0))
        self.schedule = spec["schedule"]
        self.checkpoint_dir = spec["checkpoint_dir"]
        self.resume_from = spec.get("resume_from")
        checkpoint = spec.get("checkpoint", {})
        self._every_steps = int(checkpoint.get("every_steps", 500))
        self._every_seconds = 60.0 * float(checkpoint.get("every_minutes", 10.0))
        self._last_checkpoint_step = int(spec.get("resume_step", 0))
        self._last_checkpoint_time = time.monotonic()
        self._scheduler = None
        self._scheduler_state = None  # restored before lr_scheduler() was called
        self._stop = False
        self._pending = []
        self._last_flush = time.monotonic()
        self._install_stop_handler()
        atexit.register(self._flush)

    # --- What the script reads ---

    def should_stop(self):
        """True once the worker asked the script to stop (SIGTERM: preemption). Save with
        force=True and exit 0; the trial resumes elsewhere from that checkpoint."""
        return self._stop

    def lr_scheduler(self, optimizer):
        """A torch.optim.lr_scheduler applying the planned LR (times each param group's
        ``lr_scale``, default 1) and, for one-cycle, momentum or Adam's beta1, at every step()."""
        from lrsweep._scheduler import PlannedLR
        self._scheduler = PlannedLR(optimizer, self)
        if self._scheduler_state is not None:
            self._scheduler.load_state_dict(self._scheduler_state)
            self._scheduler_state = None
        return self._scheduler

    # --- Reports ---

    def report(self, step, **metrics):
        """Reports metrics after `step` optimizer steps (the first step is 1): train_loss,
        val_loss, val_accuracy, test_accuracy, epoch, examples_per_second. The applied LR is
        added from the scheduler. Sent in batches; a report of the last step is the result."""
        message = {"step": int(step)}
        for key, value in metrics.items():
            message[key] = int(value) if key == "epoch" else _number(value)
        if self._scheduler is not None:
            message.setdefault("lr", self._scheduler.applied_lr(int(step)))
            momentum = self._scheduler.applied_momentum(int(step))
            if momentum is not None:
                message.setdefault("momentum", momentum)
            self._scheduler.observe_report(message)
        self._emit(message)
        if time.monotonic() - self._last_flush >= _BATCH_SECONDS:
            self._flush()

    def _emit(self, message):
        if not self.in_sweep:
            return
        self._pending.append(REPORT_PREFIX + json.dumps(message) + "\n")
        if len(self._pending) >= _BATCH_LINES:
            self._flush()

    def _flush(self):
        self._last_flush = time.monotonic()
        if not self._pending:
            return
        out = sys.__stdout__
        out.write("".join(self._pending))
        out.flush()
        self._pending = []

    # --- Checkpoints ---

    def checkpoint_due(self, step):
        """True when save() at this step would write: every checkpoint.every_steps or
        every_minutes of the sweep, and when stopping."""
        return (self._stop or step - self._last_checkpoint_step >= self._every_steps or
                time.monotonic() - self._last_checkpoint_time >= self._every_seconds)

    def save(self, step, state, force=False):
        """Saves `state` (a dict of objects with state_dict() — model, optimizer, scaler — and
        plain values) with the scheduler and every RNG, when a checkpoint is due or `force`.
        Call it every step. Returns True when it wrote one."""
        if step <= 0 or not (force or (step < self.total_steps and self.checkpoint_due(step))):
            return False  # the last step needs none: its report is the result
        import torch
        folder = os.path.join(self.checkpoint_dir, f"step-{int(step):09d}")
        partial = folder + ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        os.makedirs(partial)
        payload = {
            "step": int(step),
            "state": {key: (value.state_dict() if hasattr(value, "state_dict") else value)
                      for key, value in state.items()},
            "scheduler": self._scheduler.state_dict() if self._scheduler is not None else None,
            "rng": _rng_state(),
        }
        path = os.path.join(partial, "state.pt")
        with open(path, "wb") as file:
            torch.save(payload, file)
            file.flush()
            os.fsync(file.fileno())
        shutil.rmtree(folder, ignore_errors=True)
        os.rename(partial, folder)
        self._last_checkpoint_step = int(step)
        self._last_checkpoint_time = time.monotonic()
        self._flush()  # the metrics before a checkpoint are committed before it
        if self.in_sweep:
            self._pending.append(REPORT_PREFIX + json.dumps(
                {"checkpoint": os.path.abspath(folder), "step": int(step)}) + "\n")
            self._flush()
        return True

    def restore(self, state):
        """Loads the checkpoint this attempt resumes from into `state`'s objects (and replaces
        its plain values), with the scheduler and every RNG. Returns the step to continue from:
        0 when the trial starts fresh."""
        folder = self.resume_from
        if not folder:
            return 0
        import torch
        payload = torch.load(os.path.join(folder, "state.pt"), map_location="cpu")
        saved = payload["state"]
        missing = [key for key in state if key not in saved]
        if missing:
            raise KeyError(f"the checkpoint in {folder} has no {missing}; it holds "
                           f"{sorted(saved)}: save and restore the same keys")
        for key, value in list(state.items()):
            if hasattr(value, "load_state_dict"):
                value.load_state_dict(saved[key])
            else:
                state[key] = saved[key]
        if payload.get("scheduler") is not None:
            if self._scheduler is not None:
                self._scheduler.load_state_dict(payload["scheduler"])
            else:
                self._scheduler_state = payload["scheduler"]
        _set_rng_state(payload["rng"])
        self._last_checkpoint_step = int(payload["step"])
        return int(payload["step"])

    def _install_stop_handler(self):
        def on_term(signum, frame):
            self._stop = True
        try:
            signal.signal(signal.SIGTERM, on_term)
        except ValueError:  # not the main thread: the script polls nothing then
            pass


def _rng_state():
    import torch
    state = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    try:
        import numpy
        state["numpy"] = numpy.random.get_state()
    except ImportError:
        pass
    return state


def _set_rng_state(state):
    import torch
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if "numpy" in state:
        import numpy
        numpy.random.set_state(state["numpy"])


def init(params=None, schedule=None, total_steps=None, seed=0, batch_size=None,
         steps_per_epoch=0, checkpoint_dir="lrsweep-checkpoints", resume_from=None):
    """The trial this process trains. In a sweep (LRSWEEP_TRIAL set) everything comes from the
    worker and the arguments are ignored. Standalone, they describe the trial: `schedule` is a
    schedule mapping as in a sweep file (e.g. {"type": "cosine", "lr": 0.1}) and `total_steps`
    its horizon."""
    path = os.environ.get("LRSWEEP_TRIAL")
    if path:
        with open(path) as file:
            return Trial(json.load(file), in_sweep=True)
    if schedule is None or total_steps is None:
        raise ValueError("outside a sweep, lrsweep.init needs schedule= and total_steps= "
                         "(e.g. schedule={'type': 'cosine', 'lr': 0.1}, total_steps=1000)")
    native = _native().Schedule(json.dumps(schedule), int(total_steps), int(steps_per_epoch))
    resolved = json.loads(native.spec_json())
    spec = {"trial": 0, "seed": seed, "params": params or {}, "total_steps": int(total_steps),
            "steps_per_epoch": int(steps_per_epoch), "schedule": resolved,
            "lr": resolved.get("lr", resolved.get("max_lr")), "batch_size": batch_size,
            "checkpoint_dir": checkpoint_dir, "resume_from": resume_from}
    os.makedirs(checkpoint_dir, exist_ok=True)
    return Trial(spec, in_sweep=False)
