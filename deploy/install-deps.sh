#!/usr/bin/env bash
# Installs every build, test and runtime dependency of lrsweep from Debian packages.
# Idempotent: packages already present are not touched, and apt is not called at all when
# nothing is missing. Needs root (or sudo) only when something must be installed.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake make pkg-config
  # RPC and serialization
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  # configuration, base library, storage
  libyaml-cpp-dev libabsl-dev libsqlite3-dev
  # command line, JSON, formatting
  libcli11-dev nlohmann-json3-dev libfmt-dev
  # tests
  libgtest-dev libgmock-dev
  # compressed data files
  zlib1g-dev
  # checksums
  libssl-dev
  # training (worker) and its reference implementation (tests)
  libtorch-dev python3-torch python3-numpy
  # real data
  dataset-fashion-mnist
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
