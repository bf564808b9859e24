// reel/nn/activation.cpp — the activation layers' constructors, forwards (to reel::nn::functional, the in-place
// op when options.inplace()) and printed options, issue 16's activations included.
#include "nn/activation.h"

#include <fmt/format.h>

#include "nn/functional.h"
#include "nn/repr.h"
#include "tensor/error_format.h"
#include "tensor/grad_mode.h"

namespace reel::nn {

namespace F = functional;

namespace {
// PyTorch's suffix for in-place layers: "" or ", inplace=True" (or "inplace=True" when it is the only option)
std::string inplace_suffix(bool inplace, bool only) {
  if (!inplace) return "";
  return only ? "inplace=True" : ", inplace=True";
}
}  // namespace

// y = max(x, 0)
Tensor ReLUImpl::forward(const Tensor& input) { return F::relu(input, options); }
std::string ReLUImpl::extra_repr() const { return inplace_suffix(options.inplace(), true); }

// y = x > 0 ? x : slope x
Tensor LeakyReLUImpl::forward(const Tensor& input) { return F::leaky_relu(input, options); }

std::string LeakyReLUImpl::extra_repr() const {
  return fmt::format("negative_slope={}{}", repr::py_float(options.negative_slope()),
                     inplace_suffix(options.inplace(), false));
}

// y = x > 0 ? x : alpha (e^x - 1)
Tensor ELUImpl::forward(const Tensor& input) { return F::elu(input, options); }

std::string ELUImpl::extra_repr() const {
  return fmt::format("alpha={}{}", repr::py_float(options.alpha()), inplace_suffix(options.inplace(), false));
}

HardtanhImpl::HardtanhImpl(double min_val, double max_val)
    : HardtanhImpl(HardtanhOptions().min_val(min_val).max_val(max_val)) {}

HardtanhImpl::HardtanhImpl(const HardtanhOptions& options_) : options(options_) {
  REEL_CHECK(options.max_val() > options.min_val(),
             "Hardtanh: max_val must be greater than min_val, got min_val = {} and max_val = {}", options.min_val(),
             options.max_val());
}

// y = min(max(x, min_val), max_val)
Tensor HardtanhImpl::forward(const Tensor& input) { return F::hardtanh(input, options); }

std::string HardtanhImpl::extra_repr() const {
  return fmt::format("min_val={}, max_val={}{}", repr::py_float(options.min_val()), repr::py_float(options.max_val()),
                     inplace_suffix(options.inplace(), false));
}

// y = x > 0 ? x : alpha (e^(x / alpha) - 1)
Tensor CELUImpl::forward(const Tensor& input) { return F::celu(input, options); }

std::string CELUImpl::extra_repr() const {
  return fmt::format("alpha={}{}", repr::py_float(options.alpha()), inplace_suffix(options.inplace(), false));
}

// y = scale (x > 0 ? x : alpha (e^x - 1))
Tensor SELUImpl::forward(const Tensor& input) { return F::selu(input, options); }
std::string SELUImpl::extra_repr() const { return inplace_suffix(options.inplace(), true); }

// y = beta x > threshold ? x : ln(1 + e^(beta x)) / beta
Tensor SoftplusImpl::forward(const Tensor& input) { return F::softplus(input, options); }

std::string SoftplusImpl::extra_repr() const {
  return fmt::format("beta={}, threshold={}", repr::py_float(options.beta()), repr::py_float(options.threshold()));
}

// y = x > threshold ? x : value
Tensor ThresholdImpl::forward(const Tensor& input) { return F::threshold(input, options); }

std::string ThresholdImpl::extra_repr() const {
  return fmt::format("threshold={}, value={}{}", repr::py_float(options.threshold()), repr::py_float(options.value()),
                     inplace_suffix(options.inplace(), false));
}

// y = ln sigmoid(x)
Tensor LogSigmoidImpl::forward(const Tensor& input) { return F::logsigmoid(input); }

// y = relu6(x + 3) / 6
Tensor HardsigmoidImpl::forward(const Tensor& input) { return F::hardsigmoid(input); }

// y = x relu6(x + 3) / 6
Tensor HardswishImpl::forward(const Tensor& input) { return F::hardswish(input); }

// y = x tanh(softplus(x))
Tensor MishImpl::forward(const Tensor& input) { return F::mish(input); }

GELUImpl::GELUImpl(std::string approximate) : GELUImpl(GELUOptions().approximate(std::move(approximate))) {}

GELUImpl::GELUImpl(GELUOptions options_) : options(std::move(options_)) {
  REEL_CHECK(options.approximate() == "none" || options.approximate() == "tanh",
             "GELU: approximate must be 'none' or 'tanh', got '{}'", options.approximate());
}

// y = x Phi(x)
Tensor GELUImpl::forward(const Tensor& input) { return F::gelu(input, options); }

std::string GELUImpl::extra_repr() const { return fmt::format("approximate='{}'", options.approximate()); }

// y = x sigmoid(x)
Tensor SiLUImpl::forward(const Tensor& input) { return F::silu(input); }

// y = tanh x
Tensor TanhImpl::forward(const Tensor& input) { return reel::tanh(input); }

// y = sigmoid x
Tensor SigmoidImpl::forward(const Tensor& input) { return reel::sigmoid(input); }

// y = softmax(x, dim)
Tensor SoftmaxImpl::forward(const Tensor& input) { return reel::softmax(input, options.dim()); }

std::string SoftmaxImpl::extra_repr() const { return fmt::format("dim={}", options.dim()); }

// y = softmax(-x, dim)
Tensor SoftminImpl::forward(const Tensor& input) { return F::softmin(input, options.dim()); }

std::string SoftminImpl::extra_repr() const { return fmt::format("dim={}", options.dim()); }

// y = softmax(x, -3) for (C, H, W) or (N, C, H, W)
Tensor Softmax2dImpl::forward(const Tensor& input) {
  input.check_defined("Softmax2d");
  REEL_CHECK(input.dim() == 3 || input.dim() == 4,
             "Softmax2d: expected input to be 3D or 4D, got {}D instead (shape {})", input.dim(),
             shape_str(input.sizes()));
  return reel::softmax(input, -3);
}

// y = log_softmax(x, dim)
Tensor LogSoftmaxImpl::forward(const Tensor& input) { return reel::log_softmax(input, options.dim()); }

std::string LogSoftmaxImpl::extra_repr() const { return fmt::format("dim={}", options.dim()); }

// ---- issue 16's activations ----
// y = min(max(x, 0), 6)
Tensor ReLU6Impl::forward(const Tensor& input) { return F::relu6(input, options); }
std::string ReLU6Impl::extra_repr() const { return inplace_suffix(options.inplace(), true); }

Tensor SoftsignImpl::forward(const Tensor& input) { return F::softsign(input); }
Tensor TanhshrinkImpl::forward(const Tensor& input) { return F::tanhshrink(input); }

SoftshrinkImpl::SoftshrinkImpl(const SoftshrinkOptions& options_) : options(options_) {
  REEL_CHECK(options.lambda() >= 0, "Softshrink: lambda must be greater or equal to 0, but found to be {}",
             options.lambda());
}
Tensor SoftshrinkImpl::forward(const Tensor& input) { return F::softshrink(input, options); }
std::string SoftshrinkImpl::extra_repr() const { return repr::py_float(options.lambda()); }

Tensor HardshrinkImpl::forward(const Tensor& input) { return F::hardshrink(input, options); }
std::string HardshrinkImpl::extra_repr() const { return repr::py_float(options.lambda()); }

Tensor GLUImpl::forward(const Tensor& input) { return F::glu(input, options); }
std::string GLUImpl::extra_repr() const { return fmt::format("dim={}", options.dim()); }

PReLUImpl::PReLUImpl(int64_t num_parameters, double init)
    : PReLUImpl(PReLUOptions().num_parameters(num_parameters).init(init)) {}

PReLUImpl::PReLUImpl(const PReLUOptions& options_) : Cloneable("PReLU"), options(options_) {
  REEL_CHECK(options.num_parameters() > 0, "PReLU: num_parameters must be positive, got {}",
             options.num_parameters());
  weight = register_parameter("weight", empty({options.num_parameters()}));
  reset_parameters();
}
// weight = init everywhere
void PReLUImpl::reset_parameters() {
  NoGradGuard no_grad;
  weight.fill_(options.init());
}
Tensor PReLUImpl::forward(const Tensor& input) { return F::prelu(input, weight); }
std::string PReLUImpl::extra_repr() const { return fmt::format("num_parameters={}", options.num_parameters()); }

RReLUImpl::RReLUImpl(double lower, double upper) : RReLUImpl(RReLUOptions().lower(lower).upper(upper)) {}

RReLUImpl::RReLUImpl(const RReLUOptions& options_) : options(options_) {
  REEL_CHECK(options.lower() <= options.upper(), "RReLU: lower bound should be less than or equal to the upper bound, "
             "got lower = {} and upper = {}", options.lower(), options.upper());
}
// training: random slopes; eval: the mean slope
Tensor RReLUImpl::forward(const Tensor& input) {
  return F::rrelu(input, F::RReLUFuncOptions()
                             .lower(options.lower())
                             .upper(options.upper())
                             .training(is_training())
                             .inplace(options.inplace()));
}
std::string RReLUImpl::extra_repr() const {
  return fmt::format("lower={}, upper={}{}", repr::py_float(options.lower()), repr::py_float(options.upper()),
                     inplace_suffix(options.inplace(), false));
}

}  // namespace reel::nn
