// reel/nn/safetensors.cpp — save_safetensors / load_safetensors (nn/serialize.h).
//
// The layout, as the Python `safetensors` package (its Rust core) writes it:
//   u64 little-endian N | N bytes of JSON, padded with spaces to a multiple of 8 | the data section
// The JSON object maps each tensor name to {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}
// (offsets relative to the data section) and may hold "__metadata__": {string: string}, written first.
// Writing follows the reference byte for byte: compact JSON, serde_json's string escaping, tensors sorted by
// descending dtype (the reference's enum order, which is by alignment) and then by name, data packed back to
// back in that order. Metadata keys are written sorted; the reference writes them in its hash map's order,
// which changes from run to run, so only files without metadata can be identical to its output.
//
// Reading checks, before any tensor is allocated: the header length against a 100 MB limit (the
// reference's) and the file's size; UTF-8 and JSON well-formedness; each entry's fields and types; known and
// supported dtypes; shapes whose byte count fits in 63 bits; begin <= end, end within the data section and
// end - begin equal to the shape's byte count; and, sorted by offset, that the ranges tile the data section
// exactly (no overlap, no gap, no trailing bytes), which is what the reference requires too.
#include <algorithm>
#include <map>
#include <set>

#include "../tensor/error_format.h"
#include "serialize.h"
#include "serialize_internal.h"

