// reel/tensor/ops_conv.cpp — front doors of the convolution and pooling ops: conv2d and its two backward
// primitives, the composites conv1d, conv3d (one conv2d per depth tap) and conv_transpose1d/2d (conv2d's input
// gradient: its kernels run the forward, conv2d's the backward, on both devices), max_pool2d (with indices),
// avg_pool2d, adaptive_avg_pool2d and their backward primitives, adaptive_max_pool2d (with indices).
//
// Each front door checks its arguments with PyTorch's rules (ranks, channels against weight and groups, positive
// strides and dilations, non-negative padding, at most half a kernel of padding for pooling, windows that fit the
// padded input, one floating dtype, one device) and throws reel::Error naming the op and the shapes. A 3-D input
// is an unbatched (C, H, W) one: it is run as a batch of one and the batch dim removed again. The primitives
// allocate contiguous outputs, store their settings in OpAttrs (ConvParams, PoolParams: tensor/conv_params.h) and
// call the (op, device) kernel (cpu/conv.cpp, cpu/pool.cpp). Recorded for autograd:
//   conv2d                    inputs (input, weight, bias)    attrs: ConvParams
//   conv2d_backward_input     inputs (grad_output, weight)    attrs: ConvParams
//   conv2d_backward_weight    inputs (grad_output, input)     attrs: ConvParams
//   max_pool2d                input; outputs (values, indices) attrs: PoolParams
//   max_pool2d_backward       inputs (grad_output, indices)
//   avg_pool2d(_backward)     input / grad_output              attrs: PoolParams
//   adaptive_avg_pool2d(_backward)  input / grad_output (the sizes come from the tensors)
//   adaptive_max_pool2d       input; outputs (values, indices) (backward: max_pool2d_backward)
#include <algorithm>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "tensor/autograd_hook.h"
#include "tensor/conv_params.h"
#include "tensor/op_call.h"
#include "tensor/ops.h"

