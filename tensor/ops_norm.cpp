// reel/tensor/ops_norm.cpp — front doors of the fused normalization ops: native_batch_norm (training mode, batch
// statistics) and its backward primitive native_batch_norm_backward.
//
// Layout: the input is (N, C, ...) — per channel c the statistics run over dim 0 and every dim after 1, M = N * the
// product of dims 2.. values. Each front door checks its arguments with PyTorch's rules plus reel's own limits
// (float32 / float64 only, weight and bias in the input's dtype, one device, more than one value per channel in the
// forward) and throws reel::Error naming the op, the shapes, dtypes or devices. The kernels (cpu/norm.cpp,
// cuda/norm.cu, cuda/norm_cudnn.cpp) get contiguous inputs (copied here when needed) and the freshly allocated
// contiguous outputs; an undefined weight or bias is passed on undefined (the kernels read it as 1 or 0).
// Recorded for autograd:
//   native_batch_norm            inputs (input, weight, bias); outputs (y, save_mean, save_invstd); attrs: EpsAttrs
//   native_batch_norm_backward   not recorded: no formula (the forward's formula differentiates without it under
//                                create_graph, autograd/derivatives.cpp)
#include <fmt/format.h>

#include "tensor/op_call.h"
#include "tensor/ops.h"

namespace reel {

namespace {

void check_norm_dtype(const char* op, const Tensor& t, const char* name) {
  REEL_CHECK(t.dtype() == kFloat32 || t.dtype() == kFloat64,
             "{}: expected a float32 or float64 {}, got {} of shape {} (16-bit floats go through the composite "
             "nn::functional::batch_norm)",
             op, name, dtype_name(t.dtype()), shape_str(t.sizes()));
}

void check_same_device(const char* op, const Tensor& a, const char* a_name, const Tensor& b, const char* b_name) {
  REEL_CHECK(a.device() == b.device(), "{}: expected {} and {} on one device, got {} (shape {}) and {} (shape {})", op,
             a_name, b_name, a.device().str(), shape_str(a.sizes()), b.device().str(), shape_str(b.sizes()));
}

// A per-channel tensor (weight, bias, save_mean, save_invstd): 1-D of C values, the input's dtype and device.
void check_per_channel(const char* op, const Tensor& input, const Tensor& t, const char* name) {
  check_same_device(op, input, "input", t, name);
  REEL_CHECK(t.dim() == 1 && t.size(0) == input.size(1),
             "{}: expected {} of shape [{}] (the input's channels, input shape {}), got shape {}", op, name,
             input.size(1), shape_str(input.sizes()), shape_str(t.sizes()));
  REEL_CHECK(t.dtype() == input.dtype(), "{}: expected {} in the input's dtype {}, got {} (shape {})", op, name,
             dtype_name(input.dtype()), dtype_name(t.dtype()), shape_str(t.sizes()));
}

void check_input(const char* op, const Tensor& input, const char* name) {
  input.check_defined(op);
  REEL_CHECK(input.dim() >= 2, "{}: expected {} of shape (N, C, ...) with at least 2 dims, got shape {}", op, name,
             shape_str(input.sizes()));
  check_norm_dtype(op, input, name);
}

// Values per channel: N times the spatial size.
int64_t values_per_channel(const Tensor& input) {
  int64_t m = input.size(0);
  for (int64_t d = 2; d < input.dim(); ++d) m *= input.size(d);
  return m;
}

}  // namespace

// mean_c = sum x / M, var_c = sum (x - mean_c)^2 / M, invstd_c = 1 / sqrt(var_c + eps),
// y = (x - mean_c) invstd_c w_c + b_c
std::tuple<Tensor, Tensor, Tensor> native_batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias,
                                                     double eps) {
  const char* op = "native_batch_norm";
  check_input(op, input, "input");
  if (weight.defined()) check_per_channel(op, input, weight, "weight");
  if (bias.defined()) check_per_channel(op, input, bias, "bias");
  const int64_t m = values_per_channel(input);
  REEL_CHECK(m > 1, "{}: expected more than 1 value per channel when training, got input size {}", op,
             shape_str(input.sizes()));
  const int64_t channels = input.size(1);
  const OpAttrs attrs = family_attrs(EpsAttrs{eps});
  const Tensor inputs[] = {input, weight, bias};
  Tensor outputs[3];
  run_op(OpId::native_batch_norm, &attrs, inputs,
         {outputs, {{input.sizes(), input.dtype(), input.device()}, {channels, input.dtype(), input.device()},
                    {channels, input.dtype(), input.device()}}},
         {.contiguous_inputs = 0b111, .allocating = op});
  return {outputs[0], outputs[1], outputs[2]};
}

// x^ = (x - mean) invstd; db = sum g, dw = sum g x^, dx = w invstd (g - db / M - x^ dw / M)
std::tuple<Tensor, Tensor, Tensor> native_batch_norm_backward(const Tensor& grad_output, const Tensor& input,
                                                              const Tensor& weight, const Tensor& save_mean,
                                                              const Tensor& save_invstd, double eps) {
  const char* op = "native_batch_norm_backward";
  check_input(op, input, "input");
  grad_output.check_defined(op);
  save_mean.check_defined(op);
  save_invstd.check_defined(op);
  check_same_device(op, input, "input", grad_output, "grad_output");
  REEL_CHECK(grad_output.sizes() == input.sizes() && grad_output.dtype() == input.dtype(),
             "{}: expected grad_output of the input's shape {} and dtype {}, got shape {} and dtype {}", op,
             shape_str(input.sizes()), dtype_name(input.dtype()), shape_str(grad_output.sizes()),
             dtype_name(grad_output.dtype()));
  if (weight.defined()) check_per_channel(op, input, weight, "weight");
  check_per_channel(op, input, save_mean, "save_mean");
  check_per_channel(op, input, save_invstd, "save_invstd");
  const int64_t channels = input.size(1);
  const OpAttrs attrs = family_attrs(EpsAttrs{eps});
  const Tensor inputs[] = {grad_output, input, weight, save_mean, save_invstd};
  Tensor outputs[3];
  run_op(OpId::native_batch_norm_backward, &attrs, inputs,
         {outputs, {{input.sizes(), input.dtype(), input.device()}, {channels, input.dtype(), input.device()},
                    {channels, input.dtype(), input.device()}}},
         {.record = Record::no, .contiguous_inputs = 0b11111, .allocating = op});
  return {outputs[0], outputs[1], outputs[2]};
}

}  // namespace reel
