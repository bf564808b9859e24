// reel/test/test_nn_dropout.cpp — the dropout layers and functions (nn/dropout.h) against PyTorch's semantics:
// LibTorch's option spellings and defaults (a default-constructed Dropout2d member has p = 0.5), statistical
// checks of the masks (the fraction zeroed within a few standard errors, whole channels for the feature forms,
// the mean kept by the 1 / (1 - p) scaling, alpha dropout keeping a standard normal input at mean 0 / variance 1
// and its two output values per element exactly), unbatched inputs as LibTorch's C++ API treats them, in-place
// forms, evaluation mode as the identity, gradients by gradcheck under a fixed seed, and the error messages.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "autograd_test_utils.h"

namespace {

using namespace reel;
using autograd_test::error_of;
using autograd_test::values;
namespace nn = reel::nn;
namespace F = reel::nn::functional;

constexpr double kSeluAlpha = 1.7580993408473766;

// Every slice t[n, c] (n < N, c < C, the rest flattened) is constant; returns the constants
std::vector<double> channel_values(const Tensor& t, int64_t leading) {
  const Tensor flat = t.reshape({-1, t.numel() / std::max<int64_t>(leading, 1)}).to(kFloat64);
  std::vector<double> out;
  for (int64_t i = 0; i < flat.size(0); ++i) {
    const std::vector<double> row = values(flat[i]);
    for (double v : row) REQUIRE(v == row.front());
    out.push_back(row.front());
  }
  return out;
}

// |fraction - p| within 5 standard errors of a Bernoulli(p) mean over n draws
void require_fraction_near(double fraction, double p, int64_t n) {
  const double se = std::sqrt(p * (1 - p) / static_cast<double>(n));
  INFO("fraction " << fraction << " vs p " << p << " (se " << se << ")");
  REQUIRE(std::abs(fraction - p) <= 5 * se);
}

}  // namespace

TEST_CASE("Dropout options: LibTorch's spellings, defaults and printing", "[nn][dropout]") {
  CHECK(nn::Dropout()->p == 0.5);
  CHECK(nn::Dropout(0.2)->p == 0.2);
  nn::Dropout in_place(nn::DropoutOptions(0.3).inplace(true));
  CHECK(in_place->options.p() == 0.3);
  CHECK(in_place->options.inplace());
  CHECK(in_place->str() == "Dropout(p=0.3, inplace=True)");
  CHECK(nn::Dropout2d()->str() == "Dropout2d(p=0.5, inplace=False)");
  CHECK(nn::Dropout3d(nn::Dropout3dOptions(0.25))->str() == "Dropout3d(p=0.25, inplace=False)");
  CHECK(nn::Dropout1d(0.1)->str() == "Dropout1d(p=0.1, inplace=False)");
  CHECK(nn::AlphaDropout(nn::AlphaDropoutOptions(0.2).inplace(true))->str() == "AlphaDropout(p=0.2, inplace=True)");
  CHECK(nn::FeatureAlphaDropout()->str() == "FeatureAlphaDropout(p=0.5, inplace=False)");
  CHECK(F::DropoutFuncOptions().training());
  CHECK(!F::AlphaDropoutFuncOptions().training());
  CHECK(!F::FeatureAlphaDropoutFuncOptions().training());

  // The MNIST example's member: `nn::Dropout2d conv2_drop;` constructs with p = 0.5 and registers.
  struct NetImpl : nn::Module {
    NetImpl() { register_module("conv2_drop", conv2_drop); }
    nn::Dropout2d conv2_drop;
  };
  auto net = std::make_shared<NetImpl>();
  CHECK(net->conv2_drop->p == 0.5);
  CHECK(net->named_children().size() == 1);

  CHECK_THAT(error_of([] { nn::Dropout2d(1.5); }), Catch::Contains("between 0 and 1, but got 1.5"));
  CHECK_THAT(error_of([] { F::dropout2d(ones({2, 3}), -0.1); }), Catch::Contains("dropout2d"));
  CHECK_THAT(error_of([] { F::feature_alpha_dropout(ones({4}), 0.5, true); }),
             Catch::Contains("feature_alpha_dropout: feature dropout requires at least 2 dimensions"));
  CHECK_THAT(error_of([] { F::dropout2d(ones({}), 0.5, true); }), Catch::Contains("0-D input"));
}

