#!/usr/bin/env bash
# Runs every benchmark next to its peer in the same run and prints the ratios.
#
#   bench/run.sh [BUILD_DIR]           full run; writes bench/RESULTS.md
#   bench/run.sh --smoke [BUILD_DIR]   tiny sizes, seconds; checks that everything still works
#   bench/run.sh --soak [BUILD_DIR]    1,000 simulated workers for 10 minutes, two coordinator
#                                      restarts; writes the Soak section of bench/RESULTS.md
#   bench/halving.sh [BUILD_DIR]       successive halving vs the full grid vs Optuna's pruner;
#                                      writes section 5 of bench/RESULTS.md
#   bench/tpe.sh [BUILD_DIR]           a TPE suggestion vs Optuna's TPESampler with 10,000 results;
#                                      writes section 6 of bench/RESULTS.md
set -euo pipefail
cd "$(dirname "$0")/.."
SMOKE=0
SOAK=0
if [ "${1:-}" = "--smoke" ]; then SMOKE=1; shift; fi
if [ "${1:-}" = "--soak" ]; then SOAK=1; shift; fi
BUILD_DIR=${1:-build}
BIN="$BUILD_DIR/bin"
PY=/usr/bin/python3
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

run() {  # name, command...: runs, echoes, keeps the JSON line in $OUT/name.json
  local name=$1; shift
  echo "\$ $*" >&2
  "$@" | tail -n 1 | tee "$OUT/$name.json"
}

if [ $SOAK = 1 ]; then
  MACHINE="$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m), $(date -u +%Y-%m-%d)"
  "$BIN/soak_bench" --workers 1000 --minutes 10 --restarts 2 | tee "$OUT/soak.json"
  "$PY" bench/write_soak.py "$OUT/soak.json" "$MACHINE"
  exit 0
fi

if [ $SMOKE = 1 ]; then
  run coord "$BIN/coordinator_bench" --workers 4 --trials 40 --metrics-out "$OUT/coord.metrics"
  grep -q server_handoff_p50_ms "$OUT/coord.json"
  run coord_memory "$BIN/coordinator_bench" --idle-workers 20
  run optuna "$PY" bench/optuna_bookkeeping.py 2 20
  run train_cpp "$BIN/trainer_bench" --model mlp --batch 32 --threads 1 --steps 20
  run train_py "$PY" bench/torch_train_loop.py --model mlp --batch 32 --threads 1 --steps 20
  run train_overhead "$BIN/trainer_bench" --model mlp --batch 32 --threads 1 --steps 20 --overhead
  run ckpt "$BIN/checkpoint_bench" --sizes small
  run resume "$BIN/checkpoint_bench" --sizes small --resume
  run soak "$BIN/soak_bench" --workers 20 --minutes 0.3 --restarts 1
  "$BIN/lrsweep" run bench/sweep_smoke.yaml --workers 2 --data-dir "$OUT/sweep" > /dev/null 2>&1
  run sweep_py "$PY" bench/optuna_sweep.py --smoke
  bench/halving.sh --smoke "$BUILD_DIR" > /dev/null
  run tpe "$BIN/tpe_bench" --observations 200 --suggestions 2
  run tpe_py "$PY" bench/optuna_tpe.py --observations 200 --suggestions 1
  echo "bench smoke: 1 passed, 0 failed"
  exit 0
fi

exec > >(tee "$OUT/log.txt") 2>&1
MACHINE="$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m), $(date -u +%Y-%m-%d)"
echo "machine: $MACHINE"

# 1. Coordinator bookkeeping vs Optuna (same number of workers / processes).
run coord64 "$BIN/coordinator_bench" --workers 64 --trials 3000 --metrics-out "$OUT/coord64.metrics"
run optuna64 "$PY" bench/optuna_bookkeeping.py 64 640
run coord8 "$BIN/coordinator_bench" --workers 8 --trials 1000 --metrics-out "$OUT/coord8.metrics"
run optuna8 "$PY" bench/optuna_bookkeeping.py 8 400
run coord_small "$BIN/coordinator_bench" --workers 16 --trials 1000
run coord_large "$BIN/coordinator_bench" --workers 16 --trials 1000 --sweep-size 100000
run coord_memory "$BIN/coordinator_bench" --idle-workers 1000

# 2. Training steps: the worker's trainer vs the same loop in Python.
for model in mlp cnn; do
  for batch in 32 256; do
    for threads in 1 2; do
      steps=200; [ "$model" = cnn ] && [ "$batch" = 256 ] && steps=60
      run "cpp_${model}_${batch}_${threads}" "$BIN/trainer_bench" --model $model --batch $batch --threads $threads --steps $steps
      run "py_${model}_${batch}_${threads}" "$PY" bench/torch_train_loop.py --model $model --batch $batch --threads $threads --steps $steps
    done
  done
done
run overhead_bare "$BIN/trainer_bench" --model cnn --batch 32 --threads 1 --steps 400
run overhead_worker "$BIN/trainer_bench" --model cnn --batch 32 --threads 1 --steps 400 --overhead

# 3. Checkpoints vs raw writes and reads.
"$BIN/checkpoint_bench" --sizes small,large | tee "$OUT/ckpt.jsonl"
"$BIN/checkpoint_bench" --sizes small,large --resume | tee "$OUT/resume.jsonl"

# 4. A whole sweep: lrsweep run vs two Optuna processes training in Python.
start=$(date +%s.%N)
"$BIN/lrsweep" run bench/sweep12.yaml --workers 2 --data-dir "$OUT/sweep" > "$OUT/sweep.md" 2>/dev/null
end=$(date +%s.%N)
echo "{\"seconds\": $("$PY" -c "print($end - $start)")}" | tee "$OUT/sweep_cpp.json"
run sweep_py "$PY" bench/optuna_sweep.py

"$PY" bench/write_results.py "$OUT" "$MACHINE" > "$OUT/RESULTS.md"
mv "$OUT/RESULTS.md" bench/RESULTS.md
cat bench/RESULTS.md
