#!/usr/bin/env bash
# scripts/bench.sh — reel beside LibTorch (and DyNet, when built) on the same machine in one run
# (../shared/bench-workloads.md W1-W6, W8's peak memory).
#
#   scripts/bench.sh [workloads...] [--threads 1|2|both] [--repeats N] [--torch-blas dnnl|system]
#                    [--max-load L] [--max-wait S] [--no-build] [--dynet DIR]
#
# workloads: w1 w2 w3 w4 w5a w5b w6 w6batched w6b w6levels w9 w9b (default: all). w6 is W6 proper, the per-node form
# (bench/w6_tree_lstm.cpp); w6batched is the same program with --form batched (one lookup, classifier and loss
# per tree), a separate line; w6b is W6 under automatic batching, 25 trees per autobatch::Scope (DyNet's side: its
# --dynet-autobatch 1 with 25 trees per graph); w6levels the same 25 trees hand-batched level by level (W6b's
# ceiling, reel only); w9 / w9b the BiLSTM tagger one sentence at a time, eager and with
# automatic batching, 64 sentences per step (bench/w9_tagger.cpp; no LibTorch twin, so reel's side only). Builds reel's bench programs and their LibTorch twins in
# Release (in $REEL_BENCH_BUILD_DIR, default <repo>/build-bench; LibTorch files one at a time, they are heavy),
# then for every workload and thread count runs the sides ALTERNATELY, N times each (default 5; the side
# that goes first rotates too), and prints one markdown table per figure (scripts/bench_table.py): median,
# min, max and runs for each library and the ratio reel / LibTorch (and reel / DyNet).
#
# Peak memory (W8): every run of every program and library is started under /usr/bin/time -v (Debian package
# `time`, installed through scripts/lib.sh when missing), and its "Maximum resident set size" becomes the line
# bench=W8 figure=peak_rss_mib workload=<w> threads=<t> measured_by=time-v. That is the figure to compare; the
# programs' own vmhwm_mib lines (VmHWM read in-process) and reel's allocator counters (reel_*) are not.
#
# DyNet: --dynet DIR adds DyNet as a third side for w1 and w6 at 1 thread (DyNet runs on one thread), running
# DIR/w1_overhead and DIR/w6_treelstm, the DyNet twins kept outside the project in
# ../shared/bench-anchors/dynet (built there by its build.sh, see its README), with --dynet-mem 2048
# --dynet-seed 1 --dynet-autobatch 0; their output is turned into the same lines (W1's fwd_const mode, the
# parameters as constants, stands for grad off; its graph-building-only mode becomes build_ns_per_op).
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
DYNET_DIR=""
WORKLOADS=()

usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
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
    --dynet) DYNET_DIR="${2:?}"; shift 2 ;;
    w1|w2|w3|w4|w5a|w5b|w6|w6batched|w6b|w6levels|w9|w9b) WORKLOADS+=("$1"); shift ;;
    -h|--help) usage ;;
    *) echo "bench.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ ${#WORKLOADS[@]} -eq 0 ]] && WORKLOADS=(w1 w2 w3 w4 w5a w5b w6 w6batched w6b w6levels w9 w9b)
case "$THREADS" in
  1|2) THREAD_COUNTS=("$THREADS") ;;
  both) THREAD_COUNTS=(1 2) ;;
  *) echo "bench.sh: --threads must be 1, 2 or both" >&2; exit 2 ;;
esac
case "$TORCH_BLAS" in dnnl|system) ;; *) echo "bench.sh: --torch-blas must be dnnl or system" >&2; exit 2 ;; esac
if [[ -n $DYNET_DIR && ! -x $DYNET_DIR/w1_overhead && ! -x $DYNET_DIR/w6_treelstm ]]; then
  echo "bench.sh: --dynet $DYNET_DIR holds neither w1_overhead nor w6_treelstm" >&2
  exit 2
