// reel/nn/conv_options.h — LibTorch's option builders of the convolution layers and functions:
// nn::Conv1dOptions / Conv2dOptions / Conv3dOptions, nn::ConvTranspose1dOptions / 2dOptions, and
// nn::functional::Conv{1,2,3}dFuncOptions / ConvTranspose{1,2}dFuncOptions with F::conv1d/2d/3d(x, w, options) and
// F::conv_transpose1d/2d(x, w, options).
//
//   nn::Conv2d conv(nn::Conv2dOptions(1, 64, 4).stride(2).padding(1).bias(false));
//   nn::Conv1d same(nn::Conv1dOptions(8, 8, 4).padding(reel::kSame).padding_mode(reel::kReflect));
//   F::conv2d(x, w, F::Conv2dFuncOptions().stride(2).padding({1, 0}));
//
// Size fields are ExpandingArray<D> (one number for every spatial dim, or a braced list of D). `padding` is a
// ConvPadding<D>: numbers, or reel::kSame / reel::kValid (LibTorch: a std::variant of the three; here a small class
// with is_same() / is_valid() / values(), since <variant> is kept out of the public headers). padding "same" pads
// dilation (k - 1) in all, the odd one on the right, and is refused with a stride above 1; "valid" is no padding.
// `padding_mode` is a string ("zeros", "reflect", "replicate", "circular"); reel::kZeros, kReflect, kReplicate and
// kCircular convert to it. A non-zeros mode pads the input with F::pad in that mode, then convolves unpadded.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "../tensor/ops.h"
#include "arg.h"
#include "enum.h"
#include "expanding_array.h"

namespace reel::nn {

// LibTorch's conv_padding_t<D>: explicit padding per spatial dim, or "same" / "valid".
template <size_t D>
class ConvPadding {
 public:
  ConvPadding(int64_t single) : values_(single) {}                                 // NOLINT: implicit
  ConvPadding(std::initializer_list<int64_t> list) : values_(list) {}              // NOLINT
  ConvPadding(const ExpandingArray<D>& values) : values_(values) {}                // NOLINT
  ConvPadding(IntList values) : values_(values) {}                                 // NOLINT
  ConvPadding(const std::vector<int64_t>& values) : values_(values) {}             // NOLINT
  ConvPadding(enumtype::kSame) : values_(0), kind_(Kind::Same) {}                  // NOLINT
  ConvPadding(enumtype::kValid) : values_(0), kind_(Kind::Valid) {}                // NOLINT

  bool is_same() const { return kind_ == Kind::Same; }
  bool is_valid() const { return kind_ == Kind::Valid; }
  bool is_numbers() const { return kind_ == Kind::Numbers; }
  // The explicit padding (zeros for "same" and "valid").
  const ExpandingArray<D>& values() const { return values_; }
  // "same", "valid" or "" (numbers)
  std::string mode_name() const { return is_same() ? "same" : is_valid() ? "valid" : ""; }

 private:
  enum class Kind { Numbers, Same, Valid };
  ExpandingArray<D> values_;
  Kind kind_ = Kind::Numbers;
};

// Options of Conv1d / Conv2d / Conv3d.
template <size_t D>
struct ConvOptions {
  using padding_t = ConvPadding<D>;
  ConvOptions(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}

  REEL_ARG(int64_t, in_channels);
  REEL_ARG(int64_t, out_channels);
  REEL_ARG(ExpandingArray<D>, kernel_size);
  REEL_ARG(ExpandingArray<D>, stride) = 1;
  REEL_ARG(padding_t, padding) = 0;
  REEL_ARG(ExpandingArray<D>, dilation) = 1;
  REEL_ARG(int64_t, groups) = 1;
  REEL_ARG(bool, bias) = true;
  REEL_ARG(std::string, padding_mode) = "zeros";  // "zeros", "reflect", "replicate", "circular"
};
using Conv1dOptions = ConvOptions<1>;
using Conv2dOptions = ConvOptions<2>;
using Conv3dOptions = ConvOptions<3>;

// Options of ConvTranspose1d / ConvTranspose2d (padding_mode: only "zeros" is accepted, as in PyTorch).
template <size_t D>
struct ConvTransposeOptions {
  ConvTransposeOptions(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}

  REEL_ARG(int64_t, in_channels);
  REEL_ARG(int64_t, out_channels);
  REEL_ARG(ExpandingArray<D>, kernel_size);
  REEL_ARG(ExpandingArray<D>, stride) = 1;
  REEL_ARG(ExpandingArray<D>, padding) = 0;
  REEL_ARG(ExpandingArray<D>, output_padding) = 0;
  REEL_ARG(int64_t, groups) = 1;
  REEL_ARG(bool, bias) = true;
  REEL_ARG(ExpandingArray<D>, dilation) = 1;
  REEL_ARG(std::string, padding_mode) = "zeros";
};
using ConvTranspose1dOptions = ConvTransposeOptions<1>;
using ConvTranspose2dOptions = ConvTransposeOptions<2>;

namespace functional {

// F::conv{D}d's options: bias (undefined: none), stride, padding (numbers, kSame or kValid), dilation, groups.
template <size_t D>
struct ConvFuncOptions {
  using padding_t = ConvPadding<D>;
  REEL_ARG(Tensor, bias);
  REEL_ARG(ExpandingArray<D>, stride) = 1;
  REEL_ARG(padding_t, padding) = 0;
  REEL_ARG(ExpandingArray<D>, dilation) = 1;
  REEL_ARG(int64_t, groups) = 1;
};
using Conv1dFuncOptions = ConvFuncOptions<1>;
using Conv2dFuncOptions = ConvFuncOptions<2>;
using Conv3dFuncOptions = ConvFuncOptions<3>;

// F::conv_transpose{D}d's options.
template <size_t D>
struct ConvTransposeFuncOptions {
  REEL_ARG(Tensor, bias);
  REEL_ARG(ExpandingArray<D>, stride) = 1;
  REEL_ARG(ExpandingArray<D>, padding) = 0;
  REEL_ARG(ExpandingArray<D>, output_padding) = 0;
  REEL_ARG(int64_t, groups) = 1;
  REEL_ARG(ExpandingArray<D>, dilation) = 1;
};
using ConvTranspose1dFuncOptions = ConvTransposeFuncOptions<1>;
using ConvTranspose2dFuncOptions = ConvTransposeFuncOptions<2>;

// y = conv{D}d(x, w, options.bias) with the options' settings (padding "same": see the top of this file). The
// options have no default here: F::conv2d(x, w) is reel::conv2d's call with its defaults.
Tensor conv1d(const Tensor& input, const Tensor& weight, const Conv1dFuncOptions& options);
Tensor conv2d(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& options);
Tensor conv3d(const Tensor& input, const Tensor& weight, const Conv3dFuncOptions& options);
// y = conv_transpose{D}d(x, w, options.bias) with the options' settings.
Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const ConvTranspose1dFuncOptions& options);
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const ConvTranspose2dFuncOptions& options);

using ::reel::conv3d;
using ::reel::conv_transpose1d;
using ::reel::conv_transpose2d;

}  // namespace functional

}  // namespace reel::nn
