// reel/nn/normalization.cpp — LayerNorm, BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d, GroupNorm and LocalResponseNorm:
// parameters and buffers, PyTorch's choice between batch and running statistics, the num_batches_tracked
// bookkeeping, their printed options, and the composites F::group_norm, F::instance_norm and F::local_response_norm.
#include "nn/normalization.h"

#include <algorithm>

#include "nn/functional.h"
#include "nn/init.h"
#include "nn/repr.h"
#include "tensor/error_format.h"
#include "tensor/grad_mode.h"

namespace reel::nn {

namespace functional {

// F::batch_norm with BatchNormFuncOptions
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& options) {
  REEL_CHECK(options.momentum().has_value(), "batch_norm: BatchNormFuncOptions().momentum() must be set (the "
             "cumulative average needs the module's batch count), input shape {}", shape_str(input.sizes()));
  return batch_norm(input, running_mean, running_var, options.weight(), options.bias(), options.training(),
                    *options.momentum(), options.eps());
}

// F::layer_norm with LayerNormFuncOptions
Tensor layer_norm(const Tensor& input, const LayerNormFuncOptions& options) {
  return layer_norm(input, options.normalized_shape(), options.weight(), options.bias(), options.eps());
}

// y = (x - E_g[x]) / sqrt(Var_g[x] + eps) * w[c] + b[c]
Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight, const Tensor& bias, double eps) {
  input.check_defined("group_norm");
  REEL_CHECK(input.dim() >= 2, "group_norm: Expected at least 2 dimensions for input tensor but received {} (shape {})",
             input.dim(), shape_str(input.sizes()));
  const int64_t batch = input.size(0), channels = input.size(1);
  REEL_CHECK(num_groups > 0 && channels % num_groups == 0, "group_norm: Expected number of channels in input to be "
             "divisible by num_groups, but got input of shape {} and num_groups={}", shape_str(input.sizes()),
             num_groups);
  for (const Tensor* affine : {&weight, &bias}) {
    if (!affine->defined()) continue;
    REEL_CHECK(affine->dim() == 1 && affine->size(0) == channels, "group_norm: Expected {} to be a vector of size "
               "equal to the number of channels in input ({}), but got {} of shape {}",
               affine == &weight ? "weight" : "bias", channels, affine == &weight ? "weight" : "bias",
               shape_str(affine->sizes()));
  }
  const int64_t group_size = input.numel() / std::max<int64_t>(batch * num_groups, 1);
  const Tensor grouped = input.reshape({batch, num_groups, group_size});
  const Tensor mu = mean(grouped, {2}, true);
  const Tensor variance = var(grouped, {2}, /*unbiased=*/false, /*keepdim=*/true);
  Tensor out = ((grouped - mu) * rsqrt(variance + eps)).view(input.sizes());
  DimVector per_channel(static_cast<size_t>(input.dim()), 1);
  per_channel[1] = channels;
  if (weight.defined()) out = out * weight.view(per_channel);
  if (bias.defined()) out = out + bias.view(per_channel);
  return out;
}
Tensor group_norm(const Tensor& input, const GroupNormFuncOptions& options) {
  return group_norm(input, options.num_groups(), options.weight(), options.bias(), options.eps());
}

// batch_norm of (1, N C, *): every (sample, channel) pair is a channel of its own
Tensor instance_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                     const Tensor& bias, bool use_input_stats, double momentum, double eps) {
  input.check_defined("instance_norm");
  REEL_CHECK(input.dim() >= 2, "instance_norm: expected input (N, C, *) with at least 2 dims, got shape {}",
             shape_str(input.sizes()));
  const int64_t batch = input.size(0), channels = input.size(1);
  for (const Tensor* per_channel : {&running_mean, &running_var, &weight, &bias}) {
    if (!per_channel->defined()) continue;
    REEL_CHECK(per_channel->dim() == 1 && per_channel->size(0) == channels, "instance_norm: running stats, weight and "
               "bias must have shape [{}] (input channels of input shape {}), got {}", channels,
               shape_str(input.sizes()), shape_str(per_channel->sizes()));
  }
  if (use_input_stats) {
    const int64_t spatial = batch * channels == 0 ? 0 : input.numel() / (batch * channels);
    REEL_CHECK(spatial > 1, "instance_norm: Expected more than 1 spatial element when training, got input size {}",
               shape_str(input.sizes()));
  }
  const auto repeated = [batch](const Tensor& t) { return t.defined() ? t.repeat({batch}) : t; };
  Tensor mean_rep = repeated(running_mean), var_rep = repeated(running_var);
  DimVector shape(input.sizes());
  shape[0] = 1;
  shape[1] = batch * channels;
  const Tensor out = batch_norm(input.reshape(shape), mean_rep, var_rep, repeated(weight), repeated(bias),
                                use_input_stats, momentum, eps);
  if (use_input_stats && running_mean.defined()) {  // the running stats move towards their mean over the samples
    NoGradGuard no_grad;
    Tensor mean_stat = running_mean, var_stat = running_var;  // handles: the updates land in the caller's tensors
    mean_stat.copy_(mean_rep.view({batch, channels}).mean({0}));
    var_stat.copy_(var_rep.view({batch, channels}).mean({0}));
  }
  return out.view(input.sizes());
}
Tensor instance_norm(const Tensor& input, const InstanceNormFuncOptions& options) {
  return instance_norm(input, options.running_mean(), options.running_var(), options.weight(), options.bias(),
                       options.use_input_stats(), options.momentum(), options.eps());
}

