// bench/libtorch/w4_cnn.cpp — W4 of ../shared/bench-workloads.md in LibTorch, the twin of bench/w4_cnn.cpp (CPU).
//
//   conv5x5 1->32, ReLU, maxpool2, conv5x5 32->64, ReLU, maxpool2, flatten (1024), linear 1024->128, ReLU,
//   linear 128->10; cross-entropy; SGD lr 0.05 momentum 0.9; batch 64.
// Prints the median (min, max) ms per training step over 200 steps after 10 warm-ups, then W8's peak memory:
//   bench=W4 figure=train_step_ms ... device=cpu threads=2
//   bench=W4 figure=vmhwm_mib ...
// As on reel's side the batches are seeded random images and labels of Fashion-MNIST's shape (16 distinct
// batches made before the clock starts), and each step ends with loss.item().
//
//   libtorch_w4_cnn [--quick] [--threads N]
#include <torch/torch.h>

#include <string>
#include <vector>

#include "bench_common.h"

namespace {

struct CnnImpl : torch::nn::Module {
  CnnImpl() {
    conv1 = register_module("conv1", torch::nn::Conv2d(1, 32, 5));
    conv2 = register_module("conv2", torch::nn::Conv2d(32, 64, 5));
    fc1 = register_module("fc1", torch::nn::Linear(1024, 128));
    fc2 = register_module("fc2", torch::nn::Linear(128, 10));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor h = torch::max_pool2d(torch::relu(conv1(x)), 2);
    h = torch::max_pool2d(torch::relu(conv2(h)), 2);
    h = h.flatten(1);
    return fc2(torch::relu(fc1(h)));
  }
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(Cnn);

}  // namespace

int main(int argc, char** argv) {
  const bench::Options options = bench::parse_options(argc, argv, "[--quick] [--threads N]");
  if (options.device != "cpu") {
    std::fprintf(stderr, "w4: the LibTorch twin runs on the CPU only\n");
    return 2;
  }
  const int warmups = options.quick ? 1 : 10;
  const int steps = options.quick ? 2 : 200;
  const int64_t batch = 64;
  try {
    torch::set_num_threads(options.threads);
    torch::manual_seed(4);
    Cnn model;
    torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));

    std::vector<torch::Tensor> images, labels;
    const int distinct = std::min(warmups + steps, 16);
    for (int i = 0; i < distinct; ++i) {
      images.push_back(torch::rand({batch, 1, 28, 28}));
      labels.push_back(torch::randint(10, {batch}));
    }

    std::vector<double> step_ms;
    double last_loss = 0;
    for (int step = 0; step < warmups + steps; ++step) {
      const int which = step % distinct;
      const double start = bench::now_seconds();
      optimizer.zero_grad();
      torch::Tensor loss = torch::nn::functional::cross_entropy(model(images[which]), labels[which]);
      loss.backward();
      optimizer.step();
      last_loss = loss.item<double>();
      if (step >= warmups) step_ms.push_back((bench::now_seconds() - start) * 1e3);
    }
    std::string extra = "device=cpu threads=" + std::to_string(options.threads) + " batch=64";
    if (options.quick) extra += " quick=1";
    bench::print_figure("W4", "train_step_ms", "ms", bench::summarize(step_ms),
                        extra + " last_loss=" + std::to_string(last_loss));
    bench::print_peak_memory("W4", "device=cpu threads=" + std::to_string(options.threads));
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "w4: c10::Error: %s\n", e.what_without_backtrace());
    return 1;
  }
  return 0;
}
