// reel/nn/functional_activation.cpp — the activations written with other reel ops (glu, prelu, rrelu,
// gumbel_softmax, softmin) and the LibTorch option-struct overloads of F::'s activations (inplace ones included).
// Autograd differentiates them through the ops they call; the elementwise activations (relu6, softshrink, ...) are
// kernel ops of tensor/ops.def.
#include <cmath>
#include <limits>

#include "nn/functional.h"
#include "tensor/error_format.h"
#include "tensor/grad_mode.h"

namespace reel {

// y = a sigmoid(b), (a, b) = the halves of x along dim
Tensor glu(const Tensor& self, int64_t dim) {
  self.check_defined("glu");
  REEL_CHECK(self.dim() > 0, "glu: glu does not support scalars because halving size must be even (input shape {})",
             shape_str(self.sizes()));
  REEL_CHECK(dim >= -self.dim() && dim < self.dim(), "glu: dim {} is out of range for an input of shape {}", dim,
             shape_str(self.sizes()));
  const int64_t d = dim < 0 ? dim + self.dim() : dim;
  REEL_CHECK(self.size(d) % 2 == 0, "glu: halving dimension must be even, but dimension {} is size {} (input shape {})",
             d, self.size(d), shape_str(self.sizes()));
  REEL_CHECK(self.is_floating_point(), "glu: expected a floating-point input, got {} (shape {})",
             dtype_name(self.dtype()), shape_str(self.sizes()));
  const int64_t half = self.size(d) / 2;
  return self.narrow(d, 0, half) * sigmoid(self.narrow(d, half, half));
}

// y = x > 0 ? x : w x, w broadcast over the channel dim 1
Tensor prelu(const Tensor& self, const Tensor& weight) {
  self.check_defined("prelu");
  weight.check_defined("prelu");
  REEL_CHECK(self.dim() > 0, "prelu: zero-dim input tensors are not allowed (weight shape {})",
             shape_str(weight.sizes()));
  REEL_CHECK(self.is_floating_point() && weight.is_floating_point(),
             "prelu: expected floating-point input and weight, got {} and {}", dtype_name(self.dtype()),
             dtype_name(weight.dtype()));
  const int64_t channels = self.dim() >= 2 ? self.size(1) : 1;
  REEL_CHECK(weight.dim() <= 1 && (weight.numel() == 1 || weight.numel() == channels),
             "prelu: mismatch of parameter numbers and input channel size: found {} parameters (weight shape {}) "
             "and channel size {} (input shape {})",
             weight.numel(), shape_str(weight.sizes()), channels, shape_str(self.sizes()));
  Tensor w = weight.reshape({-1});
  if (weight.numel() > 1) {
    DimVector shape(static_cast<size_t>(self.dim()), 1);
    shape[1] = channels;
    w = w.reshape(shape);
  } else {
    w = w.reshape({});
  }
  return where(gt(self, 0.0), self, w * self);
}

// training: y = x >= 0 ? x : a x with a ~ U(lower, upper); eval: leaky_relu with slope (lower + upper) / 2
Tensor rrelu(const Tensor& self, double lower, double upper, bool training) {
  self.check_defined("rrelu");
  REEL_CHECK(lower <= upper, "rrelu: lower bound should be less than or equal to the upper bound, got lower = {} and "
             "upper = {}", lower, upper);
  REEL_CHECK(self.is_floating_point(), "rrelu: expected a floating-point input, got {} (shape {})",
             dtype_name(self.dtype()), shape_str(self.sizes()));
  if (!training) return leaky_relu(self, (lower + upper) / 2.0);
  const Tensor slope = rand(self.sizes(), TensorOptions(self.dtype()).device(self.device())) * (upper - lower) + lower;
  return where(ge(self, 0.0), self, self * slope);
}

}  // namespace reel