// y = x / (k + alpha / size * windowed channel sum of x^2)^beta
Tensor local_response_norm(const Tensor& input, int64_t size, double alpha, double beta, double k) {
  input.check_defined("local_response_norm");
  REEL_CHECK(input.dim() >= 3, "local_response_norm: Expected 3D or higher dimensionality input (got {} dimensions, "
             "shape {})", input.dim(), shape_str(input.sizes()));
  REEL_CHECK(size > 0, "local_response_norm: size must be positive, got {}", size);
  if (input.numel() == 0) return input;
  const int64_t channels = input.size(1);
  const Tensor squares = input * input;
  // zero channels before (size / 2) and after ((size - 1) / 2), then the sum of `size` shifted windows
  DimVector pad_shape(input.sizes());
  std::vector<Tensor> parts;
  pad_shape[1] = size / 2;
  parts.push_back(zeros(pad_shape, TensorOptions(input.dtype()).device(input.device())));
  parts.push_back(squares);
  pad_shape[1] = (size - 1) / 2;
  parts.push_back(zeros(pad_shape, TensorOptions(input.dtype()).device(input.device())));
  const Tensor padded = cat(parts, 1);
  Tensor window = padded.narrow(1, 0, channels);
  for (int64_t j = 1; j < size; ++j) window = window + padded.narrow(1, j, channels);
  return input / pow(window * (alpha / static_cast<double>(size)) + k, beta);
}
Tensor local_response_norm(const Tensor& input, const LocalResponseNormFuncOptions& options) {
  return local_response_norm(input, options.size(), options.alpha(), options.beta(), options.k());
}

}  // namespace functional

namespace F = functional;

// ---- LayerNorm --------------------------------------------------------------------------------------------------

