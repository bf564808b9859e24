// reel/nn/loss.h — loss functions (reel::nn::functional) and the loss modules that wrap them.
//
// Every loss is a composite of reel ops, so it differentiates through the tape like any other expression
// (gradcheck in test/test_loss.cpp), and follows PyTorch's formula, defaults and argument order:
//
//   auto loss = reel::nn::functional::cross_entropy(logits, labels);               // mean over the batch
//   reel::nn::CrossEntropyLoss criterion(reel::nn::CrossEntropyLossOptions().label_smoothing(0.1));
//   auto loss = criterion(logits, labels);
//
// `reduction` is None (one loss per element or sample), Mean (the default) or Sum. BatchMean is kl_div's extra
// mode (sum / batch size); other losses reject it. Misuse — shape mismatch, a target class out of range, integer
// inputs, wrong target dtypes — throws reel::Error naming the loss and the shapes.
//
// Differences from PyTorch: the elementwise losses (mse, l1, smooth_l1, kl_div, margin_ranking) require equal
// input and target shapes where PyTorch broadcasts them with a warning; binary_cross_entropy's gradient at an
// input of exactly 0 or 1 is 0 (PyTorch's hand-written backward divides by max(x (1 - x), 1e-12) there).
#pragma once

#include <string>

#include "../tensor/ops.h"
#include "arg.h"
#include "enum.h"
#include "module.h"

namespace reel::nn {

// "none", "mean", "sum", "batchmean" (PyTorch's spelling).
const char* reduction_name(Reduction reduction);

namespace functional {

// (x - y)^2
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
// |x - y|
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
// |d| < beta ? 0.5 d^2 / beta : |d| - 0.5 beta, d = x - y (beta = 0 is l1_loss)
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
                      double beta = 1.0);
// -w[y_n] x[n, y_n] for log-probabilities x of shape (N, C), (N, C, d1, ...) or (C); int64 targets of the shape
// without the class dim. Targets equal to ignore_index contribute 0; Mean divides by the summed weights of
// the other targets (NaN when every target is ignored, as in PyTorch).
Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight = {}, int64_t ignore_index = -100,
                Reduction reduction = Reduction::Mean);
// nll_loss(log_softmax(x, class dim)) for int64 class indices; for floating class probabilities of the input's
// shape, -sum_c w_c p_c log_softmax(x)_c per sample (Mean divides by the number of samples). label_smoothing
// eps mixes the target with the uniform distribution: (1 - eps) * nll + eps / C * sum_c -w_c log_softmax(x)_c.
Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                     int64_t ignore_index = -100, Reduction reduction = Reduction::Mean,
                     double label_smoothing = 0.0);
// -w (y max(ln x, -100) + (1 - y) max(ln(1 - x), -100)) for probabilities x in [0, 1]
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                            Reduction reduction = Reduction::Mean);
// -w (p y log_sigmoid(x) + (1 - y) log_sigmoid(-x)), p = pos_weight (broadcast against the target, usually one
// value per class), written in the stable form (1 - y) x - (1 + (p - 1) y) log_sigmoid(x), log_sigmoid(x) = min(x, 0) - ln(1 + e^-|x|)
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                                        Reduction reduction = Reduction::Mean, const Tensor& pos_weight = {});
// y (ln y - x) for log-probabilities x and probabilities y (0 where y = 0); with log_target, e^y (y - x). As in
// PyTorch 2.x, the gradient with respect to a target y that requires grad is NaN where y = 0.
// BatchMean divides the sum by the batch size (input.size(0)), which is the true KL divergence per sample.
Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
              bool log_target = false);
// max(0, -y (x1 - x2) + margin) for labels y in {1, -1}
Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin = 0.0,
                           Reduction reduction = Reduction::Mean);

// ---- more losses (nn/functional_loss_extra.cpp; options overloads take the module's options, as LibTorch's
// F::XxxFuncOptions are those) ----
// |d| < delta ? d^2 / 2 : delta (|d| - delta / 2), d = x - y
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
                  double delta = 1.0);
// (y != 1 ? max(0, margin - x) : 0) + (y != -1 ? x : 0), for labels y in {1, -1}
Tensor hinge_embedding_loss(const Tensor& input, const Tensor& target, double margin = 1.0,
                            Reduction reduction = Reduction::Mean);
