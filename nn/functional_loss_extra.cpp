// reel/nn/functional_loss_extra.cpp — the losses LibTorch has beyond nn/loss.cpp's: huber, hinge_embedding,
// soft_margin, multilabel_soft_margin, cosine_embedding, triplet_margin, multi_margin, multilabel_margin, poisson_nll,
// gaussian_nll and the Reduction-enum forms of ctc_loss, with their option overloads and modules.
//
// Each is a composite of reel ops following PyTorch's formula (aten/src/ATen/native/Loss.cpp and
// torch/nn/functional.py, restated next to each function), so autograd differentiates it with no formula of its
// own; misuse throws reel::Error naming the loss and the shapes.
#include <cmath>
#include <numbers>

#include "nn/functional.h"
#include "nn/loss.h"
#include "tensor/error_format.h"

namespace reel::nn {

namespace functional {

namespace {

void check_floating(const char* loss, const Tensor& t, const char* what) {
  REEL_CHECK(t.defined(), "{}: {} is an undefined tensor", loss, what);
  REEL_CHECK(t.is_floating_point(), "{}: {} must have a floating dtype, got {} (shape {})", loss, what,
             dtype_name(t.dtype()), shape_str(t.sizes()));
}

void check_same_shape(const char* loss, const Tensor& input, const Tensor& other, const char* what) {
  REEL_CHECK(other.defined(), "{}: {} is an undefined tensor", loss, what);
  REEL_CHECK(input.sizes() == other.sizes(), "{}: {} shape {} differs from input shape {}", loss, what,
             shape_str(other.sizes()), shape_str(input.sizes()));
}

Tensor reduce(const char* loss, const Tensor& losses, Reduction reduction) {
  REEL_CHECK(reduction != Reduction::BatchMean, "{}: reduction 'batchmean' is only valid for kl_div (use none, mean "
             "or sum)", loss);
  if (reduction == Reduction::None) return losses;
  return reduction == Reduction::Sum ? losses.sum() : losses.mean();
}

// The class-index target of the margin losses: int64, one per sample, in [0, C).
void check_class_target(const char* loss, const Tensor& input, const Tensor& target) {
  REEL_CHECK(target.defined() && target.dtype() == kInt64, "{}: target must be an int64 tensor of class indices, got {}",
             loss, target.defined() ? dtype_name(target.dtype()) : "an undefined tensor");
}

}  // namespace

// |d| < delta ? d^2 / 2 : delta (|d| - delta / 2)
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta) {
  const char* loss = "huber_loss";
  check_floating(loss, input, "input");
  check_same_shape(loss, input, target, "target");
  REEL_CHECK(delta > 0, "huber_loss: delta must be positive, got {}", delta);
  const Tensor d = input - target;
  const Tensor z = abs(d);
  return reduce(loss, where(lt(z, delta), 0.5 * d * d, delta * (z - 0.5 * delta)), reduction);
}

// (y != 1 ? max(0, margin - x) : 0) + (y != -1 ? x : 0)
Tensor hinge_embedding_loss(const Tensor& input, const Tensor& target, double margin, Reduction reduction) {
  const char* loss = "hinge_embedding_loss";
  check_floating(loss, input, "input");
  check_same_shape(loss, input, target, "target");
  const Tensor zero = zeros_like(input);
  const Tensor margin_part = where(ne(target, 1.0), clamp(margin - input, Scalar(0.0)), zero);
  const Tensor self_part = where(ne(target, -1.0), input, zero);
  return reduce(loss, margin_part + self_part, reduction);
}

// ln(1 + e^(-y x))
Tensor soft_margin_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  const char* loss = "soft_margin_loss";
  check_floating(loss, input, "input");
  check_same_shape(loss, input, target, "target");
  return reduce(loss, softplus(-input * target), reduction);
}

// -(y log_sigmoid(x) + (1 - y) log_sigmoid(-x)) w, summed over the class dim (the last) and divided by C
Tensor multilabel_soft_margin_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                                   Reduction reduction) {
  const char* loss = "multilabel_soft_margin_loss";
  check_floating(loss, input, "input");
  check_same_shape(loss, input, target, "target");
  REEL_CHECK(input.dim() >= 1, "{}: input must have a class dim, got a 0-dim tensor", loss);
  const int64_t class_dim = input.dim() - 1;
  if (weight.defined()) {
    REEL_CHECK(weight.is_floating_point() && weight.dim() == 1 && weight.size(0) == input.size(class_dim),
               "{}: weight must be a floating 1-D tensor of {} class weights, got {} of shape {}", loss,
               input.size(class_dim), dtype_name(weight.dtype()), shape_str(weight.sizes()));
  }
  Tensor terms = -(target * log_sigmoid(input) + (1.0 - target) * log_sigmoid(-input));
  if (weight.defined()) terms = terms * weight;
  return reduce(loss, terms.sum({class_dim}) / static_cast<double>(input.size(class_dim)), reduction);
}

