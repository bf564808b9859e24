// reel/test/test_loss.cpp — the losses of nn/loss.h against naive float64 references written here as loops:
// every reduction, class weights, ignore_index, label smoothing, class-probability targets, pos_weight,
// log targets, unbatched and (N, C, d) inputs, extreme inputs (BCE's -100 clamp, large logits), the loss
// modules, gradcheck of every loss, and the error messages.
#include <cmath>
#include <cstdint>
#include <vector>

#include "autograd_test_utils.h"
#include "reduce_reference.h"

using namespace reduce_test;
using reel::Tensor;
using reel::nn::Reduction;
namespace F = reel::nn::functional;

namespace {

const Reduction kReductions[] = {Reduction::None, Reduction::Mean, Reduction::Sum};

// The per-element reference losses reduced like PyTorch: kept, averaged or summed.
Values reduce_ref(const Values& losses, Reduction reduction) {
  if (reduction == Reduction::None) return losses;
  double sum = 0;
  for (double v : losses) sum += v;
  return {reduction == Reduction::Sum ? sum : sum / static_cast<double>(losses.size())};
}

Tensor make64(const Values& values, const Shape& shape) { return make_tensor(values, shape, reel::kFloat64); }

Tensor make_labels(const std::vector<int64_t>& labels, const Shape& shape) {
  return reel::tensor(labels, reel::kInt64).reshape(shape);
}

Tensor leaf64(const Values& values, const Shape& shape) { return make64(values, shape).requires_grad_(); }

// log_softmax over c of x laid out as (N, C, D).
Values ref_log_softmax(const Values& x, int64_t n_count, int64_t classes, int64_t inner) {
  Values out(x.size());
  for (int64_t n = 0; n < n_count; ++n) {
    for (int64_t d = 0; d < inner; ++d) {
      auto at = [&](int64_t c) { return static_cast<size_t>((n * classes + c) * inner + d); };
      double m = -INFINITY;
      for (int64_t c = 0; c < classes; ++c) m = std::max(m, x[at(c)]);
      double sum = 0;
      for (int64_t c = 0; c < classes; ++c) sum += std::exp(x[at(c)] - m);
      for (int64_t c = 0; c < classes; ++c) out[at(c)] = x[at(c)] - m - std::log(sum);
    }
  }
  return out;
}

// PyTorch's nll_loss by hand: per-target losses -w[t] x[n, t, d] (0 if ignored), and the weight sum Mean uses.
struct NllReference {
  Values losses;
  double weight_sum = 0;
};

NllReference ref_nll(const Values& x, int64_t n_count, int64_t classes, int64_t inner,
                     const std::vector<int64_t>& target, const Values& weight, int64_t ignore_index) {
  NllReference ref;
  for (int64_t n = 0; n < n_count; ++n) {
    for (int64_t d = 0; d < inner; ++d) {
      const int64_t t = target[static_cast<size_t>(n * inner + d)];
      if (t == ignore_index) {
        ref.losses.push_back(0.0);
        continue;
      }
      const double w = weight.empty() ? 1.0 : weight[static_cast<size_t>(t)];
      ref.losses.push_back(-w * x[static_cast<size_t>((n * classes + t) * inner + d)]);
      ref.weight_sum += w;
    }
  }
  return ref;
}

Values reduce_nll_ref(const NllReference& ref, Reduction reduction) {
  if (reduction != Reduction::Mean) return reduce_ref(ref.losses, reduction);
  double sum = 0;
  for (double v : ref.losses) sum += v;
  return {sum / ref.weight_sum};
}

// cross_entropy with class indices and label smoothing eps, transcribing PyTorch's formula:
// (1 - eps) nll + eps / C * smooth, smooth_n = -sum_c w_c logp[n, c] (0 if ignored), Mean dividing both by the
// summed weights of the kept targets.
Values ref_cross_entropy(const Values& x, int64_t n_count, int64_t classes, int64_t inner,
                         const std::vector<int64_t>& target, const Values& weight, int64_t ignore_index,
                         double eps, Reduction reduction) {
  const Values logp = ref_log_softmax(x, n_count, classes, inner);
  const NllReference nll = ref_nll(logp, n_count, classes, inner, target, weight, ignore_index);
  Values combined;
  double nll_sum = 0, smooth_sum = 0;
  for (int64_t n = 0; n < n_count; ++n) {
    for (int64_t d = 0; d < inner; ++d) {
      const size_t k = static_cast<size_t>(n * inner + d);
      double smooth = 0;
      if (target[k] != ignore_index) {
        for (int64_t c = 0; c < classes; ++c) {
          const double w = weight.empty() ? 1.0 : weight[static_cast<size_t>(c)];
          smooth -= w * logp[static_cast<size_t>((n * classes + c) * inner + d)];
        }
      }
      combined.push_back((1 - eps) * nll.losses[k] + eps / static_cast<double>(classes) * smooth);
      nll_sum += nll.losses[k];
      smooth_sum += smooth;
    }
  }
  if (reduction == Reduction::None) return combined;
  if (reduction == Reduction::Sum) return {(1 - eps) * nll_sum + eps / static_cast<double>(classes) * smooth_sum};
  return {((1 - eps) * nll_sum + eps / static_cast<double>(classes) * smooth_sum) / nll.weight_sum};
}

// cross_entropy with class probabilities p: -sum_c w_c q_c logp_c, q = (1 - eps) p + eps / C; Mean over N * D.
Values ref_soft_cross_entropy(const Values& x, const Values& p, int64_t n_count, int64_t classes, int64_t inner,
                              const Values& weight, double eps, Reduction reduction) {
  const Values logp = ref_log_softmax(x, n_count, classes, inner);
  Values losses;
  for (int64_t n = 0; n < n_count; ++n) {
    for (int64_t d = 0; d < inner; ++d) {
      double loss = 0;
      for (int64_t c = 0; c < classes; ++c) {
        const size_t k = static_cast<size_t>((n * classes + c) * inner + d);
        const double w = weight.empty() ? 1.0 : weight[static_cast<size_t>(c)];
        loss -= w * ((1 - eps) * p[k] + eps / static_cast<double>(classes)) * logp[k];
      }
      losses.push_back(loss);
    }
  }
  return reduce_ref(losses, reduction);
}

// Rows of `classes` positive values that sum to 1.
Values random_distribution(int64_t rows, int64_t classes, uint32_t seed) {
  Values p = random_values(rows * classes, seed, 0.1, 1.0);
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += p[static_cast<size_t>(r * classes + c)];
    for (int64_t c = 0; c < classes; ++c) p[static_cast<size_t>(r * classes + c)] /= sum;
  }
  return p;
}

}  // namespace

