"""Writes the soak's JSON line (bench/soak_bench.cc) as the "## Soak" section of bench/RESULTS.md,
replacing an earlier one and keeping every other section.

    build/bin/soak_bench --workers 1000 --minutes 10 --restarts 2 > soak.json
    python3 bench/write_soak.py soak.json "2 cores, 24 GiB, x86_64, 2026-12-01"
"""
import json
import os
import sys

MARKER = "## Soak"


def section(result, machine):
    ok = "held" if result["invariants_held"] else "**broken**"
    lines = [
        f"{MARKER}: {result['workers']} simulated workers, {result['minutes']:g} minutes, "
        f"{result['coordinator_restarts']} coordinator restarts", "",
        f"Command: `build/bin/soak_bench --workers {result['workers']} --minutes "
        f"{result['minutes']:g} --restarts {result['coordinator_restarts']}` "
        "(or `bench/run.sh --soak`). Machine: " + machine + ".", "",
        "Each simulated worker (a thread, loopback gRPC, no training) leases a trial, heartbeats "
        "and reports a point every 2 s for 4-10 s and completes it; 2% of leases end in a death "
        "(silence, then a new registration), 2% in a stall (silence for twice the 10 s lease "
        "timeout, then a completion the coordinator must refuse). The coordinator is killed with "
        "SIGKILL and restarted on the same port and data dir at evenly spaced times.", "",
        f"Invariants: {ok}.", "",
        "| what | count |", "|---|---:|",
        f"| leases granted | {result['leases']} |",
        f"| completions acknowledged (distinct trials) | {result['completions_acknowledged']} |",
        f"| COMPLETED in the store at the end | {result['completed_in_store']} |",
        f"| trials completed twice (must be 0) | {result['completed_twice']} |",
        f"| completions whose answer a restart cut off (retry found the lease gone) | "
        f"{result['acks_cut_by_restart']} |",
        f"| worker deaths | {result['worker_deaths']} |",
        f"| stalls | {result['stalls']} |",
        f"| stalled workers' completions refused / accepted (must be 0) | "
        f"{result['stalled_completions_refused']} / {result['stalled_completions_accepted']} |",
        f"| stalled across a restart, then accepted (the restart renewed the lease) | "
        f"{result.get('stalled_across_a_restart_accepted', 0)} |",
        f"| live leases lost, restarts included (must be 0) | {result['live_leases_lost']} |",
        f"| metric points stored | {result['metric_points']} |",
        f"| coordinator RSS at start / end | {result['coordinator_rss_mb_start']:.1f} MB / "
        f"{result['coordinator_rss_mb_end']:.1f} MB |", "",
        "Hand-off (a worker done with a trial until it holds the next), per minute of the soak:", "",
        "| minute | hand-offs | p50 | p99 |", "|---:|---:|---:|---:|"]
    for row in result["handoff_by_minute"]:
        lines.append(f"| {row['minute']} | {row['handoffs']} | {row['p50_ms']:.1f} ms | "
                     f"{row['p99_ms']:.1f} ms |")
    lines += ["", "The p99 rises in the minutes of the restarts: hand-offs that waited out the "
              "coordinator's second of downtime. The coordinator's RSS is flat within each "
              "process; the first process also holds what planning the sweep (workers x minutes "
              "x 15 trials) left behind after `malloc_trim`, which a restarted coordinator, "
              "loading the trials from SQLite, does not.", "",
              "Coordinator samples:", "", "| minute | COMPLETED | RSS |", "|---:|---:|---:|"]
    for row in result["timeline"]:
        lines.append(f"| {row['minute']:.1f} | {row['completed']} | "
                     f"{row['coordinator_rss_mb']:.1f} MB |")
    return "\n".join(lines) + "\n"


def main():
    with open(sys.argv[1]) as f:
        result = json.loads(f.read().strip().splitlines()[-1])
    machine = sys.argv[2] if len(sys.argv) > 2 else ""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
    with open(path) as f:
        previous = f.read()
    if MARKER in previous:
        previous = previous[:previous.index(MARKER)]
    with open(path, "w") as f:
        f.write(previous.rstrip() + "\n\n" + section(result, machine))


if __name__ == "__main__":
    main()
