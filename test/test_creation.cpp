// Tests of arange, linspace and eye (tensor/creation_ranges.cpp, cpu/creation.cpp): dtype rules, lengths,
// values against hand-worked or double-precision expectations, PyTorch's symmetric linspace, every dtype,
// empty results, and the errors of bad arguments.
#include <catch2/catch.hpp>
#include <reel/reel.h>

#include <cmath>
#include <functional>
#include <utility>
#include <vector>

using reel::IntList;
using reel::Tensor;
using Catch::Contains;

namespace {
std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }
}  // namespace

TEST_CASE("arange: dtype follows the bounds", "[creation]") {
  Tensor a = reel::arange(5);
  REQUIRE(a.dtype() == reel::kInt64);
  REQUIRE(a.sizes() == IntList({5}));
  REQUIRE(a.to_vector<int64_t>() == std::vector<int64_t>({0, 1, 2, 3, 4}));

  Tensor f = reel::arange(0, 1, 0.25);
  REQUIRE(f.dtype() == reel::kFloat32);
  REQUIRE(values(f) == std::vector<double>({0, 0.25, 0.5, 0.75}));
  REQUIRE(reel::arange(3.0).dtype() == reel::kFloat32);
  REQUIRE(reel::arange(3, reel::kFloat64).dtype() == reel::kFloat64);
  REQUIRE(values(reel::arange(3, reel::kFloat64)) == std::vector<double>({0, 1, 2}));
}

TEST_CASE("arange: length is ceil((end - start) / step)", "[creation]") {
  REQUIRE(values(reel::arange(1, 2.5, 0.5)) == std::vector<double>({1, 1.5, 2}));
  REQUIRE(reel::arange(10, 0, -3).to_vector<int64_t>() == std::vector<int64_t>({10, 7, 4, 1}));
  REQUIRE(reel::arange(0, 10, 3).to_vector<int64_t>() == std::vector<int64_t>({0, 3, 6, 9}));
  REQUIRE(reel::arange(-5, -2).to_vector<int64_t>() == std::vector<int64_t>({-5, -4, -3}));
  REQUIRE(reel::arange(0, 1, 0.1).numel() == 10);
  REQUIRE(reel::arange(0).numel() == 0);
  REQUIRE(reel::arange(4, 4).numel() == 0);
  REQUIRE(reel::arange(2, 2, -1).numel() == 0);

  // A long float64 range against start + i * step in double.
  Tensor big = reel::arange(-3.0, 1000.0, 0.7, reel::kFloat64);
  const auto expected_len = static_cast<int64_t>(std::ceil((1000.0 + 3.0) / 0.7));
  REQUIRE(big.numel() == expected_len);
  auto v = values(big);
  for (int64_t i = 0; i < expected_len; i += 97) REQUIRE(v[i] == -3.0 + static_cast<double>(i) * 0.7);
}

TEST_CASE("arange: every numeric dtype", "[creation]") {
  const reel::ScalarType dtypes[] = {reel::kUInt8,   reel::kInt32,    reel::kInt64,
                                     reel::kFloat16, reel::kBFloat16, reel::kFloat32, reel::kFloat64};
  for (auto dtype : dtypes) {
    INFO("dtype " << dtype);
    Tensor t = reel::arange(2, 40, 3, dtype);
    REQUIRE(t.dtype() == dtype);
    std::vector<double> expected;
    for (int v = 2; v < 40; v += 3) expected.push_back(v);
    REQUIRE(values(t) == expected);
  }
  // Integral outputs convert the bounds to integers first, as PyTorch does.
  REQUIRE(reel::arange(0.5, 3.0, 1, reel::kInt64).to_vector<int64_t>() == std::vector<int64_t>({0, 1, 2}));
}

TEST_CASE("arange: errors", "[creation]") {
  REQUIRE_THROWS_WITH(reel::arange(0, 5, 0), Contains("arange") && Contains("step"));
  REQUIRE_THROWS_WITH(reel::arange(0.0, 5.0, 0.0), Contains("arange") && Contains("nonzero"));
  REQUIRE_THROWS_WITH(reel::arange(0, 5, -1), Contains("arange") && Contains("sign"));
  REQUIRE_THROWS_WITH(reel::arange(5.0, 0.0, 0.5), Contains("arange") && Contains("sign"));
  REQUIRE_THROWS_WITH(reel::arange(0, 5, 1, reel::kBool), Contains("arange") && Contains("bool"));
  REQUIRE_THROWS_WITH(reel::arange(0.0, INFINITY, 1.0), Contains("arange"));
  REQUIRE_THROWS_WITH(reel::arange(0, 2.5, 0.5, reel::kInt64), Contains("arange") && Contains("step"));
}

