// reel/test/test_random_sampling.cpp — the sampling ops beyond the op table's distribution checks
// (test/op_table_random_sampling.cpp): argument errors worded as PyTorch words them, random_'s ranges per dtype,
// multinomial without replacement against exact inclusion probabilities, reproducibility under manual_seed, and the
// in-place protocol on tensors that require grad.
#include <catch2/catch.hpp>
#include <reel/reel.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

using reel::Tensor;
using Catch::Contains;

namespace {

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

Tensor weights(std::vector<double> w) {
  return reel::from_blob_copy<double>(w.data(), {static_cast<int64_t>(w.size())}).to(reel::kFloat32);
}

}  // namespace

TEST_CASE("multinomial: argument and distribution errors", "[random][sampling]") {
  REQUIRE_THROWS_WITH(reel::multinomial(reel::ones({2, 2, 2}), 1), Contains("prob_dist must be 1 or 2 dim"));
  REQUIRE_THROWS_WITH(reel::multinomial(reel::ones({3}, reel::kInt64), 1), Contains("floating-point"));
  REQUIRE_THROWS_WITH(reel::multinomial(reel::ones({3}), 0), Contains("n_sample <= 0"));
  REQUIRE_THROWS_WITH(reel::multinomial(reel::ones({3}), 4), Contains("without replacement"));
  REQUIRE_THROWS_WITH(reel::multinomial(weights({1, -1, 2}), 1), Contains("element < 0"));
  REQUIRE_THROWS_WITH(reel::multinomial(weights({1, NAN, 2}), 1), Contains("`nan`"));
  REQUIRE_THROWS_WITH(reel::multinomial(weights({1, INFINITY, 2}), 1), Contains("`inf`"));
  REQUIRE_THROWS_WITH(reel::multinomial(weights({0, 0, 0}), 1, true), Contains("sum of probabilities <= 0"));
  REQUIRE_THROWS_WITH(reel::multinomial(weights({1, 0, 0}), 2), Contains("not enough non-negative category"));
  // With replacement, more samples than categories are fine; a single positive weight gives that category.
  REQUIRE(values(reel::multinomial(weights({0, 0, 5}), 7, true)) == std::vector<double>(7, 2.0));
}

TEST_CASE("multinomial: without replacement matches the exact second-draw probabilities", "[random][sampling]") {
  // Weights (1, 2, 3): P(second = c) = sum_{a != c} p_a p_c / (1 - p_a); p = (1/6, 1/3, 1/2).
  const double p[3] = {1.0 / 6, 1.0 / 3, 1.0 / 2};
  reel::manual_seed(7);
  const int64_t rows = 30000;
  const Tensor samples = reel::multinomial(weights({1, 2, 3}).unsqueeze(0).expand({rows, 3}), 2);
  REQUIRE(samples.sizes().vec() == std::vector<int64_t>{rows, 2});
  const std::vector<double> v = values(samples);
  std::vector<double> second(3, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    REQUIRE(v[2 * r] != v[2 * r + 1]);
    second[static_cast<size_t>(v[2 * r + 1])] += 1;
  }
  for (int c = 0; c < 3; ++c) {
    double q = 0;
    for (int a = 0; a < 3; ++a)
      if (a != c) q += p[a] * p[c] / (1 - p[a]);
    CHECK(std::fabs(second[c] / rows - q) < 6 * std::sqrt(q * (1 - q) / rows));
  }
  // Drawing all categories gives a permutation of them.
  const std::vector<double> all = values(reel::multinomial(weights({3, 1, 4, 1, 5}), 5));
  CHECK(std::set<double>(all.begin(), all.end()).size() == 5);
}

TEST_CASE("sampling ops: manual_seed repeats, other seeds differ", "[random][sampling]") {
  auto draw_all = [](uint64_t seed) {
    reel::manual_seed(seed);
    std::vector<double> out;
    for (const Tensor& t : {reel::multinomial(weights({1, 2, 3, 4}), 3), reel::multinomial(weights({1, 2}), 20, true),
                            reel::randperm(20), reel::bernoulli(reel::full({20}, 0.5)),
                            reel::zeros({20}).exponential_(), reel::zeros({20}).cauchy_(),
                            reel::zeros({20}).log_normal_(), reel::zeros({20}).geometric_(0.5),
                            reel::zeros({20}, reel::kInt64).random_()}) {
      const std::vector<double> v = values(t);
      out.insert(out.end(), v.begin(), v.end());
    }
    return out;
  };
  const std::vector<double> a = draw_all(11), b = draw_all(11), c = draw_all(12);
  CHECK(a == b);
  CHECK(a != c);
}