TEST_CASE("Dropout: the fraction zeroed is p and the scaling keeps the mean", "[nn][dropout]") {
  manual_seed(11);
  const double p = 0.3;
  nn::Dropout drop{nn::DropoutOptions(p)};
  const Tensor x = ones({400, 50}, kFloat64);
  const Tensor y = drop(x);
  const std::vector<double> v = values(y);
  int64_t zeros_seen = 0;
  for (double e : v) {
    REQUIRE((e == 0.0 || std::abs(e - 1 / (1 - p)) < 1e-12));
    zeros_seen += e == 0.0;
  }
  require_fraction_near(static_cast<double>(zeros_seen) / static_cast<double>(v.size()), p, x.numel());
  CHECK(std::abs(y.mean().item<double>() - 1.0) < 5 * std::sqrt(p / (1 - p) / static_cast<double>(x.numel())));
  drop->eval();
  CHECK(autograd_test::bit_identical(drop(x), x));
}

TEST_CASE("Dropout2d/3d/1d: whole channels, batched and unbatched as LibTorch treats them", "[nn][dropout]") {
  manual_seed(12);
  const double p = 0.4;
  SECTION("Dropout2d (N, C, H, W)") {
    nn::Dropout2d drop(p);
    const Tensor y = drop(ones({64, 32, 3, 4}, kFloat64));
    const std::vector<double> channels = channel_values(y, 64 * 32);
    int64_t dropped = 0;
    for (double c : channels) {
      REQUIRE((c == 0.0 || std::abs(c - 1 / (1 - p)) < 1e-12));
      dropped += c == 0.0;
    }
    require_fraction_near(static_cast<double>(dropped) / 2048.0, p, 2048);
    CHECK(std::abs(y.mean().item<double>() - 1.0) < 5 * std::sqrt(p / (1 - p) / 2048.0));
  }
  SECTION("Dropout2d unbatched (C, H, W): one mask value per channel of dim 0") {
    const Tensor y = F::dropout2d(ones({500, 2, 3}, kFloat64), p, true);
    REQUIRE(y.sizes() == IntList{500, 2, 3});
    const std::vector<double> channels = channel_values(y, 500);
    int64_t dropped = 0;
    for (double c : channels) dropped += c == 0.0;
    require_fraction_near(static_cast<double>(dropped) / 500.0, p, 500);
  }
  SECTION("Dropout3d (N, C, D, H, W) and unbatched (C, D, H, W)") {
    nn::Dropout3d drop{nn::Dropout3dOptions(p)};
    const Tensor y = drop(ones({20, 30, 2, 2, 3}, kFloat64));
    std::vector<double> channels = channel_values(y, 600);
    int64_t dropped = 0;
    for (double c : channels) dropped += c == 0.0;
    require_fraction_near(static_cast<double>(dropped) / 600.0, p, 600);
    const Tensor u = drop(ones({600, 2, 2, 2}, kFloat64));
    channels = channel_values(u, 600);
    dropped = 0;
    for (double c : channels) dropped += c == 0.0;
    require_fraction_near(static_cast<double>(dropped) / 600.0, p, 600);
  }
  SECTION("Dropout1d (N, C, L) and unbatched (C, L)") {
    nn::Dropout1d drop(p);
    (void)channel_values(drop(ones({30, 20, 7}, kFloat64)), 600);
    const std::vector<double> channels = channel_values(drop(ones({600, 5}, kFloat64)), 600);
    int64_t dropped = 0;
    for (double c : channels) dropped += c == 0.0;
    require_fraction_near(static_cast<double>(dropped) / 600.0, p, 600);
  }
  SECTION("eval mode and p = 0 are the identity, p = 1 gives zeros") {
    const Tensor x = randn({2, 3, 4, 5}, kFloat64);
    nn::Dropout2d drop(p);
    drop->eval();
    CHECK(autograd_test::bit_identical(drop(x), x));
    CHECK(autograd_test::bit_identical(F::dropout2d(x, 0.0, true), x));
    CHECK(F::dropout2d(x, 1.0, true).abs().max().item<double>() == 0.0);
  }
}

TEST_CASE("AlphaDropout keeps a standard normal input at mean 0 and variance 1", "[nn][dropout]") {
  manual_seed(13);
  const double p = 0.2;
  const int64_t n = 200000;
  const Tensor x = randn({n}, kFloat64);
  nn::AlphaDropout drop(p);
  const Tensor y = drop(x);
  // the two values an element can take: a x + alpha a p (kept) or -alpha a (1 - p) (dropped)
  const double a = 1.0 / std::sqrt((kSeluAlpha * kSeluAlpha * p + 1.0) * (1.0 - p));
  const std::vector<double> xv = values(x), yv = values(y);
  int64_t dropped = 0;
  for (size_t i = 0; i < xv.size(); ++i) {
    const bool kept = std::abs(yv[i] - (a * xv[i] + kSeluAlpha * a * p)) < 1e-12;
    const bool zeroed = std::abs(yv[i] + kSeluAlpha * a * (1 - p)) < 1e-12;
    REQUIRE((kept || zeroed));
    dropped += !kept;
  }
  require_fraction_near(static_cast<double>(dropped) / static_cast<double>(n), p, n);
  const double mean = y.mean().item<double>(), variance = y.var().item<double>();
  const double se = 1.0 / std::sqrt(static_cast<double>(n));
  INFO("mean " << mean << ", variance " << variance);
  CHECK(std::abs(mean) < 5 * se);
  CHECK(std::abs(variance - 1.0) < 5 * std::sqrt(3.0) * se);  // the 4th moment here stays below 4
  drop->eval();
  CHECK(autograd_test::bit_identical(drop(x), x));
  CHECK(autograd_test::bit_identical(F::alpha_dropout(x, F::AlphaDropoutFuncOptions().p(0.5)), x));  // training false
}

