// reel/data/text.cpp — character and word vocabularies, text files as id tensors, batchify and BPTT batches.
//
// UTF-8 is decoded strictly (no overlong forms, no surrogates, nothing past U+10FFFF); an error names the
// source, the line and the byte column of the first bad byte. Word files follow PyTorch's word_language_model
// example: every line (also an empty one, also a last line without a newline) contributes its tokens and one
// "<eos>"; the empty string after a final newline is not a line.
#include "text.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "../nn/serialize_internal.h"
#include "../tensor/error_format.h"
#include "../tensor/ops.h"
#include "../tensor/shape.h"

namespace reel::data {

namespace {

// Where byte `offset` of `text` is, as "line L, column C" (both from 1; columns count bytes).
std::string position_of(std::string_view text, size_t offset) {
  const size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
  const size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  const size_t column = (offset == 0 || line_start == std::string_view::npos) ? offset + 1 : offset - line_start;
  return fmt::format("line {}, column {}", line, column);
}

// Decodes the code point at text[*offset], advancing *offset; throws naming `source` on invalid UTF-8.
char32_t decode_one(std::string_view text, size_t* offset, const std::string& source, const char* op) {
  const size_t start = *offset;
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(start);
  int length = 0;
  char32_t value = 0;
  char32_t minimum = 0;
  if (lead < 0x80) {
    *offset = start + 1;
    return lead;
  } else if ((lead & 0xe0) == 0xc0) {
    length = 2, value = lead & 0x1f, minimum = 0x80;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, value = lead & 0x0f, minimum = 0x800;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, value = lead & 0x07, minimum = 0x10000;
  } else {
    throw Error(fmt::format("{}: '{}': {}: invalid UTF-8 byte 0x{:02x}", op, source, position_of(text, start), lead));
  }
  if (text.size() - start < static_cast<size_t>(length)) {
    throw Error(fmt::format("{}: '{}': {}: UTF-8 sequence cut off by the end of the text", op, source,
                            position_of(text, start)));
  }
  for (int i = 1; i < length; ++i) {
    const uint8_t next = byte(start + i);
    if ((next & 0xc0) != 0x80) {
      throw Error(fmt::format("{}: '{}': {}: invalid UTF-8 continuation byte 0x{:02x}", op, source,
                              position_of(text, start + i), next));
    }
    value = (value << 6) | (next & 0x3f);
  }
  if (value < minimum || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) {
    throw Error(fmt::format("{}: '{}': {}: invalid UTF-8 sequence (overlong, surrogate or past U+10FFFF)", op, source,
                            position_of(text, start)));
  }
  *offset = start + length;
  return value;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
  }
}

std::string code_point_name(char32_t c) {
  if (c >= 0x20 && c < 0x7f) return fmt::format("'{}' (U+{:04X})", static_cast<char>(c), static_cast<uint32_t>(c));
  return fmt::format("U+{:04X}", static_cast<uint32_t>(c));
}

Tensor ids_tensor(const std::vector<int64_t>& ids) {
  Tensor out = Tensor::make({static_cast<int64_t>(ids.size())}, kInt64, Device(kCPU), "text");
  if (!ids.empty()) std::memcpy(out.data_ptr(), ids.data(), ids.size() * sizeof(int64_t));
  return out;
}

std::vector<int64_t> ids_of(const Tensor& ids, const char* op) {
  REEL_CHECK(ids.defined(), "{}: the ids tensor is undefined", op);
  REEL_CHECK(!ids.is_floating_point() && ids.dtype() != kBool, "{}: ids must be an integer tensor, got {}", op,
             dtype_name(ids.dtype()));
  return ids.to_vector<int64_t>();
}

// Lines of `text` as word_language_model reads them (see the file comment).
template <typename Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  size_t start = 0;
  int64_t number = 1;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    fn(text.substr(start, end - start), number++);
    start = end + 1;
  }
}

void check_utf8(std::string_view text, const std::string& source, const char* op) {
  const size_t bad = serialize::detail::find_invalid_utf8(text);
  if (bad == std::string_view::npos) return;
  size_t offset = bad;
  decode_one(text, &offset, source, op);  // throws with the position and the reason
  throw Error(fmt::format("{}: '{}': {}: invalid UTF-8", op, source, position_of(text, bad)));
}

}  // namespace