TEST_CASE("linspace: values and PyTorch's symmetric halves", "[creation]") {
  Tensor l = reel::linspace(0, 1, 5);
  REQUIRE(l.dtype() == reel::kFloat32);
  REQUIRE(values(l) == std::vector<double>({0, 0.25, 0.5, 0.75, 1}));
  REQUIRE(values(reel::linspace(3, 7, 1)) == std::vector<double>({3}));
  REQUIRE(reel::linspace(3, 7, 0).numel() == 0);
  REQUIRE(values(reel::linspace(2, -2, 3)) == std::vector<double>({2, 0, -2}));

  // The endpoints are exact and the two halves mirror each other exactly.
  for (auto dtype : {reel::kFloat32, reel::kFloat64}) {
    Tensor s = reel::linspace(-1, 1, 101, dtype);
    REQUIRE(s.dtype() == dtype);
    auto v = values(s);
    REQUIRE(v.front() == -1.0);
    REQUIRE(v.back() == 1.0);
    for (int i = 0; i < 101; ++i) {
      if (i != 50) REQUIRE(v[i] == -v[100 - i]);  // the middle value is 1 - 50 * step, only nearly 0
      REQUIRE(v[i] == Approx(-1.0 + i * 0.02).margin(1e-6));
    }
  }
}

TEST_CASE("linspace: every numeric dtype", "[creation]") {
  // Integral dtypes step in double and truncate: 0, 2.5, 5, 7.5, 10 -> 0, 2, 5, 7, 10.
  for (auto dtype : {reel::kUInt8, reel::kInt32, reel::kInt64}) {
    INFO("dtype " << dtype);
    REQUIRE(values(reel::linspace(0, 10, 5, dtype)) == std::vector<double>({0, 2, 5, 7, 10}));
  }
  for (auto dtype : {reel::kFloat16, reel::kBFloat16, reel::kFloat32, reel::kFloat64}) {
    INFO("dtype " << dtype);
    auto v = values(reel::linspace(-4, 4, 17, dtype));
    REQUIRE(v.size() == 17);
    for (int i = 0; i < 17; ++i) REQUIRE(v[i] == -4.0 + 0.5 * i);  // all exact in every float type
  }
}

TEST_CASE("linspace: errors and options", "[creation]") {
  REQUIRE_THROWS_WITH(reel::linspace(0, 1, -1), Contains("linspace") && Contains("-1"));
  REQUIRE_THROWS_WITH(reel::linspace(0, 1, 3, reel::kBool), Contains("linspace") && Contains("bool"));
  REQUIRE_THROWS_WITH(reel::linspace(0.0, NAN, 3), Contains("linspace"));
  Tensor g = reel::linspace(0, 1, 3, reel::requires_grad());
  REQUIRE(g.requires_grad());
  REQUIRE(g.dtype() == reel::kFloat32);
}

TEST_CASE("eye: square, rectangular, every dtype", "[creation]") {
  REQUIRE(values(reel::eye(3)) == std::vector<double>({1, 0, 0, 0, 1, 0, 0, 0, 1}));
  REQUIRE(reel::eye(3).dtype() == reel::kFloat32);
  Tensor r = reel::eye(2, 4);
  REQUIRE(r.sizes() == IntList({2, 4}));
  REQUIRE(values(r) == std::vector<double>({1, 0, 0, 0, 0, 1, 0, 0}));
  REQUIRE(values(reel::eye(3, 2)) == std::vector<double>({1, 0, 0, 1, 0, 0}));
  REQUIRE(reel::eye(0).sizes() == IntList({0, 0}));
  REQUIRE(reel::eye(2, 0).sizes() == IntList({2, 0}));

  const reel::ScalarType dtypes[] = {reel::kBool,    reel::kUInt8,    reel::kInt32,   reel::kInt64,
                                     reel::kFloat16, reel::kBFloat16, reel::kFloat32, reel::kFloat64};
  for (auto dtype : dtypes) {
    INFO("dtype " << dtype);
    Tensor e = reel::eye(70, 50, dtype);
    REQUIRE(e.dtype() == dtype);
    auto v = values(e);
    for (int i = 0; i < 70; ++i)
      for (int j = 0; j < 50; ++j) REQUIRE(v[i * 50 + j] == (i == j ? 1.0 : 0.0));
  }
  REQUIRE_THROWS_WITH(reel::eye(-1), Contains("eye") && Contains("-1"));
  REQUIRE_THROWS_WITH(reel::eye(2, -3), Contains("eye") && Contains("-3"));
}