namespace reel::nn::functional {

Tensor softshrink(const Tensor& input, const SoftshrinkFuncOptions& options) {
  return ::reel::softshrink(input, options.lambda());
}
Tensor hardshrink(const Tensor& input, const HardshrinkFuncOptions& options) {
  return ::reel::hardshrink(input, options.lambda());
}
Tensor glu(const Tensor& input, const GLUFuncOptions& options) { return ::reel::glu(input, options.dim()); }

// inplace writes the result back into the input (LibTorch's rrelu_)
Tensor rrelu(Tensor input, const RReLUFuncOptions& options) {
  Tensor y = ::reel::rrelu(input, options.lower(), options.upper(), options.training());
  if (!options.inplace()) return y;
  input.copy_(y);
  return input;
}

Tensor pixel_shuffle(const Tensor& input, const PixelShuffleFuncOptions& options) {
  return ::reel::pixel_shuffle(input, options.upscale_factor());
}
Tensor pixel_unshuffle(const Tensor& input, const PixelUnshuffleFuncOptions& options) {
  return ::reel::pixel_unshuffle(input, options.downscale_factor());
}
Tensor pairwise_distance(const Tensor& x1, const Tensor& x2, const PairwiseDistanceFuncOptions& options) {
  return ::reel::pairwise_distance(x1, x2, options.p(), options.eps(), options.keepdim());
}

// ---- LibTorch's option forms: inplace(true) runs the op's in-place form on the caller's tensor and returns it ----
Tensor elu(Tensor input, const ELUFuncOptions& options) {
  return options.inplace() ? ::reel::elu_(input, options.alpha()) : ::reel::elu(input, options.alpha());
}
Tensor selu(Tensor input, const SELUFuncOptions& options) {
  return options.inplace() ? ::reel::selu_(input) : ::reel::selu(input);
}
Tensor celu(Tensor input, const CELUFuncOptions& options) {
  return options.inplace() ? ::reel::celu_(input, options.alpha()) : ::reel::celu(input, options.alpha());
}
Tensor relu(Tensor input, const ReLUFuncOptions& options) {
  return options.inplace() ? input.relu_() : ::reel::relu(input);
}
Tensor relu6(Tensor input, const ReLU6FuncOptions& options) {
  return options.inplace() ? ::reel::relu6_(input) : ::reel::relu6(input);
}
Tensor hardtanh(Tensor input, const HardtanhFuncOptions& options) {
  return options.inplace() ? ::reel::hardtanh_(input, options.min_val(), options.max_val())
                           : ::reel::hardtanh(input, options.min_val(), options.max_val());
}
Tensor leaky_relu(Tensor input, const LeakyReLUFuncOptions& options) {
  return options.inplace() ? ::reel::leaky_relu_(input, options.negative_slope())
                           : ::reel::leaky_relu(input, options.negative_slope());
}
Tensor threshold(Tensor input, const ThresholdFuncOptions& options) {
  return options.inplace() ? ::reel::threshold_(input, options.threshold(), options.value())
                           : ::reel::threshold(input, options.threshold(), options.value());
}
Tensor softplus(const Tensor& input, const SoftplusFuncOptions& options) {
  return ::reel::softplus(input, options.beta(), options.threshold());
}
Tensor gelu(const Tensor& input, const GELUFuncOptions& options) { return ::reel::gelu(input, options.approximate()); }

Tensor softmax(const Tensor& input, const SoftmaxFuncOptions& options) {
  return ::reel::softmax(input, options.dim(), options.dtype());
}
Tensor log_softmax(const Tensor& input, const LogSoftmaxFuncOptions& options) {
  return ::reel::log_softmax(input, options.dim(), options.dtype());
}
// y = softmax(-x, dim), the input cast to dtype first when given
Tensor softmin(const Tensor& input, const SoftminFuncOptions& options) {
  input.check_defined("softmin");
  const Tensor x = options.dtype().has_value() ? input.to(*options.dtype()) : input;
  return ::reel::softmax(-x, options.dim());
}

// y = softmax((logits + g) / tau), g = -ln(-ln u); hard: one_hot(argmax y) - y.detach() + y
Tensor gumbel_softmax(const Tensor& logits, double tau, bool hard, int64_t dim) {
  logits.check_defined("gumbel_softmax");
  REEL_CHECK(logits.is_floating_point(), "gumbel_softmax: expected floating-point logits, got {} (shape {})",
             dtype_name(logits.dtype()), shape_str(logits.sizes()));
  REEL_CHECK(tau > 0, "gumbel_softmax: tau must be positive, got {}", tau);
  // u in [tiny, 1): -ln u is an Exp(1) draw, finite
  const double tiny = std::numeric_limits<float>::min();
  const Tensor u = clamp(rand(logits.sizes(), TensorOptions(logits.dtype()).device(logits.device())), Scalar(tiny));
  const Tensor gumbels = -log(-log(u));
  const Tensor y_soft = softmax((logits + gumbels) / tau, dim);
  if (!hard) return y_soft;
  const Tensor index = std::get<1>(y_soft.max(dim, /*keepdim=*/true));
  const Tensor y_hard = zeros_like(logits).scatter(dim, index, Scalar(1.0));
  return y_hard - y_soft.detach() + y_soft;
}

Tensor gumbel_softmax(const Tensor& logits, const GumbelSoftmaxFuncOptions& options) {
  return gumbel_softmax(logits, options.tau(), options.hard(), options.dim());
}

}  // namespace reel::nn::functional
