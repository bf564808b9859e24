#!/usr/bin/env python3
"""test/fuzz/make_corpus.py — writes the seed corpus of reel's libFuzzer targets into test/fuzz/corpus/<target>/.

Seeds are small valid files of each format, written by the reference Python packages (numpy, safetensors, gzip),
plus a few hand-made byte strings for the shape target. The fuzzer mutates them; a valid start lets it reach deep
into each parser quickly. Run it from anywhere (numpy and safetensors must import):

    python3 test/fuzz/make_corpus.py

It rewrites the corpus deterministically (fixed random seed, fixed gzip mtime), so the committed files only
change when this script does.
"""
import gzip
import io
import json
import os
import random
import struct
import zipfile

import numpy as np
from safetensors.numpy import save as safetensors_save

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def npy_bytes(array, version=None):
    buffer = io.BytesIO()
    if version is None:
        np.save(buffer, array)
    else:
        np.lib.format.write_array(buffer, array, version=version)
    return buffer.getvalue()


def gzip_bytes(data):
    return gzip.compress(data, mtime=0)


def main():
    rng = np.random.default_rng(0)
    arrays = {
        "f4_2x3": np.arange(6, dtype="<f4").reshape(2, 3),
        "f8_scalar": np.array(3.5, dtype="<f8"),
        "i8_empty": np.zeros((0, 3), dtype="<i8"),
        "u1_4": np.array([0, 1, 254, 255], dtype="|u1"),
        "b1_3": np.array([True, False, True]),
        "f2_2x2": np.array([[1, -2], [0.5, 65504]], dtype="<f2"),
        "i4_be": np.arange(5, dtype=">i4"),
        "f4_fortran": np.asfortranarray(rng.standard_normal((2, 3)).astype("<f4")),
    }
    for name, array in arrays.items():
        put("fuzz_npy", name + ".npy", npy_bytes(array))
    put("fuzz_npy", "v2_i4.npy", npy_bytes(np.arange(3, dtype="<i4"), version=(2, 0)))
    put("fuzz_npy", "v3_f8.npy", npy_bytes(np.arange(2, dtype="<f8"), version=(3, 0)))

    def npz(compressed, members):
        buffer = io.BytesIO()
        (np.savez_compressed if compressed else np.savez)(buffer, **members)
        return buffer.getvalue()

    put("fuzz_npz", "stored.npz", npz(False, {"w": arrays["f4_2x3"], "b": arrays["i4_be"]}))
    put("fuzz_npz", "deflated.npz", npz(True, {"x": np.arange(40, dtype="<i8") % 7, "y": arrays["b1_3"]}))
    put("fuzz_npz", "empty.npz", npz(False, {}))
    # A zip64 archive with one stored member (zipfile writes zip64 extras when forced).
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        with archive.open("z.npy", "w", force_zip64=True) as member:
            member.write(npy_bytes(np.arange(3, dtype="<f8")))
    put("fuzz_npz", "zip64.npz", buffer.getvalue())

    put("fuzz_safetensors", "mixed.safetensors", safetensors_save(
        {"weight": arrays["f4_2x3"], "bias": np.array([1, 2], dtype="<i8"), "mask": arrays["b1_3"],
         "half": arrays["f2_2x2"], "bytes": arrays["u1_4"], "scalar": np.array(2.0, dtype="<f8")},
        metadata={"format": "np", "epoch": "3"}))
    put("fuzz_safetensors", "empty_tensor.safetensors", safetensors_save({"e": arrays["i8_empty"]}))
    put("fuzz_safetensors", "nothing.safetensors", safetensors_save({}))
    # BF16 has no NumPy dtype: a hand-written header (8-byte length, JSON padded with spaces to 8, data).
    header = json.dumps({"b": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]},
                         "__metadata__": {"k\u00e9y": "v\\u"}}).encode()
    header += b" " * (-len(header) % 8)
    put("fuzz_safetensors", "bf16.safetensors", struct.pack("<Q", len(header)) + header + b"\x80\x3f\x00\x40")

    def idx(array, code):
        head = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
        return head + array.astype(array.dtype.newbyteorder(">")).tobytes()

    images = (np.arange(2 * 4 * 4) * 7 % 256).astype(np.uint8).reshape(2, 4, 4)
    put("fuzz_idx", "images_u8.idx", idx(images, 0x08))
    put("fuzz_idx", "images_u8.idx.gz", gzip_bytes(idx(images, 0x08)))
    put("fuzz_idx", "labels_i32.idx", idx(np.array([3, -1, 9], dtype=np.int32), 0x0C))
    put("fuzz_idx", "f32.idx.gz", gzip_bytes(idx(np.array([[1.5, -2.0]], dtype=np.float32), 0x0D)))
    put("fuzz_idx", "f64.idx", idx(np.array([0.25], dtype=np.float64), 0x0E))

    # Trees: the first byte picks the number of labels (1 + byte % 10): 4 -> 5 labels, as in SST.
    sst = ("(3 (2 It) (4 (4 (2 's) (4 (3 (2 a) (4 (3 lovely) (2 film))) (3 (2 with) (4 (3 (3 lovely) (2 performances)) "
           "(2 (2 by) (2 (2 (2 Buy) (2 and)) (2 Accorsi))))))) (2 .)))\n"
           "\n(1 (2 -LRB-) (1 (1 1\\/2) (2 -RRB-)))\n(0 (0 caf\u00e9\u00a0noir) (2 \\*))\n")
    put("fuzz_trees", "sst.txt", b"\x04" + sst.encode())
    put("fuzz_trees", "binary_labels.txt", b"\x01" + b"(1 (0 no) (1 yes))\n(0 x)\n")

    put("fuzz_vocab", "ptb.txt", b" aer banknote berlitz calloway\n pierre <unk> N years old will join the board\n"
        b" mr. <unk> is chairman of <unk> n.v. the dutch publishing group\n")
    put("fuzz_vocab", "shakespeare.txt", b"First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\n"
        b"Speak, speak.\n")
    put("fuzz_vocab", "utf8.txt", "na\u00efve caf\u00e9 \u65e5\u672c \U0001f600\tend\r\nthe the\x0bthe\x0c".encode())

    random.seed(8)
    for i in range(12):
        put("fuzz_shapes", "random_%02d" % i, bytes(random.randrange(256) for _ in range(24 + 8 * i)))
    # [2, 3, 4] then view, permute, expand, slice, as_strided, add, empty.
    put("fuzz_shapes", "chain_a", bytes([3, 2, 3, 4, 0, 2, 4, 6, 2, 0, 2, 1, 0, 6, 1, 0, 7, 1, 0, 2, 8, 2,
                                         9, 2, 2, 3, 1, 2, 1, 11, 3, 230, 62, 2]))


if __name__ == "__main__":
    main()
