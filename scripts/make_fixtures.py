#!/usr/bin/env python3
"""scripts/make_fixtures.py — writes the file-format fixtures of test/test_serialize.cpp into test/fixtures/.

Every fixture is written by the reference Python libraries (numpy, safetensors, zipfile, zlib), so reel's
readers are tested against files it did not write. The values are arange-based formulas (expected_arrays()
below); test/test_serialize.cpp recomputes the same formulas instead of reading an expected-values file,
and scripts/check_reel_files.py imports expected_arrays() to check files written by reel.

Run once after changing a formula, then commit the small files (about 20 KB in all):
    pip install numpy safetensors
    python3 scripts/make_fixtures.py

Files:
  reference.safetensors        every safetensors dtype reel reads, incl. BF16, 0-dim and size-0, with metadata,
                               through safetensors.serialize_file (the library's core; its numpy API has no
                               bfloat16, so the BF16 tensor is handed over as raw little-endian bits)
  reference_numpy.safetensors  the same minus BF16 and metadata through the public safetensors.numpy.save_file;
                               reel must write these bytes exactly (with metadata it cannot: the reference
                               writes metadata in its hash map's order, which changes from run to run)
  unsupported_i8.safetensors   an I8 tensor (refused until reel had int8; the name stayed: reel reads it now)
  unsupported_u16.safetensors  a U16 tensor, which reel refuses
  npy_<name>.npy               numpy.save of each array of expected_arrays()
  npy_fortran.npy              a Fortran-ordered int32 array (2, 3, 4)
  npy_bigendian_f8.npy         '>f8' data, npy_bigendian_i4.npy '>i4'
  npy_v2.npy, npy_v3.npy       format versions 2.0 and 3.0
  reference.npz                numpy.savez of expected_arrays() (stored members)
  reference_compressed.npz     numpy.savez_compressed (deflate: dynamic and fixed Huffman blocks)
  reference_level0.npz         zipfile with ZIP_DEFLATED at compresslevel 0 (deflate stored blocks)
  deflate_cases.bin            raw deflate streams from zlib with their sizes and CRC-32s, for the decoder:
                               "REELDEFL", u32 count, then per case u32 size, u32 crc32, u32 length, stream
"""
import os
import struct
import sys
import zipfile
import zlib

import numpy as np

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures")
METADATA = {"format": "np", "note": "reel fixture \u00e9\t\"quoted\"\n"}


def lcg_bytes(n, seed=12345):
    """Incompressible-looking bytes from a 31-bit LCG; the C++ test uses the same recurrence."""
    out = bytearray()
    x = seed
    for _ in range(n):
        x = (x * 1103515245 + 12345) % (1 << 31)
        out.append((x >> 16) & 0xFF)
    return bytes(out)


def expected_arrays():
    """The arrays every fixture and reel-written check file holds (bfloat16 aside)."""
    return {
        "f64": np.arange(6, dtype=np.float64).reshape(2, 3) / 4 - 1,
        "f32": np.arange(24, dtype=np.float32).reshape(2, 3, 4) * np.float32(0.5) - np.float32(3),
        "f16": np.arange(10, dtype=np.float16) * np.float16(0.25) - np.float16(1),
        "i64": np.arange(5, dtype=np.int64) * (1 << 40) - 3,
        "i32": np.arange(-3, 3, dtype=np.int32).reshape(3, 2),
        "u8": np.arange(5, dtype=np.uint8) * np.uint8(50),
        "bool": np.arange(7) % 3 == 0,
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
    }


def expected_bf16_bits():
    """bfloat16 'bf16' of shape (2, 4): arange(8) * 0.5 - 2, exact in bfloat16, as its upper 16 float32 bits."""
    values = np.arange(8, dtype=np.float32) * np.float32(0.5) - np.float32(2)
    return (values.view(np.uint32) >> 16).astype("<u2").reshape(2, 4)


def tensor_spec(dtype_name, array):
    """A tensor for safetensors.serialize_file, in whichever form the installed version takes."""
    data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False)
    try:
        from safetensors import TensorSpec  # safetensors >= 0.6: pointer-based specs
    except ImportError:
        return {"dtype": dtype_name, "shape": list(array.shape), "data": data.tobytes()}, data
    spec = TensorSpec(dtype=dtype_name, shape=list(array.shape), data_ptr=data.ctypes.data, data_len=data.nbytes)
    return spec, data


