// reel/nn/serialize_json.cpp — the small JSON parser and string writer behind the safetensors header.
//
// The parser follows RFC 8259 strictly (no comments, no trailing commas, no leading zeros, no NaN), decodes
// \uXXXX escapes including surrogate pairs into UTF-8, and refuses lone surrogates, raw control characters
// in strings and nesting deeper than kMaxJsonDepth, so hostile headers cannot exhaust the stack. Numbers are
// kept as the literal text; json_to_uint64 reads the integer ones. Object members keep the file's order and
// duplicates, so callers can report a duplicated tensor name precisely. The input is bounded by the caller
// (the safetensors header limit), and the tree the parser builds is proportional to it.
#include <cstring>

#include "../tensor/error_format.h"
#include "serialize_internal.h"

namespace reel::serialize::detail {

namespace {

class JsonParser {
 public:
  JsonParser(std::string_view text, const FileContext& context) : text_(text), context_(context) {}

  JsonValue parse_document() {
    skip_whitespace();
    JsonValue value = parse_value(0);
    skip_whitespace();
    if (pos_ != text_.size()) fail("unexpected text after the top-level value");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    context_.fail(fmt::format("bad JSON header: {} at byte {}", what, pos_));
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  void skip_whitespace() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
  }

  void expect(char c) {
    if (at_end()) fail(fmt::format("the text ends where '{}' was expected", c));
    if (peek() != c) fail(fmt::format("expected '{}'", c));
    ++pos_;
  }

  JsonValue parse_value(int depth) {
    if (at_end()) fail("the text ends where a value was expected");
    switch (peek()) {
      case '{':
        return parse_object(depth + 1);
      case '[':
        return parse_array(depth + 1);
      case '"': {
        JsonValue value;
        value.kind = JsonValue::Kind::String;
        value.text = parse_string();
        return value;
      }
      case 't':
        return parse_literal("true", JsonValue::Kind::Bool, true);
      case 'f':
        return parse_literal("false", JsonValue::Kind::Bool, false);
      case 'n':
        return parse_literal("null", JsonValue::Kind::Null, false);
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return parse_number();
        fail("unexpected character");
    }
  }

  JsonValue parse_literal(std::string_view word, JsonValue::Kind kind, bool boolean) {
    if (text_.substr(pos_, word.size()) != word) fail("unknown literal");
    pos_ += word.size();
    JsonValue value;
    value.kind = kind;
    value.boolean = boolean;
    return value;
  }

  void check_depth(int depth) const {
    if (depth > kMaxJsonDepth) fail(fmt::format("nesting deeper than {} levels", kMaxJsonDepth));
  }

  JsonValue parse_object(int depth) {
    check_depth(depth);
    JsonValue value;
    value.kind = JsonValue::Kind::Object;
    expect('{');
    skip_whitespace();
    if (!at_end() && peek() == '}') {
      ++pos_;
      return value;
    }
    while (true) {
      skip_whitespace();
      if (at_end() || peek() != '"') fail("expected a string key");
      std::string key = parse_string();
      skip_whitespace();
      expect(':');
      skip_whitespace();
      JsonValue member = parse_value(depth);
      value.members.emplace_back(std::move(key), std::move(member));
      skip_whitespace();
      if (at_end()) fail("the text ends inside an object");
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect('}');
      return value;
    }
  }

  JsonValue parse_array(int depth) {
    check_depth(depth);
    JsonValue value;
    value.kind = JsonValue::Kind::Array;
    expect('[');
    skip_whitespace();
    if (!at_end() && peek() == ']') {
      ++pos_;
      return value;
    }
    while (true) {
      skip_whitespace();
      value.items.push_back(parse_value(depth));
      skip_whitespace();
      if (at_end()) fail("the text ends inside an array");
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect(']');
      return value;
    }
  }

  size_t count_digits() {
    const size_t start = pos_;
    while (!at_end() && peek() >= '0' && peek() <= '9') ++pos_;
    return pos_ - start;
  }

