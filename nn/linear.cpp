// reel/nn/linear.cpp — Identity, Linear, Bilinear, Flatten and Unflatten: argument checks, PyTorch's default
// initialisations, forwards through reel::nn::functional, and PyTorch's printed options.
#include "nn/linear.h"

#include <cmath>

#include "nn/functional.h"
#include "nn/init.h"
#include "nn/repr.h"
#include "tensor/error_format.h"
#include "tensor/grad_mode.h"

namespace reel::nn {

namespace F = functional;

// y = x
Tensor IdentityImpl::forward(const Tensor& input) { return input; }

// ---- Linear -----------------------------------------------------------------------------------------------------

LinearImpl::LinearImpl(int64_t in_features_, int64_t out_features_, bool with_bias)
    : options(LinearOptions(in_features_, out_features_).bias(with_bias)),
      in_features(in_features_),
      out_features(out_features_) {
  REEL_CHECK(in_features >= 0 && out_features >= 0,
             "Linear: in_features and out_features must be non-negative, got {} and {}", in_features, out_features);
  weight = register_parameter("weight", empty({out_features, in_features}));
  if (with_bias) bias = register_parameter("bias", empty({out_features}));
  reset_parameters();
}

// W ~ U(+-1/sqrt(fan_in)) (kaiming_uniform_ with a = sqrt 5), b ~ U(+-1/sqrt(fan_in)) (0 when fan_in = 0)
void LinearImpl::reset_parameters() {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const double bound = in_features > 0 ? 1.0 / std::sqrt(static_cast<double>(in_features)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

// y = x W^T + b
Tensor LinearImpl::forward(const Tensor& input) { return F::linear(input, weight, bias); }

std::string LinearImpl::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", in_features, out_features,
                     repr::py_bool(bias.defined()));
}

// ---- Bilinear ---------------------------------------------------------------------------------------------------

BilinearImpl::BilinearImpl(int64_t in1_features_, int64_t in2_features_, int64_t out_features_, bool with_bias)
    : options(BilinearOptions(in1_features_, in2_features_, out_features_).bias(with_bias)),
      in1_features(in1_features_),
      in2_features(in2_features_),
      out_features(out_features_) {
  REEL_CHECK(in1_features >= 0 && in2_features >= 0 && out_features >= 0,
             "Bilinear: in1_features, in2_features and out_features must be non-negative, got {}, {} and {}",
             in1_features, in2_features, out_features);
  weight = register_parameter("weight", empty({out_features, in1_features, in2_features}));
  if (with_bias) bias = register_parameter("bias", empty({out_features}));
  reset_parameters();
}

// W, b ~ U(+-1/sqrt(in1_features))
void BilinearImpl::reset_parameters() {
  const double bound = in1_features > 0 ? 1.0 / std::sqrt(static_cast<double>(in1_features)) : 0.0;
  init::uniform_(weight, -bound, bound);
  if (bias.defined()) init::uniform_(bias, -bound, bound);
}

// y = x1^T A x2 + b
Tensor BilinearImpl::forward(const Tensor& input1, const Tensor& input2) {
  return F::bilinear(input1, input2, weight, bias);
}

std::string BilinearImpl::extra_repr() const {
  return fmt::format("in1_features={}, in2_features={}, out_features={}, bias={}", in1_features, in2_features,
                     out_features, repr::py_bool(bias.defined()));
}

// ---- Flatten ----------------------------------------------------------------------------------------------------

FlattenImpl::FlattenImpl(int64_t start_dim_, int64_t end_dim_)
    : options(FlattenOptions().start_dim(start_dim_).end_dim(end_dim_)), start_dim(start_dim_), end_dim(end_dim_) {}

// y = x.flatten(start_dim, end_dim)
Tensor FlattenImpl::forward(const Tensor& input) {
  input.check_defined("Flatten");
  return input.flatten(start_dim, end_dim);
}

std::string FlattenImpl::extra_repr() const { return fmt::format("start_dim={}, end_dim={}", start_dim, end_dim); }

// ---- Unflatten --------------------------------------------------------------------------------------------------

UnflattenImpl::UnflattenImpl(int64_t dim_, std::vector<int64_t> sizes_)
    : options(dim_, sizes_), dim(dim_), sizes(std::move(sizes_)) {
  REEL_CHECK(!sizes.empty(), "Unflatten: unflattened_size must be non-empty (dim {})", dim);
}

// y = x.unflatten(dim, sizes)
Tensor UnflattenImpl::forward(const Tensor& input) {
  input.check_defined("Unflatten");
  return input.unflatten(dim, sizes);
}

// "dim=1, unflattened_size=(2, 5)"
std::string UnflattenImpl::extra_repr() const {
  return fmt::format("dim={}, unflattened_size={}", dim, repr::py_tuple(sizes));
}

}  // namespace reel::nn
