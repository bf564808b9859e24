// test/fuzz/fuzz_vocab.cpp — libFuzzer target: the fuzzer's bytes as a text file for the text readers.
//
// Feeds read_char_text (UTF-8 decoding into code points, CharVocabulary), Vocabulary::build_from_file and
// encode_words_file (UTF-8 check, lines, ASCII-whitespace tokens, "<eos>", "<unk>"). Seeds:
// test/fuzz/corpus/fuzz_vocab (lines of Penn Treebank-style text, Shakespeare, multi-byte UTF-8).
// Checks against a naive reference written here: the character vocabulary decodes the ids back to the exact
// text and is sorted and distinct; the word ids decode to the file's tokens, line by line, each line followed by
// "<eos>"; with a two-word vocabulary every other token becomes "<unk>".
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_input.h"
#include "data/text.h"

namespace {

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// The tokens word_language_model sees: per '\n'-separated line (a final newline starts no extra line), the
// runs of non-space bytes, then "<eos>".
std::vector<std::string> reference_tokens(std::string_view text) {
  std::vector<std::string> tokens;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string word;
    for (size_t i = start; i < end; ++i) {
      if (is_ascii_space(text[i])) {
        if (!word.empty()) tokens.push_back(word);
        word.clear();
      } else {
        word.push_back(text[i]);
      }
    }
    if (!word.empty()) tokens.push_back(word);
    tokens.push_back("<eos>");
    start = end + 1;
  }
  return tokens;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const reel_fuzz::ScratchFile file("vocab", ".txt");
  file.write(data, size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  reel_fuzz::expect_only_reel_errors([&] {
    const reel::data::CharText chars = reel::data::read_char_text(file.path());
    const std::vector<char32_t>& symbols = chars.vocab.symbols();
    for (size_t i = 1; i < symbols.size(); ++i) {
      REEL_FUZZ_REQUIRE(symbols[i - 1] < symbols[i], "symbols not sorted and distinct at %zu", i);
    }
    REEL_FUZZ_REQUIRE(chars.ids.numel() <= static_cast<int64_t>(size), "more code points than bytes");
    REEL_FUZZ_REQUIRE(chars.vocab.decode(chars.ids) == text, "character ids do not decode to the text");
  });

  bool utf8_valid = false;
  reel_fuzz::expect_only_reel_errors([&] {
    const reel::data::Vocabulary vocab = reel::data::Vocabulary::build_from_file(file.path());
    utf8_valid = true;
    const reel::Tensor ids = reel::data::encode_words_file(file.path(), vocab);
    const std::vector<std::string> expected = reference_tokens(text);
    REEL_FUZZ_REQUIRE(ids.numel() == static_cast<int64_t>(expected.size()), "%lld ids for %zu tokens",
                      static_cast<long long>(ids.numel()), expected.size());
    const std::vector<int64_t> id_values = ids.to_vector<int64_t>();
    for (size_t i = 0; i < expected.size(); ++i) {
      REEL_FUZZ_REQUIRE(vocab.token(id_values[i]) == expected[i], "token %zu is '%s', expected '%s'", i,
                        vocab.token(id_values[i]).c_str(), expected[i].c_str());
    }
    REEL_FUZZ_REQUIRE(vocab.contains("<unk>") && vocab.contains("<eos>"), "vocabulary lacks <unk> or <eos>");
  });

  // A small fixed vocabulary: every token but "the" and "<eos>" is unknown.
  reel_fuzz::expect_only_reel_errors([&] {
    reel::data::Vocabulary small;
    small.add("<eos>");
    small.add("<unk>");
    small.add("the");
    const reel::Tensor ids = reel::data::encode_words_file(file.path(), small);
    REEL_FUZZ_REQUIRE(utf8_valid, "encode_words_file accepted text build_from_file refused");
    const std::vector<std::string> expected = reference_tokens(text);
    const std::vector<int64_t> id_values = ids.to_vector<int64_t>();
    REEL_FUZZ_REQUIRE(id_values.size() == expected.size(), "%zu ids for %zu tokens", id_values.size(),
                      expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      const int64_t want = expected[i] == "<eos>" ? 0 : expected[i] == "the" ? 2 : 1;
      REEL_FUZZ_REQUIRE(id_values[i] == want, "token %zu '%s' has id %lld", i, expected[i].c_str(),
                        static_cast<long long>(id_values[i]));
    }
  });
  return 0;
}
