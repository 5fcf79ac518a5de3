#!/usr/bin/env python3
"""Turns the JSON lines bench/run.sh collected into bench/RESULTS.md (on stdout)."""
import json
import os
import re
import sys

out, machine = sys.argv[1], sys.argv[2]


def load(name):
    with open(os.path.join(out, name + ".json")) as f:
        return json.loads(f.read().strip().splitlines()[-1])


def verdict(ok):
    return "met" if ok else "**missed**"


lines = ["# Benchmark results", "",
         f"Machine: {machine}. Reproduce everything with `bench/run.sh` (after `./build.sh build`);",
         "each figure is a ratio against a peer measured in the same run.", ""]

# 1. Coordinator bookkeeping.
c64, o64, c8, o8 = load("coord64"), load("optuna64"), load("coord8"), load("optuna8")
small, large = load("coord_small"), load("coord_large")
memory = load("coord_memory")
r64 = c64["trials_per_second"] / o64["trials_per_second"]
r8 = c8["trials_per_second"] / o8["trials_per_second"]
flat = small["trials_per_second"] / large["trials_per_second"]
lines += ["## 1. Coordinator bookkeeping vs Optuna 3.1 (SQLite storage)", "",
          "Simulated workers: acquire a lease, 10 metric reports (one RPC each), complete.",
          "Optuna: the same number of processes doing ask, 10 x report, tell.", "",
          "| workers | lrsweep trials/s | Optuna trials/s | ratio | lrsweep metric points/s | hand-off p50 | hand-off p99 |",
          "|---:|---:|---:|---:|---:|---:|---:|",
          f"| 64 | {c64['trials_per_second']:.0f} | {o64['trials_per_second']:.1f} | {r64:.1f}x | {c64['metric_points_per_second']:.0f} | {c64['handoff_p50_ms']:.2f} ms | {c64['handoff_p99_ms']:.2f} ms |",
          f"| 8 | {c8['trials_per_second']:.0f} | {o8['trials_per_second']:.1f} | {r8:.1f}x | {c8['metric_points_per_second']:.0f} | {c8['handoff_p50_ms']:.2f} ms | {c8['handoff_p99_ms']:.2f} ms |",
          "",
          f"Commands: `build/bin/coordinator_bench --workers 64 --trials 3000`, "
          f"`/usr/bin/python3 bench/optuna_bookkeeping.py 64 640` (and 8 / 1000, 8 / 400).", "",
          f"Per-trial cost with 100,000 trials in the sweep vs 1,000 (16 workers): "
          f"{flat:.2f}x ({small['trials_per_second']:.0f} vs {large['trials_per_second']:.0f} trials/s; "
          f"target within 1.2x: {verdict(flat <= 1.2)}; 1,000 trials run in each). Commands: `build/bin/coordinator_bench --workers 16 --trials 1000` and `--trials 1000 --sweep-size 100000`.", "",
          f"Targets: >= 50x Optuna's trials/s ({verdict(r64 >= 50)}), hand-off p50 < 2 ms "
          f"({verdict(c64['handoff_p50_ms'] < 2)}), p99 < 20 ms ({verdict(c64['handoff_p99_ms'] < 20)}).", "",
          "Where missed, why: every acknowledged transition is durable (SQLite WAL, "
          "synchronous=FULL) before it is answered. Metric reports are group-committed (all "
          "reports waiting share one transaction and one fsync), but the lease grant and the "
          "completion are still one fsync each, taken under the coordinator's lock, so idle "
          "workers queue behind them: that is the hand-off latency at 64 workers. What would close "
          "it: group-commit transitions too (grant from memory, make the batch durable, then "
          "answer), so that one fsync serves every worker that became idle within a millisecond.", "",
          f"Memory: with {memory['idle_workers']} simulated workers registered and long-polling, the "
          f"coordinator's resident memory is {memory['coordinator_rss_mb_with_workers']:.1f} MB "
          f"({memory['coordinator_rss_mb_before']:.1f} MB idle, {memory['kb_per_worker']:.0f} kB per "
          f"worker). Command: `build/bin/coordinator_bench --idle-workers 1000`.", ""]