// ---- files ----------------------------------------------------------------------------------------------------------
std::string read_text_file(const std::string& path) {
  const serialize::detail::FileContext context{"read_text_file", path, ""};
  serialize::detail::FileReader reader(context);
  std::string text(static_cast<size_t>(reader.size()), '\0');
  reader.read(0, text.data(), text.size());
  return text;
}

// ---- characters -----------------------------------------------------------------------------------------------------
CharVocabulary CharVocabulary::build(std::string_view text, const std::string& source) {
  std::vector<char32_t> seen;
  std::vector<bool> ascii(128, false);
  for (size_t offset = 0; offset < text.size();) {
    const char32_t c = decode_one(text, &offset, source, "CharVocabulary");
    if (c < 128) {
      if (!ascii[c]) ascii[c] = true, seen.push_back(c);
    } else {
      seen.push_back(c);
    }
  }
  std::sort(seen.begin(), seen.end());
  seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  CharVocabulary vocab;
  vocab.symbols_ = std::move(seen);
  return vocab;
}

int64_t CharVocabulary::find(char32_t code_point) const {
  const auto found = std::lower_bound(symbols_.begin(), symbols_.end(), code_point);
  return found != symbols_.end() && *found == code_point ? found - symbols_.begin() : -1;
}

bool CharVocabulary::contains(char32_t code_point) const { return find(code_point) >= 0; }

int64_t CharVocabulary::id(char32_t code_point) const {
  const int64_t found = find(code_point);
  REEL_CHECK(found >= 0, "CharVocabulary: {} is not in the vocabulary of {} symbols", code_point_name(code_point),
             size());
  return found;
}

char32_t CharVocabulary::symbol(int64_t id) const {
  REEL_CHECK(id >= 0 && id < size(), "CharVocabulary: id {} is out of range for {} symbols", id, size());
  return symbols_[static_cast<size_t>(id)];
}

Tensor CharVocabulary::encode(std::string_view text, const std::string& source) const {
  std::vector<int64_t> ids;
  ids.reserve(text.size());
  for (size_t offset = 0; offset < text.size();) {
    const size_t start = offset;
    const char32_t c = decode_one(text, &offset, source, "CharVocabulary::encode");
    const int64_t found = find(c);
    if (found < 0) {
      throw Error(fmt::format("CharVocabulary::encode: '{}': {}: {} is not in the vocabulary", source,
                              position_of(text, start), code_point_name(c)));
    }
    ids.push_back(found);
  }
  return ids_tensor(ids);
}

std::string CharVocabulary::decode(const std::vector<int64_t>& ids) const {
  std::string out;
  out.reserve(ids.size());
  for (int64_t id : ids) append_utf8(out, symbol(id));
  return out;
}

std::string CharVocabulary::decode(const Tensor& ids) const { return decode(ids_of(ids, "CharVocabulary::decode")); }

CharText read_char_text(const std::string& path) {
  const std::string text = read_text_file(path);
  CharText result;
  result.vocab = CharVocabulary::build(text, path);
  result.ids = result.vocab.encode(text, path);
  return result;
}

// ---- words ----------------------------------------------------------------------------------------------------------
std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; };
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    const size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

struct Vocabulary::Index {
  std::unordered_map<std::string, int64_t> ids;
};

Vocabulary::Vocabulary() : index_(std::make_unique<Index>()) {}
Vocabulary::~Vocabulary() = default;
Vocabulary::Vocabulary(const Vocabulary& other)
    : tokens_(other.tokens_), index_(std::make_unique<Index>(other.index())) {}
Vocabulary::Vocabulary(Vocabulary&& other) noexcept = default;
Vocabulary& Vocabulary::operator=(const Vocabulary& other) {
  if (this != &other) {
    tokens_ = other.tokens_;
    index_ = std::make_unique<Index>(other.index());
  }
  return *this;
}
Vocabulary& Vocabulary::operator=(Vocabulary&& other) noexcept = default;

// A moved-from vocabulary has no index: it reads as empty.
const Vocabulary::Index& Vocabulary::index() const {
  static const Index empty;
  return index_ ? *index_ : empty;
}

int64_t Vocabulary::add(std::string_view token) {
  REEL_CHECK(!token.empty(), "Vocabulary::add: the empty string is not a token");
  if (!index_) index_ = std::make_unique<Index>();
  std::unordered_map<std::string, int64_t>& ids = index_->ids;
  const auto found = ids.find(std::string(token));
  if (found != ids.end()) return found->second;
  const int64_t id = size();
  tokens_.emplace_back(token);
  ids.emplace(tokens_.back(), id);
  return id;
}

