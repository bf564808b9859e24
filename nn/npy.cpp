// reel/nn/npy.cpp — NumPy's .npy format: save_npy / load_npy (nn/serialize.h), and the header writer and
// image reader that npz.cpp uses for archive members.
//
// A .npy file is: "\x93NUMPY", major and minor version bytes, the header length (u16 little-endian in format
// 1.0, u32 in 2.0 and 3.0), then a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and ended by '\n' so the data starts on a 64-byte boundary, then the raw data.
// Writing reproduces numpy.save byte for byte (including the spare spaces it leaves after the dict so the
// first dim can grow in place). Reading parses the literal with a small parser that accepts only what the
// three keys can hold (strings, True/False, tuples of integers), checks the declared byte count against
// the bytes really present before allocating, byte-swaps big-endian data, and turns Fortran order into
// reel's row-major layout.
#include <algorithm>
#include <array>
#include <cstring>

#include "serialize.h"
#include "serialize_internal.h"

namespace reel::serialize {

using detail::FileContext;

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;
constexpr uint64_t kMaxHeaderBytes = uint64_t{1} << 20;
constexpr size_t kArrayAlign = 64;
constexpr size_t kGrowthAxisMaxDigits = 21;  // numpy leaves room for the first dim to grow to this many digits

const char* npy_descr(ScalarType dtype) {
  switch (dtype) {
    case kFloat64:
      return "<f8";
    case kFloat32:
      return "<f4";
    case kFloat16:
      return "<f2";
    case kInt64:
      return "<i8";
    case kInt32:
      return "<i4";
    case kInt16:
      return "<i2";
    case kInt8:
      return "|i1";
    case kUInt8:
      return "|u1";
    case kBool:
      return "|b1";
    default:
      return nullptr;
  }
}

// ---- the header's Python literal -------------------------------------------------------------------------
struct PyValue {
  enum class Kind { String, Bool, Tuple } kind;
  std::string text;
  bool boolean = false;
  std::vector<int64_t> ints;
};

class PyLiteralParser {
 public:
  PyLiteralParser(std::string_view text, const FileContext& context) : text_(text), context_(context) {}

  std::vector<std::pair<std::string, PyValue>> parse_dict() {
    std::vector<std::pair<std::string, PyValue>> entries;
    skip_whitespace();
    expect('{');
    while (true) {
      skip_whitespace();
      if (at_end()) fail("the header ends inside the dict");
      if (peek() == '}') {
        ++pos_;
        break;
      }
      if (peek() != '\'' && peek() != '"') fail("expected a string key");
      std::string key = parse_string();
      skip_whitespace();
      expect(':');
      skip_whitespace();
      entries.emplace_back(std::move(key), parse_value());
      skip_whitespace();
      if (at_end()) fail("the header ends inside the dict");
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != '}') {
        fail("expected ',' or '}'");
      }
    }
    skip_whitespace();
    if (!at_end()) fail("unexpected text after the dict");
    return entries;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    context_.fail(fmt::format("bad .npy header: {} at header byte {}", what, pos_));
  }
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  void skip_whitespace() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r' || peek() == '\f')) ++pos_;
  }
  void expect(char c) {
    if (at_end() || peek() != c) fail(fmt::format("expected '{}'", c));
    ++pos_;
  }

  std::string parse_string() {
    const char quote = text_[pos_++];
    std::string out;
    while (true) {
      if (at_end()) fail("the header ends inside a string");
      const char c = text_[pos_++];
      if (c == quote) return out;
      if (c == '\\' || c == '\n') fail("escapes and line breaks are not supported in header strings");
      out.push_back(c);
    }
  }

  int64_t parse_int() {
    if (at_end() || peek() < '0' || peek() > '9') fail("expected a non-negative integer");
    int64_t value = 0;
    while (!at_end() && peek() >= '0' && peek() <= '9') {
      if (__builtin_mul_overflow(value, int64_t{10}, &value) || __builtin_add_overflow(value, peek() - '0', &value)) {
        fail("an integer does not fit in 64 bits");
      }
      ++pos_;
    }
    if (!at_end() && (peek() == 'L' || peek() == 'l')) ++pos_;  // Python 2's long suffix, in old files
    return value;
  }

  PyValue parse_value() {
    if (at_end()) fail("the header ends where a value was expected");
    PyValue value{PyValue::Kind::String, {}, false, {}};
    const char c = peek();
    if (c == '\'' || c == '"') {
      value.text = parse_string();
    } else if (text_.substr(pos_, 4) == "True" || text_.substr(pos_, 5) == "False") {
      value.kind = PyValue::Kind::Bool;
      value.boolean = c == 'T';
      pos_ += value.boolean ? 4 : 5;
    } else if (c == '(') {
      value.kind = PyValue::Kind::Tuple;
      ++pos_;
      while (true) {
        skip_whitespace();
        if (at_end()) fail("the header ends inside a tuple");
        if (peek() == ')') {
          ++pos_;
          break;
        }
        if (value.ints.size() >= detail::kMaxDims)
          fail(fmt::format("a shape with more than {} dims", detail::kMaxDims));
        value.ints.push_back(parse_int());
        skip_whitespace();
        if (!at_end() && peek() == ',') {
          ++pos_;
        } else if (at_end() || peek() != ')') {
          fail("expected ',' or ')' in a tuple");
        }
      }
    } else if (c == '[') {
      fail("a list value (structured dtypes are not supported)");
    } else {
      fail("an unsupported value");
    }
    return value;
  }

  std::string_view text_;
  const FileContext& context_;
  size_t pos_ = 0;
};

