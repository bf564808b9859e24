// bench/w5_char_lstm.cpp — W5 of ../shared/bench-workloads.md: one training step of a character LSTM.
//
// Tiny Shakespeare, vocabulary = its distinct characters; embedding 64, one LSTM layer of hidden size 256, a
// linear read-out to the vocabulary; sequence 64, batch 32; cross-entropy at every time step; Adam lr 2e-3;
// truncated BPTT (the state carries over between steps, detached). Two ways to run the LSTM:
//   --mode loop     W5a: an explicit C++ loop over the 64 time steps calling nn::LSTMCell
//   --mode module   W5b: the multi-step nn::LSTM module over the whole [64, 32, 64] sequence
// Prints the median (min, max) ms per training step over 50 steps after 5 warm-ups, then W8's peak memory:
//   bench=W5 figure=train_step_ms ... mode=loop threads=2
//   bench=W5 figure=vmhwm_mib ... mode=loop threads=2   (peak resident memory as the program reads it)
// The batches walk the text in order (word_language_model's batchify layout: column j is the j-th slice of the
// text), so every run and the LibTorch twin (bench/libtorch/w5_char_lstm.cpp) see the same characters.
//
//   w5_char_lstm [--mode loop|module] [--data DIR] [--threads N] [--quick]
//
// --data DIR: the folder holding tinyshakespeare/input.txt (default: $REEL_DATA, else ../shared/data next to the
// repository). --quick: 3 steps after 1 warm-up: a smoke run for CTest, not a measurement.
#include <reel/reel.h>
#include <reel/data/text.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "bench_common.h"

namespace {

namespace nn = reel::nn;
namespace F = reel::nn::functional;

constexpr const char* kUsage = "[--mode loop|module] [--data DIR] [--threads N] [--quick]";
constexpr int64_t kEmbedding = 64, kHidden = 256, kSequence = 64, kBatch = 32;

struct W5Options {
  std::string mode = "loop";
  std::string data_root = bench::default_data_root();
};

W5Options take_w5_options(int& argc, char** argv) {
  W5Options options;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (const char* mode = bench::take_value(i, argc, argv, "--mode")) {
      options.mode = mode;
    } else if (const char* root = bench::take_value(i, argc, argv, "--data")) {
      options.data_root = root;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  if (options.mode != "loop" && options.mode != "module") {
    std::fprintf(stderr, "usage: %s %s (--mode is loop or module)\n", argv[0], kUsage);
    std::exit(2);
  }
  return options;
}

struct CharModelImpl : nn::Module {
  CharModelImpl(int64_t vocab, bool use_module) : use_module(use_module) {
    embedding = register_module("embedding", nn::Embedding(vocab, kEmbedding));
    if (use_module) lstm = register_module("lstm", nn::LSTM(kEmbedding, kHidden));
    else cell = register_module("cell", nn::LSTMCell(kEmbedding, kHidden));
    decoder = register_module("decoder", nn::Linear(kHidden, vocab));
  }

  // input [T, N] ids, state (h, c) each [N, hidden]; returns scores [T * N, vocab] and the new state.
  std::pair<reel::Tensor, nn::LSTMState> forward(const reel::Tensor& input, const nn::LSTMState& state) {
    const reel::Tensor x = embedding(input);  // [T, N, 64]
    reel::Tensor output;
    nn::LSTMState next;
    if (use_module) {
      const auto& [h, c] = state;
      auto [sequence, final_state] = lstm(x, nn::LSTMState{h.unsqueeze(0), c.unsqueeze(0)});
      output = sequence;
      next = {std::get<0>(final_state).squeeze(0), std::get<1>(final_state).squeeze(0)};
    } else {
      std::vector<reel::Tensor> hs;
      hs.reserve(static_cast<size_t>(x.size(0)));
      next = state;
      for (int64_t t = 0; t < x.size(0); ++t) {
        next = cell(x.select(0, t), next);
        hs.push_back(std::get<0>(next));
      }
      output = reel::stack(hs, 0);
    }
    return {decoder(output.reshape({-1, kHidden})), next};
  }

  bool use_module;
  nn::Embedding embedding{nullptr};
  nn::LSTM lstm{nullptr};
  nn::LSTMCell cell{nullptr};
  nn::Linear decoder{nullptr};
};
REEL_MODULE(CharModel);

}  // namespace

int main(int argc, char** argv) {
  const W5Options w5 = take_w5_options(argc, argv);
  const bench::Options options = bench::parse_options(argc, argv, kUsage);
  const int warmups = options.quick ? 1 : 5;
  const int steps = options.quick ? 3 : 50;
  try {
    reel::set_num_threads(options.threads);
    const std::string path = w5.data_root + "/tinyshakespeare/input.txt";
    const reel::data::CharText text = reel::data::read_char_text(path);
    const reel::Tensor columns = reel::data::batchify(text.ids, kBatch);  // [length / 32, 32]

    reel::manual_seed(5);
    CharModel model(text.vocab.size(), w5.mode == "module");
    reel::optim::Adam optimizer(model->parameters(), reel::optim::AdamOptions(2e-3));
    nn::LSTMState state{reel::zeros({kBatch, kHidden}), reel::zeros({kBatch, kHidden})};

    std::vector<double> step_ms;
    double last_loss = 0;
    int64_t position = 0;
    for (int step = 0; step < warmups + steps; ++step) {
      if (position + kSequence + 1 > columns.size(0)) position = 0;
      auto [input, target] = reel::data::bptt_batch(columns, position, kSequence);
      position += kSequence;
      const double start = bench::now_seconds();
      state = {std::get<0>(state).detach(), std::get<1>(state).detach()};  // truncated BPTT
      optimizer.zero_grad();
      auto [scores, next_state] = model->forward(input, state);
      reel::Tensor loss = F::cross_entropy(scores, target);
      loss.backward();
      optimizer.step();
      state = next_state;
      last_loss = loss.item<double>();
      if (step >= warmups) step_ms.push_back((bench::now_seconds() - start) * 1e3);
    }
    if (!std::isfinite(last_loss)) {
      std::fprintf(stderr, "w5: the loss is %g\n", last_loss);
      return 1;
    }
    std::string extra = "mode=" + w5.mode + " threads=" + std::to_string(options.threads) +
                        " vocab=" + std::to_string(text.vocab.size()) + " batch=32 seq=64";
    if (options.quick) extra += " quick=1";
    bench::print_figure("W5", "train_step_ms", "ms", bench::summarize(step_ms),
                        extra + " last_loss=" + std::to_string(last_loss));
    bench::print_peak_memory("W5", extra);
  } catch (const reel::Error& e) {
    std::fprintf(stderr, "w5: reel::Error: %s\n", e.what());
    return 1;
  }
  return 0;
}
