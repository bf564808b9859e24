// reel/nn/normalization.h — LayerNorm, BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d, GroupNorm and LocalResponseNorm
// with LibTorch's options, and the functional forms F::group_norm, F::instance_norm, F::local_response_norm and the
// FuncOptions overloads of F::batch_norm and F::layer_norm.
//
//   reel::nn::BatchNorm2d bn(128);                                            // or BatchNorm2dOptions(128)
//   reel::nn::BatchNorm1d bn1(reel::nn::BatchNorm1dOptions(64).momentum(std::nullopt).affine(false));
//   reel::nn::GroupNorm gn(reel::nn::GroupNormOptions(8, 64).eps(1e-6));
//   reel::nn::LayerNorm ln(reel::nn::LayerNormOptions({512}).elementwise_affine(false));
//
// LayerNorm normalises each sample over its trailing `normalized_shape` dims, GroupNorm each group of channels
// of each sample, InstanceNorm each channel of each sample. BatchNorm normalises each channel (dim 1) over the
// batch and the spatial dims with the batch statistics while training, updating the buffers
//   running_mean <- (1 - momentum) running_mean + momentum mean
//   running_var  <- (1 - momentum) running_var  + momentum var_unbiased
//   num_batches_tracked += 1
// (momentum = nullopt: the cumulative average, factor 1 / num_batches_tracked), and with the running statistics in
// eval mode, exactly as PyTorch; InstanceNorm with track_running_stats keeps the same buffers, averaged over the
// samples. Weights start at ones, biases at zeros.
#pragma once

#include <optional>
#include <vector>

#include "arg.h"
#include "module.h"

namespace reel::nn {

// ---- options ----------------------------------------------------------------------------------------------------

// Options of BatchNorm1d/2d/3d (LibTorch's BatchNormOptions; implicit from num_features).
struct BatchNormOptions {
  BatchNormOptions(int64_t num_features) : num_features_(num_features) {}  // NOLINT: implicit, as LibTorch's
  REEL_ARG(int64_t, num_features);
  REEL_ARG(double, eps) = 1e-5;
  REEL_ARG(std::optional<double>, momentum) = 0.1;  // nullopt: cumulative moving average
  REEL_ARG(bool, affine) = true;
  REEL_ARG(bool, track_running_stats) = true;
};
using BatchNorm1dOptions = BatchNormOptions;
using BatchNorm2dOptions = BatchNormOptions;
using BatchNorm3dOptions = BatchNormOptions;

// Options of InstanceNorm1d/2d/3d (LibTorch's InstanceNormOptions): no affine, no running stats by default.
struct InstanceNormOptions {
  InstanceNormOptions(int64_t num_features) : num_features_(num_features) {}  // NOLINT: implicit, as LibTorch's
  REEL_ARG(int64_t, num_features);
  REEL_ARG(double, eps) = 1e-5;
  REEL_ARG(std::optional<double>, momentum) = 0.1;  // nullopt: 0 (PyTorch's module passes 0.0 for None)
  REEL_ARG(bool, affine) = false;
  REEL_ARG(bool, track_running_stats) = false;
};
using InstanceNorm1dOptions = InstanceNormOptions;
using InstanceNorm2dOptions = InstanceNormOptions;
using InstanceNorm3dOptions = InstanceNormOptions;

// Options of LayerNorm (LibTorch's LayerNormOptions).
struct LayerNormOptions {
  LayerNormOptions(std::vector<int64_t> normalized_shape)  // NOLINT: implicit, as LibTorch's
      : normalized_shape_(std::move(normalized_shape)) {}
  REEL_ARG(std::vector<int64_t>, normalized_shape);
  REEL_ARG(double, eps) = 1e-5;
  REEL_ARG(bool, elementwise_affine) = true;
};

// Options of GroupNorm (LibTorch's GroupNormOptions).
struct GroupNormOptions {
  GroupNormOptions(int64_t num_groups, int64_t num_channels) : num_groups_(num_groups), num_channels_(num_channels) {}
  REEL_ARG(int64_t, num_groups);
  REEL_ARG(int64_t, num_channels);
  REEL_ARG(double, eps) = 1e-5;
  REEL_ARG(bool, affine) = true;
};

// Options of LocalResponseNorm and F::local_response_norm (LibTorch's LocalResponseNormOptions).
struct LocalResponseNormOptions {
  LocalResponseNormOptions(int64_t size) : size_(size) {}  // NOLINT: implicit, as LibTorch's
  REEL_ARG(int64_t, size);  // the number of neighbouring channels summed
  REEL_ARG(double, alpha) = 1e-4;
  REEL_ARG(double, beta) = 0.75;
  REEL_ARG(double, k) = 1.0;
};

// ---- functional forms ---------------------------------------------------------------------------------------------

namespace functional {

// Options of F::batch_norm(input, running_mean, running_var, options).
struct BatchNormFuncOptions {
  REEL_ARG(Tensor, weight) = Tensor();
  REEL_ARG(Tensor, bias) = Tensor();
  REEL_ARG(bool, training) = false;
  REEL_ARG(std::optional<double>, momentum) = 0.1;  // must be set (the functional form keeps no batch count)
  REEL_ARG(double, eps) = 1e-5;
};
// Options of F::layer_norm(input, options). explicit (LibTorch's is implicit) so that F::layer_norm(x, shape)
// keeps meaning the positional form.
struct LayerNormFuncOptions {
  explicit LayerNormFuncOptions(std::vector<int64_t> normalized_shape) : normalized_shape_(std::move(normalized_shape)) {}
  REEL_ARG(std::vector<int64_t>, normalized_shape);
  REEL_ARG(Tensor, weight) = Tensor();
  REEL_ARG(Tensor, bias) = Tensor();
  REEL_ARG(double, eps) = 1e-5;
};
// Options of F::group_norm(input, options).
struct GroupNormFuncOptions {
  GroupNormFuncOptions(int64_t num_groups) : num_groups_(num_groups) {}  // NOLINT: implicit, as LibTorch's
  REEL_ARG(int64_t, num_groups);
  REEL_ARG(Tensor, weight) = Tensor();
  REEL_ARG(Tensor, bias) = Tensor();
  REEL_ARG(double, eps) = 1e-5;
};
// Options of F::instance_norm(input, options).
struct InstanceNormFuncOptions {
  REEL_ARG(Tensor, running_mean) = Tensor();
  REEL_ARG(Tensor, running_var) = Tensor();
  REEL_ARG(Tensor, weight) = Tensor();
  REEL_ARG(Tensor, bias) = Tensor();
  REEL_ARG(bool, use_input_stats) = true;
  REEL_ARG(double, momentum) = 0.1;
  REEL_ARG(double, eps) = 1e-5;
};
using LocalResponseNormFuncOptions = LocalResponseNormOptions;

// F::batch_norm and F::layer_norm with LibTorch's options (the positional forms are in nn/functional.h).
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& options);
Tensor layer_norm(const Tensor& input, const LayerNormFuncOptions& options);
// y = (x - E_g[x]) / sqrt(Var_g[x] + eps) * weight[c] + bias[c]: statistics (biased Var) over each group g of
// C / num_groups channels and the spatial dims of each sample of (N, C, *).
Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight = {}, const Tensor& bias = {},
                  double eps = 1e-5);