bool Vocabulary::contains(std::string_view token) const { return index().ids.count(std::string(token)) != 0; }

int64_t Vocabulary::id(std::string_view token) const {
  const std::unordered_map<std::string, int64_t>& ids = index().ids;
  const auto found = ids.find(std::string(token));
  if (found != ids.end()) return found->second;
  const auto unk = ids.find(kUnk);
  REEL_CHECK(unk != ids.end(), "Vocabulary: '{}' is not in the vocabulary and there is no {} to stand for it",
             token, kUnk);
  return unk->second;
}

const std::string& Vocabulary::token(int64_t id) const {
  REEL_CHECK(id >= 0 && id < size(), "Vocabulary: id {} is out of range for {} tokens", id, size());
  return tokens_[static_cast<size_t>(id)];
}

int64_t Vocabulary::unk_id() const {
  const auto found = index().ids.find(kUnk);
  REEL_CHECK(found != index().ids.end(), "Vocabulary: there is no {} token", kUnk);
  return found->second;
}

int64_t Vocabulary::eos_id() const {
  const auto found = index().ids.find(kEos);
  REEL_CHECK(found != index().ids.end(), "Vocabulary: there is no {} token", kEos);
  return found->second;
}

std::string Vocabulary::decode(const Tensor& ids) const {
  std::string out;
  for (int64_t id : ids_of(ids, "Vocabulary::decode")) {
    if (!out.empty()) out.push_back(' ');
    out += token(id);
  }
  return out;
}

Vocabulary Vocabulary::build_from_file(const std::string& path) {
  const std::string text = read_text_file(path);
  check_utf8(text, path, "Vocabulary::build_from_file");
  Vocabulary vocab;
  for_each_line(text, [&](std::string_view line, int64_t) {
    for (std::string_view word : split_words(line)) vocab.add(word);
    vocab.add(kEos);
  });
  if (!vocab.contains(kUnk)) vocab.add(kUnk);
  return vocab;
}

Tensor encode_words_file(const std::string& path, const Vocabulary& vocab) {
  const std::string text = read_text_file(path);
  check_utf8(text, path, "encode_words_file");
  const int64_t eos = vocab.eos_id();
  std::vector<int64_t> ids;
  ids.reserve(text.size() / 4);
  for_each_line(text, [&](std::string_view line, int64_t number) {
    for (std::string_view word : split_words(line)) {
      if (!vocab.contains(word) && !vocab.contains(Vocabulary::kUnk)) {
        throw Error(fmt::format("encode_words_file: '{}': line {}: '{}' is not in the vocabulary, which has no {}",
                                path, number, word, Vocabulary::kUnk));
      }
      ids.push_back(vocab.id(word));
    }
    ids.push_back(eos);
  });
  return ids_tensor(ids);
}

// ---- BPTT batches ---------------------------------------------------------------------------------------------------
Tensor batchify(const Tensor& ids, int64_t batch_size) {
  REEL_CHECK(ids.defined() && ids.dim() == 1, "batchify: ids must be a 1-D tensor, got {}",
             ids.defined() ? shape_str(ids.sizes()) : std::string("an undefined tensor"));
  REEL_CHECK(batch_size >= 1, "batchify: batch_size must be at least 1, got {}", batch_size);
  const int64_t steps = ids.size(0) / batch_size;
  REEL_CHECK(steps >= 1, "batchify: {} ids are fewer than one per column of batch_size {}", ids.size(0), batch_size);
  return ids.narrow(0, 0, steps * batch_size).view({batch_size, steps}).t().contiguous();
}

std::pair<Tensor, Tensor> bptt_batch(const Tensor& source, int64_t i, int64_t bptt) {
  REEL_CHECK(source.defined() && source.dim() >= 1, "bptt_batch: source must have a time dimension, got {}",
             source.defined() ? shape_str(source.sizes()) : std::string("an undefined tensor"));
  REEL_CHECK(bptt >= 1, "bptt_batch: bptt must be at least 1, got {}", bptt);
  const int64_t length = source.size(0);
  REEL_CHECK(i >= 0 && i < length - 1, "bptt_batch: position {} is outside [0, {}) for a source of {} steps", i,
             length - 1, length);
  const int64_t steps = std::min(bptt, length - 1 - i);
  Tensor input = source.narrow(0, i, steps);
  Tensor target = source.narrow(0, i + 1, steps).reshape({-1});
  return {input, target};
}

}  // namespace reel::data
