#!/usr/bin/env python3
"""The peer of `lrsweep run bench/sweep12.yaml --workers 2`: two Optuna processes (SQLite
storage) train the same 12 configurations (cnn, one epoch of Fashion-MNIST, SGD momentum 0.9,
weight decay 5e-4, batch 128, one thread each) with torch.optim.lr_scheduler, and report the wall
time and the best configuration as one JSON line.

  optuna_sweep.py [--smoke] [--data /usr/share/datasets/fashion-mnist]
"""
import argparse
import gzip
import json
import multiprocessing
import os
import tempfile
import time

import numpy as np
import warnings

import optuna
import torch
import torch.nn.functional as F

from torch_train_loop import Cnn

warnings.filterwarnings("ignore", category=FutureWarning)

CONFIGS = [(t, lr) for t in ("constant", "cosine", "onecycle") for lr in (0.02, 0.05, 0.1)] + \
          [("step", lr) for lr in (0.02, 0.05, 0.1)]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(data_dir, smoke):
    if smoke:
        g = torch.Generator().manual_seed(0)
        x = torch.randn(1024, 1, 28, 28, generator=g)
        y = torch.randint(10, (1024,), generator=g)
        return x[:768], y[:768], x[768:], y[768:]
    x = torch.from_numpy(read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz")).copy())
    y = torch.from_numpy(read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz")).copy())
    x = ((x.float() / 255.0 - 0.2860) / 0.3530).unsqueeze(1)
    y = y.long()
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    val = order[:6000]
    train = order[6000:]
    return x[train], y[train], x[val], y[val]


def scheduler_for(kind, lr, optimizer, steps):
    S = torch.optim.lr_scheduler
    if kind == "cosine":
        return S.CosineAnnealingLR(optimizer, steps, 1e-4)
    if kind == "onecycle":
        return S.OneCycleLR(optimizer, lr, total_steps=steps)
    if kind == "step":
        return S.StepLR(optimizer, 141, 0.1)
    return S.LambdaLR(optimizer, lambda s: 1.0)


def train(kind, lr, data, batch=128):
    torch.manual_seed(0)
    x, y, vx, vy = data
    model = Cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    steps = (len(x) + batch - 1) // batch
    scheduler = scheduler_for(kind, lr, optimizer, steps)
    order = torch.randperm(len(x))
    model.train()
    for step in range(steps):
        index = order[step * batch:(step + 1) * batch]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x[index]), y[index])
        loss.backward()
        optimizer.step()
        scheduler.step()
        loss.item()
    model.eval()
    with torch.no_grad():
        correct = sum(int((model(vx[i:i + 1000]).argmax(1) == vy[i:i + 1000]).sum())
                      for i in range(0, len(vx), 1000))
    return correct / len(vx)


def work(url, data_dir, smoke):
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    data = load(data_dir, smoke)
    study = optuna.load_study(study_name="sweep", storage=url)
    while True:
        trial = study.ask()
        if "schedule" not in trial.params and not trial.system_attrs.get("fixed_params"):
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            return
        kind = trial.suggest_categorical("schedule", [c[0] for c in CONFIGS])
        lr = trial.suggest_float("lr", 0.02, 0.1)
        study.tell(trial, train(kind, lr, data))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    configs = CONFIGS[:2] if args.smoke else CONFIGS
    with tempfile.TemporaryDirectory() as tmp:
        url = "sqlite:///" + os.path.join(tmp, "optuna.db")
        study = optuna.create_study(study_name="sweep", storage=url, direction="maximize")
        for kind, lr in configs:
            study.enqueue_trial({"schedule": kind, "lr": lr})
        start = time.perf_counter()
        pool = [multiprocessing.Process(target=work, args=(url, args.data, args.smoke))
                for _ in range(2)]
        for p in pool:
            p.start()
        for p in pool:
            p.join()
        seconds = time.perf_counter() - start
        done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        best = max(done, key=lambda t: t.value)
        print(json.dumps({"trials": len(done), "seconds": seconds,
                          "best": {"schedule": best.params["schedule"], "lr": best.params["lr"],
                                   "val_accuracy": best.value}}))


if __name__ == "__main__":
    main()
