#!/usr/bin/env bash
# scripts/gpu_check.sh — run on the GPU machine (bare and offline: CUDA toolkit, cuDNN, CMake, ninja, g++ and
# PyTorch are there, nothing else). Builds reel with CUDA against the Debian packages that scripts/device_deps.sh
# unpacked into .deps/prefix (run that on a build machine first; .deps travels with the working tree), runs the
# whole test suite with the GPU visible, then W2, W4 and W7 (../shared/bench-workloads.md) for reel and, in the
# same run, the same work in the PyTorch installed there. Everything goes to $OUT (or ./gpu-report when unset):
#   env.txt      GPU, driver, toolkit, cuDNN, compiler, PyTorch versions
#   build.log    configure + build output
#   ctest.log    the whole suite (CPU and CUDA tests), with the output of every failure
#   bench.txt    W2 / W4 lines of reel and PyTorch (bench_common.h format)
#   report.md    the summary: test counts, failures, the W2/W4/W7 table with speedups
# Each stage has its own time limit so the whole check ends in about 8 minutes; the exit status is that of the
# test stage (0 when every test passed).
#
#   scripts/gpu_check.sh                 # the full check
#   GPU_CHECK_TESTS='[cuda]' scripts/gpu_check.sh   # only the Catch2 tests matching a filter (faster reruns)
#   GPU_CHECK_PREBUILT=.gpu-bundle/bundle.tar.xz scripts/gpu_check.sh   # binaries built elsewhere (gpu_bundle.sh)
#   GPU_CHECK_BENCH=0 GPU_CHECK_TEST_LIMIT=150 scripts/gpu_check.sh      # tests only, with a shorter time limit
#   REEL_DEPS=/path/.deps/prefix snapshot/scripts/gpu_check.sh   # check a snapshot of a commit (git archive)
#                                                                 # with the prefix of the main checkout
set -uo pipefail
# PyTorch brings its own cuDNN: it runs with the environment's library path, not the one reel's binaries need.
ORIGINAL_LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$ROOT/gpu-report}"
BUILD="${REEL_GPU_BUILD_DIR:-$ROOT/build-gpu}"
DEPS="${REEL_DEPS:-$ROOT/.deps/prefix}"  # where device_deps.sh unpacked the Debian packages
JOBS="$(nproc)"
mkdir -p "$OUT"
report="$OUT/report.md"
stage_start=$(date +%s)
log() { printf '[gpu_check %4ss] %s\n' "$(( $(date +%s) - stage_start ))" "$*" | tee -a "$report"; }

: >"$report"
echo "# reel GPU check — $(date -u '+%Y-%m-%d %H:%M UTC')" >>"$report"

# ---- 0. the machine ------------------------------------------------------------------------------------------
{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
  nvcc --version 2>&1 | tail -2
  g++ --version 2>&1 | head -1
  cmake --version 2>&1 | head -1
  grep -m1 "model name" /proc/cpuinfo
  echo "cores: $JOBS"
  cat /etc/os-release 2>/dev/null | head -2
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version())' 2>&1
} >"$OUT/env.txt" 2>&1
log "GPU: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo 'nvidia-smi failed')"


# cuDNN: the toolkit's folder, the system's, or the one PyTorch's wheels bring (nvidia-cudnn-cu13).
cudnn_args=()
cudnn_lib=""
for dir in /usr/local/cuda /usr /usr/local/cuda/targets/x86_64-linux \
           "$(python3 -c 'import nvidia.cudnn, os; print(os.path.dirname(nvidia.cudnn.__file__))' 2>/dev/null)"; do
  [[ -n "$dir" ]] || continue
  [[ -f "$dir/include/cudnn.h" || -f "$dir/include/x86_64-linux-gnu/cudnn.h" ]] || continue  # Ubuntu: include/<triplet>
  cudnn_lib="$(ls "$dir"/lib64/libcudnn.so* "$dir"/lib/libcudnn.so* "$dir"/lib/x86_64-linux-gnu/libcudnn.so* 2>/dev/null | head -1)"
  if [[ -n "$cudnn_lib" ]]; then
    cudnn_args=(-DCUDNN_ROOT="$dir" -DREEL_CUDNN_LIBRARY="$cudnn_lib")
    export LD_LIBRARY_PATH="$(dirname "$cudnn_lib"):$LD_LIBRARY_PATH"
    break
  fi
