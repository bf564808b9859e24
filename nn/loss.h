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
#include "module.h"

namespace reel::nn {

enum class Reduction { None, Mean, Sum, BatchMean };

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

}  // namespace functional

// ---- options ------------------------------------------------------------------------------------------------
struct MSELossOptions {
  REEL_ARG(Reduction, reduction) = Reduction::Mean;
};
struct L1LossOptions {
  REEL_ARG(Reduction, reduction) = Reduction::Mean;
};
struct SmoothL1LossOptions {
  REEL_ARG(Reduction, reduction) = Reduction::Mean;
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
  REEL_ARG(Reduction, reduction) = Reduction::Mean;
  REEL_ARG(bool, log_target) = false;
};
struct MarginRankingLossOptions {
  REEL_ARG(double, margin) = 0.0;
  REEL_ARG(Reduction, reduction) = Reduction::Mean;
};

// ---- modules ------------------------------------------------------------------------------------------------
// Each holds its options; class weights and pos_weight are registered as buffers "weight" / "pos_weight" (so
// they follow `to(device)` and appear in state_dict, as in PyTorch) when given.
class MSELossImpl : public Module {
 public:
  explicit MSELossImpl(MSELossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target) const;
  MSELossOptions options;
};

class L1LossImpl : public Module {
 public:
  explicit L1LossImpl(L1LossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target) const;
  L1LossOptions options;
};

class SmoothL1LossImpl : public Module {
 public:
  explicit SmoothL1LossImpl(SmoothL1LossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target) const;
  SmoothL1LossOptions options;
};

class NLLLossImpl : public Module {
 public:
  explicit NLLLossImpl(NLLLossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target) const;
  NLLLossOptions options;
};

class CrossEntropyLossImpl : public Module {
 public:
  explicit CrossEntropyLossImpl(CrossEntropyLossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target) const;
  CrossEntropyLossOptions options;
};

class BCELossImpl : public Module {
 public:
  explicit BCELossImpl(BCELossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target) const;
  BCELossOptions options;
};

class BCEWithLogitsLossImpl : public Module {
 public:
  explicit BCEWithLogitsLossImpl(BCEWithLogitsLossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target) const;
  BCEWithLogitsLossOptions options;
};

class KLDivLossImpl : public Module {
 public:
  explicit KLDivLossImpl(KLDivLossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target) const;
  KLDivLossOptions options;
};

class MarginRankingLossImpl : public Module {
 public:
  explicit MarginRankingLossImpl(MarginRankingLossOptions options = {});
  Tensor forward(const Tensor& input1, const Tensor& input2, const Tensor& target) const;
  MarginRankingLossOptions options;
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

}  // namespace reel::nn
