// bench/w7_lstm.cpp — the recurrent part of W7 (../shared/bench-workloads.md: CPU vs GPU, plain CUDA vs cuDNN): one
// training step of a two-layer nn::LSTM, the cuDNN-fused multi-step RNN on CUDA against reel's own implementation
// on the GPU (the generic fused_rnn written with reel's CUDA ops: --rnn naive, the convolution backend switch that
// batch norm and the RNN follow) and against the CPU (the module's step-by-step loop).
//
// Shape: W5b's LSTM widened to two layers — input 64, hidden 256, 2 layers, sequence 64, batch 32, float32; loss
// sum(output * fixed random weights) + sum(h_n); Adam lr 1e-3. Random inputs made up front (no data set needed, so it
// runs on the bare GPU machine). Prints the median (min, max) ms per training step:
//   bench=W7 figure=lstm_train_step_ms value=1.9 unit=ms ... device=cuda rnn=cudnn threads=2
//
//   w7_lstm [--quick] [--threads N] [--device cpu|cuda] [--rnn cudnn|naive]
// --quick: tiny sizes, 2 steps: a smoke run for CTest, not a measurement. bench/pytorch/w2_w4.py runs the same step
// in PyTorch (torch.nn.LSTM, cuDNN).
#include <reel/reel.h>

#include <cstring>
#include <string>
#include <vector>

#include "bench_common.h"

namespace {

namespace nn = reel::nn;

std::string take_rnn_backend(int& argc, char** argv) {
  std::string backend;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (const char* value = bench::take_value(i, argc, argv, "--rnn")) backend = value;
    else argv[kept++] = argv[i];
  }
  argc = kept;
  return backend;
}

void select_rnn_backend(const std::string& backend, const std::string& device) {
  if (backend.empty()) return;
  if (device != "cuda" || (backend != "cudnn" && backend != "naive")) {
    std::fprintf(stderr, "w7_lstm: --rnn cudnn|naive applies to --device cuda only\n");
    std::exit(2);
  }
  reel::cuda::set_conv_backend(backend == "cudnn" ? reel::cuda::ConvBackend::cudnn : reel::cuda::ConvBackend::naive);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string backend = take_rnn_backend(argc, argv);
  const bench::Options options =
      bench::parse_options(argc, argv, "[--quick] [--threads N] [--device cpu|cuda] [--rnn cudnn|naive]");
  const int warmups = options.quick ? 1 : 5;
  const int steps = options.quick ? 2 : (options.device == "cuda" ? 50 : 10);
  const int64_t input = options.quick ? 8 : 64, hidden = options.quick ? 16 : 256, layers = 2;
  const int64_t sequence = options.quick ? 5 : 64, batch = options.quick ? 3 : 32;
  try {
    reel::set_num_threads(options.threads);
    const reel::Device device(options.device);
    select_rnn_backend(backend, options.device);
    reel::manual_seed(7);
    nn::LSTM lstm(nn::LSTMOptions(input, hidden).num_layers(layers));
    lstm->to(device);
    reel::optim::Adam optimizer(lstm->parameters(), reel::optim::AdamOptions(1e-3));
    const reel::Tensor x = reel::randn({sequence, batch, input}).to(device);
    const reel::Tensor weights = reel::randn({sequence, batch, hidden}).to(device);
    std::vector<double> step_ms;
    double last_loss = 0;
    for (int step = 0; step < warmups + steps; ++step) {
      const double start = bench::now_seconds();
      optimizer.zero_grad();
      auto [output, state] = lstm(x);
      reel::Tensor loss = (output * weights).sum() + std::get<0>(state).sum();
      loss.backward();
      optimizer.step();
      last_loss = loss.item<double>();  // waits for the device
      if (step >= warmups) step_ms.push_back((bench::now_seconds() - start) * 1e3);
    }
    std::string extra = "device=" + options.device + " threads=" + std::to_string(options.threads);
    if (!backend.empty()) extra += " rnn=" + backend;
    if (options.quick) extra += " quick=1";
    extra += " last_loss=" + std::to_string(last_loss);
    bench::print_figure("W7", "lstm_train_step_ms", "ms", bench::summarize(step_ms), extra);
  } catch (const reel::Error& e) {
    std::fprintf(stderr, "w7_lstm: reel::Error: %s\n", e.what());
    return 1;
  }
  return 0;
}
