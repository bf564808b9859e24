// reel/samples/fashion_mlp.cpp — a multilayer perceptron classifies Fashion-MNIST clothing images.
//
// Workload W3's model and optimiser: the 28x28 image flattened to 784 values in [0, 1], Linear 784->512, ReLU,
// Linear 512->256, ReLU, Linear 256->10, cross-entropy; SGD lr 0.1, momentum 0.9, batches of 128 drawn in a new
// shuffled order each epoch by reel::data::make_data_loader (its worker thread decodes the next batches while the
// model trains). W3 is one epoch (about 85% test accuracy); this sample trains 10 by default, which passes 88%.
//
//   ./fashion_mlp                              data: Debian's dataset-fashion-mnist (or --data DIR)
//   ./fashion_mlp --steps 30 --no-plot         smoke test
//
// Outputs in --out: fashion_mlp_metrics.csv (epoch, train_loss, test_loss, train_acc, test_acc),
// fashion_mlp.safetensors (PyTorch's names: fc1.weight, ...), fashion_mlp.png.
#include <reel/reel.h>

#include "common/cli.h"
#include "common/fashion.h"

namespace nn = reel::nn;

namespace {

struct FashionMlpImpl : nn::Module {
  FashionMlpImpl() {
    fc1 = register_module("fc1", nn::Linear(784, 512));
    fc2 = register_module("fc2", nn::Linear(512, 256));
    fc3 = register_module("fc3", nn::Linear(256, 10));
  }
  // x [N, 1, 28, 28] -> scores [N, 10]
  reel::Tensor forward(const reel::Tensor& x) {
    const reel::Tensor flat = x.reshape({x.size(0), 784});
    return fc3(reel::relu(fc2(reel::relu(fc1(flat)))));
  }
  nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
};
REEL_MODULE(FashionMlp);

int run(int argc, char** argv) {
  reel_samples::CommonOptions common;
  common.epochs = 10;
  reel_samples::FashionSettings settings{.name = "fashion_mlp",
                                         .title = "fashion_mlp: MLP 784-512-256-10 on Fashion-MNIST",
                                         .batch = 128,
                                         .lr = 0.1,
                                         .momentum = 0.9,
                                         .workers = 1,
                                         .target_accuracy = 0.88};
  reel_samples::ArgParser args("fashion_mlp", "an MLP (784-512-256-10, ReLU) learns to classify Fashion-MNIST.");
  args.add_common(common);
  reel_samples::add_fashion_options(args, settings);
  args.epilogue("data: Debian's package dataset-fashion-mnist (apt-get install dataset-fashion-mnist) puts the\n"
                "four IDX files in /usr/share/datasets/fashion-mnist, the default; --data DIR reads them\n"
                "from DIR instead (https://github.com/zalandoresearch/fashion-mnist).");
  if (!args.parse(argc, argv)) return 0;
  const reel::Device device = reel_samples::setup(common);
  reel_samples::fashion_data_dir(common);  // fail early, before building the model, when the data are missing

  FashionMlp model;
  model->to(device);
  return reel_samples::train_fashion(common, settings, *model, [&](const reel::Tensor& x) { return model(x); });
}

}  // namespace

int main(int argc, char** argv) {
  return reel_samples::run_main("fashion_mlp", [&] { return run(argc, argv); });
}
