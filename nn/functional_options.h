// reel/nn/functional_options.h — LibTorch's option structs for the activation modules (nn::ReLUOptions,
// nn::LeakyReLUOptions, ...) and for the functional calls (nn::functional::SoftmaxFuncOptions, PadFuncOptions,
// InterpolateFuncOptions, ...), with LibTorch's names, constructors and defaults.
//
// As in LibTorch, F::XxxFuncOptions is an alias of nn::XxxOptions where the module and the function take the same
// options (ELU, Hardtanh, LeakyReLU, ...), and a struct of its own where the function takes more (SoftmaxFuncOptions
// adds dtype, RReLUFuncOptions adds training). Mode options are strings that also take LibTorch's enum tags
// (nn/enum.h): PadFuncOptions({1, 1}).mode(reel::kReflect) is .mode("reflect").
//
//   reel::nn::LeakyReLU act(reel::nn::LeakyReLUOptions().negative_slope(0.2).inplace(true));
//   y = F::softmax(x, F::SoftmaxFuncOptions(1).dtype(reel::kFloat64));
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../tensor/tensor.h"
#include "arg.h"
#include "enum.h"

namespace reel::nn {

// ---- activation modules (nn/activation.h) and the functions taking the same options -----------------------------
struct ELUOptions {
  REEL_ARG(double, alpha) = 1.0;
  REEL_ARG(bool, inplace) = false;
};
struct SELUOptions {
  SELUOptions(bool inplace = false) : inplace_(inplace) {}  // NOLINT: implicit, as LibTorch's
  REEL_ARG(bool, inplace);
};
struct GLUOptions {
  GLUOptions(int64_t dim = -1) : dim_(dim) {}  // NOLINT: implicit, as LibTorch's
  REEL_ARG(int64_t, dim);
};
// approximate: "none" (erf) or "tanh"
struct GELUOptions {
  REEL_ARG(std::string, approximate) = "none";
};
struct HardshrinkOptions {
  HardshrinkOptions(double lambda = 0.5) : lambda_(lambda) {}  // NOLINT: implicit, as LibTorch's
  REEL_ARG(double, lambda);
};
struct HardtanhOptions {
  REEL_ARG(double, min_val) = -1.0;
  REEL_ARG(double, max_val) = 1.0;
  REEL_ARG(bool, inplace) = false;
};
struct LeakyReLUOptions {
  REEL_ARG(double, negative_slope) = 1e-2;
  REEL_ARG(bool, inplace) = false;
};
struct SoftmaxOptions {
  SoftmaxOptions(int64_t dim) : dim_(dim) {}  // NOLINT: implicit, as LibTorch's
  REEL_ARG(int64_t, dim);
};
struct SoftminOptions {
  SoftminOptions(int64_t dim) : dim_(dim) {}  // NOLINT: implicit, as LibTorch's
  REEL_ARG(int64_t, dim);
};
struct LogSoftmaxOptions {
  LogSoftmaxOptions(int64_t dim) : dim_(dim) {}  // NOLINT: implicit, as LibTorch's
  REEL_ARG(int64_t, dim);
};
// num_parameters: 1, or the number of input channels
struct PReLUOptions {
  REEL_ARG(int64_t, num_parameters) = 1;
  REEL_ARG(double, init) = 0.25;
};
struct ReLUOptions {
  ReLUOptions(bool inplace = false) : inplace_(inplace) {}  // NOLINT: implicit, as LibTorch's
  REEL_ARG(bool, inplace);
};
struct ReLU6Options {
  ReLU6Options(bool inplace = false) : inplace_(inplace) {}  // NOLINT: implicit, as LibTorch's
  REEL_ARG(bool, inplace);
};
struct RReLUOptions {
  REEL_ARG(double, lower) = 1.0 / 8.0;
  REEL_ARG(double, upper) = 1.0 / 3.0;
  REEL_ARG(bool, inplace) = false;
};
struct CELUOptions {
  REEL_ARG(double, alpha) = 1.0;
  REEL_ARG(bool, inplace) = false;
};
struct SoftplusOptions {
  REEL_ARG(double, beta) = 1.0;
  REEL_ARG(double, threshold) = 20.0;
};
struct SoftshrinkOptions {
  SoftshrinkOptions(double lambda = 0.5) : lambda_(lambda) {}  // NOLINT: implicit, as LibTorch's
  REEL_ARG(double, lambda);
};
struct ThresholdOptions {
  ThresholdOptions(double threshold, double value) : threshold_(threshold), value_(value) {}
  REEL_ARG(double, threshold);
  REEL_ARG(double, value);
  REEL_ARG(bool, inplace) = false;
};
struct CosineSimilarityOptions {
  REEL_ARG(int64_t, dim) = 1;
  REEL_ARG(double, eps) = 1e-8;
};

namespace functional {

using ELUFuncOptions = ELUOptions;
using SELUFuncOptions = SELUOptions;
using GLUFuncOptions = GLUOptions;
using GELUFuncOptions = GELUOptions;
using HardshrinkFuncOptions = HardshrinkOptions;
using HardtanhFuncOptions = HardtanhOptions;
using LeakyReLUFuncOptions = LeakyReLUOptions;
using ReLUFuncOptions = ReLUOptions;
using ReLU6FuncOptions = ReLU6Options;
using CELUFuncOptions = CELUOptions;
using SoftplusFuncOptions = SoftplusOptions;
using SoftshrinkFuncOptions = SoftshrinkOptions;
using ThresholdFuncOptions = ThresholdOptions;
using CosineSimilarityFuncOptions = CosineSimilarityOptions;

// dtype: the input is cast to it before the operation (LibTorch's softmax(dim, dtype))
struct SoftmaxFuncOptions {
  SoftmaxFuncOptions(int64_t dim) : dim_(dim) {}  // NOLINT: implicit, as LibTorch's
  REEL_ARG(int64_t, dim);
  REEL_ARG(std::optional<ScalarType>, dtype) = std::nullopt;
};
struct SoftminFuncOptions {
  SoftminFuncOptions(int64_t dim) : dim_(dim) {}  // NOLINT: implicit, as LibTorch's
  REEL_ARG(int64_t, dim);
  REEL_ARG(std::optional<ScalarType>, dtype) = std::nullopt;
};
struct LogSoftmaxFuncOptions {
  LogSoftmaxFuncOptions(int64_t dim) : dim_(dim) {}  // NOLINT: implicit, as LibTorch's
  REEL_ARG(int64_t, dim);
  REEL_ARG(std::optional<ScalarType>, dtype) = std::nullopt;
};
struct RReLUFuncOptions {
  REEL_ARG(double, lower) = 1.0 / 8.0;
  REEL_ARG(double, upper) = 1.0 / 3.0;
  REEL_ARG(bool, training) = false;
  REEL_ARG(bool, inplace) = false;  // the result is written back into the input
};
// out: when given, the result is also copied into it (LibTorch's `out`)
struct NormalizeFuncOptions {
  REEL_ARG(double, p) = 2.0;
  REEL_ARG(double, eps) = 1e-12;
  REEL_ARG(int64_t, dim) = 1;
  REEL_ARG(std::optional<Tensor>, out) = std::nullopt;
};
// pad = {last_left, last_right, second_last_left, ...}; mode "constant", "reflect", "replicate", "circular" (or
// reel::kConstant, kReflect, kReplicate, kCircular); value fills constant padding
struct PadFuncOptions {
  PadFuncOptions(std::vector<int64_t> pad) : pad_(std::move(pad)) {}  // NOLINT: implicit, as LibTorch's
  REEL_ARG(std::vector<int64_t>, pad);
  REEL_ARG(std::string, mode) = "constant";
  REEL_ARG(double, value) = 0.0;
};
struct PixelShuffleFuncOptions {
  PixelShuffleFuncOptions(int64_t upscale_factor) : upscale_factor_(upscale_factor) {}  // NOLINT
  REEL_ARG(int64_t, upscale_factor);
};
struct PixelUnshuffleFuncOptions {
  PixelUnshuffleFuncOptions(int64_t downscale_factor) : downscale_factor_(downscale_factor) {}  // NOLINT
  REEL_ARG(int64_t, downscale_factor);
};
struct PairwiseDistanceFuncOptions {
  REEL_ARG(double, p) = 2.0;
  REEL_ARG(double, eps) = 1e-6;
  REEL_ARG(bool, keepdim) = false;
};
struct GumbelSoftmaxFuncOptions {
  REEL_ARG(double, tau) = 1.0;
  REEL_ARG(bool, hard) = false;
  REEL_ARG(int64_t, dim) = -1;
};
// size or scale_factor (one value per spatial dim, or one for all); mode "nearest", "linear" (3-D input),
// "bilinear" or "bicubic" (4-D input), or reel::kNearest, kLinear, kBilinear, kBicubic; align_corners only for the
// interpolating modes (unset: false). antialias is LibTorch's option; reel refuses true (not implemented).
struct InterpolateFuncOptions {
  REEL_ARG(std::optional<std::vector<int64_t>>, size) = std::nullopt;
  REEL_ARG(std::optional<std::vector<double>>, scale_factor) = std::nullopt;
  REEL_ARG(std::string, mode) = "nearest";
  REEL_ARG(std::optional<bool>, align_corners) = std::nullopt;
  REEL_ARG(std::optional<bool>, recompute_scale_factor) = std::nullopt;
  REEL_ARG(bool, antialias) = false;
};
// mode "bilinear" or "nearest" (reel::kBilinear, kNearest); padding_mode "zeros", "border" or "reflection"
// (reel::kZeros, kBorder, kReflection)
struct GridSampleFuncOptions {
  REEL_ARG(std::string, mode) = "bilinear";
  REEL_ARG(std::string, padding_mode) = "zeros";
  REEL_ARG(std::optional<bool>, align_corners) = std::nullopt;
};

}  // namespace functional
}  // namespace reel::nn