TEST_CASE("mse l1 and smooth_l1 losses match float64 loops for each reduction", "[loss]") {
  const Shape shape{3, 4};
  const Values x = random_values(12, 1, -2, 2);
  const Values y = random_values(12, 2, -2, 2);
  const Tensor input = make64(x, shape), target = make64(y, shape);
  for (Reduction reduction : kReductions) {
    INFO("reduction " << reel::nn::reduction_name(reduction));
    Values mse, l1;
    for (size_t i = 0; i < x.size(); ++i) {
      mse.push_back((x[i] - y[i]) * (x[i] - y[i]));
      l1.push_back(std::fabs(x[i] - y[i]));
    }
    check_close(F::mse_loss(input, target, reduction), reduce_ref(mse, reduction), 1e-12, 1e-12);
    check_close(F::l1_loss(input, target, reduction), reduce_ref(l1, reduction), 1e-12, 1e-12);
    for (double beta : {1.0, 0.5, 2.5, 0.0}) {
      INFO("beta " << beta);
      Values smooth;
      for (size_t i = 0; i < x.size(); ++i) {
        const double d = std::fabs(x[i] - y[i]);
        smooth.push_back(beta == 0 ? d : d < beta ? 0.5 * d * d / beta : d - 0.5 * beta);
      }
      check_close(F::smooth_l1_loss(input, target, reduction, beta), reduce_ref(smooth, reduction), 1e-12, 1e-12);
    }
  }
  check_shape(F::mse_loss(input, target, Reduction::None), shape);
  check_shape(F::mse_loss(input, target), {});
  // float32 inputs give float32 losses
  CHECK(F::mse_loss(input.to(reel::kFloat32), target.to(reel::kFloat32)).dtype() == reel::kFloat32);
}