// y = 1: 1 - cos; y = -1: max(0, cos - margin); cos = <x1, x2> / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12))
Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin,
                             Reduction reduction) {
  const char* loss = "cosine_embedding_loss";
  check_floating(loss, input1, "input1");
  check_floating(loss, input2, "input2");
  REEL_CHECK(target.defined(), "{}: target is an undefined tensor", loss);
  REEL_CHECK(input1.sizes() == input2.sizes() && (input1.dim() == 1 || input1.dim() == 2) &&
                 target.dim() == input1.dim() - 1 && (target.dim() == 0 || target.size(0) == input1.size(0)),
             "{}: expected inputs of one shape (N, D) or (D) and a target (N) or (), got input1 {}, input2 {} and "
             "target {}",
             loss, shape_str(input1.sizes()), shape_str(input2.sizes()), shape_str(target.sizes()));
  const int64_t d = input1.dim() - 1;
  constexpr double kEpsilon = 1e-12;
  const Tensor prod = (input1 * input2).sum({d});
  const Tensor mag1 = (input1 * input1).sum({d}) + kEpsilon;
  const Tensor mag2 = (input2 * input2).sum({d}) + kEpsilon;
  const Tensor cos = prod / sqrt(mag1 * mag2);
  const Tensor zero = zeros_like(cos);
  const Tensor pos = where(eq(target, 1.0), 1.0 - cos, zero);
  const Tensor neg = where(eq(target, -1.0), clamp(cos - margin, Scalar(0.0)), zero);
  return reduce(loss, pos + neg, reduction);
}

// max(0, margin + d(a, p) - d(a, n))
Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative, double margin,
                           double p, double eps, bool swap, Reduction reduction) {
  const char* loss = "triplet_margin_loss";
  check_floating(loss, anchor, "anchor");
  check_floating(loss, positive, "positive");
  check_floating(loss, negative, "negative");
  REEL_CHECK(anchor.dim() == positive.dim() && anchor.dim() == negative.dim() && anchor.dim() >= 1,
             "{}: the anchor, positive and negative tensors must have one rank (1 or more), got anchor {}, positive "
             "{} and negative {}",
             loss, shape_str(anchor.sizes()), shape_str(positive.sizes()), shape_str(negative.sizes()));
  REEL_CHECK(margin > 0, "{}: margin must be greater than 0, got {}", loss, margin);
  const Tensor d_pos = reel::pairwise_distance(anchor, positive, p, eps);
  Tensor d_neg = reel::pairwise_distance(anchor, negative, p, eps);
  if (swap) d_neg = minimum(d_neg, reel::pairwise_distance(positive, negative, p, eps));
  return reduce(loss, clamp(margin + d_pos - d_neg, Scalar(0.0)), reduction);
}

