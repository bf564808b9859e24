// reel/nn/dropout.cpp — the dropout family: plain, feature (whole channels) and alpha dropout as composites of a
// Bernoulli mask, in place or not, and the Dropout* layers that forward to them.
#include "nn/dropout.h"

#include <cmath>

#include "nn/functional.h"
#include "nn/repr.h"
#include "tensor/error_format.h"
#include "tensor/grad_mode.h"

namespace reel::nn {

namespace functional {

namespace {

// SELU's scale-free negative saturation value, -alpha' of alpha dropout
constexpr double kSeluAlpha = 1.7580993408473766;

void check_probability(const char* op, double p) {
  REEL_CHECK(p >= 0.0 && p <= 1.0, "{}: dropout probability has to be between 0 and 1, but got {}", op, p);
}

// m ~ Bernoulli(1 - p) of `shape`, in input's dtype and device (drawn in float32, float64 for float64 inputs)
Tensor keep_mask(const Tensor& input, IntList shape, double p) {
  const ScalarType draw_dtype = input.dtype() == kFloat64 ? kFloat64 : kFloat32;
  const Tensor draw = rand(shape, TensorOptions(draw_dtype).device(input.device()));
  return lt(draw, 1.0 - p).to(input.dtype());
}

// (N, C, 1, ..., 1) of a batched input, (C, 1, ..., 1) of an unbatched one: one mask value per channel
DimVector feature_shape(const Tensor& input, int64_t channel_dim) {
  DimVector shape(static_cast<size_t>(input.dim()), 1);
  for (int64_t d = 0; d <= channel_dim; ++d) shape[static_cast<size_t>(d)] = input.size(d);
  return shape;
}

// ATen's _dropout_impl: plain (mask of input's shape) or feature (mask_shape given), scaled or alpha
Tensor dropout_impl(Tensor input, double p, bool training, bool inplace, bool alpha, const DimVector* mask_shape) {
  if (p == 0.0 || !training || input.numel() == 0) return input;
  if (p == 1.0) {  // everything dropped
    if (inplace) return input.mul_(0.0);
    return input * 0.0;
  }
  const Tensor keep = keep_mask(input, mask_shape != nullptr ? IntList(*mask_shape) : input.sizes(), p);
  if (!alpha) {
    const Tensor scale = keep * (1.0 / (1.0 - p));
    if (inplace) return input.mul_(scale);
    return input * scale;
  }
  // y = x m a + (m - 1) alpha a + alpha a p
  const double a = 1.0 / std::sqrt((kSeluAlpha * kSeluAlpha * p + 1.0) * (1.0 - p));
  const Tensor scale = keep * a;
  const Tensor shift = keep * (kSeluAlpha * a) + (kSeluAlpha * a * p - kSeluAlpha * a);
  if (inplace) return input.mul_(scale).add_(shift);
  return input * scale + shift;
}

// feature dropout of a batched (N, C, *) input
Tensor feature_impl(const char* op, Tensor input, double p, bool training, bool inplace, bool alpha) {
  input.check_defined(op);
  check_probability(op, p);
  REEL_CHECK(input.dim() >= 2, "{}: feature dropout requires at least 2 dimensions (N, C, *) in the input, got shape {}",
             op, shape_str(input.sizes()));
  const DimVector shape = feature_shape(input, 1);
  return dropout_impl(std::move(input), p, training, inplace, alpha, &shape);
}

// LibTorch's _dropoutNd_helper: a batched_rank input is (N, C, *); any other rank is one unbatched (C, *) sample
Tensor dropout_nd(const char* op, int64_t batched_rank, Tensor input, double p, bool training, bool inplace) {
  input.check_defined(op);
  check_probability(op, p);
  const bool batched = input.dim() == batched_rank;
  REEL_CHECK(batched || input.dim() >= 1, "{}: expected a {}-D (batched) or unbatched input with a channel dim, got a "
             "0-D input", op, batched_rank);
  const DimVector shape = feature_shape(input, batched ? 1 : 0);
  return dropout_impl(std::move(input), p, training, inplace, /*alpha=*/false, &shape);
}

}  // namespace

// y = x m / (1 - p), m ~ Bernoulli(1 - p) per element
Tensor dropout(Tensor input, const DropoutFuncOptions& options) {
  input.check_defined("dropout");
  check_probability("dropout", options.p());
  if (!options.inplace()) return dropout(input, options.p(), options.training());
  return dropout_impl(std::move(input), options.p(), options.training(), true, false, nullptr);
}

// y = x m[n, c] / (1 - p)
Tensor feature_dropout(Tensor input, double p, bool training, bool inplace) {
  return feature_impl("feature_dropout", std::move(input), p, training, inplace, /*alpha=*/false);
}

// y = x m[n, c] / (1 - p) over (N, C, L) or (C, L)
Tensor dropout1d(Tensor input, double p, bool training, bool inplace) {
  return dropout_nd("dropout1d", 3, std::move(input), p, training, inplace);
}
Tensor dropout1d(Tensor input, const Dropout1dFuncOptions& options) {
  return dropout1d(std::move(input), options.p(), options.training(), options.inplace());
}

// y = x m[n, c] / (1 - p) over (N, C, H, W) or (C, H, W)
Tensor dropout2d(Tensor input, double p, bool training, bool inplace) {
  return dropout_nd("dropout2d", 4, std::move(input), p, training, inplace);
}
Tensor dropout2d(Tensor input, const Dropout2dFuncOptions& options) {
  return dropout2d(std::move(input), options.p(), options.training(), options.inplace());
}

// y = x m[n, c] / (1 - p) over (N, C, D, H, W) or (C, D, H, W)
Tensor dropout3d(Tensor input, double p, bool training, bool inplace) {
  return dropout_nd("dropout3d", 5, std::move(input), p, training, inplace);
}
Tensor dropout3d(Tensor input, const Dropout3dFuncOptions& options) {
  return dropout3d(std::move(input), options.p(), options.training(), options.inplace());
}

// y = a (x m + alpha' (1 - m)) + b, m per element
Tensor alpha_dropout(Tensor input, double p, bool training, bool inplace) {
  input.check_defined("alpha_dropout");
  check_probability("alpha_dropout", p);
  return dropout_impl(std::move(input), p, training, inplace, /*alpha=*/true, nullptr);
}
Tensor alpha_dropout(Tensor input, const AlphaDropoutFuncOptions& options) {
  return alpha_dropout(std::move(input), options.p(), options.training(), options.inplace());
}

// y = a (x m[n, c] + alpha' (1 - m[n, c])) + b
Tensor feature_alpha_dropout(Tensor input, double p, bool training, bool inplace) {
  return feature_impl("feature_alpha_dropout", std::move(input), p, training, inplace, /*alpha=*/true);
}
Tensor feature_alpha_dropout(Tensor input, const FeatureAlphaDropoutFuncOptions& options) {
  return feature_alpha_dropout(std::move(input), options.p(), options.training(), options.inplace());
}

}  // namespace functional

namespace F = functional;

DropoutImplBase::DropoutImplBase(const DropoutOptions& options_) : options(options_), p(options_.p()) {
  REEL_CHECK(p >= 0.0 && p <= 1.0, "Dropout: dropout probability has to be between 0 and 1, but got {}", p);
}

std::string DropoutImplBase::extra_repr() const {
  return fmt::format("p={}, inplace={}", repr::py_float(p), repr::py_bool(options.inplace()));
}

DropoutImpl::DropoutImpl(const DropoutOptions& options_) : DropoutImplBase(options_) {}

// y = x m / (1 - p) in training mode, x in evaluation mode
Tensor DropoutImpl::forward(Tensor input) {
  return F::dropout(std::move(input), F::DropoutFuncOptions().p(p).training(is_training()).inplace(options.inplace()));
}

// y = x m[n, c] / (1 - p) in training mode
Tensor Dropout1dImpl::forward(Tensor input) {
  return F::dropout1d(std::move(input), p, is_training(), options.inplace());
}
Tensor Dropout2dImpl::forward(Tensor input) {
  return F::dropout2d(std::move(input), p, is_training(), options.inplace());
}
Tensor Dropout3dImpl::forward(Tensor input) {
  return F::dropout3d(std::move(input), p, is_training(), options.inplace());
}

// y = a (x m + alpha' (1 - m)) + b in training mode
Tensor AlphaDropoutImpl::forward(Tensor input) {
  return F::alpha_dropout(std::move(input), p, is_training(), options.inplace());
}
Tensor FeatureAlphaDropoutImpl::forward(Tensor input) {
  return F::feature_alpha_dropout(std::move(input), p, is_training(), options.inplace());
}

}  // namespace reel::nn
