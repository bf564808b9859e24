#!/usr/bin/env python3
"""scripts/check_reel_files.py — reads files written by reel with the reference Python libraries.

test/test_serialize.cpp writes, into a scratch directory, the arrays of make_fixtures.expected_arrays()
(some of them from non-contiguous reel tensors) and then runs
    python3 scripts/check_reel_files.py DIR
which must exit 0. Needs numpy and safetensors (pip install numpy safetensors). It checks:
  DIR/reel.safetensors        safetensors.numpy.load_file gives every array (dtype, shape, values) and the
                              metadata; the raw bfloat16 bits of 'bf16' match; safetensors.deserialize agrees
  DIR/reel_plain.safetensors  byte for byte what safetensors.numpy.save writes for the same arrays
  DIR/reel_<name>.npy         numpy.load gives the array; byte for byte what numpy.save writes
  DIR/reel.npz                numpy.load gives every array; zipfile finds every CRC-32 correct
"""
import io
import os
import sys
import zipfile

import numpy as np
from safetensors import deserialize, safe_open
from safetensors.numpy import load_file, save

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import METADATA, expected_arrays, expected_bf16_bits  # noqa: E402

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def same_array(what, got, want):
    check(got.dtype == want.dtype, f"{what}: dtype {got.dtype}, expected {want.dtype}")
    check(got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}")
    if got.dtype == want.dtype and got.shape == want.shape:
        check(np.array_equal(got, want), f"{what}: values differ:\n{got}\nexpected\n{want}")


def check_safetensors(directory):
    path = os.path.join(directory, "reel.safetensors")
    arrays = expected_arrays()
    with open(path, "rb") as f:
        raw = f.read()
    entries = dict(deserialize(raw))
    check(set(entries) == set(arrays) | {"bf16"}, f"{path}: names {sorted(entries)}")
    bf16 = entries.get("bf16")
    if bf16 is not None:
        check(bf16["dtype"] == "BF16" and list(bf16["shape"]) == [2, 4], f"{path}: bf16 header {bf16['dtype']}")
        check(bytes(bf16["data"]) == expected_bf16_bits().tobytes(), f"{path}: bf16 bits differ")
    with safe_open(path, framework="numpy") as f:
        check(f.metadata() == METADATA, f"{path}: metadata {f.metadata()!r}, expected {METADATA!r}")
        for name, want in arrays.items():
            same_array(f"{path}: {name}", f.get_tensor(name), want)

    plain = os.path.join(directory, "reel_plain.safetensors")
    with open(plain, "rb") as f:
        check(f.read() == save(arrays), f"{plain}: bytes differ from safetensors.numpy.save's")
    loaded = load_file(plain)
    for name, want in arrays.items():
        same_array(f"{plain}: {name}", loaded[name], want)


def check_npy(directory):
    for name, want in expected_arrays().items():
        path = os.path.join(directory, f"reel_{name}.npy")
        same_array(path, np.load(path), want)
        reference = io.BytesIO()
        np.save(reference, want)
        with open(path, "rb") as f:
            check(f.read() == reference.getvalue(), f"{path}: bytes differ from numpy.save's")


def check_npz(directory):
    path = os.path.join(directory, "reel.npz")
    with zipfile.ZipFile(path) as archive:
        check(archive.testzip() is None, f"{path}: a member fails its CRC-32")
    arrays = expected_arrays()
    with np.load(path) as loaded:
        check(list(loaded.keys()) == list(arrays), f"{path}: keys {list(loaded.keys())}")
        for name, want in arrays.items():
            same_array(f"{path}: {name}", loaded[name], want)


def main():
    if len(sys.argv) != 2:
        print("usage: check_reel_files.py DIR", file=sys.stderr)
        return 2
    directory = sys.argv[1]
    for step in (check_safetensors, check_npy, check_npz):
        try:
            step(directory)
        except Exception as error:  # a reader refusing the file is a failure too
            failures.append(f"{step.__name__}: {type(error).__name__}: {error}")
    for message in failures:
        print("check_reel_files:", message, file=sys.stderr)
    if failures:
        return 1
    print(f"check_reel_files: numpy {np.__version__} and safetensors read every reel file in {directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
