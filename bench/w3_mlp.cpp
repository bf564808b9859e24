// bench/w3_mlp.cpp — W3 of ../shared/bench-workloads.md: one epoch of an MLP on Fashion-MNIST, fed by the
// DataLoader with 0 or more worker threads.
//
// Fashion-MNIST train set (60000), pixels / 255 (converted per item by FashionMNIST::get, in the loader),
// MLP 784-512-256-10 with ReLU, cross-entropy, SGD lr 0.1 momentum 0.9, batch 128, shuffled, one epoch.
// Each repeat trains a fresh model from the same seed with the same shuffle, so the repeats do the same work.
// Figures:
//   epoch_seconds     one training epoch, loader included (s/epoch)
//   loader_seconds    the same epoch's batches from the loader alone, no model: what there is to overlap
//   test_accuracy     accuracy on the 10000 test images after the last repeat's epoch (a sanity check)
//   vmhwm_mib         the run's peak resident memory as the program reads it (VmHWM; W8 uses bench.sh's)
//
//   w3_mlp [--workers N] [--repeats R] [--data DIR] [--threads N] [--quick]
//
// --workers N: DataLoader num_workers (default 0); the batches, and so the trained model, are the same for
// every N. --data DIR: where the four IDX files are (default: Debian's dataset-fashion-mnist location).
// --quick: the first 1024 train images and one repeat (synthetic images when the files are missing): a smoke
// run for CTest, not a measurement.
#include <reel/reel.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench_common.h"

