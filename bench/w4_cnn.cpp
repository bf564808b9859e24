// bench/w4_cnn.cpp — W4 of ../shared/bench-workloads.md: one training step of the Fashion-MNIST CNN.
//
//   conv5x5 1->32, ReLU, maxpool2, conv5x5 32->64, ReLU, maxpool2, flatten (1024), linear 1024->128, ReLU,
//   linear 128->10; cross-entropy; SGD lr 0.05 momentum 0.9; batch 64.
// Prints the median (min, max) ms per training step over 200 steps after 10 warm-ups:
//   bench=W4 figure=train_step_ms ... device=cpu threads=2
//   bench=W4 figure=train_step_ms ... device=cuda conv=cudnn
//   bench=W4 figure=vmhwm_mib ... (the run's peak resident memory as the program reads it; W8 uses bench.sh's)
// The step's time does not depend on pixel values, so the batches are seeded random images and labels of
// Fashion-MNIST's shape (a fresh batch each step, made before the clock starts). On CUDA every step ends with
// loss.item(), which waits for the GPU, exactly as a training loop that logs its loss does; the PyTorch side
// (bench/pytorch/w2_w4.py) does the same. W7 compares device=cpu with device=cuda and conv=cudnn with naive.
//
//   w4_cnn [--quick] [--threads N] [--device cpu|cuda] [--conv cudnn|naive]
#include <reel/reel.h>

#include <string>
#include <vector>

#include "bench_common.h"

namespace {

namespace nn = reel::nn;
namespace F = reel::nn::functional;

struct CnnImpl : nn::Module {
  CnnImpl() {
    conv1 = register_module("conv1", nn::Conv2d(1, 32, 5));
    conv2 = register_module("conv2", nn::Conv2d(32, 64, 5));
    fc1 = register_module("fc1", nn::Linear(1024, 128));
    fc2 = register_module("fc2", nn::Linear(128, 10));
  }
  reel::Tensor forward(const reel::Tensor& x) {
    reel::Tensor h = F::max_pool2d(reel::relu(conv1(x)), 2);
    h = F::max_pool2d(reel::relu(conv2(h)), 2);
    h = h.flatten(1);
    return fc2(reel::relu(fc1(h)));
  }
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::Linear fc1{nullptr}, fc2{nullptr};
};
REEL_MODULE(Cnn);

void select_conv_backend(const bench::Options& options) {
  if (options.conv.empty()) return;
  if (options.device != "cuda") {
    std::fprintf(stderr, "w4: --conv applies to --device cuda only\n");
    std::exit(2);
  }
#ifdef REEL_WITH_CUDA
  if (options.conv == "cudnn") {
    reel::cuda::set_conv_backend(reel::cuda::ConvBackend::cudnn);
  } else if (options.conv == "naive") {
    reel::cuda::set_conv_backend(reel::cuda::ConvBackend::naive);
  } else {
    std::fprintf(stderr, "w4: --conv must be cudnn or naive, not '%s'\n", options.conv.c_str());
    std::exit(2);
  }
#else
  std::fprintf(stderr, "w4: this build of reel has no CUDA backend\n");
  std::exit(2);
#endif
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Options options =
      bench::parse_options(argc, argv, "[--quick] [--threads N] [--device cpu|cuda] [--conv cudnn|naive]");
  const int warmups = options.quick ? 1 : 10;
  const int steps = options.quick ? 2 : 200;
  const int64_t batch = 64;
  try {
    reel::set_num_threads(options.threads);
    const reel::Device device(options.device);
    select_conv_backend(options);
    reel::manual_seed(4);
    Cnn model;
    model->to(device);
    reel::optim::SGD optimizer(model->parameters(), reel::optim::SGDOptions(0.05).momentum(0.9));

    // All batches made up front (on the device), so the clock sees only training steps.
    std::vector<reel::Tensor> images, labels;
    const int distinct = std::min(warmups + steps, 16);
    for (int i = 0; i < distinct; ++i) {
      images.push_back(reel::rand({batch, 1, 28, 28}).to(device));
      labels.push_back(reel::randint(10, {batch}).to(device));
    }

    std::vector<double> step_ms;
    double last_loss = 0;
    for (int step = 0; step < warmups + steps; ++step) {
      const int which = step % distinct;
      const double start = bench::now_seconds();
      optimizer.zero_grad();
      reel::Tensor loss = F::cross_entropy(model(images[which]), labels[which]);
      loss.backward();
      optimizer.step();
      last_loss = loss.item<double>();
      if (step >= warmups) step_ms.push_back((bench::now_seconds() - start) * 1e3);
    }
    std::string extra = "device=" + options.device + " threads=" + std::to_string(options.threads) + " batch=64";
    if (!options.conv.empty()) extra += " conv=" + options.conv;
    if (options.quick) extra += " quick=1";
    extra += " last_loss=" + std::to_string(last_loss);
    bench::print_figure("W4", "train_step_ms", "ms", bench::summarize(step_ms), extra);
    bench::print_peak_memory("W4", "device=" + options.device + " threads=" + std::to_string(options.threads));  // W8
  } catch (const reel::Error& e) {
    std::fprintf(stderr, "w4: reel::Error: %s\n", e.what());
    return 1;
  }
  return 0;
}
