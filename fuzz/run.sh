#!/usr/bin/env bash
# Builds lrsweep's libFuzzer targets with clang (AddressSanitizer on) and runs each for a while.
#
#   fuzz/run.sh [SECONDS] [TARGET...]     default: 60 seconds each, every target
#   make fuzz FUZZ_SECONDS=600
#
# The build lives in $FUZZ_BUILD_DIR (default build-fuzz); each target's corpus grows in
# $FUZZ_BUILD_DIR/corpus/<target>, seeded from sweeps/, the tests' sweep files and fuzz_seeds.
# A crash is kept in $FUZZ_BUILD_DIR/crashes/<target>/ and fails the run (exit 1); turn it into
# a regression test before fixing it. One line per target is appended to
# $FUZZ_BUILD_DIR/fuzz-results.md (runs, coverage, corpus size, crashes).
#
# FUZZ_SEED and FUZZ_RUNS make a run repeatable: the same seed replays the same mutations, and
# a target stops after FUZZ_RUNS inputs (or SECONDS, whichever comes first, so a slower machine
# runs a prefix of the same sequence). The test command gates on such a run; `make fuzz`
# explores with fresh seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(fuzz_sweep_parser fuzz_schedule_parser fuzz_checkpoint_reader fuzz_names fuzz_rpc_requests)
fi
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
JOBS=${JOBS:-2}

if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then  # set when several runs share one build
  cmake -S . -B "$BUILD" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLRSWEEP_FUZZ=ON -DLRSWEEP_BUILD_TESTS=OFF >/dev/null
  cmake --build "$BUILD" -j"$JOBS" --target fuzz_all
fi

seed() {  # seed TARGET: fills the target's corpus with the seeds it starts from
  local corpus="$BUILD/corpus/$1"
  mkdir -p "$corpus"
  case "$1" in
    fuzz_sweep_parser)
      for f in sweeps/*.yaml sweeps/examples/*/*.yaml; do cp "$f" "$corpus/$(basename "$f")"; done ;;
    fuzz_schedule_parser)  # four bytes of horizon, then a schedule file
      for f in sweeps/schedules/*.yaml; do
        { printf '\x90\x01\x01\x0a'; cat "$f"; } > "$corpus/$(basename "$f")"
      done ;;
    fuzz_checkpoint_reader)
      "$BUILD/bin/fuzz_seeds" "$BUILD/seeds"
      cp "$BUILD"/seeds/checkpoint_reader/* "$corpus/" ;;
    fuzz_names)
      printf '\x10s-1/3/step-5-a1.ckpt' > "$corpus/shared-path"
      printf '\x09%s' "$(printf 'ab%.0s' $(seq 32))" > "$corpus/digest"
      printf '\x01127.0.0.1:7077' > "$corpus/host-port"
      printf '\x00{"path": "a.pt", "sha256": "%s", "size": 3, "upload": true}' \
        "$(printf 'cd%.0s' $(seq 32))" > "$corpus/artifact" ;;
    fuzz_rpc_requests)
      "$BUILD/bin/fuzz_seeds" "$BUILD/seeds"
      cp "$BUILD"/seeds/rpc_requests/* "$corpus/" ;;
  esac
}

status=0
for target in "${TARGETS[@]}"; do
  seed "$target"
  mkdir -p "$BUILD/crashes/$target"
  log="$BUILD/$target.log"
  echo "fuzz: $target for ${SECONDS_EACH}s" >&2
  if (cd "$BUILD/crashes/$target" && \
      ASAN_OPTIONS=detect_leaks=0 "../../bin/$target" -max_total_time="$SECONDS_EACH" \
        ${FUZZ_SEED:+-seed="$FUZZ_SEED"} ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} \
        -timeout=20 -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 \
        "../../corpus/$target") >"$log" 2>&1; then
    result="no crash"
  else
    result="CRASH (see $log and $BUILD/crashes/$target)"
    status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
  corpus=$(ls "$BUILD/corpus/$target" | wc -l)
  line="| $target | ${SECONDS_EACH} s | $runs | $cov | $corpus | $result |"
  echo "$line" | tee -a "$BUILD/fuzz-results.md" >&2
done
exit $status
