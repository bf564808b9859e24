// reel/samples/common/fashion.cpp — data loading, the SGD epoch loop and test evaluation for Fashion-MNIST.
#include "fashion.h"

#include <reel/data/dataloader.h>
#include <reel/data/mnist.h>

#include <cmath>
#include <cstdio>
#include <optional>

#include "metrics.h"
#include "progress.h"

namespace reel_samples {

namespace F = reel::nn::functional;

namespace {

struct Evaluation {
  double loss = 0;
  double accuracy = 0;
};

// Mean loss and accuracy over a data set, no graph, in batches of 1000.
Evaluation evaluate(reel::data::FashionMNIST data, reel::nn::Module& model,
                    const std::function<reel::Tensor(const reel::Tensor&)>& forward, reel::Device device,
                    int64_t workers) {
  reel::NoGradGuard no_grad;
  model.eval();
  // The dataset is copied into the loader: its tensors are shared, not duplicated.
  auto loader = reel::data::make_data_loader<reel::data::samplers::SequentialSampler>(
      data.map(reel::data::transforms::Stack<>()),
      reel::data::DataLoaderOptions(1000).workers(static_cast<size_t>(workers)).device(device));
  double loss_sum = 0;
  int64_t correct = 0;
  for (reel::data::Example<>& batch : *loader) {
    const reel::Tensor scores = forward(batch.data);
    loss_sum += F::cross_entropy(scores, batch.target, {}, -100, reel::nn::Reduction::Sum).item<double>();
    correct += (scores.argmax(1) == batch.target).sum().item<int64_t>();
  }
  model.train();
  const double count = static_cast<double>(data.size().value());
  return {loss_sum / count, static_cast<double>(correct) / count};
}

}  // namespace

void add_fashion_options(ArgParser& args, FashionSettings& settings) {
  args.option("--batch", settings.batch, "images per SGD step");
  args.option("--lr", settings.lr, "SGD learning rate");
  args.option("--momentum", settings.momentum, "SGD momentum");
  args.option("--workers", settings.workers, "DataLoader worker threads preparing batches (0 = none)");
  args.flag("--cosine", settings.cosine, "anneal the learning rate along half a cosine to 0 over the epochs");
}

std::string fashion_data_dir(const CommonOptions& common) {
  const std::string root = common.data.empty() ? reel::data::FashionMNIST::default_root() : common.data;
  if (!reel::data::FashionMNIST::exists(root))
    throw reel::Error("Fashion-MNIST not found in " + root +
                      "\n  install Debian's package: sudo apt-get install dataset-fashion-mnist"
                      " (it puts the four *-idx?-ubyte.gz files in /usr/share/datasets/fashion-mnist),"
                      "\n  or pass --data DIR with train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,"
                      " t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz"
                      " (https://github.com/zalandoresearch/fashion-mnist)");
  return root;
}

int train_fashion(const CommonOptions& common, const FashionSettings& settings, reel::nn::Module& model,
                  const std::function<reel::Tensor(const reel::Tensor&)>& forward) {
  if (settings.batch < 1 || settings.workers < 0 || !(settings.lr > 0))
    throw reel::Error(settings.name + ": --batch must be >= 1, --workers >= 0 and --lr > 0");
  const reel::Device device(common.device);
  const std::string root = fashion_data_dir(common);
  reel::data::FashionMNIST train(root, reel::data::FashionMNIST::Mode::kTrain);
  reel::data::FashionMNIST test(root, reel::data::FashionMNIST::Mode::kTest);
  const int64_t train_size = static_cast<int64_t>(train.size().value());
  std::printf("%s: %lld training and %lld test images from %s\n", settings.name.c_str(),
              static_cast<long long>(train_size), static_cast<long long>(test.size().value()), root.c_str());

  // A new random order each epoch, drawn from (--seed, epoch) alone.
  auto loader = reel::data::make_data_loader(
      train.map(reel::data::transforms::Stack<>()),
      reel::data::samplers::RandomSampler(train_size).seed(static_cast<uint64_t>(common.seed)),
      reel::data::DataLoaderOptions(static_cast<size_t>(settings.batch))
          .workers(static_cast<size_t>(settings.workers))
          .device(device));
  const int64_t batches_per_epoch = (train_size + settings.batch - 1) / settings.batch;
  reel::optim::SGD optimizer(model.parameters(), reel::optim::SGDOptions(settings.lr).momentum(settings.momentum));
  std::optional<reel::optim::CosineAnnealingLR> schedule;
  if (settings.cosine) schedule.emplace(optimizer, common.epochs);
  MetricsWriter metrics(output_path(common, settings.name + "_metrics.csv"),
                        {"epoch", "train_loss", "test_loss", "train_acc", "test_acc"});
  LossTrend trend;
  double test_accuracy = NAN;
  int64_t step = 0;
  for (int64_t epoch = 1; epoch <= common.epochs; ++epoch) {
    const int64_t batches = common.smoke() ? std::min(common.steps, batches_per_epoch) : batches_per_epoch;
    Progress bar("epoch " + std::to_string(epoch) + "/" + std::to_string(common.epochs), batches, "batch");
    EpochLoss epoch_loss(trend);
    int64_t correct = 0, seen = 0;
    for (reel::data::Example<>& batch : *loader) {
      const reel::Tensor scores = forward(batch.data);
      reel::Tensor loss = F::cross_entropy(scores, batch.target);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      epoch_loss.add(loss.item<double>());
      {
        reel::NoGradGuard no_grad;
        correct += (scores.argmax(1) == batch.target).sum().item<int64_t>();
      }
      seen += batch.target.size(0);
      char status[64];
      std::snprintf(status, sizeof status, "loss %.4f  acc %.2f%%", epoch_loss.mean(),
                    100.0 * static_cast<double>(correct) / static_cast<double>(seen));
      bar.step(1, status);
      if (common.smoke() && ++step >= common.steps) break;  // ends the epoch; the next begin() drops the batches in flight
    }
    const double train_loss = epoch_loss.mean();
    const double train_accuracy = static_cast<double>(correct) / static_cast<double>(std::max<int64_t>(seen, 1));
    char status[64];
    std::snprintf(status, sizeof status, "loss %.4f  acc %.2f%%", train_loss, 100 * train_accuracy);
    bar.finish(status);
    if (common.smoke()) {
      metrics.row({static_cast<double>(epoch), train_loss, NAN, train_accuracy, NAN});
      break;
    }
    const Evaluation result = evaluate(test, model, forward, device, settings.workers);
    test_accuracy = result.accuracy;
    std::printf("  test loss %.4f  test accuracy %.2f%%\n", result.loss, 100 * result.accuracy);
    metrics.row({static_cast<double>(epoch), train_loss, result.loss, train_accuracy, result.accuracy});
    if (schedule) schedule->step();
  }
  if (!common.smoke())
    std::printf("%s: final test accuracy %.2f%% (target >= %.1f%%)\n", settings.name.c_str(), 100 * test_accuracy,
                100 * settings.target_accuracy);
  save_outputs(common, settings.name, settings.title, model.state_dict());
  return smoke_exit_status(common, trend);
}

}  // namespace reel_samples
