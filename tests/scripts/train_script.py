"""A user's own PyTorch training script, swept by lrsweep through train.command.

A small MLP on synthetic 2-class data, trained deterministically: the weights come from the trial
seed and the batch order of epoch e from (seed, e), so a resumed attempt continues exactly where
the interrupted one stopped. train.args select misbehaviours the tests need:
  mode: raise   -> raises ValueError at step 3
  mode: silent  -> never reports (the worker fails it after report_timeout_minutes)
  step_sleep: s -> sleeps s seconds per step (time for a test to preempt or kill it)
"""
import time

import torch

import lrsweep

trial = lrsweep.init()
torch.set_num_threads(1)
mode = trial.args.get("mode", "train")
if mode == "silent":
    time.sleep(3600)

generator = torch.Generator().manual_seed(1234)
inputs = torch.randn(640, 8, generator=generator)
targets = (inputs[:, 0] + 0.5 * inputs[:, 1] > 0).long()
train_x, train_y = inputs[:512], targets[:512]
val_x, val_y = inputs[512:], targets[512:]

torch.manual_seed(trial.seed)
model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=trial.lr, momentum=0.9)
scheduler = trial.lr_scheduler(optimizer)
state = {"model": model, "optimizer": optimizer}
step = trial.restore(state)

batch = trial.batch_size
steps_per_epoch = trial.steps_per_epoch or len(train_x) // batch
while step < trial.total_steps and not trial.should_stop():
    epoch, position = divmod(step, steps_per_epoch)
    order = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(
        trial.seed * 1000 + epoch))
    index = order[position * batch:(position + 1) * batch]
    loss = torch.nn.functional.cross_entropy(model(train_x[index]), train_y[index])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()
    step += 1
    if mode == "raise" and step == 3:
        raise ValueError(f"boom at step {step}")
    metrics = {"train_loss": loss.item(), "epoch": epoch}
    if step % steps_per_epoch == 0 or step == trial.total_steps:
        with torch.no_grad():
            logits = model(val_x)
            metrics["val_loss"] = torch.nn.functional.cross_entropy(logits, val_y).item()
            metrics["val_accuracy"] = (logits.argmax(1) == val_y).float().mean().item()
    trial.report(step, **metrics)
    trial.save(step, state)
    time.sleep(float(trial.args.get("step_sleep", 0)))

if trial.should_stop():
    trial.save(step, state, force=True)
