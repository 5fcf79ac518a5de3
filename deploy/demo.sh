#!/usr/bin/env bash
# The main job while training lands: plan the example sweep and draw the schedules it compares.
# Usage: deploy/demo.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
LRSWEEP="$BUILD_DIR/cli/lrsweep"
OUT=out/demo
mkdir -p "$OUT"

echo "== lrsweep plan sweeps/fmnist-cnn-schedules.yaml"
"$LRSWEEP" plan sweeps/fmnist-cnn-schedules.yaml --format table
"$LRSWEEP" plan sweeps/fmnist-cnn-schedules.yaml --format jsonl > "$OUT/plan.jsonl" 2>/dev/null

# The curves of the sweep's schedule families over the 2110 steps of a 5-epoch run at batch 128.
for schedule in warmup-cosine onecycle wsd; do
  "$LRSWEEP" schedule "sweeps/schedules/$schedule.yaml" --total-steps 2110 --format csv \
    > "$OUT/$schedule.csv"
  "$LRSWEEP" schedule "sweeps/schedules/$schedule.yaml" --total-steps 2110 --format svg \
    > "$OUT/$schedule.svg"
done
"$LRSWEEP" schedule sweeps/schedules/step-by-epoch.yaml --total-steps 9000 --steps-per-epoch 100 \
  --format svg --log-scale > "$OUT/step-by-epoch.svg"
printf '0.90\n0.70\n0.62\n0.61\n0.612\n0.615\n0.60\n0.601\n0.603\n0.604\n0.55\n' > "$OUT/val_loss.txt"
echo
echo "== lrsweep schedule sweeps/schedules/plateau.yaml --metrics $OUT/val_loss.txt"
"$LRSWEEP" schedule sweeps/schedules/plateau.yaml --metrics "$OUT/val_loss.txt"

echo
echo "Trial plan: $OUT/plan.jsonl"
echo "Schedule curves (CSV and SVG): $(ls "$OUT"/*.svg | tr '\n' ' ')"