TEST_CASE("nll_loss with weights and ignore_index for 2-D and 3-D inputs", "[loss]") {
  const int64_t n_count = 5, classes = 4;
  const Values x = random_values(n_count * classes, 3, -3, 0);
  const std::vector<int64_t> labels{0, 3, 1, 3, 2};
  const Values weight{0.5, 2.0, 1.5, 0.25};
  const Tensor input = make64(x, {n_count, classes});
  const Tensor target = make_labels(labels, {n_count});
  const Tensor weight_tensor = make64(weight, {classes});
  for (Reduction reduction : kReductions) {
    INFO("reduction " << reel::nn::reduction_name(reduction));
    check_close(F::nll_loss(input, target, {}, -100, reduction),
                reduce_nll_ref(ref_nll(x, n_count, classes, 1, labels, {}, -100), reduction), 1e-12, 1e-12);
    check_close(F::nll_loss(input, target, weight_tensor, -100, reduction),
                reduce_nll_ref(ref_nll(x, n_count, classes, 1, labels, weight, -100), reduction), 1e-12, 1e-12);
    // ignore_index = 3 drops two of the five samples (their loss is 0, Mean divides by the other weights)
    check_close(F::nll_loss(input, target, weight_tensor, 3, reduction),
                reduce_nll_ref(ref_nll(x, n_count, classes, 1, labels, weight, 3), reduction), 1e-12, 1e-12);
  }
  // (N, C, d): 2 samples, 3 classes, 4 positions, with an ignored position
  const Values x3 = random_values(2 * 3 * 4, 4, -3, 0);
  const std::vector<int64_t> labels3{0, 1, 2, -1, 2, 2, 0, 1};
  const Values weight3{1.0, 3.0, 0.5};
  for (Reduction reduction : kReductions) {
    INFO("3-D, reduction " << reel::nn::reduction_name(reduction));
    const Tensor loss =
        F::nll_loss(make64(x3, {2, 3, 4}), make_labels(labels3, {2, 4}), make64(weight3, {3}), -1, reduction);
    check_close(loss, reduce_nll_ref(ref_nll(x3, 2, 3, 4, labels3, weight3, -1), reduction), 1e-12, 1e-12);
    if (reduction == Reduction::None) check_shape(loss, {2, 4});
  }
  // every target ignored: Mean is 0 / 0 = NaN, as in PyTorch
  CHECK(std::isnan(F::nll_loss(input, make_labels({-100, -100, -100, -100, -100}, {5})).item<double>()));
  // unbatched: input (C), 0-dim target
  const Tensor single = F::nll_loss(make64({-1.0, -2.0, -0.5}, {3}), reel::scalar_tensor(2, reel::kInt64));
  CHECK(single.dim() == 0);
  CHECK(single.item<double>() == Approx(0.5));
}