namespace reel {

namespace {

std::string pair_str(const SpatialPair& p) { return fmt::format("({}, {})", p[0], p[1]); }

// One value for both spatial dims, or (height, width).
SpatialPair pair_arg(const char* op, const char* name, IntList values) {
  REEL_CHECK(values.size() == 1 || values.size() == 2,
             "{}: {} must be one value or two (height, width), got {} values {}", op, name, values.size(),
             shape_str(values));
  return values.size() == 1 ? SpatialPair{values[0], values[0]} : SpatialPair{values[0], values[1]};
}

void check_same_device(const char* op, const Tensor& a, const char* a_name, const Tensor& b, const char* b_name) {
  REEL_CHECK(a.device() == b.device(), "{}: expected {} and {} on one device, got {} (shape {}) and {} (shape {})", op,
             a_name, b_name, a.device().str(), shape_str(a.sizes()), b.device().str(), shape_str(b.sizes()));
}

void check_same_dtype(const char* op, const Tensor& a, const char* a_name, const Tensor& b, const char* b_name) {
  REEL_CHECK(a.dtype() == b.dtype(), "{}: {} type ({}) and {} type ({}) should be the same (shapes {} and {})", op,
             a_name, dtype_name(a.dtype()), b_name, dtype_name(b.dtype()), shape_str(a.sizes()),
             shape_str(b.sizes()));
}

void check_floating(const char* op, const Tensor& t, const char* name) {
  REEL_CHECK(t.is_floating_point(), "{}: expected a floating-point {}, got {} of shape {}", op, name,
             dtype_name(t.dtype()), shape_str(t.sizes()));
}

void check_rank(const char* op, const Tensor& t, const char* name, int64_t rank) {
  REEL_CHECK(t.dim() == rank, "{}: expected {} to be {}-D, got shape {}", op, name, rank, shape_str(t.sizes()));
}

// ---- convolution checks --------------------------------------------------------------------------------------
ConvParams conv_params(const char* op, IntList stride, IntList padding, IntList dilation, int64_t groups) {
  ConvParams p;
  p.stride = pair_arg(op, "stride", stride);
  p.padding = pair_arg(op, "padding", padding);
  p.dilation = pair_arg(op, "dilation", dilation);
  p.groups = groups;
  REEL_CHECK(p.stride[0] > 0 && p.stride[1] > 0, "{}: non-positive stride is not supported, got stride {}", op,
             pair_str(p.stride));
  REEL_CHECK(p.padding[0] >= 0 && p.padding[1] >= 0, "{}: negative padding is not supported, got padding {}", op,
             pair_str(p.padding));
  REEL_CHECK(p.dilation[0] > 0 && p.dilation[1] > 0, "{}: dilation should be greater than zero, got dilation {}", op,
             pair_str(p.dilation));
  REEL_CHECK(groups > 0, "{}: non-positive groups is not supported, got groups={}", op, groups);
  return p;
}

// The input (N, C, H, W) against the weight (O, C / groups, kH, kW): ranks, channels, groups, window size.
// Returns the output size (N, O, oH, oW).
DimVector conv_output_shape(const char* op, IntList input, IntList weight, const ConvParams& p) {
  REEL_CHECK(input.size() == 4, "{}: expected a 4-D input (N, C, H, W), got size {}", op, shape_str(input));
  REEL_CHECK(weight.size() == 4, "{}: expected a 4-D weight (out_channels, in_channels / groups, kH, kW), got {}", op,
             shape_str(weight));
  REEL_CHECK(weight[2] > 0 && weight[3] > 0, "{}: weight of size {} has an empty kernel", op, shape_str(weight));
  REEL_CHECK(weight[0] % p.groups == 0,
             "{}: given groups={}, expected weight to be divisible by {} at dimension 0, but got weight of size {} "
             "instead",
             op, p.groups, p.groups, shape_str(weight));
  REEL_CHECK(input[1] == weight[1] * p.groups,
             "{}: given groups={}, weight of size {}, expected input{} to have {} channels, but got {} channels "
             "instead",
             op, p.groups, shape_str(weight), shape_str(input), weight[1] * p.groups, input[1]);
  const int64_t padded_h = input[2] + 2 * p.padding[0], padded_w = input[3] + 2 * p.padding[1];
  const int64_t kernel_h = p.dilation[0] * (weight[2] - 1) + 1, kernel_w = p.dilation[1] * (weight[3] - 1) + 1;
  REEL_CHECK(padded_h >= kernel_h && padded_w >= kernel_w,
             "{}: calculated padded input size per channel: ({} x {}). Kernel size: ({} x {}). Kernel size can't be "
             "greater than actual input size (input {}, weight {})",
             op, padded_h, padded_w, kernel_h, kernel_w, shape_str(input), shape_str(weight));
  return {input[0], weight[0], p.output_size(0, input[2], weight[2]), p.output_size(1, input[3], weight[3])};
}

void check_conv_tensors(const char* op, const Tensor& a, const char* a_name, const Tensor& b, const char* b_name) {
  a.check_defined(op);
  b.check_defined(op);
  check_same_device(op, a, a_name, b, b_name);
  check_floating(op, a, a_name);
  check_same_dtype(op, a, a_name, b, b_name);
}

// ---- pooling checks ------------------------------------------------------------------------------------------
PoolParams pool_params(const char* op, IntList kernel_size, IntList stride, IntList padding, IntList dilation,
                       bool ceil_mode) {
  PoolParams p;
  p.kernel = pair_arg(op, "kernel_size", kernel_size);
  p.stride = stride.empty() ? p.kernel : pair_arg(op, "stride", stride);
  p.padding = pair_arg(op, "padding", padding);
  p.dilation = pair_arg(op, "dilation", dilation);
  p.ceil_mode = ceil_mode;
  REEL_CHECK(p.kernel[0] > 0 && p.kernel[1] > 0, "{}: kernel size should be greater than zero, but got {}", op,
             pair_str(p.kernel));
  REEL_CHECK(p.stride[0] > 0 && p.stride[1] > 0, "{}: stride should be greater than zero, but got {}", op,
             pair_str(p.stride));
  REEL_CHECK(p.dilation[0] > 0 && p.dilation[1] > 0, "{}: dilation should be greater than zero, but got {}", op,
             pair_str(p.dilation));
  REEL_CHECK(p.padding[0] >= 0 && p.padding[1] >= 0, "{}: pad must be non-negative, but got {}", op,
             pair_str(p.padding));
  REEL_CHECK(p.kernel[0] / 2 >= p.padding[0] && p.kernel[1] / 2 >= p.padding[1],
             "{}: pad should be smaller than or equal to half of kernel size, but got padding {} for kernel size {}",
             op, pair_str(p.padding), pair_str(p.kernel));
  return p;
}

// The pooled size (N, C, oH, oW) of a 4-D input whose C, H and W are non-zero.
DimVector pool_output_shape(const char* op, IntList input, const PoolParams& p) {
  REEL_CHECK(input.size() == 4 && input[1] > 0 && input[2] > 0 && input[3] > 0,
             "{}: expected a 3-D or 4-D (batch mode) input with non-zero channels, height and width, got size {}", op,
             shape_str(input));
  const int64_t out_h = p.output_size(0, input[2]), out_w = p.output_size(1, input[3]);
  REEL_CHECK(out_h >= 1 && out_w >= 1,
             "{}: given input size {}, calculated output size ({} x {}) is too small (kernel {}, stride {}, "
             "padding {}, dilation {})",
             op, shape_str(input), out_h, out_w, pair_str(p.kernel), pair_str(p.stride), pair_str(p.padding),
             pair_str(p.dilation));
  return {input[0], input[1], out_h, out_w};
}

void check_input_rank(const char* op, const Tensor& input) {
  input.check_defined(op);
  REEL_CHECK(input.dim() == 3 || input.dim() == 4,
             "{}: expected a 3-D (unbatched) or 4-D (batched) input, but got input of size {}", op,
             shape_str(input.sizes()));
  check_floating(op, input, "input");
}

// Sizes given for a backward primitive: 4 values.
void check_size_arg(const char* op, const char* name, IntList sizes) {
  REEL_CHECK(sizes.size() == 4, "{}: {} must have 4 values (N, C, H, W), got {}", op, name, shape_str(sizes));
  for (int64_t s : sizes) REEL_CHECK(s >= 0, "{}: {} {} has a negative size", op, name, shape_str(sizes));
}

void check_grad_shape(const char* op, const Tensor& grad_output, IntList expected) {
  REEL_CHECK(grad_output.sizes() == expected, "{}: expected grad_output of size {}, got {}", op, shape_str(expected),
             shape_str(grad_output.sizes()));
}

}  // namespace

// ---- convolution ---------------------------------------------------------------------------------------------
// y[n,o,i,j] = b[o] + sum_{c,p,q} w[o,c,p,q] x[n, g C/G + c, i s - pad + p d, j s - pad + q d]
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntList stride, IntList padding,
              IntList dilation, int64_t groups) {
  check_input_rank("conv2d", input);
  if (input.dim() == 3) return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0);
  check_conv_tensors("conv2d", input, "input", weight, "weight");
  const ConvParams p = conv_params("conv2d", stride, padding, dilation, groups);
  const DimVector out_shape = conv_output_shape("conv2d", input.sizes(), weight.sizes(), p);
  if (bias.defined()) {
    check_same_device("conv2d", input, "input", bias, "bias");
    check_same_dtype("conv2d", input, "input", bias, "bias");
    REEL_CHECK(bias.dim() == 1 && bias.size(0) == weight.size(0),
               "conv2d: given weight of size {}, expected bias to be 1-dimensional with {} elements, but got bias of "
               "size {} instead",
               shape_str(weight.sizes()), weight.size(0), shape_str(bias.sizes()));
  }
  const OpAttrs attrs = family_attrs(p);
  // The kernel gets the bias only when there is one; the node always has three inputs.
  const Tensor inputs[] = {input, weight, bias};
  Tensor out;
  run_op(OpId::conv2d, &attrs, OpInputs(inputs, bias.defined() ? 3 : 2),
         {&out, {{out_shape, input.dtype(), input.device()}}},
         {.recorded_inputs = {&input, &weight, &bias}, .allocating = "conv2d"});
  return out;
}

