// reel/nn/functional.cpp — the composites of reel::nn::functional: linear maps, embedding, dropout,
// normalisation, activations and padding, each written with reel ops so that autograd needs no formula. Most
// activations are kernel ops of their own (tensor/ops.def), forwarded by nn/functional.h.
#include "nn/functional.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tensor/error_format.h"
#include "tensor/grad_mode.h"

namespace reel {

namespace {

// The value max(t, floor) with the gradient of t itself (PyTorch clamps norms in place under no_grad).
Tensor clamp_min_keeping_gradient(const Tensor& t, double floor) {
  const Tensor value = t.detach();
  return where(lt(value, floor), t - value + floor, t);
}

}  // namespace

// y = (x - mean) / sqrt(var + eps) * w + b over the trailing normalized_shape dims
Tensor layer_norm(const Tensor& input, IntList normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps, bool /*cudnn_enable: ATen's flag, no effect*/) {
  input.check_defined("layer_norm");
  const int64_t k = static_cast<int64_t>(normalized_shape.size());
  REEL_CHECK(k >= 1, "layer_norm: normalized_shape must not be empty");
  const bool trailing_match =
      input.dim() >= k && std::equal(normalized_shape.begin(), normalized_shape.end(), input.sizes().end() - k);
  REEL_CHECK(trailing_match, "layer_norm: given normalized_shape={}, expected input with shape [*, {}], but got input "
             "of size {}", shape_str(normalized_shape), fmt::join(normalized_shape, ", "), shape_str(input.sizes()));
  for (const Tensor* affine : {&weight, &bias}) {
    if (!affine->defined()) continue;
    REEL_CHECK(affine->sizes() == normalized_shape, "layer_norm: {} of shape {} must have normalized_shape {}",
               affine == &weight ? "weight" : "bias", shape_str(affine->sizes()), shape_str(normalized_shape));
  }
  std::vector<int64_t> dims;
  for (int64_t d = input.dim() - k; d < input.dim(); ++d) dims.push_back(d);
  const Tensor mu = mean(input, dims, true);
  const Tensor variance = var(input, dims, /*unbiased=*/false, /*keepdim=*/true);
  Tensor out = (input - mu) * rsqrt(variance + eps);
  if (weight.defined()) out = out * weight;
  if (bias.defined()) out = out + bias;
  return out;
}

// cos = sum_dim x1/max(||x1||, eps) * x2/max(||x2||, eps), inputs broadcast first
Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, int64_t dim, double eps) {
  x1.check_defined("cosine_similarity");
  x2.check_defined("cosine_similarity");
  const DimVector shape = broadcast_shapes(x1.sizes(), x2.sizes(), "cosine_similarity");
  const int64_t wrapped = wrap_dim(dim, static_cast<int64_t>(shape.size()), "cosine_similarity");
  const Tensor a = x1.expand(shape), b = x2.expand(shape);
  const Tensor a_norm = clamp_min_keeping_gradient(norm(a, 2, {wrapped}, true), eps);
  const Tensor b_norm = clamp_min_keeping_gradient(norm(b, 2, {wrapped}, true), eps);
  return ((a / a_norm) * (b / b_norm)).sum({wrapped});
}

// y = x/2 (1 + erf(x / sqrt 2)), or the tanh approximation
Tensor gelu(const Tensor& self, std::string_view approximate) {
  const Tensor& input = self;
  input.check_defined("gelu");
  if (approximate == "none") return input * 0.5 * (erf(input * M_SQRT1_2) + 1.0);
  REEL_CHECK(approximate == "tanh", "gelu: approximate must be 'none' or 'tanh', got '{}'", approximate);
  const double sqrt_2_over_pi = std::sqrt(2.0 / M_PI);
  const Tensor inner = (input + input * input * input * 0.044715) * sqrt_2_over_pi;
  return input * 0.5 * (tanh(inner) + 1.0);
}

