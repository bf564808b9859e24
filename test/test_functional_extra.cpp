// reel/test/test_functional_extra.cpp — issue 16's composites: glu, prelu, rrelu, gumbel_softmax, pixel_shuffle /
// pixel_unshuffle, pairwise_distance and the losses (huber, hinge_embedding, soft_margin, cosine_embedding,
// triplet_margin, multi_margin, multilabel_margin, poisson_nll, gaussian_nll), each against float64 loops written
// here from PyTorch's formulas, in every reduction, with gradcheck / gradgradcheck, the option-struct spellings, the
// modules and the error messages. (The elementwise activations relu6 ... hardshrink are op-table rows.)
#include <cmath>
#include <numbers>
#include <vector>

#include "autograd_test_utils.h"

using autograd_test::error_of;
using autograd_test::require_close;
using autograd_test::values;
using reel::Tensor;
using reel::nn::Reduction;
namespace F = reel::nn::functional;
using Inputs = std::vector<Tensor>;
using Values = std::vector<double>;

namespace {

const Reduction kReductions[] = {Reduction::None, Reduction::Mean, Reduction::Sum};

Tensor make(const Values& v, reel::IntList shape) { return reel::tensor(v, reel::kFloat64).reshape(shape); }

Tensor randn_leaf(reel::IntList shape, uint64_t seed) {
  reel::manual_seed(seed);
  return reel::randn(shape, reel::kFloat64).detach().requires_grad_();
}

// The per-element (or per-sample) reference losses, reduced as PyTorch does.
Tensor reduced(const Values& losses, reel::IntList shape, Reduction reduction) {
  if (reduction == Reduction::None) return make(losses, shape);
  double sum = 0;
  for (double v : losses) sum += v;
  return reel::tensor({reduction == Reduction::Sum ? sum : sum / double(losses.size())}, reel::kFloat64).reshape({});
}

void check_twice(const std::function<Tensor(const Inputs&)>& fn, const Inputs& inputs) {
  const auto first = reel::autograd::gradcheck(fn, inputs);
  INFO(first.message);
  REQUIRE(first.ok);
  const auto second = reel::autograd::gradgradcheck(fn, inputs);
  INFO(second.message);
  REQUIRE(second.ok);
}

}  // namespace

TEST_CASE("glu, prelu, rrelu: values, gradients and errors", "[functional_extra]") {
  const Tensor x = randn_leaf({2, 4, 3}, 1);
  const Values xv = values(x);
  // glu along dim 1: a = x[:, :2], b = x[:, 2:]
  Values expected;
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 2; ++c)
      for (int k = 0; k < 3; ++k) {
        const double a = xv[size_t((n * 4 + c) * 3 + k)], b = xv[size_t((n * 4 + c + 2) * 3 + k)];
        expected.push_back(a / (1 + std::exp(-b)));
      }
  require_close(reel::glu(x, 1), make(expected, {2, 2, 3}));
  require_close(F::glu(x, F::GLUFuncOptions(1)), make(expected, {2, 2, 3}));
  check_twice([](const Inputs& in) { return reel::glu(in[0], 1); }, {x});
  CHECK_THAT(error_of([&] { reel::glu(x, 2); }), Catch::Contains("glu: halving dimension must be even"));

  // prelu with one weight per channel (dim 1)
  const Tensor w = make({0.1, -0.2, 0.3, 0.5}, {4}).requires_grad_();
  expected.clear();
  for (size_t i = 0; i < xv.size(); ++i) {
    const double slope = values(w)[(i / 3) % 4];
    expected.push_back(xv[i] > 0 ? xv[i] : slope * xv[i]);
  }
  require_close(reel::prelu(x, w), make(expected, {2, 4, 3}));
  check_twice([](const Inputs& in) { return reel::prelu(in[0], in[1]); }, {x, w});
  CHECK_THAT(error_of([&] { reel::prelu(x, reel::ones({3}, reel::kFloat64)); }),
             Catch::Contains("prelu: mismatch of parameter numbers and input channel size"));
  reel::nn::PReLU module(4, 0.25);
  CHECK(module->weight.sizes() == reel::IntList({4}));
  require_close(module(x.detach()), reel::where(x.detach() > 0.0, x.detach(), x.detach() * 0.25));

  // rrelu: eval uses the mean slope; training draws slopes in [lower, upper], reproducibly under manual_seed
  require_close(reel::rrelu(x, 0.1, 0.3), reel::leaky_relu(x, 0.2));
  reel::manual_seed(42);
  const Tensor y1 = reel::rrelu(x.detach(), 0.1, 0.3, true);
  reel::manual_seed(42);
  const Tensor y2 = reel::rrelu(x.detach(), 0.1, 0.3, true);
  require_close(y1, y2, 0.0);
  const Values yv = values(y1);
  for (size_t i = 0; i < xv.size(); ++i) {
    if (xv[i] >= 0) {
      CHECK(yv[i] == xv[i]);
    } else {
      CHECK(yv[i] / xv[i] >= 0.1 - 1e-12);
      CHECK(yv[i] / xv[i] <= 0.3 + 1e-12);
    }
  }
  CHECK_THAT(error_of([&] { reel::rrelu(x, 0.5, 0.1, true); }), Catch::Contains("rrelu: lower bound"));
}

