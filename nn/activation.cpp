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
