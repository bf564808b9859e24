// reel/autograd/derivatives_resample.cpp — backward formulas of the resampling ops (upsample, grid_sampler_2d) and the
// CTC losses (_ctc_loss, _cudnn_ctc_loss), each followed by its facts (autograd/derivatives_common.h).
//
// upsample is linear in its input, so its backward primitive is the adjoint map and the adjoint's gradient is the
// forward map again: both differentiate any number of times. grid_sampler_2d and _ctc_loss have backward primitives
// without formulas of their own, as in PyTorch; under create_graph their formulas refuse with a reel::Error rather
// than return a gradient that silently lacks the second-order terms.
#include <limits>

#include "autograd/derivatives_common.h"
#include "tensor/error_format.h"
#include "tensor/ops_resample.h"

namespace reel::autograd {

namespace {

// y = upsample(x): dx = upsample_backward(g) (each output gradient spread over its taps)
void upsample_backward_formula(Ctx& c) {
  c.grad_inputs[0] = detail::upsample_backward(c.grad(), c.input(0).sizes, c.attrs().get<UpsampleAttrs>());
}
constexpr OpDerivative upsample_derivative{OpId::upsample, upsample_backward_formula, "UpsampleBackward"};

// z = upsample_backward(g): dg = upsample(G) (the adjoint of the adjoint)
void upsample_backward_backward(Ctx& c) {
  const DimVector& g_sizes = c.input(0).sizes;
  c.grad_inputs[0] = detail::upsample(c.grad(), {g_sizes[2], g_sizes[3]}, c.attrs().get<UpsampleAttrs>());
}
constexpr OpDerivative upsample_backward_derivative{OpId::upsample_backward, upsample_backward_backward,
                                                    "UpsampleBackwardBackward"};

// y = grid_sampler_2d(x, grid): (dx, dgrid) = grid_sampler_2d_backward(g, x, grid)
void grid_sampler_2d_backward_formula(Ctx& c) {
  REEL_CHECK(!reel::is_grad_enabled(),
             "grid_sampler_2d: double backward (create_graph=true) is not supported (PyTorch has no derivative for "
             "grid_sampler_2d_backward either)");
  const GridSampleAttrs& a = c.attrs().get<GridSampleAttrs>();
  auto [dx, dgrid] = grid_sampler_2d_backward(c.grad(), c.input_value(0), c.input_value(1), a.interpolation_mode,
                                              a.padding_mode, a.align_corners);
  if (c.needs_input_grad(0)) c.grad_inputs[0] = dx;
  if (c.needs_input_grad(1)) c.grad_inputs[1] = dgrid;
}
constexpr OpDerivative grid_sampler_2d_derivative{OpId::grid_sampler_2d, grid_sampler_2d_backward_formula,
                                                  "GridSampler2DBackward", {kIn0 | kIn1, kIn0 | kIn1}};

// (nll, log_alpha) = _ctc_loss(lp, targets, lengths): d lp = _ctc_loss_backward(g_nll, ...) (log_alpha passes none)
void ctc_loss_backward_formula(Ctx& c) {
  REEL_CHECK(!reel::is_grad_enabled(),
             "ctc_loss: double backward (create_graph=true) is not supported (PyTorch has no derivative for "
             "_ctc_loss_backward either)");
  if (!c.grad_arrived(0)) return;
  const CtcLossAttrs& a = c.attrs().get<CtcLossAttrs>();
  auto to_list = [](const Tensor& t) {
    return std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
  };
  const std::vector<int64_t> input_lengths = to_list(c.input_value(2)), target_lengths = to_list(c.input_value(3));
  c.grad_inputs[0] = _ctc_loss_backward(c.grad_outputs[0], c.input_value(0), c.input_value(1), input_lengths,
                                        target_lengths, c.output_value(0), c.output_value(1), a.blank,
                                        a.zero_infinity);
}
constexpr uint8_t kCtcReads = kIn0 | kIn1 | kIn2 | kIn3;
constexpr OpDerivative ctc_loss_derivative{OpId::_ctc_loss, ctc_loss_backward_formula, "CtcLossBackward",
                                           {kCtcReads, kCtcReads, kCtcReads, kCtcReads}, kIn0};

// (nll, grad) = _cudnn_ctc_loss(lp, ...): d lp[t,b,c] = g_b grad[t,b,c], 0 for a sample with an infinite nll under
// zero_infinity (PyTorch's _cudnn_ctc_loss_backward, with its fix pytorch#176910: zeroes where the loss is infinite)
void cudnn_ctc_loss_backward_formula(Ctx& c) {
  REEL_CHECK(!reel::is_grad_enabled(),
             "ctc_loss (cuDNN): double backward (create_graph=true) is not supported (cuDNN computes the gradient in "
             "the forward; PyTorch's formula treats it as a constant too)");
  if (!c.grad_arrived(0)) return;
  const Tensor& nll = c.output_value(0);
  const Tensor& grad = c.output_value(1);
  const Tensor scale = c.grad_outputs[0].reshape({1, nll.size(0), 1});
  Tensor d = grad * scale;
  if (c.attrs().get<CudnnCtcLossAttrs>().zero_infinity) {
    const Tensor infinite = eq(nll, std::numeric_limits<double>::infinity()).reshape({1, nll.size(0), 1});
    d = where(infinite, Scalar(0.0), d);
  }
  c.grad_inputs[0] = d;
}
constexpr OpDerivative cudnn_ctc_loss_derivative{OpId::_cudnn_ctc_loss, cudnn_ctc_loss_backward_formula,
                                                 "CudnnCtcLossBackward", {}, kIn0};

constexpr OpDerivative kResampleDerivatives[] = {upsample_derivative, upsample_backward_derivative,
                                                 grid_sampler_2d_derivative, ctc_loss_derivative,
                                                 cudnn_ctc_loss_derivative};

}  // namespace

std::span<const OpDerivative> resample_derivatives() { return kResampleDerivatives; }

}  // namespace reel::autograd
