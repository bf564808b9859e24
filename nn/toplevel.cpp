// reel/nn/toplevel.cpp — LibTorch's top-level loss, dropout, normalization and distance calls (nn/toplevel.h): each
// maps ATen's integer reduction code and argument order onto the reel::nn::functional function of the same meaning,
// or is a composite of reel ops (feature / alpha dropout, group_norm, instance_norm, pdist) that autograd
// differentiates through.
#include "nn/toplevel.h"

#include <cmath>
#include <vector>

#include "nn/functional.h"
#include "nn/loss.h"
#include "tensor/error_format.h"
#include "tensor/grad_mode.h"

namespace reel {

namespace F = nn::functional;

namespace {

// at::Reduction's code -> nn::Reduction (0 none, 1 mean, 2 sum)
nn::Reduction reduction_of(const char* op, int64_t reduction) {
  REEL_CHECK(reduction >= Reduction::None && reduction <= Reduction::Sum,
             "{}: reduction must be 0 (none), 1 (mean) or 2 (sum) as in at::Reduction, got {}", op, reduction);
  if (reduction == Reduction::None) return nn::Reduction::None;
  return reduction == Reduction::Mean ? nn::Reduction::Mean : nn::Reduction::Sum;
}

// ---- dropout ----
// What a dropout call does to its input: nothing, zero it (p = 1), or y = x * scale (+ shift for alpha dropout).
struct DropoutPlan {
  bool identity = false;
  bool zero = false;
  Tensor scale, shift;
};

// ATen's _dropout_impl: checks, the p = 0 / eval / empty and p = 1 shortcuts, then the Bernoulli(1 - p) noise, one
// draw per element or (feature) per (sample, channel).
DropoutPlan plan_dropout(const char* op, const Tensor& input, double p, bool train, bool feature, bool alpha) {
  input.check_defined(op);
  REEL_CHECK(p >= 0.0 && p <= 1.0, "{}: dropout probability has to be between 0 and 1, but got {}", op, p);
  DropoutPlan plan;
  if (p == 0.0 || !train || input.numel() == 0) {
    plan.identity = true;
    return plan;
  }
  REEL_CHECK(input.is_floating_point(), "{}: expected a floating-point input, got {} (shape {})", op,
             dtype_name(input.dtype()), shape_str(input.sizes()));
  if (p == 1.0) {
    plan.zero = true;
    return plan;
  }
  DimVector noise_shape(input.sizes());
  if (feature) {
    REEL_CHECK(input.dim() >= 2, "{}: Feature dropout requires at least 2 dimensions in the input, got shape {}", op,
               shape_str(input.sizes()));
    for (size_t d = 2; d < noise_shape.size(); ++d) noise_shape[d] = 1;
  }
  const ScalarType draw_dtype = input.dtype() == kFloat64 ? kFloat64 : kFloat32;
  const Tensor keep =
      lt(rand(noise_shape, TensorOptions(draw_dtype).device(input.device())), 1.0 - p).to(input.dtype());
  if (!alpha) {
    plan.scale = keep * (1.0 / (1.0 - p));
    return plan;
  }
  constexpr double kAlpha = 1.7580993408473766;  // SELU's scale * alpha
  const double a = 1.0 / std::sqrt((kAlpha * kAlpha * p + 1.0) * (1.0 - p));
  plan.shift = (keep - 1.0) * (kAlpha * a) + kAlpha * a * p;
  plan.scale = keep * a;
  return plan;
}

Tensor apply_dropout(const char* op, const Tensor& input, double p, bool train, bool feature, bool alpha) {
  const DropoutPlan plan = plan_dropout(op, input, p, train, feature, alpha);
  if (plan.identity) return input;
  if (plan.zero) return input * zeros({}, input.options());
  Tensor y = input * plan.scale;
  return plan.shift.defined() ? y + plan.shift : y;
}

Tensor& apply_dropout_(const char* op, Tensor& self, double p, bool train, bool feature, bool alpha) {
  const DropoutPlan plan = plan_dropout(op, self, p, train, feature, alpha);
  if (plan.identity) return self;
  if (plan.zero) return self.mul_(zeros({}, self.options()));
  self.mul_(plan.scale);
  if (plan.shift.defined()) self.add_(plan.shift);
  return self;
}

// weight / bias / running stats of C channels, repeated for each of n samples (instance_norm's (1, N C, ...) view)
Tensor repeat_if_defined(const Tensor& t, int64_t n) { return t.defined() ? t.repeat({n}) : t; }

}  // namespace

// ---- losses ----
Tensor nll_loss(const Tensor& self, const Tensor& target, const Tensor& weight, int64_t reduction,
                int64_t ignore_index) {
  return F::nll_loss(self, target, weight, ignore_index, reduction_of("nll_loss", reduction));
}

// nll_loss restricted to (N, C, H, W) inputs and (N, H, W) targets, as ATen's nll_loss2d
Tensor nll_loss2d(const Tensor& self, const Tensor& target, const Tensor& weight, int64_t reduction,
                  int64_t ignore_index) {
  self.check_defined("nll_loss2d");
  target.check_defined("nll_loss2d");
  REEL_CHECK(target.dim() == 3, "nll_loss2d: only batches of spatial targets supported (3D tensors) but got targets "
             "of dimension: {} (shape {})", target.dim(), shape_str(target.sizes()));
  REEL_CHECK(self.dim() == 4, "nll_loss2d: only batches of spatial inputs supported (4D tensors), but got input of "
             "dimension: {} (shape {})", self.dim(), shape_str(self.sizes()));
  return F::nll_loss(self, target, weight, ignore_index, reduction_of("nll_loss2d", reduction));
}

Tensor cross_entropy_loss(const Tensor& self, const Tensor& target, const Tensor& weight, int64_t reduction,
                          int64_t ignore_index, double label_smoothing) {
  return F::cross_entropy(self, target, weight, ignore_index, reduction_of("cross_entropy_loss", reduction),
                          label_smoothing);
}

Tensor binary_cross_entropy(const Tensor& self, const Tensor& target, const Tensor& weight, int64_t reduction) {
  return F::binary_cross_entropy(self, target, weight, reduction_of("binary_cross_entropy", reduction));
}

Tensor binary_cross_entropy_with_logits(const Tensor& self, const Tensor& target, const Tensor& weight,
                                        const Tensor& pos_weight, int64_t reduction) {
  return F::binary_cross_entropy_with_logits(self, target, weight,
                                             reduction_of("binary_cross_entropy_with_logits", reduction), pos_weight);
}

Tensor mse_loss(const Tensor& self, const Tensor& target, int64_t reduction) {
  return F::mse_loss(self, target, reduction_of("mse_loss", reduction));
}

Tensor l1_loss(const Tensor& self, const Tensor& target, int64_t reduction) {
  return F::l1_loss(self, target, reduction_of("l1_loss", reduction));
}

Tensor smooth_l1_loss(const Tensor& self, const Tensor& target, int64_t reduction, double beta) {
  return F::smooth_l1_loss(self, target, reduction_of("smooth_l1_loss", reduction), beta);
}

Tensor huber_loss(const Tensor& self, const Tensor& target, int64_t reduction, double delta) {
  return F::huber_loss(self, target, reduction_of("huber_loss", reduction), delta);
}

Tensor kl_div(const Tensor& self, const Tensor& target, int64_t reduction, bool log_target) {
  return F::kl_div(self, target, reduction_of("kl_div", reduction), log_target);
}

Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin,
                           int64_t reduction) {
  return F::margin_ranking_loss(input1, input2, target, margin, reduction_of("margin_ranking_loss", reduction));
}