TEST_CASE("FeatureAlphaDropout drops whole channels to SELU's saturation value", "[nn][dropout]") {
  manual_seed(14);
  const double p = 0.5;
  const Tensor x = randn({40, 25, 6}, kFloat64);
  const Tensor y = F::feature_alpha_dropout(x, F::FeatureAlphaDropoutFuncOptions().p(p).training(true));
  const double a = 1.0 / std::sqrt((kSeluAlpha * kSeluAlpha * p + 1.0) * (1.0 - p));
  const Tensor kept = x * a + kSeluAlpha * a * p;
  int64_t dropped = 0;
  for (int64_t n = 0; n < 40; ++n) {
    for (int64_t c = 0; c < 25; ++c) {
      const std::vector<double> row = values(y[n][c]), keep_row = values(kept[n][c]);
      const bool all_kept = std::abs(row[0] - keep_row[0]) < 1e-12;
      for (size_t i = 0; i < row.size(); ++i)
        REQUIRE(std::abs(row[i] - (all_kept ? keep_row[i] : -kSeluAlpha * a * (1 - p))) < 1e-12);
      dropped += !all_kept;
    }
  }
  require_fraction_near(static_cast<double>(dropped) / 1000.0, p, 1000);
  nn::FeatureAlphaDropout drop(p);
  drop->eval();
  CHECK(autograd_test::bit_identical(drop(x), x));
}

TEST_CASE("Dropout in place writes into the input", "[nn][dropout]") {
  manual_seed(15);
  Tensor x = ones({8, 16, 2, 2}, kFloat64);
  const Tensor y = F::dropout2d(x, F::Dropout2dFuncOptions().p(0.5).inplace(true));
  CHECK(y.data_ptr() == x.data_ptr());
  std::set<double> seen;
  for (double v : values(x)) seen.insert(v);
  CHECK(seen == std::set<double>{0.0, 2.0});
  Tensor z = randn({1000}, kFloat64);
  const Tensor before = z.clone();
  nn::AlphaDropout drop(nn::AlphaDropoutOptions(0.3).inplace(true));
  const Tensor out = drop(z);
  CHECK(out.data_ptr() == z.data_ptr());
  CHECK(!autograd_test::bit_identical(z, before));
  Tensor w = ones({100}, kFloat64);
  nn::Dropout plain(nn::DropoutOptions(0.5).inplace(true));
  CHECK(plain(w).data_ptr() == w.data_ptr());
  CHECK(w.sum().item<double>() != 100.0);
}

TEST_CASE("Dropout gradients: the mask times the scale (gradcheck under a fixed seed)", "[nn][dropout][autograd]") {
  const Tensor x = autograd_test::random_leaf({3, 4, 2, 3});
  const auto seeded = [](auto fn) {
    return [fn](const std::vector<Tensor>& in) -> Tensor {
      manual_seed(21);
      return fn(in[0]);
    };
  };
  REQUIRE_GRADCHECK(seeded([](const Tensor& t) { return F::dropout2d(t, 0.4, true); }), {x});
  REQUIRE_GRADCHECK(seeded([](const Tensor& t) { return F::dropout3d(t.unsqueeze(2), 0.4, true); }), {x});
  REQUIRE_GRADCHECK(seeded([](const Tensor& t) { return F::alpha_dropout(t, 0.3, true); }), {x});
  REQUIRE_GRADCHECK(seeded([](const Tensor& t) { return F::feature_alpha_dropout(t, 0.3, true); }), {x});
  // the gradient of sum(dropout2d(x)) is the channel mask / (1 - p)
  manual_seed(22);
  const Tensor y = F::dropout2d(x, 0.5, true);
  y.sum().backward();
  autograd_test::require_close(x.grad(), y.detach() / x.detach(), 1e-12);
}
