#!/usr/bin/env bash
# test/onnx/run_check.sh — the CTest `onnx_runtime_check`: exports the covered models with reel_onnx_export,
# checks them with PyPI's onnx and onnxruntime (check_onnx.py), and checks that the models exported with a
# deliberately wrong gate order are rejected. Exits 77 (CTest: skipped) when python3 cannot import onnx and
# onnxruntime.
#
#   run_check.sh EXPORT_PROGRAM WORK_DIR
set -uo pipefail
export_program=$1
work_dir=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if ! python3 -c "import numpy, onnx, onnxruntime" >/dev/null 2>&1; then
  echo "onnx_runtime_check: SKIPPED: python3 cannot import numpy, onnx and onnxruntime" \
       "(python3 -m pip install onnx onnxruntime; .ci/run installs them)"
  exit 77
fi
rm -rf "$work_dir" && mkdir -p "$work_dir" || exit 1
"$export_program" "$work_dir" || { echo "onnx_runtime_check: the export failed"; exit 1; }
echo "== the exported models: checker, shape inference, onnxruntime against reel"
python3 "$here/check_onnx.py" "$work_dir/good" || { echo "onnx_runtime_check: FAILED"; exit 1; }
echo "== the models exported with PyTorch's gate order: must be valid and must disagree with reel"
python3 "$here/check_onnx.py" "$work_dir/bad" --expect-mismatch ||
  { echo "onnx_runtime_check: FAILED: a wrong gate order was not detected"; exit 1; }
echo "onnx_runtime_check: passed"
