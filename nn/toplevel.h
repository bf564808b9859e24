// reel/nn/toplevel.h — the loss, dropout, normalization and distance functions LibTorch has at the top level
// (torch::nll_loss, torch::dropout, torch::group_norm, ...), from ATen's native_functions.yaml: its argument order,
// its defaults (none where ATen has none), and the integer reduction codes of at::Reduction
// (reel::Reduction::None = 0, Mean = 1, Sum = 2):
//
//   reel::nll_loss(log_probs, target, /*weight=*/{}, reel::Reduction::Sum, /*ignore_index=*/-100)
//   reel::dropout(x, 0.5, /*train=*/true)
//
// Mind the order: ATen puts `reduction` before `ignore_index` (nll_loss, cross_entropy_loss) and `pos_weight` before
// `reduction` (binary_cross_entropy_with_logits), unlike reel::nn::functional's positional forms. Each call computes
// what the reel::nn::functional loss or layer of the same meaning computes (nn/loss.h, nn/functional.h). Other
// top-level names LibTorch has (gelu, pad, layer_norm, cosine_similarity, glu, prelu, rrelu, elu, selu, celu, ...)
// are declared in nn/functional.h and tensor/ops.h.
#pragma once

#include <cstdint>

#include "../tensor/ops.h"
#include "enum.h"

namespace reel {

// ---- losses (reduction: at::Reduction's integer code) ---------------------------------------------------------------
// -w[y] x[n, y] of log-probabilities (N, C), (N, C, d1, ...) or (C); targets equal to ignore_index contribute 0
Tensor nll_loss(const Tensor& self, const Tensor& target, const Tensor& weight = {},
                int64_t reduction = Reduction::Mean, int64_t ignore_index = -100);
// nll_loss of a 4-D input (N, C, H, W) with 3-D targets (N, H, W)
Tensor nll_loss2d(const Tensor& self, const Tensor& target, const Tensor& weight = {},
                  int64_t reduction = Reduction::Mean, int64_t ignore_index = -100);
// nll_loss(log_softmax(x, class dim)) for class indices, or -sum_c w_c p_c log_softmax(x)_c for probabilities
Tensor cross_entropy_loss(const Tensor& self, const Tensor& target, const Tensor& weight = {},
                          int64_t reduction = Reduction::Mean, int64_t ignore_index = -100,
                          double label_smoothing = 0.0);
// -w (y ln x + (1 - y) ln(1 - x)), logs clamped at -100
Tensor binary_cross_entropy(const Tensor& self, const Tensor& target, const Tensor& weight = {},
                            int64_t reduction = Reduction::Mean);
// -w (p y log_sigmoid(x) + (1 - y) log_sigmoid(-x)), p = pos_weight
Tensor binary_cross_entropy_with_logits(const Tensor& self, const Tensor& target, const Tensor& weight = {},
                                        const Tensor& pos_weight = {}, int64_t reduction = Reduction::Mean);
// (x - y)^2
Tensor mse_loss(const Tensor& self, const Tensor& target, int64_t reduction = Reduction::Mean);
// |x - y|
Tensor l1_loss(const Tensor& self, const Tensor& target, int64_t reduction = Reduction::Mean);
// |d| < beta ? 0.5 d^2 / beta : |d| - 0.5 beta, d = x - y
Tensor smooth_l1_loss(const Tensor& self, const Tensor& target, int64_t reduction = Reduction::Mean,
                      double beta = 1.0);
// |d| < delta ? d^2 / 2 : delta (|d| - delta / 2), d = x - y
Tensor huber_loss(const Tensor& self, const Tensor& target, int64_t reduction = Reduction::Mean, double delta = 1.0);
// y (ln y - x) (log_target: e^y (y - x)). ATen's codes have no batchmean: F::kl_div(x, y, kBatchMean) has it.
Tensor kl_div(const Tensor& self, const Tensor& target, int64_t reduction = Reduction::Mean, bool log_target = false);
// max(0, -y (x1 - x2) + margin)
Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin = 0.0,
                           int64_t reduction = Reduction::Mean);
