// reel/nn/functional.h — reel::nn::functional (F in the docs): the stateless functions behind the layers,
// with PyTorch's torch.nn.functional names, argument order and defaults.
//
// Every function is a composite of reel ops (so autograd differentiates it with no formula of its own) or a
// forward to a primitive (convolution, pooling, softmax, the activations of the op table). Modules in nn/ call these; users may call them
// directly with their own tensors:
//
//   namespace F = reel::nn::functional;
//   reel::Tensor h = F::gelu(F::linear(x, w, b));
//   reel::Tensor y = F::dropout(h, 0.1, /*training=*/true);
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../tensor/ops.h"
#include "arg.h"
#include "functional_options.h"

namespace reel {

// ---- composites with LibTorch's torch:: names (nn/functional_activation.cpp, nn/functional_image.cpp) -------------
// y = a sigmoid(b), (a, b) the two halves of the input along dim (its size must be even)
Tensor glu(const Tensor& self, int64_t dim = -1);
// y = x > 0 ? x : w x, with w one value or one per channel (dim 1 of an input of rank >= 2)
Tensor prelu(const Tensor& self, const Tensor& weight);
// training: y = x >= 0 ? x : a x, a ~ U(lower, upper) per element from the default generator (reproducible under
// manual_seed); otherwise a = (lower + upper) / 2 (leaky_relu)
Tensor rrelu(const Tensor& self, double lower = 1.0 / 8.0, double upper = 1.0 / 3.0, bool training = false);
// (*, C r^2, H, W) -> (*, C, H r, W r): y[c, h r + i, w r + j] = x[c r^2 + i r + j, h, w]
Tensor pixel_shuffle(const Tensor& self, int64_t upscale_factor);
// (*, C, H r, W r) -> (*, C r^2, H, W), the inverse of pixel_shuffle
Tensor pixel_unshuffle(const Tensor& self, int64_t downscale_factor);
// y = ||x1 - x2 + eps||_p over the last dim (x1 and x2 broadcast)
Tensor pairwise_distance(const Tensor& x1, const Tensor& x2, double p = 2.0, double eps = 1e-6, bool keepdim = false);
// grid[n, h, w] = theta[n] (x_w, y_h, 1) for size (N, C, H, W); x_w, y_h span [-1, 1] (pixel centres unless
// align_corners: corners)
Tensor affine_grid_generator(const Tensor& theta, IntList size, bool align_corners);
// "none": y = x/2 (1 + erf(x / sqrt 2)); "tanh": y = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
Tensor gelu(const Tensor& self, std::string_view approximate = "none");
// y = sum_dim (x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps)); x1 and x2 broadcast.
Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, int64_t dim = 1, double eps = 1e-8);
// Pads the trailing dims: pad = {last_left, last_right, second_last_left, ...} as in PyTorch (negative values crop
// in constant mode). mode: "constant" (value, unset: 0), "reflect" (mirror without the edge), "replicate" (edge
// value), "circular" (wrap around); the other modes ignore value (ATen refuses a nonzero one there).
Tensor pad(const Tensor& self, IntList pad, std::string_view mode = "constant",
           std::optional<double> value = std::nullopt);
// y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias over the trailing dims `normalized_shape` (biased Var);
// cudnn_enable is ATen's flag and changes nothing.
Tensor layer_norm(const Tensor& input, IntList normalized_shape, const Tensor& weight = {}, const Tensor& bias = {},
                  double eps = 1e-5, bool cudnn_enable = true);

}  // namespace reel

