// Tests of the random ops (tensor/random.cpp, cpu/random.cpp, tensor/philox.h): Philox against the
// reference known-answer vectors, the documented (seed, offset) layout, reproducibility after manual_seed,
// identical results for 1 and 2 threads, moments within statistical bounds on 100k samples, randint ranges,
// every floating dtype, non-contiguous in-place fills, and the errors of bad arguments.
#include <catch2/catch.hpp>
#include <reel/reel.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "tensor/philox.h"

using reel::IntList;
using reel::Tensor;
using Catch::Contains;

namespace {

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

struct Moments {
  double mean = 0, variance = 0, min = INFINITY, max = -INFINITY;
};

Moments moments(const std::vector<double>& v) {
  Moments m;
  for (double x : v) {
    m.mean += x;
    m.min = std::min(m.min, x);
    m.max = std::max(m.max, x);
  }
  m.mean /= static_cast<double>(v.size());
  for (double x : v) m.variance += (x - m.mean) * (x - m.mean);
  m.variance /= static_cast<double>(v.size() - 1);
  return m;
}

constexpr int64_t kSamples = 100000;

// Runs `make` under 1 and then 2 threads after the same seed; returns both results.
template <typename Make>
std::pair<std::vector<double>, std::vector<double>> with_one_and_two_threads(Make make) {
  const int saved = reel::get_num_threads();
  reel::set_num_threads(1);
  reel::manual_seed(2024);
  auto one = values(make());
  reel::set_num_threads(2);
  reel::manual_seed(2024);
  auto two = values(make());
  reel::set_num_threads(saved);
  return {one, two};
}

}  // namespace

TEST_CASE("philox4x32-10 matches the reference known-answer vectors", "[random]") {
  using reel::philox::philox4x32_10;
  const uint32_t zeros[4] = {0, 0, 0, 0};
  auto a = philox4x32_10(zeros, 0);
  CHECK(a.x[0] == 0x6627e8d5u);
  CHECK(a.x[1] == 0xe169c58du);
  CHECK(a.x[2] == 0xbc57ac4cu);
  CHECK(a.x[3] == 0x9b00dbd8u);
  const uint32_t ones[4] = {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu};
  auto b = philox4x32_10(ones, 0xffffffffffffffffULL);
  CHECK(b.x[0] == 0x408f276du);
  CHECK(b.x[1] == 0x41c83b0eu);
  CHECK(b.x[2] == 0xa20bc7c6u);
  CHECK(b.x[3] == 0x6d5451fdu);
  const uint32_t pi[4] = {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u};
  auto c = philox4x32_10(pi, (uint64_t{0x299f31d0u} << 32) | 0xa4093822u);
  CHECK(c.x[0] == 0xd16cfe09u);
  CHECK(c.x[1] == 0x94fdccebu);
  CHECK(c.x[2] == 0x5001e420u);
  CHECK(c.x[3] == 0x24126ea1u);
}

TEST_CASE("random: values follow the documented (seed, offset) layout", "[random]") {
  using reel::philox::philox4x32_10;
  reel::manual_seed(123);
  auto u = reel::rand({6}).to_vector<float>();
  // float32: element i is draw i: block i / 4, lane i % 4, top 24 bits scaled by 2^-24.
  for (int i = 0; i < 6; ++i) {
    const uint32_t draw = philox4x32_10(static_cast<uint64_t>(i / 4), 123).x[i % 4];
    REQUIRE(u[i] == static_cast<float>(draw >> 8) / 16777216.0f);
  }
  // The next op starts at the next whole block: rand({6}) reserved 8 draws.
  auto n = reel::randn({3}, reel::kFloat64).to_vector<double>();
  const auto block = philox4x32_10(uint64_t{2}, 123);
  const double u1 = static_cast<double>((((uint64_t{block.x[0]} << 32) | block.x[1]) >> 11) + 1) / 9007199254740992.0;
  const double u2 = static_cast<double>(((uint64_t{block.x[2]} << 32) | block.x[3]) >> 11) / 9007199254740992.0;
  const double radius = std::sqrt(-2.0 * std::log(u1));
  REQUIRE(n[0] == Approx(radius * std::cos(6.283185307179586 * u2)).epsilon(1e-14));
  REQUIRE(n[1] == Approx(radius * std::sin(6.283185307179586 * u2)).epsilon(1e-14));

  // Consecutive ops continue the stream where the previous one's reservation ended.
  reel::manual_seed(1);
  auto whole = values(reel::rand({8}));
  reel::manual_seed(1);
  auto first = values(reel::rand({3}));
  auto second = values(reel::rand({5}));
  REQUIRE(first == std::vector<double>(whole.begin(), whole.begin() + 3));
  REQUIRE(std::vector<double>(second.begin(), second.begin() + 4) == std::vector<double>(whole.begin() + 4, whole.end()));
}

