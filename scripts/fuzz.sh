#!/usr/bin/env bash
# scripts/fuzz.sh — builds reel's libFuzzer targets (test/fuzz) with clang-14, AddressSanitizer and
# UndefinedBehaviorSanitizer, then fuzzes each target for a bounded time; exits non-zero on any finding.
#
#   scripts/fuzz.sh                 every target 60 s
#   scripts/fuzz.sh 600             every target 10 minutes
#   REEL_FUZZ_TARGETS="fuzz_npy fuzz_shapes" scripts/fuzz.sh 30     only these targets
#   REEL_BUILD_DIR=/tmp/b scripts/fuzz.sh     build folder (default <repo>/build-fuzz; an existing folder
#                                             configured with -DREEL_FUZZ=ON, e.g. CI's sanitizer build, is reused)
#
# Each target runs with -max_total_time=<seconds> -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 on a copy
# of its seed corpus (test/fuzz/corpus/<target>), so the committed corpus is never modified. A crash, sanitizer
# report, leak, uncaught exception, timeout or out-of-memory stops that target with a non-zero exit; the input
# that caused it is saved as <build>/fuzz-findings/<target>/crash-* (or leak-, timeout-, oom-) and the end of
# the log is printed. Replay one with: <build>/test/fuzz/<target> <that file>.
# Per target it prints the seconds, the executions (stat::number_of_executed_units) and the result; the full
# logs are in <build>/fuzz-logs/<target>.log.
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [[ "$seconds" -lt 1 ]]; then
  echo "usage: scripts/fuzz.sh [seconds-per-target]   (a positive integer, default 60)" >&2
  exit 2
fi

requested_build_dir="${REEL_BUILD_DIR:-}"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REEL_BUILD_DIR="${requested_build_dir:-$REEL_ROOT/build-fuzz}"

# clang-14 with its sanitizer and libFuzzer runtimes, and LLVM's OpenMP runtime for clang's -fopenmp.
REEL_PACKAGES+=(clang-14 libclang-rt-14-dev libomp-14-dev)
reel_install_missing

if ! grep -qs '^REEL_FUZZ:BOOL=ON' "$REEL_BUILD_DIR/CMakeCache.txt"; then
  REEL_CMAKE_ARGS="-DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREEL_CUDA=OFF \
-DREEL_SANITIZE=address,undefined -DREEL_FUZZ=ON -DREEL_BUILD_BENCH=OFF -DREEL_BUILD_SAMPLES=OFF \
-DREEL_BUILD_TESTS=OFF ${REEL_CMAKE_ARGS:-}"
  reel_configure
fi

targets=()
if [[ -n "${REEL_FUZZ_TARGETS:-}" ]]; then
  read -r -a targets <<<"$REEL_FUZZ_TARGETS"
else
  for source in "$REEL_ROOT"/test/fuzz/fuzz_*.cpp; do
    targets+=("$(basename "$source" .cpp)")
  done
fi
reel_log "building ${targets[*]}"
cmake --build "$REEL_BUILD_DIR" --parallel "$(nproc)" --target "${targets[@]}"

findings_root="$REEL_BUILD_DIR/fuzz-findings"
logs="$REEL_BUILD_DIR/fuzz-logs"
work="$(mktemp -d "${TMPDIR:-/tmp}/reel-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$logs"
# Leaks count as findings (libFuzzer checks them after runs that allocate more than they free); UBSan reports
# abort (-fno-sanitize-recover=all) with a stack.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
summary=()
for target in "${targets[@]}"; do
  corpus="$work/$target"
  mkdir -p "$corpus" "$findings_root/$target"
  cp -R "$REEL_ROOT/test/fuzz/corpus/$target/." "$corpus/"
  reel_log "fuzzing $target for $seconds s"
  started=$(date +%s)
  status=0
  "$REEL_BUILD_DIR/test/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$findings_root/$target/" "$corpus" >"$logs/$target.log" 2>&1 ||
    status=$?
  elapsed=$(( $(date +%s) - started ))
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$target.log" | tail -n 1)
  corpus_size=$(find "$corpus" -type f | wc -l)
  if [[ $status -eq 0 ]]; then
    result="ok"
  else
    result="FAILED (exit $status)"
    failed+=("$target")
    echo "---- the end of $logs/$target.log ----"
    tail -n 60 "$logs/$target.log"
    echo "---- the input is in $findings_root/$target/ ----"
  fi
  line=$(printf '%-18s %6s s %12s executions %6s corpus files  %s' "$target" "$elapsed" "${executions:-?}" \
         "$corpus_size" "$result")
  summary+=("$line")
  echo "$line"
done

reel_log "fuzzing summary ($seconds s per target)"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -ne 0 ]]; then
  echo "fuzzing found problems in: ${failed[*]}" >&2
  exit 1
fi