// sum_{i != y} w_y max(0, margin - x_y + x_i)^p / C
Tensor multi_margin_loss(const Tensor& input, const Tensor& target, int64_t p, double margin, const Tensor& weight,
                         Reduction reduction) {
  const char* loss = "multi_margin_loss";
  check_floating(loss, input, "input");
  check_class_target(loss, input, target);
  REEL_CHECK(p == 1 || p == 2, "{}: only p == 1 and p == 2 are supported, got {}", loss, p);
  REEL_CHECK((input.dim() == 2 && target.dim() == 1 && target.size(0) == input.size(0)) ||
                 (input.dim() == 1 && target.dim() <= 1 && target.numel() == 1),
             "{}: expected input (N, C) with target (N), or input (C) with one target, got input {} and target {}",
             loss, shape_str(input.sizes()), shape_str(target.sizes()));
  if (input.dim() == 1) {
    const Tensor per = multi_margin_loss(input.unsqueeze(0), target.reshape({1}), p, margin, weight, Reduction::None);
    return reduction == Reduction::None ? per.squeeze(0) : reduce(loss, per, reduction);
  }
  const int64_t classes = input.size(1);
  REEL_CHECK(classes > 0 || input.size(0) == 0, "{}: input {} has no classes", loss, shape_str(input.sizes()));
  if (target.numel() > 0) {
    const double lo = target.min().item<double>(), hi = target.max().item<double>();
    REEL_CHECK(lo >= 0 && hi < classes, "{}: target values must be in [0, {}), got values in [{}, {}]", loss, classes,
               lo, hi);
  }
  if (weight.defined()) {
    check_floating(loss, weight, "weight");
    REEL_CHECK(weight.dim() == 1 && weight.size(0) == classes, "{}: weight must be (C = {}), got shape {}", loss,
               classes, shape_str(weight.sizes()));
  }
  const Tensor y = target.unsqueeze(1);
  Tensor z = clamp(margin - input.gather(1, y) + input, Scalar(0.0));
  if (p == 2) z = z * z;
  if (weight.defined()) z = z * weight.index_select(0, target).unsqueeze(1);
  z = where(eq(one_hot(target, classes), 1), Scalar(0.0), z);
  return reduce(loss, z.sum({1}) / static_cast<double>(classes), reduction);
}

// sum_j sum_{i not a target} max(0, 1 - (x_{y_j} - x_i)) / C, j over the labels before the first -1
Tensor multilabel_margin_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  const char* loss = "multilabel_margin_loss";
  check_floating(loss, input, "input");
  REEL_CHECK(target.defined() && target.dtype() == kInt64 && target.sizes() == input.sizes() &&
                 (input.dim() == 1 || input.dim() == 2),
             "{}: expected input (N, C) or (C) and an int64 target of its shape, got input {} and target {} ({})",
             loss, shape_str(input.sizes()), target.defined() ? shape_str(target.sizes()) : "undefined",
             target.defined() ? dtype_name(target.dtype()) : "");
  if (input.dim() == 1) {
    const Tensor per = multilabel_margin_loss(input.unsqueeze(0), target.unsqueeze(0), Reduction::None);
    return reduction == Reduction::None ? per.squeeze(0) : reduce(loss, per, reduction);
  }
  const int64_t classes = input.size(1);
  if (target.numel() > 0) {
    const double lo = target.min().item<double>(), hi = target.max().item<double>();
    REEL_CHECK(lo >= -1 && hi < classes, "{}: target values must be in [-1, {}), got values in [{}, {}]", loss,
               classes, lo, hi);
  }
  // valid[n, j]: label j comes before the row's first -1
  const Tensor valid = cumprod(ne(target, -1).to(kInt64), 1).to(input.dtype());
  const Tensor labels = clamp(target, Scalar(0));
  const Tensor is_target =
      gt((one_hot(labels, classes).to(input.dtype()) * valid.unsqueeze(2)).sum({1}), 0.0).to(input.dtype());
  const Tensor x_label = input.gather(1, labels);  // (N, J)
  const Tensor hinge = clamp(1.0 - x_label.unsqueeze(2) + input.unsqueeze(1), Scalar(0.0));  // (N, J, C)
  const Tensor terms = hinge * valid.unsqueeze(2) * (1.0 - is_target).unsqueeze(1);
  return reduce(loss, terms.sum({1, 2}) / static_cast<double>(classes), reduction);
}

// log_input: e^x - y x; else x - y ln(x + eps); full: + (y ln y - y + ln(2 pi y) / 2) where y > 1
Tensor poisson_nll_loss(const Tensor& input, const Tensor& target, bool log_input, bool full, double eps,
                        Reduction reduction) {
  const char* loss = "poisson_nll_loss";
  check_floating(loss, input, "input");
  check_same_shape(loss, input, target, "target");
  Tensor out = log_input ? exp(input) - target * input : input - target * log(input + eps);
  if (full) {
    const Tensor safe = where(gt(target, 1.0), target, ones_like(target));
    const Tensor stirling = safe * log(safe) - safe + 0.5 * log(2.0 * std::numbers::pi * safe);
    out = out + where(gt(target, 1.0), stirling, zeros_like(stirling));
  }
  return reduce(loss, out, reduction);
}