TEST_CASE("cross_entropy with class indices weights ignore_index and label_smoothing", "[loss]") {
  // a value worked by hand: -log_softmax([1, 2, 3])[0] = ln(e + e^2 + e^3) - 1
  const double by_hand = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 1.0;
  CHECK(F::cross_entropy(make64({1, 2, 3}, {1, 3}), make_labels({0}, {1})).item<double>() ==
        Approx(by_hand).epsilon(1e-14));
  CHECK(by_hand == Approx(2.4076059644443806).epsilon(1e-14));

  const int64_t n_count = 6, classes = 5;
  const Values x = random_values(n_count * classes, 5, -3, 3);
  const std::vector<int64_t> labels{4, 0, 2, 2, 1, 3};
  const Values weight{1.0, 0.2, 3.0, 0.7, 1.3};
  const Tensor input = make64(x, {n_count, classes});
  const Tensor target = make_labels(labels, {n_count});
  for (Reduction reduction : kReductions) {
    for (double eps : {0.0, 0.1, 0.35}) {
      for (int64_t ignore_index : {int64_t{-100}, int64_t{2}}) {
        for (bool weighted : {false, true}) {
          INFO("reduction " << reel::nn::reduction_name(reduction) << ", label_smoothing " << eps << ", ignore_index "
                            << ignore_index << ", weighted " << weighted);
          const Tensor loss = F::cross_entropy(input, target, weighted ? make64(weight, {classes}) : Tensor(),
                                               ignore_index, reduction, eps);
          check_close(loss,
                      ref_cross_entropy(x, n_count, classes, 1, labels, weighted ? weight : Values{}, ignore_index,
                                        eps, reduction),
                      1e-12, 1e-12);
        }
      }
    }
  }
  // (N, C, d) inputs take the class dim 1
  const Values x3 = random_values(2 * 3 * 2, 6, -2, 2);
  const std::vector<int64_t> labels3{2, 0, 1, 1};
  check_close(F::cross_entropy(make64(x3, {2, 3, 2}), make_labels(labels3, {2, 2}), {}, -100, Reduction::None, 0.2),
              ref_cross_entropy(x3, 2, 3, 2, labels3, {}, -100, 0.2, Reduction::None), 1e-12, 1e-12);
  // unbatched input (C) with a 0-dim target
  CHECK(F::cross_entropy(make64({1, 2, 3}, {3}), reel::scalar_tensor(0, reel::kInt64)).item<double>() ==
        Approx(by_hand).epsilon(1e-14));
}

TEST_CASE("cross_entropy with class probabilities", "[loss]") {
  const int64_t n_count = 4, classes = 3;
  const Values x = random_values(n_count * classes, 7, -2, 2);
  const Values p = random_distribution(n_count, classes, 8);
  const Values weight{0.3, 1.0, 2.0};
  for (Reduction reduction : kReductions) {
    for (double eps : {0.0, 0.2}) {
      for (bool weighted : {false, true}) {
        INFO("reduction " << reel::nn::reduction_name(reduction) << ", label_smoothing " << eps << ", weighted "
                          << weighted);
        const Tensor loss = F::cross_entropy(make64(x, {n_count, classes}), make64(p, {n_count, classes}),
                                             weighted ? make64(weight, {classes}) : Tensor(), -100, reduction, eps);
        check_close(loss,
                    ref_soft_cross_entropy(x, p, n_count, classes, 1, weighted ? weight : Values{}, eps, reduction),
                    1e-12, 1e-12);
      }
    }
  }
  // label smoothing with indices equals the probability form with the smoothed one-hot target (no weights)
  const std::vector<int64_t> labels{2, 0, 1, 1};
  Values one_hot(static_cast<size_t>(n_count * classes), 0.0);
  for (int64_t n = 0; n < n_count; ++n) one_hot[static_cast<size_t>(n * classes + labels[static_cast<size_t>(n)])] = 1;
  const Tensor by_index =
      F::cross_entropy(make64(x, {n_count, classes}), make_labels(labels, {n_count}), {}, -100, Reduction::None, 0.3);
  const Tensor by_probability = F::cross_entropy(make64(x, {n_count, classes}), make64(one_hot, {n_count, classes}),
                                                 {}, -100, Reduction::None, 0.3);
  check_close(by_index, by_probability.to_vector<double>(), 1e-12, 1e-12);
}