// descr -> dtype and byte order; unsupported descrs are an error naming them.
ScalarType parse_descr(const std::string& descr, bool* big_endian, const FileContext& context) {
  std::string_view body = descr;
  char order = '=';
  if (!body.empty() && (body[0] == '<' || body[0] == '>' || body[0] == '=' || body[0] == '|')) {
    order = body[0];
    body.remove_prefix(1);
  }
  struct Known {
    std::string_view code;
    ScalarType dtype;
  };
  constexpr std::array<Known, 9> kKnown{{{"f8", kFloat64},
                                         {"f4", kFloat32},
                                         {"f2", kFloat16},
                                         {"i8", kInt64},
                                         {"i4", kInt32},
                                         {"i2", kInt16},
                                         {"i1", kInt8},
                                         {"u1", kUInt8},
                                         {"b1", kBool}}};
  for (const Known& known : kKnown) {
    if (body == known.code) {
      *big_endian = order == '>' && element_size(known.dtype) > 1;
      return known.dtype;
    }
  }
  context.fail(fmt::format("unsupported dtype {}; reel reads <f8 <f4 <f2 <i8 <i4 |u1 |b1 (either byte order)",
                           detail::quoted(descr)));
}

void byteswap_in_place(const Tensor& tensor) {
  const int64_t width = tensor.element_size();
  auto* bytes = static_cast<uint8_t*>(tensor.data_ptr());
  for (int64_t i = 0; i < tensor.numel(); ++i) std::reverse(bytes + i * width, bytes + (i + 1) * width);
}

}  // namespace

namespace detail {

std::string npy_header(ScalarType dtype, IntList sizes, const FileContext& context, const std::string& what) {
  const char* descr = npy_descr(dtype);
  if (descr == nullptr) {
    context.fail(fmt::format("{} is {}, which NumPy's format cannot store; convert it first, e.g. .to(reel::kFloat32)",
                             what, dtype_name(dtype)));
  }
  std::string shape = "(";
  for (size_t d = 0; d < sizes.size(); ++d) shape += fmt::format("{}{}", d == 0 ? "" : ", ", sizes[d]);
  shape += sizes.size() == 1 ? ",)" : ")";
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr, shape);
  if (!sizes.empty()) dict.append(kGrowthAxisMaxDigits - fmt::format("{}", sizes[0]).size(), ' ');

  // Version 1.0 when the padded header length fits in 16 bits, else 2.0 (numpy's rule).
  const size_t text_bytes = dict.size() + 1;  // with the final '\n'
  for (const size_t prefix : {kMagicBytes + 4, kMagicBytes + 6}) {
    const size_t padding = kArrayAlign - (prefix + text_bytes) % kArrayAlign;
    const size_t header_length = text_bytes + padding;
    if (prefix == kMagicBytes + 4 && header_length >= 65536) continue;
    std::string out(kMagic, kMagicBytes);
    out.push_back(prefix == kMagicBytes + 4 ? '\x01' : '\x02');
    out.push_back('\0');
    append_le(out, header_length, prefix == kMagicBytes + 4 ? 2 : 4);
    out += dict;
    out.append(padding, ' ');
    out.push_back('\n');
    return out;
  }
  context.fail("the .npy header does not fit");  // unreachable: format 2.0 takes any length below 4 GiB
}

