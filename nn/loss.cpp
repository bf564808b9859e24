// reel/nn/loss.cpp — the losses of nn/loss.h, each a composite of reel ops (so autograd needs nothing extra).
//
// Each function checks its arguments first (defined, floating inputs, the target dtype, shapes, class indices in
// range) and throws reel::Error naming the loss and the shapes; then it builds the per-element loss with ops
// whose gradients are finite everywhere the loss is (logs of clamped or masked arguments, where-selected
// branches), and reduces it. The formulas are PyTorch's (aten/src/ATen/native/Loss.cpp, LossNLL.cpp).
#include "loss.h"

#include <vector>

#include "../tensor/error_format.h"

namespace reel::nn {

const char* reduction_name(Reduction reduction) {
  switch (reduction) {
    case Reduction::None: return "none";
    case Reduction::Mean: return "mean";
    case Reduction::Sum: return "sum";
    case Reduction::BatchMean: return "batchmean";
  }
  return "unknown";
}

namespace functional {
namespace {

void check_defined(const char* loss, const Tensor& t, const char* what) {
  REEL_CHECK(t.defined(), "{}: {} is an undefined tensor", loss, what);
}

void check_floating(const char* loss, const Tensor& t, const char* what) {
  check_defined(loss, t, what);
  REEL_CHECK(t.is_floating_point(), "{}: {} must have a floating dtype, got {} (shape {})", loss, what,
             dtype_name(t.dtype()), shape_str(t.sizes()));
}

void check_same_shape(const char* loss, const Tensor& input, const Tensor& target, const char* what = "target") {
  REEL_CHECK(input.sizes() == target.sizes(), "{}: {} shape {} differs from input shape {}", loss, what,
             shape_str(target.sizes()), shape_str(input.sizes()));
}

// An optional weight must broadcast to `shape` without growing it (trailing dims equal or 1).
void check_weight_broadcasts(const char* loss, const Tensor& weight, IntList shape, const char* what) {
  if (!weight.defined()) return;
  REEL_CHECK(weight.is_floating_point(), "{}: {} must have a floating dtype, got {}", loss, what,
             dtype_name(weight.dtype()));
  bool broadcasts = weight.dim() <= static_cast<int64_t>(shape.size());
  for (int64_t d = 1; broadcasts && d <= weight.dim(); ++d) {
    const int64_t size = weight.size(-d);
    broadcasts = size == 1 || size == shape[shape.size() - static_cast<size_t>(d)];
  }
  REEL_CHECK(broadcasts, "{}: {} of shape {} does not broadcast to the input shape {}", loss, what,
             shape_str(weight.sizes()), shape_str(shape));
}

// BatchMean is kl_div's alone.
void check_not_batchmean(const char* loss, Reduction reduction) {
  REEL_CHECK(reduction != Reduction::BatchMean, "{}: reduction 'batchmean' is only valid for kl_div (use none, "
             "mean or sum)", loss);
}

// None / Mean / Sum of an elementwise loss.
Tensor reduce(const char* loss, const Tensor& losses, Reduction reduction) {
  check_not_batchmean(loss, reduction);
  if (reduction == Reduction::None) return losses;
  return reduction == Reduction::Sum ? losses.sum() : losses.mean();
}

// max(ln x, -100) with a zero gradient where x <= 0 (no 0 * inf on the way back).
Tensor clamped_log(const Tensor& x) {
  const Tensor positive = gt(x, 0);
  return where(positive, clamp(log(where(positive, x, Scalar(1))), -100), Scalar(-100));
}

// The per-target terms of nll_loss: loss_n = -w[y_n] x[n, y_n] (0 for ignored targets) and the weights w[y_n]
// (0 for ignored targets) that Mean divides by.
struct NllTerms {
  Tensor losses;
  Tensor sample_weights;  // undefined when every weight is 1 (no class weights, no ignored target)
  DimVector target_sizes;

