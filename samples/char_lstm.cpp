// reel/samples/char_lstm.cpp — a character-level LSTM language model on Tiny Shakespeare, then generated text.
//
// The model (workload W5's sizes): embedding 64 -> one LSTM layer of 256 -> linear -> softmax over the 65
// characters. The time loop is written out in C++ — one nn::LSTMCell call per character position — rather
// than handed to the fused nn::LSTM, to show that an explicit loop is an ordinary way to build a recurrent
// graph here. Training is truncated back-propagation through time: the text is cut into 32 parallel streams,
// each step reads 64 characters of every stream, predicts each next character (loss at every position) and
// carries the LSTM state to the next step detached from the graph. Adam lr 2e-3, gradient norm clipped at 5.
// The last 10% of the text is held out; the validation loss (nats per character) is measured after each epoch.
// At the end the model writes new text by sampling one character at a time with a temperature.
//
//   ./char_lstm                                data: ../shared/data/tinyshakespeare/input.txt (or --data FILE)
//   ./char_lstm --generate 1000 --temperature 0.6
//   ./char_lstm --steps 20 --no-plot           smoke test
//
// Outputs in --out: char_lstm_metrics.csv (epoch, train_loss, val_loss), char_lstm.safetensors, char_lstm.png,
// char_lstm_sample.txt (the generated text).
#include <reel/reel.h>
#include <reel/data/text.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/metrics.h"
#include "common/progress.h"

namespace nn = reel::nn;
namespace F = reel::nn::functional;
using reel_samples::CommonOptions;

namespace {

struct CharModelImpl : nn::Module {
  CharModelImpl(int64_t vocab, int64_t embedding_dim, int64_t hidden) {
    embedding = register_module("embedding", nn::Embedding(vocab, embedding_dim));
    cell = register_module("cell", nn::LSTMCell(embedding_dim, hidden));
    decoder = register_module("decoder", nn::Linear(hidden, vocab));
  }

  // input int64 [T, N] -> scores [T * N, vocab]; `state` is read and replaced by the state after step T.
  reel::Tensor forward(const reel::Tensor& input, nn::LSTMState& state) {
    const reel::Tensor vectors = embedding(input);  // [T, N, dim]
    std::vector<reel::Tensor> outputs;
    outputs.reserve(static_cast<size_t>(input.size(0)));
    for (int64_t t = 0; t < input.size(0); ++t) {  // the explicit loop over time
      state = cell(vectors.select(0, t), state);
      outputs.push_back(std::get<0>(state));
    }
    return decoder(reel::cat(outputs, 0));  // [T * N, hidden] -> [T * N, vocab]
  }

