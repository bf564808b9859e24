// reel/test/test_pointwise_math.cpp — hand-derived values and PyTorch's documented semantics for the pointwise ops
// beyond the basics, where the op table's sweeps (test/op_table_elementwise.cpp, op_table_pointwise_math.cpp) cannot
// say it alone: the sign rules of remainder / fmod / floor_divide and div's rounding modes, integer division by zero,
// shift widths, nan_to_num's limits, xlogy at 0, dtype results (integer inputs to float ops), refused dtypes,
// the bitwise operators, clamp / clamp_min / clamp_max with tensor bounds and masked_fill with a tensor value
// (values and the gradients PyTorch gives at ties), logit's gradient outside its domain, and known special values.
#include <cmath>
#include <limits>

#include "test/autograd_test_utils.h"

using autograd_test::error_of;
using autograd_test::values;
using reel::Tensor;

namespace {

const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

Tensor doubles(std::initializer_list<double> v) { return reel::tensor(v, reel::kFloat64); }
Tensor longs(std::initializer_list<int64_t> v) { return reel::tensor(v, reel::kInt64); }

void check_values(const Tensor& got, const std::vector<double>& expected, double tolerance = 1e-12) {
  const std::vector<double> g = values(got);
  REQUIRE(g.size() == expected.size());
  for (size_t i = 0; i < g.size(); ++i) {
    INFO("element " << i << ": got " << g[i] << ", expected " << expected[i]);
    if (std::isnan(expected[i])) {
      CHECK(std::isnan(g[i]));
    } else if (std::isinf(expected[i])) {
      CHECK(g[i] == expected[i]);
    } else {
      CHECK(std::abs(g[i] - expected[i]) <= tolerance * (1 + std::abs(expected[i])));
    }
  }
}

}  // namespace

TEST_CASE("pointwise math: remainder follows the divisor's sign, fmod the dividend's", "[pointwise]") {
  // Python: 7 % -3 = -2, -7 % 3 = 2, -7 % -3 = -1; C: fmod(7, -3) = 1, fmod(-7, 3) = -1
  const Tensor a = longs({7, -7, 7, -7});
  const Tensor b = longs({3, 3, -3, -3});
  check_values(reel::remainder(a, b), {1, 2, -2, -1});
  check_values(reel::fmod(a, b), {1, -1, 1, -1});
  check_values(reel::remainder(a.to(reel::kFloat64) + 0.5, 3.0), {1.5, 2.5, 1.5, 2.5});
  check_values(reel::fmod(doubles({7.5, -7.5}), -2.0), {1.5, -1.5});
  CHECK(reel::remainder(a, b).dtype() == reel::kInt64);
  // x % -1 and the minimum of int64 % -1: 0, not a trap
  check_values(reel::remainder(longs({std::numeric_limits<int64_t>::min(), 5}), -1), {0, 0});
}

TEST_CASE("pointwise math: floor_divide and div's rounding modes", "[pointwise]") {
  const Tensor a = longs({7, -7, 7, -7, 6});
  const Tensor b = longs({2, 2, -2, -2, 3});
  check_values(reel::floor_divide(a, b), {3, -4, -4, 3, 2});
  check_values(reel::div(a, b, "floor"), {3, -4, -4, 3, 2});
  check_values(reel::div(a, b, "trunc"), {3, -3, -3, 3, 2});
  CHECK(reel::div(a, b, "trunc").dtype() == reel::kInt64);
  CHECK(reel::div(a, b).dtype() == reel::kFloat32);  // true division
  CHECK(a.div(2, "floor").dtype() == reel::kInt64);
  const Tensor x = doubles({7.5, -7.5, 0.5, -0.5});
  check_values(reel::div(x, 2.0, "floor"), {3, -4, 0, -1});
  check_values(reel::div(x, 2.0, "trunc"), {3, -3, 0, -0.0});
  CHECK(std::signbit(values(reel::div(x, 2.0, "trunc"))[3]));
  check_values(reel::floor_divide(doubles({1, -1, 0}), 0.0), {kInf, -kInf, kNan});
  Tensor y = longs({9, -9});
  y.div_(longs({4, 4}), "floor");
  check_values(y, {2, -3});
  CHECK(error_of([&] { reel::div(a, b, "round"); }).find("rounding_mode") != std::string::npos);
  // the gradients of div with a mode are zero, as PyTorch's
  Tensor p = doubles({3.5, -2.25}).requires_grad_();
  reel::div(p, 0.75, "floor").sum().backward();
  check_values(p.grad(), {0, 0});
}

