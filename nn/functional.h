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
// y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias over the trailing dims `normalized_shape` (biased Var).
Tensor layer_norm(const Tensor& input, IntList normalized_shape, const Tensor& weight = {}, const Tensor& bias = {},
                  double eps = 1e-5);
// y = (x - mu) / sqrt(var + eps) * weight[c] + bias[c] per channel c = dim 1 of (N, C, ...). training: mu and
// var (biased) are the batch statistics, and defined running stats become (1 - momentum) r + momentum s with the
// unbiased batch variance; otherwise mu and var are the running stats.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = {}, const Tensor& bias = {}, bool training = false, double momentum = 0.1,
                  double eps = 1e-5);
// y = x / max(||x||_p, eps) along dim.
Tensor normalize(const Tensor& input, double p = 2.0, int64_t dim = 1, double eps = 1e-12);
// y = sum_dim (x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps)); x1 and x2 broadcast.
Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, int64_t dim = 1, double eps = 1e-8);

// ---- activations (besides the forwarded ones above) -----------------------------------------------------------
// y = x > 0 ? x : alpha * (e^x - 1): the kernel op reel::elu with scale = input_scale = 1 (F.elu takes alpha only)
Tensor elu(const Tensor& input, double alpha = 1.0);
// y = ln sigmoid(x) = min(x, 0) - ln(1 + e^-|x|): the kernel op reel::log_sigmoid under F's name
Tensor logsigmoid(const Tensor& input);
// "none": y = x/2 (1 + erf(x / sqrt 2)); "tanh": y = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
Tensor gelu(const Tensor& input, std::string_view approximate = "none");

// ---- padding -----------------------------------------------------------------------------------------------------
// Pads the trailing dims: pad = {last_left, last_right, second_last_left, ...} as in PyTorch (negative values crop
// in constant mode). mode: "constant" (value), "reflect" (mirror without the edge), "replicate" (edge value),
// "circular" (wrap around).
Tensor pad(const Tensor& input, IntList pad, std::string_view mode = "constant", double value = 0.0);

}  // namespace reel::nn::functional