fi
DATA_ROOT="${REEL_DATA:-$(cd "$ROOT/.." && pwd)/shared/data}"

# /usr/bin/time -v measures every run's peak resident memory, the same way for every library.
if [[ ! -x /usr/bin/time ]]; then
  # shellcheck source=lib.sh
  source "$ROOT/scripts/lib.sh"
  REEL_PACKAGES=(time)
  reel_install_missing || exit 1
fi

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
    w6batched) echo "w6_tree_lstm --form batched" ;;
    w6b) echo "w6_tree_lstm --autobatch 25" ;;
    w6levels) echo "w6_tree_lstm --form levels" ;;
    w9) echo "w9_tagger" ;;
    w9b) echo "w9_tagger --autobatch 64" ;;
  esac
}

# The DyNet twin and its arguments, per workload; nothing where DyNet has no twin here.
dynet_program_of() {
  local common="--dynet-mem 2048 --dynet-seed 1"
  case "$1" in
    w1) echo "w1_overhead $common --dynet-autobatch 0" ;;
    w6) echo "w6_treelstm $common --dynet-autobatch 0 --trees-per-graph 1 --ntrees 1000 --warm 50 --data $DATA_ROOT/sst/train.txt" ;;
    w6b) echo "w6_treelstm $common --dynet-autobatch 1 --trees-per-graph 25 --ntrees 1000 --warm 50 --data $DATA_ROOT/sst/train.txt" ;;
  esac
}

# The sides that run WORKLOAD at THREADS threads.
sides_of() {
  local workload="$1" threads="$2" program
  local sides=(reel)
  program="$(program_of "$workload" | cut -d' ' -f1)"
  # LibTorch's side where a twin exists and was built (not for W6b and the levels form: no LibTorch counterpart)
  [[ $workload != w6b && $workload != w6levels && -x $BUILD/bench/libtorch/libtorch_$program ]] && sides+=(libtorch)
  if [[ -n $DYNET_DIR && $threads == 1 ]]; then
    program="$(dynet_program_of "$workload" | cut -d' ' -f1)"
    [[ -n $program && -x $DYNET_DIR/$program ]] && sides+=(dynet)
  fi
  echo "${sides[@]}"
}