TEST_CASE("binary_cross_entropy with weights and its -100 log clamp", "[loss]") {
  const Shape shape{2, 3};
  const Values x = random_values(6, 9, 0.02, 0.98);
  const Values y = random_values(6, 10, 0.0, 1.0);
  const Values w = {0.5, 1.0, 2.0};  // broadcast over the rows
  for (Reduction reduction : kReductions) {
    for (bool weighted : {false, true}) {
      INFO("reduction " << reel::nn::reduction_name(reduction) << ", weighted " << weighted);
      Values losses;
      for (size_t i = 0; i < x.size(); ++i) {
        const double weight = weighted ? w[i % 3] : 1.0;
        losses.push_back(-weight * (y[i] * std::log(x[i]) + (1 - y[i]) * std::log(1 - x[i])));
      }
      const Tensor loss = F::binary_cross_entropy(make64(x, shape), make64(y, shape),
                                                  weighted ? make64(w, {3}) : Tensor(), reduction);
      check_close(loss, reduce_ref(losses, reduction), 1e-12, 1e-12);
    }
  }
  // probabilities of exactly 0 and 1: log clamped at -100, finite gradients
  const Tensor edge = leaf64({0.0, 1.0, 0.0, 1.0}, {4});
  const Tensor loss = F::binary_cross_entropy(edge, make64({1.0, 0.0, 0.0, 1.0}, {4}), {}, Reduction::None);
  check_close(loss, {100.0, 100.0, 0.0, 0.0}, 1e-12, 1e-12);
  loss.sum().backward();
  for (double g : edge.grad().to_vector<double>()) CHECK(std::isfinite(g));
}

TEST_CASE("binary_cross_entropy_with_logits with pos_weight and weight", "[loss]") {
  const Shape shape{4, 3};
  const Values x = random_values(12, 11, -4, 4);
  const Values y = random_values(12, 12, 0.0, 1.0);
  const Values pos_weight{3.0, 0.5, 1.0};  // one per class, broadcast over the rows
  const Values w{2.0, 1.0, 0.5, 1.5};      // one per row, shape (4, 1)
  for (Reduction reduction : kReductions) {
    for (bool with_pos_weight : {false, true}) {
      for (bool weighted : {false, true}) {
        INFO("reduction " << reel::nn::reduction_name(reduction) << ", pos_weight " << with_pos_weight
                          << ", weighted " << weighted);
        Values losses;
        for (size_t i = 0; i < x.size(); ++i) {
          const double sigma = 1 / (1 + std::exp(-x[i]));
          const double p = with_pos_weight ? pos_weight[i % 3] : 1.0;
          const double weight = weighted ? w[i / 3] : 1.0;
          losses.push_back(-weight * (p * y[i] * std::log(sigma) + (1 - y[i]) * std::log(1 - sigma)));
        }
        const Tensor loss = F::binary_cross_entropy_with_logits(
            make64(x, shape), make64(y, shape), weighted ? make64(w, {4, 1}) : Tensor(), reduction,
            with_pos_weight ? make64(pos_weight, {3}) : Tensor());
        check_close(loss, reduce_ref(losses, reduction), 1e-11, 1e-12);
      }
    }
  }
  // large logits stay finite: x = 100, y = 0 costs 100; x = -100, y = 1 costs 100; the confident right answers ~0
  const Tensor big = F::binary_cross_entropy_with_logits(make64({100, -100, 100, -100}, {4}),
                                                         make64({0, 1, 1, 0}, {4}), {}, Reduction::None);
  check_close(big, {100.0, 100.0, 0.0, 0.0}, 1e-12, 1e-12);
  // float32 agrees with the float64 result
  const Tensor loss32 = F::binary_cross_entropy_with_logits(make64(x, shape).to(reel::kFloat32),
                                                            make64(y, shape).to(reel::kFloat32));
  CHECK(loss32.dtype() == reel::kFloat32);
  CHECK(loss32.item<double>() ==
        Approx(F::binary_cross_entropy_with_logits(make64(x, shape), make64(y, shape)).item<double>()).epsilon(1e-5));
}

