// bench/libtorch/w3_mlp.cpp — W3 of ../shared/bench-workloads.md in LibTorch, the twin of bench/w3_mlp.cpp:
// one epoch of an MLP on Fashion-MNIST fed by LibTorch's DataLoader.
//
// Fashion-MNIST train set (60000), pixels / 255 converted per item in the dataset's get() as reel's
// FashionMNIST::get does, MLP 784-512-256-10 with ReLU, cross-entropy, SGD lr 0.1 momentum 0.9, batch 128,
// shuffled (RandomSampler), one epoch. Each repeat trains a fresh model from the same seed. Figures as reel's:
//   epoch_seconds, loader_seconds (the loader alone), test_accuracy (sanity), vmhwm_mib (VmHWM, read in-process)
//
//   libtorch_w3_mlp [--workers N] [--repeats R] [--data DIR] [--threads N] [--quick]
//
// --data DIR: the folder with the four *-idx?-ubyte.gz files (default: Debian's dataset-fashion-mnist
// location, /usr/share/datasets/fashion-mnist), read with zlib. --quick: the first 1024 train images, one
// repeat, synthetic images when the files are missing.
#include <torch/torch.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench_common.h"

namespace {

constexpr const char* kUsage = "[--workers N] [--repeats R] [--data DIR] [--threads N] [--quick]";

struct W3Options {
  int workers = 0;
  int repeats = 3;
  std::string data_root = "/usr/share/datasets/fashion-mnist";
};

W3Options take_w3_options(int& argc, char** argv) {
  W3Options options;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (const char* workers = bench::take_value(i, argc, argv, "--workers")) {
      options.workers = std::atoi(workers);
    } else if (const char* repeats = bench::take_value(i, argc, argv, "--repeats")) {
      options.repeats = std::atoi(repeats);
    } else if (const char* root = bench::take_value(i, argc, argv, "--data")) {
      options.data_root = root;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  if (options.workers < 0 || options.repeats < 1) {
    std::fprintf(stderr, "usage: %s %s (workers >= 0, repeats >= 1)\n", argv[0], kUsage);
    std::exit(2);
  }
  return options;
}

// A gzip-compressed IDX file of unsigned bytes as a uint8 tensor of its dimensions; undefined if it cannot be read.
torch::Tensor read_idx_gz(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) return {};
  auto read_big_endian = [&](uint32_t& value) {
    unsigned char bytes[4];
    if (gzread(file, bytes, 4) != 4) return false;
    value = (uint32_t(bytes[0]) << 24) | (uint32_t(bytes[1]) << 16) | (uint32_t(bytes[2]) << 8) | bytes[3];
    return true;
  };
  uint32_t magic = 0;
  torch::Tensor result;
  if (read_big_endian(magic) && (magic >> 8) == 0x08) {  // 0x08: unsigned bytes; low byte: number of dims
    std::vector<int64_t> shape(magic & 0xff);
    bool ok = true;
    for (int64_t& size : shape) {
      uint32_t value = 0;
      ok = ok && read_big_endian(value);
      size = value;
    }
    if (ok) {
      result = torch::empty(shape, torch::kUInt8);
      const int64_t bytes = result.numel();
      if (gzread(file, result.data_ptr<uint8_t>(), static_cast<unsigned>(bytes)) != bytes) result = torch::Tensor();
    }
  }
  gzclose(file);
  return result;
}

// Images [N, 28, 28] uint8 and labels [N]; get() converts one image to float / 255, [1, 28, 28].
class FashionImages : public torch::data::datasets::Dataset<FashionImages> {
 public:
  FashionImages(torch::Tensor images, torch::Tensor labels, int64_t limit = -1)
      : images_(std::move(images)), labels_(labels.to(torch::kInt64)) {
    if (limit >= 0 && limit < images_.size(0)) {
      images_ = images_.narrow(0, 0, limit);
      labels_ = labels_.narrow(0, 0, limit);
    }
  }
  torch::data::Example<> get(size_t index) override {
    const int64_t i = static_cast<int64_t>(index);
    return {images_[i].to(torch::kFloat32).div(255.0).unsqueeze(0), labels_[i]};
  }
  torch::optional<size_t> size() const override { return static_cast<size_t>(images_.size(0)); }

 private:
  torch::Tensor images_, labels_;
};

struct MlpImpl : torch::nn::Module {
  MlpImpl() {
    fc1 = register_module("fc1", torch::nn::Linear(784, 512));
    fc2 = register_module("fc2", torch::nn::Linear(512, 256));
    fc3 = register_module("fc3", torch::nn::Linear(256, 10));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return fc3(torch::relu(fc2(torch::relu(fc1(x.flatten(1))))));
  }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
};
TORCH_MODULE(Mlp);

auto make_train_loader(const FashionImages& train, const W3Options& options) {
  torch::manual_seed(0);  // the shuffle's seed
  return torch::data::make_data_loader<torch::data::samplers::RandomSampler>(
      FashionImages(train).map(torch::data::transforms::Stack<>()),
      torch::data::DataLoaderOptions(128).workers(static_cast<size_t>(options.workers)));
}

}  // namespace