// dx[n, g C/G + c, h, w] = sum over (o, p, q, i, j) with h = i s - pad + p d, w likewise of w[o,c,p,q] g[n,o,i,j]
Tensor conv2d_backward_input(const Tensor& grad_output, const Tensor& weight, IntList input_size, IntList stride,
                             IntList padding, IntList dilation, int64_t groups) {
  const char* op = "conv2d_backward_input";
  check_conv_tensors(op, grad_output, "grad_output", weight, "weight");
  check_rank(op, grad_output, "grad_output", 4);
  check_size_arg(op, "input_size", input_size);
  const ConvParams p = conv_params(op, stride, padding, dilation, groups);
  check_grad_shape(op, grad_output, conv_output_shape(op, input_size, weight.sizes(), p));
  const OpAttrs attrs = family_attrs(p);
  const Tensor inputs[] = {grad_output, weight};
  Tensor out;
  run_op(OpId::conv2d_backward_input, &attrs, inputs, {&out, {{input_size, grad_output.dtype(), grad_output.device()}}},
         {.allocating = op});
  return out;
}

// dw[o,c,p,q] = sum_{n,i,j} g[n,o,i,j] x[n, g C/G + c, i s - pad + p d, j s - pad + q d]
Tensor conv2d_backward_weight(const Tensor& grad_output, const Tensor& input, IntList weight_size, IntList stride,
                              IntList padding, IntList dilation, int64_t groups) {
  const char* op = "conv2d_backward_weight";
  check_conv_tensors(op, grad_output, "grad_output", input, "input");
  check_rank(op, grad_output, "grad_output", 4);
  check_rank(op, input, "input", 4);
  check_size_arg(op, "weight_size", weight_size);
  const ConvParams p = conv_params(op, stride, padding, dilation, groups);
  check_grad_shape(op, grad_output, conv_output_shape(op, input.sizes(), weight_size, p));
  const OpAttrs attrs = family_attrs(p);
  const Tensor inputs[] = {grad_output, input};
  Tensor out;
  run_op(OpId::conv2d_backward_weight, &attrs, inputs,
         {&out, {{weight_size, grad_output.dtype(), grad_output.device()}}}, {.allocating = op});
  return out;
}

