// reel/nn/layers_extra.cpp — the modules of issue 16 declared in nn/conv.h: PixelShuffle, PixelUnshuffle, Upsample,
// PairwiseDistance (issue 16's activations live in nn/activation.cpp). Each forwards to its reel::nn::functional
// function and prints its options as PyTorch does.
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
