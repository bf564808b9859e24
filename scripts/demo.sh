#!/usr/bin/env bash
# scripts/demo.sh — installs what is missing (apt), builds reel (Release) and runs the main sample:
# for now samples/tour, a short tour of the tensor API.
#
#   scripts/demo.sh
#   REEL_BUILD_DIR=/tmp/b scripts/demo.sh
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

reel_install_missing
reel_configure
reel_build
reel_log "running samples/tour"
"$REEL_BUILD_DIR/samples/tour"