// conv2d over (N, C, 1, L) with a (O, C/G, 1, K) weight
Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntList stride, IntList padding,
              IntList dilation, int64_t groups) {
  input.check_defined("conv1d");
  weight.check_defined("conv1d");
  REEL_CHECK(input.dim() == 2 || input.dim() == 3,
             "conv1d: expected a 2-D (unbatched) or 3-D (batched) input, but got input of size {}",
             shape_str(input.sizes()));
  REEL_CHECK(weight.dim() == 3, "conv1d: expected a 3-D weight (out_channels, in_channels / groups, kW), got {}",
             shape_str(weight.sizes()));
  auto one = [](const char* name, IntList values) {
    REEL_CHECK(values.size() == 1, "conv1d: {} must be one value, got {}", name, shape_str(values));
    return values[0];
  };
  const int64_t s = one("stride", stride), pad = one("padding", padding), d = one("dilation", dilation);
  return conv2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, {1, s}, {0, pad}, {1, d}, groups).squeeze(-2);
}

// ---- 3-D and transposed convolution (composites of conv2d and conv2d_backward_input) ------------------------
namespace {

// One value for the three spatial dims, or (depth, height, width).
std::vector<int64_t> triple_arg(const char* op, const char* name, IntList values) {
  REEL_CHECK(values.size() == 1 || values.size() == 3,
             "{}: {} must be one value or three (depth, height, width), got {} values {}", op, name, values.size(),
             shape_str(values));
  return values.size() == 1 ? std::vector<int64_t>(3, values[0]) : values.vec();
}

// x with `before` and `after` zero slices added along dim (differentiable: a cat).
Tensor zero_extend(const Tensor& x, int64_t dim, int64_t before, int64_t after) {
  if (before == 0 && after == 0) return x;
  std::vector<Tensor> parts;
  auto zero_slab = [&](int64_t size) {
    DimVector shape(x.sizes());
    shape[static_cast<size_t>(dim)] = size;
    return zeros(shape, x.options());
  };
  if (before > 0) parts.push_back(zero_slab(before));
  parts.push_back(x);
  if (after > 0) parts.push_back(zero_slab(after));
  return cat(parts, dim);
}

void check_bias(const char* op, const Tensor& input, const Tensor& bias, int64_t channels, IntList weight) {
  if (!bias.defined()) return;
  check_same_device(op, input, "input", bias, "bias");
  check_same_dtype(op, input, "input", bias, "bias");
  REEL_CHECK(bias.dim() == 1 && bias.size(0) == channels,
             "{}: given weight of size {}, expected bias to be 1-dimensional with {} elements, but got bias of size {} "
             "instead",
             op, shape_str(weight), channels, shape_str(bias.sizes()));
}

}  // namespace