namespace reel::serialize {

using detail::FileContext;
using detail::JsonValue;

namespace {

constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr const char* kMetadataKey = "__metadata__";

// The reference's Dtype enum lists types in increasing alignment; `rank` is the position in that enum, used
// to order tensors on save exactly as the reference does.
struct SafetensorsDtype {
  const char* name;
  int rank;
  bool supported;
  ScalarType type;
};

constexpr SafetensorsDtype kDtypes[] = {
    {"BOOL", 0, true, kBool},       {"U8", 1, true, kUInt8},       {"I8", 2, true, kInt8},
    {"F8_E5M2", 3, false, kUInt8},  {"F8_E4M3", 4, false, kUInt8}, {"I16", 5, true, kInt16},
    {"U16", 6, false, kUInt8},      {"F16", 7, true, kFloat16},    {"BF16", 8, true, kBFloat16},
    {"I32", 9, true, kInt32},       {"U32", 10, false, kUInt8},    {"F32", 11, true, kFloat32},
    {"F64", 12, true, kFloat64},    {"I64", 13, true, kInt64},     {"U64", 14, false, kUInt8},
    {"F8_E8M0", -1, false, kUInt8}, {"F4", -1, false, kUInt8},     {"F6_E2M3", -1, false, kUInt8},
    {"F6_E3M2", -1, false, kUInt8}, {"C64", -1, false, kUInt8},
};

const SafetensorsDtype& dtype_entry(ScalarType type) {
  for (const auto& entry : kDtypes) {
    if (entry.supported && entry.type == type) return entry;
  }
  throw Error(fmt::format("safetensors: no safetensors dtype for {}", dtype_name(type)));
}

const SafetensorsDtype* find_dtype(const std::string& name) {
  for (const auto& entry : kDtypes) {
    if (name == entry.name) return &entry;
  }
  return nullptr;
}

void check_utf8(const FileContext& context, std::string_view text, const char* what) {
  if (detail::find_invalid_utf8(text) != std::string_view::npos) {
    context.fail(fmt::format("{} {} is not valid UTF-8", what, detail::quoted(text)));
  }
}

// ---- header parsing --------------------------------------------------------------------------------------
struct Entry {
  std::string name;
  ScalarType dtype;
  std::vector<int64_t> shape;
  uint64_t begin;
  uint64_t end;
};

uint64_t header_uint(const JsonValue& value, const FileContext& context, const std::string& what) {
  uint64_t result = 0;
  if (!detail::json_to_uint64(value, &result)) {
    context.fail(fmt::format("{} must be a non-negative integer below 2^64, not {}{}", what,
                             detail::json_kind_name(value.kind),
                             value.kind == JsonValue::Kind::Number ? " " + value.text : std::string()));
  }
  return result;
}

Entry parse_entry(const std::string& name, const JsonValue& info, const FileContext& context) {
  const std::string where = "tensor " + detail::quoted(name);
  if (info.kind != JsonValue::Kind::Object) {
    context.fail(fmt::format("{}: its header entry is {}, not an object", where, detail::json_kind_name(info.kind)));
  }
  const JsonValue* dtype = nullptr;
  const JsonValue* shape = nullptr;
  const JsonValue* offsets = nullptr;
  for (const auto& [key, value] : info.members) {
    const JsonValue** slot = key == "dtype"          ? &dtype
                             : key == "shape"        ? &shape
                             : key == "data_offsets" ? &offsets
                                                     : nullptr;
    if (slot == nullptr) continue;  // unknown fields are ignored, as the reference does
    if (*slot != nullptr) context.fail(fmt::format("{}: duplicate field '{}'", where, key));
    *slot = &value;
  }
  if (dtype == nullptr || shape == nullptr || offsets == nullptr) {
    context.fail(fmt::format("{}: its header entry lacks '{}'", where,
                             dtype == nullptr   ? "dtype"
                             : shape == nullptr ? "shape"
                                                : "data_offsets"));
  }
  Entry entry;
  entry.name = name;
  if (dtype->kind != JsonValue::Kind::String) context.fail(fmt::format("{}: dtype is not a string", where));
  const SafetensorsDtype* known = find_dtype(dtype->text);
  if (known == nullptr) context.fail(fmt::format("{}: unknown dtype {}", where, detail::quoted(dtype->text)));
  if (!known->supported) {
    context.fail(
        fmt::format("unsupported dtype {} ({}); reel reads F64 F32 F16 BF16 I64 I32 U8 BOOL", known->name, where));
  }
  entry.dtype = known->type;
  if (shape->kind != JsonValue::Kind::Array) context.fail(fmt::format("{}: shape is not an array", where));
  if (shape->items.size() > detail::kMaxDims) {
    context.fail(
        fmt::format("{}: shape has {} dims; at most {} are supported", where, shape->items.size(), detail::kMaxDims));
  }
  for (const JsonValue& size : shape->items) {
    const uint64_t value = header_uint(size, context, where + ": a shape entry");
    if (value > static_cast<uint64_t>(INT64_MAX))
      context.fail(fmt::format("{}: shape entry {} is too large", where, value));
    entry.shape.push_back(static_cast<int64_t>(value));
  }
  if (offsets->kind != JsonValue::Kind::Array || offsets->items.size() != 2) {
    context.fail(fmt::format("{}: data_offsets must be an array [begin, end]", where));
  }
  entry.begin = header_uint(offsets->items[0], context, where + ": data_offsets begin");
  entry.end = header_uint(offsets->items[1], context, where + ": data_offsets end");
  if (entry.begin > entry.end) {
    context.fail(fmt::format("{}: data_offsets [{}, {}] begin after they end", where, entry.begin, entry.end));
  }
  const uint64_t nbytes = detail::checked_nbytes(entry.shape, element_size(entry.dtype), context, where);
  if (entry.end - entry.begin != nbytes) {
    context.fail(fmt::format("{}: data_offsets [{}, {}] span {} bytes, but shape {} of {} needs {}", where, entry.begin,
                             entry.end, entry.end - entry.begin, shape_str(entry.shape), known->name, nbytes));
  }
  return entry;
}

}  // namespace

// ---- save -----------------------------------------------------------------------------------------------
void save_safetensors(const std::string& path, const NamedTensors& tensors, const SafetensorsMetadata& entries) {
  const FileContext context{"save_safetensors", path, {}};
  std::map<std::string, std::string> metadata;  // written with its keys sorted
  for (const auto& [key, value] : entries) {
    if (!metadata.emplace(key, value).second)
      context.fail(fmt::format("metadata key {} is given twice", detail::quoted(key)));
  }
  std::set<std::string_view> names;
  std::vector<Tensor> data;
  data.reserve(tensors.size());
  for (const auto& [name, tensor] : tensors) {
    check_utf8(context, name, "tensor name");
    if (name == kMetadataKey) context.fail("'__metadata__' is reserved and cannot name a tensor");
    if (!names.insert(name).second) context.fail(fmt::format("tensor name {} is given twice", detail::quoted(name)));
    if (!tensor.defined()) context.fail(fmt::format("tensor {} is undefined", detail::quoted(name)));
    data.push_back(detail::contiguous_cpu(tensor));
  }
  for (const auto& [key, value] : metadata) {
    check_utf8(context, key, "metadata key");
    check_utf8(context, value, "metadata value");
  }

  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const int rank_a = dtype_entry(data[a].dtype()).rank;
    const int rank_b = dtype_entry(data[b].dtype()).rank;
    if (rank_a != rank_b) return rank_a > rank_b;
    return tensors[a].first < tensors[b].first;
  });

  std::string header = "{";
  if (!metadata.empty()) {
    detail::append_json_string(header, kMetadataKey);
    header += ":{";
    bool first = true;
    for (const auto& [key, value] : metadata) {
      if (!first) header.push_back(',');
      first = false;
      detail::append_json_string(header, key);
      header.push_back(':');
      detail::append_json_string(header, value);
    }
    header += "}";
  }
  uint64_t offset = 0;
  for (size_t i : order) {
    if (header.size() > 1) header.push_back(',');
    detail::append_json_string(header, tensors[i].first);
    header += fmt::format(":{{\"dtype\":\"{}\",\"shape\":[", dtype_entry(data[i].dtype()).name);
    for (int64_t d = 0; d < data[i].dim(); ++d) header += fmt::format("{}{}", d == 0 ? "" : ",", data[i].size(d));
    const auto nbytes = static_cast<uint64_t>(data[i].nbytes());
    header += fmt::format("],\"data_offsets\":[{},{}]}}", offset, offset + nbytes);
    offset += nbytes;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');

  detail::AtomicFileWriter out(context);
  std::string length;
  detail::append_le(length, header.size(), 8);
  out.write(length);
  out.write(header);
  for (size_t i : order) {
    if (data[i].numel() > 0) out.write(data[i].data_ptr(), static_cast<uint64_t>(data[i].nbytes()));
  }
  out.commit();
}