// ln(1 + e^(-y x)) (written as softplus(-y x)); mean over every element
Tensor soft_margin_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
// -(y log_sigmoid(x) + (1 - y) log_sigmoid(-x)) w_c averaged over the C classes of the last dim: one loss per sample
Tensor multilabel_soft_margin_loss(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                                   Reduction reduction = Reduction::Mean);
// y = 1: 1 - cos(x1, x2); y = -1: max(0, cos(x1, x2) - margin); cos over the last dim with |x|^2 + 1e-12
Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin = 0.0,
                             Reduction reduction = Reduction::Mean);
// max(0, margin + d(a, p) - d(a, n)), d = pairwise_distance(., ., p, eps); swap: d(a, n) = min(d(a, n), d(p, n))
Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative, double margin = 1.0,
                           double p = 2.0, double eps = 1e-6, bool swap = false,
                           Reduction reduction = Reduction::Mean);
// sum_{i != y} w_y max(0, margin - x_y + x_i)^p / C per sample; input (N, C) or (C), int64 target (N) or ()
Tensor multi_margin_loss(const Tensor& input, const Tensor& target, int64_t p = 1, double margin = 1.0,
                         const Tensor& weight = {}, Reduction reduction = Reduction::Mean);
// sum_j sum_{i not a target} max(0, 1 - (x_{y_j} - x_i)) / C over the targets y_j before the first -1
Tensor multilabel_margin_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
// log_input: e^x - y x; else x - y ln(x + eps); full adds y ln y - y + ln(2 pi y) / 2 where y > 1
Tensor poisson_nll_loss(const Tensor& input, const Tensor& target, bool log_input = true, bool full = false,
                        double eps = 1e-8, Reduction reduction = Reduction::Mean);
// (ln v + (x - y)^2 / v) / 2 (+ ln(2 pi) / 2 when full), v = max(var, eps) with var's own gradient; var of the
// input's shape, or without its last dim, or with last dim 1
Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var, bool full = false,
                         double eps = 1e-6, Reduction reduction = Reduction::Mean);
// ctc_loss of tensor/ops.h with the Reduction enum (None / Mean / Sum)
Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, IntList input_lengths, IntList target_lengths,
                int64_t blank, Reduction reduction, bool zero_infinity = false);
Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                const Tensor& target_lengths, int64_t blank, Reduction reduction, bool zero_infinity = false);
using ::reel::ctc_loss;  // the integer-reduction forms (LibTorch's torch::ctc_loss)

}  // namespace functional

