// reel/test/test_edge_gradients.cpp — values and gradients at the edge points where a formula has a choice to make,
// checked against PyTorch's own formulas evaluated here in float64 (and finite differences where the function is
// differentiable): pow with integer operands (PyTorch's error for a negative Scalar exponent, its integer kernel's
// values for a tensor exponent), pow's gradients at a zero base or a zero exponent (pow_backward_self /
// pow_backward_exponent in PyTorch's FunctionsManual.cpp), cosine_similarity below eps (PyTorch 2.x's Distance.cpp
// clamps each norm in place under no_grad, so the clamp passes the norm's gradient through) and kl_div's gradient
// at a zero target (PyTorch 2.x's composite xlogy(t, t) - t x: NaN there).
#include <reel/reel.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "test/reduce_reference.h"

namespace F = reel::nn::functional;
using reel::Tensor;

namespace {

using Values = std::vector<double>;
constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor leaf64(const Values& v, reel::IntList sizes) {
  return reel::tensor(v, reel::kFloat64).reshape(sizes).detach().requires_grad_();
}

// Equal values within tol (absolute and relative), NaN matching NaN and infinities matching by sign.
void check_same(const Tensor& actual, const Values& expected, double tol = 1e-12) {
  reduce_test::check_close(actual, expected, tol, tol);
}

// Central difference of sum(f(x)) with respect to element i of x (float64).
template <typename Fn>
double numeric_partial(Fn f, const Values& x, reel::IntList sizes, size_t i, double h = 1e-6) {
  Values plus = x, minus = x;
  plus[i] += h;
  minus[i] -= h;
  const double up = f(reel::tensor(plus, reel::kFloat64).reshape(sizes)).sum().template item<double>();
  const double down = f(reel::tensor(minus, reel::kFloat64).reshape(sizes)).sum().template item<double>();
  return (up - down) / (2 * h);
}

}  // namespace

// ---- pow with integer operands ------------------------------------------------------------------------------------
// (a macro: Catch's combined matchers refer to their parts, which must live as long as the check)
#define NEGATIVE_POWER_MESSAGE \
  (Catch::Contains("pow") && Catch::Contains("Integers to negative integer powers are not allowed."))
TEST_CASE("pow of an integer tensor to a negative integer Scalar is refused with PyTorch's message", "[edge-gradients]") {
  const Tensor ints = reel::tensor({2, 3}, reel::kInt64);
  CHECK_THROWS_WITH(reel::pow(ints, -2), NEGATIVE_POWER_MESSAGE);
  CHECK_THROWS_WITH(ints.pow(-1), NEGATIVE_POWER_MESSAGE);
  CHECK_THROWS_WITH(reel::pow(reel::tensor({2}, reel::kInt32), -1), NEGATIVE_POWER_MESSAGE);
  CHECK_THROWS_WITH(reel::pow(reel::tensor({uint8_t{2}}), -1), NEGATIVE_POWER_MESSAGE);
  CHECK_THROWS_WITH(reel::pow(reel::tensor({true, false}), -1), NEGATIVE_POWER_MESSAGE);
  Tensor in_place = reel::tensor({2, 3}, reel::kInt64);
  CHECK_THROWS_WITH(in_place.pow_(-1), NEGATIVE_POWER_MESSAGE);
  CHECK(in_place.to_vector<int64_t>() == std::vector<int64_t>{2, 3});  // untouched
  // Allowed: a floating exponent or base, a non-negative exponent.
  check_same(reel::pow(ints, -2.0), {0.25, 1.0 / 9}, 1e-7);  // float32
  CHECK(reel::pow(ints, -2.0).dtype() == reel::kFloat32);
  check_same(reel::pow(reel::tensor({2.0, 4.0}, reel::kFloat64), -1), {0.5, 0.25});
  CHECK(reel::pow(ints, 0).to_vector<int64_t>() == std::vector<int64_t>{1, 1});
  CHECK(reel::pow(ints, 2).to_vector<int64_t>() == std::vector<int64_t>{4, 9});
}