TEST_CASE("random: manual_seed makes results reproducible", "[random]") {
  reel::manual_seed(42);
  auto a1 = values(reel::rand({1000}));
  auto b1 = values(reel::randn({7, 11}, reel::kFloat64));
  auto c1 = values(reel::randint(-3, 17, {500}));
  reel::manual_seed(42);
  auto a2 = values(reel::rand({1000}));
  auto b2 = values(reel::randn({7, 11}, reel::kFloat64));
  auto c2 = values(reel::randint(-3, 17, {500}));
  REQUIRE(a1 == a2);
  REQUIRE(b1 == b2);
  REQUIRE(c1 == c2);
  REQUIRE(values(reel::rand({1000})) != a1);  // the stream moved on
  reel::manual_seed(43);
  REQUIRE(values(reel::rand({1000})) != a1);
  // Empty tensors draw nothing.
  reel::manual_seed(42);
  REQUIRE(reel::rand({0, 3}).sizes() == IntList({0, 3}));
  REQUIRE(values(reel::rand({1000})) == a1);
}

TEST_CASE("random: results do not depend on the thread count", "[random]") {
  const int64_t n = 100003;  // odd, and large enough to be split across threads
  for (auto dtype : {reel::kFloat16, reel::kBFloat16, reel::kFloat32, reel::kFloat64}) {
    INFO("dtype " << dtype);
    auto [u1, u2] = with_one_and_two_threads([&] { return reel::rand({n}, dtype); });
    REQUIRE(u1 == u2);
    auto [g1, g2] = with_one_and_two_threads([&] { return reel::randn({n}, dtype); });
    REQUIRE(g1 == g2);
  }
  auto [i1, i2] = with_one_and_two_threads([&] { return reel::randint(0, 1000, {n}); });
  REQUIRE(i1 == i2);
  auto [w1, w2] = with_one_and_two_threads([&] { return reel::randint(0, int64_t{1} << 50, {n}); });
  REQUIRE(w1 == w2);
  auto [f1, f2] = with_one_and_two_threads([&] {
    Tensor t = reel::empty({401, 250}).t();
    reel::normal_(t, 1.0, 3.0);
    return t;
  });
  REQUIRE(f1 == f2);
}

TEST_CASE("rand: uniform on 0..1 - moments on 100k samples for every floating dtype", "[random]") {
  reel::manual_seed(7);
  for (auto dtype : {reel::kFloat16, reel::kBFloat16, reel::kFloat32, reel::kFloat64}) {
    INFO("dtype " << dtype);
    Tensor t = reel::rand({kSamples}, dtype);
    REQUIRE(t.dtype() == dtype);
    Moments m = moments(values(t));
    REQUIRE(m.min >= 0.0);
    REQUIRE(m.max < 1.0);
    REQUIRE(std::abs(m.mean - 0.5) < 0.005);            // 5 standard errors: 5 * sqrt(1/12/n) = 0.0046
    REQUIRE(std::abs(m.variance - 1.0 / 12.0) < 0.0015);  // ~6 standard errors of the variance
  }
  reel::manual_seed(8);
  Tensor s = reel::rand({});
  REQUIRE(s.dim() == 0);
  REQUIRE(s.item<double>() >= 0.0);
  REQUIRE(s.item<double>() < 1.0);
}

