"""lrsweep's Python client: sweep your own training script with the exact planned schedule.

The worker runs your script once per attempt with LRSWEEP_TRIAL naming the trial's JSON. Five
lines connect a PyTorch loop (docs/own-script.md):

    import lrsweep
    trial = lrsweep.init()                               # params, seed, total_steps, ...
    scheduler = trial.lr_scheduler(optimizer)            # the planned LR (and momentum)
    step = trial.restore({"model": model, "optimizer": optimizer})   # 0 when fresh
    while step < trial.total_steps and not trial.should_stop():
        ...; optimizer.step(); scheduler.step(); step += 1
        trial.report(step, train_loss=loss.item())
        trial.save(step, {"model": model, "optimizer": optimizer})  # writes when due
    trial.save(step, {...}, force=True) if trial.should_stop() else None

Outside a sweep, ``lrsweep.init(params=..., schedule=..., total_steps=...)`` builds the same trial
so the script runs standalone for debugging.
"""

from lrsweep._trial import Trial, init

__all__ = ["Trial", "init"]