Tensor hinge_embedding_loss(const Tensor& self, const Tensor& target, double margin, int64_t reduction) {
  return F::hinge_embedding_loss(self, target, margin, reduction_of("hinge_embedding_loss", reduction));
}

Tensor soft_margin_loss(const Tensor& self, const Tensor& target, int64_t reduction) {
  return F::soft_margin_loss(self, target, reduction_of("soft_margin_loss", reduction));
}

Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin,
                             int64_t reduction) {
  return F::cosine_embedding_loss(input1, input2, target, margin, reduction_of("cosine_embedding_loss", reduction));
}

Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative, double margin,
                           double p, double eps, bool swap, int64_t reduction) {
  return F::triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                reduction_of("triplet_margin_loss", reduction));
}

// p and margin are Scalars in ATen; p must be the integer 1 or 2
Tensor multi_margin_loss(const Tensor& self, const Tensor& target, Scalar p, Scalar margin, const Tensor& weight,
                         int64_t reduction) {
  const double p_value = p.to_double();
  REEL_CHECK(p_value == 1.0 || p_value == 2.0, "multi_margin_loss: only p == 1 and p == 2 supported, got {}",
             p_value);
  return F::multi_margin_loss(self, target, static_cast<int64_t>(p_value), margin.to_double(), weight,
                              reduction_of("multi_margin_loss", reduction));
}