// y[n,o,t,i,j] = b[o] + sum_r conv2d(x[n, :, t s_d - pad_d + r d_d], w[:, :, r])[o, i, j]: the depth taps folded into
// the batch, one conv2d per tap r, summed
Tensor conv3d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntList stride, IntList padding,
              IntList dilation, int64_t groups) {
  const char* op = "conv3d";
  input.check_defined(op);
  weight.check_defined(op);
  REEL_CHECK(input.dim() == 4 || input.dim() == 5,
             "{}: expected a 4-D (unbatched) or 5-D (batched) input, but got input of size {}", op,
             shape_str(input.sizes()));
  if (input.dim() == 4) return conv3d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0);
  check_conv_tensors(op, input, "input", weight, "weight");
  REEL_CHECK(weight.dim() == 5, "{}: expected a 5-D weight (out_channels, in_channels / groups, kD, kH, kW), got {}",
             op, shape_str(weight.sizes()));
  const std::vector<int64_t> s = triple_arg(op, "stride", stride), pad = triple_arg(op, "padding", padding),
                             d = triple_arg(op, "dilation", dilation);
  for (int i = 0; i < 3; ++i) {
    REEL_CHECK(s[i] > 0, "{}: non-positive stride is not supported, got stride {}", op, shape_str(s));
    REEL_CHECK(pad[i] >= 0, "{}: negative padding is not supported, got padding {}", op, shape_str(pad));
    REEL_CHECK(d[i] > 0, "{}: dilation should be greater than zero, got dilation {}", op, shape_str(d));
  }
  REEL_CHECK(groups > 0, "{}: non-positive groups is not supported, got groups={}", op, groups);
  const IntList x = input.sizes(), w = weight.sizes();
  REEL_CHECK(w[2] > 0 && w[3] > 0 && w[4] > 0, "{}: weight of size {} has an empty kernel", op, shape_str(w));
  REEL_CHECK(w[0] % groups == 0,
             "{}: given groups={}, expected weight to be divisible by {} at dimension 0, but got weight of size {} "
             "instead",
             op, groups, groups, shape_str(w));
  REEL_CHECK(x[1] == w[1] * groups,
             "{}: given groups={}, weight of size {}, expected input{} to have {} channels, but got {} channels "
             "instead",
             op, groups, shape_str(w), shape_str(x), w[1] * groups, x[1]);
  for (int i = 0; i < 3; ++i) {
    const int64_t padded = x[i + 2] + 2 * pad[i], kernel = d[i] * (w[i + 2] - 1) + 1;
    REEL_CHECK(padded >= kernel,
               "{}: calculated padded input size per channel: {}. Kernel size: {}. Kernel size can't be greater than "
               "actual input size (input {}, weight {}, padding {}, dilation {})",
               op, padded, kernel, shape_str(x), shape_str(w), shape_str(pad), shape_str(d));
  }
  check_bias(op, input, bias, w[0], w);
  // float16 / bfloat16: the taps are summed in float32 and rounded once, as conv2d's kernels do
  if (input.dtype() == kFloat16 || input.dtype() == kBFloat16)
    return conv3d(input.to(kFloat32), weight.to(kFloat32), bias.defined() ? bias.to(kFloat32) : Tensor(), stride,
                  padding, dilation, groups)
        .to(input.dtype());
  const int64_t batch = x[0], channels = x[1], out_channels = w[0];
  const int64_t out_d = (x[2] + 2 * pad[0] - d[0] * (w[2] - 1) - 1) / s[0] + 1;
  const Tensor padded = zero_extend(input, 2, pad[0], pad[0]);
  Tensor sum;
  for (int64_t r = 0; r < w[2]; ++r) {
    // (N, C, oD, H, W) -> (N oD, C, H, W): the depth slices this tap reads
    const Tensor slices = padded.slice(2, r * d[0], r * d[0] + (out_d - 1) * s[0] + 1, s[0]);
    const Tensor planes = slices.transpose(1, 2).reshape({batch * out_d, channels, x[3], x[4]});
    Tensor tap = conv2d(planes, weight.select(2, r), Tensor(), {s[1], s[2]}, {pad[1], pad[2]}, {d[1], d[2]}, groups);
    sum = r == 0 ? tap : sum + tap;
  }
  Tensor out = sum.reshape({batch, out_d, out_channels, sum.size(2), sum.size(3)}).transpose(1, 2).contiguous();
  if (bias.defined()) out = out + bias.reshape({1, out_channels, 1, 1, 1});
  return out;
}

