// reel/nn/activation.h — activation layers: ReLU, LeakyReLU, ELU, GELU, SiLU, Tanh, Sigmoid, Softmax and
// LogSoftmax. They hold no parameters; each forwards to the function of the same name in
// reel::nn::functional (or reel::) and prints its options as PyTorch does ("LeakyReLU(negative_slope=0.01)").
#pragma once

#include <string>

#include "module.h"

namespace reel::nn {

// y = max(x, 0)
class ReLUImpl : public Module {
 public:
  ReLUImpl() = default;
  Tensor forward(const Tensor& input);
};
REEL_MODULE(ReLU);

// y = x > 0 ? x : negative_slope x
class LeakyReLUImpl : public Module {
 public:
  explicit LeakyReLUImpl(double negative_slope = 0.01) : negative_slope(negative_slope) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  double negative_slope;
};
REEL_MODULE(LeakyReLU);

// y = x > 0 ? x : alpha (e^x - 1)
class ELUImpl : public Module {
 public:
  explicit ELUImpl(double alpha = 1.0) : alpha(alpha) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  double alpha;
};
REEL_MODULE(ELU);

// y = x Phi(x) ("none", exact with erf) or its tanh approximation ("tanh")
class GELUImpl : public Module {
 public:
  explicit GELUImpl(std::string approximate = "none");
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  std::string approximate;
};
REEL_MODULE(GELU);

// y = x sigmoid(x)
class SiLUImpl : public Module {
 public:
  SiLUImpl() = default;
  Tensor forward(const Tensor& input);
};
REEL_MODULE(SiLU);

// y = tanh x
class TanhImpl : public Module {
 public:
  TanhImpl() = default;
  Tensor forward(const Tensor& input);
};
REEL_MODULE(Tanh);

// y = 1 / (1 + e^-x)
class SigmoidImpl : public Module {
 public:
  SigmoidImpl() = default;
  Tensor forward(const Tensor& input);
};
REEL_MODULE(Sigmoid);

// y_i = e^x_i / sum_j e^x_j along dim
class SoftmaxImpl : public Module {
 public:
  explicit SoftmaxImpl(int64_t dim) : dim(dim) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  int64_t dim;
};
REEL_MODULE(Softmax);

// y_i = x_i - ln sum_j e^x_j along dim
class LogSoftmaxImpl : public Module {
 public:
  explicit LogSoftmaxImpl(int64_t dim) : dim(dim) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  int64_t dim;
};
REEL_MODULE(LogSoftmax);

}  // namespace reel::nn
