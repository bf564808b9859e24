// reel/nn/enum.h — LibTorch's enum values: reel::kSum, kMean, kNone, kReLU, kReflect, kSame, ... and
// reel::Reduction::Sum.
//
// LibTorch spells option values as tag objects (`torch::kSum`, `torch::kReflect`), each of its own type under
// `torch::enumtype`; option structs accept those tags. reel does the same, and each tag also converts to what
// reel's options store, so the tags and reel's own spellings are interchangeable:
//
//   reel::nn::MSELossOptions().reduction(reel::kSum)          // same as .reduction(reel::nn::Reduction::Sum)
//   reel::nn::functional::PadFuncOptions({1, 1}).mode(reel::kReflect)   // same as .mode("reflect")
//
//   - every tag converts to std::string (its PyTorch name: "sum", "reflect", "nearest-exact", "same", ...);
//   - kNone, kMean, kSum and kBatchMean also convert to reel::nn::Reduction;
//   - reel::enum_name(tag) gives the name, and tags compare equal to their own type only.
//
// `reel::Reduction::Sum` (an integer, as at::Reduction) is the reduction argument of the top-level loss calls
// LibTorch takes over from ATen, e.g. reel::nll_loss(x, y, /*weight=*/{}, reel::Reduction::Sum).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace reel {

namespace nn {
// How a loss reduces its per-element values: none (keep them), their mean, their sum, or the sum divided by the
// batch size (kl_div's batchmean).
enum class Reduction { None, Mean, Sum, BatchMean };
}  // namespace nn

// at::Reduction: the integer reduction codes of the ATen-level loss calls (reel::nll_loss, reel::mse_loss, ...).
namespace Reduction {
enum Reduction : int64_t { None = 0, Mean = 1, Sum = 2 };
}  // namespace Reduction

namespace enumtype {

// One tag type per LibTorch enum value. `name` is PyTorch's string for it.
#define REEL_ENUM_TAG(Tag, text)                                              \
  struct Tag {                                                                \
    static constexpr std::string_view name = text;                            \
    operator std::string() const { return std::string(name); } /* NOLINT */   \
    constexpr bool operator==(const Tag&) const { return true; }              \
  }

// The reduction tags also convert to reel::nn::Reduction.
#define REEL_REDUCTION_TAG(Tag, text, value)                                       \
  struct Tag {                                                                     \
    static constexpr std::string_view name = text;                                 \
    operator std::string() const { return std::string(name); } /* NOLINT */        \
    constexpr operator nn::Reduction() const { return nn::Reduction::value; } /* NOLINT */ \
    constexpr bool operator==(const Tag&) const { return true; }                   \
  }

REEL_REDUCTION_TAG(kNone, "none", None);
REEL_REDUCTION_TAG(kMean, "mean", Mean);
REEL_REDUCTION_TAG(kSum, "sum", Sum);
REEL_REDUCTION_TAG(kBatchMean, "batchmean", BatchMean);
REEL_ENUM_TAG(kMax, "max");

// nonlinearities (init gains, RNN and Transformer activations)
REEL_ENUM_TAG(kLinear, "linear");
REEL_ENUM_TAG(kConv1D, "conv1d");
REEL_ENUM_TAG(kConv2D, "conv2d");
REEL_ENUM_TAG(kConv3D, "conv3d");
REEL_ENUM_TAG(kConvTranspose1D, "conv_transpose1d");
REEL_ENUM_TAG(kConvTranspose2D, "conv_transpose2d");
REEL_ENUM_TAG(kConvTranspose3D, "conv_transpose3d");
REEL_ENUM_TAG(kSigmoid, "sigmoid");
REEL_ENUM_TAG(kTanh, "tanh");
REEL_ENUM_TAG(kReLU, "relu");
REEL_ENUM_TAG(kGELU, "gelu");
REEL_ENUM_TAG(kSiLU, "silu");
REEL_ENUM_TAG(kMish, "mish");
REEL_ENUM_TAG(kLeakyReLU, "leaky_relu");
REEL_ENUM_TAG(kFanIn, "fan_in");
REEL_ENUM_TAG(kFanOut, "fan_out");

// padding modes (F::pad, Conv padding_mode, grid_sample padding_mode) and convolution padding strings
REEL_ENUM_TAG(kConstant, "constant");
REEL_ENUM_TAG(kReflect, "reflect");
REEL_ENUM_TAG(kReplicate, "replicate");
REEL_ENUM_TAG(kCircular, "circular");
REEL_ENUM_TAG(kZeros, "zeros");
REEL_ENUM_TAG(kBorder, "border");
REEL_ENUM_TAG(kReflection, "reflection");
REEL_ENUM_TAG(kValid, "valid");
REEL_ENUM_TAG(kSame, "same");

// interpolation modes (F::interpolate, Upsample, grid_sample)
REEL_ENUM_TAG(kNearest, "nearest");
REEL_ENUM_TAG(kBilinear, "bilinear");
REEL_ENUM_TAG(kBicubic, "bicubic");
REEL_ENUM_TAG(kTrilinear, "trilinear");
REEL_ENUM_TAG(kArea, "area");
REEL_ENUM_TAG(kNearestExact, "nearest-exact");

// recurrent cell kinds
REEL_ENUM_TAG(kRNN_TANH, "RNN_TANH");
REEL_ENUM_TAG(kRNN_RELU, "RNN_RELU");
REEL_ENUM_TAG(kLSTM, "LSTM");
REEL_ENUM_TAG(kGRU, "GRU");

#undef REEL_ENUM_TAG
#undef REEL_REDUCTION_TAG

}  // namespace enumtype

