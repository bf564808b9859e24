#!/usr/bin/env python3
"""Checks the ONNX files reel exported (test/onnx/export_models.cpp) with PyPI's onnx and onnxruntime.

For every <case>.onnx in DIR:
  1. onnx.checker.check_model(model, full_check=True)
  2. onnx.shape_inference.infer_shapes(model, strict_mode=True): the inferred output shapes must agree with
     reel's outputs wherever a dimension is fixed
  3. onnxruntime on each input set <case>.in<k>.npz: every output must match reel's <case>.out<k>.npz in shape
     and within |ort - reel| <= ATOL + RTOL |reel| (RTOL = 1e-5, ATOL = 1e-5 * max(1, max |reel|) for
     float32; outputs are compared by graph output name)

  check_onnx.py DIR                    exit 0 when every case passes all three
  check_onnx.py DIR --expect-mismatch  exit 0 when every case passes 1 and 2 but its values differ from reel's
                                       (the deliberately wrong models: a valid graph computing something else)
"""
import glob
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

RTOL = 1e-5


def static_dims(value_info):
    dims = []
    for d in value_info.type.tensor_type.shape.dim:
        dims.append(d.dim_value if d.HasField("dim_value") else None)
    return dims


def check_case(path):
    """Returns (structure_ok, values_ok, messages) for one model file."""
    messages = []
    name = os.path.basename(path)[: -len(".onnx")]
    model = onnx.load(path)
    try:
        onnx.checker.check_model(model, full_check=True)
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    except Exception as e:  # the checker's and shape inference's own exceptions
        return False, False, [f"{name}: invalid model: {e}"]
    if model.ir_version != 8 or [(o.domain, o.version) for o in model.opset_import] != [("", 17)]:
        return False, False, [f"{name}: expected IR version 8 and opset ('', 17), got {model.ir_version} and "
                              f"{[(o.domain, o.version) for o in model.opset_import]}"]
    inferred_outputs = {o.name: static_dims(o) for o in inferred.graph.output}

    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    output_names = [o.name for o in session.get_outputs()]
    runs = sorted(glob.glob(os.path.join(os.path.dirname(path), name + ".in*.npz")))
    if not runs:
        return False, False, [f"{name}: no input files"]
    values_ok = True
    structure_ok = True
    for run in runs:
        k = run[len(os.path.join(os.path.dirname(path), name + ".in")): -len(".npz")]
        inputs = dict(np.load(run))
        expected = dict(np.load(os.path.join(os.path.dirname(path), f"{name}.out{k}.npz")))
        got = session.run(output_names, inputs)
        for out_name, value in zip(output_names, got):
            want = expected[out_name]
            dims = inferred_outputs.get(out_name)
            if dims is None or len(dims) != want.ndim or any(d is not None and d != w for d, w in zip(dims, want.shape)):
                structure_ok = False
                messages.append(f"{name}[{k}] {out_name}: inferred shape {dims} does not fit reel's {list(want.shape)}")
            if value.shape != want.shape:
                values_ok = False
                messages.append(f"{name}[{k}] {out_name}: onnxruntime shape {list(value.shape)}, reel "
                                f"{list(want.shape)}")
                continue
            if want.dtype.kind in "iub":
                close = np.array_equal(value, want)
                worst = "exact comparison"
            else:
                atol = RTOL * max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
                diff = np.abs(value.astype(np.float64) - want.astype(np.float64))
                close = bool(np.all(diff <= atol + RTOL * np.abs(want.astype(np.float64))))
                worst = f"max |diff| {float(diff.max()) if diff.size else 0.0:.3g} (atol {atol:.3g}, rtol {RTOL})"
            if not close:
                values_ok = False
                messages.append(f"{name}[{k}] {out_name}: MISMATCH with reel: {worst}")
            else:
                messages.append(f"{name}[{k}] {out_name}: ok, {worst}")
    return structure_ok, values_ok, messages


def main():
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] != "--expect-mismatch"):
        print(__doc__)
        return 2
    expect_mismatch = len(sys.argv) == 3
    paths = sorted(glob.glob(os.path.join(sys.argv[1], "*.onnx")))
    if not paths:
        print(f"check_onnx.py: no .onnx files in {sys.argv[1]}")
        return 1
    failures = 0
    for path in paths:
        structure_ok, values_ok, messages = check_case(path)
        for m in messages:
            print("  " + m)
        if expect_mismatch:
            ok = structure_ok and not values_ok
            verdict = "rejected as expected (values differ)" if ok else "NOT rejected: expected a value mismatch"
        else:
            ok = structure_ok and values_ok
            verdict = "ok" if ok else "FAILED"
        print(f"{os.path.basename(path)}: {verdict}")
        failures += 0 if ok else 1
    print(f"check_onnx.py: {len(paths) - failures} of {len(paths)} files as expected "
          f"(onnx {onnx.__version__}, onnxruntime {ort.__version__})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