namespace reel::nn::functional {

// ---- forwarded primitives (same entities as reel::, so `using namespace` of both is unambiguous) ------------
using ::reel::adaptive_avg_pool2d;
using ::reel::avg_pool2d;
using ::reel::conv1d;
using ::reel::conv2d;
using ::reel::log_softmax;
using ::reel::max_pool2d;
using ::reel::max_pool2d_with_indices;
using ::reel::one_hot;
using ::reel::relu;
using ::reel::sigmoid;
using ::reel::softmax;
using ::reel::tanh;
// The activations that are kernel ops (tensor/ops.def), with torch.nn.functional's arguments and defaults:
using ::reel::celu;         // (input, alpha = 1): y = x > 0 ? x : alpha (e^(x / alpha) - 1)
using ::reel::hardsigmoid;  // (input): y = min(max(x + 3, 0), 6) / 6
using ::reel::hardswish;    // (input): y = x min(max(x + 3, 0), 6) / 6
using ::reel::hardtanh;     // (input, min_val = -1, max_val = 1): y = min(max(x, min_val), max_val)
using ::reel::leaky_relu;   // (input, negative_slope = 0.01): y = x > 0 ? x : negative_slope x
using ::reel::mish;         // (input): y = x tanh(ln(1 + e^x))
using ::reel::selu;         // (input): y = 1.0507 (x > 0 ? x : 1.6733 (e^x - 1))
using ::reel::silu;         // (input): y = x sigmoid(x)
using ::reel::softplus;     // (input, beta = 1, threshold = 20): y = beta x > threshold ? x : ln(1 + e^(beta x)) / beta
using ::reel::threshold;    // (input, threshold, value): y = x > threshold ? x : value
using ::reel::relu6;        // (input): y = min(max(x, 0), 6)
using ::reel::softsign;     // (input): y = x / (1 + |x|)
using ::reel::tanhshrink;   // (input): y = x - tanh x
using ::reel::softshrink;   // (input, lambd = 0.5): y = x > l ? x - l : x < -l ? x + l : 0
using ::reel::hardshrink;   // (input, lambd = 0.5): y = |x| > l ? x : 0
using ::reel::glu;          // (input, dim = -1)
using ::reel::prelu;        // (input, weight)
using ::reel::rrelu;        // (input, lower = 1/8, upper = 1/3, training = false)
using ::reel::pixel_shuffle;      // (input, upscale_factor)
using ::reel::pixel_unshuffle;    // (input, downscale_factor)
using ::reel::pairwise_distance;  // (x1, x2, p = 2, eps = 1e-6, keepdim = false)
using ::reel::gelu;               // (input, approximate = "none")
using ::reel::cosine_similarity;  // (x1, x2, dim = 1, eps = 1e-8)
using ::reel::layer_norm;         // (input, normalized_shape, weight = {}, bias = {}, eps = 1e-5)

// ---- linear layers ---------------------------------------------------------------------------------------------
// y = x W^T + b; x (..., in), weight (out, in), bias (out) or undefined.
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = {});
// y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o]; x1 (..., in1), x2 (..., in2), weight (out, in1, in2).
Tensor bilinear(const Tensor& input1, const Tensor& input2, const Tensor& weight, const Tensor& bias = {});
// y[..., :] = weight[input[...], :]; positions equal to padding_idx (negative wraps) pass no gradient to weight.
// sparse: weight's gradient is a sparse tensor of the looked-up rows (LibTorch's EmbeddingFuncOptions().sparse).
Tensor embedding(const Tensor& input, const Tensor& weight, std::optional<int64_t> padding_idx = std::nullopt,
                 bool sparse = false);

// ---- dropout ------------------------------------------------------------------------------------------------------
// training: y = x * m / (1 - p), m_i ~ Bernoulli(1 - p) from the default generator; otherwise y = x.
Tensor dropout(const Tensor& input, double p = 0.5, bool training = true);

// ---- normalisation ---------------------------------------------------------------------------------------------
// y = (x - mu) / sqrt(var + eps) * weight[c] + bias[c] per channel c = dim 1 of (N, C, ...). training: mu and
// var (biased) are the batch statistics, and defined running stats become (1 - momentum) r + momentum s with the
// unbiased batch variance; otherwise mu and var are the running stats.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = {}, const Tensor& bias = {}, bool training = false, double momentum = 0.1,
                  double eps = 1e-5);
// y = x / max(||x||_p, eps) along dim.
Tensor normalize(const Tensor& input, double p = 2.0, int64_t dim = 1, double eps = 1e-12);

// ---- activations (besides the forwarded ones above) -----------------------------------------------------------
// y = x > 0 ? x : alpha * (e^x - 1): the kernel op reel::elu with scale = input_scale = 1 (F.elu takes alpha only)
Tensor elu(const Tensor& input, double alpha = 1.0);
// y = ln sigmoid(x) = min(x, 0) - ln(1 + e^-|x|): the kernel op reel::log_sigmoid under F's name
Tensor logsigmoid(const Tensor& input);

