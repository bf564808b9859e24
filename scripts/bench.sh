#!/usr/bin/env bash
# scripts/bench.sh — reel beside LibTorch on the same machine in one run (../shared/bench-workloads.md W1-W6).
#
#   scripts/bench.sh [workloads...] [--threads 1|2|both] [--repeats N] [--torch-blas dnnl|system]
#                    [--max-load L] [--max-wait S] [--no-build]
#
# workloads: w1 w2 w3 w4 w5a w5b w6 (default: all). Builds reel's bench programs and their LibTorch twins in
# Release (in $REEL_BENCH_BUILD_DIR, default <repo>/build-bench; LibTorch files one at a time, they are heavy),
# then for every workload and thread count runs the two sides ALTERNATELY, N times each (default 5; the side
# that goes first alternates too), and prints one markdown table per figure (scripts/bench_table.py): median,
# min, max and runs for each library and the ratio reel / LibTorch.
#
# Quiet machine: before each run it waits until the 1-minute load average (/proc/loadavg) is below --max-load
# (default: half the cores), at most --max-wait seconds (default 60), and records the load it ran under.
# Threads: both sides get --threads N; LibTorch also OMP_NUM_THREADS=N, OPENBLAS_NUM_THREADS=N and
# OMP_WAIT_POLICY=PASSIVE (its OpenMP workers sleep instead of spinning between ops), and the program calls
# torch::set_num_threads(N). reel runs with the environment as it is and calls reel::set_num_threads(N): its
# OpenMP workers keep libgomp's default short spin, which its small parallel ops need (with PASSIVE a 64 x 64
# GEMM on 2 threads fell from 220 to 11 GFLOP/s); on a busy machine that spin makes its 2-thread figures
# meaningless (a W3 epoch went from 2.2 s to 64 s at load 9), hence the wait for a quiet machine.
# GEMM under LibTorch: Debian's libtorch calls the reference BLAS; --torch-blas dnnl (default) preloads
# bench/libtorch/dnnl_blas.cpp so LibTorch's sgemm_ is oneDNN's, the GEMM reel uses; --torch-blas system keeps
# the stock BLAS.
# Raw lines go to <build>/bench-results/<date>.txt, the tables to <build>/bench-results/<date>.md and stdout.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${REEL_BENCH_BUILD_DIR:-$ROOT/build-bench}"
CORES="$(nproc)"
THREADS="both"
REPEATS=5
TORCH_BLAS="dnnl"
MAX_LOAD="$(awk -v c="$CORES" 'BEGIN { print c / 2 }')"
MAX_WAIT=60
BUILD_FIRST=1
WORKLOADS=()

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) THREADS="${2:?}"; shift 2 ;;
    --repeats) REPEATS="${2:?}"; shift 2 ;;
    --torch-blas) TORCH_BLAS="${2:?}"; shift 2 ;;
    --max-load) MAX_LOAD="${2:?}"; shift 2 ;;
    --max-wait) MAX_WAIT="${2:?}"; shift 2 ;;
    --no-build) BUILD_FIRST=0; shift ;;
    w1|w2|w3|w4|w5a|w5b|w6) WORKLOADS+=("$1"); shift ;;
    -h|--help) usage ;;
    *) echo "bench.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ ${#WORKLOADS[@]} -eq 0 ]] && WORKLOADS=(w1 w2 w3 w4 w5a w5b w6)
case "$THREADS" in
  1|2) THREAD_COUNTS=("$THREADS") ;;
  both) THREAD_COUNTS=(1 2) ;;
  *) echo "bench.sh: --threads must be 1, 2 or both" >&2; exit 2 ;;
esac
case "$TORCH_BLAS" in dnnl|system) ;; *) echo "bench.sh: --torch-blas must be dnnl or system" >&2; exit 2 ;; esac

# The program base name and its arguments, per workload.
program_of() {
  case "$1" in
    w1) echo "w1_op_overhead" ;;
    w2) echo "w2_gemm" ;;
    w3) echo "w3_mlp --repeats 1" ;;  # one epoch per run: the runs are the repeats
    w4) echo "w4_cnn" ;;
    w5a) echo "w5_char_lstm --mode loop" ;;
    w5b) echo "w5_char_lstm --mode module" ;;
    w6) echo "w6_tree_lstm" ;;
  esac
}

