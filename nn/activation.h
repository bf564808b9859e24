// reel/nn/activation.h — activation layers: ReLU, Hardtanh, LeakyReLU, ELU, CELU, SELU, GELU, SiLU, Mish,
// Softplus, Threshold, LogSigmoid, Hardsigmoid, Hardswish, Tanh, Sigmoid, Softmax and LogSoftmax. They hold no
// parameters; each forwards to the function of the same name in reel::nn::functional (or reel::), takes LibTorch's
// constructor arguments in order as plain values, and prints its options as PyTorch does
// ("LeakyReLU(negative_slope=0.01)").
#pragma once

#include <string>

#include "module.h"

namespace reel::nn {

// y = max(x, 0)
class ReLUImpl : public Cloneable<ReLUImpl> {
 public:
  ReLUImpl() = default;
  Tensor forward(const Tensor& input);
};
REEL_MODULE(ReLU);

// y = x > 0 ? x : negative_slope x
class LeakyReLUImpl : public Cloneable<LeakyReLUImpl> {
 public:
  explicit LeakyReLUImpl(double negative_slope = 0.01) : negative_slope(negative_slope) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  double negative_slope;
};
REEL_MODULE(LeakyReLU);

// y = x > 0 ? x : alpha (e^x - 1)
class ELUImpl : public Cloneable<ELUImpl> {
 public:
  explicit ELUImpl(double alpha = 1.0) : alpha(alpha) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  double alpha;
};
REEL_MODULE(ELU);

// y = min(max(x, min_val), max_val); max_val must exceed min_val
class HardtanhImpl : public Cloneable<HardtanhImpl> {
 public:
  explicit HardtanhImpl(double min_val = -1.0, double max_val = 1.0);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  double min_val;
  double max_val;
};
REEL_MODULE(Hardtanh);

// y = x > 0 ? x : alpha (e^(x / alpha) - 1)
class CELUImpl : public Cloneable<CELUImpl> {
 public:
  explicit CELUImpl(double alpha = 1.0) : alpha(alpha) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  double alpha;
};
REEL_MODULE(CELU);

// y = 1.0507 (x > 0 ? x : 1.6733 (e^x - 1))
class SELUImpl : public Cloneable<SELUImpl> {
 public:
  SELUImpl() = default;
  Tensor forward(const Tensor& input);
};
REEL_MODULE(SELU);

// y = beta x > threshold ? x : ln(1 + e^(beta x)) / beta
class SoftplusImpl : public Cloneable<SoftplusImpl> {
 public:
  explicit SoftplusImpl(double beta = 1.0, double threshold = 20.0) : beta(beta), threshold(threshold) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  double beta;
  double threshold;
};
REEL_MODULE(Softplus);

// y = x > threshold ? x : value
class ThresholdImpl : public Cloneable<ThresholdImpl> {
 public:
  ThresholdImpl(double threshold, double value) : threshold(threshold), value(value) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  double threshold;
  double value;
};
REEL_MODULE(Threshold);

// y = ln sigmoid(x)
class LogSigmoidImpl : public Cloneable<LogSigmoidImpl> {
 public:
  LogSigmoidImpl() = default;
  Tensor forward(const Tensor& input);
};
REEL_MODULE(LogSigmoid);

// y = min(max(x + 3, 0), 6) / 6
class HardsigmoidImpl : public Cloneable<HardsigmoidImpl> {
 public:
  HardsigmoidImpl() = default;
  Tensor forward(const Tensor& input);
};
REEL_MODULE(Hardsigmoid);

// y = x min(max(x + 3, 0), 6) / 6
class HardswishImpl : public Cloneable<HardswishImpl> {
 public:
  HardswishImpl() = default;
  Tensor forward(const Tensor& input);
};
REEL_MODULE(Hardswish);

// y = x tanh(ln(1 + e^x))
class MishImpl : public Cloneable<MishImpl> {
 public:
  MishImpl() = default;
  Tensor forward(const Tensor& input);
};
REEL_MODULE(Mish);

// y = x Phi(x) ("none", exact with erf) or its tanh approximation ("tanh")
class GELUImpl : public Cloneable<GELUImpl> {
 public:
  explicit GELUImpl(std::string approximate = "none");
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  std::string approximate;
};
REEL_MODULE(GELU);

// y = x sigmoid(x)
class SiLUImpl : public Cloneable<SiLUImpl> {
 public:
  SiLUImpl() = default;
  Tensor forward(const Tensor& input);
};
REEL_MODULE(SiLU);

// y = tanh x
class TanhImpl : public Cloneable<TanhImpl> {
 public:
  TanhImpl() = default;
  Tensor forward(const Tensor& input);
};
REEL_MODULE(Tanh);

// y = 1 / (1 + e^-x)
class SigmoidImpl : public Cloneable<SigmoidImpl> {
 public:
  SigmoidImpl() = default;
  Tensor forward(const Tensor& input);
};
REEL_MODULE(Sigmoid);

// y_i = e^x_i / sum_j e^x_j along dim
class SoftmaxImpl : public Cloneable<SoftmaxImpl> {
 public:
  explicit SoftmaxImpl(int64_t dim) : dim(dim) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  int64_t dim;
};
REEL_MODULE(Softmax);

// y_i = x_i - ln sum_j e^x_j along dim
class LogSoftmaxImpl : public Cloneable<LogSoftmaxImpl> {
 public:
  explicit LogSoftmaxImpl(int64_t dim) : dim(dim) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  int64_t dim;
};
REEL_MODULE(LogSoftmax);

// ---- issue 16's activations (nn/layers_extra.cpp) ----
// y = min(max(x, 0), 6)
class ReLU6Impl : public Cloneable<ReLU6Impl> {
 public:
  ReLU6Impl() = default;
  Tensor forward(const Tensor& input);
};
REEL_MODULE(ReLU6);

// y = x / (1 + |x|)
class SoftsignImpl : public Cloneable<SoftsignImpl> {
 public:
  SoftsignImpl() = default;
  Tensor forward(const Tensor& input);
};
REEL_MODULE(Softsign);

// y = x - tanh x
class TanhshrinkImpl : public Cloneable<TanhshrinkImpl> {
 public:
  TanhshrinkImpl() = default;
  Tensor forward(const Tensor& input);
};
REEL_MODULE(Tanhshrink);

// y = x > lambda ? x - lambda : x < -lambda ? x + lambda : 0
class SoftshrinkImpl : public Cloneable<SoftshrinkImpl> {
 public:
  explicit SoftshrinkImpl(double lambda = 0.5);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  double lambda;
};
REEL_MODULE(Softshrink);

// y = |x| > lambda ? x : 0
class HardshrinkImpl : public Cloneable<HardshrinkImpl> {
 public:
  explicit HardshrinkImpl(double lambda = 0.5) : lambda(lambda) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  double lambda;
};
REEL_MODULE(Hardshrink);

// y = a sigmoid(b), the halves of the input along dim
class GLUImpl : public Cloneable<GLUImpl> {
 public:
  explicit GLUImpl(int64_t dim = -1) : dim(dim) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  int64_t dim;
};
REEL_MODULE(GLU);

// y = x > 0 ? x : w x with a learnt weight of num_parameters values (1, or one per channel), all starting at init
class PReLUImpl : public Cloneable<PReLUImpl> {
 public:
  explicit PReLUImpl(int64_t num_parameters = 1, double init = 0.25);
  void reset_parameters();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  int64_t num_parameters;
  double init;
  Tensor weight;
};
REEL_MODULE(PReLU);

// training: random negative slopes in [lower, upper]; eval: the mean slope (is_training() decides)
class RReLUImpl : public Cloneable<RReLUImpl> {
 public:
  explicit RReLUImpl(double lower = 1.0 / 8.0, double upper = 1.0 / 3.0);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  double lower, upper;
};
REEL_MODULE(RReLU);

}  // namespace reel::nn