// ---- options ------------------------------------------------------------------------------------------------
// LibTorch's names and defaults. `reduction` takes reel::kNone / kMean / kSum (kl_div also kBatchMean) or
// nn::Reduction; the options LibTorch constructs from a reduction (MSELossOptions(reel::kSum), L1, SmoothL1, Huber,
// KLDiv, SoftMargin, MultiLabelMargin) take one here too. F::XxxFuncOptions are these structs under LibTorch's
// functional names (F::CrossEntropyFuncOptions, F::BinaryCrossEntropyFuncOptions, F::KLDivFuncOptions, ...).
struct MSELossOptions {
  // NOLINTNEXTLINE: implicit, as LibTorch's
  MSELossOptions(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}
  REEL_ARG(Reduction, reduction);
};
struct L1LossOptions {
  // NOLINTNEXTLINE: implicit, as LibTorch's
  L1LossOptions(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}
  REEL_ARG(Reduction, reduction);
};
struct SmoothL1LossOptions {
  // NOLINTNEXTLINE: implicit, as LibTorch's
  SmoothL1LossOptions(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}
  REEL_ARG(Reduction, reduction);
  REEL_ARG(double, beta) = 1.0;
};
struct NLLLossOptions {
  REEL_ARG(Tensor, weight);
  REEL_ARG(int64_t, ignore_index) = -100;
  REEL_ARG(Reduction, reduction) = Reduction::Mean;
};
struct CrossEntropyLossOptions {
  REEL_ARG(Tensor, weight);
  REEL_ARG(int64_t, ignore_index) = -100;
  REEL_ARG(Reduction, reduction) = Reduction::Mean;
  REEL_ARG(double, label_smoothing) = 0.0;
};
struct BCELossOptions {
  REEL_ARG(Tensor, weight);
  REEL_ARG(Reduction, reduction) = Reduction::Mean;
};
struct BCEWithLogitsLossOptions {
  REEL_ARG(Tensor, weight);
  REEL_ARG(Reduction, reduction) = Reduction::Mean;
  REEL_ARG(Tensor, pos_weight);
};
struct KLDivLossOptions {
  // NOLINTNEXTLINE: implicit, as LibTorch's
  KLDivLossOptions(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}
  REEL_ARG(Reduction, reduction);
  REEL_ARG(bool, log_target) = false;
};
struct MarginRankingLossOptions {
  REEL_ARG(double, margin) = 0.0;
  REEL_ARG(Reduction, reduction) = Reduction::Mean;
};
struct HuberLossOptions {
  // NOLINTNEXTLINE: implicit, as LibTorch's
  HuberLossOptions(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}
  REEL_ARG(Reduction, reduction);
  REEL_ARG(double, delta) = 1.0;
};
struct HingeEmbeddingLossOptions {
  REEL_ARG(double, margin) = 1.0;
  REEL_ARG(Reduction, reduction) = Reduction::Mean;
};
struct SoftMarginLossOptions {
  // NOLINTNEXTLINE: implicit, as LibTorch's
  SoftMarginLossOptions(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}
  REEL_ARG(Reduction, reduction);
};
struct CosineEmbeddingLossOptions {
  REEL_ARG(double, margin) = 0.0;
  REEL_ARG(Reduction, reduction) = Reduction::Mean;
};
struct TripletMarginLossOptions {
  REEL_ARG(double, margin) = 1.0;
  REEL_ARG(double, p) = 2.0;
  REEL_ARG(double, eps) = 1e-6;
  REEL_ARG(bool, swap) = false;
  REEL_ARG(Reduction, reduction) = Reduction::Mean;
};
struct MultiMarginLossOptions {
  REEL_ARG(int64_t, p) = 1;
  REEL_ARG(double, margin) = 1.0;
  REEL_ARG(Tensor, weight);
  REEL_ARG(Reduction, reduction) = Reduction::Mean;
};
struct MultiLabelMarginLossOptions {
  // NOLINTNEXTLINE: implicit, as LibTorch's
  MultiLabelMarginLossOptions(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}
  REEL_ARG(Reduction, reduction);
};
struct MultiLabelSoftMarginLossOptions {
  REEL_ARG(Tensor, weight);
  REEL_ARG(Reduction, reduction) = Reduction::Mean;
};
struct PoissonNLLLossOptions {
  REEL_ARG(bool, log_input) = true;
  REEL_ARG(bool, full) = false;
  REEL_ARG(double, eps) = 1e-8;
  REEL_ARG(Reduction, reduction) = Reduction::Mean;
};
struct GaussianNLLLossOptions {
  REEL_ARG(bool, full) = false;
  REEL_ARG(double, eps) = 1e-6;
  REEL_ARG(Reduction, reduction) = Reduction::Mean;
};
struct CTCLossOptions {
  REEL_ARG(int64_t, blank) = 0;
  REEL_ARG(Reduction, reduction) = Reduction::Mean;
  REEL_ARG(bool, zero_infinity) = false;
};

