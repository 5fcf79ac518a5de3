"""An ordinary PyTorch training loop (an MLP on Fashion-MNIST) swept by lrsweep.

The lines marked `# lrsweep` are all that connects it: the trial's values, the planned LR
schedule, reports, checkpoints and preemption. Run it standalone with `python3 train.py`, or
sweep it with `lrsweep run sweep.yaml` (see docs/own-script.md).
"""
import gzip
import os

import numpy
import torch

import lrsweep  # lrsweep

DATA = "/usr/share/datasets/fashion-mnist"


def load(kind):
    with gzip.open(os.path.join(DATA, f"{kind}-images-idx3-ubyte.gz")) as file:
        images = numpy.frombuffer(file.read(), numpy.uint8, offset=16).reshape(-1, 784)
    with gzip.open(os.path.join(DATA, f"{kind}-labels-idx1-ubyte.gz")) as file:
        labels = numpy.frombuffer(file.read(), numpy.uint8, offset=8)
    return torch.tensor(images, dtype=torch.float32) / 255.0, torch.tensor(labels, dtype=torch.long)


trial = lrsweep.init(schedule={"type": "cosine", "lr": 0.05}, total_steps=600,  # lrsweep
                     params={}, batch_size=128)
torch.manual_seed(trial.seed)
train_x, train_y = load("train")
val_x, val_y = train_x[-5000:], train_y[-5000:]
train_x, train_y = train_x[:-5000], train_y[:-5000]

hidden = int(trial.args.get("hidden", 256))
model = torch.nn.Sequential(torch.nn.Linear(784, hidden), torch.nn.ReLU(),
                            torch.nn.Linear(hidden, 10))
optimizer = torch.optim.SGD(model.parameters(), lr=trial.lr, momentum=0.9, weight_decay=5e-4)
scheduler = trial.lr_scheduler(optimizer)  # lrsweep
state = {"model": model, "optimizer": optimizer}
step = trial.restore(state)  # lrsweep

batch = trial.batch_size
steps_per_epoch = len(train_x) // batch
while step < trial.total_steps and not trial.should_stop():  # lrsweep: should_stop
    epoch, position = divmod(step, steps_per_epoch)
    # The batch order of an epoch depends only on (seed, epoch): a resume continues it exactly.
    order = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(
        trial.seed * 100003 + epoch))
    index = order[position * batch:(position + 1) * batch]
    loss = torch.nn.functional.cross_entropy(model(train_x[index]), train_y[index])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()
    step += 1
    metrics = {"train_loss": loss.item(), "epoch": epoch}
    if step % 100 == 0 or step == trial.total_steps:
        with torch.no_grad():
            logits = model(val_x)
        metrics["val_loss"] = torch.nn.functional.cross_entropy(logits, val_y).item()
        metrics["val_accuracy"] = (logits.argmax(1) == val_y).float().mean().item()
    trial.report(step, **metrics)  # lrsweep
    trial.save(step, state)  # lrsweep: writes when a checkpoint is due or stopping

if trial.should_stop():
    trial.save(step, state, force=True)  # lrsweep: preempted; resumed elsewhere from here
else:
    print(f"done: val_accuracy {metrics.get('val_accuracy')}")