TEST_CASE("pointwise math: integer division by zero throws", "[pointwise]") {
  const Tensor a = longs({1, 2});
  const Tensor zero = longs({1, 0});
  for (const auto& [name, fn] : std::vector<std::pair<std::string, std::function<void()>>>{
           {"remainder", [&] { reel::remainder(a, zero); }},
           {"fmod", [&] { reel::fmod(a, 0); }},
           {"floor_divide", [&] { reel::floor_divide(a, zero); }},
           {"div", [&] { reel::div(a, zero, "trunc"); }},
           {"remainder_", [&] { Tensor c = a.clone(); c.remainder_(0); }}}) {
    INFO(name);
    const std::string message = error_of(fn);
    CHECK(message.find("ZeroDivisionError") != std::string::npos);
  }
}

TEST_CASE("pointwise math: shifts, bitwise ops and their operators", "[pointwise]") {
  const Tensor a = reel::tensor({-8, 5, 1}, reel::kInt32);
  check_values(a << 2, {-32, 20, 4});
  check_values(a >> 1, {-4, 2, 0});
  // PyTorch's rules: a shift by a negative amount or by the width or more gives 0 (left) or the sign fill (right)
  check_values(reel::bitwise_left_shift(a, reel::tensor({32, -1, 31}, reel::kInt32)), {0, 0, -2147483648.0});
  check_values(reel::bitwise_right_shift(a, reel::tensor({40, -1, 31}, reel::kInt32)), {-1, 0, 0});
  const Tensor u = reel::tensor({0xF0, 0x0F}, reel::kUInt8);
  check_values(u >> 8, {0, 0});
  check_values(~u, {0x0F, 0xF0});
  check_values(u & 0x3C, {0x30, 0x0C});
  check_values(u | 0x01, {0xF1, 0x0F});
  check_values(u ^ u, {0, 0});
  const Tensor t = reel::tensor({true, false});
  check_values(~t, {0, 1});
  CHECK((~t).dtype() == reel::kBool);
  check_values(t & reel::tensor({true, true}), {1, 0});
  Tensor w = longs({6});
  w &= 3;
  w |= 8;
  w ^= 1;
  w <<= 1;
  w >>= 2;
  check_values(w, {5});  // ((6 & 3) | 8) ^ 1 = 11, << 1 = 22, >> 2 = 5
  for (const auto& [name, fn] : std::vector<std::pair<std::string, std::function<void()>>>{
           {"bitwise_and", [] { reel::bitwise_and(reel::ones({2}), reel::ones({2})); }},
           {"bitwise_not", [] { reel::bitwise_not(reel::ones({2}, reel::kFloat64)); }},
           {"bitwise_left_shift", [] { reel::bitwise_left_shift(reel::tensor({true}), reel::tensor({true})); }},
           {"bitwise_xor", [] { reel::bitwise_xor(longs({1}), 1.5); }}}) {
    INFO(name);
    const std::string message = error_of(fn);
    CHECK(message.find(name) == 0);
    CHECK((message.find("float") != std::string::npos || message.find("bool") != std::string::npos));
  }
}

TEST_CASE("pointwise math: float ops promote integers to float32 and float-only ops refuse them", "[pointwise]") {
  const Tensor i = longs({1, 2});
  CHECK(reel::atan2(i, i).dtype() == reel::kFloat32);
  CHECK(reel::xlogy(i, i).dtype() == reel::kFloat32);
  CHECK(reel::copysign(i, -1).dtype() == reel::kFloat32);
  CHECK(reel::lgamma(i).dtype() == reel::kFloat32);
  CHECK(reel::logit(i).dtype() == reel::kFloat32);
  CHECK(reel::polygamma(1, i).dtype() == reel::kFloat32);
  CHECK(reel::trunc(i).dtype() == reel::kInt64);
  CHECK(reel::fmax(i, i).dtype() == reel::kInt64);
  CHECK(reel::nan_to_num(i).dtype() == reel::kInt64);
  check_values(reel::logit(reel::tensor({0.25}, reel::kFloat64)), {std::log(1.0 / 3.0)});
  for (const auto& [name, fn] : std::vector<std::pair<std::string, std::function<void()>>>{
           {"hypot", [&] { reel::hypot(i, i); }},
           {"logaddexp", [&] { reel::logaddexp(i, i); }},
           {"frac", [&] { reel::frac(i); }},
           {"lerp", [&] { reel::lerp(i, i, 0.5); }}}) {
    INFO(name);
    CHECK(error_of(fn).find(name) == 0);
  }
  CHECK(error_of([] { reel::polygamma(-1, doubles({1})); }).find("negative n") != std::string::npos);
}

