// reel/onnx/lower_conv.cpp — ONNX lowerings of the convolution, pooling and normalisation layers: Conv1d/2d/3d,
// ConvTranspose1d/2d, MaxPool1d/2d/3d, AvgPool1d/2d/3d, AdaptiveAvgPool1d/2d/3d, AdaptiveMaxPool1d/2d,
// BatchNorm1d/2d/3d and InstanceNorm1d/2d/3d (eval mode), GroupNorm.
//
// ONNX's Conv and pooling operators take batched (N, C, *spatial) inputs with pads listed as all the begins then
// all the ends; an unbatched (C, *spatial) input is unsqueezed to a batch of one and squeezed back. A non-zeros
// padding_mode becomes a Pad node before an unpadded Conv (reflect -> "reflect", replicate -> "edge").
#include "nn/conv.h"
#include "nn/normalization.h"
#include "nn/pooling.h"
#include "onnx/lowering.h"
#include "tensor/ops.h"

namespace reel::onnx::detail {

namespace {

using A = Attribute;

// The pads attribute for symmetric padding p: (p_1 .. p_D, p_1 .. p_D)
std::vector<int64_t> symmetric_pads(const std::vector<int64_t>& padding) {
  std::vector<int64_t> pads = padding;
  pads.insert(pads.end(), padding.begin(), padding.end());
  return pads;
}

// Runs build on x as a batched (N, C, *spatial) value: an input of rank `spatial + 1` is unsqueezed first and the
// result squeezed back. Checks the rank.
template <typename Build>
std::string batched(const nn::Module& module, Lowering& L, const Value& x, int64_t spatial, Build&& build) {
  const int64_t rank = x.example.dim();
  if (rank != spatial + 1 && rank != spatial + 2)
    throw_unsupported(module, "expected a " + std::to_string(spatial + 2) + "-D input or an unbatched " +
                                  std::to_string(spatial + 1) + "-D one, got shape " + shape_str(x.example.sizes()));
  if (rank == spatial + 2) return build(x.name);
  const std::string axes = L.int64s("axes", {0});
  return L.node("Squeeze", {build(L.node("Unsqueeze", {x.name, axes})), axes});
}

// Conv or ConvTranspose of a convolution layer; forward is the layer's own.
template <typename Impl, typename Forward>
bool conv(Impl* m, const std::vector<Value>& inputs, Lowering& L, std::vector<Value>& out, Forward&& forward) {
  const Value& x = single_input(*m, inputs);
  const Tensor y = forward(x.example);
  const auto spatial = static_cast<int64_t>(m->kernel_size.size());
  std::vector<int64_t> begin = m->padding, end = m->padding;
  if (m->padding_name == "same")
    for (size_t i = 0; i < begin.size(); ++i) end[i] = m->dilation[i] * (m->kernel_size[i] - 1) - begin[i];
  std::string pad_mode;
  if (m->padding_mode == "reflect") pad_mode = "reflect";
  if (m->padding_mode == "replicate") pad_mode = "edge";
  if (m->padding_mode == "circular")
    throw_unsupported(*m, "padding_mode 'circular' needs ONNX Pad's 'wrap' mode, which arrives in opset 19 "
                          "(reel exports opset 17)");
  const std::string name = batched(*m, L, x, spatial, [&](std::string input) {
    std::vector<int64_t> pads = begin;
    pads.insert(pads.end(), end.begin(), end.end());
    if (!pad_mode.empty()) {
      // Pad's pads: begins of every axis (N, C, *spatial), then ends
      std::vector<int64_t> pad_all(static_cast<size_t>(2 * (spatial + 2)), 0);
      for (int64_t i = 0; i < spatial; ++i) {
        const int64_t total = begin[static_cast<size_t>(i)] + end[static_cast<size_t>(i)];
        pad_all[static_cast<size_t>(2 + i)] = total / 2;
        pad_all[static_cast<size_t>(spatial + 2 + 2 + i)] = total - total / 2;
      }
      input = L.node("Pad", {input, L.int64s("pads", pad_all)}, {A::String("mode", pad_mode)});
      pads.assign(pads.size(), 0);
    }
    std::vector<std::string> conv_inputs{input, L.param("weight", m->weight)};
    if (m->bias.defined()) conv_inputs.push_back(L.param("bias", m->bias));
    std::vector<Attribute> attrs{A::Ints("kernel_shape", m->kernel_size), A::Ints("strides", m->stride),
                                 A::Ints("pads", pads), A::Ints("dilations", m->dilation),
                                 A::Int("group", m->groups)};
    if (m->transposed) attrs.push_back(A::Ints("output_padding", m->output_padding));
    return L.node(m->transposed ? "ConvTranspose" : "Conv", std::move(conv_inputs), std::move(attrs));
  });
  out = {{name, y}};
  return true;
}

template <typename Impl>
bool max_pool(Impl* m, const std::vector<Value>& inputs, Lowering& L, std::vector<Value>& out) {
  const Value& x = single_input(*m, inputs);
  const Tensor y = m->forward(x.example);
  const auto& o = m->options;
  const auto spatial = static_cast<int64_t>(o.kernel_size().size());
  const std::string name = batched(*m, L, x, spatial, [&](const std::string& input) {
    return L.node("MaxPool", {input},
                  {A::Ints("kernel_shape", o.kernel_size().vec()), A::Ints("strides", o.stride().vec()),
                   A::Ints("pads", symmetric_pads(o.padding().vec())), A::Ints("dilations", o.dilation().vec()),
                   A::Int("ceil_mode", o.ceil_mode() ? 1 : 0)});
  });
  out = {{name, y}};
  return true;
}

template <typename Impl>
bool avg_pool(Impl* m, const std::vector<Value>& inputs, Lowering& L, std::vector<Value>& out) {
  const auto& o = m->options;
  if (o.divisor_override().has_value())
    throw_unsupported(*m, "divisor_override has no counterpart in ONNX AveragePool");
  const Value& x = single_input(*m, inputs);
  const Tensor y = m->forward(x.example);
  const auto spatial = static_cast<int64_t>(o.kernel_size().size());
  const std::string name = batched(*m, L, x, spatial, [&](const std::string& input) {
    return L.node("AveragePool", {input},
                  {A::Ints("kernel_shape", o.kernel_size().vec()), A::Ints("strides", o.stride().vec()),
                   A::Ints("pads", symmetric_pads(o.padding().vec())), A::Int("ceil_mode", o.ceil_mode() ? 1 : 0),
                   A::Int("count_include_pad", o.count_include_pad() ? 1 : 0)});
  });
  out = {{name, y}};
  return true;
}

// Adaptive pooling: Global{Average,Max}Pool for an output of ones, else {Average,Max}Pool with kernel = stride =
// input / output where every output size divides its input size (the windows are then equal and disjoint).
template <typename Impl>
bool adaptive_pool(Impl* m, const std::vector<Value>& inputs, Lowering& L, std::vector<Value>& out, bool is_max) {
  const Value& x = single_input(*m, inputs);
  const Tensor y = m->forward(x.example);
  const std::vector<int64_t> output_size = m->options.output_size().vec();
  const auto spatial = static_cast<int64_t>(output_size.size());
  bool global = true;
  std::vector<int64_t> kernel;
  for (int64_t i = 0; i < spatial; ++i) {
    const int64_t in = x.example.size(x.example.dim() - spatial + i), o = output_size[static_cast<size_t>(i)];
    if (in % o != 0)
      throw_unsupported(*m, "output size " + std::to_string(o) + " does not divide input size " + std::to_string(in) +
                                ": the adaptive windows are uneven, which ONNX pooling cannot express");
    global &= o == 1;
    kernel.push_back(in / o);
  }
  const std::string name = batched(*m, L, x, spatial, [&](const std::string& input) {
    if (global) return L.node(is_max ? "GlobalMaxPool" : "GlobalAveragePool", {input});
    return L.node(is_max ? "MaxPool" : "AveragePool", {input},
                  {A::Ints("kernel_shape", kernel), A::Ints("strides", kernel)});
  });
  out = {{name, y}};
  return true;
}

// BatchNormalization with fixed statistics: y = (x - mean) / sqrt(var + eps) * scale + bias per channel
std::string fixed_stats_norm(nn::NormImplBase& m, Lowering& L, const std::string& x, ScalarType dtype) {
  const Tensor scale = m.weight.defined() ? m.weight : reel::ones({m.num_features}, reel::dtype(dtype));
  const Tensor shift = m.bias.defined() ? m.bias : reel::zeros({m.num_features}, reel::dtype(dtype));
  return L.node("BatchNormalization",
                {x, L.param("weight", scale), L.param("bias", shift), L.param("running_mean", m.running_mean),
                 L.param("running_var", m.running_var)},
                {A::Float("epsilon", m.eps)});
}

bool lower_norm(nn::Module& module, const std::vector<Value>& inputs, Lowering& L, std::vector<Value>& out) {
  if (auto* m = module.as<nn::BatchNormImplBase>()) {
    if (!m->track_running_stats)
      throw_unsupported(module, "without track_running_stats it normalises with each batch's statistics even in "
                                "eval mode; only running statistics become ONNX BatchNormalization");
    const Value& x = single_input(module, inputs);
    const Tensor y = m->forward(x.example);
    out = {{fixed_stats_norm(*m, L, x.name, x.example.dtype()), y}};
    return true;
  }
  if (auto* m = module.as<nn::InstanceNormImplBase>()) {
    const Value& x = single_input(module, inputs);
    const Tensor y = m->forward(x.example);
    const ScalarType dtype = x.example.dtype();
    const int64_t spatial = module.as<nn::InstanceNorm1dImpl>() ? 1 : module.as<nn::InstanceNorm2dImpl>() ? 2 : 3;
    const std::string name = batched(module, L, x, spatial, [&](const std::string& input) {
      // eval with running statistics: the running stats, as BatchNorm; else each sample's own statistics
      if (m->track_running_stats) return fixed_stats_norm(*m, L, input, dtype);
      const Tensor scale = m->weight.defined() ? m->weight : reel::ones({m->num_features}, reel::dtype(dtype));
      const Tensor shift = m->bias.defined() ? m->bias : reel::zeros({m->num_features}, reel::dtype(dtype));
      return L.node("InstanceNormalization", {input, L.param("weight", scale), L.param("bias", shift)},
                    {A::Float("epsilon", m->eps)});
    });
    out = {{name, y}};
    return true;
  }
  // group_norm(x) = instance_norm of x viewed as (N, G, -1), reshaped back, then weight[c] x + bias[c]
  // (ONNX's GroupNormalization arrives in opset 18)
  if (auto* m = module.as<nn::GroupNormImpl>()) {
    const Value& x = single_input(module, inputs);
    const Tensor y = m->forward(x.example);
    const ScalarType dtype = x.example.dtype();
    const int64_t groups = m->options.num_groups();
    const std::string grouped = L.node("Reshape", {x.name, L.int64s("group_shape", {0, groups, -1})});
    const std::string normed =
        L.node("InstanceNormalization",
               {grouped, L.param("group_scale", reel::ones({groups}, reel::dtype(dtype))),
                L.param("group_bias", reel::zeros({groups}, reel::dtype(dtype)))},
               {A::Float("epsilon", m->options.eps())});
    std::string name = L.node("Reshape", {normed, L.node("Shape", {x.name})});
    if (m->weight.defined()) {
      std::vector<int64_t> channel_shape(static_cast<size_t>(y.dim() - 1), 1);
      channel_shape[0] = m->options.num_channels();
      name = L.node("Mul", {name, L.param("weight", m->weight.detach().reshape(channel_shape))});
      name = L.node("Add", {name, L.param("bias", m->bias.detach().reshape(channel_shape))});
    }
    out = {{name, y}};
    return true;
  }
  return false;
}

}  // namespace

bool lower_conv(nn::Module& module, const std::vector<Value>& inputs, Lowering& L, std::vector<Value>& out) {
  if (auto* m = module.as<nn::Conv1dImpl>()) return conv(m, inputs, L, out, [&](const Tensor& x) { return m->forward(x); });
  if (auto* m = module.as<nn::Conv2dImpl>()) return conv(m, inputs, L, out, [&](const Tensor& x) { return m->forward(x); });
  if (auto* m = module.as<nn::Conv3dImpl>()) return conv(m, inputs, L, out, [&](const Tensor& x) { return m->forward(x); });
  if (auto* m = module.as<nn::ConvTranspose1dImpl>())
    return conv(m, inputs, L, out, [&](const Tensor& x) { return m->forward(x); });
  if (auto* m = module.as<nn::ConvTranspose2dImpl>())
    return conv(m, inputs, L, out, [&](const Tensor& x) { return m->forward(x); });
  if (auto* m = module.as<nn::MaxPool1dImpl>()) return max_pool(m, inputs, L, out);
  if (auto* m = module.as<nn::MaxPool2dImpl>()) return max_pool(m, inputs, L, out);
  if (auto* m = module.as<nn::MaxPool3dImpl>()) return max_pool(m, inputs, L, out);
  if (auto* m = module.as<nn::AvgPool1dImpl>()) return avg_pool(m, inputs, L, out);
  if (auto* m = module.as<nn::AvgPool2dImpl>()) return avg_pool(m, inputs, L, out);
  if (auto* m = module.as<nn::AvgPool3dImpl>()) return avg_pool(m, inputs, L, out);
  if (auto* m = module.as<nn::AdaptiveAvgPool1dImpl>()) return adaptive_pool(m, inputs, L, out, false);
  if (auto* m = module.as<nn::AdaptiveAvgPool2dImpl>()) return adaptive_pool(m, inputs, L, out, false);
  if (auto* m = module.as<nn::AdaptiveAvgPool3dImpl>()) return adaptive_pool(m, inputs, L, out, false);
  if (auto* m = module.as<nn::AdaptiveMaxPool1dImpl>()) return adaptive_pool(m, inputs, L, out, true);
  if (auto* m = module.as<nn::AdaptiveMaxPool2dImpl>()) return adaptive_pool(m, inputs, L, out, true);
  return lower_norm(module, inputs, L, out);
}

}  // namespace reel::onnx::detail
