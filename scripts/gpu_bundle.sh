#!/usr/bin/env bash
# scripts/gpu_bundle.sh — run on a BUILD machine: packs an already built CUDA build of reel (the test binary with its
# CTest files, the W2/W4/W7 benches) and the shared libraries it needs from Debian (fmt, oneDNN, the OpenCL loader) into
# .gpu-bundle/bundle.tar.xz, a git-ignored file that travels to the GPU machine. There
# `GPU_CHECK_PREBUILT=.gpu-bundle/bundle.tar.xz scripts/gpu_check.sh` unpacks it and skips the build, which saves
# the minutes a fresh build takes out of a short GPU lease. The binaries must have been built from this checkout's
# path (CTest files and fixtures use absolute paths; gpu_check.sh links that path to its own checkout).
#
#   scripts/gpu_bundle.sh [build-dir]     # default: build; prints the bundle's size
#   GPU_BUNDLE_SAMPLES="modular tree_lstm char_lstm word_lm" scripts/gpu_bundle.sh build   # + those samples
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
STAGE="$ROOT/.gpu-bundle/stage"
rm -rf "$ROOT/.gpu-bundle"
mkdir -p "$STAGE/lib"

for file in test/reel_tests bench/w2_gemm bench/w4_cnn bench/w7_lstm; do
  [[ -x "$BUILD/$file" ]] || { echo "gpu_bundle: $BUILD/$file is missing: build it first" >&2; exit 1; }
done

# The libraries the binaries need that a bare GPU machine lacks (the CUDA ones are there).
for soname in libfmt.so.9 libdnnl.so.2 libOpenCL.so.1; do
  path="$(ldd "$BUILD/test/reel_tests" | awk -v s="$soname" '$1 == s {print $3}')"
  [[ -n "$path" ]] || { echo "gpu_bundle: reel_tests does not link $soname?" >&2; exit 1; }
  cp -L "$path" "$STAGE/lib/$soname"
done

echo "$BUILD" >"$STAGE/build_dir.txt"
(cd "$STAGE" && tar -cf - lib build_dir.txt) >"$ROOT/.gpu-bundle/libs.tar"
(cd "$BUILD/.." && tar -cf - \
   "$(basename "$BUILD")/test/reel_tests" "$(basename "$BUILD")/test/CTestTestfile.cmake" \
   "$(basename "$BUILD")"/test/reel_tests_include-*.cmake "$(basename "$BUILD")"/test/reel_tests_tests-*.cmake \
   "$(basename "$BUILD")/bench/w2_gemm" "$(basename "$BUILD")/bench/w4_cnn" "$(basename "$BUILD")/bench/w7_lstm") \
  >"$ROOT/.gpu-bundle/build.tar"
parts=(libs.tar build.tar)
# GPU_BUNDLE_SAMPLES="modular tree_lstm ...": also those sample programs with the samples' CTest file (their
# `--device cuda` smoke tests), and ../shared/data, which the SST / text samples read.
if [[ -n "${GPU_BUNDLE_SAMPLES:-}" ]]; then
  files=("$(basename "$BUILD")/samples/CTestTestfile.cmake")
  for name in $GPU_BUNDLE_SAMPLES; do files+=("$(basename "$BUILD")/samples/$name"); done
  (cd "$BUILD/.." && tar -cf - "${files[@]}") >"$ROOT/.gpu-bundle/samples.tar"
  parts+=(samples.tar)
  if [[ -d "$ROOT/../shared/data" ]]; then
    (cd "$ROOT/.." && tar -cf - shared/data) >"$ROOT/.gpu-bundle/shared_data.tar"
    parts+=(shared_data.tar)
  fi
fi
(cd "$ROOT/.gpu-bundle" && tar -cf - "${parts[@]}" | xz -T2 -6 >bundle.tar.xz && rm -rf "${parts[@]}" stage)
echo "gpu_bundle: $ROOT/.gpu-bundle/bundle.tar.xz ($(du -h "$ROOT/.gpu-bundle/bundle.tar.xz" | cut -f1)) from $BUILD"
