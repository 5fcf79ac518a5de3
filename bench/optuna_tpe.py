#!/usr/bin/env python3
"""The peer of tpe_bench: milliseconds per suggestion of Optuna's TPESampler with N completed
trials over the same space (a family, a log-uniform peak LR, a uniform warmup fraction).

    python3 bench/optuna_tpe.py --observations 10000 --suggestions 5

Prints one JSON line: {"observations": N, "ms_per_suggestion": ...}.
"""
import argparse
import json
import math
import random
import time

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution

SPACE = {
    "schedule.type": CategoricalDistribution(["constant", "cosine", "linear"]),
    "schedule.lr": FloatDistribution(1e-4, 1.0, log=True),
    "schedule.warmup.fraction": FloatDistribution(0.0, 0.2),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--observations", type=int, default=10000)
    parser.add_argument("--suggestions", type=int, default=5)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rng = random.Random(0)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    trials = []
    for _ in range(args.observations):
        params = {"schedule.type": rng.choice(["constant", "cosine", "linear"]),
                  "schedule.lr": math.exp(rng.uniform(math.log(1e-4), 0.0)),
                  "schedule.warmup.fraction": rng.uniform(0.0, 0.2)}
        value = (math.log10(params["schedule.lr"]) + 1.5) ** 2 + params["schedule.warmup.fraction"]
        trials.append(optuna.trial.create_trial(params=params, distributions=SPACE, value=value))
    study.add_trials(trials)
    start = time.perf_counter()
    for _ in range(args.suggestions):
        trial = study.ask(SPACE)
        study.tell(trial, 1.0)
    ms = (time.perf_counter() - start) * 1000 / args.suggestions
    print(json.dumps({"observations": args.observations, "ms_per_suggestion": ms}))


if __name__ == "__main__":
    main()