// y = conv2d_backward_input(x, w) for the output size (H - 1) s - 2 pad + d (k - 1) + output_padding + 1, plus b
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntList stride,
                        IntList padding, IntList output_padding, int64_t groups, IntList dilation) {
  const char* op = "conv_transpose2d";
  check_input_rank(op, input);
  if (input.dim() == 3)
    return conv_transpose2d(input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups, dilation)
        .squeeze(0);
  check_conv_tensors(op, input, "input", weight, "weight");
  check_rank(op, weight, "weight", 4);
  const ConvParams p = conv_params(op, stride, padding, dilation, groups);
  const SpatialPair out_pad = pair_arg(op, "output_padding", output_padding);
  const IntList x = input.sizes(), w = weight.sizes();
  REEL_CHECK(w[2] > 0 && w[3] > 0, "{}: weight of size {} has an empty kernel", op, shape_str(w));
  REEL_CHECK(w[0] % groups == 0,
             "{}: given groups={}, expected weight to be divisible by {} at dimension 0, but got weight of size {} "
             "instead",
             op, groups, groups, shape_str(w));
  REEL_CHECK(x[1] == w[0],
             "{}: given transposed=1, weight of size {}, expected input{} to have {} channels, but got {} channels "
             "instead",
             op, shape_str(w), shape_str(x), w[0], x[1]);
  for (int i = 0; i < 2; ++i)
    REEL_CHECK(out_pad[i] >= 0 && (out_pad[i] < p.stride[i] || out_pad[i] < p.dilation[i]),
               "{}: output padding must be smaller than either stride or dilation, but got output_padding {}, stride "
               "{}, dilation {}",
               op, pair_str(out_pad), pair_str(p.stride), pair_str(p.dilation));
  const int64_t out_channels = w[1] * groups;
  check_bias(op, input, bias, out_channels, w);
  int64_t out_size[2];
  for (int i = 0; i < 2; ++i)
    out_size[i] = (x[i + 2] - 1) * p.stride[i] - 2 * p.padding[i] + p.dilation[i] * (w[i + 2] - 1) + out_pad[i] + 1;
  REEL_CHECK(x[2] > 0 && x[3] > 0 && out_size[0] > 0 && out_size[1] > 0,
             "{}: given input of size {}, weight {}, stride {}, padding {}, dilation {}, output_padding {}: the "
             "calculated output size ({} x {}) is too small",
             op, shape_str(x), shape_str(w), pair_str(p.stride), pair_str(p.padding), pair_str(p.dilation),
             pair_str(out_pad), out_size[0], out_size[1]);
  // An output_padding of a stride or more (allowed when under the dilation) adds output rows that a convolution of
  // that size reads into extra gradient rows: those rows of x are zeros.
  const Tensor extended =
      zero_extend(zero_extend(input, 2, 0, out_pad[0] / p.stride[0]), 3, 0, out_pad[1] / p.stride[1]);
  Tensor out = conv2d_backward_input(extended, weight, {x[0], out_channels, out_size[0], out_size[1]},
                                     {p.stride[0], p.stride[1]}, {p.padding[0], p.padding[1]},
                                     {p.dilation[0], p.dilation[1]}, groups);
  if (bias.defined()) out = out + bias.reshape({1, out_channels, 1, 1});
  return out;
}

// conv_transpose2d over (N, C, 1, L) with a (C, O/G, 1, K) weight
Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntList stride,
                        IntList padding, IntList output_padding, int64_t groups, IntList dilation) {
  const char* op = "conv_transpose1d";
  input.check_defined(op);
  weight.check_defined(op);
  REEL_CHECK(input.dim() == 2 || input.dim() == 3,
             "{}: expected a 2-D (unbatched) or 3-D (batched) input, but got input of size {}", op,
             shape_str(input.sizes()));
  REEL_CHECK(weight.dim() == 3, "{}: expected a 3-D weight (in_channels, out_channels / groups, kW), got {}", op,
             shape_str(weight.sizes()));
  auto one = [&](const char* name, IntList values) {
    REEL_CHECK(values.size() == 1, "{}: {} must be one value, got {}", op, name, shape_str(values));
    return values[0];
  };
  const int64_t s = one("stride", stride), pad = one("padding", padding);
  const int64_t out_pad = one("output_padding", output_padding), d = one("dilation", dilation);
  return conv_transpose2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, {1, s}, {0, pad}, {0, out_pad}, groups,
                          {1, d})
      .squeeze(-2);
}

// ---- max pooling ---------------------------------------------------------------------------------------------
// (y, k)[n,c,i,j] = (max, flat argmax) of x[n,c] over the dilated window at (i s - pad, j s - pad)
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, IntList kernel_size, IntList stride,
                                                   IntList padding, IntList dilation, bool ceil_mode) {
  const char* op = "max_pool2d";
  check_input_rank(op, input);
  if (input.dim() == 3) {
    auto [values, indices] =
        max_pool2d_with_indices(input.unsqueeze(0), kernel_size, stride, padding, dilation, ceil_mode);
    return {values.squeeze(0), indices.squeeze(0)};
  }
  const PoolParams p = pool_params(op, kernel_size, stride, padding, dilation, ceil_mode);
  const DimVector out_shape = pool_output_shape(op, input.sizes(), p);
  const OpAttrs attrs = family_attrs(p);
  Tensor outputs[2];
  run_op(OpId::max_pool2d, &attrs, input,
         {outputs, {{out_shape, input.dtype(), input.device()}, {out_shape, kInt64, input.device()}}},
         {.allocating = op});
  return {outputs[0], outputs[1]};
}

