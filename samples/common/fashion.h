// reel/samples/common/fashion.h — the Fashion-MNIST training loop that fashion_mlp and fashion_cnn share.
//
// Loads the training and test sets (reel::data::FashionMNIST, images as float32 [1, 28, 28] in [0, 1]),
// batches them with a reel::data loader (random order from --seed) whose worker threads decode the next batches while the
// model trains, runs SGD with momentum and cross-entropy for the given epochs (the learning rate annealed
// along half a cosine to 0 by the last epoch, which is worth 1-2 points of test accuracy), measures test accuracy after
// each epoch, writes <name>_metrics.csv (epoch, train_loss, test_loss, train_acc, test_acc), the model and
// the plot. The model is any nn::Module whose forward maps [N, 1, 28, 28] to [N, 10] class scores.
//
//   reel_samples::FashionSettings settings{.name = "fashion_mlp", .title = "...", .batch = 128, .lr = 0.1};
//   return reel_samples::train_fashion(common, settings, *model, [&](const reel::Tensor& x) { return model(x); });
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <reel/reel.h>

#include "cli.h"

namespace reel_samples {

struct FashionSettings {
  std::string name;   // output file prefix and program name
  std::string title;  // plot title
  int64_t batch = 128;
  double lr = 0.1;
  double momentum = 0.9;
  int64_t workers = 1;          // DataLoader worker threads
  bool cosine = true;           // learning rate: half a cosine from lr down to 0 over the epochs
  double target_accuracy = 0;   // printed beside the final figure
};

// Adds --batch, --lr, --momentum, --workers and --cosine to `args`, bound to `settings`.
void add_fashion_options(ArgParser& args, FashionSettings& settings);

// Where the data are looked for: --data, else Debian's /usr/share/datasets/fashion-mnist; throws a reel::Error
// that says to `apt-get install dataset-fashion-mnist` (or pass --data) when the files are missing.
std::string fashion_data_dir(const CommonOptions& common);

// Trains and evaluates as described above; returns the exit status (smoke runs: 1 unless the loss fell).
int train_fashion(const CommonOptions& common, const FashionSettings& settings, reel::nn::Module& model,
                  const std::function<reel::Tensor(const reel::Tensor&)>& forward);

}  // namespace reel_samples
