// bench/w9_tagger.cpp — W9 of ../shared/bench-workloads.md: a BiLSTM tagger over SST sentences, written one sentence
// at a time (samples/common/tagger.h, the model samples/tagger.cpp trains), timed eagerly and with automatic
// batching (W9b: --autobatch 64, 64 sentences per step, each step's inside one reel::autobatch::Scope).
//
// Both modes sum the loss of --batch sentences (default 64) per Adam step (lr 1e-3), so they compute the same thing;
// the figure is sentences per second over --sentences sentences (default 2000) after --warmup (default 50, rounded
// up to whole steps) in file order.
//   bench=W9 figure=sentences_per_second ...    eager
//   bench=W9b figure=sentences_per_second ...   --autobatch
//
//   w9_tagger [--autobatch N] [--batch N] [--sentences N] [--warmup N] [--data DIR] [--threads N] [--quick]
#include <reel/reel.h>
#include <reel/data/trees.h>

#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "../samples/common/tagger.h"
#include "bench_common.h"

int main(int argc, char** argv) {
  bool autobatch = false;
  int64_t batch = 64, sentences = 2000, warmup = 50;
  std::string data_root = bench::default_data_root();
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (const char* group = bench::take_value(i, argc, argv, "--autobatch")) {
      batch = std::atoll(group);  // sentences per step and scope
      autobatch = true;
    } else if (const char* b = bench::take_value(i, argc, argv, "--batch")) {
      batch = std::atoll(b);
    } else if (const char* n = bench::take_value(i, argc, argv, "--sentences")) {
      sentences = std::atoll(n);
    } else if (const char* w = bench::take_value(i, argc, argv, "--warmup")) {
      warmup = std::atoll(w);
    } else if (const char* root = bench::take_value(i, argc, argv, "--data")) {
      data_root = root;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  const char* usage = "[--autobatch N] [--batch N] [--sentences N] [--warmup N] [--data DIR] [--threads N] [--quick]";
  const bench::Options options = bench::parse_options(argc, argv, usage);
  if (options.quick) sentences = 64, warmup = 16;
  if (batch < 1 || sentences < 1 || warmup < 0) {
    std::fprintf(stderr, "usage: %s %s (batch, sentences >= 1)\n", argv[0], usage);
    return 2;
  }
  warmup = (warmup + batch - 1) / batch * batch;
  try {
    reel::set_num_threads(options.threads);
    const std::vector<reel::data::Tree> trees = reel::data::read_trees(data_root + "/sst/train.txt");
    const reel_samples::TaggerVocabulary vocabulary(trees);
    const std::vector<reel_samples::TaggedSentence> train = reel_samples::tagged_sentences(trees, vocabulary);
    reel::manual_seed(9);
    reel_samples::BiLSTMTagger model(vocabulary.size());
    reel::optim::Adam optimizer(model->parameters(), reel::optim::AdamOptions(1e-3));
    double start = 0, loss_sum = 0;
    double record_seconds = 0, backward_seconds = 0;  // timed steps: the loss calls, and backward (with the flush)
    double optimizer_seconds = 0;                     // timed steps: Adam's step (dense: every embedding row)
    reel::autobatch::Stats batch_stats;               // timed steps, summed over the scopes
    int64_t words = 0;
    for (int64_t done = 0; done < warmup + sentences; done += batch) {
      if (done == warmup) start = bench::now_seconds();
      const int64_t count = std::min(batch, warmup + sentences - done);
      reel::Tensor loss;
      {
        std::optional<reel::autobatch::Scope> batching;
        if (autobatch) batching.emplace();
        std::vector<reel::Tensor> losses;
        const double record_start = bench::now_seconds();
        for (int64_t k = 0; k < count; ++k) {
          const reel_samples::TaggedSentence& sentence = train[static_cast<size_t>(done + k) % train.size()];
          losses.push_back(model->loss(sentence, reel::Device(reel::kCPU)));
          words += static_cast<int64_t>(sentence.words.size());
        }
        loss = reel::stack(losses).sum();
        optimizer.zero_grad();
        const double backward_start = bench::now_seconds();
        loss.backward();
        if (done >= warmup) {
          record_seconds += backward_start - record_start;
          backward_seconds += bench::now_seconds() - backward_start;
          if (batching) batch_stats += batching->stats();
        }
      }
      const double step_start = bench::now_seconds();
      optimizer.step();
      if (done >= warmup) optimizer_seconds += bench::now_seconds() - step_start;
      loss_sum += loss.item<double>();
    }
    const double seconds = bench::now_seconds() - start;
    if (!std::isfinite(loss_sum)) {
      std::fprintf(stderr, "w9: the loss is %g\n", loss_sum);
      return 1;
    }
    const std::string extra = "threads=" + std::to_string(options.threads) + " mode=" +
                              (autobatch ? "autobatch" : "eager") + " batch=" + std::to_string(batch) +
                              " sentences=" + std::to_string(sentences) + " warmup=" + std::to_string(warmup) +
                              " loss_per_word=" + std::to_string(loss_sum / static_cast<double>(words)) +
                              (options.quick ? " quick=1" : "");
    bench::print_figure(autobatch ? "W9b" : "W9", "sentences_per_second", "sentences/s",
                        bench::summarize({static_cast<double>(sentences) / seconds}), extra);
    bench::print_peak_memory(autobatch ? "W9b" : "W9", extra);
    const double per_sentence = 1e3 / static_cast<double>(sentences);
    std::printf("ms per sentence: loss calls %.3f, backward %.3f, optimizer step %.3f", record_seconds * per_sentence,
                (backward_seconds - batch_stats.seconds_flushing) * per_sentence, optimizer_seconds * per_sentence);
    if (autobatch) {
      std::printf(" (autobatch: flushing %.3f, running the calls %.3f; per sentence %.1f ops recorded, %.2f batched "
                  "calls)",
                  batch_stats.seconds_flushing * per_sentence, batch_stats.seconds_running * per_sentence,
                  static_cast<double>(batch_stats.ops_recorded) / static_cast<double>(sentences),
                  static_cast<double>(batch_stats.batches) / static_cast<double>(sentences));
    }
    std::printf("\n");
  } catch (const reel::Error& e) {
    std::fprintf(stderr, "w9: reel::Error: %s\n", e.what());
    return 1;
  }
  return 0;
}
