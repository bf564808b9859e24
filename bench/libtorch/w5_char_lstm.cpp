// bench/libtorch/w5_char_lstm.cpp — W5 of ../shared/bench-workloads.md in LibTorch, the twin of
// bench/w5_char_lstm.cpp: one training step of a character LSTM on Tiny Shakespeare.
//
// Vocabulary = the text's distinct characters (bytes: the file is ASCII), embedding 64, one LSTM layer of hidden
// size 256, a linear read-out; sequence 64, batch 32; cross-entropy at every time step; Adam lr 2e-3; truncated
// BPTT (the state carries over between steps, detached).
//   --mode loop     W5a: an explicit C++ loop over the 64 time steps calling torch::nn::LSTMCell
//   --mode module   W5b: torch::nn::LSTM over the whole [64, 32, 64] sequence (at::lstm inside)
// Prints the median (min, max) ms per training step over 50 steps after 5 warm-ups, then W8's peak memory.
// Batches as reel's: the ids laid out as [length / 32, 32] (column j is the j-th slice of the text), step s
// reads rows [64 s, 64 s + 64) and predicts the rows one further.
//
//   libtorch_w5_char_lstm [--mode loop|module] [--data DIR] [--threads N] [--quick]
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench_common.h"

namespace {

using State = std::tuple<torch::Tensor, torch::Tensor>;
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

// The text as ids of its sorted distinct bytes; `vocab` gets the vocabulary's size.
torch::Tensor read_char_ids(const std::string& path, int64_t& vocab) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "w5: cannot open %s\n", path.c_str());
    std::exit(1);
  }
  std::stringstream buffer;
  buffer << file.rdbuf();
  const std::string text = buffer.str();
  std::vector<int64_t> id_of(256, -1);
  for (unsigned char ch : text) id_of[ch] = 0;
  vocab = 0;
  for (int64_t& id : id_of)
    if (id == 0) id = vocab++;
  torch::Tensor ids = torch::empty({static_cast<int64_t>(text.size())}, torch::kInt64);
  int64_t* out = ids.data_ptr<int64_t>();
  for (size_t i = 0; i < text.size(); ++i) out[i] = id_of[static_cast<unsigned char>(text[i])];
  return ids;
}

struct CharModelImpl : torch::nn::Module {
  CharModelImpl(int64_t vocab, bool use_module) : use_module(use_module) {
    embedding = register_module("embedding", torch::nn::Embedding(vocab, kEmbedding));
    if (use_module) lstm = register_module("lstm", torch::nn::LSTM(kEmbedding, kHidden));
    else cell = register_module("cell", torch::nn::LSTMCell(kEmbedding, kHidden));
    decoder = register_module("decoder", torch::nn::Linear(kHidden, vocab));
  }

  // input [T, N] ids, state (h, c) each [N, hidden]; returns scores [T * N, vocab] and the new state.
  std::pair<torch::Tensor, State> forward(const torch::Tensor& input, const State& state) {
    const torch::Tensor x = embedding(input);  // [T, N, 64]
    torch::Tensor output;
    State next;
    if (use_module) {
      const auto& [h, c] = state;
      auto [sequence, final_state] = lstm(x, State{h.unsqueeze(0), c.unsqueeze(0)});
      output = sequence;
      next = {std::get<0>(final_state).squeeze(0), std::get<1>(final_state).squeeze(0)};
    } else {
      std::vector<torch::Tensor> hs;
      hs.reserve(static_cast<size_t>(x.size(0)));
      next = state;
      for (int64_t t = 0; t < x.size(0); ++t) {
        next = cell(x.select(0, t), next);
        hs.push_back(std::get<0>(next));
      }
      output = torch::stack(hs, 0);
    }
    return {decoder(output.reshape({-1, kHidden})), next};
  }

  bool use_module;
  torch::nn::Embedding embedding{nullptr};
  torch::nn::LSTM lstm{nullptr};
  torch::nn::LSTMCell cell{nullptr};
  torch::nn::Linear decoder{nullptr};
};
TORCH_MODULE(CharModel);

}  // namespace

int main(int argc, char** argv) {
  const W5Options w5 = take_w5_options(argc, argv);
  const bench::Options options = bench::parse_options(argc, argv, kUsage);
  const int warmups = options.quick ? 1 : 5;
  const int steps = options.quick ? 3 : 50;
  try {
    torch::set_num_threads(options.threads);
    int64_t vocab = 0;
    const torch::Tensor ids = read_char_ids(w5.data_root + "/tinyshakespeare/input.txt", vocab);
    const int64_t rows = ids.size(0) / kBatch;
    const torch::Tensor columns = ids.narrow(0, 0, rows * kBatch).view({kBatch, rows}).t().contiguous();

    torch::manual_seed(5);
    CharModel model(vocab, w5.mode == "module");
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(2e-3));
    State state{torch::zeros({kBatch, kHidden}), torch::zeros({kBatch, kHidden})};

    std::vector<double> step_ms;
    double last_loss = 0;
    int64_t position = 0;
    for (int step = 0; step < warmups + steps; ++step) {
      if (position + kSequence + 1 > rows) position = 0;
      const torch::Tensor input = columns.narrow(0, position, kSequence);
      const torch::Tensor target = columns.narrow(0, position + 1, kSequence).reshape({-1});
      position += kSequence;
      const double start = bench::now_seconds();
      state = {std::get<0>(state).detach(), std::get<1>(state).detach()};  // truncated BPTT
      optimizer.zero_grad();
      auto [scores, next_state] = model->forward(input, state);
      torch::Tensor loss = torch::nn::functional::cross_entropy(scores, target);
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
                        " vocab=" + std::to_string(vocab) + " batch=32 seq=64";
    if (options.quick) extra += " quick=1";
    bench::print_figure("W5", "train_step_ms", "ms", bench::summarize(step_ms),
                        extra + " last_loss=" + std::to_string(last_loss));
    bench::print_peak_memory("W5", extra);
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "w5: c10::Error: %s\n", e.what_without_backtrace());
    return 1;
  }
  return 0;
}