# Turns the DyNet twins' output into bench lines: W1's "W1 <mode> median M min A max B ns/op (n=R)" and W6's
# "RESULT trees_per_s X".
dynet_to_bench_lines() {
  local threads="$1" bench_name="${2:-W6}"
  awk -v threads="$threads" -v bench_name="$bench_name" '
    $1 == "W1" && $3 == "median" {
      figure = ""
      if ($2 == "build") figure = "build_ns_per_op"
      if ($2 == "fwd_const") figure = "forward_nograd_ns_per_op"
      if ($2 == "fwd") figure = "forward_tape_ns_per_op"
      if ($2 == "fwd_bwd") figure = "forward_backward_ns_per_op"
      repeats = $10; gsub(/[^0-9]/, "", repeats)
      if (figure != "")
        printf "bench=W1 figure=%s value=%s unit=ns repeats=%s min=%s median=%s max=%s threads=%s dynet_mode=%s\n",
               figure, $4, repeats, $6, $4, $8, threads, $2
    }
    $1 == "RESULT" && $2 == "trees_per_s" {
      printf "bench=%s figure=trees_per_second value=%s unit=trees/s repeats=1 min=%s median=%s max=%s threads=%s\n",
             bench_name, $3, $3, $3, $3, threads
    }'
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

# run_side SIDE THREADS REPEAT WORKLOAD: one run of one side under /usr/bin/time -v, its lines and its peak
# resident memory line prefixed for bench_table.py.
run_side() {
  local side="$1" threads="$2" repeat="$3" workload="$4" load program args
  load="$(wait_for_quiet)"
  local prefix="impl=$side repeat=$repeat load=$load"
  local usage_file
  usage_file="$(mktemp)"
  local timed=(/usr/bin/time -v -o "$usage_file")
  echo "--- $workload $side threads=$threads repeat=$repeat load=$load" >&2
  if [[ $side == reel ]]; then
    read -r program args <<<"$(program_of "$workload")"
    # shellcheck disable=SC2086
    "${timed[@]}" "$BUILD/bench/$program" $args --threads "$threads" | sed "s|^|$prefix |"
  elif [[ $side == libtorch ]]; then
    read -r program args <<<"$(program_of "$workload")"
    local preload=""
    [[ $TORCH_BLAS == dnnl ]] && preload="$SHIM"
    prefix="$prefix torch_blas=$TORCH_BLAS"
    # shellcheck disable=SC2086
    "${timed[@]}" env LD_PRELOAD="$preload" OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" \
      OMP_WAIT_POLICY=PASSIVE "$BUILD/bench/libtorch/libtorch_$program" $args --threads "$threads" |
      sed "s|^|$prefix |"
  else
    read -r program args <<<"$(dynet_program_of "$workload")"
    # shellcheck disable=SC2086
    "${timed[@]}" "$DYNET_DIR/$program" $args |
      dynet_to_bench_lines "$threads" "$([[ $workload == w6b ]] && echo W6b || echo W6)" | sed "s|^|$prefix |"
  fi
  # time -v writes "Maximum resident set size (kbytes): N"; env and the program are one process (env execs).
  local kib
  kib="$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$usage_file")"
  rm -f "$usage_file"
  if [[ -n $kib ]]; then
    awk -v kib="$kib" -v prefix="$prefix" -v workload="$workload" -v threads="$threads" 'BEGIN {
      mib = kib / 1024
      printf "%s bench=W8 figure=peak_rss_mib value=%.1f unit=MiB repeats=1 min=%.1f median=%.1f max=%.1f " \
             "workload=%s threads=%s measured_by=time-v\n", prefix, mib, mib, mib, mib, workload, threads }'
  fi
}

mkdir -p "$BUILD/bench-results"
stamp="$(date +%Y%m%d-%H%M%S)"
raw="$BUILD/bench-results/$stamp.txt"
table="$BUILD/bench-results/$stamp.md"
{
  echo "# $(date -u +%FT%TZ) $(uname -n) cores=$CORES reel=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)" \
       "dirty=$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -c .) torch_blas=$TORCH_BLAS" \
       "workloads=${WORKLOADS[*]} threads=${THREAD_COUNTS[*]} repeats=$REPEATS max_load=$MAX_LOAD" \
       "dynet=${DYNET_DIR:-none}"
  # A reel linked with the CUDA libraries holds about 200 MiB more resident memory (docs/benchmarks.md).
  echo "# cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1)" \
       "avx512f=$(grep -qw avx512f /proc/cpuinfo && echo yes || echo no)" \
       "reel_links_cuda=$(ldd "$BUILD/bench/w1_op_overhead" 2>/dev/null | grep -q libcudart && echo yes || echo no)"
} >"$raw"
echo "==> raw lines: $raw"
for workload in "${WORKLOADS[@]}"; do
  for threads in "${THREAD_COUNTS[@]}"; do
    for ((repeat = 1; repeat <= REPEATS; ++repeat)); do
      # The side that goes first rotates: reel libtorch [dynet], then libtorch [dynet] reel, ...
      read -r -a sides <<<"$(sides_of "$workload" "$threads")"
      order=()
      for ((k = 0; k < ${#sides[@]}; ++k)); do
        order+=("${sides[$(((repeat - 1 + k) % ${#sides[@]}))]}")
      done
      for side in "${order[@]}"; do
        run_side "$side" "$threads" "$repeat" "$workload" >>"$raw"
      done
    done
  done
done
{
  head -2 "$raw"
  echo
  python3 "$ROOT/scripts/bench_table.py" "$raw"
} | tee "$table"