  JsonValue parse_number() {
    const size_t start = pos_;
    if (peek() == '-') ++pos_;
    if (at_end()) fail("a number has no digits");
    if (peek() == '0') {
      ++pos_;
      if (!at_end() && peek() >= '0' && peek() <= '9') fail("a number has a leading zero");
    } else if (count_digits() == 0) {
      fail("a number has no digits");
    }
    if (!at_end() && peek() == '.') {
      ++pos_;
      if (count_digits() == 0) fail("a number has no digits after its decimal point");
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      ++pos_;
      if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
      if (count_digits() == 0) fail("a number has no digits in its exponent");
    }
    JsonValue value;
    value.kind = JsonValue::Kind::Number;
    value.text = std::string(text_.substr(start, pos_ - start));
    return value;
  }

  uint32_t parse_hex4() {
    if (text_.size() - pos_ < 4) fail("a \\u escape is cut short");
    uint32_t code = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      code <<= 4;
      if (c >= '0' && c <= '9') {
        code |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        code |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        code |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        fail("a \\u escape has a non-hex digit");
      }
    }
    return code;
  }

  static void append_utf8(std::string& out, uint32_t code) {
    if (code < 0x80) {
      out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (code >> 6)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    } else if (code < 0x10000) {
      out.push_back(static_cast<char>(0xe0 | (code >> 12)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xf0 | (code >> 18)));
      out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    }
  }

  std::string parse_string() {
    expect('"');
    std::string out;
    while (true) {
      if (at_end()) fail("the text ends inside a string");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        break;
      }
      if (static_cast<uint8_t>(c) < 0x20) fail("a raw control character in a string");
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      ++pos_;
      if (at_end()) fail("the text ends inside an escape");
      const char escape = text_[pos_++];
      switch (escape) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          uint32_t code = parse_hex4();
          if (code >= 0xdc00 && code <= 0xdfff) fail("a lone low surrogate in a \\u escape");
          if (code >= 0xd800 && code <= 0xdbff) {
            if (text_.substr(pos_, 2) != "\\u") fail("a high surrogate without its low half");
            pos_ += 2;
            const uint32_t low = parse_hex4();
            if (low < 0xdc00 || low > 0xdfff) fail("a high surrogate without its low half");
            code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
          }
          append_utf8(out, code);
          break;
        }
        default:
          --pos_;
          fail("an unknown escape");
      }
    }
    if (find_invalid_utf8(out) != std::string_view::npos) fail("a string that is not valid UTF-8");
    return out;
  }

  std::string_view text_;
  const FileContext& context_;
  size_t pos_ = 0;
};

}  // namespace

JsonValue::JsonValue() = default;
JsonValue::JsonValue(const JsonValue&) = default;
JsonValue::JsonValue(JsonValue&&) noexcept = default;
JsonValue& JsonValue::operator=(const JsonValue&) = default;
JsonValue& JsonValue::operator=(JsonValue&&) noexcept = default;
JsonValue::~JsonValue() = default;

JsonValue parse_json(std::string_view text, const FileContext& context) {
  return JsonParser(text, context).parse_document();
}

bool json_to_uint64(const JsonValue& value, uint64_t* out) {
  if (value.kind != JsonValue::Kind::Number || value.text.empty()) return false;
  uint64_t result = 0;
  for (char c : value.text) {
    if (c < '0' || c > '9') return false;  // sign, fraction or exponent
    if (__builtin_mul_overflow(result, uint64_t{10}, &result) ||
        __builtin_add_overflow(result, static_cast<uint64_t>(c - '0'), &result)) {
      return false;
    }
  }
  *out = result;
  return true;
}

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<uint8_t>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<uint8_t>(c)));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

const char* json_kind_name(JsonValue::Kind kind) {
  switch (kind) {
    case JsonValue::Kind::Null:
      return "null";
    case JsonValue::Kind::Bool:
      return "a boolean";
    case JsonValue::Kind::Number:
      return "a number";
    case JsonValue::Kind::String:
      return "a string";
    case JsonValue::Kind::Array:
      return "an array";
    case JsonValue::Kind::Object:
      return "an object";
  }
  return "?";
}

}  // namespace reel::serialize::detail