// The tag objects: reel::kSum, reel::kReflect, ...
inline constexpr enumtype::kNone kNone{};
inline constexpr enumtype::kMean kMean{};
inline constexpr enumtype::kSum kSum{};
inline constexpr enumtype::kBatchMean kBatchMean{};
inline constexpr enumtype::kMax kMax{};
inline constexpr enumtype::kLinear kLinear{};
inline constexpr enumtype::kConv1D kConv1D{};
inline constexpr enumtype::kConv2D kConv2D{};
inline constexpr enumtype::kConv3D kConv3D{};
inline constexpr enumtype::kConvTranspose1D kConvTranspose1D{};
inline constexpr enumtype::kConvTranspose2D kConvTranspose2D{};
inline constexpr enumtype::kConvTranspose3D kConvTranspose3D{};
inline constexpr enumtype::kSigmoid kSigmoid{};
inline constexpr enumtype::kTanh kTanh{};
inline constexpr enumtype::kReLU kReLU{};
inline constexpr enumtype::kGELU kGELU{};
inline constexpr enumtype::kSiLU kSiLU{};
inline constexpr enumtype::kMish kMish{};
inline constexpr enumtype::kLeakyReLU kLeakyReLU{};
inline constexpr enumtype::kFanIn kFanIn{};
inline constexpr enumtype::kFanOut kFanOut{};
inline constexpr enumtype::kConstant kConstant{};
inline constexpr enumtype::kReflect kReflect{};
inline constexpr enumtype::kReplicate kReplicate{};
inline constexpr enumtype::kCircular kCircular{};
inline constexpr enumtype::kZeros kZeros{};
inline constexpr enumtype::kBorder kBorder{};
inline constexpr enumtype::kReflection kReflection{};
inline constexpr enumtype::kValid kValid{};
inline constexpr enumtype::kSame kSame{};
inline constexpr enumtype::kNearest kNearest{};
inline constexpr enumtype::kBilinear kBilinear{};
inline constexpr enumtype::kBicubic kBicubic{};
inline constexpr enumtype::kTrilinear kTrilinear{};
inline constexpr enumtype::kArea kArea{};
inline constexpr enumtype::kNearestExact kNearestExact{};
inline constexpr enumtype::kRNN_TANH kRNN_TANH{};
inline constexpr enumtype::kRNN_RELU kRNN_RELU{};
inline constexpr enumtype::kLSTM kLSTM{};
inline constexpr enumtype::kGRU kGRU{};

// PyTorch's name of a tag: enum_name(reel::kReflect) == "reflect".
template <typename Tag, typename = decltype(Tag::name)>
constexpr std::string_view enum_name(const Tag&) {
  return Tag::name;
}

}  // namespace reel
