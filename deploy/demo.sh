#!/usr/bin/env bash
# The main job: the quickstart sweep, end to end on this machine — an embedded coordinator, one
# local worker per core, real Fashion-MNIST training — then the ranking and the report paths.
# Usage: deploy/demo.sh BUILD_DIR [DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
DATA_DIR=${2:-lrsweep-data}
exec "$BUILD_DIR/bin/lrsweep" run sweeps/quickstart.yaml --data-dir "$DATA_DIR"