TEST_CASE("pointwise math: known values of the special functions", "[pointwise]") {
  const double euler = 0.57721566490153286061;
  check_values(reel::digamma(doubles({1, 0.5, 0.0, -0.0, -1})),
               {-euler, -euler - 2 * std::log(2.0), -kInf, kInf, kNan});
  check_values(reel::polygamma(1, doubles({1, 0.5})), {M_PI * M_PI / 6, M_PI * M_PI / 2});
  check_values(reel::polygamma(2, doubles({1})), {-2.4041138063191885708});  // -2 zeta(3)
  check_values(reel::polygamma(3, doubles({1})), {M_PI * M_PI * M_PI * M_PI / 15});  // 6 zeta(4)
  check_values(reel::erfinv(doubles({0.5, -0.5, 0, 1, -1, 1.5})),
               {0.47693627620446987338, -0.47693627620446987338, 0, kInf, -kInf, kNan});
  check_values(reel::lgamma(doubles({0.5, 3})), {0.5 * std::log(M_PI), std::log(2.0)});
  check_values(reel::sinc(doubles({0, 0.5, 1})), {1, 2 / M_PI, 0}, 1e-15);
  check_values(reel::xlogy(doubles({0, 0, 0, 2}), doubles({0, kNan, 5, kInf})), {0, kNan, 0, kInf});
  check_values(reel::logaddexp(doubles({-kInf, kInf, 1000}), doubles({-kInf, kInf, 1000})),
               {-kInf, kInf, 1000 + std::log(2.0)});
  check_values(reel::fmax(doubles({kNan, 1, kNan}), doubles({2, kNan, kNan})), {2, 1, kNan});
  check_values(reel::fmin(doubles({kNan, 1}), doubles({2, kNan})), {2, 1});
  check_values(reel::signbit(doubles({-0.0, 0.0, -kNan, -1})), {1, 0, 1, 1});
  check_values(reel::isposinf(doubles({kInf, -kInf, kNan})), {1, 0, 0});
}

TEST_CASE("pointwise math: nan_to_num's defaults are the dtype's finite limits", "[pointwise]") {
  const Tensor x = doubles({kNan, kInf, -kInf, 2});
  check_values(reel::nan_to_num(x), {0, std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(), 2});
  check_values(x.to(reel::kFloat32).nan_to_num(), {0, std::numeric_limits<float>::max(),
                                                    std::numeric_limits<float>::lowest(), 2});
  check_values(x.to(reel::kFloat16).nan_to_num(), {0, 65504, -65504, 2});
  check_values(reel::nan_to_num(x, 1.0, std::nullopt, -5.0), {1, std::numeric_limits<double>::max(), -5, 2});
  Tensor y = x.clone();
  y.nan_to_num_(7.0, 8.0, 9.0);
  check_values(y, {7, 8, 9, 2});
  // gradient: 1 where the input is finite, 0 elsewhere
  Tensor p = doubles({kNan, 3}).requires_grad_();
  p.nan_to_num().sum().backward();
  check_values(p.grad(), {0, 1});
}

TEST_CASE("pointwise math: logit's gradient outside its domain", "[pointwise]") {
  // without eps: NaN outside [0, 1]; with eps: 0 outside [eps, 1 - eps] (PyTorch's logit_backward)
  Tensor x = doubles({-0.5, 0.5, 1.5}).requires_grad_();
  reel::logit(x).sum().backward();
  check_values(x.grad(), {kNan, 4, kNan});
  Tensor z = doubles({0.05, 0.5, 0.95}).requires_grad_();
  z.logit(0.1).sum().backward();
  check_values(z.grad(), {0, 4, 0});
  check_values(reel::logit(doubles({0.05}), 0.1), {std::log(0.1 / 0.9)});
}