TEST_CASE("pow with a negative integer tensor exponent follows PyTorch's integer kernel", "[edge-gradients]") {
  // b < 0: 1^b = 1, (-1)^b = -1 for odd b and 1 for even b, anything else 0 (0^b included).
  auto expected = [](int64_t a, int64_t b) -> int64_t {
    if (b >= 0) {
      int64_t r = 1;
      for (int64_t i = 0; i < b; ++i) r *= a;
      return r;
    }
    if (a == 1) return 1;
    if (a == -1) return b % 2 == 0 ? 1 : -1;
    return 0;
  };
  const std::vector<int64_t> bases{2, 1, -1, 0, -1, 3, -2, 5};
  const std::vector<int64_t> exponents{-1, -2, -3, -1, -4, 0, -2, 2};
  std::vector<int64_t> want;
  for (size_t i = 0; i < bases.size(); ++i) want.push_back(expected(bases[i], exponents[i]));
  const Tensor a = reel::tensor(bases, reel::kInt64), b = reel::tensor(exponents, reel::kInt64);
  CHECK(reel::pow(a, b).to_vector<int64_t>() == want);
  CHECK(reel::pow(a.to(reel::kInt32), b.to(reel::kInt32)).to_vector<int64_t>() == want);
  Tensor in_place = a.clone();
  in_place.pow_(b);
  CHECK(in_place.to_vector<int64_t>() == want);
  // A Scalar base goes through the same kernel: pow(3, [-1, 0, 2]) = [0, 1, 9], pow(-1, [-1, -2, 2]) = [-1, 1, 1].
  CHECK(reel::pow(3, reel::tensor({-1, 0, 2}, reel::kInt64)).to_vector<int64_t>() == std::vector<int64_t>{0, 1, 9});
  CHECK(reel::pow(-1, reel::tensor({-1, -2, 2}, reel::kInt64)).to_vector<int64_t>() ==
        std::vector<int64_t>{-1, 1, 1});
  // A 0-dim integer tensor exponent is a tensor, not a Scalar: no error, the kernel's values.
  CHECK(reel::pow(reel::tensor({2, 3}, reel::kInt64), reel::scalar_tensor(-2, reel::kInt64)).to_vector<int64_t>() ==
        std::vector<int64_t>{0, 0});
}

// ---- pow's gradients at edge points ----------------------------------------------------------------------------------
TEST_CASE("pow gradients at a zero base and a zero exponent follow PyTorch's pow_backward", "[edge-gradients]") {
  const Values base{0, 0, 0, 2, -1.5, 0, 3};
  const Values exponent{0, 2, -1, 0, 3, 0.5, 1.5};
  const Tensor a = leaf64(base, {7}), e = leaf64(exponent, {7});
  const Tensor y = reel::pow(a, e);
  y.sum().backward();
  // PyTorch: da = where(e == 0, 0, g e a^(e-1)); de = g where(a == 0 && e >= 0, 0, y ln a).
  Values da, de;
  for (size_t i = 0; i < base.size(); ++i) {
    const double value = std::pow(base[i], exponent[i]);
    da.push_back(exponent[i] == 0 ? 0.0 : exponent[i] * std::pow(base[i], exponent[i] - 1));
    de.push_back(base[i] == 0 && exponent[i] >= 0 ? 0.0 : value * std::log(base[i]));
  }
  // Spelled out at the edges: d(0^0)/da = 0 (not 0 * 0^-1 = NaN), d(0^-1)/da = -inf, d(0^0.5)/da = inf,
  // d(0^-1)/de = -inf, d((-1.5)^3)/de = NaN.
  CHECK(da[0] == 0);
  CHECK(da[2] == -kInf);
  CHECK(da[5] == kInf);
  CHECK(de[2] == -kInf);
  CHECK(std::isnan(de[4]));
  check_same(a.grad(), da);
  check_same(e.grad(), de);
  // Where pow is differentiable, the values agree with finite differences.
  const Tensor exponents = reel::tensor(exponent, reel::kFloat64);
  for (int64_t i : {3, 4, 6}) {
    INFO("element " << i);
    auto element = [&](const Tensor& x) { return reel::pow(x, exponents).select(0, i); };
    CHECK(da[static_cast<size_t>(i)] == Approx(numeric_partial(element, base, {7}, static_cast<size_t>(i))).epsilon(1e-6));
  }
}

TEST_CASE("pow gradients with a Scalar exponent or a Scalar base match PyTorch's Scalar forms", "[edge-gradients]") {
  const Values base{0, 2, -1.5};
  SECTION("a^0 has derivative 0 everywhere, 0^0 included") {
    for (reel::Scalar zero : {reel::Scalar(0.0), reel::Scalar(0)}) {
      const Tensor a = leaf64(base, {3});
      reel::pow(a, zero).sum().backward();
      check_same(a.grad(), {0, 0, 0});
      const Tensor b = leaf64(base, {3});
      b.pow(zero).sum().backward();
      check_same(b.grad(), {0, 0, 0});
    }
  }
  SECTION("a^0.5 and a^1: e a^(e-1)") {
    const Tensor a = leaf64(base, {3});
    reel::pow(a, 0.5).sum().backward();
    check_same(a.grad(), {kInf, 0.5 / std::sqrt(2.0), std::nan("")});
    const Tensor b = leaf64(base, {3});
    reel::pow(b, 1.0).sum().backward();
    check_same(b.grad(), {1, 1, 1});
  }
  SECTION("0^e: de = 0 for e >= 0, y ln 0 = -inf for e < 0; c^e: y ln c") {
    const Values exponent{0, 2, -1, 0.5};
    const Tensor e = leaf64(exponent, {4});
    const Tensor y = reel::pow(0.0, e);
    check_same(y, {1, 0, kInf, 0});
    y.sum().backward();
    check_same(e.grad(), {0, 0, -kInf, 0});
    const Tensor e2 = leaf64(exponent, {4});
    reel::pow(2.0, e2).sum().backward();
    Values expected;
    for (double v : exponent) expected.push_back(std::pow(2.0, v) * std::log(2.0));
    check_same(e2.grad(), expected);
  }
}

