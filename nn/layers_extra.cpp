// reel/nn/layers_extra.cpp — the modules of issue 16: ReLU6, Softsign, Tanhshrink, Softshrink, Hardshrink, GLU,
// PReLU, RReLU (nn/activation.h) and PixelShuffle, PixelUnshuffle, Upsample, PairwiseDistance (nn/conv.h). Each
// forwards to its reel::nn::functional function and prints its options as PyTorch does.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "nn/activation.h"
#include "nn/conv.h"
#include "nn/functional.h"
#include "nn/repr.h"
#include "tensor/error_format.h"
#include "tensor/grad_mode.h"

namespace reel::nn {

namespace F = functional;

Tensor ReLU6Impl::forward(const Tensor& input) { return F::relu6(input); }
Tensor SoftsignImpl::forward(const Tensor& input) { return F::softsign(input); }
Tensor TanhshrinkImpl::forward(const Tensor& input) { return F::tanhshrink(input); }

SoftshrinkImpl::SoftshrinkImpl(double lambda_) : lambda(lambda_) {
  REEL_CHECK(lambda >= 0, "Softshrink: lambda must be greater or equal to 0, but found to be {}", lambda);
}
Tensor SoftshrinkImpl::forward(const Tensor& input) { return F::softshrink(input, lambda); }
std::string SoftshrinkImpl::extra_repr() const { return repr::py_float(lambda); }

Tensor HardshrinkImpl::forward(const Tensor& input) { return F::hardshrink(input, lambda); }
std::string HardshrinkImpl::extra_repr() const { return repr::py_float(lambda); }

Tensor GLUImpl::forward(const Tensor& input) { return F::glu(input, dim); }
std::string GLUImpl::extra_repr() const { return fmt::format("dim={}", dim); }

PReLUImpl::PReLUImpl(int64_t num_parameters_, double init_)
    : Cloneable("PReLU"), num_parameters(num_parameters_), init(init_) {
  REEL_CHECK(num_parameters > 0, "PReLU: num_parameters must be positive, got {}", num_parameters);
  weight = register_parameter("weight", empty({num_parameters}));
  reset_parameters();
}
// weight = init everywhere
void PReLUImpl::reset_parameters() {
  NoGradGuard no_grad;
  weight.fill_(init);
}
Tensor PReLUImpl::forward(const Tensor& input) { return F::prelu(input, weight); }
std::string PReLUImpl::extra_repr() const { return fmt::format("num_parameters={}", num_parameters); }

RReLUImpl::RReLUImpl(double lower_, double upper_) : lower(lower_), upper(upper_) {
  REEL_CHECK(lower <= upper, "RReLU: lower bound should be less than or equal to the upper bound, got lower = {} and "
             "upper = {}", lower, upper);
}
Tensor RReLUImpl::forward(const Tensor& input) { return F::rrelu(input, lower, upper, is_training()); }
std::string RReLUImpl::extra_repr() const {
  return fmt::format("lower={}, upper={}", repr::py_float(lower), repr::py_float(upper));
}

Tensor PixelShuffleImpl::forward(const Tensor& input) { return F::pixel_shuffle(input, upscale_factor); }
std::string PixelShuffleImpl::extra_repr() const { return fmt::format("upscale_factor={}", upscale_factor); }

Tensor PixelUnshuffleImpl::forward(const Tensor& input) { return F::pixel_unshuffle(input, downscale_factor); }
std::string PixelUnshuffleImpl::extra_repr() const { return fmt::format("downscale_factor={}", downscale_factor); }

UpsampleImpl::UpsampleImpl(UpsampleOptions upsample_options) : Cloneable("Upsample"), options(std::move(upsample_options)) {}
Tensor UpsampleImpl::forward(const Tensor& input) {
  return F::interpolate(input, F::InterpolateFuncOptions()
                                   .size(options.size())
                                   .scale_factor(options.scale_factor())
                                   .mode(options.mode())
                                   .align_corners(options.align_corners()));
}
// "scale_factor=2.0, mode='nearest'" or "size=[4, 6], mode='bilinear'"
std::string UpsampleImpl::extra_repr() const {
  std::string head;
  if (options.scale_factor().has_value()) {
    const std::vector<double>& f = *options.scale_factor();
    head = f.size() == 1 ? "scale_factor=" + repr::py_float(f[0]) : fmt::format("scale_factor={}", f);
  } else if (options.size().has_value()) {
    const std::vector<int64_t>& s = *options.size();
    head = s.size() == 1 ? fmt::format("size={}", s[0]) : fmt::format("size={}", repr::py_tuple(s));
  }
  return fmt::format("{}, mode='{}'", head, options.mode());
}

PairwiseDistanceImpl::PairwiseDistanceImpl(PairwiseDistanceOptions distance_options)
    : Cloneable("PairwiseDistance"), options(std::move(distance_options)) {}
Tensor PairwiseDistanceImpl::forward(const Tensor& input1, const Tensor& input2) {
  return F::pairwise_distance(input1, input2, options.p(), options.eps(), options.keepdim());
}

}  // namespace reel::nn
