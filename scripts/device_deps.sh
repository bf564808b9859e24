#!/usr/bin/env bash
# scripts/device_deps.sh — run on a BUILD machine (Debian 12, network to Debian's mirror): downloads the Debian
# packages reel builds against (fmt, Catch2, oneDNN and what they need) with `apt-get download` and unpacks them
# into .deps/prefix, a git-ignored folder that travels with the working tree to the bare, offline GPU machine,
# where scripts/gpu_check.sh builds against it (CMAKE_PREFIX_PATH=.deps/prefix/usr, LD_LIBRARY_PATH for oneDNN).
#
#   scripts/device_deps.sh          # fills .deps/ (about 35 MiB unpacked); prints its size
#
# The GPU machine brings its own g++, CMake, ninja, CUDA toolkit, cuDNN and libgomp; nothing else is needed there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPS="$ROOT/.deps"
# oneDNN's CMake package runs find_package(OpenCL REQUIRED) (Debian builds it with its OpenCL GPU runtime), and
# libdnnl.so.2 links libOpenCL.so.1: hence the ICD loader and its headers.
PACKAGES=(libfmt-dev libfmt9 catch2 libdnnl-dev libdnnl2 ocl-icd-opencl-dev ocl-icd-libopencl1 opencl-c-headers
          opencl-clhpp-headers)

rm -rf "$DEPS/debs" "$DEPS/prefix"
mkdir -p "$DEPS/debs" "$DEPS/prefix"
cd "$DEPS/debs"
if ! apt-get download "${PACKAGES[@]}" 2>"$DEPS/download.log"; then
  echo "device_deps: apt-get download failed (see $DEPS/download.log); run 'apt-get update' first?" >&2
  cat "$DEPS/download.log" >&2
  exit 1
fi
for deb in ./*.deb; do
  dpkg-deb -x "$deb" "$DEPS/prefix"
done
# Documentation is dead weight on the wire.
rm -rf "$DEPS/prefix/usr/share/doc" "$DEPS/prefix/usr/share/man" "$DEPS/prefix/usr/share/lintian"
rm -rf "$DEPS/debs"
echo "device_deps: unpacked ${#PACKAGES[@]} packages into $DEPS/prefix ($(du -sh "$DEPS/prefix" | cut -f1))"