// ---- load -----------------------------------------------------------------------------------------------
NamedTensors load_safetensors(const std::string& path, SafetensorsMetadata* metadata) {
  const FileContext context{"load_safetensors", path, {}};
  detail::FileReader file(context);
  if (file.size() < 8) {
    context.fail(fmt::format("the file is {} bytes, too short for the 8-byte header length (truncated?)", file.size()));
  }
  uint8_t length_bytes[8];
  file.read(0, length_bytes, 8);
  const uint64_t header_bytes = detail::load_le64(length_bytes);
  if (header_bytes > kMaxHeaderBytes) {
    context.fail(fmt::format("the header length {} exceeds the {}-byte limit (not a safetensors file?)", header_bytes,
                             kMaxHeaderBytes));
  }
  if (header_bytes > file.size() - 8) {
    context.fail(fmt::format("the header length {} is larger than the rest of the file ({} bytes; truncated?)",
                             header_bytes, file.size() - 8));
  }
  std::string header(header_bytes, '\0');
  file.read(8, header.data(), header_bytes);
  const size_t bad_byte = detail::find_invalid_utf8(header);
  if (bad_byte != std::string::npos) {
    context.fail(fmt::format("the header is not valid UTF-8 (byte 0x{:02x} at header offset {})",
                             static_cast<uint8_t>(header[bad_byte]), bad_byte));
  }
  const JsonValue root = detail::parse_json(header, context);
  if (root.kind != JsonValue::Kind::Object) {
    context.fail(fmt::format("the header is {}, not a JSON object", detail::json_kind_name(root.kind)));
  }

  std::map<std::string, std::string> file_metadata;
  bool seen_metadata = false;
  std::set<std::string_view> names;
  std::vector<Entry> entries;
  for (const auto& [name, value] : root.members) {
    if (name == kMetadataKey) {
      if (seen_metadata) context.fail("'__metadata__' appears twice");
      seen_metadata = true;
      if (value.kind == JsonValue::Kind::Null) continue;
      if (value.kind != JsonValue::Kind::Object) context.fail("'__metadata__' is not an object of strings");
      for (const auto& [key, text] : value.members) {
        if (text.kind != JsonValue::Kind::String) {
          context.fail(fmt::format("metadata entry {} is {}, not a string", detail::quoted(key),
                                   detail::json_kind_name(text.kind)));
        }
        if (!file_metadata.emplace(key, text.text).second) {
          context.fail(fmt::format("metadata key {} appears twice", detail::quoted(key)));
        }
      }
      continue;
    }
    if (!names.insert(name).second) context.fail(fmt::format("duplicate tensor name {}", detail::quoted(name)));
    entries.push_back(parse_entry(name, value, context));
  }

  const uint64_t data_start = 8 + header_bytes;
  const uint64_t data_bytes = file.size() - data_start;
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry& entry : entries) {
    if (entry.end > data_bytes) {
      context.fail(
          fmt::format("tensor {}: data_offsets [{}, {}] reach past the end of the data section ({} bytes; "
                      "truncated?)",
                      detail::quoted(entry.name), entry.begin, entry.end, data_bytes));
    }
    if (entry.begin < covered) {
      context.fail(fmt::format("tensors {} [{}, {}] and {} [{}, {}] have overlapping data ranges",
                               detail::quoted(previous->name), previous->begin, previous->end,
                               detail::quoted(entry.name), entry.begin, entry.end));
    }
    if (entry.begin > covered) {
      context.fail(fmt::format("data bytes [{}, {}) before tensor {} belong to no tensor", covered, entry.begin,
                               detail::quoted(entry.name)));
    }
    covered = entry.end;
    previous = &entry;
  }
  if (covered != data_bytes) {
    context.fail(
        fmt::format("the data section has {} bytes, but the tensors cover only the first {}", data_bytes, covered));
  }

  NamedTensors result;
  result.reserve(entries.size());
  for (const Entry& entry : entries) {
    result.emplace_back(entry.name,
                        detail::read_tensor(file, data_start + entry.begin, entry.shape, entry.dtype, context));
  }
  if (metadata != nullptr) *metadata = SafetensorsMetadata(file_metadata.begin(), file_metadata.end());
  return result;
}

}  // namespace reel::serialize