TEST_CASE("gumbel_softmax: soft rows are distributions, hard rows one-hot with the soft gradient", "[functional_extra]") {
  const Tensor logits = randn_leaf({3, 5}, 4);
  reel::manual_seed(1);
  const Tensor soft = F::gumbel_softmax(logits, 0.5);
  require_close(soft.sum({1}), reel::ones({3}, reel::kFloat64), 1e-12);
  reel::manual_seed(1);
  const Tensor hard = F::gumbel_softmax(logits, F::GumbelSoftmaxFuncOptions().tau(0.5).hard(true));
  // same draws: the hard sample is the one-hot of the soft sample's argmax
  require_close(hard, reel::one_hot(std::get<1>(soft.max(1)), 5).to(reel::kFloat64), 1e-12);
  // straight-through: d(sum w * hard)/dlogits equals d(sum w * soft)/dlogits for the same draws
  const Tensor wts = make({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {3, 5});
  reel::manual_seed(1);
  const Tensor g_soft = reel::autograd::grad({(F::gumbel_softmax(logits, 0.5) * wts).sum()}, {logits})[0];
  reel::manual_seed(1);
  const Tensor g_hard = reel::autograd::grad({(F::gumbel_softmax(logits, 0.5, true) * wts).sum()}, {logits})[0];
  require_close(g_hard, g_soft, 1e-12);
}

TEST_CASE("pixel_shuffle / pixel_unshuffle: index map, inverse, errors", "[functional_extra]") {
  const Tensor x = reel::arange(2 * 8 * 2 * 3).to(reel::kFloat64).reshape({2, 8, 2, 3});
  const Tensor y = reel::pixel_shuffle(x, 2);
  REQUIRE(y.sizes() == reel::IntList({2, 2, 4, 6}));
  const Values xv = values(x), yv = values(y);
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 2; ++c)
      for (int h = 0; h < 4; ++h)
        for (int w = 0; w < 6; ++w) {
          const int src_c = c * 4 + (h % 2) * 2 + (w % 2);
          CHECK(yv[size_t(((n * 2 + c) * 4 + h) * 6 + w)] == xv[size_t(((n * 8 + src_c) * 2 + h / 2) * 3 + w / 2)]);
        }
  require_close(reel::pixel_unshuffle(y, 2), x, 0.0);
  require_close(F::pixel_shuffle(x, F::PixelShuffleFuncOptions(2)), y, 0.0);
  require_close(reel::nn::PixelUnshuffle(2)(y), x, 0.0);
  // unbatched and extra batch dims
  require_close(reel::pixel_shuffle(x.select(0, 1), 2), y.select(0, 1), 0.0);
  REQUIRE_GRADCHECK([](const Inputs& in) { return reel::pixel_shuffle(in[0], 2); }, (Inputs{randn_leaf({1, 4, 2, 2}, 3)}));
  CHECK_THAT(error_of([&] { reel::pixel_shuffle(reel::zeros({1, 6, 2, 2}), 2); }),
             Catch::Contains("input.size(-3)=6 is not divisible by 4"));
  CHECK_THAT(error_of([&] { reel::pixel_unshuffle(reel::zeros({1, 1, 3, 2}), 2); }),
             Catch::Contains("pixel_unshuffle: expects height and width to be divisible"));
}

