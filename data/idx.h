// reel/data/idx.h — IDX files (the MNIST format), gzip-compressed or not. The MNIST datasets that read them
// are in data/mnist.h.
//
//   reel::Tensor images = reel::data::read_idx("train-images-idx3-ubyte.gz");   // uint8 [60000, 28, 28]
//
// A malformed file gives a reel::Error naming the file and what is wrong; nothing is read out of bounds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../tensor/tensor.h"

namespace reel::data {

// Reads an IDX file: magic 0x00 0x00 <type> <ndims>, ndims big-endian uint32 sizes, then the values in
// big-endian row-major order. Types: 0x08 -> uint8, 0x0C -> int32, 0x0D -> float32, 0x0E -> float64
// (0x09 int8 and 0x0B int16 have no reel dtype and are refused). A file starting with the gzip magic
// 1f 8b is decompressed first (one gzip member; the CRC-32 and length in its trailer are checked). The data
// must fill the file exactly.
Tensor read_idx(const std::string& path);

// The bytes of a whole file, decompressed when it starts with the gzip magic (RFC 1952, deflate, one member).
std::vector<uint8_t> read_maybe_gzip(const std::string& path);

}  // namespace reel::data
