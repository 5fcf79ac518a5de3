"""Writes bench/halving.sh's measurements as the "## 5." section of bench/RESULTS.md, replacing
an earlier one and keeping every other section.

    python3 bench/write_halving.py OUT_DIR "2 cores, 24 GiB, x86_64, 2026-12-04" [--print]
"""
import json
import os
import sys

MARKER = "## 5. Fewer steps"


def load(out, name):
    with open(os.path.join(out, name)) as f:
        return json.load(f)


def seconds(out, name):
    with open(os.path.join(out, name + ".seconds")) as f:
        return float(f.read())


def key(schedule, lr):
    return (schedule, round(float(lr), 10))


def grid_means(grid):
    """(schedule, peak LR) -> the grid's ranking entry."""
    return {key(r["schedule"], r["peak_lr"]): r for r in grid["ranking"] if r["mean"] is not None}


def verdict(grid, chosen):
    """Whether `chosen` (a grid ranking entry) is within the grid best's 95% CI."""
    best = grid["ranking"][0]
    low = best["ci95"][0] if best["ci95"] else best["mean"]
    return chosen["mean"] >= low


def section(out, machine):
    grid, asha, optuna = load(out, "grid.json"), load(out, "asha.json"), load(out, "optuna.json")
    means = grid_means(grid)
    grid_steps = sum(t["final"].get("steps", 0) or 0 for t in grid["trials"])
    best = grid["ranking"][0]
    asha_pick = asha["ranking"][0]
    asha_in_grid = means[key(asha_pick["schedule"], asha_pick["peak_lr"])]
    optuna_in_grid = means[key(optuna["best"]["schedule"], optuna["best"]["lr"])]
    asha_steps = asha["successive_halving"]["steps_trained"]
    rows = [
        ("full grid (`lrsweep run`)", grid_steps, seconds(out, "grid"), best, True),
        ("`method: asha` (`lrsweep run`)", asha_steps, seconds(out, "asha"), asha_in_grid,
         verdict(grid, asha_in_grid)),
        ("Optuna `SuccessiveHalvingPruner`", optuna["steps"], optuna["seconds"], optuna_in_grid,
         verdict(grid, optuna_in_grid)),
    ]
    ci = best["ci95"] or [best["mean"], best["mean"]]
    lines = [
        f"{MARKER}: successive halving vs the full grid vs Optuna's pruner", "",
        "Command: `bench/halving.sh` (writes this section). Machine: " + machine + ".", "",
        "The space of `bench/halving_grid.yaml`: constant, cosine and one-cycle at peak LRs 0.02, "
        "0.05 and 0.1, 3 seeds each (27 runs), the cnn on Fashion-MNIST for 2 epochs, 2 workers. "
        "The full grid is the reference: its best configuration and the 95% CI of its mean over "
        "the seeds. `method: asha` (reduction factor 3: rungs of 1/9, 1/3 and the whole run, each "
        "with its schedule resolved for that run) and Optuna's `SuccessiveHalvingPruner` "
        "(min_resource 1 of 9 reports per run, reduction factor 3, the same 27 runs enqueued, "
        "pruned at the same step for every schedule) pick a configuration; the table shows that "
        "configuration's mean in the full grid, and whether it lies within the grid best's CI "
        f"[{ci[0]:.4f}, {ci[1]:.4f}].", "",
        "| method | optimizer steps | vs grid | wall s | chosen configuration | its grid mean "
        "val_accuracy | within the best's 95% CI |",
        "|---|---:|---:|---:|---|---:|---|",
    ]
    for name, steps, wall, chosen, ok in rows:
        lines.append(f"| {name} | {steps} | {steps / grid_steps:.2f}x | {wall:.0f} | "
                     f"{chosen['schedule']} lr={chosen['peak_lr']:g} | {chosen['mean']:.4f} | "
                     f"{'yes' if ok else 'no'} |")
    lines += ["", f"Optuna completed {optuna['completed']} of its {optuna['trials']} runs; "
              f"`method: asha` trained {len(asha['trials'])} trials over "
              f"{len(asha['successive_halving']['rungs'])} rungs.", ""]
    return "\n".join(lines) + "\n"


def main():
    out, machine = sys.argv[1], sys.argv[2]
    text = section(out, machine)
    if "--print" in sys.argv:
        print(text)
        return
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
    with open(path) as f:
        previous = f.read()
    start = previous.find(MARKER)
    if start >= 0:
        end = previous.find("\n## ", start + 1)
        previous = previous[:start] + (previous[end + 1:] if end >= 0 else "")
    with open(path, "w") as f:
        f.write(previous.rstrip() + "\n\n" + text)
    print(text)


if __name__ == "__main__":
    main()