# 2. Training steps.
lines += ["## 2. Training step: the worker's LibTorch trainer vs the same loop in Python", "",
          "Same model, SGD momentum 0.9 with OneCycleLR, batch, threads and in-memory data; "
          "steady-state optimizer steps/s.", "",
          "| model | batch | threads | lrsweep steps/s | Python steps/s | ratio |",
          "|---|---:|---:|---:|---:|---:|"]
worst, at32 = 99.0, 99.0
for model in ("mlp", "cnn"):
    for batch in (32, 256):
        for threads in (1, 2):
            cpp = load(f"cpp_{model}_{batch}_{threads}")["steps_per_second"]
            py = load(f"py_{model}_{batch}_{threads}")["steps_per_second"]
            ratio = cpp / py
            worst = min(worst, ratio)
            if batch == 32:
                at32 = min(at32, ratio)
            lines.append(f"| {model} | {batch} | {threads} | {cpp:.1f} | {py:.1f} | {ratio:.2f}x |")
bare, worker = load("overhead_bare")["steps_per_second"], load("overhead_worker")["steps_per_second"]
overhead = bare / worker - 1
lines += ["",
          "Commands: `build/bin/trainer_bench --model M --batch B --threads T --steps N` and "
          "`/usr/bin/python3 bench/torch_train_loop.py --model M --batch B --threads T --steps N`.", "",
          f"Targets: >= 1.0x everywhere ({verdict(worst >= 1.0)}, worst {worst:.2f}x), >= 1.2x at "
          f"batch 32 ({verdict(at32 >= 1.2)}, worst {at32:.2f}x).",
          f"Worker overhead (metric batching into protobuf + a checkpoint every 100 steps) vs the "
          f"bare loop, cnn batch 32: {100 * overhead:.1f}% (target < 2%: {verdict(overhead < 0.02)}).", "",
          "Where missed, why: both sides spend their time in the same ATen kernels; at batch 256 the "
          "per-step Python overhead the C++ loop saves is a small share, and single runs on a shared "
          "2-core machine vary by a few percent. The C++ trainer also builds each batch's index "
          "tensor from a std::vector every step. The worker overhead is the checkpoint: serializing "
          "and hashing the model every 100 steps of a 400-step run. What would close them: keep the "
          "epoch order as a tensor and slice it, stream checkpoints (section 3), and checkpoint by "
          "time rather than every 100 steps for fast models (the default is every 500 steps or "
          "10 minutes).", ""]

# 3. Checkpoints.
ckpt = [json.loads(l) for l in open(os.path.join(out, "ckpt.jsonl")) if l.strip()]
lines += ["## 3. Checkpoints vs raw file I/O", "",
          "| model | size | save MB/s | raw write+fsync MB/s | save / raw | load MB/s | raw read MB/s | load / raw |",
          "|---|---:|---:|---:|---:|---:|---:|---:|"]
for c in ckpt:
    lines.append(f"| {c['size']} | {c['megabytes']:.1f} MB | {c['save_mb_per_s']:.0f} | "
                 f"{c['raw_write_mb_per_s']:.0f} | {c['save_vs_raw']:.2f}x | {c['load_mb_per_s']:.0f} | "
                 f"{c['raw_read_mb_per_s']:.0f} | {c['load_vs_raw']:.2f}x |")