// (ln v + (x - y)^2 / v) / 2 (+ ln(2 pi) / 2), v = var clamped at eps with var's own gradient
Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var, bool full, double eps,
                         Reduction reduction) {
  const char* loss = "gaussian_nll_loss";
  check_floating(loss, input, "input");
  check_floating(loss, target, "target");
  check_floating(loss, var, "var");
  REEL_CHECK(input.dim() >= 1 && target.sizes() == input.sizes(),
             "{}: input and target must share one shape of rank >= 1, got input {} and target {}", loss,
             shape_str(input.sizes()), shape_str(target.sizes()));
  Tensor v = var;
  const DimVector leading(IntList(input.sizes().begin(), static_cast<size_t>(input.dim() - 1)));
  if (var.sizes() != input.sizes()) {
    const bool one_less = var.sizes() == IntList(leading);
    const bool last_one = var.dim() == input.dim() && var.size(-1) == 1 &&
                          DimVector(IntList(var.sizes().begin(), static_cast<size_t>(var.dim() - 1))) == leading;
    REEL_CHECK(one_less || last_one, "{}: var is of incorrect size: {} for input {}", loss, shape_str(var.sizes()),
               shape_str(input.sizes()));
    if (one_less) v = var.unsqueeze(-1);
  }
  if (var.numel() > 0) REEL_CHECK(var.min().item<double>() >= 0, "{}: var has negative entry/entries", loss);
  REEL_CHECK(eps >= 0, "{}: eps must be non-negative, got {}", loss, eps);
  // PyTorch clamps var in place under no_grad: the value is max(var, eps), the gradient var's own
  const Tensor fixed = v.detach();
  v = v + (clamp(fixed, Scalar(eps)) - fixed);
  const Tensor d = input - target;
  Tensor out = 0.5 * (log(v) + d * d / v);
  if (full) out = out + 0.5 * std::log(2.0 * std::numbers::pi);
  return reduce(loss, out, reduction);
}

Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, IntList input_lengths, IntList target_lengths,
                int64_t blank, Reduction reduction, bool zero_infinity) {
  REEL_CHECK(reduction != Reduction::BatchMean, "ctc_loss: reduction 'batchmean' is only valid for kl_div");
  return ::reel::ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, static_cast<int64_t>(reduction),
                          zero_infinity);
}
Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                const Tensor& target_lengths, int64_t blank, Reduction reduction, bool zero_infinity) {
  REEL_CHECK(reduction != Reduction::BatchMean, "ctc_loss: reduction 'batchmean' is only valid for kl_div");
  return ::reel::ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, static_cast<int64_t>(reduction),
                          zero_infinity);
}

// ---- option overloads ----------------------------------------------------------------------------------------------
Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberLossFuncOptions& o) {
  return huber_loss(input, target, o.reduction(), o.delta());
}
Tensor hinge_embedding_loss(const Tensor& input, const Tensor& target, const HingeEmbeddingLossFuncOptions& o) {
  return hinge_embedding_loss(input, target, o.margin(), o.reduction());
}
Tensor soft_margin_loss(const Tensor& input, const Tensor& target, const SoftMarginLossFuncOptions& o) {
  return soft_margin_loss(input, target, o.reduction());
}
Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                             const CosineEmbeddingLossFuncOptions& o) {
  return cosine_embedding_loss(input1, input2, target, o.margin(), o.reduction());
}
Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative,
                           const TripletMarginLossFuncOptions& o) {
  return triplet_margin_loss(anchor, positive, negative, o.margin(), o.p(), o.eps(), o.swap(), o.reduction());
}
Tensor multi_margin_loss(const Tensor& input, const Tensor& target, const MultiMarginLossFuncOptions& o) {
  return multi_margin_loss(input, target, o.p(), o.margin(), o.weight(), o.reduction());
}
Tensor multilabel_margin_loss(const Tensor& input, const Tensor& target, const MultilabelMarginLossFuncOptions& o) {
  return multilabel_margin_loss(input, target, o.reduction());
}
Tensor multilabel_soft_margin_loss(const Tensor& input, const Tensor& target,
                                   const MultilabelSoftMarginLossFuncOptions& o) {
  return multilabel_soft_margin_loss(input, target, o.weight(), o.reduction());
}
Tensor poisson_nll_loss(const Tensor& input, const Tensor& target, const PoissonNLLLossFuncOptions& o) {
  return poisson_nll_loss(input, target, o.log_input(), o.full(), o.eps(), o.reduction());
}
Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var,
                         const GaussianNLLLossFuncOptions& o) {
  return gaussian_nll_loss(input, target, var, o.full(), o.eps(), o.reduction());
}
Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                const Tensor& target_lengths, const CTCLossFuncOptions& o) {
  return ctc_loss(log_probs, targets, input_lengths, target_lengths, o.blank(), o.reduction(), o.zero_infinity());
}

}  // namespace functional