// ---- cosine_similarity below eps --------------------------------------------------------------------------------------
TEST_CASE("cosine_similarity below eps matches PyTorch 2.x's forward and gradient", "[edge-gradients]") {
  // Rows: ||x1|| = 0.05 (below eps = 0.1, above 1e-8), x1 = 0, x2 = 0 with ||x1|| = 5, and a regular pair.
  const Values v1{0.03, 0.04, 0, 0, 3, 4, 1, -2};
  const Values v2{1, 2, 1, 1, 0, 0, 0.5, 0.25};
  for (double eps : {1e-8, 0.1}) {
    INFO("eps " << eps);
    const Tensor x1 = leaf64(v1, {4, 2}), x2 = leaf64(v2, {4, 2});
    const Tensor y = F::cosine_similarity(x1, x2, 1, eps);
    y.sum().backward();
    // PyTorch 2.x: y = sum (x1 / c1) (x2 / c2), c = max(||x||, eps) with the clamp done in place under no_grad, so
    // the gradient flows through c as through ||x||: dy/dx1 = x2 / (c1 c2) - (x1 . x2) / (c1^2 c2) * x1 / ||x1||
    // (the second term 0 where ||x1|| = 0, as the norm's backward masks it), and symmetrically for x2.
    Values want_y, want_d1, want_d2;
    for (size_t r = 0; r < 4; ++r) {
      const double a0 = v1[2 * r], a1 = v1[2 * r + 1], b0 = v2[2 * r], b1 = v2[2 * r + 1];
      const double n1 = std::hypot(a0, a1), n2 = std::hypot(b0, b1);
      const double c1 = std::max(n1, eps), c2 = std::max(n2, eps);
      const double dot = a0 * b0 + a1 * b1;
      want_y.push_back(dot / (c1 * c2));
      const double through_c1 = -dot / (c1 * c1 * c2), through_c2 = -dot / (c1 * c2 * c2);
      want_d1.push_back(b0 / (c1 * c2) + (n1 == 0 ? 0 : through_c1 * a0 / n1));
      want_d1.push_back(b1 / (c1 * c2) + (n1 == 0 ? 0 : through_c1 * a1 / n1));
      want_d2.push_back(a0 / (c1 * c2) + (n2 == 0 ? 0 : through_c2 * b0 / n2));
      want_d2.push_back(a1 / (c1 * c2) + (n2 == 0 ? 0 : through_c2 * b1 / n2));
    }
    check_same(y, want_y, 1e-12);
    check_same(x1.grad(), want_d1, 1e-9);
    check_same(x2.grad(), want_d2, 1e-9);
  }
  // Values PyTorch 2.15 itself produced for eps = 0.1, row 0: y = 0.4919349550, dy/dx1 = [1.5205262247, 5.0087922696].
  const Tensor x1 = leaf64({0.03, 0.04}, {1, 2}), x2 = leaf64({1, 2}, {1, 2});
  const Tensor y = F::cosine_similarity(x1, x2, 1, 0.1);
  y.sum().backward();
  check_same(y, {0.4919349550}, 1e-9);
  check_same(x1.grad(), {1.5205262247, 5.0087922696}, 1e-9);
  // The reported case: ||x1|| = 0.001 below eps = 0.1. LibTorch 2.15's C++ API gives dy/dx1 = [9.9, 0] (1.13 gave
  // 9.999); finite differences of the forward give 10, because PyTorch passes the norm's gradient through the clamp.
  const Tensor small = leaf64({0.001, 0}, {1, 2}), unit = leaf64({1, 0}, {1, 2});
  const Tensor s = F::cosine_similarity(small, unit, 1, 0.1);
  s.sum().backward();
  check_same(s, {0.01});
  check_same(small.grad(), {9.9, 0});
  check_same(unit.grad(), {0, 0});
  // Above eps the function is smooth: the gradient agrees with finite differences.
  const Values far{1, -2, 0.5, 3};
  const Tensor f1 = leaf64(far, {2, 2});
  const Tensor other = reel::tensor({0.5, 0.25, -1.0, 2.0}, reel::kFloat64).reshape({2, 2});
  F::cosine_similarity(f1, other).sum().backward();
  const Values analytic = f1.grad().to_vector<double>();
  for (size_t i = 0; i < far.size(); ++i) {
    INFO("element " << i);
    CHECK(analytic[i] ==
          Approx(numeric_partial([&](const Tensor& x) { return F::cosine_similarity(x, other); }, far, {2, 2}, i))
              .epsilon(1e-6));
  }
}

