// reel/nn/normalization.h — LayerNorm, BatchNorm1d and BatchNorm2d.
//
// LayerNorm normalises each sample over its trailing `normalized_shape` dims. BatchNorm normalises each channel
// (dim 1) over the batch and the spatial dims with the batch statistics while training, updating the buffers
//   running_mean <- (1 - momentum) running_mean + momentum mean
//   running_var  <- (1 - momentum) running_var  + momentum var_unbiased
//   num_batches_tracked += 1
// (momentum = nullopt: the cumulative average, factor 1 / num_batches_tracked), and with the running statistics in
// eval mode, exactly as PyTorch. Weights start at ones, biases at zeros.
#pragma once

#include <optional>
#include <vector>

#include "module.h"

namespace reel::nn {

// y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias over the trailing normalized_shape dims
class LayerNormImpl : public Cloneable<LayerNormImpl> {
 public:
  explicit LayerNormImpl(std::vector<int64_t> normalized_shape, double eps = 1e-5, bool elementwise_affine = true,
                         bool bias = true);
  explicit LayerNormImpl(int64_t normalized_size, double eps = 1e-5, bool elementwise_affine = true, bool bias = true)
      : LayerNormImpl(std::vector<int64_t>{normalized_size}, eps, elementwise_affine, bias) {}
  // weight = 1, bias = 0
  void reset_parameters();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  std::vector<int64_t> normalized_shape;
  double eps;
  bool elementwise_affine;
  Tensor weight, bias;  // undefined without elementwise_affine (bias also with bias=false)
};
REEL_MODULE(LayerNorm);

// The shared body of BatchNorm1d and BatchNorm2d; they differ in the input ranks they accept.
class BatchNormImplBase : public Cloneable<BatchNormImplBase> {
 public:
  BatchNormImplBase(int64_t num_features, double eps, std::optional<double> momentum, bool affine,
                    bool track_running_stats);
  // running_mean = 0, running_var = 1, num_batches_tracked = 0
  void reset_running_stats();
  // the running stats, and weight = 1, bias = 0
  void reset_parameters();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  int64_t num_features;
  double eps;
  std::optional<double> momentum;  // nullopt: cumulative moving average
  bool affine, track_running_stats;
  Tensor weight, bias;                                         // when affine
  Tensor running_mean, running_var, num_batches_tracked;       // when track_running_stats

 protected:
  virtual void check_input_dim(const Tensor& input) const = 0;
};

// Over (N, C) or (N, C, L) inputs: statistics per C over N (and L).
class BatchNorm1dImpl : public BatchNormImplBase {
 public:
  explicit BatchNorm1dImpl(int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                           bool affine = true, bool track_running_stats = true)
      : BatchNormImplBase(num_features, eps, momentum, affine, track_running_stats) {}

 protected:
  void check_input_dim(const Tensor& input) const override;
};
REEL_MODULE(BatchNorm1d);

// Over (N, C, H, W) inputs: statistics per C over N, H and W.
class BatchNorm2dImpl : public BatchNormImplBase {
 public:
  explicit BatchNorm2dImpl(int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                           bool affine = true, bool track_running_stats = true)
      : BatchNormImplBase(num_features, eps, momentum, affine, track_running_stats) {}

 protected:
  void check_input_dim(const Tensor& input) const override;
};
REEL_MODULE(BatchNorm2d);

}  // namespace reel::nn