TEST_CASE("random_: PyTorch's ranges per dtype", "[random][sampling]") {
  reel::manual_seed(3);
  const std::vector<double> u8 = values(reel::zeros({5000}, reel::kUInt8).random_());
  CHECK(*std::max_element(u8.begin(), u8.end()) == 255);  // [0, 255]: max reached with probability ~1 - e^-19.5
  const std::vector<double> b = values(reel::zeros({100}, reel::kBool).random_());
  CHECK(std::set<double>(b.begin(), b.end()) == std::set<double>{0, 1});
  const std::vector<double> i64 = values(reel::zeros({1000}, reel::kInt64).random_());
  CHECK(*std::min_element(i64.begin(), i64.end()) >= 0);
  CHECK(*std::max_element(i64.begin(), i64.end()) > 4.0e18);  // [0, 2^63): wider than 32 bits
  const std::vector<double> f = values(reel::zeros({1000}).random_(-3, 4));
  CHECK(std::set<double>(f.begin(), f.end()) == std::set<double>{-3, -2, -1, 0, 1, 2, 3});
  const std::vector<double> to = values(reel::zeros({1000}, reel::kInt32).random_(5));
  CHECK(std::set<double>(to.begin(), to.end()) == std::set<double>{0, 1, 2, 3, 4});
  const std::vector<double> open = values(reel::zeros({3000}, reel::kInt8).random_(120, std::nullopt));
  CHECK(std::set<double>(open.begin(), open.end()) == std::set<double>{120, 121, 122, 123, 124, 125, 126, 127});
  Tensor t = reel::zeros({3}, reel::kUInt8);
  REQUIRE_THROWS_WITH(t.random_(5, 5), Contains("random_") && Contains("from=5 >= to=5"));
  REQUIRE_THROWS_WITH(t.random_(0, 300), Contains("random_") && Contains("uint8"));
}

TEST_CASE("sampling fills: argument errors and the in-place protocol", "[random][sampling]") {
  Tensor f = reel::zeros({3});
  REQUIRE_THROWS_WITH(f.exponential_(0.0), Contains("exponential_ expects lambda > 0.0"));
  REQUIRE_THROWS_WITH(f.geometric_(1.0), Contains("geometric_ expects p to be in (0, 1)"));
  REQUIRE_THROWS_WITH(f.cauchy_(0.0, -1.0), Contains("cauchy_") && Contains("sigma"));
  REQUIRE_THROWS_WITH(f.log_normal_(1.0, 0.0), Contains("log_normal_") && Contains("std"));
  REQUIRE_THROWS_WITH(f.bernoulli_(1.5), Contains("bernoulli_ expects p to be in [0, 1]"));
  REQUIRE_THROWS_WITH(f.bernoulli_(reel::full({3}, 2.0)), Contains("bernoulli_") && Contains("[0, 1]"));
  REQUIRE_THROWS_WITH(reel::bernoulli(reel::ones({2}, reel::kInt64)), Contains("bernoulli") && Contains("int64"));
  Tensor ints = reel::zeros({3}, reel::kInt64);
  REQUIRE_THROWS_WITH(ints.exponential_(), Contains("exponential_") && Contains("int64"));
  REQUIRE_THROWS_WITH(reel::randperm(-1), Contains("randperm") && Contains("non-negative"));
  REQUIRE_THROWS_WITH(reel::randperm(300, reel::kUInt8), Contains("randperm") && Contains("too large"));
  // A tensor p broadcasts to the target's shape: rows of p = 0 and p = 1 give exact rows.
  Tensor target = reel::zeros({2, 4});
  const Tensor p = reel::from_blob_copy<double>(std::vector<double>{0.0, 1.0}.data(), {2, 1});
  target.bernoulli_(p);
  CHECK(values(target) == std::vector<double>{0, 0, 0, 0, 1, 1, 1, 1});
  CHECK(values(reel::bernoulli(reel::zeros({4}), 1.0)) == std::vector<double>(4, 1.0));
  // A leaf that requires grad may be filled only with grad mode off, as in PyTorch.
  Tensor leaf = reel::zeros({4}, reel::requires_grad());
  REQUIRE_THROWS_WITH(leaf.exponential_(), Contains("exponential_") && Contains("leaf"));
  REQUIRE_THROWS_WITH(leaf.bernoulli_(0.5), Contains("bernoulli_") && Contains("leaf"));
  {
    reel::NoGradGuard no_grad;
    leaf.log_normal_();
  }
  CHECK(leaf.requires_grad());
  for (double x : values(leaf)) CHECK(x > 0);
  // A non-leaf that requires grad: the fill cuts its history (the result is a constant).
  Tensor x = reel::ones({4}, reel::requires_grad());
  Tensor y = x * 2;
  y.uniform_(-1, 1);
  for (double v : values(y)) CHECK((v >= -1 && v < 1));
}