  nn::Embedding embedding{nullptr};
  nn::LSTMCell cell{nullptr};
  nn::Linear decoder{nullptr};
};
REEL_MODULE(CharModel);

nn::LSTMState zero_state(int64_t batch, int64_t hidden, reel::Device device) {
  return {reel::zeros({batch, hidden}, reel::TensorOptions().device(device)),
          reel::zeros({batch, hidden}, reel::TensorOptions().device(device))};
}

nn::LSTMState detached(const nn::LSTMState& state) {
  return {std::get<0>(state).detach(), std::get<1>(state).detach()};
}

// Mean loss per character over the held-out streams, state carried across chunks.
double validation_loss(CharModel& model, const reel::Tensor& streams, int64_t seq_len, int64_t hidden,
                       reel::Device device) {
  reel::NoGradGuard no_grad;
  model->eval();
  nn::LSTMState state = zero_state(streams.size(1), hidden, device);
  double total = 0;
  int64_t count = 0;
  for (int64_t i = 0; i + 1 < streams.size(0); i += seq_len) {
    auto [input, target] = reel::data::bptt_batch(streams, i, seq_len);
    const reel::Tensor loss = F::cross_entropy(model->forward(input, state), target, {}, -100, nn::Reduction::Sum);
    total += loss.item<double>();
    count += target.numel();
  }
  model->train();
  return total / static_cast<double>(count);
}

// Samples `length` characters after `prime`: the prime runs through the model, then each step draws the next
// character from softmax(scores / temperature) with reel::multinomial on the model's device and feeds it back; the
// draws stay on the device until the text is decoded at the end (no host round trip per character). reel's
// generator is seeded with `seed` first, so a run's text is reproducible.
std::string generate(CharModel& model, const reel::data::CharVocabulary& vocab, const std::string& prime,
                     int64_t length, double temperature, int64_t hidden, reel::Device device, uint64_t seed) {
  reel::NoGradGuard no_grad;
  model->eval();
  reel::manual_seed(seed);
  nn::LSTMState state = zero_state(1, hidden, device);
  const reel::Tensor prime_ids = vocab.encode(prime, "--prime");
  reel::Tensor scores;
  for (int64_t i = 0; i < prime_ids.numel(); ++i)
    scores = model->forward(prime_ids.narrow(0, i, 1).view({1, 1}).to(device), state);
  std::vector<reel::Tensor> produced;
  for (int64_t n = 0; n < length; ++n) {
    const reel::Tensor probabilities = reel::softmax(scores.view({-1}).to(reel::kFloat32) / temperature, 0);
    const reel::Tensor next = reel::multinomial(probabilities, 1);  // [1] int64 on the device
    produced.push_back(next);
    scores = model->forward(next.view({1, 1}), state);
  }
  model->train();
  if (produced.empty()) return prime;
  return prime + vocab.decode(reel::cat(produced, 0).to(reel::kCPU));
}

int run(int argc, char** argv) {
  // One thread by default: the per-time-step ops are small, and waiting OpenMP threads cost more than
  // they gain on a busy machine (samples/README.md, Threads).
  CommonOptions common;
  common.epochs = 8;
  common.threads = 1;
  int64_t embedding_dim = 64, hidden = 256, seq_len = 64, batch = 32, generate_length = 600;
  double lr = 2e-3, clip = 5.0, temperature = 0.8;
  std::string prime = "ROMEO:";
  reel_samples::ArgParser args("char_lstm",
                               "a character-level LSTM language model on Tiny Shakespeare, written as an explicit "
                               "loop of LSTMCell calls over time; then it writes text.");
  args.add_common(common);
  args.option("--embedding-dim", embedding_dim, "character vector size");
  args.option("--hidden", hidden, "LSTM state size");
  args.option("--seq-len", seq_len, "characters per stream per training step (truncated BPTT length)");
  args.option("--batch", batch, "parallel streams");
  args.option("--lr", lr, "Adam learning rate");
  args.option("--clip", clip, "gradient norm clipping (0 = off)");
  args.option("--generate", generate_length, "characters to generate at the end (0 = none)");
  args.option("--temperature", temperature, "sampling temperature: lower is more conservative");
  args.option("--prime", prime, "text the generation starts from");
  args.epilogue("data: --data FILE is any UTF-8 text; default: the repository's\n"
                "../shared/data/tinyshakespeare/input.txt (karpathy/char-rnn's data/tinyshakespeare/input.txt).\n"
                "The last 10% of the text is the validation set.");
  if (!args.parse(argc, argv)) return 0;
  const reel::Device device = reel_samples::setup(common);
  if (embedding_dim < 1 || hidden < 1 || seq_len < 1 || batch < 1)
    throw reel::Error("char_lstm: --embedding-dim, --hidden, --seq-len and --batch must be positive");
  if (!(temperature > 0)) throw reel::Error("char_lstm: --temperature must be > 0");

  const std::string path =
      common.data.empty() ? reel_samples::shared_data_dir() + "/tinyshakespeare/input.txt" : common.data;
  reel_samples::require_path(path, "Tiny Shakespeare",
                             "pass --data FILE (any text file), e.g. input.txt from "
                             "https://github.com/karpathy/char-rnn/tree/master/data/tinyshakespeare");
  const reel::data::CharText text = reel::data::read_char_text(path);
  const int64_t total = text.ids.numel();
  const int64_t train_length = total * 9 / 10;
  const reel::Tensor train_streams =
      reel::data::batchify(text.ids.narrow(0, 0, train_length), batch).to(device);  // [L / batch, batch]
  const reel::Tensor val_streams =
      reel::data::batchify(text.ids.narrow(0, train_length, total - train_length), batch).to(device);
  std::printf("char_lstm: %lld characters (%lld distinct); %lld for training, %lld held out\n",
              static_cast<long long>(total), static_cast<long long>(text.vocab.size()),
              static_cast<long long>(train_length), static_cast<long long>(total - train_length));

  CharModel model(text.vocab.size(), embedding_dim, hidden);
  model->to(device);
  reel::optim::Adam optimizer(model->parameters(), reel::optim::AdamOptions(lr));
  reel_samples::MetricsWriter metrics(reel_samples::output_path(common, "char_lstm_metrics.csv"),
                                      {"epoch", "train_loss", "val_loss"});
  reel_samples::LossTrend trend;

  const int64_t steps_per_epoch = (train_streams.size(0) - 2) / seq_len + 1;
  int64_t step = 0;
  double val_loss = NAN;
  bool stop = false;
  for (int64_t epoch = 1; epoch <= common.epochs && !stop; ++epoch) {
    reel_samples::Progress bar("epoch " + std::to_string(epoch) + "/" + std::to_string(common.epochs),
                               common.smoke() ? std::min(common.steps, steps_per_epoch) : steps_per_epoch, "step");
    nn::LSTMState state = zero_state(batch, hidden, device);
    reel_samples::EpochLoss epoch_loss(trend);
    for (int64_t i = 0; i + 1 < train_streams.size(0) && !stop; i += seq_len) {
      auto [input, target] = reel::data::bptt_batch(train_streams, i, seq_len);
      state = detached(state);  // truncated BPTT: the graph ends at the chunk boundary
      reel::Tensor loss = F::cross_entropy(model->forward(input, state), target);
      optimizer.zero_grad();
      loss.backward();
      if (clip > 0) reel::optim::clip_grad_norm_(model->parameters(), clip);
      optimizer.step();
      epoch_loss.add(loss.item<double>());
      bar.step(1, epoch_loss.status());
      if (common.smoke() && ++step >= common.steps) stop = true;
    }
    const double train_loss = epoch_loss.mean();
    bar.finish(epoch_loss.status());
    if (common.smoke()) {
      metrics.row({static_cast<double>(epoch), train_loss, NAN});
      break;
    }
    val_loss = validation_loss(model, val_streams, seq_len, hidden, device);
    std::printf("  validation loss %.4f nats/char (perplexity %.2f)\n", val_loss, std::exp(val_loss));
    metrics.row({static_cast<double>(epoch), train_loss, val_loss});
  }
  if (!common.smoke())
    std::printf("char_lstm: final validation loss %.4f nats/char (target <= 1.60)\n", val_loss);

  if (generate_length > 0) {
    const std::string sample = generate(model, text.vocab, prime, common.smoke() ? std::min<int64_t>(generate_length, 80)
                                                                                 : generate_length,
                                        temperature, hidden, device, static_cast<uint64_t>(common.seed) + 7);
    std::printf("---- generated (temperature %.2f) ----\n%s\n--------\n", temperature, sample.c_str());
    const std::string sample_path = reel_samples::output_path(common, "char_lstm_sample.txt");
    std::ofstream(sample_path) << sample << "\n";
  }
  reel_samples::save_outputs(common, "char_lstm", "char_lstm: LSTMCell loop on Tiny Shakespeare", model->state_dict());
  return reel_samples::smoke_exit_status(common, trend);
}

}  // namespace

int main(int argc, char** argv) {
  return reel_samples::run_main("char_lstm", [&] { return run(argc, argv); });
}
