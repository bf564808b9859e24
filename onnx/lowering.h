// reel/onnx/lowering.h — internal: what the module lowerings of the ONNX exporter share.
//
// A lowering turns one module called on graph values into ONNX nodes. Each value carries its ONNX name and the
// tensor reel computed for it on the example inputs, so a lowering knows every static shape and produces the
// example outputs by calling the module's own forward. The families live in lower_basic.cpp (Linear, activations,
// Dropout, Flatten, Embedding, LayerNorm), lower_conv.cpp (convolutions, pooling, batch norm), lower_recurrent.cpp
// (RNN, LSTM, GRU) and lower_attention.cpp (MultiheadAttention, TransformerEncoderLayer); export_module.cpp walks
// containers and calls them.
#pragma once

#include <string>
#include <vector>

#include "nn/module.h"
#include "onnx/onnx_model.h"

namespace reel::onnx::detail {

// A graph value: its ONNX name and reel's tensor for it on the example inputs.
struct Value {
  std::string name;
  Tensor example;
};

// The graph under construction and the module path being lowered ("encoder.0"), which names nodes and
// initializers as the state_dict names the parameters.
class Lowering {
 public:
  explicit Lowering(Graph& graph_) : graph(graph_) {}
  Graph& graph;
  std::string scope;

  // One node with one output (named after the scope and op type); returns the output's name.
  std::string node(const std::string& op_type, std::vector<std::string> inputs, std::vector<Attribute> attributes = {});
  // One node with `num_outputs` outputs.
  std::vector<std::string> nodes(const std::string& op_type, std::vector<std::string> inputs,
                                 std::vector<Attribute> attributes, int num_outputs);
  // An initializer named "<scope>.<name>" (the state_dict key of a parameter or buffer).
  std::string param(const std::string& name, const Tensor& value);
  // A 1-D int64 initializer (shapes, axes, pads of Reshape, Slice, Pad, Split, ...).
  std::string int64s(const std::string& name, const std::vector<int64_t>& values);
  // A 0-d initializer of `dtype` holding `value` (the constants of composed activations).
  std::string scalar(const std::string& name, double value, ScalarType dtype);
  // The module path as a node-name prefix: "/encoder/0" ("" at the top).
  std::string node_prefix() const;
};

// Lowers `module` called on `inputs`; throws reel::Error naming the module type when it has no lowering.
std::vector<Value> lower_module(nn::Module& module, const std::vector<Value>& inputs, Lowering& lowering);

// The family lowerings: each returns false, doing nothing, when `module` is not one of its layers.
bool lower_basic(nn::Module& module, const std::vector<Value>& inputs, Lowering& lowering, std::vector<Value>& out);
bool lower_conv(nn::Module& module, const std::vector<Value>& inputs, Lowering& lowering, std::vector<Value>& out);
bool lower_recurrent(nn::Module& module, const std::vector<Value>& inputs, Lowering& lowering,
                     std::vector<Value>& out);
bool lower_attention(nn::Module& module, const std::vector<Value>& inputs, Lowering& lowering,
                     std::vector<Value>& out);

// The error of a module (or a setting of it) that has no ONNX lowering.
[[noreturn]] void throw_unsupported(const nn::Module& module, const std::string& why);
// The one input of a Tensor -> Tensor layer (reel::Error naming the module when there are more or none).
const Value& single_input(const nn::Module& module, const std::vector<Value>& inputs);

// Test only: while one exists on this thread, recurrent layers are exported with PyTorch's gate order (i, f, g, o;
// r, z, n) instead of ONNX's (i, o, f, c; z, r, h) — a deliberately wrong model, which the onnxruntime check must
// reject (test/onnx).
class WrongGateOrderForTesting {
 public:
  WrongGateOrderForTesting();
  ~WrongGateOrderForTesting();
  WrongGateOrderForTesting(const WrongGateOrderForTesting&) = delete;
  WrongGateOrderForTesting& operator=(const WrongGateOrderForTesting&) = delete;

 private:
  bool previous_;
};
bool wrong_gate_order_for_testing();

}  // namespace reel::onnx::detail