Tensor max_pool2d(const Tensor& input, IntList kernel_size, IntList stride, IntList padding, IntList dilation,
                  bool ceil_mode) {
  return std::get<0>(max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode));
}

// dx[n,c][k[n,c,i,j]] += g[n,c,i,j]
Tensor max_pool2d_backward(const Tensor& grad_output, const Tensor& indices, IntList input_size) {
  const char* op = "max_pool2d_backward";
  grad_output.check_defined(op);
  indices.check_defined(op);
  check_floating(op, grad_output, "grad_output");
  check_same_device(op, grad_output, "grad_output", indices, "indices");
  check_rank(op, grad_output, "grad_output", 4);
  check_size_arg(op, "input_size", input_size);
  REEL_CHECK(indices.dtype() == kInt64 && indices.sizes() == grad_output.sizes(),
             "{}: expected int64 indices of the grad_output's size {}, got {} of size {}", op,
             shape_str(grad_output.sizes()), dtype_name(indices.dtype()), shape_str(indices.sizes()));
  REEL_CHECK(input_size[0] == grad_output.size(0) && input_size[1] == grad_output.size(1),
             "{}: grad_output of size {} does not match input_size {} in batch and channels", op,
             shape_str(grad_output.sizes()), shape_str(input_size));
  const Tensor inputs[] = {grad_output, indices};
  Tensor out;
  run_op(OpId::max_pool2d_backward, nullptr, inputs, {&out, {{input_size, grad_output.dtype(), grad_output.device()}}},
         {.allocating = op});
  return out;
}

// ---- average pooling -----------------------------------------------------------------------------------------
// y[n,c,i,j] = sum of x[n,c] over the window / window size (padding counted when count_include_pad)
// divisor_override: y = (padded-window mean) * (padded window size) / divisor
Tensor avg_pool2d(const Tensor& input, IntList kernel_size, IntList stride, IntList padding, bool ceil_mode,
                  bool count_include_pad, std::optional<int64_t> divisor_override) {
  const char* op = "avg_pool2d";
  check_input_rank(op, input);
  if (input.dim() == 3)
    return avg_pool2d(input.unsqueeze(0), kernel_size, stride, padding, ceil_mode, count_include_pad,
                      divisor_override)
        .squeeze(0);
  PoolParams p = pool_params(op, kernel_size, stride, padding, 1, ceil_mode);
  p.count_include_pad = count_include_pad || divisor_override.has_value();
  const DimVector out_shape = pool_output_shape(op, input.sizes(), p);
  if (divisor_override) {
    REEL_CHECK(*divisor_override != 0, "{}: divisor must be not zero", op);
    const Tensor mean = avg_pool2d(input, kernel_size, stride, padding, ceil_mode, true);
    std::vector<double> sizes[2];  // per dim: min(i s - pad + k, in + pad) - (i s - pad)
    for (int d = 0; d < 2; ++d)
      for (int64_t i = 0; i < out_shape[static_cast<size_t>(d + 2)]; ++i) {
        const int64_t start = i * p.stride[d] - p.padding[d];
        const int64_t end = std::min(start + p.kernel[d], input.size(d + 2) + p.padding[d]);
        sizes[d].push_back(static_cast<double>(end - start));
      }
    const TensorOptions options = TensorOptions().dtype(input.dtype()).device(input.device());
    const Tensor window = tensor(sizes[0], options).reshape({-1, 1}) * tensor(sizes[1], options).reshape({1, -1});
    return mean * (window / static_cast<double>(*divisor_override));
  }
  const OpAttrs attrs = family_attrs(p);
  Tensor out;
  run_op(OpId::avg_pool2d, &attrs, input, {&out, {{out_shape, input.dtype(), input.device()}}}, {.allocating = op});
  return out;
}

