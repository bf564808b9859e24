// reel/samples/common/tagger.h — W9's per-sentence BiLSTM tagger (../shared/bench-workloads.md), shared by
// samples/tagger.cpp (training, accuracy) and bench/w9_tagger.cpp (sentences per second).
//
// Data: the SST trees' leaves in order are a sentence, a word's tag is its leaf's sentiment label (0-4). Model
// (DyNet's bilstm-tagger benchmark): word embedding 128 (random init, vocabulary = the training words, id 0 the
// unknown word), one bidirectional LSTM layer of 50 per direction, a 32-unit tanh layer, a linear layer to the 5 tags,
// cross-entropy summed over the sentence's words. The code handles one sentence at a time; run inside a
// reel::autobatch::Scope, the ops of many sentences run batched (docs/autobatch.md).
#pragma once

#include <reel/reel.h>
#include <reel/data/trees.h>

#include <string>
#include <unordered_map>
#include <vector>

namespace reel_samples {

struct TaggedSentence {
  std::vector<int64_t> words;
  std::vector<int64_t> tags;
};

// Word ids of the training sentences; id 0 is the unknown word.
class TaggerVocabulary {
 public:
  explicit TaggerVocabulary(const std::vector<reel::data::Tree>& trees) {
    ids_.emplace("<unk>", 0);
    for (const reel::data::Tree& tree : trees)
      for (const std::string& word : tree.leaves()) ids_.emplace(word, static_cast<int64_t>(ids_.size()));
  }
  int64_t id(const std::string& word) const {
    const auto found = ids_.find(word);
    return found == ids_.end() ? 0 : found->second;
  }
  int64_t size() const { return static_cast<int64_t>(ids_.size()); }

 private:
  std::unordered_map<std::string, int64_t> ids_;
};

inline void add_leaves(const reel::data::Tree& tree, const TaggerVocabulary& vocabulary, TaggedSentence& out) {
  if (tree.is_leaf()) {
    out.words.push_back(vocabulary.id(tree.word));
    out.tags.push_back(tree.label);
    return;
  }
  for (const reel::data::Tree& child : tree.children) add_leaves(child, vocabulary, out);
}

inline std::vector<TaggedSentence> tagged_sentences(const std::vector<reel::data::Tree>& trees,
                                                    const TaggerVocabulary& vocabulary) {
  std::vector<TaggedSentence> sentences(trees.size());
  for (size_t i = 0; i < trees.size(); ++i) add_leaves(trees[i], vocabulary, sentences[i]);
  return sentences;
}

struct BiLSTMTaggerImpl : reel::nn::Module {
  static constexpr int64_t kTags = 5;
  BiLSTMTaggerImpl(int64_t vocabulary, int64_t embedding_dim = 128, int64_t hidden = 50, int64_t mlp = 32) {
    embedding = register_module("embedding", reel::nn::Embedding(vocabulary, embedding_dim));
    lstm = register_module("lstm", reel::nn::LSTM(reel::nn::LSTMOptions(embedding_dim, hidden).bidirectional(true)));
    hidden_layer = register_module("hidden", reel::nn::Linear(2 * hidden, mlp));
    output = register_module("output", reel::nn::Linear(mlp, kTags));
  }

  // Tag scores of one sentence, (words, 5).
  reel::Tensor scores(const TaggedSentence& sentence, reel::Device device) {
    const reel::Tensor x = embedding(reel::tensor(sentence.words, reel::kInt64).to(device));  // (T, 128)
    const reel::Tensor h = std::get<0>(lstm(x.unsqueeze(1))).squeeze(1);                      // (T, 100)
    return output(reel::tanh(hidden_layer(h)));
  }

  // The sentence's cross-entropy, summed over its words.
  reel::Tensor loss(const TaggedSentence& sentence, reel::Device device) {
    return reel::nn::functional::cross_entropy(scores(sentence, device),
                                               reel::tensor(sentence.tags, reel::kInt64).to(device), {}, -100,
                                               reel::nn::Reduction::Sum);
  }

  reel::nn::Embedding embedding{nullptr};
  reel::nn::LSTM lstm{nullptr};
  reel::nn::Linear hidden_layer{nullptr}, output{nullptr};
};
REEL_MODULE(BiLSTMTagger);

}  // namespace reel_samples