// (y != 1 ? max(0, margin - x) : 0) + (y != -1 ? x : 0)
Tensor hinge_embedding_loss(const Tensor& self, const Tensor& target, double margin = 1.0,
                            int64_t reduction = Reduction::Mean);
// ln(1 + e^(-y x))
Tensor soft_margin_loss(const Tensor& self, const Tensor& target, int64_t reduction = Reduction::Mean);
// y = 1: 1 - cos(x1, x2); y = -1: max(0, cos(x1, x2) - margin)
Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin = 0.0,
                             int64_t reduction = Reduction::Mean);
// max(0, margin + d(a, p) - d(a, n)), d the p-norm distance (swap: d(a, n) = min(d(a, n), d(p, n)))
Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative, double margin = 1.0,
                           double p = 2.0, double eps = 1e-6, bool swap = false, int64_t reduction = Reduction::Mean);
// sum_{i != y} w_y max(0, margin - x_y + x_i)^p / C; p is 1 or 2
Tensor multi_margin_loss(const Tensor& self, const Tensor& target, Scalar p = 1, Scalar margin = 1,
                         const Tensor& weight = {}, int64_t reduction = Reduction::Mean);
// sum_j sum_{i not a target} max(0, 1 - (x_{y_j} - x_i)) / C over the targets before the first -1
Tensor multilabel_margin_loss(const Tensor& self, const Tensor& target, int64_t reduction = Reduction::Mean);
// log_input: e^x - y x; else x - y ln(x + eps); full adds Stirling's term. No defaults, as in ATen.
Tensor poisson_nll_loss(const Tensor& input, const Tensor& target, bool log_input, bool full, double eps,
                        int64_t reduction);

// ---- dropout (no defaults, as in ATen; numbers from reel's generator) ----------------------------------------------
// train: y = x m / (1 - p), m ~ Bernoulli(1 - p) per element; otherwise y = x
Tensor dropout(const Tensor& input, double p, bool train);
// as dropout, with one draw per channel: m has shape (N, C, 1, ...) and zeroes whole channels (input of >= 2 dims)
Tensor feature_dropout(const Tensor& input, double p, bool train);
// train: kept elements (m = 1, m ~ Bernoulli(1 - p)) become a x + a alpha' p and dropped ones a alpha' (p - 1), with
// alpha' = 1.7580993408473766 and a = 1 / sqrt((alpha'^2 p + 1)(1 - p)), so SELU's zero mean and unit variance
// survive; otherwise y = x
Tensor alpha_dropout(const Tensor& input, double p, bool train);
// alpha_dropout with one draw per channel (input of >= 2 dims)
Tensor feature_alpha_dropout(const Tensor& input, double p, bool train);
// The in-place forms: the result overwrites input, which is returned.
Tensor& dropout_(Tensor& self, double p, bool train);
Tensor& feature_dropout_(Tensor& self, double p, bool train);
Tensor& alpha_dropout_(Tensor& self, double p, bool train);
Tensor& feature_alpha_dropout_(Tensor& self, double p, bool train);

// ---- normalization (ATen's argument order; cudnn flags change nothing) -------------------------------------------
// per sample n and group g of C / num_groups channels of (N, C, *): y = (x - mean) / sqrt(var + eps) (biased var),
// then weight[c] y + bias[c]
Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight = {}, const Tensor& bias = {},
                  double eps = 1e-5, bool cudnn_enabled = true);
// F::batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps) in ATen's order
Tensor batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps, bool cudnn_enabled);
// per sample and channel over the spatial dims when use_input_stats (the running stats, when given, then move
// towards the batch mean of those statistics); otherwise the running stats normalize
Tensor instance_norm(const Tensor& input, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                     const Tensor& running_var, bool use_input_stats, double momentum, double eps,
                     bool cudnn_enabled);

// ---- distances ----------------------------------------------------------------------------------------------------
// ||x_i - x_j||_p for every row pair i < j of a 2-D input (N, M), in row-major order: N (N - 1) / 2 values
Tensor pdist(const Tensor& self, double p = 2);

}  // namespace reel