namespace {

namespace data = reel::data;
namespace nn = reel::nn;
namespace F = reel::nn::functional;

constexpr const char* kUsage = "[--workers N] [--repeats R] [--data DIR] [--threads N] [--quick]";

struct W3Options {
  int workers = 0;
  int repeats = 3;
  std::string data_root = data::FashionMNIST::default_root();
};

// Takes W3's own flags out of argv (the rest goes to bench::parse_options).
W3Options take_w3_options(int& argc, char** argv) {
  W3Options options;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (std::strcmp(argv[i], "--workers") == 0 && has_value) {
      options.workers = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--repeats") == 0 && has_value) {
      options.repeats = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--data") == 0 && has_value) {
      options.data_root = argv[++i];
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

// The first `count` items of another dataset (PyTorch's Subset of a range).
class FirstItems : public data::Dataset<data::Example> {
 public:
  FirstItems(std::shared_ptr<const data::Dataset<data::Example>> source, int64_t count)
      : source_(std::move(source)), count_(std::min(count, source_->size())) {}
  int64_t size() const override { return count_; }
  data::Example get(int64_t index) const override { return source_->get(index); }

 private:
  std::shared_ptr<const data::Dataset<data::Example>> source_;
  int64_t count_;
};

// uint8 images made up on the spot, converted per item like FashionMNIST::get (for --quick without the files).
class SyntheticImages : public data::Dataset<data::Example> {
 public:
  explicit SyntheticImages(int64_t count)
      : images_((reel::rand({count, 28, 28}) * 255).to(reel::kUInt8)),
        targets_(reel::randint(0, 10, {count})) {}
  int64_t size() const override { return images_.size(0); }
  data::Example get(int64_t index) const override {
    return {images_.select(0, index).to(reel::kFloat32).div(255.0).unsqueeze(0), targets_.select(0, index)};
  }

 private:
  reel::Tensor images_, targets_;
};

struct MlpImpl : nn::Module {
  MlpImpl() {
    fc1 = register_module("fc1", nn::Linear(784, 512));
    fc2 = register_module("fc2", nn::Linear(512, 256));
    fc3 = register_module("fc3", nn::Linear(256, 10));
  }
  reel::Tensor forward(const reel::Tensor& x) {
    return fc3(reel::relu(fc2(reel::relu(fc1(x.flatten(1))))));
  }
  nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
};
REEL_MODULE(Mlp);

data::DataLoaderOptions train_options(const W3Options& options) {
  return data::DataLoaderOptions(128).shuffle(true).seed(0).num_workers(options.workers);
}

double accuracy(Mlp& model, const std::shared_ptr<const data::Dataset<data::Example>>& test, int workers) {
  reel::NoGradGuard no_grad;
  auto loader = data::make_data_loader(test, data::DataLoaderOptions(1000).num_workers(workers));
  int64_t correct = 0;
  for (data::Example& batch : loader) {
    correct += model(batch.data).argmax(1).eq(batch.target).sum().item<int64_t>();
  }
  return static_cast<double>(correct) / static_cast<double>(test->size());
}

}  // namespace

int main(int argc, char** argv) {
  const W3Options w3 = take_w3_options(argc, argv);
  const bench::Options options = bench::parse_options(argc, argv, kUsage);
  reel::set_num_threads(options.threads);

  std::shared_ptr<const data::Dataset<data::Example>> train, test;
  try {
    if (data::FashionMNIST::exists(w3.data_root)) {
      train = std::make_shared<data::FashionMNIST>(w3.data_root, data::Split::train);
      test = std::make_shared<data::FashionMNIST>(w3.data_root, data::Split::test);
    } else if (options.quick) {
      std::fprintf(stderr, "w3_mlp: no Fashion-MNIST in '%s': --quick runs on synthetic images\n",
                   w3.data_root.c_str());
      reel::manual_seed(1);
      train = std::make_shared<SyntheticImages>(1024);
      test = std::make_shared<SyntheticImages>(256);
    } else {
      data::FashionMNIST probe(w3.data_root);  // throws the message that says how to get the files
    }
  } catch (const reel::Error& e) {
    std::fprintf(stderr, "w3_mlp: %s\n", e.what());
    return 1;
  }
  if (options.quick) {
    train = std::make_shared<FirstItems>(train, 1024);
    test = std::make_shared<FirstItems>(test, 1000);
  }
  const int repeats = options.quick ? 1 : w3.repeats;

  // The loader alone: one epoch of batches with nothing to overlap with.
  std::vector<double> loader_seconds;
  for (int r = 0; r < repeats; ++r) {
    auto loader = data::make_data_loader(train, train_options(w3));
    const double start = bench::now_seconds();
    int64_t images = 0;
    for (data::Example& batch : loader) images += batch.data.size(0);
    loader_seconds.push_back(bench::now_seconds() - start);
    if (images != train->size()) {
      std::fprintf(stderr, "w3_mlp: the loader gave %lld images, expected %lld\n", static_cast<long long>(images),
                   static_cast<long long>(train->size()));
      return 1;
    }
  }

  std::vector<double> epoch_seconds;
  double test_accuracy = 0;
  for (int r = 0; r < repeats; ++r) {
    reel::manual_seed(0);
    Mlp model;
    reel::optim::SGD optimizer(model->parameters(), reel::optim::SGDOptions(0.1).momentum(0.9));
    auto loader = data::make_data_loader(train, train_options(w3));
    double last_loss = 0;
    const double start = bench::now_seconds();
    for (data::Example& batch : loader) {
      optimizer.zero_grad();
      reel::Tensor loss = F::cross_entropy(model(batch.data), batch.target);
      loss.backward();
      optimizer.step();
      last_loss = loss.item<double>();
    }
    epoch_seconds.push_back(bench::now_seconds() - start);
    if (!std::isfinite(last_loss)) {
      std::fprintf(stderr, "w3_mlp: the loss is %g\n", last_loss);
      return 1;
    }
    if (r == repeats - 1) test_accuracy = accuracy(model, test, w3.workers);
  }

  const std::string extra = "threads=" + std::to_string(options.threads) + " workers=" + std::to_string(w3.workers) +
                            " images=" + std::to_string(train->size()) + " batch=128";
  bench::print_figure("W3", "epoch_seconds", "s", bench::summarize(epoch_seconds), extra);
  bench::print_figure("W3", "loader_seconds", "s", bench::summarize(loader_seconds), extra);
  bench::Stats accuracy_stats = bench::summarize({test_accuracy});
  bench::print_figure("W3", "test_accuracy", "fraction", accuracy_stats,
                      extra + " test_images=" + std::to_string(test->size()));
  bench::print_peak_memory("W3", extra);  // W8
  return 0;
}
