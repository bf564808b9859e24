// reel/nn/conv.h — convolution layers: Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d (the pooling
// layers are in nn/pooling.h, which this header includes).
//
// They forward to the primitives reel::conv1d / conv2d / conv3d / conv_transpose1d / conv_transpose2d
// (tensor/ops.h). The convolutions take LibTorch's options
// (nn/conv_options.h) or reel's positional arguments; size arguments take one value for every spatial dim or one
// per dim, as in PyTorch:
//
//   reel::nn::Conv2d conv(reel::nn::Conv2dOptions(1, 64, 4).stride(2).padding(1).bias(false));
//   reel::nn::Conv2d conv(3, 16, 3, /*stride=*/1, /*padding=*/1);   // Conv2d(3, 16, kernel_size=(3, 3), ...)
//   reel::nn::ConvTranspose2d up(reel::nn::ConvTranspose2dOptions(100, 256, 4).bias(false));
//   reel::nn::MaxPool2d pool({2, 2});
//
// Convolution weights start as PyTorch's: kaiming_uniform_(a = sqrt 5), bias ~ U(+-1/sqrt(fan_in)) with fan_in =
// weight.size(1) * prod(kernel_size) (in_channels / groups, or out_channels / groups for the transposed ones).
// forward reads the layer's settings fields (in_channels ... padding_mode); `options` keeps the options as given.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "arg.h"
#include "conv_options.h"
#include "module.h"
#include "pooling.h"  // the pooling layers, declared here before nn/pooling.h split them off

namespace reel::nn {

// The shared body of the convolution layers: weight [out, in / groups, *kernel_size] (transposed: [in,
// out / groups, *kernel_size]), bias [out]. The settings below are the ones forward uses, one entry per spatial dim.
class ConvImplBase : public Cloneable<ConvImplBase> {
 public:
  struct Settings {
    int64_t in_channels, out_channels;
    std::vector<int64_t> kernel_size, stride, padding, dilation, output_padding;
    std::string padding_name;  // "same" or "valid" when padding was given so, else ""
    int64_t groups;
    bool bias;
    std::string padding_mode;
    bool transposed;
  };
  ConvImplBase(const char* layer, Settings settings);
  // weight ~ kaiming_uniform_(a = sqrt 5), bias ~ U(+-1/sqrt(fan_in))
  void reset_parameters();
  std::string extra_repr() const override;

  int64_t in_channels, out_channels;
  std::vector<int64_t> kernel_size, stride, padding, dilation, output_padding;  // padding "same": the left padding
  std::string padding_name;                                                     // "same", "valid" or ""
  int64_t groups;
  std::string padding_mode;  // "zeros", "reflect", "replicate" or "circular"
  bool transposed;
  Tensor weight, bias;  // bias undefined when bias=false

 protected:
  // The input padded for a non-zeros padding_mode: F::pad(x, reversed padding repeated twice, padding_mode).
  Tensor pad_input(const Tensor& input) const;

 private:
  std::vector<int64_t> reversed_padding_repeated_twice_;
};

// y[n, o, l] = b[o] + sum_{c,k} w[o, c, k] x[n, c, l s - pad + k d] over (N, C, L) or (C, L) inputs
class Conv1dImpl : public ConvImplBase {
 public:
  explicit Conv1dImpl(Conv1dOptions options);
  Conv1dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel_size, int64_t stride = 1, int64_t padding = 0,
             int64_t dilation = 1, int64_t groups = 1, bool bias = true);
  Tensor forward(const Tensor& input);

  Conv1dOptions options;  // as given
};
REEL_MODULE(Conv1d);

// y[n, o, i, j] = b[o] + sum_{c,p,q} w[o, c, p, q] x[n, c, i s - pad + p d, j s - pad + q d]
class Conv2dImpl : public ConvImplBase {
 public:
  explicit Conv2dImpl(Conv2dOptions options);
  Conv2dImpl(int64_t in_channels, int64_t out_channels, IntList kernel_size, IntList stride = 1, IntList padding = 0,
             IntList dilation = 1, int64_t groups = 1, bool bias = true);
  Tensor forward(const Tensor& input);

  Conv2dOptions options;  // as given
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

// y[n, o, t, i, j] = b[o] + sum_{c,r,p,q} w[o, c, r, p, q] x[n, c, t s - pad + r d, i s - pad + p d, j s - pad + q d]
class Conv3dImpl : public ConvImplBase {
 public:
  explicit Conv3dImpl(Conv3dOptions options);
  Conv3dImpl(int64_t in_channels, int64_t out_channels, IntList kernel_size, IntList stride = 1, IntList padding = 0,
             IntList dilation = 1, int64_t groups = 1, bool bias = true);
  Tensor forward(const Tensor& input);

  Conv3dOptions options;  // as given
};
class Conv3d : public ModuleHolder<Conv3dImpl> {
 public:
  using ModuleHolder<Conv3dImpl>::ModuleHolder;
  // Braced triples: Conv3d(3, 8, {3, 3, 1}).
  Conv3d(int64_t in_channels, int64_t out_channels, IntList kernel_size, IntList stride = 1, IntList padding = 0,
         IntList dilation = 1, int64_t groups = 1, bool bias = true)
      : ModuleHolder(std::make_shared<Conv3dImpl>(in_channels, out_channels, kernel_size, stride, padding, dilation,
                                                  groups, bias)) {}
};

// y = conv_transpose1d(x, W, b): weight [in, out / groups, k]; output length (L - 1) s - 2 pad + d (k - 1) +
// output_padding + 1. forward(x, output_size) picks the output_padding that gives output_size (the last dim, or
// all of the input's dims), as LibTorch.
class ConvTranspose1dImpl : public ConvImplBase {
 public:
  explicit ConvTranspose1dImpl(ConvTranspose1dOptions options);
  ConvTranspose1dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel_size)
      : ConvTranspose1dImpl(ConvTranspose1dOptions(in_channels, out_channels, kernel_size)) {}
  Tensor forward(const Tensor& input, const std::optional<IntList>& output_size = std::nullopt);

  ConvTranspose1dOptions options;  // as given
};
REEL_MODULE(ConvTranspose1d);

// y = conv_transpose2d(x, W, b): weight [in, out / groups, kH, kW]; forward(x, output_size) as ConvTranspose1d's.
class ConvTranspose2dImpl : public ConvImplBase {
 public:
  explicit ConvTranspose2dImpl(ConvTranspose2dOptions options);
  ConvTranspose2dImpl(int64_t in_channels, int64_t out_channels, IntList kernel_size)
      : ConvTranspose2dImpl(ConvTranspose2dOptions(in_channels, out_channels, kernel_size)) {}
  Tensor forward(const Tensor& input, const std::optional<IntList>& output_size = std::nullopt);

  ConvTranspose2dOptions options;  // as given
};
class ConvTranspose2d : public ModuleHolder<ConvTranspose2dImpl> {
 public:
  using ModuleHolder<ConvTranspose2dImpl>::ModuleHolder;
  // Braced pairs: ConvTranspose2d(3, 8, {3, 5}).
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, IntList kernel_size)
      : ModuleHolder(std::make_shared<ConvTranspose2dImpl>(in_channels, out_channels, kernel_size)) {}
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