// Trailing dims padded (or cropped) one at a time, last dim first, by concatenating the border pieces
Tensor pad(const Tensor& self, IntList pad, std::string_view mode, std::optional<double> fill) {
  const Tensor& input = self;
  input.check_defined("pad");
  const int64_t pairs = static_cast<int64_t>(pad.size()) / 2;
  REEL_CHECK(pad.size() % 2 == 0, "pad: padding length must be divisible by 2, got {} values", pad.size());
  REEL_CHECK(pairs <= input.dim(), "pad: padding length {} is too large for an input of shape {} (at most 2 per dim)",
             pad.size(), shape_str(input.sizes()));
  const bool constant = mode == "constant";
  REEL_CHECK(constant || mode == "reflect" || mode == "replicate" || mode == "circular",
             "pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got '{}'", mode);
  // only constant padding reads the value (ATen refuses one with the other modes; reel ignores it there)
  const double value = fill.value_or(0.0);
  Tensor out = input;
  for (int64_t i = 0; i < pairs; ++i) {
    const int64_t d = input.dim() - 1 - i;
    int64_t left = pad[2 * i], right = pad[2 * i + 1];
    int64_t size = out.size(d);
    if (constant) {  // negative amounts crop
      REEL_CHECK(size + std::min<int64_t>(left, 0) + std::min<int64_t>(right, 0) >= 0,
                 "pad: padding ({}, {}) would leave a negative size at dim {} of input {}", left, right, d,
                 shape_str(input.sizes()));
      if (left < 0) out = out.narrow(d, -left, size + left), size += left, left = 0;
      if (right < 0) out = out.narrow(d, 0, size + right), size += right, right = 0;
    } else {
      REEL_CHECK(left >= 0 && right >= 0, "pad: negative padding ({}, {}) is only supported in constant mode", left,
                 right);
      if (mode == "replicate") {
        REEL_CHECK(size > 0 || left + right == 0, "pad: replicate padding of an empty dim {} of input {}", d,
                   shape_str(input.sizes()));
      } else {
        const bool reflect = mode == "reflect";
        const int64_t limit = reflect ? size - 1 : size;
        REEL_CHECK(left <= limit && right <= limit,
                   "pad: {} padding ({}, {}) at dim {} does not fit an input of shape {} (at most {} per side)", mode,
                   left, right, d, shape_str(input.sizes()), reflect ? "size - 1" : "size");
      }
    }
    if (left == 0 && right == 0) continue;
    auto border = [&](int64_t amount, bool at_start) -> Tensor {
      DimVector piece_shape(out.sizes());
      piece_shape[static_cast<size_t>(d)] = amount;
      if (constant) return full(piece_shape, value, out.options());
      if (mode == "reflect")
        return (at_start ? out.narrow(d, 1, amount) : out.narrow(d, size - 1 - amount, amount)).flip({d});
      if (mode == "replicate") return out.narrow(d, at_start ? 0 : size - 1, 1).expand(piece_shape);
      return at_start ? out.narrow(d, size - amount, amount) : out.narrow(d, 0, amount);  // circular
    };
    std::vector<Tensor> pieces;
    if (left > 0) pieces.push_back(border(left, true));
    pieces.push_back(out);
    if (right > 0) pieces.push_back(border(right, false));
    out = cat(pieces, d);
  }
  return out;
}

}  // namespace reel

namespace reel::nn::functional {

namespace {

// (1, C, 1, ..., 1) of rank `rank`: how a per-channel vector broadcasts against an (N, C, ...) input.
DimVector channel_shape(int64_t channels, int64_t rank) {
  DimVector shape(static_cast<size_t>(rank), 1);
  shape[1] = channels;
  return shape;
}

// Training-mode batch norm runs the fused native_batch_norm (tensor/ops_norm.cpp) for float32 / float64 inputs with
// weight and bias (when given) of the input's dtype and device; other cases (16-bit floats, mixed dtypes) keep the
// composite of mean / var / elementwise ops.
bool fused_batch_norm_applies(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  if (input.dtype() != kFloat32 && input.dtype() != kFloat64) return false;
  for (const Tensor* t : {&weight, &bias})
    if (t->defined() && (t->dtype() != input.dtype() || t->device() != input.device())) return false;
  return true;
}

}  // namespace

// y = x W^T + b
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  return reel::linear(input, weight, bias);  // one op: tensor/ops_linalg.cpp
}

