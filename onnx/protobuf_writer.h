// reel/onnx/protobuf_writer.h — internal: a minimal writer of Protocol Buffers' wire format, enough for ONNX files.
//
// A message is a sequence of fields, each a tag (field_number << 3 | wire_type, as a varint) and a payload:
//   wire type 0 (VARINT): an unsigned LEB128 varint; int32/int64/enum values are their two's complement, so a
//                         negative number takes 10 bytes (ONNX uses no zigzag sint fields)
//   wire type 1 (I64):    8 little-endian bytes (fixed64, double)
//   wire type 2 (LEN):    a varint byte count, then the bytes (strings, bytes, nested messages, packed repeated)
//   wire type 5 (I32):    4 little-endian bytes (fixed32, float)
// Repeated scalars are written packed (one LEN field holding the values back to back); protobuf parsers accept the
// packed form for every repeated scalar field, proto2 ones included. A nested message is written into its own
// ProtoWriter first and then added as a LEN field, so its size is known before its bytes.
//
//   ProtoWriter dim;  dim.int64_field(1, 3);            // TensorShapeProto.Dimension{dim_value: 3}
//   ProtoWriter shape; shape.message_field(1, dim);     // TensorShapeProto{dim: [...]}
//   const std::string& bytes = shape.bytes();
// Not installed: the ONNX builder (onnx/onnx_model.h) is the public face of it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace reel::onnx::detail {

enum class WireType : uint32_t { Varint = 0, I64 = 1, Len = 2, I32 = 5 };

class ProtoWriter {
 public:
  // VARINT fields: uint64 as is; int64 / int32 / enum / bool as their 64-bit two's complement.
  void uint64_field(int field, uint64_t value);
  void int64_field(int field, int64_t value) { uint64_field(field, static_cast<uint64_t>(value)); }
  // I32 and I64 fields: float / fixed32 and double / fixed64, little-endian.
  void fixed32_field(int field, uint32_t bits);
  void float_field(int field, float value);
  void fixed64_field(int field, uint64_t bits);
  void double_field(int field, double value);
  // LEN fields: a string or bytes, a nested message, packed repeated scalars (nothing written when empty).
  void bytes_field(int field, std::string_view bytes);
  void message_field(int field, const ProtoWriter& message) { bytes_field(field, message.bytes()); }
  void packed_int64_field(int field, const std::vector<int64_t>& values);
  void packed_float_field(int field, const std::vector<float>& values);

  const std::string& bytes() const { return out_; }
  size_t size() const { return out_.size(); }

  // The raw pieces, for tests and for writers of other fields.
  static void append_varint(std::string& out, uint64_t value);
  static void append_tag(std::string& out, int field, WireType type);

 private:
  std::string out_;
};

}  // namespace reel::onnx::detail