TEST_CASE("kl_div for each reduction including batchmean and log_target", "[loss]") {
  const int64_t rows = 3, classes = 4;
  const Values logq = ref_log_softmax(random_values(rows * classes, 13, -2, 2), rows, classes, 1);
  Values p = random_distribution(rows, classes, 14);
  p[1] = 0.0;  // a zero probability contributes 0 (0 ln 0 = 0)
  const Tensor input = make64(logq, {rows, classes});
  Values losses, log_target_losses;
  for (size_t i = 0; i < p.size(); ++i) {
    losses.push_back(p[i] > 0 ? p[i] * (std::log(p[i]) - logq[i]) : 0.0);
    log_target_losses.push_back(std::exp(logq[i]) * (logq[i] - logq[(i + 1) % p.size()]));
  }
  for (Reduction reduction : kReductions) {
    INFO("reduction " << reel::nn::reduction_name(reduction));
    check_close(F::kl_div(input, make64(p, {rows, classes}), reduction), reduce_ref(losses, reduction), 1e-12,
                1e-12);
  }
  double sum = 0;
  for (double v : losses) sum += v;
  check_close(F::kl_div(input, make64(p, {rows, classes}), Reduction::BatchMean), {sum / rows}, 1e-12, 1e-12);
  // log_target: the target given as log-probabilities (here logq shifted by one element)
  Values shifted(logq.size());
  for (size_t i = 0; i < logq.size(); ++i) shifted[i] = logq[(i + 1) % logq.size()];
  check_close(F::kl_div(make64(shifted, {rows, classes}), input, Reduction::None, true), log_target_losses, 1e-12,
              1e-12);
}

TEST_CASE("margin_ranking_loss", "[loss]") {
  const Values x1 = random_values(8, 15, -1, 1);
  const Values x2 = random_values(8, 16, -1, 1);
  const Values y{1, -1, 1, 1, -1, -1, 1, -1};
  for (double margin : {0.0, 0.3}) {
    for (Reduction reduction : kReductions) {
      INFO("margin " << margin << ", reduction " << reel::nn::reduction_name(reduction));
      Values losses;
      for (size_t i = 0; i < y.size(); ++i) losses.push_back(std::max(0.0, -y[i] * (x1[i] - x2[i]) + margin));
      check_close(F::margin_ranking_loss(make64(x1, {8}), make64(x2, {8}), make64(y, {8}), margin, reduction),
                  reduce_ref(losses, reduction), 1e-12, 1e-12);
    }
  }
}

TEST_CASE("loss modules forward to the functions with their options", "[loss]") {
  const Tensor input = make64(random_values(12, 17, -2, 2), {4, 3});
  const Tensor target = make64(random_values(12, 18, -2, 2), {4, 3});
  const Tensor probabilities = make64(random_values(12, 19, 0.05, 0.95), {4, 3});
  const Tensor labels = make_labels({0, 2, 1, 2}, {4});
  const Tensor weight = make64({0.5, 1.0, 2.0}, {3});
  auto same = [](const Tensor& a, const Tensor& b) { check_close(a, b.to_vector<double>(), 0, 0); };

  same(reel::nn::MSELoss(reel::nn::MSELossOptions().reduction(Reduction::Sum))(input, target),
       F::mse_loss(input, target, Reduction::Sum));
  same(reel::nn::L1Loss()(input, target), F::l1_loss(input, target));
  same(reel::nn::SmoothL1Loss(reel::nn::SmoothL1LossOptions().beta(0.5))(input, target),
       F::smooth_l1_loss(input, target, Reduction::Mean, 0.5));
  same(reel::nn::NLLLoss(reel::nn::NLLLossOptions().weight(weight).ignore_index(1))(input.log_softmax(1), labels),
       F::nll_loss(input.log_softmax(1), labels, weight, 1));
  reel::nn::CrossEntropyLoss criterion(
      reel::nn::CrossEntropyLossOptions().weight(weight).label_smoothing(0.1).reduction(Reduction::None));
  same(criterion(input, labels), F::cross_entropy(input, labels, weight, -100, Reduction::None, 0.1));
  same(reel::nn::BCELoss(reel::nn::BCELossOptions().weight(weight))(probabilities, probabilities.flip({0})),
       F::binary_cross_entropy(probabilities, probabilities.flip({0}), weight));
  same(reel::nn::BCEWithLogitsLoss(reel::nn::BCEWithLogitsLossOptions().pos_weight(weight))(input, probabilities),
       F::binary_cross_entropy_with_logits(input, probabilities, {}, Reduction::Mean, weight));
  same(reel::nn::KLDivLoss(reel::nn::KLDivLossOptions().reduction(Reduction::BatchMean))(input.log_softmax(1),
                                                                                            probabilities),
       F::kl_div(input.log_softmax(1), probabilities, Reduction::BatchMean));
  same(reel::nn::MarginRankingLoss(reel::nn::MarginRankingLossOptions().margin(0.2))(input, target, target.sign()),
       F::margin_ranking_loss(input, target, target.sign(), 0.2));

  // class weights are buffers, as in PyTorch (state_dict key "weight"; pos_weight too)
  const reel::nn::NamedTensors state = criterion->state_dict();
  REQUIRE(state.size() == 1);
  CHECK(state[0].first == "weight");
  CHECK(reel::nn::BCEWithLogitsLoss(reel::nn::BCEWithLogitsLossOptions().pos_weight(weight))->buffers().size() == 1);
  CHECK(reel::nn::MSELoss()->state_dict().empty());
  CHECK(criterion->str() == "CrossEntropyLoss()");
}