done
log "cuDNN: ${cudnn_lib:-not found (reel builds without it; the cuDNN tests will fail the coverage of that path)}"
echo "cudnn library: ${cudnn_lib:-none}" >>"$OUT/env.txt"

# ---- 1. build (or unpack a bundle built elsewhere: scripts/gpu_bundle.sh) ---------------------------------------------
ctest_args=(--test-dir "$BUILD")
if [[ -n "${GPU_CHECK_PREBUILT:-}" ]]; then
  log "unpacking the prebuilt bundle $GPU_CHECK_PREBUILT (no build)"
  unpacked="$(mktemp -d)"
  xz -dc "$GPU_CHECK_PREBUILT" | tar -xf - -C "$unpacked" && tar -xf "$unpacked/libs.tar" -C "$unpacked" || exit 3
  built_at="$(cat "$unpacked/build_dir.txt")"
  source_at="$(dirname "$built_at")"
  # The CTest files and the tests' fixture paths name the build machine's checkout: make that path this checkout.
  if [[ "$source_at" != "$ROOT" && ! -e "$source_at" ]]; then
    mkdir -p "$(dirname "$source_at")" && ln -s "$ROOT" "$source_at"
  fi
  tar -xf "$unpacked/build.tar" -C "$ROOT" || exit 3
  if [[ -f "$unpacked/samples.tar" ]]; then
    tar -xf "$unpacked/samples.tar" -C "$ROOT" || exit 3
    ctest_samples="$ROOT/$(basename "$built_at")/samples"
    # The data-gated smoke tests run the build machine's /usr/bin/cmake -P; point that path at this machine's cmake.
    [[ -e /usr/bin/cmake ]] || ln -s "$(command -v cmake)" /usr/bin/cmake 2>/dev/null || true
    # The smoke tests run in scratch folders the build made: make them again.
    grep -o 'WORKING_DIRECTORY "[^"]*"' "$ctest_samples/CTestTestfile.cmake" | cut -d'"' -f2 | xargs -r mkdir -p
  fi
  if [[ -f "$unpacked/shared_data.tar" && ! -e "$(dirname "$source_at")/shared/data" ]]; then
    tar -xf "$unpacked/shared_data.tar" -C "$(dirname "$source_at")" || exit 3
  fi
  BUILD="$ROOT/$(basename "$built_at")"
  export LD_LIBRARY_PATH="$unpacked/lib:$LD_LIBRARY_PATH"
  ctest_args=(--test-dir "$BUILD/test" -E downstream_install)
  echo "prebuilt bundle from $built_at" >>"$OUT/env.txt"
  log "cuDNN as the prebuilt binaries load it: $(ldd "$BUILD/test/reel_tests" | awk '/libcudnn/ {print $3}')"
  ldd "$BUILD/test/reel_tests" >>"$OUT/env.txt" 2>&1
  # (Catch2 v2 exits with the number of tests listed, so look at the output, not the status.)
  listed="$("$BUILD/test/reel_tests" --list-test-names-only 2>>"$OUT/env.txt" || true)"
  if [[ -z "$listed" ]]; then
    log "FAIL: the prebuilt reel_tests does not start here (see env.txt)"
    tail -5 "$OUT/env.txt"
    exit 3
  fi
else
if [[ ! -d "$DEPS/usr" ]]; then
  log "FAIL: $DEPS is missing: run scripts/device_deps.sh on a build machine and carry .deps"
  exit 2