def write_safetensors():
    from safetensors import serialize_file
    from safetensors.numpy import save_file

    arrays = expected_arrays()
    save_file(arrays, os.path.join(FIXTURES, "reference_numpy.safetensors"))

    keep_alive = []
    specs = {}
    for name, array in arrays.items():
        specs[name], data = tensor_spec(array.dtype.name, array)
        keep_alive.append(data)
    specs["bf16"], data = tensor_spec("bfloat16", expected_bf16_bits())
    keep_alive.append(data)
    serialize_file(specs, os.path.join(FIXTURES, "reference.safetensors"), metadata=METADATA)

    int8 = np.arange(-2, 2, dtype=np.int8)
    save_file({"small": int8}, os.path.join(FIXTURES, "unsupported_i8.safetensors"))
    uint16 = np.arange(0, 4, dtype=np.uint16)
    save_file({"small": uint16}, os.path.join(FIXTURES, "unsupported_u16.safetensors"))


def write_npy():
    for name, array in expected_arrays().items():
        np.save(os.path.join(FIXTURES, f"npy_{name}.npy"), array)
    fortran = np.asfortranarray(np.arange(24, dtype=np.int32).reshape(2, 3, 4))
    np.save(os.path.join(FIXTURES, "npy_fortran.npy"), fortran)
    np.save(os.path.join(FIXTURES, "npy_bigendian_f8.npy"), expected_arrays()["f64"].astype(">f8"))
    np.save(os.path.join(FIXTURES, "npy_bigendian_i4.npy"), expected_arrays()["i32"].astype(">i4"))
    for version in ((2, 0), (3, 0)):
        with open(os.path.join(FIXTURES, f"npy_v{version[0]}.npy"), "wb") as f:
            np.lib.format.write_array(f, expected_arrays()["f32"], version=version)


def write_npz():
    arrays = expected_arrays()
    np.savez(os.path.join(FIXTURES, "reference.npz"), **arrays)
    np.savez_compressed(os.path.join(FIXTURES, "reference_compressed.npz"), **arrays,
                        lcg=np.frombuffer(lcg_bytes(1500), dtype=np.uint8),
                        ramp=np.arange(400, dtype=np.float32))
    path = os.path.join(FIXTURES, "reference_level0.npz")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=0) as archive:
        for name in ("f32", "u8", "bool"):
            with archive.open(name + ".npy", "w") as member:
                np.lib.format.write_array(member, arrays[name])


def deflate(data, level=9, strategy=zlib.Z_DEFAULT_STRATEGY, flush_every=None):
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
    if flush_every is None:
        return compressor.compress(data) + compressor.flush()
    out = b""
    for start in range(0, len(data), flush_every):
        out += compressor.compress(data[start:start + flush_every]) + compressor.flush(zlib.Z_FULL_FLUSH)
    return out + compressor.flush()


def write_deflate_cases():
    words = [b"tensor", b"gradient", b"reel", b"tape", b"backward", b"kernel", b"stride", b"\n"]
    picks = lcg_bytes(6000, seed=7)
    text = b" ".join(words[b % len(words)] for b in picks)  # ~40 KB, long-distance matches
    cases = [
        b"",
        deflate(lcg_bytes(700), level=0, flush_every=300),          # stored blocks, several
        deflate(text[:5000], strategy=zlib.Z_FIXED),                 # fixed Huffman codes
        deflate(text),                                               # dynamic blocks, far back-references
        deflate(text[:8000], level=6, flush_every=2500),             # several dynamic blocks and empty stored ones
        deflate(bytes(3000) + lcg_bytes(200), strategy=zlib.Z_RLE),  # distance-1 runs of the longest length
        deflate(lcg_bytes(3000), strategy=zlib.Z_HUFFMAN_ONLY),      # literals only
    ]
    raws = [b"", lcg_bytes(700), text[:5000], text, text[:8000], bytes(3000) + lcg_bytes(200), lcg_bytes(3000)]
    cases[0] = deflate(b"")
    with open(os.path.join(FIXTURES, "deflate_cases.bin"), "wb") as f:
        f.write(b"REELDEFL" + struct.pack("<I", len(cases)))
        for raw, stream in zip(raws, cases):
            assert zlib.decompress(stream, -15) == raw
            f.write(struct.pack("<III", len(raw), zlib.crc32(raw), len(stream)) + stream)


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    write_safetensors()
    write_npy()
    write_npz()
    write_deflate_cases()
    total = sum(os.path.getsize(os.path.join(FIXTURES, name)) for name in os.listdir(FIXTURES))
    print(f"wrote {len(os.listdir(FIXTURES))} fixtures ({total} bytes) to {os.path.normpath(FIXTURES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