// ---- padding -----------------------------------------------------------------------------------------------------
// F::pad(x, {1, 1}, "reflect") is reel::pad (above);
// the options form: F::pad(x, F::PadFuncOptions({1, 1}).mode(reel::kReflect))
using ::reel::pad;
Tensor pad(const Tensor& input, const PadFuncOptions& options);

// ---- LibTorch's option-struct overloads (options in nn/functional_options.h). They have no default argument where
// a positional form of the same name exists, so F::relu(x) and F::softmax(x, 1) stay the positional calls;
// inplace(true) runs the in-place op on the input and returns it. -------------------------------------------------
Tensor elu(Tensor input, const ELUFuncOptions& options);
Tensor selu(Tensor input, const SELUFuncOptions& options);
Tensor celu(Tensor input, const CELUFuncOptions& options);
Tensor relu(Tensor input, const ReLUFuncOptions& options);
Tensor relu6(Tensor input, const ReLU6FuncOptions& options);
Tensor hardtanh(Tensor input, const HardtanhFuncOptions& options);
Tensor leaky_relu(Tensor input, const LeakyReLUFuncOptions& options);
Tensor threshold(Tensor input, const ThresholdFuncOptions& options);
Tensor softplus(const Tensor& input, const SoftplusFuncOptions& options);
Tensor gelu(const Tensor& input, const GELUFuncOptions& options);
// softmax / log_softmax of the input cast to options.dtype() when given
Tensor softmax(const Tensor& input, const SoftmaxFuncOptions& options);
Tensor log_softmax(const Tensor& input, const LogSoftmaxFuncOptions& options);
// y = softmax(-x, dim)
Tensor softmin(const Tensor& input, const SoftminFuncOptions& options);
Tensor normalize(const Tensor& input, NormalizeFuncOptions options);
Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, const CosineSimilarityFuncOptions& options);
Tensor softshrink(const Tensor& input, const SoftshrinkFuncOptions& options);
Tensor hardshrink(const Tensor& input, const HardshrinkFuncOptions& options);
Tensor glu(const Tensor& input, const GLUFuncOptions& options);
Tensor rrelu(Tensor input, const RReLUFuncOptions& options);
Tensor pixel_shuffle(const Tensor& input, const PixelShuffleFuncOptions& options);
Tensor pixel_unshuffle(const Tensor& input, const PixelUnshuffleFuncOptions& options);
Tensor pairwise_distance(const Tensor& x1, const Tensor& x2, const PairwiseDistanceFuncOptions& options);

// ---- sampling and resampling (nn/functional_image.cpp) -----------------------------------------------------------
// y = softmax((logits + g) / tau, dim), g_i = -ln(-ln u_i), u_i ~ U(0, 1) from the default generator; hard: the
// one-hot of argmax(y) in the forward, y's gradient in the backward (y_hard - y.detach() + y).
Tensor gumbel_softmax(const Tensor& logits, double tau = 1.0, bool hard = false, int64_t dim = -1);
Tensor gumbel_softmax(const Tensor& logits, const GumbelSoftmaxFuncOptions& options);
// Resizes the spatial dims of (N, C, W) or (N, C, H, W) inputs (the upsample_* ops of tensor/ops.h, PyTorch's
// coordinate rules there). Output size = size, or floor(in * scale_factor); a given scale_factor also sets the source
// step (1 / scale_factor) unless recompute_scale_factor.
Tensor interpolate(const Tensor& input, const InterpolateFuncOptions& options = {});
// y[n, c, i, j] = input sampled at grid[n, i, j] (grid_sampler_2d of tensor/ops.h).
Tensor grid_sample(const Tensor& input, const Tensor& grid, const GridSampleFuncOptions& options = {});
// The sampling grid (N, H, W, 2) of the affine maps theta (N, 2, 3) for size (N, C, H, W).
Tensor affine_grid(const Tensor& theta, IntList size, bool align_corners = false);

}  // namespace reel::nn::functional

// LibTorch's option structs of the convolutions and pooling, with F::conv1d/2d/3d, F::conv_transpose1d/2d,
// F::max_pool1d/2d/3d, F::avg_pool*, F::adaptive_*_pool*, F::max_unpool2d (x, ..., options).
#include "conv_options.h"  // NOLINT: after the declarations above, which they build on
#include "pooling.h"       // NOLINT