TEST_CASE("pairwise_distance: ||x1 - x2 + eps||_p over the last dim", "[functional_extra]") {
  const Tensor a = randn_leaf({3, 4}, 5), b = randn_leaf({3, 4}, 6);
  const Values av = values(a), bv = values(b);
  for (double p : {1.0, 2.0, 3.0}) {
    Values expected;
    for (int n = 0; n < 3; ++n) {
      double s = 0;
      for (int k = 0; k < 4; ++k) s += std::pow(std::fabs(av[size_t(n * 4 + k)] - bv[size_t(n * 4 + k)] + 1e-6), p);
      expected.push_back(std::pow(s, 1 / p));
    }
    require_close(reel::pairwise_distance(a, b, p), make(expected, {3}));
    require_close(F::pairwise_distance(a, b, F::PairwiseDistanceFuncOptions().p(p).keepdim(true)), make(expected, {3, 1}));
  }
  check_twice([](const Inputs& in) { return reel::pairwise_distance(in[0], in[1]); }, {a, b});
}

TEST_CASE("huber, hinge_embedding, soft_margin, poisson_nll: values in every reduction", "[functional_extra][loss]") {
  const Tensor x = randn_leaf({2, 3}, 7) * 2;
  const Tensor xd = x.detach().requires_grad_();
  const Tensor y = randn_leaf({2, 3}, 8).detach();
  const Tensor labels = make({1, -1, 1, -1, -1, 1}, {2, 3});
  const Values xv = values(xd), yv = values(y), lv = values(labels);
  Values huber, hinge, soft, poisson, poisson_full;
  for (size_t i = 0; i < xv.size(); ++i) {
    const double d = xv[i] - yv[i], delta = 1.5;
    huber.push_back(std::fabs(d) < delta ? 0.5 * d * d : delta * (std::fabs(d) - 0.5 * delta));
    hinge.push_back(lv[i] == 1 ? xv[i] : std::max(0.0, 0.7 - xv[i]));
    soft.push_back(std::log1p(std::exp(-lv[i] * xv[i])));
    const double target = std::fabs(yv[i]) * 3;
    poisson.push_back(std::exp(xv[i]) - target * xv[i]);
    poisson_full.push_back(poisson.back() +
                           (target > 1 ? target * std::log(target) - target + 0.5 * std::log(2 * std::numbers::pi * target) : 0));
  }
  const Tensor counts = y.abs() * 3;
  for (Reduction r : kReductions) {
    INFO(reel::nn::reduction_name(r));
    require_close(F::huber_loss(xd, y, r, 1.5), reduced(huber, {2, 3}, r));
    require_close(F::huber_loss(xd, y, F::HuberLossFuncOptions().delta(1.5).reduction(r)), reduced(huber, {2, 3}, r));
    require_close(F::hinge_embedding_loss(xd, labels, 0.7, r), reduced(hinge, {2, 3}, r));
    require_close(F::soft_margin_loss(xd, labels, r), reduced(soft, {2, 3}, r));
    require_close(F::poisson_nll_loss(xd, counts, true, false, 1e-8, r), reduced(poisson, {2, 3}, r));
    require_close(F::poisson_nll_loss(xd, counts, true, true, 1e-8, r), reduced(poisson_full, {2, 3}, r));
  }
  check_twice([&](const Inputs& in) { return F::huber_loss(in[0], y, Reduction::Sum, 1.5); }, {xd});
  check_twice([&](const Inputs& in) { return F::soft_margin_loss(in[0], labels); }, {xd});
  check_twice([&](const Inputs& in) { return F::hinge_embedding_loss(in[0], labels, 0.7); }, {xd});
  const Tensor positive = (xd.detach().abs() + 0.5).requires_grad_();
  check_twice([&](const Inputs& in) { return F::poisson_nll_loss(in[0], counts, false, true); }, {positive});
  reel::nn::HuberLoss huber_module(reel::nn::HuberLossOptions().delta(1.5));
  require_close(huber_module(xd, y), reduced(huber, {2, 3}, Reduction::Mean));
  CHECK_THAT(error_of([&] { F::huber_loss(xd, y.reshape({3, 2})); }),
             Catch::Contains("huber_loss: target shape [3, 2] differs from input shape [2, 3]"));
}