// ---- kl_div at a zero target ----------------------------------------------------------------------------------------
TEST_CASE("kl_div gradients at a zero target match PyTorch 2.x's composite", "[edge-gradients]") {
  using Reduction = reel::nn::Reduction;
  const Values input{-1, -2, -0.5, -3};
  struct Case {
    Reduction reduction;
    double scale;  // d loss / d (elementwise loss)
  };
  for (Case c : {Case{Reduction::Sum, 1.0}, Case{Reduction::None, 1.0}, Case{Reduction::Mean, 0.25},
                 Case{Reduction::BatchMean, 0.25}}) {
    SECTION("probability target, reduction " + std::to_string(static_cast<int>(c.reduction))) {
      // loss_i = xlogy(t, t) - t x; d/dx = -t; d/dt = log t + t / t - x, which is NaN at t = 0 (PyTorch 2.x: xlogy's
      // gradient there is 0 for its first argument, and g * t / t = NaN for its second).
      const Values target{0, 0.5, 0, 0.25};
      const Tensor x = leaf64(input, {4}), t = leaf64(target, {4});
      F::kl_div(x, t, c.reduction, /*log_target=*/false).sum().backward();
      Values dx, dt;
      for (size_t i = 0; i < input.size(); ++i) {
        dx.push_back(-target[i] * c.scale);
        dt.push_back(target[i] == 0 ? std::nan("") : c.scale * (std::log(target[i]) + 1 - input[i]));
      }
      check_same(x.grad(), dx);
      check_same(t.grad(), dt);
    }
    SECTION("log target, reduction " + std::to_string(static_cast<int>(c.reduction))) {
      // loss_i = e^t (t - x); d/dx = -e^t; d/dt = e^t (t - x + 1), finite everywhere (t = 0 is probability 1).
      const Values target{0, -0.5, -100, 1};
      const Tensor x = leaf64(input, {4}), t = leaf64(target, {4});
      F::kl_div(x, t, c.reduction, /*log_target=*/true).sum().backward();
      Values dx, dt;
      for (size_t i = 0; i < input.size(); ++i) {
        dx.push_back(-std::exp(target[i]) * c.scale);
        dt.push_back(std::exp(target[i]) * (target[i] - input[i] + 1) * c.scale);
      }
      check_same(x.grad(), dx);
      check_same(t.grad(), dt);
    }
  }
  // Values PyTorch 2.15 itself produced (reduction sum, probability target [0, 0.5, 0, 0.25]):
  // loss 1.0568528194, d/dtarget [nan, 2.3068528194, nan, 2.6137056389].
  const Tensor x = leaf64(input, {4}), t = leaf64({0, 0.5, 0, 0.25}, {4});
  const Tensor loss = F::kl_div(x, t, Reduction::Sum, false);
  check_same(loss, {1.0568528194}, 1e-9);
  loss.backward();
  check_same(t.grad(), {std::nan(""), 2.3068528194, std::nan(""), 2.6137056389}, 1e-9);
}

// ---- accumulation into .grad --------------------------------------------------------------------------------------
TEST_CASE("a broadcast gradient accumulates elementwise over later backward passes", "[edge-gradients]") {
  // sum's gradient is one value expanded to the input's shape; kept as .grad, it must not make later passes add
  // every contribution into one shared element.
  const Tensor w = reel::zeros({3}, reel::kFloat64).requires_grad_();
  w.sum().backward();
  w.sum().backward();
  check_same(w.grad(), {2, 2, 2});
  (w * reel::tensor({1.0, 2.0, 3.0}, reel::kFloat64)).sum().backward();
  check_same(w.grad(), {3, 4, 5});
  // The same after a create_graph pass, whose .grad is kept as the formula returned it.
  const Tensor v = reel::zeros({3}, reel::kFloat64).requires_grad_();
  v.sum().backward({}, std::nullopt, /*create_graph=*/true);
  v.sum().backward();
  check_same(v.grad(), {2, 2, 2});
}