LayerNormImpl::LayerNormImpl(std::vector<int64_t> normalized_shape_, double eps_, bool elementwise_affine_,
                             bool with_bias)
    : options(LayerNormOptions(normalized_shape_).eps(eps_).elementwise_affine(elementwise_affine_)),
      normalized_shape(std::move(normalized_shape_)),
      eps(eps_),
      elementwise_affine(elementwise_affine_) {
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

// ---- BatchNorm and InstanceNorm -----------------------------------------------------------------------------------

NormImplBase::NormImplBase(int64_t num_features_, double eps_, std::optional<double> momentum_, bool affine_,
                           bool track_running_stats_)
    : num_features(num_features_),
      eps(eps_),
      momentum(momentum_),
      affine(affine_),
      track_running_stats(track_running_stats_) {
  REEL_CHECK(num_features > 0, "BatchNorm/InstanceNorm: num_features must be positive, got {}", num_features);
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
void NormImplBase::reset_running_stats() {
  if (!track_running_stats) return;
  NoGradGuard no_grad;
  running_mean.zero_();
  running_var.fill_(1);
  num_batches_tracked.zero_();
}

// running stats reset, weight = 1, bias = 0
void NormImplBase::reset_parameters() {
  reset_running_stats();
  if (affine) {
    init::ones_(weight);
    init::zeros_(bias);
  }
}

std::string NormImplBase::extra_repr() const {
  return fmt::format("{}, eps={}, momentum={}, affine={}, track_running_stats={}", num_features, repr::py_float(eps),
                     repr::py_optional_float(momentum), repr::py_bool(affine), repr::py_bool(track_running_stats));
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

namespace {
void check_batch_norm_input(const char* name, const Tensor& input, bool rank_ok, const char* ranks, int64_t features) {
  REEL_CHECK(rank_ok, "{}: expected {} input (got {}D input, shape {})", name, ranks, input.dim(),
             shape_str(input.sizes()));
  REEL_CHECK(input.size(1) == features, "{}: expected {} channels in dim 1, got input of shape {}", name, features,
             shape_str(input.sizes()));
}
}  // namespace

void BatchNorm1dImpl::check_input_dim(const Tensor& input) const {
  check_batch_norm_input("BatchNorm1d", input, input.dim() == 2 || input.dim() == 3, "2D or 3D", num_features);
}
void BatchNorm2dImpl::check_input_dim(const Tensor& input) const {
  check_batch_norm_input("BatchNorm2d", input, input.dim() == 4, "4D", num_features);
}
void BatchNorm3dImpl::check_input_dim(const Tensor& input) const {
  check_batch_norm_input("BatchNorm3d", input, input.dim() == 5, "5D", num_features);
}

InstanceNormImplBase::InstanceNormImplBase(const InstanceNormOptions& options_)
    : NormImplBase(options_.num_features(), options_.eps(), options_.momentum(), options_.affine(),
                   options_.track_running_stats()),
      options(options_) {}

void InstanceNormImplBase::check_input_dim(const Tensor& input) const {
  const int64_t rank = unbatched_rank();
  REEL_CHECK(input.dim() == rank || input.dim() == rank + 1, "{}: expected {}D or {}D input (got {}D input, shape {})",
             type_name(), rank, rank + 1, input.dim(), shape_str(input.sizes()));
  const int64_t feature_dim = input.dim() - rank;
  REEL_CHECK(!affine || input.size(feature_dim) == num_features, "{}: expected input's size at dim={} to match "
             "num_features ({}), but got: {} (input shape {})", type_name(), feature_dim, num_features,
             input.size(feature_dim), shape_str(input.sizes()));
}

// The statistics of each sample's channels while training or without running stats, else the running stats
Tensor InstanceNormImplBase::forward(const Tensor& input) {
  input.check_defined(type_name().c_str());
  check_input_dim(input);
  const bool batched = input.dim() == unbatched_rank() + 1;
  const Tensor batch = batched ? input : input.unsqueeze(0);
  const Tensor out = F::instance_norm(batch, running_mean, running_var, weight, bias,
                                      is_training() || !track_running_stats, momentum.value_or(0.0), eps);
  return batched ? out : out.squeeze(0);
}

// ---- GroupNorm ----------------------------------------------------------------------------------------------------

GroupNormImpl::GroupNormImpl(const GroupNormOptions& options_) : options(options_) {
  REEL_CHECK(options.num_groups() > 0 && options.num_channels() >= 0 &&
                 options.num_channels() % options.num_groups() == 0,
             "GroupNorm: num_channels must be divisible by num_groups, got num_groups={} and num_channels={}",
             options.num_groups(), options.num_channels());
  if (options.affine()) {
    weight = register_parameter("weight", empty({options.num_channels()}));
    bias = register_parameter("bias", empty({options.num_channels()}));
  }
  reset_parameters();
}

// weight = 1, bias = 0
void GroupNormImpl::reset_parameters() {
  if (!options.affine()) return;
  init::ones_(weight);
  init::zeros_(bias);
}

// y = F::group_norm(x, G, w, b, eps)
Tensor GroupNormImpl::forward(const Tensor& input) {
  return F::group_norm(input, options.num_groups(), weight, bias, options.eps());
}

std::string GroupNormImpl::extra_repr() const {
  return fmt::format("{}, {}, eps={}, affine={}", options.num_groups(), options.num_channels(),
                     repr::py_float(options.eps()), repr::py_bool(options.affine()));
}

// ---- LocalResponseNorm --------------------------------------------------------------------------------------------

LocalResponseNormImpl::LocalResponseNormImpl(const LocalResponseNormOptions& options_) : options(options_) {
  REEL_CHECK(options.size() > 0, "LocalResponseNorm: size must be positive, got {}", options.size());
}

// y = x / (k + alpha / size * sum x^2)^beta
Tensor LocalResponseNormImpl::forward(const Tensor& input) {
  return F::local_response_norm(input, options.size(), options.alpha(), options.beta(), options.k());
}

std::string LocalResponseNormImpl::extra_repr() const {
  return fmt::format("{}, alpha={}, beta={}, k={}", options.size(), repr::py_float(options.alpha()),
                     repr::py_float(options.beta()), repr::py_float(options.k()));
}

}  // namespace reel::nn