fi
export LD_LIBRARY_PATH="$DEPS/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
log "configuring and building in $BUILD with $JOBS jobs"
if ! timeout 330 bash -c "cmake -S '$ROOT' -B '$BUILD' -G Ninja -DCMAKE_BUILD_TYPE=Release -DREEL_CUDA=ON \
      -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_PREFIX_PATH='$DEPS/usr' ${cudnn_args[*]:-} && \
      cmake --build '$BUILD' -j $JOBS" >"$OUT/build.log" 2>&1; then
  log "FAIL: build (exit $?); the end of build.log:"
  grep -E "error|Error|FAILED" "$OUT/build.log" | head -30 | tee -a "$report"
  tail -20 "$OUT/build.log"
  exit 3
fi
log "build ok"
fi

# ---- 2. the whole test suite with the GPU ----------------------------------------------------------------------------
test_status=0
if [[ -n "${GPU_CHECK_TESTS:-}" ]]; then
  log "tests: reel_tests '$GPU_CHECK_TESTS'"
  timeout "${GPU_CHECK_TEST_LIMIT:-240}" "$BUILD/test/reel_tests" "$GPU_CHECK_TESTS" >"$OUT/ctest.log" 2>&1 || test_status=$?
else
  log "tests: ctest -j $JOBS"
  timeout "${GPU_CHECK_TEST_LIMIT:-240}" ctest "${ctest_args[@]}" -j "$JOBS" --timeout 120 --output-on-failure >"$OUT/ctest.log" 2>&1 ||
    test_status=$?
fi
if [[ -n "${ctest_samples:-}" ]]; then
  log "sample smoke tests with --device cuda: ctest -L cuda in $ctest_samples"
  timeout 150 ctest --test-dir "$ctest_samples" -L cuda -j 4 --timeout 120 --output-on-failure >>"$OUT/ctest.log" 2>&1 ||
    test_status=$?
fi
{
  echo
  echo "## Tests (exit $test_status)"
  echo '```'
  grep -E "tests passed|tests failed|test cases|assertions|Timeout|\*\*\*Failed|\*\*\*Exception|SEGFAULT|Child aborted|Skipped|_cuda " \
    "$OUT/ctest.log" | head -60
  echo '```'
} >>"$report"
log "tests done (exit $test_status)"

# ---- 3. W2, W4, W7: reel and PyTorch in the same run ------------------------------------------------------------
bench="$OUT/bench.txt"
: >"$bench"
run_bench() {  # run_bench <seconds> <command...>
  local limit=$1
  shift
  echo "# $*" >>"$bench"
  timeout "$limit" "$@" >>"$bench" 2>&1 || echo "# exit $? from: $*" >>"$bench"
}
if [[ "${GPU_CHECK_BENCH:-1}" == "0" ]]; then
  log "benchmarks skipped (GPU_CHECK_BENCH=0)"
  cat "$report"
  exit "$test_status"
fi
log "benchmarks"
run_bench 30 "$BUILD/bench/w2_gemm" --device cuda
run_bench 30 "$BUILD/bench/w4_cnn" --device cuda --conv cudnn
run_bench 40 "$BUILD/bench/w4_cnn" --device cuda --conv naive
run_bench 30 "$BUILD/bench/w4_cnn" --device cpu --threads 2
run_bench 40 "$BUILD/bench/w7_lstm" --device cuda --rnn cudnn
run_bench 60 "$BUILD/bench/w7_lstm" --device cuda --rnn naive
run_bench 60 "$BUILD/bench/w7_lstm" --device cpu --threads 2
run_bench 90 env LD_LIBRARY_PATH="$ORIGINAL_LD_LIBRARY_PATH" python3 "$ROOT/bench/pytorch/w2_w4.py" --device cuda
run_bench 30 "$BUILD/bench/w2_gemm" --threads 2
python3 "$ROOT/scripts/w7_table.py" "$bench" >>"$report" 2>&1 || echo "(w7_table.py failed)" >>"$report"
log "done; report in $report"
cat "$report"
exit "$test_status"
