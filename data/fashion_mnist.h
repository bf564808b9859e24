// reel/data/fashion_mnist.h — IDX files (the MNIST format), gzip-compressed or not, and the Fashion-MNIST dataset.
//
//   reel::Tensor images = reel::data::read_idx("train-images-idx3-ubyte.gz");   // uint8 [60000, 28, 28]
//   auto train = std::make_shared<reel::data::FashionMNIST>(reel::data::FashionMNIST::default_root(),
//                                                           reel::data::Split::train);
//
// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017) comes from Debian's package dataset-fashion-mnist, which puts
// the four gzip-compressed IDX files in /usr/share/datasets/fashion-mnist (`apt-get install
// dataset-fashion-mnist`). A malformed file gives a reel::Error naming the file and what is wrong; nothing is
// read out of bounds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../tensor/tensor.h"
#include "dataset.h"

namespace reel::data {

// Reads an IDX file: magic 0x00 0x00 <type> <ndims>, ndims big-endian uint32 sizes, then the values in
// big-endian row-major order. Types: 0x08 -> uint8, 0x0C -> int32, 0x0D -> float32, 0x0E -> float64
// (0x09 int8 and 0x0B int16 have no reel dtype and are refused). A file starting with the gzip magic
// 1f 8b is decompressed first (one gzip member; the CRC-32 and length in its trailer are checked). The data
// must fill the file exactly.
Tensor read_idx(const std::string& path);

// The bytes of a whole file, decompressed when it starts with the gzip magic (RFC 1952, deflate, one member).
std::vector<uint8_t> read_maybe_gzip(const std::string& path);

enum class Split { train, test };

// Fashion-MNIST: get(i) is {image float32 [1, 28, 28] = pixels / 255, label int64 []}, converted on demand (in
// the loader's workers) as torchvision's ToTensor does. The files are decoded once at construction into
// images() uint8 [N, 28, 28] and targets() int64 [N] (train N = 60000, test N = 10000). `root` holds
// train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each
// optionally with .gz. When a file is missing the error says to install dataset-fashion-mnist or pass --data.
class FashionMNIST : public Dataset<Example> {
 public:
  explicit FashionMNIST(const std::string& root = default_root(), Split split = Split::train);
  int64_t size() const override { return targets_.size(0); }
  Example get(int64_t index) const override;
  const Tensor& images() const { return images_; }
  const Tensor& targets() const { return targets_; }

  // Where Debian's dataset-fashion-mnist installs the files: /usr/share/datasets/fashion-mnist.
  static std::string default_root();
  // Whether the four files (plain or .gz) are in `root`.
  static bool exists(const std::string& root = default_root());
  // The class names, index = label: "T-shirt/top", "Trouser", ..., "Ankle boot".
  static const std::vector<std::string>& classes();

 private:
  Tensor images_;
  Tensor targets_;
};

}  // namespace reel::data
