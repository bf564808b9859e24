// reel/samples/fashion_cnn.cpp — a small convolutional network classifies Fashion-MNIST clothing images.
//
// Workload W4's model and optimiser: conv 5x5 1->32, ReLU, max-pool 2, conv 5x5 32->64, ReLU, max-pool 2,
// flatten (64 x 4 x 4 = 1024), Linear 1024->128, ReLU, Linear 128->10; cross-entropy; SGD lr 0.05, momentum
// 0.9, batches of 64 shuffled anew each epoch by reel::data::make_data_loader. Convolutions run as im2col + GEMM on
// the CPU (cuDNN with --device cuda in a CUDA build). Eight epochs pass 90.5% test accuracy.
//
//   ./fashion_cnn                              data: Debian's dataset-fashion-mnist (or --data DIR)
//   ./fashion_cnn --steps 20 --no-plot         smoke test
//
// Outputs in --out: fashion_cnn_metrics.csv (epoch, train_loss, test_loss, train_acc, test_acc),
// fashion_cnn.safetensors (PyTorch's names: conv1.weight, ..., fc2.bias), fashion_cnn.png.
#include <reel/reel.h>

#include "common/cli.h"
#include "common/fashion.h"

namespace nn = reel::nn;

namespace {

struct FashionCnnImpl : nn::Module {
  FashionCnnImpl() {
    conv1 = register_module("conv1", nn::Conv2d(1, 32, 5));
    conv2 = register_module("conv2", nn::Conv2d(32, 64, 5));
    fc1 = register_module("fc1", nn::Linear(1024, 128));
    fc2 = register_module("fc2", nn::Linear(128, 10));
  }
  // x [N, 1, 28, 28] -> [N, 32, 24, 24] -> [N, 32, 12, 12] -> [N, 64, 8, 8] -> [N, 64, 4, 4] -> [N, 10]
  reel::Tensor forward(const reel::Tensor& x) {
    reel::Tensor h = reel::max_pool2d(reel::relu(conv1(x)), {2, 2});
    h = reel::max_pool2d(reel::relu(conv2(h)), {2, 2});
    return fc2(reel::relu(fc1(h.reshape({h.size(0), 1024}))));
  }
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::Linear fc1{nullptr}, fc2{nullptr};
};
REEL_MODULE(FashionCnn);

int run(int argc, char** argv) {
  reel_samples::CommonOptions common;
  common.epochs = 8;
  reel_samples::FashionSettings settings{.name = "fashion_cnn",
                                         .title = "fashion_cnn: 2 conv + 2 linear on Fashion-MNIST",
                                         .batch = 64,
                                         .lr = 0.05,
                                         .momentum = 0.9,
                                         .workers = 1,
                                         .target_accuracy = 0.905};
  reel_samples::ArgParser args("fashion_cnn",
                               "a CNN (two 5x5 conv + max-pool stages, two linear layers) learns to classify "
                               "Fashion-MNIST.");
  args.add_common(common);
  reel_samples::add_fashion_options(args, settings);
  args.epilogue("data: Debian's package dataset-fashion-mnist (apt-get install dataset-fashion-mnist) puts the\n"
                "four IDX files in /usr/share/datasets/fashion-mnist, the default; --data DIR reads them\n"
                "from DIR instead (https://github.com/zalandoresearch/fashion-mnist).");
  if (!args.parse(argc, argv)) return 0;
  const reel::Device device = reel_samples::setup(common);
  reel_samples::fashion_data_dir(common);

  FashionCnn model;
  model->to(device);
  return reel_samples::train_fashion(common, settings, *model, [&](const reel::Tensor& x) { return model(x); });
}

}  // namespace

int main(int argc, char** argv) {
  return reel_samples::run_main("fashion_cnn", [&] { return run(argc, argv); });
}