TEST_CASE("randn and normal_: N(mean, std^2) moments on 100k samples", "[random]") {
  reel::manual_seed(11);
  for (auto dtype : {reel::kFloat16, reel::kBFloat16, reel::kFloat32, reel::kFloat64}) {
    INFO("dtype " << dtype);
    auto v = values(reel::randn({kSamples}, dtype));
    Moments m = moments(v);
    REQUIRE(std::abs(m.mean) < 0.02);            // 5 / sqrt(n) = 0.0158
    REQUIRE(std::abs(m.variance - 1.0) < 0.03);  // 5 * sqrt(2 / n) = 0.022
    int64_t within_one = 0;
    for (double x : v) within_one += std::abs(x) < 1.0;
    REQUIRE(std::abs(static_cast<double>(within_one) / kSamples - 0.682689) < 0.01);
  }
  Tensor t = reel::empty({kSamples}, reel::kFloat64);
  reel::normal_(t, 3.0, 2.0);
  Moments m = moments(values(t));
  REQUIRE(std::abs(m.mean - 3.0) < 0.04);
  REQUIRE(std::abs(std::sqrt(m.variance) - 2.0) < 0.03);
  Tensor zero_std = reel::empty({10});
  reel::normal_(zero_std, 1.5, 0.0);
  REQUIRE(values(zero_std) == std::vector<double>(10, 1.5));
}

TEST_CASE("uniform_ and normal_ on non-contiguous tensors fill in row-major order", "[random]") {
  Tensor base = reel::empty({30, 20});
  Tensor t = base.t();  // [20, 30], not contiguous
  reel::manual_seed(5);
  reel::normal_(t, 0.0, 1.0);
  reel::manual_seed(5);
  REQUIRE(values(t) == values(reel::randn({20, 30})));

  Tensor grid = reel::zeros({100, 100}, reel::kFloat64);
  Tensor u = grid.slice(1, 0, std::nullopt, 2);  // the even columns
  const uint32_t before = u.version();
  reel::manual_seed(6);
  reel::uniform_(u, -2.0, 5.0);
  REQUIRE(u.version() > before);
  Moments m = moments(values(u));
  REQUIRE(m.min >= -2.0);
  REQUIRE(m.max < 5.0);
  REQUIRE(std::abs(m.mean - 1.5) < 0.15);
  // The odd columns stay zero; the even ones hold what a dense uniform_ would give.
  REQUIRE(values(grid.slice(1, 1, std::nullopt, 2)) == std::vector<double>(5000, 0.0));
  Tensor dense = reel::empty({100, 50}, reel::kFloat64);
  reel::manual_seed(6);
  reel::uniform_(dense, -2.0, 5.0);
  REQUIRE(values(u) == values(dense));
}

TEST_CASE("randint: ranges, dtypes and uniformity", "[random]") {
  reel::manual_seed(3);
  Tensor r = reel::randint(3, 10, {kSamples});
  REQUIRE(r.dtype() == reel::kInt64);
  std::vector<int64_t> counts(7, 0);
  for (int64_t v : r.to_vector<int64_t>()) {
    REQUIRE(v >= 3);
    REQUIRE(v < 10);
    ++counts[v - 3];
  }
  for (int64_t c : counts) REQUIRE(std::abs(c - kSamples / 7) < 600);  // ~5 standard deviations (111)

  REQUIRE(reel::randint(5, {4, 2}).sizes() == IntList({4, 2}));
  for (int64_t v : reel::randint(5, {1000}).to_vector<int64_t>()) REQUIRE((v >= 0 && v < 5));

  // A range wider than 2^32 uses 64 random bits.
  const int64_t half_range = int64_t{1} << 40;
  auto wide = reel::randint(-half_range, half_range, {kSamples}).to_vector<int64_t>();
  int64_t large = 0;
  double mean = 0;
  for (int64_t v : wide) {
    REQUIRE(v >= -half_range);
    REQUIRE(v < half_range);
    large += std::abs(v) > (int64_t{1} << 39);
    mean += static_cast<double>(v) / kSamples;
  }
  REQUIRE(std::abs(static_cast<double>(large) / kSamples - 0.5) < 0.01);
  REQUIRE(std::abs(mean) < 1e10);  // 5 standard errors: 5 * 2^41 / sqrt(12 n)

  const reel::ScalarType dtypes[] = {reel::kUInt8,   reel::kInt32,    reel::kInt64,
                                     reel::kFloat16, reel::kBFloat16, reel::kFloat32, reel::kFloat64};
  for (auto dtype : dtypes) {
    INFO("dtype " << dtype);
    const int64_t low = dtype == reel::kUInt8 ? 0 : -5;
    Tensor t = reel::randint(low, 6, {2000}, dtype);
    REQUIRE(t.dtype() == dtype);
    Moments m = moments(values(t));
    REQUIRE(m.min == static_cast<double>(low));
    REQUIRE(m.max == 5.0);
    for (double v : values(t)) REQUIRE(v == std::floor(v));
  }
  auto bits = reel::randint(0, 2, {1000}, reel::kBool).to_vector<bool>();
  int64_t trues = 0;
  for (bool b : bits) trues += b;
  REQUIRE((trues > 400 && trues < 600));
}

