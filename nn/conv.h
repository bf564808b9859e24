// reel/nn/conv.h — convolution and pooling layers: Conv1d, Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d.
//
// They forward to the primitives reel::conv1d / conv2d / max_pool2d / avg_pool2d / adaptive_avg_pool2d
// (tensor/ops.h), which check shapes and have their own backward kernels. Size arguments of the 2-D layers take
// one value for both spatial dims or a {height, width} pair, as in PyTorch:
//
//   reel::nn::Conv2d conv(3, 16, 3, /*stride=*/1, /*padding=*/1);   // Conv2d(3, 16, kernel_size=(3, 3), ...)
//   reel::nn::MaxPool2d pool({2, 2});
//
// Convolution weights start as PyTorch's: kaiming_uniform_(a = sqrt 5), bias ~ U(+-1/sqrt(fan_in)) with
// fan_in = in_channels / groups * prod(kernel_size). Only zero padding given as numbers is supported (no
// padding_mode, no "same"/"valid" strings).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "arg.h"
#include "module.h"

namespace reel::nn {

// The shared body of Conv1d and Conv2d: weight [out, in / groups, *kernel_size], bias [out].
class ConvImplBase : public Cloneable<ConvImplBase> {
 public:
  ConvImplBase(const char* layer, int64_t in_channels, int64_t out_channels, std::vector<int64_t> kernel_size,
               std::vector<int64_t> stride, std::vector<int64_t> padding, std::vector<int64_t> dilation,
               int64_t groups, bool bias);
  // weight ~ kaiming_uniform_(a = sqrt 5), bias ~ U(+-1/sqrt(fan_in))
  void reset_parameters();
  std::string extra_repr() const override;

  int64_t in_channels, out_channels;
  std::vector<int64_t> kernel_size, stride, padding, dilation;  // one entry per spatial dim
  int64_t groups;
  Tensor weight, bias;  // bias undefined when bias=false
};

// y[n, o, l] = b[o] + sum_{c,k} w[o, c, k] x[n, c, l s - pad + k d] over (N, C, L) or (C, L) inputs
class Conv1dImpl : public ConvImplBase {
 public:
  Conv1dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel_size, int64_t stride = 1, int64_t padding = 0,
             int64_t dilation = 1, int64_t groups = 1, bool bias = true);
  Tensor forward(const Tensor& input);
};
REEL_MODULE(Conv1d);

// y[n, o, i, j] = b[o] + sum_{c,p,q} w[o, c, p, q] x[n, c, i s - pad + p d, j s - pad + q d]
class Conv2dImpl : public ConvImplBase {
 public:
  Conv2dImpl(int64_t in_channels, int64_t out_channels, IntList kernel_size, IntList stride = 1, IntList padding = 0,
             IntList dilation = 1, int64_t groups = 1, bool bias = true);
  Tensor forward(const Tensor& input);
};
class Conv2d : public ModuleHolder<Conv2dImpl> {
 public:
  using ModuleHolder<Conv2dImpl>::ModuleHolder;
  // Accepts braced pairs, which the forwarding constructor cannot deduce: Conv2d(3, 8, {3, 5}, {1, 2}).
  Conv2d(int64_t in_channels, int64_t out_channels, IntList kernel_size, IntList stride = 1, IntList padding = 0,
         IntList dilation = 1, int64_t groups = 1, bool bias = true)
      : ModuleHolder(std::make_shared<Conv2dImpl>(in_channels, out_channels, kernel_size, stride, padding, dilation,
                                                  groups, bias)) {}
};

// y[n, c, i, j] = max of x[n, c] over the dilated window at (i s - pad, j s - pad); stride defaults to kernel_size
class MaxPool2dImpl : public Cloneable<MaxPool2dImpl> {
 public:
  explicit MaxPool2dImpl(IntList kernel_size, IntList stride = {}, IntList padding = 0, IntList dilation = 1,
                         bool ceil_mode = false);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  std::vector<int64_t> kernel_size, stride, padding, dilation;  // as given: one value or a pair
  bool ceil_mode;
};
class MaxPool2d : public ModuleHolder<MaxPool2dImpl> {
 public:
  using ModuleHolder<MaxPool2dImpl>::ModuleHolder;
  // Braced pairs: MaxPool2d({2, 2}), MaxPool2d(3, {2, 1}). (A braced first argument binds to initializer_list so
  // that it is not mistaken for a copy of a MaxPool2d built from two numbers.)
  MaxPool2d(std::initializer_list<int64_t> kernel_size, IntList stride = {}, IntList padding = 0, IntList dilation = 1,
            bool ceil_mode = false)
      : ModuleHolder(std::make_shared<MaxPool2dImpl>(kernel_size, stride, padding, dilation, ceil_mode)) {}
  MaxPool2d(int64_t kernel_size, IntList stride, IntList padding = 0, IntList dilation = 1, bool ceil_mode = false)
      : ModuleHolder(std::make_shared<MaxPool2dImpl>(kernel_size, stride, padding, dilation, ceil_mode)) {}
};

