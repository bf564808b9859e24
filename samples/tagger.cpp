// reel/samples/tagger.cpp — a BiLSTM tagger written one sentence at a time, trained with or without automatic
// batching (workload W9 of ../shared/bench-workloads.md).
//
// Each SST sentence (the leaves of its tree, in order) is tagged word by word with the words' sentiment labels
// (0 very negative ... 4 very positive): word embeddings, one bidirectional LSTM layer, a tanh layer, softmax over
// the 5 tags, cross-entropy summed over the words (samples/common/tagger.h). The code handles one sentence at a
// time — the natural way to write it, and the slow way to run it. With --autobatch the sentences of each step run
// inside one reel::autobatch::Scope (docs/autobatch.md): the per-sentence code is unchanged, and the ops of the
// step's sentences run as batches. The two modes compute the same thing (same seed: the same losses and accuracy up
// to float rounding); the sample prints sentences per second and the dev tag accuracy after each epoch.
//
//   ./tagger                               1 epoch, one sentence at a time (32 sentences per Adam step)
//   ./tagger --autobatch 32                the same with automatic batching, 32 sentences per step and scope
//   ./tagger --steps 10 --no-plot          smoke test
//
// Outputs in --out: tagger_metrics.csv (epoch, train_loss, dev_acc, sentences_per_second), tagger.safetensors,
// tagger.png.
#include <reel/reel.h>
#include <reel/data/trees.h>

#include <chrono>
#include <cstdio>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/metrics.h"
#include "common/progress.h"
#include "common/tagger.h"