TEST_CASE("every loss passes gradcheck in float64", "[loss]") {
  reel::manual_seed(4);
  const Tensor x = leaf64(random_values(12, 20, -2, 2), {4, 3});
  const Tensor y = leaf64(random_values(12, 21, -2, 2), {4, 3});
  const Tensor probability = leaf64(random_values(12, 22, 0.05, 0.95), {4, 3});
  const Tensor soft_target = leaf64(random_distribution(4, 3, 23), {4, 3});
  const Tensor weight = make64({0.5, 1.0, 2.0}, {3});
  const Tensor labels = make_labels({0, 2, 1, 2}, {4});
  using Inputs = std::vector<Tensor>;
  for (Reduction reduction : kReductions) {
    INFO("reduction " << reel::nn::reduction_name(reduction));
    REQUIRE_GRADCHECK([&](const Inputs& in) { return F::mse_loss(in[0], in[1], reduction); }, (Inputs{x, y}));
    REQUIRE_GRADCHECK([&](const Inputs& in) { return F::l1_loss(in[0], in[1], reduction); }, (Inputs{x, y}));
    REQUIRE_GRADCHECK([&](const Inputs& in) { return F::smooth_l1_loss(in[0], in[1], reduction, 0.7); },
                      (Inputs{x, y}));
    REQUIRE_GRADCHECK([&](const Inputs& in) { return F::nll_loss(in[0], labels, weight, 1, reduction); },
                      (Inputs{x}));
    REQUIRE_GRADCHECK(
        [&](const Inputs& in) { return F::cross_entropy(in[0], labels, weight, 2, reduction, 0.2); }, (Inputs{x}));
    REQUIRE_GRADCHECK(
        [&](const Inputs& in) { return F::cross_entropy(in[0], in[1], weight, -100, reduction, 0.1); },
        (Inputs{x, soft_target}));
    REQUIRE_GRADCHECK([&](const Inputs& in) { return F::binary_cross_entropy(in[0], in[1], weight, reduction); },
                      (Inputs{probability, soft_target}));
    REQUIRE_GRADCHECK(
        [&](const Inputs& in) {
          return F::binary_cross_entropy_with_logits(in[0], in[1], weight, reduction, make64({2.0, 0.5, 1.0}, {3}));
        },
        (Inputs{x, soft_target}));
    REQUIRE_GRADCHECK([&](const Inputs& in) { return F::kl_div(in[0].log_softmax(1), in[1], reduction); },
                      (Inputs{x, soft_target}));
    REQUIRE_GRADCHECK([&](const Inputs& in) { return F::kl_div(in[0], in[1], reduction, true); }, (Inputs{x, y}));
    REQUIRE_GRADCHECK(
        [&](const Inputs& in) { return F::margin_ranking_loss(in[0], in[1], y.detach().sign(), 0.1, reduction); },
        (Inputs{x, y}));
  }
  REQUIRE_GRADCHECK([&](const Inputs& in) { return F::kl_div(in[0], in[1], Reduction::BatchMean); },
                    (Inputs{x, soft_target}));
  // (N, C, d) cross entropy
  const Tensor x3 = leaf64(random_values(12, 24, -2, 2), {2, 3, 2});
  REQUIRE_GRADCHECK(
      [&](const Inputs& in) {
        return F::cross_entropy(in[0], make_labels({2, 0, 1, 1}, {2, 2}), {}, -100, Reduction::Mean, 0.1);
      },
      (Inputs{x3}));
}