  // w[y_n] per target (ones when sample_weights is undefined)
  Tensor weights() const { return sample_weights.defined() ? sample_weights : ones(target_sizes, losses.options()); }
};

NllTerms nll_terms(const char* loss, const Tensor& input, const Tensor& target, const Tensor& weight,
                   int64_t ignore_index) {
  check_floating(loss, input, "input");
  check_defined(loss, target, "target");
  REEL_CHECK(target.dtype() == kInt64, "{}: target must hold int64 class indices, got {} (input shape {}, target {})",
             loss, dtype_name(target.dtype()), shape_str(input.sizes()), shape_str(target.sizes()));
  REEL_CHECK(input.dim() >= 1, "{}: input must have a class dim, got a 0-dim tensor", loss);
  const bool unbatched = input.dim() == 1;
  const Tensor batched_input = unbatched ? input.unsqueeze(0) : input;
  const Tensor batched_target = unbatched ? target.unsqueeze(0) : target;
  // The target has the input's shape without the class dim (dim 1).
  DimVector expected;
  for (int64_t d = 0; d < batched_input.dim(); ++d) {
    if (d != 1) expected.push_back(batched_input.size(d));
  }
  REEL_CHECK(batched_target.sizes() == IntList(expected),
             "{}: target shape {} does not match input shape {} (expected {}: the input's shape without the class "
             "dim)",
             loss, shape_str(target.sizes()), shape_str(input.sizes()),
             shape_str(unbatched ? IntList{} : IntList(expected)));
  const int64_t classes = batched_input.size(1);
  if (weight.defined()) {
    REEL_CHECK(weight.is_floating_point() && weight.dim() == 1 && weight.size(0) == classes,
               "{}: weight must be a floating 1-D tensor of {} class weights, got {} of shape {}", loss, classes,
               dtype_name(weight.dtype()), shape_str(weight.sizes()));
  }
  bool any_ignored = false;
  for (int64_t label : target.to_vector<int64_t>()) {
    REEL_CHECK(label == ignore_index || (label >= 0 && label < classes),
               "{}: target {} is out of bounds for {} classes (input shape {}, target shape {}, ignore_index {})",
               loss, label, classes, shape_str(input.sizes()), shape_str(target.sizes()), ignore_index);
    any_ignored |= label == ignore_index;
  }
  if (!weight.defined() && !any_ignored) {
    // Every weight is 1: loss_n = -x[n, y_n], and Mean's divisor is the number of targets (weights made on demand).
    const Tensor picked = batched_input.gather(1, batched_target.unsqueeze(1)).squeeze(1);
    const Tensor losses = neg(picked);
    return {unbatched ? losses.squeeze(0) : losses, Tensor(), target.sizes()};
  }
  const Tensor ignored = eq(batched_target, ignore_index);
  const Tensor safe_target = masked_fill(batched_target, ignored, 0);
  const Tensor picked = batched_input.gather(1, safe_target.unsqueeze(1)).squeeze(1);
  Tensor sample_weights = weight.defined()
                              ? weight.index_select(0, safe_target.flatten()).reshape(batched_target.sizes())
                              : ones(batched_target.sizes(), batched_input.options());
  sample_weights = masked_fill(sample_weights, ignored, 0);
  Tensor losses = neg(picked * sample_weights);
  if (unbatched) return {losses.squeeze(0), sample_weights.squeeze(0), target.sizes()};
  return {losses, sample_weights, target.sizes()};
}

Tensor reduce_nll(const char* loss, const NllTerms& terms, Reduction reduction) {
  check_not_batchmean(loss, reduction);
  // Mean: sum_n loss_n / sum_n w[y_n] over the targets that are not ignored
  if (reduction == Reduction::Mean) return terms.losses.sum() / terms.weights().sum();
  return reduce(loss, terms.losses, reduction);
}

// The class weights shaped (1, C, 1, ...) to broadcast along `class_dim` of an input of `ndim` dims.
Tensor weight_along_class_dim(const Tensor& weight, int64_t ndim, int64_t class_dim) {
  DimVector shape(static_cast<size_t>(ndim), 1);
  shape[static_cast<size_t>(class_dim)] = weight.size(0);
  return weight.reshape(shape);
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_floating("mse_loss", input, "input");
  check_floating("mse_loss", target, "target");
  check_same_shape("mse_loss", input, target);
  return reduce("mse_loss", square(input - target), reduction);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_floating("l1_loss", input, "input");
  check_floating("l1_loss", target, "target");
  check_same_shape("l1_loss", input, target);
  return reduce("l1_loss", abs(input - target), reduction);
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta) {
  check_floating("smooth_l1_loss", input, "input");
  check_floating("smooth_l1_loss", target, "target");
  check_same_shape("smooth_l1_loss", input, target);
  REEL_CHECK(beta >= 0, "smooth_l1_loss: beta must be non-negative, got {}", beta);
  const Tensor difference = input - target;
  const Tensor magnitude = abs(difference);
  if (beta == 0) return reduce("smooth_l1_loss", magnitude, reduction);
  const Tensor losses = where(lt(magnitude, beta), square(difference) * (0.5 / beta), magnitude - 0.5 * beta);
  return reduce("smooth_l1_loss", losses, reduction);
}

Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                Reduction reduction) {
  return reduce_nll("nll_loss", nll_terms("nll_loss", input, target, weight, ignore_index), reduction);
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                     Reduction reduction, double label_smoothing) {
  const char* loss = "cross_entropy";
  check_floating(loss, input, "input");
  check_defined(loss, target, "target");
  REEL_CHECK(input.dim() >= 1, "{}: input must have a class dim, got a 0-dim tensor", loss);
  REEL_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0, "{}: label_smoothing must lie in [0, 1], got {}",
             loss, label_smoothing);
  check_not_batchmean(loss, reduction);
  const int64_t class_dim = input.dim() == 1 ? 0 : 1;
  const int64_t classes = input.size(class_dim);
  const Tensor log_probs = log_softmax(input, class_dim);