namespace {

using reel_samples::BiLSTMTagger;
using reel_samples::CommonOptions;
using reel_samples::TaggedSentence;

// Tag accuracy over every word of `sentences`, one sentence at a time (inside a scope when `autobatch`).
double tag_accuracy(BiLSTMTagger& model, const std::vector<TaggedSentence>& sentences, reel::Device device,
                    bool autobatch) {
  reel::NoGradGuard no_grad;
  int64_t correct = 0, total = 0;
  constexpr size_t kGroup = 64;
  for (size_t first = 0; first < sentences.size(); first += kGroup) {
    const size_t last = std::min(sentences.size(), first + kGroup);
    std::vector<reel::Tensor> predictions;
    {
      std::optional<reel::autobatch::Scope> batching;
      if (autobatch) batching.emplace();
      for (size_t i = first; i < last; ++i) predictions.push_back(model->scores(sentences[i], device).argmax(1));
    }
    for (size_t i = first; i < last; ++i) {
      const std::vector<int64_t> predicted = predictions[i - first].to(reel::kCPU).to_vector<int64_t>();
      for (size_t w = 0; w < predicted.size(); ++w) correct += predicted[w] == sentences[i].tags[w];
      total += static_cast<int64_t>(predicted.size());
    }
  }
  return static_cast<double>(correct) / static_cast<double>(std::max<int64_t>(total, 1));
}

int run(int argc, char** argv) {
  CommonOptions common;
  common.epochs = 1;
  common.threads = 1;
  int64_t sentences_per_step = 32, train_limit = 0;
  double lr = 1e-3;
  int64_t autobatch = 0;
  reel_samples::ArgParser args("tagger",
                               "a bidirectional LSTM tags every word of SST's sentences with its sentiment label, "
                               "written one sentence at a time; --autobatch runs it batched.");
  args.add_common(common);
  args.option("--batch", sentences_per_step, "sentences whose summed loss makes one Adam step");
  args.option("--lr", lr, "Adam learning rate");
  args.option("--train-limit", train_limit, "use only the first N training sentences (0 = all 8544)");
  args.option("--autobatch", autobatch,
              "N > 0: N sentences per step (sets --batch), each step's inside one reel::autobatch::Scope");
  args.epilogue("data: --data DIR holds SST's train.txt and dev.txt (PTB bracket form); default: the\n"
                "repository's ../shared/data/sst.");
  if (!args.parse(argc, argv)) return 0;
  const reel::Device device = reel_samples::setup(common);
  if (autobatch < 0) throw reel::Error("tagger: --autobatch must be >= 0 (0: off)");
  if (autobatch > 0) sentences_per_step = autobatch;
  if (sentences_per_step < 1) throw reel::Error("tagger: --batch must be >= 1");

  const std::string data_dir = common.data.empty() ? reel_samples::shared_data_dir() + "/sst" : common.data;
  for (const char* split : {"train.txt", "dev.txt"})
    reel_samples::require_path(data_dir + "/" + split, std::string("SST ") + split,
                               "pass --data DIR with SST's train.txt and dev.txt (PTB trees); the repository keeps "
                               "them in ../shared/data/sst");
  std::vector<reel::data::Tree> train_trees = reel::data::read_trees(data_dir + "/train.txt");
  if (train_limit > 0 && train_limit < static_cast<int64_t>(train_trees.size()))
    train_trees.resize(static_cast<size_t>(train_limit));
  const reel_samples::TaggerVocabulary vocabulary(train_trees);
  const std::vector<TaggedSentence> train = reel_samples::tagged_sentences(train_trees, vocabulary);
  const std::vector<TaggedSentence> dev =
      reel_samples::tagged_sentences(reel::data::read_trees(data_dir + "/dev.txt"), vocabulary);
  std::printf("tagger: %zu train, %zu dev sentences; %lld words; %s\n", train.size(), dev.size(),
              static_cast<long long>(vocabulary.size()), autobatch > 0 ? "automatic batching" : "one sentence at a time");

  BiLSTMTagger model(vocabulary.size());
  model->to(device);
  reel::optim::Adam optimizer(model->parameters(), reel::optim::AdamOptions(lr));
  reel_samples::MetricsWriter metrics(reel_samples::output_path(common, "tagger_metrics.csv"),
                                      {"epoch", "train_loss", "dev_acc", "sentences_per_second"});
  reel_samples::LossTrend trend;
  std::mt19937_64 shuffle_rng(static_cast<uint64_t>(common.seed) + 1);
  std::vector<size_t> order(train.size());
  std::iota(order.begin(), order.end(), 0);

  int64_t step = 0;
  bool stop = false;
  for (int64_t epoch = 1; epoch <= common.epochs && !stop; ++epoch) {
    std::shuffle(order.begin(), order.end(), shuffle_rng);
    const int64_t steps_per_epoch = (static_cast<int64_t>(train.size()) + sentences_per_step - 1) / sentences_per_step;
    reel_samples::Progress bar("epoch " + std::to_string(epoch) + "/" + std::to_string(common.epochs),
                               common.smoke() ? std::min(common.steps, steps_per_epoch) : steps_per_epoch, "step");
    double epoch_loss = 0;
    int64_t words = 0, sentences = 0;
    const auto start = std::chrono::steady_clock::now();
    for (size_t first = 0; first < order.size() && !stop; first += static_cast<size_t>(sentences_per_step)) {
      const size_t last = std::min(order.size(), first + static_cast<size_t>(sentences_per_step));
      reel::Tensor loss;
      {
        std::optional<reel::autobatch::Scope> batching;  // --autobatch: the step's sentences run batched
        if (autobatch > 0) batching.emplace();
        std::vector<reel::Tensor> losses;
        for (size_t i = first; i < last; ++i) {
          losses.push_back(model->loss(train[order[i]], device));
          words += static_cast<int64_t>(train[order[i]].words.size());
        }
        loss = reel::stack(losses).sum();
        optimizer.zero_grad();
        loss.backward();
      }
      optimizer.step();
      const double value = loss.item<double>();
      epoch_loss += value;
      sentences += static_cast<int64_t>(last - first);
      trend.add(value / static_cast<double>(last - first));
      char status[48];
      std::snprintf(status, sizeof status, "loss/word %.3f",
                    epoch_loss / static_cast<double>(std::max<int64_t>(words, 1)));
      bar.step(1, status);
      if (common.smoke() && ++step >= common.steps) stop = true;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = static_cast<double>(sentences) / seconds;
    const double train_loss = epoch_loss / static_cast<double>(std::max<int64_t>(words, 1));
    char status[48];
    std::snprintf(status, sizeof status, "loss/word %.3f", train_loss);
    bar.finish(status);
    if (common.smoke()) {
      metrics.row({static_cast<double>(epoch), train_loss, NAN, rate});
      break;
    }
    const double dev_accuracy = tag_accuracy(model, dev, device, autobatch > 0);
    std::printf("  epoch %lld: train loss/word %.4f, dev tag accuracy %.2f%%, %.1f sentences/s (%s)\n",
                static_cast<long long>(epoch), train_loss, 100 * dev_accuracy, rate,
                autobatch > 0 ? "autobatch" : "one at a time");
    metrics.row({static_cast<double>(epoch), train_loss, dev_accuracy, rate});
  }
  reel_samples::save_outputs(common, "tagger", std::string("tagger: BiLSTM tagger on SST") +
                                                   (autobatch > 0 ? " (autobatch)" : ""),
                             model->state_dict());
  return reel_samples::smoke_exit_status(common, trend);
}

}  // namespace

int main(int argc, char** argv) {
  return reel_samples::run_main("tagger", [&] { return run(argc, argv); });
}