// ---- modules -----------------------------------------------------------------------------------------------------
namespace F = functional;

HuberLossImpl::HuberLossImpl(HuberLossOptions o) : Cloneable("HuberLoss"), options(std::move(o)) {}
Tensor HuberLossImpl::forward(const Tensor& input, const Tensor& target) const {
  return F::huber_loss(input, target, options);
}
HingeEmbeddingLossImpl::HingeEmbeddingLossImpl(HingeEmbeddingLossOptions o)
    : Cloneable("HingeEmbeddingLoss"), options(std::move(o)) {}
Tensor HingeEmbeddingLossImpl::forward(const Tensor& input, const Tensor& target) const {
  return F::hinge_embedding_loss(input, target, options);
}
SoftMarginLossImpl::SoftMarginLossImpl(SoftMarginLossOptions o) : Cloneable("SoftMarginLoss"), options(std::move(o)) {}
Tensor SoftMarginLossImpl::forward(const Tensor& input, const Tensor& target) const {
  return F::soft_margin_loss(input, target, options);
}
MultiMarginLossImpl::MultiMarginLossImpl(MultiMarginLossOptions o) : Cloneable("MultiMarginLoss"), options(std::move(o)) {
  if (options.weight().defined()) register_buffer("weight", options.weight());
}
Tensor MultiMarginLossImpl::forward(const Tensor& input, const Tensor& target) const {
  return F::multi_margin_loss(input, target, options);
}
MultiLabelMarginLossImpl::MultiLabelMarginLossImpl(MultiLabelMarginLossOptions o)
    : Cloneable("MultiLabelMarginLoss"), options(std::move(o)) {}
Tensor MultiLabelMarginLossImpl::forward(const Tensor& input, const Tensor& target) const {
  return F::multilabel_margin_loss(input, target, options);
}
MultiLabelSoftMarginLossImpl::MultiLabelSoftMarginLossImpl(MultiLabelSoftMarginLossOptions o)
    : Cloneable("MultiLabelSoftMarginLoss"), options(std::move(o)) {
  if (options.weight().defined()) register_buffer("weight", options.weight());
}
Tensor MultiLabelSoftMarginLossImpl::forward(const Tensor& input, const Tensor& target) const {
  return functional::multilabel_soft_margin_loss(input, target, options.weight(), options.reduction());
}
PoissonNLLLossImpl::PoissonNLLLossImpl(PoissonNLLLossOptions o) : Cloneable("PoissonNLLLoss"), options(std::move(o)) {}
Tensor PoissonNLLLossImpl::forward(const Tensor& input, const Tensor& target) const {
  return F::poisson_nll_loss(input, target, options);
}
CosineEmbeddingLossImpl::CosineEmbeddingLossImpl(CosineEmbeddingLossOptions o)
    : Cloneable("CosineEmbeddingLoss"), options(std::move(o)) {}
Tensor CosineEmbeddingLossImpl::forward(const Tensor& input1, const Tensor& input2, const Tensor& target) const {
  return F::cosine_embedding_loss(input1, input2, target, options);
}
TripletMarginLossImpl::TripletMarginLossImpl(TripletMarginLossOptions o)
    : Cloneable("TripletMarginLoss"), options(std::move(o)) {}
Tensor TripletMarginLossImpl::forward(const Tensor& anchor, const Tensor& positive, const Tensor& negative) const {
  return F::triplet_margin_loss(anchor, positive, negative, options);
}
GaussianNLLLossImpl::GaussianNLLLossImpl(GaussianNLLLossOptions o) : Cloneable("GaussianNLLLoss"), options(std::move(o)) {}
Tensor GaussianNLLLossImpl::forward(const Tensor& input, const Tensor& target, const Tensor& var) const {
  return F::gaussian_nll_loss(input, target, var, options);
}
CTCLossImpl::CTCLossImpl(CTCLossOptions o) : Cloneable("CTCLoss"), options(std::move(o)) {}
Tensor CTCLossImpl::forward(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                            const Tensor& target_lengths) const {
  return F::ctc_loss(log_probs, targets, input_lengths, target_lengths, options);
}

}  // namespace reel::nn
