// reel/nn/activation.h — activation layers: ReLU, Hardtanh, LeakyReLU, ELU, CELU, SELU, GELU, SiLU, Mish,
// Softplus, Threshold, LogSigmoid, Hardsigmoid, Hardswish, Tanh, Sigmoid, Softmax, Softmin, Softmax2d, LogSoftmax
// and issue 16's ReLU6, Softsign, Tanhshrink, Softshrink, Hardshrink, GLU, PReLU, RReLU. They hold no parameters
// (PReLU holds its weight); each forwards to the function of the same name in reel::nn::functional (or reel::),
// and prints its options as PyTorch does ("LeakyReLU(negative_slope=0.01, inplace=True)").
//
// Each takes LibTorch's options struct (nn/functional_options.h), kept as the public member `options` as in
// LibTorch, and also reel's earlier positional arguments:
//   nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2).inplace(true))    nn::LeakyReLU(0.2)
// inplace(true) overwrites the input with the result (the op's in-place form) and returns it.
#pragma once

#include <string>

#include "functional_options.h"
#include "module.h"

namespace reel::nn {

// y = max(x, 0)
class ReLUImpl : public Cloneable<ReLUImpl> {
 public:
  explicit ReLUImpl(const ReLUOptions& options_ = {}) : options(options_) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  ReLUOptions options;
};
REEL_MODULE(ReLU);

// y = x > 0 ? x : negative_slope x
class LeakyReLUImpl : public Cloneable<LeakyReLUImpl> {
 public:
  explicit LeakyReLUImpl(double negative_slope) : options(LeakyReLUOptions().negative_slope(negative_slope)) {}
  explicit LeakyReLUImpl(const LeakyReLUOptions& options_ = {}) : options(options_) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  LeakyReLUOptions options;
};
REEL_MODULE(LeakyReLU);

// y = x > 0 ? x : alpha (e^x - 1)
class ELUImpl : public Cloneable<ELUImpl> {
 public:
  explicit ELUImpl(double alpha) : options(ELUOptions().alpha(alpha)) {}
  explicit ELUImpl(const ELUOptions& options_ = {}) : options(options_) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  ELUOptions options;
};
REEL_MODULE(ELU);

// y = min(max(x, min_val), max_val); max_val must exceed min_val
class HardtanhImpl : public Cloneable<HardtanhImpl> {
 public:
  explicit HardtanhImpl(double min_val, double max_val = 1.0);
  explicit HardtanhImpl(const HardtanhOptions& options_ = {});
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  HardtanhOptions options;
};
REEL_MODULE(Hardtanh);

// y = x > 0 ? x : alpha (e^(x / alpha) - 1)
class CELUImpl : public Cloneable<CELUImpl> {
 public:
  explicit CELUImpl(double alpha) : options(CELUOptions().alpha(alpha)) {}
  explicit CELUImpl(const CELUOptions& options_ = {}) : options(options_) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  CELUOptions options;
};
REEL_MODULE(CELU);

// y = 1.0507 (x > 0 ? x : 1.6733 (e^x - 1))
class SELUImpl : public Cloneable<SELUImpl> {
 public:
  explicit SELUImpl(const SELUOptions& options_ = {}) : options(options_) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  SELUOptions options;
};
REEL_MODULE(SELU);

// y = beta x > threshold ? x : ln(1 + e^(beta x)) / beta
class SoftplusImpl : public Cloneable<SoftplusImpl> {
 public:
  explicit SoftplusImpl(double beta, double threshold = 20.0)
      : options(SoftplusOptions().beta(beta).threshold(threshold)) {}
  explicit SoftplusImpl(const SoftplusOptions& options_ = {}) : options(options_) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  SoftplusOptions options;
};
REEL_MODULE(Softplus);

// y = x > threshold ? x : value
class ThresholdImpl : public Cloneable<ThresholdImpl> {
 public:
  ThresholdImpl(double threshold, double value) : options(threshold, value) {}
  explicit ThresholdImpl(const ThresholdOptions& options_) : options(options_) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  ThresholdOptions options;
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
  explicit GELUImpl(std::string approximate);
  explicit GELUImpl(GELUOptions options_ = {});
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  GELUOptions options;
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

// y_i = e^x_i / sum_j e^x_j along dim (Softmax(1) and Softmax(SoftmaxOptions(1)) alike)
class SoftmaxImpl : public Cloneable<SoftmaxImpl> {
 public:
  explicit SoftmaxImpl(const SoftmaxOptions& options_) : options(options_) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  SoftmaxOptions options;
};
REEL_MODULE(Softmax);

// y_i = e^-x_i / sum_j e^-x_j along dim
class SoftminImpl : public Cloneable<SoftminImpl> {
 public:
  explicit SoftminImpl(const SoftminOptions& options_) : options(options_) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  SoftminOptions options;
};
REEL_MODULE(Softmin);

// softmax over the channels (dim -3) of a (C, H, W) or (N, C, H, W) input
class Softmax2dImpl : public Cloneable<Softmax2dImpl> {
 public:
  Softmax2dImpl() = default;
  Tensor forward(const Tensor& input);
};
REEL_MODULE(Softmax2d);

// y_i = x_i - ln sum_j e^x_j along dim
class LogSoftmaxImpl : public Cloneable<LogSoftmaxImpl> {
 public:
  explicit LogSoftmaxImpl(const LogSoftmaxOptions& options_) : options(options_) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  LogSoftmaxOptions options;
};
REEL_MODULE(LogSoftmax);

// ---- issue 16's activations ----
// y = min(max(x, 0), 6)
class ReLU6Impl : public Cloneable<ReLU6Impl> {
 public:
  explicit ReLU6Impl(const ReLU6Options& options_ = {}) : options(options_) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  ReLU6Options options;
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

// y = x > lambda ? x - lambda : x < -lambda ? x + lambda : 0 (Softshrink(0.3) and Softshrink(SoftshrinkOptions(0.3)))
class SoftshrinkImpl : public Cloneable<SoftshrinkImpl> {
 public:
  explicit SoftshrinkImpl(const SoftshrinkOptions& options_ = {});
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  SoftshrinkOptions options;
};
REEL_MODULE(Softshrink);

// y = |x| > lambda ? x : 0
class HardshrinkImpl : public Cloneable<HardshrinkImpl> {
 public:
  explicit HardshrinkImpl(const HardshrinkOptions& options_ = {}) : options(options_) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  HardshrinkOptions options;
};
REEL_MODULE(Hardshrink);

// y = a sigmoid(b), the halves of the input along dim
class GLUImpl : public Cloneable<GLUImpl> {
 public:
  explicit GLUImpl(const GLUOptions& options_ = {}) : options(options_) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  GLUOptions options;
};
REEL_MODULE(GLU);

// y = x > 0 ? x : w x with a learnt weight of num_parameters values (1, or one per channel), all starting at init
class PReLUImpl : public Cloneable<PReLUImpl> {
 public:
  explicit PReLUImpl(int64_t num_parameters, double init = 0.25);
  explicit PReLUImpl(const PReLUOptions& options_ = {});
  void reset_parameters();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  PReLUOptions options;
  Tensor weight;
};
REEL_MODULE(PReLU);

// training: random negative slopes in [lower, upper]; eval: the mean slope (is_training() decides)
class RReLUImpl : public Cloneable<RReLUImpl> {
 public:
  explicit RReLUImpl(double lower, double upper = 1.0 / 3.0);
  explicit RReLUImpl(const RReLUOptions& options_ = {});
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  RReLUOptions options;
};
REEL_MODULE(RReLU);

}  // namespace reel::nn