Tensor multilabel_margin_loss(const Tensor& self, const Tensor& target, int64_t reduction) {
  return F::multilabel_margin_loss(self, target, reduction_of("multilabel_margin_loss", reduction));
}

Tensor poisson_nll_loss(const Tensor& input, const Tensor& target, bool log_input, bool full, double eps,
                        int64_t reduction) {
  return F::poisson_nll_loss(input, target, log_input, full, eps, reduction_of("poisson_nll_loss", reduction));
}

// ---- dropout ----
Tensor dropout(const Tensor& input, double p, bool train) {
  return apply_dropout("dropout", input, p, train, /*feature=*/false, /*alpha=*/false);
}
Tensor feature_dropout(const Tensor& input, double p, bool train) {
  return apply_dropout("feature_dropout", input, p, train, /*feature=*/true, /*alpha=*/false);
}
Tensor alpha_dropout(const Tensor& input, double p, bool train) {
  return apply_dropout("alpha_dropout", input, p, train, /*feature=*/false, /*alpha=*/true);
}
Tensor feature_alpha_dropout(const Tensor& input, double p, bool train) {
  return apply_dropout("feature_alpha_dropout", input, p, train, /*feature=*/true, /*alpha=*/true);
}
Tensor& dropout_(Tensor& self, double p, bool train) {
  return apply_dropout_("dropout_", self, p, train, /*feature=*/false, /*alpha=*/false);
}
Tensor& feature_dropout_(Tensor& self, double p, bool train) {
  return apply_dropout_("feature_dropout_", self, p, train, /*feature=*/true, /*alpha=*/false);
}
Tensor& alpha_dropout_(Tensor& self, double p, bool train) {
  return apply_dropout_("alpha_dropout_", self, p, train, /*feature=*/false, /*alpha=*/true);
}
Tensor& feature_alpha_dropout_(Tensor& self, double p, bool train) {
  return apply_dropout_("feature_alpha_dropout_", self, p, train, /*feature=*/true, /*alpha=*/true);
}