namespace functional {
using MSELossFuncOptions = MSELossOptions;
using L1LossFuncOptions = L1LossOptions;
using SmoothL1LossFuncOptions = SmoothL1LossOptions;
using NLLLossFuncOptions = NLLLossOptions;
using CrossEntropyFuncOptions = CrossEntropyLossOptions;
using BinaryCrossEntropyFuncOptions = BCELossOptions;
using BinaryCrossEntropyWithLogitsFuncOptions = BCEWithLogitsLossOptions;
using KLDivFuncOptions = KLDivLossOptions;
using MarginRankingLossFuncOptions = MarginRankingLossOptions;
// The option forms have no default argument: F::mse_loss(x, y) stays the positional call (same result).
Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& options);
Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossFuncOptions& options);
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1LossFuncOptions& options);
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossFuncOptions& options);
Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyFuncOptions& options);
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const BinaryCrossEntropyFuncOptions& options);
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BinaryCrossEntropyWithLogitsFuncOptions& options);
Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivFuncOptions& options);
Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                           const MarginRankingLossFuncOptions& options);
using HuberLossFuncOptions = HuberLossOptions;
using HingeEmbeddingLossFuncOptions = HingeEmbeddingLossOptions;
using SoftMarginLossFuncOptions = SoftMarginLossOptions;
using CosineEmbeddingLossFuncOptions = CosineEmbeddingLossOptions;
using TripletMarginLossFuncOptions = TripletMarginLossOptions;
using MultiMarginLossFuncOptions = MultiMarginLossOptions;
using MultilabelMarginLossFuncOptions = MultiLabelMarginLossOptions;
using MultilabelSoftMarginLossFuncOptions = MultiLabelSoftMarginLossOptions;
using PoissonNLLLossFuncOptions = PoissonNLLLossOptions;
using GaussianNLLLossFuncOptions = GaussianNLLLossOptions;
using CTCLossFuncOptions = CTCLossOptions;
Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberLossFuncOptions& options);
Tensor hinge_embedding_loss(const Tensor& input, const Tensor& target, const HingeEmbeddingLossFuncOptions& options);
Tensor soft_margin_loss(const Tensor& input, const Tensor& target, const SoftMarginLossFuncOptions& options);
Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                             const CosineEmbeddingLossFuncOptions& options);
Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative,
                           const TripletMarginLossFuncOptions& options);
Tensor multi_margin_loss(const Tensor& input, const Tensor& target, const MultiMarginLossFuncOptions& options);
Tensor multilabel_margin_loss(const Tensor& input, const Tensor& target, const MultilabelMarginLossFuncOptions& options);
Tensor multilabel_soft_margin_loss(const Tensor& input, const Tensor& target,
                                   const MultilabelSoftMarginLossFuncOptions& options);
Tensor poisson_nll_loss(const Tensor& input, const Tensor& target, const PoissonNLLLossFuncOptions& options);
Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var,
                         const GaussianNLLLossFuncOptions& options);
Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                const Tensor& target_lengths, const CTCLossFuncOptions& options);
}  // namespace functional

// ---- modules ------------------------------------------------------------------------------------------------
// Each holds its options; class weights and pos_weight are registered as buffers "weight" / "pos_weight" (so
// they follow `to(device)` and appear in state_dict, as in PyTorch) when given.
class MSELossImpl : public Cloneable<MSELossImpl> {
 public:
  explicit MSELossImpl(MSELossOptions options = {});
  // MSELoss(reel::kSum)
  explicit MSELossImpl(Reduction reduction) : MSELossImpl(MSELossOptions(reduction)) {}
  Tensor forward(const Tensor& input, const Tensor& target) const;
  MSELossOptions options;
};

class L1LossImpl : public Cloneable<L1LossImpl> {
 public:
  explicit L1LossImpl(L1LossOptions options = {});
  // L1Loss(reel::kSum)
  explicit L1LossImpl(Reduction reduction) : L1LossImpl(L1LossOptions(reduction)) {}
  Tensor forward(const Tensor& input, const Tensor& target) const;
  L1LossOptions options;
};

class SmoothL1LossImpl : public Cloneable<SmoothL1LossImpl> {
 public:
  explicit SmoothL1LossImpl(SmoothL1LossOptions options = {});
  // SmoothL1Loss(reel::kSum)
  explicit SmoothL1LossImpl(Reduction reduction) : SmoothL1LossImpl(SmoothL1LossOptions(reduction)) {}
  Tensor forward(const Tensor& input, const Tensor& target) const;
  SmoothL1LossOptions options;
};

class NLLLossImpl : public Cloneable<NLLLossImpl> {
 public:
  explicit NLLLossImpl(NLLLossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target) const;
  NLLLossOptions options;
};

class CrossEntropyLossImpl : public Cloneable<CrossEntropyLossImpl> {
 public:
  explicit CrossEntropyLossImpl(CrossEntropyLossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target) const;
  CrossEntropyLossOptions options;
};

class BCELossImpl : public Cloneable<BCELossImpl> {
 public:
  explicit BCELossImpl(BCELossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target) const;
  BCELossOptions options;
};

