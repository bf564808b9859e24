// bench/w3_mlp.cpp — W3 of ../shared/bench-workloads.md: one epoch of an MLP on Fashion-MNIST, fed by the
// DataLoader with 0 or more worker threads.
//
// Fashion-MNIST train set (60000), pixels / 255 (converted per item by ByteImages::get, in the loader),
// MLP 784-512-256-10 with ReLU, cross-entropy, SGD lr 0.1 momentum 0.9, batch 128, shuffled, one epoch.
// Each repeat trains a fresh model from the same seed with the same shuffle, so the repeats do the same work.
// Figures:
//   epoch_seconds     one training epoch, loader included (s/epoch)
//   loader_seconds    the same epoch's batches from the loader alone, no model: what there is to overlap
//   test_accuracy     accuracy on the 10000 test images after the last repeat's epoch (a sanity check)
//   vmhwm_mib         the run's peak resident memory as the program reads it (VmHWM; W8 uses bench.sh's)
//
// --autobatch: each training step (forward and backward) inside a reel::autobatch::Scope: plain minibatched code,
// where automatic batching finds nothing to batch; the figure shows what the scope costs there (issue 18: it must
// not be slower than outside). The lines then carry autobatch=1.
//
//   w3_mlp [--workers N] [--repeats R] [--data DIR] [--autobatch] [--threads N] [--quick]
//
// --workers N: the loader's workers (default 0); the batches, and so the trained model, are the same for
// every N. --data DIR: where the four IDX files are (default: Debian's dataset-fashion-mnist location).
// --quick: the first 1024 train images and one repeat (synthetic images when the files are missing): a smoke
// run for CTest, not a measurement.
#include <reel/reel.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "bench_common.h"

