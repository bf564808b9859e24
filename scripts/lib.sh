# scripts/lib.sh — shared by scripts/demo.sh and scripts/test.sh: install what is missing, configure, build.
#
# Source it, then call:
#   reel_install_missing   apt-get installs the Debian 12 packages reel needs, only those not yet installed
#                          (as root directly, otherwise through sudo)
#   reel_configure         cmake configure: Release, Ninja, ccache when present; CUDA sources are compiled
#                          whenever nvcc is found (REEL_CUDA=AUTO, the project default)
#   reel_build             builds everything with all cores
# The build folder is $REEL_BUILD_DIR, default <repo>/build. Extra cmake options go in $REEL_CMAKE_ARGS.
# shellcheck shell=bash

REEL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REEL_BUILD_DIR="${REEL_BUILD_DIR:-$REEL_ROOT/build}"
# ocl-icd-opencl-dev: Debian's oneDNN is built with its OpenCL GPU runtime, so its CMake package runs
# find_package(OpenCL REQUIRED); libdnnl-dev only recommends it, and we install without recommends.
REEL_PACKAGES=(build-essential cmake ninja-build ccache libfmt-dev catch2 libdnnl-dev ocl-icd-opencl-dev)
# A caller's extra packages, space-separated (e.g. .ci/run's clang sanitizer build: clang-14 libclang-rt-14-dev).
read -r -a reel_extra_packages <<<"${REEL_EXTRA_PACKAGES:-}"
REEL_PACKAGES+=("${reel_extra_packages[@]}")

reel_log() {
  printf '==> %s\n' "$*"
}

reel_install_missing() {
  local missing=()
  local package
  for package in "${REEL_PACKAGES[@]}"; do
    if ! dpkg -s "$package" >/dev/null 2>&1; then
      missing+=("$package")
    fi
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    reel_log "all required packages are installed"
    return 0
  fi

  local as_root=()
  if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "error: missing packages (${missing[*]}), and neither root nor sudo is available to install them" >&2
      return 1
    fi
    as_root=(sudo)
  fi
  reel_log "installing missing packages: ${missing[*]}"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
}

reel_configure() {
  local launcher=()
  if command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
  fi
  local extra=()
  if [[ -n "${REEL_CMAKE_ARGS:-}" ]]; then
    read -r -a extra <<<"$REEL_CMAKE_ARGS"
  fi
  reel_log "configuring $REEL_BUILD_DIR"
  cmake -S "$REEL_ROOT" -B "$REEL_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    "${launcher[@]}" "${extra[@]}"
}

reel_build() {
  reel_log "building with $(nproc) jobs"
  cmake --build "$REEL_BUILD_DIR" --parallel "$(nproc)"
}