TEST_CASE("loss errors name the loss and the shapes", "[loss]") {
  const Tensor x = make64(random_values(6, 25, -1, 1), {2, 3});
  using Catch::Matchers::Contains;
  REQUIRE_THROWS_WITH(F::mse_loss(x, make64(random_values(3, 26), {3})),
                      Contains("mse_loss") && Contains("[3]") && Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(F::l1_loss(x.to(reel::kInt64), x.to(reel::kInt64)), Contains("l1_loss") && Contains("floating"));
  REQUIRE_THROWS_WITH(F::mse_loss(x, x, Reduction::BatchMean), Contains("mse_loss") && Contains("batchmean"));
  REQUIRE_THROWS_WITH(F::smooth_l1_loss(x, x, Reduction::Mean, -1.0), Contains("beta"));
  REQUIRE_THROWS_WITH(F::nll_loss(x, make_labels({0, 3}, {2})),
                      Contains("nll_loss") && Contains("target 3 is out of bounds for 3 classes"));
  REQUIRE_THROWS_WITH(F::nll_loss(x, make_labels({-2, 0}, {2})), Contains("out of bounds"));
  REQUIRE_THROWS_WITH(F::cross_entropy(x, make_labels({0, 5}, {2})),
                      Contains("cross_entropy") && Contains("out of bounds"));
  REQUIRE_THROWS_WITH(F::nll_loss(x, make64({0, 1}, {2})), Contains("nll_loss") && Contains("int64"));
  REQUIRE_THROWS_WITH(F::nll_loss(x, make_labels({0, 1, 2}, {3})),
                      Contains("nll_loss") && Contains("[3]") && Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(F::nll_loss(x, make_labels({0, 1}, {2}), make64({1, 1}, {2})),
                      Contains("weight") && Contains("3 class weights"));
  REQUIRE_THROWS_WITH(F::cross_entropy(x, make64(random_values(4, 27), {2, 2})),
                      Contains("cross_entropy") && Contains("class probabilities"));
  REQUIRE_THROWS_WITH(F::cross_entropy(x, x.softmax(1), {}, 0), Contains("ignore_index"));
  REQUIRE_THROWS_WITH(F::cross_entropy(x, make_labels({0, 1}, {2}), {}, -100, Reduction::Mean, 1.5),
                      Contains("label_smoothing"));
  REQUIRE_THROWS_WITH(F::binary_cross_entropy(x, x.sigmoid()),
                      Contains("binary_cross_entropy") && Contains("[0, 1]"));
  REQUIRE_THROWS_WITH(F::binary_cross_entropy(x.sigmoid(), x.sigmoid(), make64({1, 1}, {2})),
                      Contains("binary_cross_entropy") && Contains("weight"));
  REQUIRE_THROWS_WITH(F::binary_cross_entropy_with_logits(x, make64(random_values(2, 28), {2, 1})),
                      Contains("binary_cross_entropy_with_logits") && Contains("[2, 1]"));
  REQUIRE_THROWS_WITH(F::kl_div(x, x.t()), Contains("kl_div") && Contains("[3, 2]"));
  REQUIRE_THROWS_WITH(F::margin_ranking_loss(x, x, make64({1, -1}, {2})), Contains("margin_ranking_loss"));
  REQUIRE_THROWS_WITH(F::mse_loss(Tensor(), x), Contains("mse_loss") && Contains("undefined"));
}