TEST_CASE("pointwise math: clamp with tensor bounds, clamp_min and clamp_max", "[pointwise]") {
  const Tensor lo = doubles({0, 0, 0, 2});
  const Tensor hi = doubles({1, 1, 1, 1});  // the last pair crosses: the result is hi
  Tensor x = doubles({-1, 0.5, 2, 0}).requires_grad_();
  Tensor l = lo.clone().requires_grad_();
  Tensor h = hi.clone().requires_grad_();
  const Tensor y = reel::clamp(x, l, h);
  check_values(y, {0, 0.5, 1, 1});
  y.sum().backward();
  check_values(x.grad(), {0, 1, 0, 0});
  check_values(l.grad(), {1, 0, 0, 0});  // lo > x and lo < hi
  check_values(h.grad(), {0, 0, 1, 1});  // hi < x or hi < lo
  // one bound: clamp_min / clamp_max, broadcasting, ties give the gradient to self
  Tensor a = doubles({1, 2, 3}).requires_grad_();
  Tensor m = doubles({2}).requires_grad_();
  const Tensor z = reel::clamp(a, m);
  check_values(z, {2, 2, 3});
  z.sum().backward();
  check_values(a.grad(), {0, 1, 1});
  check_values(m.grad(), {1});
  check_values(reel::clamp(doubles({1, 5}), std::nullopt, doubles({3})), {1, 3});
  check_values(doubles({1, 5}).clamp_max(2.0), {1, 2});
  check_values(longs({-4, 4}).clamp_min(longs({0})), {0, 4});
  CHECK(reel::clamp(longs({1}), doubles({0.5}), doubles({2})).dtype() == reel::kFloat64);
  Tensor c = doubles({-3, 3});
  c.clamp_(doubles({-1, -1}), doubles({1}));
  check_values(c, {-1, 1});
  check_values(reel::clamp(doubles({kNan, 0}), doubles({0, kNan}), doubles({1, 1})), {kNan, kNan});
  CHECK(error_of([] { reel::clamp(doubles({1}), std::optional<Tensor>(), std::optional<Tensor>()); })
            .find("clamp") == 0);
}

TEST_CASE("pointwise math: masked_fill with a 0-dim tensor value", "[pointwise]") {
  Tensor x = doubles({1, 2, 3, 4}).requires_grad_();
  Tensor v = reel::scalar_tensor(7.0, reel::kFloat64).requires_grad_();
  const Tensor mask = reel::tensor({true, false, true, false});
  const Tensor y = x.masked_fill(mask, v);
  check_values(y, {7, 2, 7, 4});
  (y * doubles({1, 10, 100, 1000})).sum().backward();
  check_values(v.grad(), {101});  // the sum of the gradient over the masked positions
  check_values(x.grad(), {0, 10, 0, 1000});
  check_values(longs({1, 2}).masked_fill(reel::tensor({false, true}), longs({5}).squeeze()), {1, 5});
  Tensor z = doubles({1, 2});
  z.masked_fill_(reel::tensor({true, false}), reel::scalar_tensor(-1.0, reel::kFloat32));
  check_values(z, {-1, 2});
  CHECK(error_of([&] { reel::masked_fill(doubles({1}), reel::tensor({true}), doubles({1})); })
            .find("0-dimensional value tensor") != std::string::npos);
}

TEST_CASE("pointwise math: lerp with a scalar and a tensor weight", "[pointwise]") {
  Tensor s = doubles({0, 10}).requires_grad_();
  Tensor e = doubles({1, 20}).requires_grad_();
  Tensor w = doubles({0.25, 0.75}).requires_grad_();
  const Tensor y = reel::lerp(s, e, w);
  check_values(y, {0.25, 17.5});
  y.sum().backward();
  check_values(s.grad(), {0.75, 0.25});
  check_values(e.grad(), {0.25, 0.75});
  check_values(w.grad(), {1, 10});
  check_values(doubles({2}).lerp(doubles({4}), 0.5), {3});
  Tensor t = doubles({0, 1});
  t.lerp_(doubles({1}), 1.0);  // exact at weight 1
  check_values(t, {1, 1}, 0);
  CHECK(error_of([] { reel::lerp(doubles({1}), reel::ones({1}), 0.5); }).find("lerp: expected dtype") == 0);
}

TEST_CASE("pointwise math: gradcheck and gradgradcheck at hand-picked points", "[pointwise][gradcheck]") {
  using reel::autograd::gradcheck;
  using reel::autograd::gradgradcheck;
  const std::vector<std::pair<std::string, std::function<Tensor(const std::vector<Tensor>&)>>> cases = {
      {"polygamma(3, x)", [](const std::vector<Tensor>& in) { return reel::polygamma(3, in[0]); }},
      {"logit(x, 0.1)", [](const std::vector<Tensor>& in) { return reel::logit(in[0], 0.1); }},
      {"digamma", [](const std::vector<Tensor>& in) { return reel::digamma(in[0]); }},
      {"lgamma", [](const std::vector<Tensor>& in) { return reel::lgamma(in[0]); }},
      {"erfinv", [](const std::vector<Tensor>& in) { return reel::erfinv(in[0] * 0.3); }},
  };
  for (const auto& [name, fn] : cases) {
    INFO(name);
    const std::vector<Tensor> inputs = {doubles({0.6, 1.3, 2.7}).requires_grad_()};
    const auto first = gradcheck(fn, inputs);
    INFO(first.message);
    CHECK(first.ok);
    const auto second = gradgradcheck(fn, inputs);
    INFO(second.message);
    CHECK(second.ok);
  }
}