Tensor group_norm(const Tensor& input, const GroupNormFuncOptions& options);
// y = (x - mu) / sqrt(var + eps) * weight[c] + bias[c] per (sample, channel) of (N, C, *): mu, var the statistics
// of the sample's channel when use_input_stats (defined running stats then move towards their mean over the
// samples, as batch_norm's), else the running stats.
Tensor instance_norm(const Tensor& input, const Tensor& running_mean = {}, const Tensor& running_var = {},
                     const Tensor& weight = {}, const Tensor& bias = {}, bool use_input_stats = true,
                     double momentum = 0.1, double eps = 1e-5);
Tensor instance_norm(const Tensor& input, const InstanceNormFuncOptions& options);
// y[n, c] = x[n, c] / (k + alpha / size * sum_{c' in window(c)} x[n, c']^2)^beta, window(c) = [c - size/2,
// c + (size-1)/2] (channels outside count as zeros); input (N, C, *) with at least 3 dims.
Tensor local_response_norm(const Tensor& input, int64_t size, double alpha = 1e-4, double beta = 0.75, double k = 1.0);
Tensor local_response_norm(const Tensor& input, const LocalResponseNormFuncOptions& options);

}  // namespace functional

// ---- layers -------------------------------------------------------------------------------------------------------

// y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias over the trailing normalized_shape dims
class LayerNormImpl : public Cloneable<LayerNormImpl> {
 public:
  explicit LayerNormImpl(std::vector<int64_t> normalized_shape, double eps = 1e-5, bool elementwise_affine = true,
                         bool bias = true);
  explicit LayerNormImpl(int64_t normalized_size, double eps = 1e-5, bool elementwise_affine = true, bool bias = true)
      : LayerNormImpl(std::vector<int64_t>{normalized_size}, eps, elementwise_affine, bias) {}
  explicit LayerNormImpl(const LayerNormOptions& options)
      : LayerNormImpl(options.normalized_shape(), options.eps(), options.elementwise_affine()) {}
  // weight = 1, bias = 0
  void reset_parameters();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  LayerNormOptions options;  // LibTorch's `layer_norm->options`
  std::vector<int64_t> normalized_shape;
  double eps;
  bool elementwise_affine;
  Tensor weight, bias;  // undefined without elementwise_affine (bias also with bias=false)
};
REEL_MODULE(LayerNorm);