large_ckpt = [c for c in ckpt if c["size"] == "large"]
resume = [json.loads(l) for l in open(os.path.join(out, "resume.jsonl")) if l.strip()]
lines += ["", "Command: `build/bin/checkpoint_bench --sizes small,large`.", "",
          f"Target: save >= 0.8x the raw write rate for the large model "
          f"({verdict(bool(large_ckpt) and large_ckpt[0]['save_vs_raw'] >= 0.8)}). Where missed, why: "
          "a save serializes the torch archive into memory, copies it into the framed file, "
          "hashes all of it with SHA-256 and only then writes; the copies and the hash cost more "
          "than the write. What would close it: stream the archive straight to the file, hashing "
          "incrementally as the bytes go out. The large model is an MLP with hidden layers "
          "3000-3000 (SGD momentum buffers appear after the first step, so this checkpoint holds "
          "weights only).", "",
          "Checkpoint stores, through a real coordinator on loopback "
          "(`build/bin/checkpoint_bench --sizes small,large --resume`). Storing: uploading to the "
          "coordinator (the default) against writing to a shared directory and registering it "
          "(`--checkpoint-store shared:DIR`; here a local directory, so this is the cost the "
          "shared store saves, not a network filesystem's speed). Resuming on another node: "
          "downloading from the coordinator, or reading from the shared directory, and restoring, "
          "against restoring the same file from local disk:", "",
          "| model | store: upload | store: shared dir | shared speed-up | resume: coordinator "
          "| resume: shared dir | resume: local disk | local / coordinator |",
          "|---|---:|---:|---:|---:|---:|---:|---:|"] + [
          f"| {r['size']} | {r['save_upload_ms']:.1f} ms | {r['save_shared_ms']:.1f} ms | "
          f"{r['shared_vs_upload_save']:.2f}x | {r['resume_from_coordinator_ms']:.1f} ms | "
          f"{r['resume_from_shared_dir_ms']:.1f} ms | {r['resume_from_local_disk_ms']:.1f} ms | "
          f"{r['local_vs_coordinator']:.2f}x |"
          for r in resume] + [""]

# 4. Whole sweep.
cpp_sweep, py_sweep = load("sweep_cpp"), load("sweep_py")
ratio = cpp_sweep["seconds"] / py_sweep["seconds"]
best_line = ""
with open(os.path.join(out, "sweep.md")) as f:
    for line in f:
        if line.startswith("| 1 |"):
            best_line = line.strip()
            break
lines += ["## 4. A whole sweep: `lrsweep run` vs Optuna + PyTorch", "",
          "12 trials, cnn, one epoch of Fashion-MNIST each, four schedule families at three peak "
          "LRs, two workers / two Optuna processes with one thread each.", "",
          f"| | wall seconds |", "|---|---:|",
          f"| `build/bin/lrsweep run bench/sweep12.yaml --workers 2` | {cpp_sweep['seconds']:.1f} |",
          f"| `/usr/bin/python3 bench/optuna_sweep.py` | {py_sweep['seconds']:.1f} |",
          f"| ratio (lrsweep / Optuna) | {ratio:.2f}x |", "",
          f"Target: at most 0.8x Optuna's wall time ({verdict(ratio <= 0.8)}).", "",
          "Where missed, why: the lrsweep run includes starting the coordinator and workers, each "
          "worker decoding Fashion-MNIST, a validation pass at every epoch end plus a test-set "
          "pass per trial, and checkpoints; the Optuna peer evaluates validation once per trial "
          "and keeps nothing. The per-step training speed is on par (section 2). What would close "
          "it: load the dataset once per worker process before the first lease, and make the test "
          "pass optional for sweeps that rank by validation.", "",
          f"Best configuration found — lrsweep: `{best_line}`; Optuna: "
          f"{py_sweep['best']['schedule']} at lr {py_sweep['best']['lr']} "
          f"(val_accuracy {py_sweep['best']['val_accuracy']:.4f}). The two use different "
          "validation splits and batch orders, so close configurations may swap places.", ""]
# A before/after comparison of the coordinator (bench/compare_coordinators.sh) is measured on its
# own; keep it.
results = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
if os.path.exists(results):
    with open(results) as f:
        previous = f.read()
    marker = "## Coordinator before and after"
    if marker in previous:
        lines += [previous[previous.index(marker):].rstrip(), ""]
print("\n".join(lines))
