#!/usr/bin/env bash
# scripts/test.sh — installs what is missing (apt), builds reel (Release) and runs the whole test suite.
#
#   scripts/test.sh                      build in ./build, run every CTest test
#   REEL_BUILD_DIR=/tmp/b scripts/test.sh
#   REEL_CMAKE_ARGS="-DREEL_CUDA=OFF" scripts/test.sh
# Exits non-zero when installing, configuring, building or any test fails.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Fashion-MNIST (Debian's dataset-fashion-mnist) lets the Fashion-MNIST samples' smoke tests run instead of skipping.
REEL_PACKAGES+=(dataset-fashion-mnist)
reel_install_missing
reel_configure
reel_build
reel_log "running the tests"
ctest --test-dir "$REEL_BUILD_DIR" --output-on-failure -j 2
