// reel/data/text.h — text for language models: characters, words with a vocabulary, batches for truncated BPTT.
//
// Character level (Tiny Shakespeare, char-rnn): the vocabulary is the sorted set of distinct Unicode code
// points of the text (for ASCII text these are the bytes; UTF-8 is decoded so that "é" is one symbol).
//
//   reel::data::CharText text = reel::data::read_char_text("tinyshakespeare/input.txt");  // 65 symbols
//   text.ids;                                        // int64 [1115394]
//   text.vocab.decode(text.ids.narrow(0, 0, 14));    // "First Citizen:"
//
// Word level (Mikolov's Penn Treebank setup, PyTorch's word_language_model example): tokens are split on ASCII
// whitespace, every line ends with "<eos>", ids are given in order of first appearance in the training file;
// words that are not in the vocabulary become "<unk>".
//
//   reel::data::Vocabulary vocab = reel::data::Vocabulary::build_from_file("ptb/ptb.train.txt");   // 10000
//   reel::Tensor train = reel::data::encode_words_file("ptb/ptb.train.txt", vocab);   // int64 [929589]
//   reel::Tensor batches = reel::data::batchify(train, 20);                            // [46479, 20]
//   auto [input, target] = reel::data::bptt_batch(batches, i, 35);  // [35, 20] and [700]
//
// Invalid UTF-8 gives a reel::Error with the file name, line and column.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <memory>
#include <utility>
#include <vector>

#include "../tensor/tensor.h"

namespace reel::data {

// ---- characters ---------------------------------------------------------------------------------------------
class CharVocabulary {
 public:
  CharVocabulary() = default;
  // The sorted distinct code points of `text` (UTF-8). `source` names the text in errors (e.g. its path).
  static CharVocabulary build(std::string_view text, const std::string& source = "text");
  int64_t size() const { return static_cast<int64_t>(symbols_.size()); }
  // The id of a code point; throws reel::Error when it is not in the vocabulary.
  int64_t id(char32_t code_point) const;
  bool contains(char32_t code_point) const;
  char32_t symbol(int64_t id) const;  // throws when id is out of range
  const std::vector<char32_t>& symbols() const { return symbols_; }
  // int64 [number of code points]; every code point must be in the vocabulary.
  Tensor encode(std::string_view text, const std::string& source = "text") const;
  // UTF-8 text of the ids (an integer tensor of any shape, read in row-major order).
  std::string decode(const Tensor& ids) const;
  std::string decode(const std::vector<int64_t>& ids) const;

 private:
  int64_t find(char32_t code_point) const;  // its id (a binary search of the sorted symbols), or -1
  std::vector<char32_t> symbols_;            // sorted, distinct: a symbol's id is its position
};

struct CharText {
  CharVocabulary vocab;
  Tensor ids;  // int64, one per code point of the file
};
// Reads a UTF-8 text file and encodes it with the vocabulary of its own code points.
CharText read_char_text(const std::string& path);
// The bytes of a file as a string (errors name the file).
std::string read_text_file(const std::string& path);

// ---- words --------------------------------------------------------------------------------------------------
class Vocabulary {
 public:
  static constexpr const char* kUnk = "<unk>";
  static constexpr const char* kEos = "<eos>";
  Vocabulary();
  ~Vocabulary();
  Vocabulary(const Vocabulary& other);
  Vocabulary(Vocabulary&& other) noexcept;
  Vocabulary& operator=(const Vocabulary& other);
  Vocabulary& operator=(Vocabulary&& other) noexcept;
  // Words of the file in order of first appearance, "<eos>" after each line's words; "<unk>" is added last
  // when the file does not contain it.
  static Vocabulary build_from_file(const std::string& path);

  // The id of `token`, adding it when new.
  int64_t add(std::string_view token);
  bool contains(std::string_view token) const;
  // The id of `token`; unknown tokens map to "<unk>" when the vocabulary has it, otherwise throw.
  int64_t id(std::string_view token) const;
  const std::string& token(int64_t id) const;  // throws when id is out of range
  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  int64_t unk_id() const;  // throws when there is no "<unk>"
  int64_t eos_id() const;  // throws when there is no "<eos>"
  const std::vector<std::string>& tokens() const { return tokens_; }
  std::string decode(const Tensor& ids) const;  // tokens joined by single spaces

 private:
  struct Index;  // token -> id (data/text.cpp)
  const Index& index() const;
  std::vector<std::string> tokens_;
  std::unique_ptr<Index> index_;
};

// The tokens of one line, split on ASCII whitespace (space, \t, \r, \v, \f).
std::vector<std::string_view> split_words(std::string_view line);
// Every token of the file with "<eos>" at each line end, as ids of `vocab` (int64 [tokens]).
Tensor encode_words_file(const std::string& path, const Vocabulary& vocab);

// ---- batches for truncated back-propagation through time ---------------------------------------------------
// word_language_model's batchify: the 1-D ids cut to a multiple of batch_size and laid out as
// [length / batch_size, batch_size], column j holding the j-th consecutive slice of the stream.
Tensor batchify(const Tensor& ids, int64_t batch_size);
// word_language_model's get_batch: input = source[i : i+len], target = source[i+1 : i+1+len] flattened,
// len = min(bptt, source.size(0) - 1 - i). Requires 0 <= i < source.size(0) - 1.
std::pair<Tensor, Tensor> bptt_batch(const Tensor& source, int64_t i, int64_t bptt);

}  // namespace reel::data