  if (target.is_floating_point()) {
    // Class probabilities: loss_n = -sum_c w_c p_nc log_softmax(x)_nc, p smoothed towards 1/C.
    REEL_CHECK(target.sizes() == input.sizes(),
               "{}: a floating target holds class probabilities and must have the input's shape {}, got {}", loss,
               shape_str(input.sizes()), shape_str(target.sizes()));
    REEL_CHECK(ignore_index < 0, "{}: ignore_index ({}) is not supported for class-probability targets", loss,
               ignore_index);
    if (weight.defined()) {
      REEL_CHECK(weight.is_floating_point() && weight.dim() == 1 && weight.size(0) == classes,
                 "{}: weight must be a floating 1-D tensor of {} class weights, got {} of shape {}", loss, classes,
                 dtype_name(weight.dtype()), shape_str(weight.sizes()));
    }
    const Tensor probabilities =
        label_smoothing > 0 ? target * (1 - label_smoothing) + label_smoothing / static_cast<double>(classes) : target;
    Tensor terms = log_probs * probabilities;
    if (weight.defined()) terms = terms * weight_along_class_dim(weight, input.dim(), class_dim);
    switch (reduction) {
      case Reduction::None: return neg(terms.sum({class_dim}));
      case Reduction::Sum: return neg(terms.sum());
      default: return neg(terms.sum()) / static_cast<double>(input.numel() / std::max<int64_t>(classes, 1));
    }
  }