// y[n, o] = sum_ij x1[n, i] W[o, i, j] x2[n, j] + b[o], as (x1 @ W') * x2 summed over j
Tensor bilinear(const Tensor& input1, const Tensor& input2, const Tensor& weight, const Tensor& bias) {
  input1.check_defined("bilinear");
  input2.check_defined("bilinear");
  weight.check_defined("bilinear");
  REEL_CHECK(weight.dim() == 3, "bilinear: weight must be 3-D (out, in1, in2), got shape {}",
             shape_str(weight.sizes()));
  const int64_t out_features = weight.size(0), in1 = weight.size(1), in2 = weight.size(2);
  REEL_CHECK(input1.dim() >= 1 && input1.size(-1) == in1 && input2.dim() >= 1 && input2.size(-1) == in2,
             "bilinear: inputs of shapes {} and {} must end in in1_features = {} and in2_features = {} (weight {})",
             shape_str(input1.sizes()), shape_str(input2.sizes()), in1, in2, shape_str(weight.sizes()));
  REEL_CHECK(input1.dim() == input2.dim() &&
                 std::equal(input1.sizes().begin(), input1.sizes().end() - 1, input2.sizes().begin()),
             "bilinear: input1 and input2 must have the same leading dims, got {} and {}",
             shape_str(input1.sizes()), shape_str(input2.sizes()));
  if (bias.defined()) {
    REEL_CHECK(bias.dim() == 1 && bias.size(0) == out_features, "bilinear: bias must have shape [{}], got {}",
               out_features, shape_str(bias.sizes()));
  }
  int64_t rows = 1;
  for (int64_t d = 0; d + 1 < input1.dim(); ++d) rows *= input1.size(d);
  const Tensor flat1 = input1.reshape({rows, in1});
  const Tensor flat2 = input2.reshape({rows, in2});
  // x1 @ W viewed as (in1, out * in2), then paired with x2 along j.
  const Tensor mixed = mm(flat1, weight.permute({1, 0, 2}).reshape({in1, out_features * in2}));
  Tensor out = (mixed.view({rows, out_features, in2}) * flat2.unsqueeze(1)).sum({2});
  if (bias.defined()) out = out + bias;
  DimVector out_shape(input1.sizes());
  out_shape.back() = out_features;
  return out.view(out_shape);
}

// y[..., :] = weight[input[...], :], with padding rows cut off from the gradient
Tensor embedding(const Tensor& input, const Tensor& weight, std::optional<int64_t> padding_idx, bool sparse) {
  input.check_defined("embedding");
  weight.check_defined("embedding");
  REEL_CHECK(weight.dim() == 2, "embedding: weight must be 2-D, got shape {}", shape_str(weight.sizes()));
  int64_t padding = -1;
  if (padding_idx.has_value()) {
    const int64_t rows = weight.size(0);
    padding = *padding_idx;
    REEL_CHECK(padding >= -rows && padding < rows, "embedding: padding_idx {} is out of range for {} embeddings",
               padding, rows);
    if (padding < 0) padding += rows;
  }
  return reel::embedding(weight, input, padding, /*scale_grad_by_freq=*/false, sparse);
}

// y = x * Bernoulli(1 - p) / (1 - p) when training
Tensor dropout(const Tensor& input, double p, bool training) {
  input.check_defined("dropout");
  REEL_CHECK(p >= 0.0 && p <= 1.0, "dropout: probability has to be between 0 and 1, but got {}", p);
  if (!training || p == 0.0 || input.numel() == 0) return input;
  if (p == 1.0) return input * 0.0;
  const ScalarType draw_dtype = input.dtype() == kFloat64 ? kFloat64 : kFloat32;
  const Tensor keep = lt(rand_like(input, TensorOptions(draw_dtype).device(input.device())), 1.0 - p);
  return input * (keep.to(input.dtype()) * (1.0 / (1.0 - p)));
}