TEST_CASE("creation: large outputs are identical for 1 and 2 threads", "[creation]") {
  const int saved = reel::get_num_threads();
  reel::set_num_threads(1);
  auto a1 = values(reel::arange(0.0, 300000.0, 1.5, reel::kFloat64));
  auto l1 = values(reel::linspace(-7, 13, 200001));
  auto e1 = values(reel::eye(700));
  reel::set_num_threads(2);
  auto a2 = values(reel::arange(0.0, 300000.0, 1.5, reel::kFloat64));
  auto l2 = values(reel::linspace(-7, 13, 200001));
  auto e2 = values(reel::eye(700));
  reel::set_num_threads(saved);
  REQUIRE(a1 == a2);
  REQUIRE(l1 == l2);
  REQUIRE(e1 == e2);
  REQUIRE(a1.size() == 200000);
  REQUIRE(a1[123456] == 123456 * 1.5);
  REQUIRE(l1[100000] == Approx(3.0));
}

// Every creation call given requires_grad() must return a leaf that collects its gradient (a creator that set
// requires_grad before a final view or cast returned a non-leaf whose .grad() stayed undefined: tensor({{...}})).
TEST_CASE("creation with requires_grad() gives leaves that receive gradients", "[creation][autograd]") {
  const auto grad_on = reel::requires_grad();
  const auto float_grad = reel::TensorOptions(reel::kFloat32).requires_grad(true);
  const std::vector<std::pair<const char*, std::function<Tensor()>>> creators = {
      {"tensor({1.0, 2.0})", [&] { return reel::tensor({1.0, 2.0}, grad_on); }},
      {"tensor({{1.0, 2.0}, {3.0, 4.0}})", [&] { return reel::tensor({{1.0, 2.0}, {3.0, 4.0}}, grad_on); }},
      {"tensor({{1, 2}}, float)", [&] { return reel::tensor({{1, 2}, {3, 4}}, float_grad); }},
      {"tensor(vector, float64)",
       [&] { return reel::tensor(std::vector<double>{1, 2}, reel::TensorOptions(reel::kFloat64).requires_grad(true)); }},
      {"zeros", [&] { return reel::zeros({2, 3}, grad_on); }},
      {"ones", [&] { return reel::ones({2, 3}, grad_on); }},
      {"full", [&] { return reel::full({2, 3}, 1.5, grad_on); }},
      {"empty", [&] { return reel::empty({2, 3}, grad_on); }},
      {"arange", [&] { return reel::arange(4, float_grad); }},
      {"linspace", [&] { return reel::linspace(0, 1, 5, grad_on); }},
      {"eye", [&] { return reel::eye(3, grad_on); }},
      {"rand", [&] { return reel::rand({2, 2}, grad_on); }},
      {"randn", [&] { return reel::randn({2, 2}, grad_on); }},
      {"zeros_like", [&] { return reel::zeros_like(reel::ones({2}), grad_on); }},
      {"scalar_tensor", [&] { return reel::scalar_tensor(2.0, grad_on); }},
  };
  for (const auto& [label, create] : creators) {
    INFO(label);
    Tensor t = create();
    CHECK(t.requires_grad());
    CHECK(t.is_leaf());
    CHECK_FALSE(static_cast<bool>(t.grad_fn()));
    (t * 2).sum().backward();
    REQUIRE(t.grad().defined());
    CHECK(t.grad().sizes() == t.sizes());
    CHECK(t.grad().eq(2).all().item<bool>());
  }
}