namespace {

namespace data = reel::data;
namespace nn = reel::nn;
namespace F = reel::nn::functional;

constexpr const char* kUsage = "[--workers N] [--repeats R] [--data DIR] [--autobatch] [--threads N] [--quick]";

struct W3Options {
  int workers = 0;
  int repeats = 3;
  bool autobatch = false;  // each step inside an autobatch::Scope
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
    } else if (std::strcmp(argv[i], "--autobatch") == 0) {
      options.autobatch = true;
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

// Images [N, 28, 28] uint8 and labels [N]; get() converts one image to float / 255, [1, 28, 28] (in the loader,
// as bench/libtorch/w3_mlp.cpp's FashionImages does). `limit` keeps the first items only.
class ByteImages : public data::datasets::Dataset<ByteImages> {
 public:
  ByteImages(reel::Tensor images, reel::Tensor labels, int64_t limit = -1)
      : images_(std::move(images)), labels_(labels.to(reel::kInt64)) {
    if (limit >= 0 && limit < images_.size(0)) {
      images_ = images_.narrow(0, 0, limit);
      labels_ = labels_.narrow(0, 0, limit);
    }
  }
  data::Example<> get(size_t index) override {
    const int64_t i = static_cast<int64_t>(index);
    return {images_.select(0, i).to(reel::kFloat32).div(255.0).unsqueeze(0), labels_.select(0, i)};
  }
  std::optional<size_t> size() const override { return static_cast<size_t>(images_.size(0)); }
  int64_t count() const { return images_.size(0); }

 private:
  reel::Tensor images_, labels_;
};

// The IDX files of one split (plain or .gz), as uint8 images and labels.
ByteImages read_split(const std::string& root, bool train, int64_t limit) {
  const std::string prefix = root + "/" + (train ? "train" : "t10k");
  auto path = [](const std::string& plain) { return std::filesystem::exists(plain) ? plain : plain + ".gz"; };
  return ByteImages(data::read_idx(path(prefix + "-images-idx3-ubyte")),
                    data::read_idx(path(prefix + "-labels-idx1-ubyte")), limit);
}

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

// A shuffled loader whose orders depend on seed 0 alone (reel's seeded RandomSampler), whatever the workers.
auto make_train_loader(ByteImages train, const W3Options& options) {
  const int64_t count = train.count();
  return data::make_data_loader(train.map(data::transforms::Stack<>()),
                                data::samplers::RandomSampler(count).seed(0),
                                data::DataLoaderOptions(128).workers(static_cast<size_t>(options.workers)));
}

double accuracy(Mlp& model, ByteImages test, int workers) {
  reel::NoGradGuard no_grad;
  const int64_t count = test.count();
  auto loader = data::make_data_loader<data::samplers::SequentialSampler>(
      test.map(data::transforms::Stack<>()), data::DataLoaderOptions(1000).workers(static_cast<size_t>(workers)));
  int64_t correct = 0;
  for (data::Example<>& batch : *loader) {
    correct += model(batch.data).argmax(1).eq(batch.target).sum().item<int64_t>();
  }
  return static_cast<double>(correct) / static_cast<double>(count);
}

}  // namespace

int main(int argc, char** argv) {
  const W3Options w3 = take_w3_options(argc, argv);
  const bench::Options options = bench::parse_options(argc, argv, kUsage);
  reel::set_num_threads(options.threads);

  std::optional<ByteImages> train, test;
  try {
    if (data::FashionMNIST::exists(w3.data_root)) {
      train.emplace(read_split(w3.data_root, true, options.quick ? 1024 : -1));
      test.emplace(read_split(w3.data_root, false, options.quick ? 1000 : -1));
    } else if (options.quick) {
      std::fprintf(stderr, "w3_mlp: no Fashion-MNIST in '%s': --quick runs on synthetic images\n",
                   w3.data_root.c_str());
      reel::manual_seed(1);
      train.emplace((reel::rand({1024, 28, 28}) * 255).to(reel::kUInt8), reel::randint(0, 10, {1024}));
      test.emplace((reel::rand({256, 28, 28}) * 255).to(reel::kUInt8), reel::randint(0, 10, {256}));
    } else {
      data::FashionMNIST probe(w3.data_root);  // throws the message that says how to get the files
    }
  } catch (const reel::Error& e) {
    std::fprintf(stderr, "w3_mlp: %s\n", e.what());
    return 1;
  }
  const int repeats = options.quick ? 1 : w3.repeats;

  // The loader alone: one epoch of batches with nothing to overlap with.
  std::vector<double> loader_seconds;
  for (int r = 0; r < repeats; ++r) {
    auto loader = make_train_loader(*train, w3);
    const double start = bench::now_seconds();
    int64_t images = 0;
    for (data::Example<>& batch : *loader) images += batch.data.size(0);
    loader_seconds.push_back(bench::now_seconds() - start);
    if (images != train->count()) {
      std::fprintf(stderr, "w3_mlp: the loader gave %lld images, expected %lld\n", static_cast<long long>(images),
                   static_cast<long long>(train->count()));
      return 1;
    }
  }

  std::vector<double> epoch_seconds;
  double test_accuracy = 0;
  for (int r = 0; r < repeats; ++r) {
    reel::manual_seed(0);
    Mlp model;
    reel::optim::SGD optimizer(model->parameters(), reel::optim::SGDOptions(0.1).momentum(0.9));
    auto loader = make_train_loader(*train, w3);
    double last_loss = 0;
    const double start = bench::now_seconds();
    for (data::Example<>& batch : *loader) {
      optimizer.zero_grad();
      reel::Tensor loss;
      {
        std::optional<reel::autobatch::Scope> scope;
        if (w3.autobatch) scope.emplace();
        loss = F::cross_entropy(model(batch.data), batch.target);
        loss.backward();
      }
      optimizer.step();
      last_loss = loss.item<double>();
    }
    epoch_seconds.push_back(bench::now_seconds() - start);
    if (!std::isfinite(last_loss)) {
      std::fprintf(stderr, "w3_mlp: the loss is %g\n", last_loss);
      return 1;
    }
    if (r == repeats - 1) test_accuracy = accuracy(model, *test, w3.workers);
  }

  const std::string extra = "threads=" + std::to_string(options.threads) + " workers=" + std::to_string(w3.workers) +
                            " images=" + std::to_string(train->count()) + " batch=128" +
                            (w3.autobatch ? " autobatch=1" : "");
  bench::print_figure("W3", "epoch_seconds", "s", bench::summarize(epoch_seconds), extra);
  bench::print_figure("W3", "loader_seconds", "s", bench::summarize(loader_seconds), extra);
  bench::Stats accuracy_stats = bench::summarize({test_accuracy});
  bench::print_figure("W3", "test_accuracy", "fraction", accuracy_stats,
                      extra + " test_images=" + std::to_string(test->count()));
  bench::print_peak_memory("W3", extra);  // W8
  return 0;
}