if [[ $BUILD_FIRST -eq 1 ]]; then
  echo "==> building in $BUILD"
  export CCACHE_BASEDIR="$ROOT"
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DREEL_BENCH_LIBTORCH=ON "${launcher[@]}" \
    >"$BUILD.configure.log" 2>&1 || { cat "$BUILD.configure.log"; exit 1; }
  reel_targets=() torch_targets=(reel_dnnl_blas)
  for w in "${WORKLOADS[@]}"; do
    name="$(program_of "$w" | cut -d' ' -f1)"
    reel_targets+=("$name")
    torch_targets+=("torch_$name")
  done
  # At most 2 jobs; the LibTorch files compile one at a time anyway (a Ninja pool, bench/libtorch/CMakeLists.txt).
  ninja -C "$BUILD" -j "$(( CORES < 2 ? CORES : 2 ))" "${reel_targets[@]}" "${torch_targets[@]}" || exit 1
fi

SHIM="$BUILD/bench/libtorch/libreel_dnnl_blas.so"
if [[ $TORCH_BLAS == dnnl && ! -f $SHIM ]]; then
  echo "bench.sh: $SHIM is missing (build the target reel_dnnl_blas, or pass --torch-blas system)" >&2
  exit 1
fi

# Waits (at most MAX_WAIT s) for the 1-minute load average to drop below MAX_LOAD; prints the load it got.
wait_for_quiet() {
  local waited=0 load
  load="$(cut -d' ' -f1 /proc/loadavg)"
  while awk -v l="$load" -v m="$MAX_LOAD" 'BEGIN { exit !(l >= m) }' && [[ $waited -lt $MAX_WAIT ]]; do
    sleep 5
    waited=$((waited + 5))
    load="$(cut -d' ' -f1 /proc/loadavg)"
  done
  echo "$load"
}

# run_side SIDE THREADS REPEAT WORKLOAD: one run of one side, its lines prefixed for bench_table.py.
run_side() {
  local side="$1" threads="$2" repeat="$3" workload="$4" load program args
  read -r program args <<<"$(program_of "$workload")"
  load="$(wait_for_quiet)"
  local prefix="impl=$side repeat=$repeat load=$load"
  echo "--- $workload $side threads=$threads repeat=$repeat load=$load" >&2
  if [[ $side == reel ]]; then
    # shellcheck disable=SC2086
    "$BUILD/bench/$program" $args --threads "$threads" | sed "s|^|$prefix |"
  else
    local preload=""
    [[ $TORCH_BLAS == dnnl ]] && preload="$SHIM"
    # shellcheck disable=SC2086
    env LD_PRELOAD="$preload" OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" OMP_WAIT_POLICY=PASSIVE \
      "$BUILD/bench/libtorch/libtorch_$program" $args --threads "$threads" | sed "s|^|$prefix torch_blas=$TORCH_BLAS |"
  fi
}

mkdir -p "$BUILD/bench-results"
stamp="$(date +%Y%m%d-%H%M%S)"
raw="$BUILD/bench-results/$stamp.txt"
table="$BUILD/bench-results/$stamp.md"
{
  echo "# $(date -u +%FT%TZ) $(uname -n) cores=$CORES reel=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)" \
       "dirty=$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -c .) torch_blas=$TORCH_BLAS" \
       "workloads=${WORKLOADS[*]} threads=${THREAD_COUNTS[*]} repeats=$REPEATS max_load=$MAX_LOAD"
} >"$raw"
echo "==> raw lines: $raw"
for workload in "${WORKLOADS[@]}"; do
  for threads in "${THREAD_COUNTS[@]}"; do
    for ((repeat = 1; repeat <= REPEATS; ++repeat)); do
      if ((repeat % 2 == 1)); then order=(reel libtorch); else order=(libtorch reel); fi
      for side in "${order[@]}"; do
        run_side "$side" "$threads" "$repeat" "$workload" >>"$raw"
      done
    done
  done
done
{
  head -1 "$raw"
  echo
  python3 "$ROOT/scripts/bench_table.py" "$raw"
} | tee "$table"