  // Class indices: (1 - eps) nll + eps / C * sum_c -w_c log_softmax(x)_c, ignored targets contributing 0.
  const NllTerms terms = nll_terms(loss, log_probs, target, weight, ignore_index);
  const Tensor nll = reduce_nll(loss, terms, reduction);
  if (label_smoothing == 0.0) return nll;
  const Tensor weighted_log_probs =
      weight.defined() ? log_probs * weight_along_class_dim(weight, input.dim(), class_dim) : log_probs;
  const Tensor smooth = masked_fill(neg(weighted_log_probs.sum({class_dim})), eq(target, ignore_index), 0);
  Tensor smooth_reduced;
  switch (reduction) {
    case Reduction::None: smooth_reduced = smooth; break;
    case Reduction::Sum: smooth_reduced = smooth.sum(); break;
    default: smooth_reduced = smooth.sum() / terms.weights().sum(); break;
  }
  return nll * (1 - label_smoothing) + smooth_reduced * (label_smoothing / static_cast<double>(classes));
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction) {
  const char* loss = "binary_cross_entropy";
  check_floating(loss, input, "input");
  check_floating(loss, target, "target");
  check_same_shape(loss, input, target);
  check_weight_broadcasts(loss, weight, input.sizes(), "weight");
  const bool in_range = all(logical_and(ge(input, 0), le(input, 1))).item<bool>();
  REEL_CHECK(in_range, "{}: every input value must lie in [0, 1] (probabilities; use "
                       "binary_cross_entropy_with_logits for logits), input shape {}",
             loss, shape_str(input.sizes()));
  // -w (y max(ln x, -100) + (1 - y) max(ln(1 - x), -100))
  Tensor losses = neg(target * clamped_log(input) + (1 - target) * clamped_log(1 - input));
  if (weight.defined()) losses = losses * weight;
  return reduce(loss, losses, reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        Reduction reduction, const Tensor& pos_weight) {
  const char* loss = "binary_cross_entropy_with_logits";
  check_floating(loss, input, "input");
  check_floating(loss, target, "target");
  check_same_shape(loss, input, target);
  check_weight_broadcasts(loss, weight, input.sizes(), "weight");
  check_weight_broadcasts(loss, pos_weight, input.sizes(), "pos_weight");
  // ln sigmoid(x), one kernel op computed as min(x, 0) - ln(1 + e^-|x|): finite for every x
  Tensor log_probability = reel::log_sigmoid(input);
  // (1 - y) x - (1 + (p - 1) y) log_sigmoid(x)
  if (pos_weight.defined()) log_probability = log_probability * ((pos_weight - 1) * target + 1);
  Tensor losses = (1 - target) * input - log_probability;
  if (weight.defined()) losses = losses * weight;
  return reduce(loss, losses, reduction);
}

Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction, bool log_target) {
  const char* loss = "kl_div";
  check_floating(loss, input, "input");
  check_floating(loss, target, "target");
  check_same_shape(loss, input, target);
  Tensor losses;
  if (log_target) {
    // e^y (y - x)
    losses = exp(target) * (target - input);
  } else {
    // xlogy(y, y) - y x, with 0 ln 0 = 0. Differentiated as PyTorch 2.x differentiates its composite: d/dy =
    // ln y + y / y - x, NaN where y = 0 (the masked branch's zero gradient meets ln 0 and 0 / 0 on the way back).
    losses = where(eq(target, 0), Scalar(0), target * log(target)) - target * input;
  }
  if (reduction != Reduction::BatchMean) return reduce(loss, losses, reduction);
  // sum / batch size
  return input.dim() == 0 ? losses.sum() : losses.sum() / static_cast<double>(input.size(0));
}

Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin,
                           Reduction reduction) {
  const char* loss = "margin_ranking_loss";
  check_floating(loss, input1, "input1");
  check_floating(loss, input2, "input2");
  check_defined(loss, target, "target");
  check_same_shape(loss, input1, input2, "input2");
  check_same_shape(loss, input1, target);
  // max(0, -y (x1 - x2) + margin)
  return reduce(loss, clamp(neg(target) * (input1 - input2) + margin, 0), reduction);
}

// ---- LibTorch's option forms ----
Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& options) {
  return mse_loss(input, target, options.reduction());
}
Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossFuncOptions& options) {
  return l1_loss(input, target, options.reduction());
}
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1LossFuncOptions& options) {
  return smooth_l1_loss(input, target, options.reduction(), options.beta());
}
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossFuncOptions& options) {
  return nll_loss(input, target, options.weight(), options.ignore_index(), options.reduction());
}
Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyFuncOptions& options) {
  return cross_entropy(input, target, options.weight(), options.ignore_index(), options.reduction(),
                       options.label_smoothing());
}
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const BinaryCrossEntropyFuncOptions& options) {
  return binary_cross_entropy(input, target, options.weight(), options.reduction());
}
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BinaryCrossEntropyWithLogitsFuncOptions& options) {
  return binary_cross_entropy_with_logits(input, target, options.weight(), options.reduction(), options.pos_weight());
}
Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivFuncOptions& options) {
  return kl_div(input, target, options.reduction(), options.log_target());
}
Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                           const MarginRankingLossFuncOptions& options) {
  return margin_ranking_loss(input1, input2, target, options.margin(), options.reduction());
}

}  // namespace functional

