// reel/data/mnist.cpp — MNIST and Fashion-MNIST from their IDX files (data/idx.h): finding the files, checking
// that they hold what MNIST holds, and the per-example views.
#include "mnist.h"

#include <sys/stat.h>

#include "../tensor/error_format.h"
#include "../tensor/shape.h"
#include "idx.h"

namespace reel::data {

namespace {

constexpr const char* kFileNames[2][2] = {{"train-images-idx3-ubyte", "train-labels-idx1-ubyte"},
                                          {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}};
constexpr int64_t kRows = 28, kColumns = 28;

bool is_regular_file(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

// root/name, or root/name.gz, or the error that says where the files come from.
std::string find_file(const std::string& root, const std::string& name) {
  const std::string plain = root + "/" + name;
  if (is_regular_file(plain)) return plain;
  if (is_regular_file(plain + ".gz")) return plain + ".gz";
  throw Error(fmt::format("data::datasets::MNIST: no '{}' or '{}.gz' in '{}': put the MNIST files there, or for "
                          "Fashion-MNIST install them with `apt-get install dataset-fashion-mnist` (they go to {}) "
                          "or pass --data",
                          name, name, root, FashionMNIST::default_root()));
}

}  // namespace

namespace datasets {

MNIST::MNIST(const std::string& root, Mode mode) : train_(mode == Mode::kTrain) {
  const auto& names = kFileNames[train_ ? 0 : 1];
  const std::string images_path = find_file(root, names[0]);
  const std::string labels_path = find_file(root, names[1]);
  Tensor images = read_idx(images_path);
  Tensor labels = read_idx(labels_path);
  REEL_CHECK(images.dtype() == kUInt8 && images.dim() == 3 && images.size(1) == kRows && images.size(2) == kColumns,
             "data::datasets::MNIST: '{}' must hold uint8 images [N, 28, 28], it holds {} {}", images_path,
             dtype_name(images.dtype()), shape_str(images.sizes()));
  REEL_CHECK(labels.dtype() == kUInt8 && labels.dim() == 1,
             "data::datasets::MNIST: '{}' must hold uint8 labels [N], it holds {} {}", labels_path,
             dtype_name(labels.dtype()), shape_str(labels.sizes()));
  REEL_CHECK(labels.size(0) == images.size(0), "data::datasets::MNIST: '{}' has {} labels but '{}' has {} images",
             labels_path, labels.size(0), images_path, images.size(0));
  const uint8_t* label_bytes = labels.data_ptr<uint8_t>();
  for (int64_t i = 0; i < labels.size(0); ++i) {
    REEL_CHECK(label_bytes[i] < 10, "data::datasets::MNIST: '{}': label {} of item {} is not a class 0..9",
               labels_path, int{label_bytes[i]}, i);
  }
  images_ = images.to(kFloat32).div(255.0).unsqueeze(1);
  targets_ = labels.to(kInt64);
}

Example<> MNIST::get(size_t index) {
  REEL_CHECK(index < static_cast<size_t>(targets_.size(0)), "data::datasets::MNIST: index {} is out of range for {} "
             "images", index, targets_.size(0));
  const int64_t i = static_cast<int64_t>(index);
  return {images_.select(0, i), targets_.select(0, i)};
}

std::optional<size_t> MNIST::size() const { return static_cast<size_t>(targets_.size(0)); }

bool MNIST::exists(const std::string& root) {
  for (const auto& mode : kFileNames) {
    for (const char* name : mode) {
      const std::string plain = root + "/" + name;
      if (!is_regular_file(plain) && !is_regular_file(plain + ".gz")) return false;
    }
  }
  return true;
}

}  // namespace datasets

FashionMNIST::FashionMNIST(const std::string& root, Mode mode) : MNIST(root, mode) {}

std::string FashionMNIST::default_root() { return "/usr/share/datasets/fashion-mnist"; }

const std::vector<std::string>& FashionMNIST::classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

}  // namespace reel::data