// dx[n,c,h,w] = sum over the windows holding (h, w) of g / window size
Tensor avg_pool2d_backward(const Tensor& grad_output, IntList input_size, IntList kernel_size, IntList stride,
                           IntList padding, bool ceil_mode, bool count_include_pad) {
  const char* op = "avg_pool2d_backward";
  grad_output.check_defined(op);
  check_floating(op, grad_output, "grad_output");
  check_size_arg(op, "input_size", input_size);
  PoolParams p = pool_params(op, kernel_size, stride, padding, 1, ceil_mode);
  p.count_include_pad = count_include_pad;
  check_grad_shape(op, grad_output, pool_output_shape(op, input_size, p));
  const OpAttrs attrs = family_attrs(p);
  Tensor out;
  run_op(OpId::avg_pool2d_backward, &attrs, grad_output,
         {&out, {{input_size, grad_output.dtype(), grad_output.device()}}}, {.allocating = op});
  return out;
}

// ---- adaptive average pooling --------------------------------------------------------------------------------
// y[n,c,i,j] = mean of x[n,c, floor(i H / oH) : ceil((i + 1) H / oH), floor(j W / oW) : ceil((j + 1) W / oW)]
Tensor adaptive_avg_pool2d(const Tensor& input, IntList output_size) {
  const char* op = "adaptive_avg_pool2d";
  check_input_rank(op, input);
  if (input.dim() == 3) return adaptive_avg_pool2d(input.unsqueeze(0), output_size).squeeze(0);
  const SpatialPair size = pair_arg(op, "output_size", output_size);
  REEL_CHECK(size[0] >= 0 && size[1] >= 0, "{}: elements of output_size must be greater than or equal to 0, got {}",
             op, pair_str(size));
  REEL_CHECK(input.size(1) > 0 && input.size(2) > 0 && input.size(3) > 0,
             "{}: expected input to have non-zero size for non-batch dimensions, but got size {}", op,
             shape_str(input.sizes()));
  Tensor out;
  run_op(OpId::adaptive_avg_pool2d, nullptr, input,
         {&out, {{{input.size(0), input.size(1), size[0], size[1]}, input.dtype(), input.device()}}},
         {.allocating = op});
  return out;
}

// (y, k)[n,c,i,j] = (max, flat argmax) of x[n,c] over the adaptive window (i, j)
std::tuple<Tensor, Tensor> adaptive_max_pool2d(const Tensor& input, IntList output_size) {
  const char* op = "adaptive_max_pool2d";
  check_input_rank(op, input);
  if (input.dim() == 3) {
    auto [values, indices] = adaptive_max_pool2d(input.unsqueeze(0), output_size);
    return {values.squeeze(0), indices.squeeze(0)};
  }
  const SpatialPair size = pair_arg(op, "output_size", output_size);
  REEL_CHECK(size[0] >= 0 && size[1] >= 0, "{}: elements of output_size must be greater than or equal to 0, got {}",
             op, pair_str(size));
  REEL_CHECK(input.size(1) > 0 && input.size(2) > 0 && input.size(3) > 0,
             "{}: expected input to have non-zero size for non-batch dimensions, but got size {}", op,
             shape_str(input.sizes()));
  const DimVector out_shape{input.size(0), input.size(1), size[0], size[1]};
  Tensor outputs[2];
  run_op(OpId::adaptive_max_pool2d, nullptr, input,
         {outputs, {{out_shape, input.dtype(), input.device()}, {out_shape, kInt64, input.device()}}},
         {.allocating = op});
  return {outputs[0], outputs[1]};
}

// dx[n,c,h,w] = sum over the adaptive windows holding (h, w) of g / window size
Tensor adaptive_avg_pool2d_backward(const Tensor& grad_output, IntList input_size) {
  const char* op = "adaptive_avg_pool2d_backward";
  grad_output.check_defined(op);
  check_floating(op, grad_output, "grad_output");
  check_rank(op, grad_output, "grad_output", 4);
  check_size_arg(op, "input_size", input_size);
  REEL_CHECK(input_size[0] == grad_output.size(0) && input_size[1] == grad_output.size(1),
             "{}: grad_output of size {} does not match input_size {} in batch and channels", op,
             shape_str(grad_output.sizes()), shape_str(input_size));
  REEL_CHECK(input_size[2] > 0 && input_size[3] > 0, "{}: input_size {} has an empty plane", op,
             shape_str(input_size));
  Tensor out;
  run_op(OpId::adaptive_avg_pool2d_backward, nullptr, grad_output,
         {&out, {{input_size, grad_output.dtype(), grad_output.device()}}}, {.allocating = op});
  return out;
}

}  // namespace reel