// y[n, c, i, j] = mean of x[n, c] over the window (padding counted when count_include_pad)
class AvgPool2dImpl : public Cloneable<AvgPool2dImpl> {
 public:
  explicit AvgPool2dImpl(IntList kernel_size, IntList stride = {}, IntList padding = 0, bool ceil_mode = false,
                         bool count_include_pad = true);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  std::vector<int64_t> kernel_size, stride, padding;  // as given: one value or a pair
  bool ceil_mode, count_include_pad;
};
class AvgPool2d : public ModuleHolder<AvgPool2dImpl> {
 public:
  using ModuleHolder<AvgPool2dImpl>::ModuleHolder;
  // Braced pairs, as MaxPool2d's.
  AvgPool2d(std::initializer_list<int64_t> kernel_size, IntList stride = {}, IntList padding = 0,
            bool ceil_mode = false, bool count_include_pad = true)
      : ModuleHolder(std::make_shared<AvgPool2dImpl>(kernel_size, stride, padding, ceil_mode, count_include_pad)) {}
  AvgPool2d(int64_t kernel_size, IntList stride, IntList padding = 0, bool ceil_mode = false,
            bool count_include_pad = true)
      : ModuleHolder(std::make_shared<AvgPool2dImpl>(kernel_size, stride, padding, ceil_mode, count_include_pad)) {}
};

// y[n, c, i, j] = mean of x[n, c] over the i-th of output_size nearly equal row bands and the j-th column band
class AdaptiveAvgPool2dImpl : public Cloneable<AdaptiveAvgPool2dImpl> {
 public:
  explicit AdaptiveAvgPool2dImpl(IntList output_size);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  std::vector<int64_t> output_size;  // as given: one value or a pair
};
class AdaptiveAvgPool2d : public ModuleHolder<AdaptiveAvgPool2dImpl> {
 public:
  using ModuleHolder<AdaptiveAvgPool2dImpl>::ModuleHolder;
  AdaptiveAvgPool2d(IntList output_size)  // NOLINT: implicit like the forwarding constructor it stands beside
      : ModuleHolder(std::make_shared<AdaptiveAvgPool2dImpl>(output_size)) {}
};

// ---- image and distance layers (issue 16; nn/layers_extra.cpp) ----
// (*, C r^2, H, W) -> (*, C, H r, W r)
class PixelShuffleImpl : public Cloneable<PixelShuffleImpl> {
 public:
  explicit PixelShuffleImpl(int64_t upscale_factor) : upscale_factor(upscale_factor) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  int64_t upscale_factor;
};
REEL_MODULE(PixelShuffle);

// (*, C, H r, W r) -> (*, C r^2, H, W)
class PixelUnshuffleImpl : public Cloneable<PixelUnshuffleImpl> {
 public:
  explicit PixelUnshuffleImpl(int64_t downscale_factor) : downscale_factor(downscale_factor) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  int64_t downscale_factor;
};
REEL_MODULE(PixelUnshuffle);

// LibTorch's UpsampleOptions: size or scale_factor, mode "nearest" / "linear" / "bilinear" / "bicubic",
// align_corners (unset: false for the interpolating modes)
struct UpsampleOptions {
  REEL_ARG(std::optional<std::vector<int64_t>>, size) = std::nullopt;
  REEL_ARG(std::optional<std::vector<double>>, scale_factor) = std::nullopt;
  REEL_ARG(std::string, mode) = "nearest";
  REEL_ARG(std::optional<bool>, align_corners) = std::nullopt;
};
// F::interpolate with the options
class UpsampleImpl : public Cloneable<UpsampleImpl> {
 public:
  explicit UpsampleImpl(UpsampleOptions options = {});
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  UpsampleOptions options;
};
REEL_MODULE(Upsample);

// y = ||x1 - x2 + eps||_p over the last dim
struct PairwiseDistanceOptions {
  REEL_ARG(double, p) = 2.0;
  REEL_ARG(double, eps) = 1e-6;
  REEL_ARG(bool, keepdim) = false;
};
class PairwiseDistanceImpl : public Cloneable<PairwiseDistanceImpl> {
 public:
  explicit PairwiseDistanceImpl(PairwiseDistanceOptions options = {});
  Tensor forward(const Tensor& input1, const Tensor& input2);

  PairwiseDistanceOptions options;
};
REEL_MODULE(PairwiseDistance);

}  // namespace reel::nn
