// reel/onnx/onnx_model.h — a small in-memory ONNX model (ModelProto, GraphProto, NodeProto, AttributeProto,
// TensorProto, ValueInfoProto) and its serialisation to the protobuf bytes of a .onnx file.
//
// The builder knows nothing of modules: the module exporter (onnx/export_module.h) lowers layers into it, and a
// graph capture can lower its IR through the same calls.
//
//   reel::onnx::Model model;                                  // ir_version 8, opset "" 17, producer "reel"
//   reel::onnx::Graph& g = model.graph;
//   g.inputs.push_back({"x", reel::onnx::DataType::Float, {reel::onnx::Dimension::named("batch"), 4}});
//   std::string w = g.add_initializer("fc.weight", weight);   // raw_data, little-endian
//   std::string y = g.add_node("Gemm", {"x", w}, {reel::onnx::Attribute::Int("transB", 1)})[0];
//   g.rename_value(y, "y");
//   g.outputs.push_back({"y", reel::onnx::DataType::Float, {reel::onnx::Dimension::named("batch"), 3}});
//   model.save("fc.onnx");                                    // or model.serialize() for the bytes
//
// Every attribute records its `type` (ONNX requires it). Initializers keep reel tensors (any device, any layout);
// serialising copies them to contiguous CPU memory and writes raw_data little-endian.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../tensor/tensor.h"

namespace reel::onnx {

// TensorProto.DataType.
enum class DataType : int32_t {
  Undefined = 0,
  Float = 1,
  UInt8 = 2,
  Int8 = 3,
  UInt16 = 4,
  Int16 = 5,
  Int32 = 6,
  Int64 = 7,
  String = 8,
  Bool = 9,
  Float16 = 10,
  Double = 11,
  UInt32 = 12,
  UInt64 = 13,
  BFloat16 = 16,
};

// The ONNX element type of a reel dtype (every reel dtype has one).
DataType data_type_of(ScalarType dtype);

// TensorShapeProto.Dimension: a fixed size (dim_value) or a symbolic one (dim_param, e.g. "batch").
struct Dimension {
  Dimension(int64_t value_) : value(value_) {}  // NOLINT: implicit, so that shapes read {2, 3}
  static Dimension named(std::string param_) {
    Dimension dim(0);
    dim.param = std::move(param_);
    return dim;
  }
  bool is_symbolic() const { return !param.empty(); }
  int64_t value;
  std::string param;  // non-empty: dim_param, and value is ignored
};

// ValueInfoProto of a tensor: name, elem_type and shape.
struct ValueInfo {
  std::string name;
  DataType elem_type = DataType::Float;
  std::vector<Dimension> shape;
};

// AttributeProto; build one with the named constructors, which set `type`.
struct Attribute {
  // AttributeProto.AttributeType
  enum class Type : int32_t {
    Undefined = 0,
    Float = 1,
    Int = 2,
    String = 3,
    Tensor = 4,
    Floats = 6,
    Ints = 7,
    Strings = 8,
  };
  static Attribute Int(std::string name, int64_t value);
  static Attribute Float(std::string name, double value);  // stored as float, ONNX's only float attribute width
  static Attribute String(std::string name, std::string value);
  static Attribute Ints(std::string name, std::vector<int64_t> values);
  static Attribute Floats(std::string name, std::vector<float> values);
  static Attribute TensorValue(std::string name, reel::Tensor value);
  static Attribute Strings(std::string name, std::vector<std::string> values);

  std::string name;
  Type type = Type::Undefined;
  float f = 0.0f;
  int64_t i = 0;
  std::string s;
  reel::Tensor t;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
};

// NodeProto: op_type with named inputs and outputs ("" for an omitted optional input), attributes, a node name.
struct Node {
  std::string op_type;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<Attribute> attributes;
  std::string name;
  std::string domain;  // "" is the default ONNX domain
};

// A named tensor of the graph (an initializer).
struct NamedTensor {
  std::string name;
  reel::Tensor value;
};

// GraphProto, with helpers that keep value names unique.
class Graph {
 public:
  std::string name = "main_graph";
  std::vector<Node> nodes;
  std::vector<NamedTensor> initializers;
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  std::vector<ValueInfo> value_info;

  // `base` if no value, initializer or input has that name yet, else `base_1`, `base_2`, ... (and reserves it).
  std::string unique_name(const std::string& base);
  // Adds an initializer under a unique name made from `name`; returns the name used.
  std::string add_initializer(const std::string& name, const reel::Tensor& value);
  // Appends a node with `num_outputs` fresh outputs named "<name or op_type>_output_<k>"; returns their names.
  std::vector<std::string> add_node(const std::string& op_type, std::vector<std::string> inputs,
                                    std::vector<Attribute> attributes = {}, int num_outputs = 1,
                                    const std::string& name = "");
  // Renames a value wherever a node reads or writes it (and in inputs, outputs, value_info); throws reel::Error
  // when `new_name` is taken.
  void rename_value(const std::string& old_name, const std::string& new_name);
  // Whether some node writes `value_name`.
  bool is_node_output(const std::string& value_name) const;

 private:
  bool is_taken(const std::string& name) const;
  std::vector<std::string> reserved_;
};

// ModelProto with one graph and the default-domain opset.
struct Model {
  int64_t ir_version = 8;
  int64_t opset_version = 17;
  std::string producer_name = "reel";
  std::string producer_version;  // the library's version unless set
  std::string doc_string;
  Graph graph;

  Model();
  // The protobuf bytes of the ModelProto.
  std::string serialize() const;
  // Writes serialize() to `path`; throws reel::Error naming the path when it cannot.
  void save(const std::string& path) const;
};

}  // namespace reel::onnx