int main(int argc, char** argv) {
  const W3Options w3 = take_w3_options(argc, argv);
  const bench::Options options = bench::parse_options(argc, argv, kUsage);
  torch::set_num_threads(options.threads);
  const std::string& root = w3.data_root;
  torch::Tensor train_images = read_idx_gz(root + "/train-images-idx3-ubyte.gz");
  torch::Tensor train_labels = read_idx_gz(root + "/train-labels-idx1-ubyte.gz");
  torch::Tensor test_images = read_idx_gz(root + "/t10k-images-idx3-ubyte.gz");
  torch::Tensor test_labels = read_idx_gz(root + "/t10k-labels-idx1-ubyte.gz");
  if (!train_images.defined() || !train_labels.defined() || !test_images.defined() || !test_labels.defined()) {
    if (!options.quick) {
      std::fprintf(stderr, "w3: no Fashion-MNIST .gz files in '%s' (apt-get install dataset-fashion-mnist)\n",
                   root.c_str());
      return 1;
    }
    std::fprintf(stderr, "w3: no Fashion-MNIST in '%s': --quick runs on synthetic images\n", root.c_str());
    torch::manual_seed(1);
    train_images = (torch::rand({1024, 28, 28}) * 255).to(torch::kUInt8);
    train_labels = torch::randint(0, 10, {1024});
    test_images = (torch::rand({256, 28, 28}) * 255).to(torch::kUInt8);
    test_labels = torch::randint(0, 10, {256});
  }
  const FashionImages train(train_images, train_labels, options.quick ? 1024 : -1);
  const FashionImages test(test_images, test_labels, options.quick ? 1000 : -1);
  const int64_t train_size = static_cast<int64_t>(*train.size());
  const int64_t test_size = static_cast<int64_t>(*test.size());
  const int repeats = options.quick ? 1 : w3.repeats;

  try {
    std::vector<double> loader_seconds;
    for (int r = 0; r < repeats; ++r) {
      auto loader = make_train_loader(train, w3);
      const double start = bench::now_seconds();
      int64_t images = 0;
      for (auto& batch : *loader) images += batch.data.size(0);
      loader_seconds.push_back(bench::now_seconds() - start);
      if (images != train_size) {
        std::fprintf(stderr, "w3: the loader gave %lld images, expected %lld\n", static_cast<long long>(images),
                     static_cast<long long>(train_size));
        return 1;
      }
    }

    std::vector<double> epoch_seconds;
    double test_accuracy = 0;
    for (int r = 0; r < repeats; ++r) {
      torch::manual_seed(0);
      Mlp model;
      torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
      auto loader = make_train_loader(train, w3);
      double last_loss = 0;
      const double start = bench::now_seconds();
      for (auto& batch : *loader) {
        optimizer.zero_grad();
        torch::Tensor loss = torch::nn::functional::cross_entropy(model(batch.data), batch.target);
        loss.backward();
        optimizer.step();
        last_loss = loss.item<double>();
      }
      epoch_seconds.push_back(bench::now_seconds() - start);
      if (!std::isfinite(last_loss)) {
        std::fprintf(stderr, "w3: the loss is %g\n", last_loss);
        return 1;
      }
      if (r == repeats - 1) {
        torch::NoGradGuard no_grad;
        auto test_loader = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
            FashionImages(test).map(torch::data::transforms::Stack<>()),
            torch::data::DataLoaderOptions(1000).workers(static_cast<size_t>(w3.workers)));
        int64_t correct = 0;
        for (auto& batch : *test_loader) correct += model(batch.data).argmax(1).eq(batch.target).sum().item<int64_t>();
        test_accuracy = static_cast<double>(correct) / static_cast<double>(test_size);
      }
    }

    const std::string extra = "threads=" + std::to_string(options.threads) + " workers=" +
                              std::to_string(w3.workers) + " images=" + std::to_string(train_size) + " batch=128";
    bench::print_figure("W3", "epoch_seconds", "s", bench::summarize(epoch_seconds), extra);
    bench::print_figure("W3", "loader_seconds", "s", bench::summarize(loader_seconds), extra);
    bench::print_figure("W3", "test_accuracy", "fraction", bench::summarize({test_accuracy}),
                        extra + " test_images=" + std::to_string(test_size));
    bench::print_peak_memory("W3", extra);
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "w3: c10::Error: %s\n", e.what_without_backtrace());
    return 1;
  }
  return 0;
}
