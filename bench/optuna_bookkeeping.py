#!/usr/bin/env python3
"""The Optuna peer of coordinator_bench: the same bookkeeping (ask, 10 x report, tell) with
Optuna's RDB storage on SQLite, from the same number of processes. Prints one JSON line."""
import json
import multiprocessing
import os
import sys
import tempfile
import time

import optuna


def work(url, study_name, trials_per_process):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=study_name, storage=url)
    for _ in range(trials_per_process):
        trial = study.ask()
        lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
        for step in range(10):
            trial.report(1.0 / (step + 1), step)
        study.tell(trial, lr)


def main():
    processes = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    trials = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        url = "sqlite:///" + os.path.join(tmp, "optuna.db")
        storage = optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 120}})
        optuna.create_study(study_name="bench", storage=storage)
        per = max(1, trials // processes)
        start = time.perf_counter()
        pool = [multiprocessing.Process(target=work, args=(url, "bench", per))
                for _ in range(processes)]
        for p in pool:
            p.start()
        for p in pool:
            p.join()
        seconds = time.perf_counter() - start
        done = per * processes
        print(json.dumps({"processes": processes, "trials": done, "seconds": seconds,
                          "trials_per_second": done / seconds,
                          "metric_points_per_second": 10 * done / seconds,
                          "optuna": optuna.__version__}))


if __name__ == "__main__":
    main()
