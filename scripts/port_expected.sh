#!/usr/bin/env bash
# scripts/port_expected.sh — records what LibTorch prints for the port-check programs (test/port/port_*.cpp):
# builds each unchanged source against LibTorch's C++ API and writes its output to test/port/<name>.expected.
#
#   scripts/port_expected.sh <torch dir>     e.g. .../site-packages/torch of a PyPI torch wheel (2.x, C++20)
#
# <torch dir> must hold include/ and lib/ (libtorch_cpu, libc10) as the PyPI wheel does. The recorded files in
# the repository came from torch 2.15.0 (PyPI wheel, CPU). Run from anywhere; needs g++ with C++20.
set -euo pipefail
torch_dir=${1:?usage: scripts/port_expected.sh <torch dir holding include/ and lib/>}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for source in "$repo"/test/port/port_*.cpp; do
  name=$(basename "$source" .cpp)
  [[ $name == port_compare ]] && continue
  echo "building $name against $torch_dir"
  g++ -std=c++20 -O1 -w -D_GLIBCXX_USE_CXX11_ABI=1 -I"$torch_dir/include" \
    -I"$torch_dir/include/torch/csrc/api/include" "$source" -o "$work/$name" \
    -L"$torch_dir/lib" -ltorch_cpu -lc10 -Wl,-rpath,"$torch_dir/lib"
  (cd "$work" && "./$name") > "$repo/test/port/$name.expected"
  echo "wrote test/port/$name.expected"
done