// The parameters, buffers and printing shared by BatchNorm and InstanceNorm.
class NormImplBase : public Cloneable<NormImplBase> {
 public:
  NormImplBase(int64_t num_features, double eps, std::optional<double> momentum, bool affine, bool track_running_stats);
  // running_mean = 0, running_var = 1, num_batches_tracked = 0
  void reset_running_stats();
  // the running stats, and weight = 1, bias = 0
  void reset_parameters();
  std::string extra_repr() const override;

  int64_t num_features;
  double eps;
  std::optional<double> momentum;  // BatchNorm: nullopt is the cumulative moving average
  bool affine, track_running_stats;
  Tensor weight, bias;                                    // when affine
  Tensor running_mean, running_var, num_batches_tracked;  // when track_running_stats

 protected:
  virtual void check_input_dim(const Tensor& input) const = 0;
};

// The shared body of BatchNorm1d/2d/3d; they differ in the input ranks they accept.
class BatchNormImplBase : public NormImplBase {
 public:
  BatchNormImplBase(int64_t num_features, double eps, std::optional<double> momentum, bool affine,
                    bool track_running_stats)
      : NormImplBase(num_features, eps, momentum, affine, track_running_stats), options(num_features) {
    options.eps(eps).momentum(momentum).affine(affine).track_running_stats(track_running_stats);
  }
  Tensor forward(const Tensor& input);

  BatchNormOptions options;
};

#define REEL_BATCH_NORM_LAYER(Name)                                                                                \
  class Name##Impl : public BatchNormImplBase {                                                                    \
   public:                                                                                                         \
    explicit Name##Impl(int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,             \
                        bool affine = true, bool track_running_stats = true)                                       \
        : BatchNormImplBase(num_features, eps, momentum, affine, track_running_stats) {}                           \
    explicit Name##Impl(const BatchNormOptions& o)                                                                 \
        : BatchNormImplBase(o.num_features(), o.eps(), o.momentum(), o.affine(), o.track_running_stats()) {}       \
                                                                                                                   \
   protected:                                                                                                      \
    void check_input_dim(const Tensor& input) const override;                                                      \
  };                                                                                                               \
  REEL_MODULE(Name)

// Over (N, C) or (N, C, L) inputs: statistics per C over N (and L).
REEL_BATCH_NORM_LAYER(BatchNorm1d);
// Over (N, C, H, W) inputs: statistics per C over N, H and W.
REEL_BATCH_NORM_LAYER(BatchNorm2d);
// Over (N, C, D, H, W) inputs: statistics per C over N, D, H and W.
REEL_BATCH_NORM_LAYER(BatchNorm3d);
#undef REEL_BATCH_NORM_LAYER

// The shared body of InstanceNorm1d/2d/3d: F::instance_norm with the batch statistics while training or without
// running stats, else the running stats; an unbatched input (one rank less) is one sample.
class InstanceNormImplBase : public NormImplBase {
 public:
  explicit InstanceNormImplBase(const InstanceNormOptions& options);
  Tensor forward(const Tensor& input);

  InstanceNormOptions options;

 protected:
  void check_input_dim(const Tensor& input) const override;
  virtual int64_t unbatched_rank() const = 0;
};

#define REEL_INSTANCE_NORM_LAYER(Name, rank)                                               \
  class Name##Impl : public InstanceNormImplBase {                                         \
   public:                                                                                 \
    explicit Name##Impl(const InstanceNormOptions& o) : InstanceNormImplBase(o) {}         \
                                                                                           \
   protected:                                                                              \
    int64_t unbatched_rank() const override { return rank; }                               \
  };                                                                                       \
  REEL_MODULE(Name)

// Over (N, C, L) or unbatched (C, L) inputs.
REEL_INSTANCE_NORM_LAYER(InstanceNorm1d, 2);
// Over (N, C, H, W) or unbatched (C, H, W) inputs.
REEL_INSTANCE_NORM_LAYER(InstanceNorm2d, 3);
// Over (N, C, D, H, W) or unbatched (C, D, H, W) inputs.
REEL_INSTANCE_NORM_LAYER(InstanceNorm3d, 4);
#undef REEL_INSTANCE_NORM_LAYER

// y = F::group_norm(x, num_groups, weight, bias, eps); weight [num_channels] = 1, bias = 0 when affine
class GroupNormImpl : public Cloneable<GroupNormImpl> {
 public:
  GroupNormImpl(int64_t num_groups, int64_t num_channels) : GroupNormImpl(GroupNormOptions(num_groups, num_channels)) {}
  explicit GroupNormImpl(const GroupNormOptions& options);
  void reset_parameters();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  GroupNormOptions options;
  Tensor weight, bias;  // when affine
};
REEL_MODULE(GroupNorm);

// y = F::local_response_norm(x, size, alpha, beta, k)
class LocalResponseNormImpl : public Cloneable<LocalResponseNormImpl> {
 public:
  explicit LocalResponseNormImpl(const LocalResponseNormOptions& options);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  LocalResponseNormOptions options;
};
REEL_MODULE(LocalResponseNorm);

}  // namespace reel::nn
