// reel/onnx/protobuf_writer.cpp — Protocol Buffers' wire format (varints, fixed-width and length-delimited fields,
// packed repeated scalars), written by hand for the ONNX exporter; see onnx/protobuf_writer.h.
#include "onnx/protobuf_writer.h"

#include <bit>
#include <cstring>

#include "tensor/error_format.h"

namespace reel::onnx::detail {

namespace {

static_assert(std::endian::native == std::endian::little,
              "the protobuf writer copies fixed-width values as they lie in memory (little-endian hosts only)");

void append_fixed(std::string& out, const void* bytes, size_t size) {
  out.append(static_cast<const char*>(bytes), size);
}

}  // namespace

// varint: 7 bits a byte, low bits first, the high bit set on every byte but the last
void ProtoWriter::append_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// tag = field_number << 3 | wire_type
void ProtoWriter::append_tag(std::string& out, int field, WireType type) {
  REEL_CHECK(field >= 1 && field <= 536870911, "protobuf writer: field number {} is outside 1..2^29-1", field);
  append_varint(out, (static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(type));
}

void ProtoWriter::uint64_field(int field, uint64_t value) {
  append_tag(out_, field, WireType::Varint);
  append_varint(out_, value);
}

void ProtoWriter::fixed32_field(int field, uint32_t bits) {
  append_tag(out_, field, WireType::I32);
  append_fixed(out_, &bits, sizeof(bits));
}

void ProtoWriter::float_field(int field, float value) { fixed32_field(field, std::bit_cast<uint32_t>(value)); }

void ProtoWriter::fixed64_field(int field, uint64_t bits) {
  append_tag(out_, field, WireType::I64);
  append_fixed(out_, &bits, sizeof(bits));
}

void ProtoWriter::double_field(int field, double value) { fixed64_field(field, std::bit_cast<uint64_t>(value)); }

void ProtoWriter::bytes_field(int field, std::string_view bytes) {
  append_tag(out_, field, WireType::Len);
  append_varint(out_, bytes.size());
  out_.append(bytes.data(), bytes.size());
}

void ProtoWriter::packed_int64_field(int field, const std::vector<int64_t>& values) {
  if (values.empty()) return;
  std::string payload;
  for (int64_t value : values) append_varint(payload, static_cast<uint64_t>(value));
  bytes_field(field, payload);
}

void ProtoWriter::packed_float_field(int field, const std::vector<float>& values) {
  if (values.empty()) return;
  std::string payload;
  payload.reserve(values.size() * sizeof(float));
  for (float value : values) append_fixed(payload, &value, sizeof(value));
  bytes_field(field, payload);
}

}  // namespace reel::onnx::detail
