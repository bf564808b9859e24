// reel/onnx/export_module.h — ONNX export of reel modules, the C++ counterpart of torch.onnx.export.
//
//   reel::nn::Sequential net(reel::nn::Linear(784, 128), reel::nn::ReLU(), reel::nn::Linear(128, 10));
//   reel::onnx::export_module(net, {reel::randn({1, 784})}, "mlp.onnx",
//                             reel::onnx::ExportOptions()
//                                 .input_names({"image"})
//                                 .output_names({"logits"})
//                                 .dynamic_axes({{"image", {{0, "batch"}}}, {"logits", {{0, "batch"}}}}));
//
// The exporter walks the module tree: a Sequential's children in order, each built-in layer lowered to ONNX
// operators (opset 17, IR version 8) with its parameters and buffers as initializers. It runs the module in eval
// mode (the training flags are put back afterwards) without gradients on copies of the example inputs, which fixes
// every shape that is not named in dynamic_axes. The coverage table, with what is not covered and why, is in
// docs/onnx.md. A module without a lowering (a user-defined module with its own forward, a layer ONNX has no
// operator for) or an option the lowering does not do throws reel::Error naming the module type and the reason.
//
// Inputs and outputs of the layers that take or return several tensors:
//   LSTM: inputs (x) or (x, h_0, c_0); outputs (output, h_n, c_n). GRU and RNN: (x) or (x, h_0); (output, h_n).
//   MultiheadAttention: (x) for self-attention (query = key = value) or (query, key, value); outputs
//   (attn_output, attn_weights averaged over the heads).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../nn/arg.h"
#include "../nn/module.h"
#include "onnx_model.h"

namespace reel::onnx {

// One symbolic axis of a graph input or output: {0, "batch"} makes axis 0 a dim_param named "batch".
struct DynamicAxis {
  int64_t axis;
  std::string name;
};
// Per input or output name, its symbolic axes (torch.onnx.export's dynamic_axes dict).
using DynamicAxes = std::vector<std::pair<std::string, std::vector<DynamicAxis>>>;

// torch.onnx.export's options that apply to a C++ module.
struct ExportOptions {
  // Names of the graph inputs, in order; missing ones are "input" (one input) or "input_<k>".
  REEL_ARG(std::vector<std::string>, input_names) = {};
  // Names of the graph outputs, in order; missing ones are "output" (one output) or "output_<k>".
  REEL_ARG(std::vector<std::string>, output_names) = {};
  REEL_ARG(DynamicAxes, dynamic_axes) = {};
  // Only 17 is supported (any other value throws reel::Error).
  REEL_ARG(int64_t, opset_version) = 17;
  // The GraphProto's name.
  REEL_ARG(std::string, graph_name) = "main_graph";
};

// The ONNX model of `module` called on `example_inputs` (reel::Error on unsupported modules or bad options).
Model export_model(nn::Module& module, const std::vector<Tensor>& example_inputs, const ExportOptions& options = {});
// export_model, saved to `path` (reel::Error naming the path when it cannot be written).
void export_module(nn::Module& module, const std::vector<Tensor>& example_inputs, const std::string& path,
                   const ExportOptions& options = {});

// The same for holders (`nn::Sequential`, `nn::LSTM`, a REEL_MODULE of your own) and shared pointers.
template <typename Impl>
Model export_model(const nn::ModuleHolder<Impl>& module, const std::vector<Tensor>& example_inputs,
                   const ExportOptions& options = {}) {
  return export_model(static_cast<nn::Module&>(*module), example_inputs, options);
}
template <typename Impl>
void export_module(const nn::ModuleHolder<Impl>& module, const std::vector<Tensor>& example_inputs,
                   const std::string& path, const ExportOptions& options = {}) {
  export_module(static_cast<nn::Module&>(*module), example_inputs, path, options);
}
template <typename Impl>
Model export_model(const std::shared_ptr<Impl>& module, const std::vector<Tensor>& example_inputs,
                   const ExportOptions& options = {}) {
  return export_model(static_cast<nn::Module&>(*module), example_inputs, options);
}
template <typename Impl>
void export_module(const std::shared_ptr<Impl>& module, const std::vector<Tensor>& example_inputs,
                   const std::string& path, const ExportOptions& options = {}) {
  export_module(static_cast<nn::Module&>(*module), example_inputs, path, options);
}

}  // namespace reel::onnx