Tensor read_npy(ByteSource& source, const FileContext& context) {
  if (source.size() < kMagicBytes + 4) {
    context.fail(fmt::format("{} bytes are too short for a .npy header (truncated?)", source.size()));
  }
  uint8_t prefix[kMagicBytes + 6] = {};
  source.read(0, prefix, kMagicBytes + 4);
  if (std::memcmp(prefix, kMagic, kMagicBytes) != 0) context.fail("not a .npy file: wrong magic bytes");
  const int major = prefix[kMagicBytes];
  const int minor = prefix[kMagicBytes + 1];
  if ((major != 1 && major != 2 && major != 3) || minor != 0) {
    context.fail(fmt::format("unsupported .npy format version {}.{} (reel reads 1.0, 2.0 and 3.0)", major, minor));
  }
  uint64_t header_start = kMagicBytes + 4;
  uint64_t header_length = load_le16(prefix + kMagicBytes + 2);
  if (major >= 2) {
    if (source.size() < kMagicBytes + 6) context.fail("the file ends inside the .npy header length (truncated?)");
    source.read(kMagicBytes + 4, prefix + kMagicBytes + 4, 2);  // reads stay front to back (see npz.cpp)
    header_start = kMagicBytes + 6;
    header_length = load_le32(prefix + kMagicBytes + 2);
  }
  if (header_length > kMaxHeaderBytes) {
    context.fail(fmt::format("the .npy header length {} exceeds the {}-byte limit", header_length, kMaxHeaderBytes));
  }
  if (header_length > source.size() - header_start) {
    context.fail(fmt::format("the .npy header length {} is larger than the rest of the data ({} bytes; truncated?)",
                             header_length, source.size() - header_start));
  }
  std::string header(header_length, '\0');
  source.read(header_start, header.data(), header_length);

  const PyValue* descr = nullptr;
  const PyValue* fortran_order = nullptr;
  const PyValue* shape = nullptr;
  const auto entries = PyLiteralParser(header, context).parse_dict();
  for (const auto& [key, value] : entries) {
    const PyValue** slot = key == "descr"           ? &descr
                           : key == "fortran_order" ? &fortran_order
                           : key == "shape"         ? &shape
                                                    : nullptr;
    if (slot == nullptr) context.fail(fmt::format("bad .npy header: unexpected key {}", quoted(key)));
    if (*slot != nullptr) context.fail(fmt::format("bad .npy header: duplicate key {}", quoted(key)));
    *slot = &value;
  }
  if (descr == nullptr || fortran_order == nullptr || shape == nullptr) {
    context.fail(fmt::format("bad .npy header: the key '{}' is missing", descr == nullptr           ? "descr"
                                                                         : fortran_order == nullptr ? "fortran_order"
                                                                                                    : "shape"));
  }
  if (descr->kind != PyValue::Kind::String) context.fail("bad .npy header: 'descr' is not a string");
  if (fortran_order->kind != PyValue::Kind::Bool) context.fail("bad .npy header: 'fortran_order' is not True or False");
  if (shape->kind != PyValue::Kind::Tuple) context.fail("bad .npy header: 'shape' is not a tuple");

  bool big_endian = false;
  const ScalarType dtype = parse_descr(descr->text, &big_endian, context);
  const uint64_t data_start = header_start + header_length;
  const uint64_t available = source.size() - data_start;
  const uint64_t needed = checked_nbytes(shape->ints, element_size(dtype), context, "the array");
  if (available != needed) {
    context.fail(fmt::format("shape {} of {} needs {} data bytes, but {} follow the header{}", shape_str(shape->ints),
                             descr->text, needed, available, available < needed ? " (truncated?)" : ""));
  }
  const bool transpose = fortran_order->boolean && shape->ints.size() > 1;
  std::vector<int64_t> stored_sizes = shape->ints;
  if (transpose) std::reverse(stored_sizes.begin(), stored_sizes.end());
  Tensor tensor = read_tensor(source, data_start, stored_sizes, dtype, context);
  if (big_endian) byteswap_in_place(tensor);
  if (!transpose) return tensor;
  std::vector<int64_t> reversed_dims(stored_sizes.size());
  for (size_t d = 0; d < reversed_dims.size(); ++d)
    reversed_dims[d] = static_cast<int64_t>(reversed_dims.size() - 1 - d);
  return tensor.permute(reversed_dims).contiguous();
}

}  // namespace detail

void save_npy(const std::string& path, const Tensor& tensor) {
  const FileContext context{"save_npy", path, {}};
  if (!tensor.defined()) context.fail("the tensor is undefined");
  const std::string header = detail::npy_header(tensor.dtype(), tensor.sizes(), context, "the tensor");
  const Tensor data = detail::contiguous_cpu(tensor);
  detail::AtomicFileWriter out(context);
  out.write(header);
  if (data.numel() > 0) out.write(data.data_ptr(), static_cast<uint64_t>(data.nbytes()));
  out.commit();
}

Tensor load_npy(const std::string& path) {
  const FileContext context{"load_npy", path, {}};
  detail::FileReader file(context);
  return detail::read_npy(file, context);
}

}  // namespace reel::serialize
