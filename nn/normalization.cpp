// reel/nn/normalization.cpp — LayerNorm and BatchNorm1d/2d: parameters and buffers, PyTorch's choice between
// batch and running statistics, the num_batches_tracked bookkeeping, and their printed options.
#include "nn/normalization.h"

#include "nn/functional.h"
#include "nn/init.h"
#include "nn/repr.h"
#include "tensor/error_format.h"
#include "tensor/grad_mode.h"

namespace reel::nn {

namespace F = functional;

// ---- LayerNorm --------------------------------------------------------------------------------------------------

LayerNormImpl::LayerNormImpl(std::vector<int64_t> normalized_shape_, double eps_, bool elementwise_affine_,
                             bool with_bias)
    : normalized_shape(std::move(normalized_shape_)), eps(eps_), elementwise_affine(elementwise_affine_) {
  REEL_CHECK(!normalized_shape.empty(), "LayerNorm: normalized_shape must not be empty");
  for (int64_t size : normalized_shape)
    REEL_CHECK(size >= 0, "LayerNorm: normalized_shape {} has a negative size", shape_str(normalized_shape));
  if (elementwise_affine) {
    weight = register_parameter("weight", reel::empty(normalized_shape));
    if (with_bias) bias = register_parameter("bias", reel::empty(normalized_shape));
  }
  reset_parameters();
}

// weight = 1, bias = 0
void LayerNormImpl::reset_parameters() {
  if (weight.defined()) init::ones_(weight);
  if (bias.defined()) init::zeros_(bias);
}

// y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias
Tensor LayerNormImpl::forward(const Tensor& input) {
  return F::layer_norm(input, normalized_shape, weight, bias, eps);
}

std::string LayerNormImpl::extra_repr() const {
  return fmt::format("{}, eps={}, elementwise_affine={}", repr::py_tuple(normalized_shape), repr::py_float(eps),
                     repr::py_bool(elementwise_affine));
}

// ---- BatchNorm --------------------------------------------------------------------------------------------------

BatchNormImplBase::BatchNormImplBase(int64_t num_features_, double eps_, std::optional<double> momentum_,
                                     bool affine_, bool track_running_stats_)
    : num_features(num_features_),
      eps(eps_),
      momentum(momentum_),
      affine(affine_),
      track_running_stats(track_running_stats_) {
  REEL_CHECK(num_features > 0, "BatchNorm: num_features must be positive, got {}", num_features);
  if (affine) {
    weight = register_parameter("weight", empty({num_features}));
    bias = register_parameter("bias", empty({num_features}));
  }
  if (track_running_stats) {
    running_mean = register_buffer("running_mean", zeros({num_features}));
    running_var = register_buffer("running_var", ones({num_features}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, kInt64));
  }
  reset_parameters();
}

// mean 0, var 1, count 0
void BatchNormImplBase::reset_running_stats() {
  if (!track_running_stats) return;
  NoGradGuard no_grad;
  running_mean.zero_();
  running_var.fill_(1);
  num_batches_tracked.zero_();
}

// running stats reset, weight = 1, bias = 0
void BatchNormImplBase::reset_parameters() {
  reset_running_stats();
  if (affine) {
    init::ones_(weight);
    init::zeros_(bias);
  }
}

// Batch statistics while training (or when no running stats are kept), running statistics in eval mode
Tensor BatchNormImplBase::forward(const Tensor& input) {
  input.check_defined(type_name().c_str());
  check_input_dim(input);
  double average_factor = momentum.value_or(0.0);
  if (is_training() && track_running_stats) {
    NoGradGuard no_grad;
    num_batches_tracked.add_(1);
    if (!momentum) average_factor = 1.0 / static_cast<double>(num_batches_tracked.item<int64_t>());
  }
  // Without running stats (undefined buffers) the batch statistics serve in eval mode too; with them, training
  // updates them and eval reads them.
  const bool use_batch_stats = is_training() || !track_running_stats;
  return F::batch_norm(input, running_mean, running_var, weight, bias, use_batch_stats, average_factor, eps);
}

std::string BatchNormImplBase::extra_repr() const {
  return fmt::format("{}, eps={}, momentum={}, affine={}, track_running_stats={}", num_features, repr::py_float(eps),
                     repr::py_optional_float(momentum), repr::py_bool(affine), repr::py_bool(track_running_stats));
}

void BatchNorm1dImpl::check_input_dim(const Tensor& input) const {
  REEL_CHECK(input.dim() == 2 || input.dim() == 3, "BatchNorm1d: expected 2D or 3D input (got {}D input, shape {})",
             input.dim(), shape_str(input.sizes()));
  REEL_CHECK(input.size(1) == num_features, "BatchNorm1d: expected {} channels in dim 1, got input of shape {}",
             num_features, shape_str(input.sizes()));
}

void BatchNorm2dImpl::check_input_dim(const Tensor& input) const {
  REEL_CHECK(input.dim() == 4, "BatchNorm2d: expected 4D input (got {}D input, shape {})", input.dim(),
             shape_str(input.sizes()));
  REEL_CHECK(input.size(1) == num_features, "BatchNorm2d: expected {} channels in dim 1, got input of shape {}",
             num_features, shape_str(input.sizes()));
}

}  // namespace reel::nn
