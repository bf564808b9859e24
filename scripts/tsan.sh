#!/usr/bin/env bash
# scripts/tsan.sh — builds reel's tests with ThreadSanitizer and runs the concurrency tests under it.
#
#   scripts/tsan.sh                          build in ./build-tsan, run the tags below
#   REEL_BUILD_DIR=/tmp/t scripts/tsan.sh    another build folder
#   scripts/tsan.sh "[threads-shared]"       other Catch2 test specs instead of the default ones
#
# What runs: the tests tagged [threads] (threads each training or differentiating their own graphs, tensors
# and modules shared read-only across threads, concurrent saves and loads) and [data] (the DataLoader's
# worker threads and the readers). Any ThreadSanitizer report stops the run with a non-zero exit
# (halt_on_error=1), as does any failing test.
#
# Why clang-14 and libomp: reel's loops and oneDNN run on OpenMP. g++'s libgomp is not instrumented, so
# ThreadSanitizer cannot see the synchronisation at the end of a parallel region and reports false races
# on every parallel op. LLVM's libomp ships Archer (libarcher.so), an OpenMP tool that tells ThreadSanitizer
# about every barrier, task and lock, so the run keeps OpenMP's real threads (2 per op on CI) and still
# sees only true races. ignore_noninstrumented_modules=1 (Archer's advice) keeps ThreadSanitizer from checking
# the memory accesses that uninstrumented libraries (libomp's internals, oneDNN, libstdc++.so) make through
# intercepted calls such as memcpy or pthread_mutex_init; synchronisation is still tracked, and reel's own code
# is checked in full. oneDNN's own loads and stores are not checked at all (it is not instrumented).
# See docs/reliability.md, "ThreadSanitizer".
# Exits non-zero when installing, configuring, building or any test fails or ThreadSanitizer reports.
set -euo pipefail

REEL_BUILD_DIR="${REEL_BUILD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build-tsan}"
REEL_EXTRA_PACKAGES="${REEL_EXTRA_PACKAGES:-} clang-14 libclang-rt-14-dev libomp-14-dev"
REEL_CMAKE_ARGS="-DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREEL_CUDA=OFF \
-DREEL_SANITIZE=thread -DREEL_BUILD_SAMPLES=OFF -DREEL_BUILD_BENCH=OFF ${REEL_CMAKE_ARGS:-}"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

specs=("$@")
if [[ ${#specs[@]} -eq 0 ]]; then
  specs=("[threads],[data]")
fi

reel_install_missing
reel_configure
reel_log "building reel_tests with ThreadSanitizer ($(nproc) jobs)"
cmake --build "$REEL_BUILD_DIR" --target reel_tests --parallel "$(nproc)"

archer=/usr/lib/llvm-14/lib/libarcher.so
if [[ ! -f "$archer" ]]; then
  echo "error: $archer is missing (Debian package libomp-14-dev); without it OpenMP gives false reports" >&2
  exit 1
fi
# The tests find their fixtures through the source path compiled in; run from the build folder anyway so
# scratch files land there.
cd "$REEL_BUILD_DIR"
for spec in "${specs[@]}"; do
  reel_log "running reel_tests \"$spec\" under ThreadSanitizer"
  OMP_TOOL_LIBRARIES="$archer" \
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1 ${TSAN_OPTIONS:-}" \
    ./test/reel_tests "$spec" --order decl
done
reel_log "ThreadSanitizer: no reports"