// ---- normalization ----
// y = (x - mean_g) / sqrt(var_g + eps) per (sample, group), then the per-channel affine map
Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight, const Tensor& bias, double eps,
                  bool /*cudnn_enabled*/) {
  input.check_defined("group_norm");
  REEL_CHECK(input.dim() >= 2, "group_norm: expected an input of at least 2 dims (N, C, *), got shape {}",
             shape_str(input.sizes()));
  REEL_CHECK(input.is_floating_point(), "group_norm: expected a floating-point input, got {} (shape {})",
             dtype_name(input.dtype()), shape_str(input.sizes()));
  const int64_t n = input.size(0), channels = input.size(1);
  REEL_CHECK(num_groups > 0 && channels % num_groups == 0,
             "group_norm: Expected number of channels in input to be divisible by num_groups, but got input of shape "
             "{} and num_groups={}", shape_str(input.sizes()), num_groups);
  for (const Tensor* affine : {&weight, &bias}) {
    if (!affine->defined()) continue;
    REEL_CHECK(affine->dim() == 1 && affine->size(0) == channels,
               "group_norm: Expected {} to be a vector of size equal to the number of channels in input, but got {} "
               "of shape {} and input of shape {}", affine == &weight ? "weight" : "bias",
               affine == &weight ? "weight" : "bias", shape_str(affine->sizes()), shape_str(input.sizes()));
  }
  int64_t per_group = channels / num_groups;
  for (int64_t d = 2; d < input.dim(); ++d) per_group *= input.size(d);
  const Tensor grouped = input.reshape({n, num_groups, per_group});
  const Tensor mu = mean(grouped, {2}, true);
  const Tensor variance = var(grouped, {2}, /*unbiased=*/false, /*keepdim=*/true);
  Tensor out = ((grouped - mu) * rsqrt(variance + eps)).reshape(input.sizes());
  DimVector channel_shape(static_cast<size_t>(input.dim()), 1);
  channel_shape[1] = channels;
  if (weight.defined()) out = out * weight.view(channel_shape);
  if (bias.defined()) out = out + bias.view(channel_shape);
  return out;
}

Tensor batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps, bool /*cudnn_enabled*/) {
  return F::batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps);
}

// batch_norm of the (1, N C, *) view with the per-channel tensors repeated N times; the running stats take the
// mean over the batch of their repeated updates (ATen's instance_norm)
Tensor instance_norm(const Tensor& input, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                     const Tensor& running_var, bool use_input_stats, double momentum, double eps,
                     bool /*cudnn_enabled*/) {
  input.check_defined("instance_norm");
  REEL_CHECK(use_input_stats || (running_mean.defined() && running_var.defined()),
             "instance_norm: Expected running_mean and running_var to be defined when use_input_stats is false");
  REEL_CHECK(input.dim() >= 2, "instance_norm: expected an input of at least 2 dims (N, C, *), got shape {}",
             shape_str(input.sizes()));
  const int64_t n = input.size(0), channels = input.size(1);
  DimVector folded(input.sizes());
  folded[0] = 1;
  folded[1] = n * channels;
  const Tensor mean_rep = repeat_if_defined(running_mean, n);
  const Tensor var_rep = repeat_if_defined(running_var, n);
  const Tensor out = F::batch_norm(input.reshape(folded), mean_rep, var_rep, repeat_if_defined(weight, n),
                                   repeat_if_defined(bias, n), use_input_stats, momentum, eps);
  if (use_input_stats && running_mean.defined()) {
    NoGradGuard no_grad;
    Tensor mean_stat = running_mean, var_stat = running_var;  // handles: the updates land in the caller's tensors
    mean_stat.copy_(mean(mean_rep.view({n, channels}), {0}));
    var_stat.copy_(mean(var_rep.view({n, channels}), {0}));
  }
  return out.reshape(input.sizes());
}

// ---- distances ----
// ||x_i - x_j||_p over the row pairs i < j, from two index_selects and one vector norm per pair
Tensor pdist(const Tensor& self, double p) {
  self.check_defined("pdist");
  REEL_CHECK(self.dim() == 2, "pdist: pdist only supports 2D tensors, got: {}D (shape {})", self.dim(),
             shape_str(self.sizes()));
  REEL_CHECK(self.is_floating_point(), "pdist: expected a floating-point input, got {} (shape {})",
             dtype_name(self.dtype()), shape_str(self.sizes()));
  REEL_CHECK(p >= 0, "pdist: pdist only supports non-negative p values, got {}", p);
  const int64_t rows = self.size(0);
  std::vector<int64_t> first, second;
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = i + 1; j < rows; ++j) {
      first.push_back(i);
      second.push_back(j);
    }
  }
  if (first.empty()) return empty({0}, self.options());
  const TensorOptions index_options = TensorOptions(kInt64).device(self.device());
  const Tensor diff = index_select(self, 0, tensor(first, index_options)) -
                      index_select(self, 0, tensor(second, index_options));
  return linalg::vector_norm(diff, p, IntList{1});
}

}  // namespace reel
