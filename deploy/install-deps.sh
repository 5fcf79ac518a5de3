#!/usr/bin/env bash
# Installs lrsweep's dependencies from Debian packages.
#
#   deploy/install-deps.sh             everything: building, running, testing and benchmarking
#   deploy/install-deps.sh --product   only what building and running lrsweep needs (the demo)
#   deploy/install-deps.sh --list [--product]   print the packages, install nothing
#
# Idempotent: packages already present are not touched, and apt is not called at all when
# nothing is missing. Needs root (or sudo) only when something must be installed.
set -euo pipefail

LIST=0
PRODUCT_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --list) LIST=1 ;;
    --product) PRODUCT_ONLY=1 ;;
    *) echo "usage: $0 [--product] [--list]" >&2; exit 2 ;;
  esac
done

PRODUCT_PACKAGES=(
  # toolchain
  g++ cmake make pkg-config
  # RPC and serialization
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  # configuration, base library, storage
  libyaml-cpp-dev libabsl-dev libsqlite3-dev
  # command line, JSON, formatting
  libcli11-dev nlohmann-json3-dev libfmt-dev
  # the Python client of command trials: the schedule library as a Python module
  pybind11-dev python3-dev
  # compressed data files; reading torch.save archives without LibTorch
  zlib1g-dev libminizip-dev
  # checksums and TLS certificates, statistics
  libssl-dev libboost-dev
  # the Prometheus endpoints of the coordinator and the worker
  prometheus-cpp-dev
  # the dashboard's HTTP server
  libcpp-httplib-dev
  # bundling the report's charting library (npm registry)
  nodejs npm
  # training (worker)
  libtorch-dev
  # real data
  dataset-fashion-mnist
)

TEST_PACKAGES=(
  # tests, and clang for checking the thread-safety annotations
  libgtest-dev libgmock-dev clang
  # checking the HTML report in a real browser
  chromium
  # PyTorch itself: the reference schedules, models and training loops are checked against
  python3-torch python3-numpy
  # the peers benchmarks compare against
  python3-optuna
  # a single-node Slurm, to run deploy/slurm/ for real
  slurm-wlm munge
  # reading the Kubernetes manifests in the deploy-files check
  python3-yaml
)

PACKAGES=("${PRODUCT_PACKAGES[@]}")
if [ $PRODUCT_ONLY = 0 ]; then PACKAGES+=("${TEST_PACKAGES[@]}"); fi
if [ $LIST = 1 ]; then
  printf '%s\n' "${PACKAGES[@]}"
  exit 0
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

# A machine with its own Node.js (not Debian's) counts as having node and npm.
if command -v npm >/dev/null 2>&1; then
  filtered=()
  for pkg in "${missing[@]}"; do
    [ "$pkg" = nodejs ] || [ "$pkg" = npm ] || filtered+=("$pkg")
  done
  missing=("${filtered[@]}")
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The charting library bundled into HTML reports, pinned by package-lock.json.
ASSETS="$(dirname "$0")/../report/report_assets"
if [ ! -f "$ASSETS/node_modules/vega-lite/build/vega-lite.min.js" ]; then
  echo "install-deps: installing the report's charting library (npm ci)" >&2
  (cd "$ASSETS" && npm ci --no-audit --no-fund --loglevel=error)
fi

# The browser tests' driver (playwright-core, pinned by package-lock.json; it drives Debian's
# chromium and downloads no browser).
BROWSER_TESTS="$(dirname "$0")/../tests/browser"
if [ $PRODUCT_ONLY = 0 ] && [ $LIST = 0 ] && [ ! -f "$BROWSER_TESTS/node_modules/playwright-core/package.json" ]; then
  echo "install-deps: installing the browser tests' driver (npm ci)" >&2
  (cd "$BROWSER_TESTS" && npm ci --no-audit --no-fund --loglevel=error)
fi
