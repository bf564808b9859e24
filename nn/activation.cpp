// reel/nn/activation.cpp — the activation layers' forwards (to reel::nn::functional) and printed options.
#include "nn/activation.h"

#include "nn/functional.h"
#include "nn/repr.h"
#include "tensor/error_format.h"

namespace reel::nn {

namespace F = functional;

// y = max(x, 0)
Tensor ReLUImpl::forward(const Tensor& input) { return F::relu(input); }

// y = x > 0 ? x : slope x
Tensor LeakyReLUImpl::forward(const Tensor& input) { return F::leaky_relu(input, negative_slope); }

std::string LeakyReLUImpl::extra_repr() const {
  return fmt::format("negative_slope={}", repr::py_float(negative_slope));
}

// y = x > 0 ? x : alpha (e^x - 1)
Tensor ELUImpl::forward(const Tensor& input) { return F::elu(input, alpha); }

std::string ELUImpl::extra_repr() const { return fmt::format("alpha={}", repr::py_float(alpha)); }

HardtanhImpl::HardtanhImpl(double min_val_, double max_val_) : min_val(min_val_), max_val(max_val_) {
  REEL_CHECK(max_val > min_val, "Hardtanh: max_val must be greater than min_val, got min_val = {} and max_val = {}",
             min_val, max_val);
}

// y = min(max(x, min_val), max_val)
Tensor HardtanhImpl::forward(const Tensor& input) { return F::hardtanh(input, min_val, max_val); }

std::string HardtanhImpl::extra_repr() const {
  return fmt::format("min_val={}, max_val={}", repr::py_float(min_val), repr::py_float(max_val));
}

// y = x > 0 ? x : alpha (e^(x / alpha) - 1)
Tensor CELUImpl::forward(const Tensor& input) { return F::celu(input, alpha); }

std::string CELUImpl::extra_repr() const { return fmt::format("alpha={}", repr::py_float(alpha)); }

// y = scale (x > 0 ? x : alpha (e^x - 1))
Tensor SELUImpl::forward(const Tensor& input) { return F::selu(input); }

// y = beta x > threshold ? x : ln(1 + e^(beta x)) / beta
Tensor SoftplusImpl::forward(const Tensor& input) { return F::softplus(input, beta, threshold); }

std::string SoftplusImpl::extra_repr() const {
  return fmt::format("beta={}, threshold={}", repr::py_float(beta), repr::py_float(threshold));
}

// y = x > threshold ? x : value
Tensor ThresholdImpl::forward(const Tensor& input) { return F::threshold(input, threshold, value); }

std::string ThresholdImpl::extra_repr() const {
  return fmt::format("threshold={}, value={}", repr::py_float(threshold), repr::py_float(value));
}

// y = ln sigmoid(x)
Tensor LogSigmoidImpl::forward(const Tensor& input) { return F::logsigmoid(input); }

// y = relu6(x + 3) / 6
Tensor HardsigmoidImpl::forward(const Tensor& input) { return F::hardsigmoid(input); }

// y = x relu6(x + 3) / 6
Tensor HardswishImpl::forward(const Tensor& input) { return F::hardswish(input); }

// y = x tanh(softplus(x))
Tensor MishImpl::forward(const Tensor& input) { return F::mish(input); }

GELUImpl::GELUImpl(std::string approximate_) : approximate(std::move(approximate_)) {
  REEL_CHECK(approximate == "none" || approximate == "tanh", "GELU: approximate must be 'none' or 'tanh', got '{}'",
             approximate);
}

// y = x Phi(x)
Tensor GELUImpl::forward(const Tensor& input) { return F::gelu(input, approximate); }

std::string GELUImpl::extra_repr() const { return fmt::format("approximate='{}'", approximate); }

// y = x sigmoid(x)
Tensor SiLUImpl::forward(const Tensor& input) { return F::silu(input); }

// y = tanh x
Tensor TanhImpl::forward(const Tensor& input) { return reel::tanh(input); }

// y = sigmoid x
Tensor SigmoidImpl::forward(const Tensor& input) { return reel::sigmoid(input); }

// y = softmax(x, dim)
Tensor SoftmaxImpl::forward(const Tensor& input) { return reel::softmax(input, dim); }

std::string SoftmaxImpl::extra_repr() const { return fmt::format("dim={}", dim); }

// y = log_softmax(x, dim)
Tensor LogSoftmaxImpl::forward(const Tensor& input) { return reel::log_softmax(input, dim); }

std::string LogSoftmaxImpl::extra_repr() const { return fmt::format("dim={}", dim); }

}  // namespace reel::nn
