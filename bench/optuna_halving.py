#!/usr/bin/env python3
"""The peer of `method: asha` in bench/halving.sh: Optuna's SuccessiveHalvingPruner over the space
of bench/halving_grid.yaml (3 families x 3 peak LRs x 3 seeds, cnn, 2 epochs of Fashion-MNIST,
SGD momentum 0.9, weight decay 5e-4, batch 128), two processes with one thread each, SQLite
storage. Every configuration and seed is one trial (27, the grid's budget); each reports
validation accuracy at every ninth of its run and is pruned where the pruner says, at the same
step for every schedule. Prints one JSON line: optimizer steps trained, wall time, the chosen
configuration (the best completed trial's) and its accuracy.

  optuna_halving.py [--smoke] [--data /usr/share/datasets/fashion-mnist]
"""
import argparse
import json
import multiprocessing
import os
import tempfile
import time
import warnings

import optuna
import torch
import torch.nn.functional as F

from optuna_sweep import load
from torch_train_loop import Cnn

warnings.filterwarnings("ignore")

FAMILIES = ["constant", "cosine", "onecycle"]
LRS = [0.02, 0.05, 0.1]
SEEDS = [0, 1, 2]
EPOCHS = 2
BATCH = 128
RUNGS = 9  # reports per run


def scheduler_for(kind, lr, optimizer, steps):
    S = torch.optim.lr_scheduler
    if kind == "cosine":
        return S.CosineAnnealingLR(optimizer, steps, 1e-4)
    if kind == "onecycle":
        return S.OneCycleLR(optimizer, lr, total_steps=steps)
    return S.LambdaLR(optimizer, lambda s: 1.0)


def accuracy(model, vx, vy):
    model.eval()
    with torch.no_grad():
        correct = sum(int((model(vx[i:i + 1000]).argmax(1) == vy[i:i + 1000]).sum())
                      for i in range(0, len(vx), 1000))
    model.train()
    return correct / len(vx)


def train(trial, kind, lr, seed, data, epochs):
    torch.manual_seed(seed)
    x, y, vx, vy = data
    model = Cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    per_epoch = (len(x) + BATCH - 1) // BATCH
    steps = per_epoch * epochs
    scheduler = scheduler_for(kind, lr, optimizer, steps)
    report_every = max(1, steps // RUNGS)
    model.train()
    done = 0
    for epoch in range(epochs):
        order = torch.randperm(len(x))
        for step in range(per_epoch):
            index = order[step * BATCH:(step + 1) * BATCH]
            optimizer.zero_grad()
            F.cross_entropy(model(x[index]), y[index]).backward()
            optimizer.step()
            scheduler.step()
            done += 1
            if done % report_every == 0 and done < steps:
                trial.report(accuracy(model, vx, vy), done // report_every)
                if trial.should_prune():
                    trial.set_user_attr("steps", done)
                    raise optuna.TrialPruned()
    trial.set_user_attr("steps", done)
    return accuracy(model, vx, vy)


def work(url, data_dir, smoke, epochs):
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    data = load(data_dir, smoke)
    study = optuna.load_study(study_name="halving", storage=url,
                              pruner=optuna.pruners.SuccessiveHalvingPruner(
                                  min_resource=1, reduction_factor=3))
    while True:
        trial = study.ask()
        if not trial.system_attrs.get("fixed_params"):
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            return
        kind = trial.suggest_categorical("schedule", FAMILIES)
        lr = trial.suggest_categorical("lr", LRS)
        seed = trial.suggest_categorical("seed", SEEDS)
        try:
            study.tell(trial, train(trial, kind, lr, seed, data, epochs))
        except optuna.TrialPruned:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    epochs = 1 if args.smoke else EPOCHS
    with tempfile.TemporaryDirectory() as tmp:
        url = "sqlite:///" + os.path.join(tmp, "optuna.db")
        study = optuna.create_study(study_name="halving", storage=url, direction="maximize")
        for seed in SEEDS:  # seeds outermost: every configuration is seen early
            for kind in FAMILIES:
                for lr in LRS:
                    study.enqueue_trial({"schedule": kind, "lr": lr, "seed": seed})
        start = time.perf_counter()
        pool = [multiprocessing.Process(target=work, args=(url, args.data, args.smoke, epochs))
                for _ in range(2)]
        for p in pool:
            p.start()
        for p in pool:
            p.join()
        seconds = time.perf_counter() - start
        trials = [t for t in study.trials if "steps" in t.user_attrs]
        done = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
        best = max(done, key=lambda t: t.value)
        print(json.dumps({"trials": len(trials), "completed": len(done),
                          "steps": sum(t.user_attrs["steps"] for t in trials),
                          "seconds": seconds,
                          "best": {"schedule": best.params["schedule"], "lr": best.params["lr"],
                                   "val_accuracy": best.value}}))


if __name__ == "__main__":
    main()
