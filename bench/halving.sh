#!/usr/bin/env bash
# Fewer steps to the same answer: the space of bench/halving_grid.yaml as a full grid, with
# method: asha, and with Optuna's SuccessiveHalvingPruner, side by side in one run; writes the
# "## 5." section of bench/RESULTS.md.
#
#   bench/halving.sh [BUILD_DIR]           full run (~15 minutes on 2 cores)
#   bench/halving.sh --smoke [BUILD_DIR]   synthetic data, seconds; checks that it still works
set -euo pipefail
cd "$(dirname "$0")/.."
SMOKE=0
if [ "${1:-}" = "--smoke" ]; then SMOKE=1; shift; fi
BUILD_DIR=${1:-build}
BIN="$BUILD_DIR/bin"
PY=/usr/bin/python3
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

GRID=bench/halving_grid.yaml
if [ $SMOKE = 1 ]; then
  sed -e 's/type: fashion_mnist, val_fraction: 0.1/type: synthetic, train_examples: 1024, val_fraction: 0.25/' \
      -e 's/model: {type: cnn}/model: {type: mlp, hidden: [16]}/' "$GRID" > "$OUT/grid.yaml"
  GRID="$OUT/grid.yaml"
fi
{ echo "method: asha"; echo "reduction_factor: 3"; cat "$GRID"; } > "$OUT/asha.yaml"

timed() {  # name, yaml: lrsweep run, wall seconds into $OUT/name.seconds, report into $OUT/name.json
  local start end
  start=$(date +%s.%N)
  "$BIN/lrsweep" run "$2" --workers 2 --data-dir "$OUT/$1" > "$OUT/$1.md" 2> "$OUT/$1.log"
  end=$(date +%s.%N)
  "$PY" -c "print($end - $start)" > "$OUT/$1.seconds"
  cp "$(ls "$OUT/$1"/reports/*.json | head -1)" "$OUT/$1.json"
}

echo "\$ lrsweep run $GRID --workers 2" >&2
timed grid "$GRID"
echo "\$ lrsweep run (method: asha) $GRID --workers 2" >&2
timed asha "$OUT/asha.yaml"
echo "\$ $PY bench/optuna_halving.py" >&2
(cd bench && "$PY" optuna_halving.py $([ $SMOKE = 1 ] && echo --smoke)) | tail -n 1 > "$OUT/optuna.json"
cat "$OUT/optuna.json"

MACHINE="$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m), $(date -u +%Y-%m-%d)"
if [ $SMOKE = 1 ]; then
  "$PY" bench/write_halving.py "$OUT" "$MACHINE" --print > /dev/null
  echo "halving smoke: 1 passed, 0 failed"
else
  "$PY" bench/write_halving.py "$OUT" "$MACHINE"
fi
