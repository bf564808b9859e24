// reel/data/mnist.h — the MNIST dataset as LibTorch spells it (data::datasets::MNIST), reading digit MNIST or
// Fashion-MNIST files, and reel's FashionMNIST (the same dataset with Debian's install place as its default).
//
//   auto train = reel::data::datasets::MNIST("./data");                                  // 60000 examples
//   auto test = reel::data::datasets::MNIST("./data", reel::data::datasets::MNIST::Mode::kTest);   // 10000
//   train.get(0);   // {image float32 [1, 28, 28] = pixels / 255, label int64 []}
//   reel::data::FashionMNIST fashion;   // /usr/share/datasets/fashion-mnist, Mode::kTrain
//
// `root` holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
// t10k-labels-idx1-ubyte (the names of digit MNIST and of Fashion-MNIST alike), each plain or gzip-compressed
// (.gz, as Debian's dataset-fashion-mnist installs them). As in LibTorch the images are decoded once, at
// construction, into images() float32 [N, 1, 28, 28] in [0, 1] and targets() int64 [N]; get(i) returns views of
// row i. A missing or malformed file gives a reel::Error naming the file and what is wrong (for Fashion-MNIST
// it says to install dataset-fashion-mnist).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "../tensor/tensor.h"
#include "datasets.h"

namespace reel::data {

namespace datasets {

class MNIST : public Dataset<MNIST> {
 public:
  enum class Mode { kTrain, kTest };

  explicit MNIST(const std::string& root, Mode mode = Mode::kTrain);
  Example<> get(size_t index) override;
  std::optional<size_t> size() const override;
  bool is_train() const noexcept { return train_; }
  const Tensor& images() const { return images_; }    // float32 [N, 1, 28, 28], pixels / 255
  const Tensor& targets() const { return targets_; }  // int64 [N], 0..9

  // Whether the four files (plain or .gz) are in `root`.
  static bool exists(const std::string& root);

 private:
  Tensor images_;
  Tensor targets_;
  bool train_;
};

}  // namespace datasets

// reel: Fashion-MNIST (Xiao, Rasul and Vollgraf 2017): an MNIST whose root defaults to where Debian's
// dataset-fashion-mnist installs the files (`apt-get install dataset-fashion-mnist`).
class FashionMNIST : public datasets::MNIST {
 public:
  explicit FashionMNIST(const std::string& root = default_root(), Mode mode = Mode::kTrain);
  static std::string default_root();  // /usr/share/datasets/fashion-mnist
  static bool exists(const std::string& root = default_root()) { return MNIST::exists(root); }
  // The class names, index = label: "T-shirt/top", "Trouser", ..., "Ankle boot".
  static const std::vector<std::string>& classes();
};

}  // namespace reel::data