class BCEWithLogitsLossImpl : public Cloneable<BCEWithLogitsLossImpl> {
 public:
  explicit BCEWithLogitsLossImpl(BCEWithLogitsLossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target) const;
  BCEWithLogitsLossOptions options;
};

class KLDivLossImpl : public Cloneable<KLDivLossImpl> {
 public:
  explicit KLDivLossImpl(KLDivLossOptions options = {});
  // KLDivLoss(reel::kSum)
  explicit KLDivLossImpl(Reduction reduction) : KLDivLossImpl(KLDivLossOptions(reduction)) {}
  Tensor forward(const Tensor& input, const Tensor& target) const;
  KLDivLossOptions options;
};

class MarginRankingLossImpl : public Cloneable<MarginRankingLossImpl> {
 public:
  explicit MarginRankingLossImpl(MarginRankingLossOptions options = {});
  Tensor forward(const Tensor& input1, const Tensor& input2, const Tensor& target) const;
  MarginRankingLossOptions options;
};

// The losses of nn/functional_loss_extra.cpp (MultiMarginLoss and MultiLabelSoftMarginLoss register a given weight
// as the buffer "weight").
#define REEL_LOSS_MODULE_2(Name)                        \
  class Name##Impl : public Cloneable<Name##Impl> {     \
   public:                                              \
    explicit Name##Impl(Name##Options options = {});    \
    Tensor forward(const Tensor& input, const Tensor& target) const; \
    Name##Options options;                              \
  };
REEL_LOSS_MODULE_2(HuberLoss)
REEL_LOSS_MODULE_2(HingeEmbeddingLoss)
REEL_LOSS_MODULE_2(SoftMarginLoss)
REEL_LOSS_MODULE_2(MultiMarginLoss)
REEL_LOSS_MODULE_2(MultiLabelMarginLoss)
REEL_LOSS_MODULE_2(MultiLabelSoftMarginLoss)
REEL_LOSS_MODULE_2(PoissonNLLLoss)
#undef REEL_LOSS_MODULE_2

class CosineEmbeddingLossImpl : public Cloneable<CosineEmbeddingLossImpl> {
 public:
  explicit CosineEmbeddingLossImpl(CosineEmbeddingLossOptions options = {});
  Tensor forward(const Tensor& input1, const Tensor& input2, const Tensor& target) const;
  CosineEmbeddingLossOptions options;
};

class TripletMarginLossImpl : public Cloneable<TripletMarginLossImpl> {
 public:
  explicit TripletMarginLossImpl(TripletMarginLossOptions options = {});
  Tensor forward(const Tensor& anchor, const Tensor& positive, const Tensor& negative) const;
  TripletMarginLossOptions options;
};

class GaussianNLLLossImpl : public Cloneable<GaussianNLLLossImpl> {
 public:
  explicit GaussianNLLLossImpl(GaussianNLLLossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target, const Tensor& var) const;
  GaussianNLLLossOptions options;
};

class CTCLossImpl : public Cloneable<CTCLossImpl> {
 public:
  explicit CTCLossImpl(CTCLossOptions options = {});
  Tensor forward(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                 const Tensor& target_lengths) const;
  CTCLossOptions options;
};

REEL_MODULE(MSELoss);
REEL_MODULE(L1Loss);
REEL_MODULE(SmoothL1Loss);
REEL_MODULE(NLLLoss);
REEL_MODULE(CrossEntropyLoss);
REEL_MODULE(BCELoss);
REEL_MODULE(BCEWithLogitsLoss);
REEL_MODULE(KLDivLoss);
REEL_MODULE(MarginRankingLoss);
REEL_MODULE(HuberLoss);
REEL_MODULE(HingeEmbeddingLoss);
REEL_MODULE(SoftMarginLoss);
REEL_MODULE(CosineEmbeddingLoss);
REEL_MODULE(TripletMarginLoss);
REEL_MODULE(MultiMarginLoss);
REEL_MODULE(MultiLabelMarginLoss);
REEL_MODULE(MultiLabelSoftMarginLoss);
REEL_MODULE(PoissonNLLLoss);
REEL_MODULE(GaussianNLLLoss);
REEL_MODULE(CTCLoss);

}  // namespace reel::nn