TEST_CASE("random *_like functions", "[random]") {
  Tensor d = reel::zeros({3, 4}, reel::kFloat64);
  REQUIRE(reel::rand_like(d).dtype() == reel::kFloat64);
  REQUIRE(reel::rand_like(d).sizes() == IntList({3, 4}));
  REQUIRE(reel::rand_like(d, reel::kFloat16).dtype() == reel::kFloat16);
  REQUIRE(reel::randn_like(d).sizes() == IntList({3, 4}));
  Tensor i = reel::zeros({5, 5}, reel::kInt32);
  Tensor ri = reel::randint_like(i, 10, 20);
  REQUIRE(ri.dtype() == reel::kInt32);
  for (double v : values(ri)) REQUIRE((v >= 10 && v < 20));
  REQUIRE(reel::rand({2}, reel::requires_grad()).requires_grad());
  REQUIRE_THROWS_WITH(reel::randn_like(i), Contains("randn") && Contains("int32"));
  REQUIRE_THROWS_WITH(reel::rand_like(Tensor()), Contains("rand_like") && Contains("undefined"));
}

TEST_CASE("random: errors name the op", "[random]") {
  REQUIRE_THROWS_WITH(reel::rand({2}, reel::kInt64), Contains("rand") && Contains("int64"));
  REQUIRE_THROWS_WITH(reel::randn({2}, reel::kBool), Contains("randn") && Contains("bool"));
  REQUIRE_THROWS_WITH(reel::rand({-1}), Contains("rand") && Contains("-1"));
  REQUIRE_THROWS_WITH(reel::randint(5, 5, {2}), Contains("randint") && Contains("low < high"));
  REQUIRE_THROWS_WITH(reel::randint(0, 300, {2}, reel::kUInt8), Contains("randint") && Contains("uint8"));
  REQUIRE_THROWS_WITH(reel::randint(0, 3, {2}, reel::kBool), Contains("randint") && Contains("bool"));
  REQUIRE_THROWS_WITH(reel::randint(0, 5000, {2}, reel::kFloat16), Contains("randint") && Contains("float16"));
  Tensor ints = reel::zeros({3}, reel::kInt64);
  REQUIRE_THROWS_WITH(reel::uniform_(ints), Contains("uniform_") && Contains("int64"));
  REQUIRE_THROWS_WITH(reel::normal_(ints), Contains("normal_") && Contains("int64"));
  Tensor floats = reel::zeros({3});
  REQUIRE_THROWS_WITH(reel::uniform_(floats, 2.0, 1.0), Contains("uniform_") && Contains("low"));
  REQUIRE_THROWS_WITH(reel::normal_(floats, 0.0, -1.0), Contains("normal_") && Contains("-1"));
  // A leaf that requires grad may be filled only with grad mode off (as nn::init does).
  Tensor weight = reel::zeros({4}, reel::requires_grad());
  REQUIRE_THROWS_WITH(reel::uniform_(weight), Contains("uniform_") && Contains("leaf"));
  {
    reel::NoGradGuard no_grad;
    reel::normal_(weight);
  }
  REQUIRE(weight.requires_grad());
  REQUIRE(values(weight) != std::vector<double>(4, 0.0));
}