TEST_CASE("cosine_embedding and triplet_margin losses", "[functional_extra][loss]") {
  const Tensor a = randn_leaf({4, 3}, 9), p = randn_leaf({4, 3}, 10), n = randn_leaf({4, 3}, 11);
  const Tensor target = make({1, -1, -1, 1}, {4});
  const Values av = values(a), pv = values(p), nv = values(n), tv = values(target);
  Values cosine, triplet, triplet_swap;
  auto dist = [](const Values& u, const Values& v, int row) {
    double s = 0;
    for (int k = 0; k < 3; ++k) s += std::pow(u[size_t(row * 3 + k)] - v[size_t(row * 3 + k)] + 1e-6, 2);
    return std::sqrt(s);
  };
  for (int row = 0; row < 4; ++row) {
    double dot = 0, m1 = 1e-12, m2 = 1e-12;
    for (int k = 0; k < 3; ++k) {
      dot += av[size_t(row * 3 + k)] * pv[size_t(row * 3 + k)];
      m1 += av[size_t(row * 3 + k)] * av[size_t(row * 3 + k)];
      m2 += pv[size_t(row * 3 + k)] * pv[size_t(row * 3 + k)];
    }
    const double cos = dot / std::sqrt(m1 * m2);
    cosine.push_back(tv[size_t(row)] == 1 ? 1 - cos : std::max(0.0, cos - 0.1));
    triplet.push_back(std::max(0.0, 1.0 + dist(av, pv, row) - dist(av, nv, row)));
    triplet_swap.push_back(
        std::max(0.0, 1.0 + dist(av, pv, row) - std::min(dist(av, nv, row), dist(pv, nv, row))));
  }
  for (Reduction r : kReductions) {
    require_close(F::cosine_embedding_loss(a, p, target, 0.1, r), reduced(cosine, {4}, r));
    require_close(F::triplet_margin_loss(a, p, n, 1.0, 2.0, 1e-6, false, r), reduced(triplet, {4}, r));
    require_close(F::triplet_margin_loss(a, p, n, F::TripletMarginLossFuncOptions().swap(true).reduction(r)),
                  reduced(triplet_swap, {4}, r));
  }
  check_twice([&](const Inputs& in) { return F::cosine_embedding_loss(in[0], in[1], target, 0.1); }, {a, p});
  check_twice([](const Inputs& in) { return F::triplet_margin_loss(in[0], in[1], in[2]); }, {a, p, n});
  reel::nn::TripletMarginLoss module;
  require_close(module(a, p, n), reduced(triplet, {4}, Reduction::Mean));
  CHECK_THAT(error_of([&] { F::cosine_embedding_loss(a, p.narrow(1, 0, 2), target); }),
             Catch::Contains("cosine_embedding_loss: expected inputs of one shape"));
}

TEST_CASE("multi_margin and multilabel_margin losses", "[functional_extra][loss]") {
  const Tensor x = randn_leaf({3, 4}, 12);
  const Values xv = values(x);
  const std::vector<int64_t> y = {2, 0, 3};
  const Tensor labels = reel::tensor(y, reel::kInt64);
  const Values w = {0.5, 1.0, 1.5, 2.0};
  for (int64_t p : {1, 2}) {
    Values expected, weighted;
    for (int n = 0; n < 3; ++n) {
      double s = 0, sw = 0;
      for (int i = 0; i < 4; ++i) {
        if (i == y[size_t(n)]) continue;
        const double z = std::max(0.0, 0.8 - xv[size_t(n * 4 + y[size_t(n)])] + xv[size_t(n * 4 + i)]);
        s += std::pow(z, double(p));
        sw += w[size_t(y[size_t(n)])] * std::pow(z, double(p));
      }
      expected.push_back(s / 4);
      weighted.push_back(sw / 4);
    }
    for (Reduction r : kReductions) {
      require_close(F::multi_margin_loss(x, labels, p, 0.8, {}, r), reduced(expected, {3}, r));
      require_close(F::multi_margin_loss(x, labels, F::MultiMarginLossFuncOptions().p(p).margin(0.8).weight(make(w, {4})).reduction(r)),
                    reduced(weighted, {3}, r));
    }
    REQUIRE_GRADCHECK([&](const Inputs& in) { return F::multi_margin_loss(in[0], labels, p, 0.8, make(w, {4})); },
                      (Inputs{x}));
  }
  // multilabel: targets {3, 0, -1, 1} -> labels 3 and 0 only; {1, 1, -1, ...} counts label 1 twice, as PyTorch
  const Tensor targets = reel::tensor(std::vector<int64_t>{3, 0, -1, 1, 1, 1, -1, 0, -1, 2, 2, 2}, reel::kInt64).reshape({3, 4});
  const std::vector<std::vector<int64_t>> label_sets = {{3, 0}, {1, 1}, {}};
  Values multilabel;
  for (int n = 0; n < 3; ++n) {
    double s = 0;
    for (int64_t j : label_sets[size_t(n)])
      for (int i = 0; i < 4; ++i) {
        bool is_target = false;
        for (int64_t k : label_sets[size_t(n)]) is_target = is_target || k == i;
        if (!is_target) s += std::max(0.0, 1 - (xv[size_t(n * 4 + j)] - xv[size_t(n * 4 + i)]));
      }
    multilabel.push_back(s / 4);
  }
  for (Reduction r : kReductions)
    require_close(F::multilabel_margin_loss(x, targets, r), reduced(multilabel, {3}, r));
  REQUIRE_GRADCHECK([&](const Inputs& in) { return F::multilabel_margin_loss(in[0], targets); }, (Inputs{x}));
  CHECK_THAT(error_of([&] { F::multi_margin_loss(x, reel::tensor(std::vector<int64_t>{0, 4, 1}, reel::kInt64)); }),
             Catch::Contains("multi_margin_loss: target values must be in [0, 4)"));
  CHECK_THAT(error_of([&] { F::multilabel_margin_loss(x, labels); }),
             Catch::Contains("multilabel_margin_loss: expected input (N, C) or (C) and an int64 target of its shape"));
}

