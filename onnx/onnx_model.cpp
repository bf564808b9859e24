// reel/onnx/onnx_model.cpp — the in-memory ONNX model's helpers and its serialisation into ModelProto bytes.
//
// Field numbers (onnx/onnx.proto, IR version 8): ModelProto ir_version=1, producer_name=2, producer_version=3,
// doc_string=6, graph=7, opset_import=8; OperatorSetIdProto domain=1, version=2; GraphProto node=1, name=2,
// initializer=5, input=11, output=12, value_info=13; NodeProto input=1, output=2, name=3, op_type=4, attribute=5,
// domain=7; AttributeProto name=1, f=2, i=3, s=4, t=5, floats=7, ints=8, strings=9, type=20; TensorProto dims=1,
// data_type=2, name=8, raw_data=9; ValueInfoProto name=1, type=2; TypeProto tensor_type=1; TypeProto.Tensor
// elem_type=1, shape=2; TensorShapeProto dim=1; Dimension dim_value=1, dim_param=2.
#include "onnx/onnx_model.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "onnx/protobuf_writer.h"
#include "tensor/error_format.h"

#ifndef REEL_VERSION_STRING
#define REEL_VERSION_STRING "0.0.0"
#endif

namespace reel::onnx {

using detail::ProtoWriter;

DataType data_type_of(ScalarType dtype) {
  switch (dtype) {
    case ScalarType::Bool: return DataType::Bool;
    case ScalarType::UInt8: return DataType::UInt8;
    case ScalarType::Int8: return DataType::Int8;
    case ScalarType::Int16: return DataType::Int16;
    case ScalarType::Int32: return DataType::Int32;
    case ScalarType::Int64: return DataType::Int64;
    case ScalarType::Float16: return DataType::Float16;
    case ScalarType::BFloat16: return DataType::BFloat16;
    case ScalarType::Float32: return DataType::Float;
    case ScalarType::Float64: return DataType::Double;
  }
  throw_error("onnx: dtype " + std::string(dtype_name(dtype)) + " has no ONNX element type");
}

// ---- attributes -----------------------------------------------------------------------------------------------

Attribute Attribute::Int(std::string name, int64_t value) {
  Attribute a;
  a.name = std::move(name);
  a.type = Type::Int;
  a.i = value;
  return a;
}

Attribute Attribute::Float(std::string name, double value) {
  Attribute a;
  a.name = std::move(name);
  a.type = Type::Float;
  a.f = static_cast<float>(value);
  return a;
}

Attribute Attribute::String(std::string name, std::string value) {
  Attribute a;
  a.name = std::move(name);
  a.type = Type::String;
  a.s = std::move(value);
  return a;
}

Attribute Attribute::Ints(std::string name, std::vector<int64_t> values) {
  Attribute a;
  a.name = std::move(name);
  a.type = Type::Ints;
  a.ints = std::move(values);
  return a;
}

Attribute Attribute::Floats(std::string name, std::vector<float> values) {
  Attribute a;
  a.name = std::move(name);
  a.type = Type::Floats;
  a.floats = std::move(values);
  return a;
}

Attribute Attribute::TensorValue(std::string name, reel::Tensor value) {
  value.check_defined("onnx::Attribute::TensorValue");
  Attribute a;
  a.name = std::move(name);
  a.type = Type::Tensor;
  a.t = std::move(value);
  return a;
}

Attribute Attribute::Strings(std::string name, std::vector<std::string> values) {
  Attribute a;
  a.name = std::move(name);
  a.type = Type::Strings;
  a.strings = std::move(values);
  return a;
}

// ---- graph helpers --------------------------------------------------------------------------------------------

bool Graph::is_taken(const std::string& candidate) const {
  for (const std::string& name : reserved_)
    if (name == candidate) return true;
  for (const NamedTensor& init : initializers)
    if (init.name == candidate) return true;
  for (const ValueInfo& info : inputs)
    if (info.name == candidate) return true;
  for (const ValueInfo& info : outputs)
    if (info.name == candidate) return true;
  return is_node_output(candidate);
}

bool Graph::is_node_output(const std::string& value_name) const {
  for (const Node& node : nodes)
    for (const std::string& output : node.outputs)
      if (output == value_name) return true;
  return false;
}

std::string Graph::unique_name(const std::string& base) {
  REEL_CHECK(!base.empty(), "onnx::Graph::unique_name: the base name is empty");
  std::string name = base;
  for (int k = 1; is_taken(name); ++k) name = base + "_" + std::to_string(k);
  reserved_.push_back(name);
  return name;
}

std::string Graph::add_initializer(const std::string& name, const reel::Tensor& value) {
  value.check_defined("onnx::Graph::add_initializer");
  NamedTensor init{unique_name(name), value};
  initializers.push_back(std::move(init));
  return initializers.back().name;
}

std::vector<std::string> Graph::add_node(const std::string& op_type, std::vector<std::string> node_inputs,
                                         std::vector<Attribute> attributes, int num_outputs,
                                         const std::string& node_name) {
  REEL_CHECK(!op_type.empty(), "onnx::Graph::add_node: empty op_type");
  REEL_CHECK(num_outputs >= 1, "onnx::Graph::add_node({}): num_outputs must be at least 1, got {}", op_type,
             num_outputs);
  Node node;
  node.op_type = op_type;
  node.inputs = std::move(node_inputs);
  node.attributes = std::move(attributes);
  const std::string base = node_name.empty() ? op_type : node_name;
  node.name = unique_name(base);
  for (int k = 0; k < num_outputs; ++k) node.outputs.push_back(unique_name(node.name + "_output_" + std::to_string(k)));
  nodes.push_back(std::move(node));
  return nodes.back().outputs;
}

void Graph::rename_value(const std::string& old_name, const std::string& new_name) {
  if (old_name == new_name) return;
  REEL_CHECK(!is_taken(new_name), "onnx::Graph::rename_value: the name '{}' is already taken", new_name);
  auto rename = [&](std::string& name) {
    if (name == old_name) name = new_name;
  };
  for (Node& node : nodes) {
    for (std::string& name : node.inputs) rename(name);
    for (std::string& name : node.outputs) rename(name);
  }
  for (ValueInfo& info : inputs) rename(info.name);
  for (ValueInfo& info : outputs) rename(info.name);
  for (ValueInfo& info : value_info) rename(info.name);
  for (NamedTensor& init : initializers) rename(init.name);
  reserved_.push_back(new_name);
}

// ---- serialisation --------------------------------------------------------------------------------------------

namespace {

// TensorProto{dims, data_type, name, raw_data}: the values as they lie in a contiguous CPU copy (little-endian).
ProtoWriter tensor_proto(const std::string& name, const reel::Tensor& value) {
  const reel::Tensor cpu = value.to(Device(kCPU)).contiguous();
  ProtoWriter t;
  std::vector<int64_t> dims(cpu.sizes().begin(), cpu.sizes().end());
  t.packed_int64_field(1, dims);
  t.int64_field(2, static_cast<int64_t>(data_type_of(cpu.dtype())));
  if (!name.empty()) t.bytes_field(8, name);
  const size_t nbytes = static_cast<size_t>(cpu.nbytes());
  t.bytes_field(9, std::string_view(nbytes == 0 ? "" : static_cast<const char*>(cpu.data_ptr()), nbytes));
  return t;
}

ProtoWriter value_info_proto(const ValueInfo& info) {
  REEL_CHECK(!info.name.empty(), "onnx::Model::serialize: a graph input, output or value_info has no name");
  ProtoWriter shape;
  for (const Dimension& dim : info.shape) {
    ProtoWriter d;
    if (dim.is_symbolic()) {
      d.bytes_field(2, dim.param);
    } else {
      REEL_CHECK(dim.value >= 0, "onnx::Model::serialize: value '{}' has a negative dimension {}", info.name,
                 dim.value);
      d.int64_field(1, dim.value);
    }
    shape.message_field(1, d);
  }
  ProtoWriter tensor_type;
  tensor_type.int64_field(1, static_cast<int64_t>(info.elem_type));
  tensor_type.message_field(2, shape);
  ProtoWriter type;
  type.message_field(1, tensor_type);
  ProtoWriter v;
  v.bytes_field(1, info.name);
  v.message_field(2, type);
  return v;
}

ProtoWriter attribute_proto(const Attribute& a, const std::string& node) {
  REEL_CHECK(!a.name.empty(), "onnx::Model::serialize: node '{}' has an attribute without a name", node);
  ProtoWriter p;
  p.bytes_field(1, a.name);
  switch (a.type) {
    case Attribute::Type::Float: p.float_field(2, a.f); break;
    case Attribute::Type::Int: p.int64_field(3, a.i); break;
    case Attribute::Type::String: p.bytes_field(4, a.s); break;
    case Attribute::Type::Tensor: p.message_field(5, tensor_proto("", a.t)); break;
    case Attribute::Type::Floats: p.packed_float_field(7, a.floats); break;
    case Attribute::Type::Ints: p.packed_int64_field(8, a.ints); break;
    case Attribute::Type::Strings:
      for (const std::string& s : a.strings) p.bytes_field(9, s);
      break;
    case Attribute::Type::Undefined:
      throw_error("onnx::Model::serialize: attribute '" + a.name + "' of node '" + node +
                  "' has no type (build it with Attribute::Int, Float, String, Ints, Floats, Strings or TensorValue)");
  }
  p.int64_field(20, static_cast<int64_t>(a.type));
  return p;
}

ProtoWriter node_proto(const Node& node) {
  REEL_CHECK(!node.op_type.empty(), "onnx::Model::serialize: node '{}' has no op_type", node.name);
  ProtoWriter p;
  for (const std::string& input : node.inputs) p.bytes_field(1, input);
  for (const std::string& output : node.outputs) p.bytes_field(2, output);
  if (!node.name.empty()) p.bytes_field(3, node.name);
  p.bytes_field(4, node.op_type);
  for (const Attribute& a : node.attributes) p.message_field(5, attribute_proto(a, node.name));
  if (!node.domain.empty()) p.bytes_field(7, node.domain);
  return p;
}

ProtoWriter graph_proto(const Graph& graph) {
  ProtoWriter p;
  for (const Node& node : graph.nodes) p.message_field(1, node_proto(node));
  p.bytes_field(2, graph.name);
  for (const NamedTensor& init : graph.initializers) {
    REEL_CHECK(!init.name.empty(), "onnx::Model::serialize: an initializer has no name");
    p.message_field(5, tensor_proto(init.name, init.value));
  }
  for (const ValueInfo& info : graph.inputs) p.message_field(11, value_info_proto(info));
  for (const ValueInfo& info : graph.outputs) p.message_field(12, value_info_proto(info));
  for (const ValueInfo& info : graph.value_info) p.message_field(13, value_info_proto(info));
  return p;
}

}  // namespace

Model::Model() : producer_version(REEL_VERSION_STRING) {}

std::string Model::serialize() const {
  ProtoWriter opset;
  opset.bytes_field(1, "");
  opset.int64_field(2, opset_version);
  ProtoWriter p;
  p.int64_field(1, ir_version);
  p.bytes_field(2, producer_name);
  p.bytes_field(3, producer_version);
  if (!doc_string.empty()) p.bytes_field(6, doc_string);
  p.message_field(7, graph_proto(graph));
  p.message_field(8, opset);
  return p.bytes();
}

void Model::save(const std::string& path) const {
  const std::string bytes = serialize();
  std::FILE* file = std::fopen(path.c_str(), "wb");
  REEL_CHECK(file != nullptr, "onnx::Model::save: cannot open '{}' for writing: {}", path, std::strerror(errno));
  const size_t written = std::fwrite(bytes.data(), 1, bytes.size(), file);
  const int write_errno = errno;
  const bool closed = std::fclose(file) == 0;
  REEL_CHECK(written == bytes.size() && closed, "onnx::Model::save: writing '{}' failed after {} of {} bytes: {}",
             path, written, bytes.size(), std::strerror(write_errno));
}

}  // namespace reel::onnx
