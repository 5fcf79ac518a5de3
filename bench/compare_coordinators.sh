#!/usr/bin/env bash
# The coordinator's hand-off latency and throughput now vs at an earlier commit, measured by the
# same coordinator_bench client against both coordinators, runs interleaved so that a machine
# whose speed drifts affects both alike. Prints a Markdown section for bench/RESULTS.md.
#
#   bench/compare_coordinators.sh BASE_REV [BUILD_DIR] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:?usage: bench/compare_coordinators.sh BASE_REV [BUILD_DIR] [ROUNDS]}
BUILD_DIR=${2:-build}
ROUNDS=${3:-4}
TREE=$(mktemp -d)
OUT=$(mktemp)
trap 'git worktree remove --force "$TREE" >/dev/null 2>&1 || rm -rf "$TREE"; rm -f "$OUT"' EXIT
git worktree add -q --detach "$TREE" "$BASE"
# The report's charting library is not in git; the base's build only needs it to configure.
for assets in coordinator/report_assets report/report_assets; do
  [ -d "$TREE/$assets" ] && cp -r report/report_assets/node_modules "$TREE/$assets/"
done
cmake -S "$TREE" -B "$TREE/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$TREE/build" -j2 --target lrsweep-coordinator >/dev/null
for round in $(seq "$ROUNDS"); do
  for side in base head; do
    bin="$BUILD_DIR/bin"; [ $side = base ] && bin="$TREE/build/bin"
    for workers in 8 64; do
      trials=1000; [ $workers = 64 ] && trials=3000
      echo "$side $workers $("$BUILD_DIR/bin/coordinator_bench" --workers $workers --trials $trials --bin "$bin" 2>/dev/null | tail -n 1)" >> "$OUT"
    done
  done
done
/usr/bin/python3 - "$OUT" "$BASE" "$ROUNDS" "$(git rev-parse --short HEAD)" <<'PY'
import collections, json, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    side, workers, result = line.split(" ", 2)
    runs[(side, int(workers))].append(json.loads(result))
med = lambda rows, key: statistics.median(r[key] for r in rows)
print(f"## Coordinator before and after: `{sys.argv[2]}` vs `{sys.argv[4]}`\n")
print(f"The same client (`coordinator_bench`) against both coordinators, {sys.argv[3]} interleaved "
      "rounds, medians.\n")
print("| workers | coordinator | trials/s | hand-off p50 | hand-off p99 |")
print("|---:|---|---:|---:|---:|")
for workers in (8, 64):
    for side in ("base", "head"):
        rows = runs[(side, workers)]
        print(f"| {workers} | {'before' if side == 'base' else 'after'} | "
              f"{med(rows, 'trials_per_second'):.0f} | {med(rows, 'handoff_p50_ms'):.2f} ms | "
              f"{med(rows, 'handoff_p99_ms'):.2f} ms |")
print(f"\nCommand: `bench/compare_coordinators.sh {sys.argv[2]} build {sys.argv[3]}`.\n")
PY