TEST_CASE("gaussian_nll_loss: var shapes, the eps clamp and full", "[functional_extra][loss]") {
  const Tensor x = randn_leaf({3, 2}, 13), y = randn_leaf({3, 2}, 14).detach();
  const Tensor var = make({0.5, 1e-9, 2.0}, {3}).requires_grad_();  // one per sample, broadcast over the last dim
  const Values xv = values(x), yv = values(y), vv = {0.5, 1e-6, 2.0};  // 1e-9 clamped to eps = 1e-6
  Values expected, expected_full;
  for (int n = 0; n < 3; ++n)
    for (int k = 0; k < 2; ++k) {
      const double d = xv[size_t(n * 2 + k)] - yv[size_t(n * 2 + k)];
      expected.push_back(0.5 * (std::log(vv[size_t(n)]) + d * d / vv[size_t(n)]));
      expected_full.push_back(expected.back() + 0.5 * std::log(2 * std::numbers::pi));
    }
  for (Reduction r : kReductions) {
    require_close(F::gaussian_nll_loss(x, y, var, false, 1e-6, r), reduced(expected, {3, 2}, r), 1e-9);
    require_close(F::gaussian_nll_loss(x, y, var.unsqueeze(1), F::GaussianNLLLossFuncOptions().full(true).reduction(r)),
                  reduced(expected_full, {3, 2}, r), 1e-9);
  }
  const Tensor v = make({0.5, 0.7, 2.0}, {3}).requires_grad_();
  check_twice([&](const Inputs& in) { return F::gaussian_nll_loss(in[0], y, in[1]); }, {x, v});
  CHECK_THAT(error_of([&] { F::gaussian_nll_loss(x, y, reel::ones({2}, reel::kFloat64)); }),
             Catch::Contains("gaussian_nll_loss: var is of incorrect size"));
  CHECK_THAT(error_of([&] { F::gaussian_nll_loss(x, y, make({1, -1, 1}, {3})); }),
             Catch::Contains("var has negative entry"));
}

TEST_CASE("issue 16 modules print their options as PyTorch does", "[functional_extra]") {
  CHECK(reel::nn::Softshrink(0.3)->extra_repr() == "0.3");
  CHECK(reel::nn::GLU(1)->extra_repr() == "dim=1");
  CHECK(reel::nn::PixelShuffle(3)->extra_repr() == "upscale_factor=3");
  CHECK(reel::nn::RReLU(0.125, 0.25)->extra_repr() == "lower=0.125, upper=0.25");
  CHECK(reel::nn::Upsample(reel::nn::UpsampleOptions().scale_factor(std::vector<double>{2}).mode("bilinear"))
            ->extra_repr() == "scale_factor=2.0, mode='bilinear'");
  const Tensor x = make({-7, -1, 0.25, 3, 8}, {5});
  require_close(reel::nn::ReLU6()(x), make({0, 0, 0.25, 3, 6}, {5}));
  require_close(reel::nn::Hardshrink(1.0)(x), make({-7, 0, 0, 3, 8}, {5}));
  require_close(reel::nn::Softshrink(1.0)(x), make({-6, 0, 0, 2, 7}, {5}));
  require_close(reel::nn::Softsign()(x), make({-7.0 / 8, -0.5, 0.2, 0.75, 8.0 / 9}, {5}));
  require_close(reel::nn::Tanhshrink()(x), x - reel::tanh(x));
  CHECK_THAT(error_of([] { reel::softshrink(reel::ones({2}), -0.5); }),
             Catch::Contains("softshrink: lambda must be greater or equal to 0"));
  CHECK_THAT(error_of([] { reel::softsign(reel::ones({2}, reel::kInt64)); }),
             Catch::Contains("softsign: expected a floating-point input"));
}