// y = (x - mu) / sqrt(var + eps) * w + b per channel; training updates the running stats in place
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  input.check_defined("batch_norm");
  REEL_CHECK(input.dim() >= 2, "batch_norm: input must be (N, C, ...) with at least 2 dims, got shape {}",
             shape_str(input.sizes()));
  const int64_t channels = input.size(1);
  for (const Tensor* per_channel : {&running_mean, &running_var, &weight, &bias}) {
    if (!per_channel->defined()) continue;
    REEL_CHECK(per_channel->dim() == 1 && per_channel->size(0) == channels,
               "batch_norm: running stats, weight and bias must have shape [{}] (input channels), got {}", channels,
               shape_str(per_channel->sizes()));
  }
  REEL_CHECK(running_mean.defined() == running_var.defined(),
             "batch_norm: running_mean and running_var must both be given or both be undefined");
  const DimVector stat_shape = channel_shape(channels, input.dim());
  Tensor mu, variance;
  if (training) {
    const int64_t per_channel_count = channels == 0 ? 0 : input.numel() / channels;
    REEL_CHECK(per_channel_count > 1, "batch_norm: expected more than 1 value per channel when training, got input "
               "size {}", shape_str(input.sizes()));
    const double unbias = static_cast<double>(per_channel_count) / static_cast<double>(per_channel_count - 1);
    if (fused_batch_norm_applies(input, weight, bias)) {
      auto [out, save_mean, save_invstd] = native_batch_norm(input, weight, bias, eps);
      if (running_mean.defined()) {
        NoGradGuard no_grad;
        // the biased variance back from invstd = 1 / sqrt(var + eps), in double: var = invstd^-2 - eps (>= 0)
        const Tensor biased = clamp(reciprocal(square(save_invstd.to(kFloat64))) - eps, Scalar(0.0));
        Tensor mean_stat = running_mean, var_stat = running_var;  // handles: the updates land in the caller's tensors
        mean_stat.mul_(1.0 - momentum).add_(save_mean.to(mean_stat.dtype()) * momentum);
        var_stat.mul_(1.0 - momentum).add_(biased.to(var_stat.dtype()) * (momentum * unbias));
      }
      return out;
    }
    std::vector<int64_t> dims{0};
    for (int64_t d = 2; d < input.dim(); ++d) dims.push_back(d);
    mu = mean(input, dims, true);
    variance = var(input, dims, /*unbiased=*/false, /*keepdim=*/true);
    if (running_mean.defined()) {
      NoGradGuard no_grad;
      Tensor mean_stat = running_mean, var_stat = running_var;  // handles: the updates land in the caller's tensors
      mean_stat.mul_(1.0 - momentum).add_(mu.detach().view({channels}).to(mean_stat.dtype()) * momentum);
      var_stat.mul_(1.0 - momentum).add_(variance.detach().view({channels}).to(var_stat.dtype()) * (momentum * unbias));
    }
  } else {
    REEL_CHECK(running_mean.defined(), "batch_norm: running_mean and running_var are needed when training=false");
    mu = running_mean.view(stat_shape);
    variance = running_var.view(stat_shape);
  }
  Tensor out = (input - mu) * rsqrt(variance + eps);
  if (weight.defined()) out = out * weight.view(stat_shape);
  if (bias.defined()) out = out + bias.view(stat_shape);
  return out;
}

// y = x / max(||x||_p, eps)
Tensor normalize(const Tensor& input, double p, int64_t dim, double eps) {
  input.check_defined("normalize");
  const int64_t wrapped = wrap_dim(dim, input.dim(), "normalize");
  return input / clamp(norm(input, p, {wrapped}, true), eps);
}

// y = x > 0 ? x : alpha (e^x - 1): torch::elu with scale = input_scale = 1
Tensor elu(const Tensor& input, double alpha) { return reel::elu(input, alpha); }

// ln sigmoid(x)
Tensor logsigmoid(const Tensor& input) { return reel::log_sigmoid(input); }

// F::pad with LibTorch's options (the value only fills constant padding)
Tensor pad(const Tensor& input, const PadFuncOptions& options) {
  return reel::pad(input, options.pad(), options.mode(), options.value());
}

// y = x / max(||x||_p, eps); also copied into options.out() when given
Tensor normalize(const Tensor& input, NormalizeFuncOptions options) {
  Tensor y = normalize(input, options.p(), options.dim(), options.eps());
  if (!options.out().has_value()) return y;
  Tensor out = *options.out();
  out.copy_(y);
  return out;
}

Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, const CosineSimilarityFuncOptions& options) {
  return reel::cosine_similarity(x1, x2, options.dim(), options.eps());
}

}  // namespace reel::nn::functional