// ---- modules ------------------------------------------------------------------------------------------------
namespace {
void register_if_defined(Module& module, const char* name, const Tensor& tensor) {
  if (tensor.defined()) module.register_buffer(name, tensor);
}
}  // namespace

MSELossImpl::MSELossImpl(MSELossOptions loss_options) : Cloneable("MSELoss"), options(std::move(loss_options)) {}
Tensor MSELossImpl::forward(const Tensor& input, const Tensor& target) const {
  return functional::mse_loss(input, target, options.reduction());
}

L1LossImpl::L1LossImpl(L1LossOptions loss_options) : Cloneable("L1Loss"), options(std::move(loss_options)) {}
Tensor L1LossImpl::forward(const Tensor& input, const Tensor& target) const {
  return functional::l1_loss(input, target, options.reduction());
}

SmoothL1LossImpl::SmoothL1LossImpl(SmoothL1LossOptions loss_options)
    : Cloneable("SmoothL1Loss"), options(std::move(loss_options)) {}
Tensor SmoothL1LossImpl::forward(const Tensor& input, const Tensor& target) const {
  return functional::smooth_l1_loss(input, target, options.reduction(), options.beta());
}

NLLLossImpl::NLLLossImpl(NLLLossOptions loss_options) : Cloneable("NLLLoss"), options(std::move(loss_options)) {
  register_if_defined(*this, "weight", options.weight());
}
Tensor NLLLossImpl::forward(const Tensor& input, const Tensor& target) const {
  return functional::nll_loss(input, target, options.weight(), options.ignore_index(), options.reduction());
}

CrossEntropyLossImpl::CrossEntropyLossImpl(CrossEntropyLossOptions loss_options)
    : Cloneable("CrossEntropyLoss"), options(std::move(loss_options)) {
  register_if_defined(*this, "weight", options.weight());
}
Tensor CrossEntropyLossImpl::forward(const Tensor& input, const Tensor& target) const {
  return functional::cross_entropy(input, target, options.weight(), options.ignore_index(), options.reduction(),
                                   options.label_smoothing());
}

BCELossImpl::BCELossImpl(BCELossOptions loss_options) : Cloneable("BCELoss"), options(std::move(loss_options)) {
  register_if_defined(*this, "weight", options.weight());
}
Tensor BCELossImpl::forward(const Tensor& input, const Tensor& target) const {
  return functional::binary_cross_entropy(input, target, options.weight(), options.reduction());
}

BCEWithLogitsLossImpl::BCEWithLogitsLossImpl(BCEWithLogitsLossOptions loss_options)
    : Cloneable("BCEWithLogitsLoss"), options(std::move(loss_options)) {
  register_if_defined(*this, "weight", options.weight());
  register_if_defined(*this, "pos_weight", options.pos_weight());
}
Tensor BCEWithLogitsLossImpl::forward(const Tensor& input, const Tensor& target) const {
  return functional::binary_cross_entropy_with_logits(input, target, options.weight(), options.reduction(),
                                                      options.pos_weight());
}

KLDivLossImpl::KLDivLossImpl(KLDivLossOptions loss_options) : Cloneable("KLDivLoss"), options(std::move(loss_options)) {}
Tensor KLDivLossImpl::forward(const Tensor& input, const Tensor& target) const {
  return functional::kl_div(input, target, options.reduction(), options.log_target());
}

MarginRankingLossImpl::MarginRankingLossImpl(MarginRankingLossOptions loss_options)
    : Cloneable("MarginRankingLoss"), options(std::move(loss_options)) {}
Tensor MarginRankingLossImpl::forward(const Tensor& input1, const Tensor& input2, const Tensor& target) const {
  return functional::margin_ranking_loss(input1, input2, target, options.margin(), options.reduction());
}

}  // namespace reel::nn
