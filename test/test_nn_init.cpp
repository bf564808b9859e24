// reel/test/test_nn_init.cpp — reel::nn::init: gains, fans, the bounds and sample moments of every fill (on large
// tensors, against the formulas of torch.nn.init), orthogonality of orthogonal_, and that fills work in place on
// parameters that require grad.
#include <reel/reel.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

namespace init = reel::nn::init;
using reel::Tensor;

namespace {

struct Moments {
  double mean = 0, std = 0, min = INFINITY, max = -INFINITY;
};

Moments moments_of(const Tensor& t) {
  const std::vector<double> v = t.to_vector<double>();
  Moments m;
  for (double x : v) {
    m.mean += x / static_cast<double>(v.size());
    m.min = std::min(m.min, x);
    m.max = std::max(m.max, x);
  }
  for (double x : v) m.std += (x - m.mean) * (x - m.mean) / static_cast<double>(v.size() - 1);
  m.std = std::sqrt(m.std);
  return m;
}

// U(-b, b) over many samples: inside the bounds, reaching close to them, std b / sqrt 3.
void check_uniform(const Tensor& t, double bound) {
  const Moments m = moments_of(t);
  CHECK(m.min >= -bound);
  CHECK(m.max <= bound);
  CHECK(m.max > 0.99 * bound);
  CHECK(m.min < -0.99 * bound);
  CHECK(m.mean == Approx(0).margin(0.02 * bound));
  CHECK(m.std == Approx(bound / std::sqrt(3.0)).epsilon(0.02));
}

// N(0, std^2) over many samples.
void check_normal(const Tensor& t, double std) {
  const Moments m = moments_of(t);
  CHECK(m.mean == Approx(0).margin(0.02 * std));
  CHECK(m.std == Approx(std).epsilon(0.02));
}

}  // namespace

TEST_CASE("nn init calculate_gain matches torch.nn.init", "[nn]") {
  CHECK(init::calculate_gain("linear") == 1.0);
  CHECK(init::calculate_gain("conv2d") == 1.0);
  CHECK(init::calculate_gain("sigmoid") == 1.0);
  CHECK(init::calculate_gain("tanh") == Approx(5.0 / 3.0));
  CHECK(init::calculate_gain("relu") == Approx(std::sqrt(2.0)));
  CHECK(init::calculate_gain("leaky_relu") == Approx(std::sqrt(2.0 / (1 + 0.01 * 0.01))));
  CHECK(init::calculate_gain("leaky_relu", 0.2) == Approx(std::sqrt(2.0 / 1.04)));
  CHECK(init::calculate_gain("leaky_relu", std::sqrt(5.0)) == Approx(std::sqrt(1.0 / 3.0)));
  CHECK(init::calculate_gain("selu") == 0.75);
  CHECK_THROWS_WITH(init::calculate_gain("swish"), Catch::Contains("unsupported nonlinearity 'swish'"));
}

TEST_CASE("nn init fans follow _calculate_fan_in_and_fan_out", "[nn]") {
  CHECK(init::calculate_fan_in_and_fan_out(reel::empty({5, 3})) == std::pair<int64_t, int64_t>{3, 5});
  CHECK(init::calculate_fan_in_and_fan_out(reel::empty({16, 4, 3, 3})) == std::pair<int64_t, int64_t>{36, 144});
  CHECK(init::calculate_fan_in_and_fan_out(reel::empty({8, 2, 5})) == std::pair<int64_t, int64_t>{10, 40});
  CHECK_THROWS_WITH(init::calculate_fan_in_and_fan_out(reel::empty({5})), Catch::Contains("fewer than 2 dimensions"));
  CHECK_THROWS_AS(init::xavier_uniform_(reel::empty({5})), reel::Error);
  CHECK_THROWS_AS(init::kaiming_uniform_(reel::empty({5, 5}), 0, "fan_avg"), reel::Error);
}

TEST_CASE("nn init uniform normal and constant fills", "[nn]") {
  reel::manual_seed(30);
  Tensor t = reel::empty({400, 500});
  init::uniform_(t, -2, 3);
  const Moments u = moments_of(t);
  CHECK(u.min >= -2);
  CHECK(u.max < 3);
  CHECK(u.mean == Approx(0.5).margin(0.02));
  CHECK(u.std == Approx(5 / std::sqrt(12.0)).epsilon(0.02));
  init::normal_(t, 1.5, 0.5);
  const Moments n = moments_of(t);
  CHECK(n.mean == Approx(1.5).margin(0.01));
  CHECK(n.std == Approx(0.5).epsilon(0.02));
  init::constant_(t, 0.25);
  CHECK(moments_of(t).min == 0.25);
  CHECK(moments_of(t).max == 0.25);
  init::zeros_(t);
  CHECK(moments_of(t).max == 0.0);
  init::ones_(t);
  CHECK(moments_of(t).min == 1.0);
}

TEST_CASE("nn init xavier and kaiming scale by the fans", "[nn]") {
  reel::manual_seed(31);
  Tensor w = reel::empty({300, 200, 3});  // fan_in 600, fan_out 900
  init::xavier_uniform_(w, 2.0);
  check_uniform(w, 2.0 * std::sqrt(6.0 / 1500));
  init::xavier_normal_(w);
  check_normal(w, std::sqrt(2.0 / 1500));
  init::kaiming_uniform_(w);  // leaky_relu with a = 0: gain sqrt 2
  check_uniform(w, std::sqrt(2.0) * std::sqrt(3.0 / 600));
  init::kaiming_uniform_(w, 0, "fan_out", "relu");
  check_uniform(w, std::sqrt(2.0) * std::sqrt(3.0 / 900));
  init::kaiming_uniform_(w, std::sqrt(5.0));  // PyTorch's Linear/Conv default: bound 1 / sqrt(fan_in)
  check_uniform(w, 1.0 / std::sqrt(600.0));
  init::kaiming_normal_(w, 0, "fan_in", "tanh");
  check_normal(w, 5.0 / 3.0 / std::sqrt(600.0));
  init::kaiming_normal_(w, 0.1, "fan_out");
  check_normal(w, std::sqrt(2.0 / 1.01) / std::sqrt(900.0));
}

TEST_CASE("nn init orthogonal_ gives orthonormal rows or columns", "[nn]") {
  reel::manual_seed(32);
  for (const std::vector<int64_t>& shape : std::vector<std::vector<int64_t>>{{6, 6}, {4, 9}, {9, 4}, {5, 2, 3}}) {
    INFO("shape " << reel::shape_str(shape));
    Tensor w = reel::empty(shape, reel::kFloat64);
    init::orthogonal_(w, 1.5);
    const Tensor m = w.reshape({shape[0], -1});
    const int64_t rows = m.size(0), cols = m.size(1);
    // Fewer rows: the rows are orthonormal (W W^T = gain^2 I); otherwise the columns.
    const Tensor gram = rows <= cols ? reel::mm(m, m.t()) : reel::mm(m.t(), m);
    const Tensor expected = reel::eye(std::min(rows, cols), reel::kFloat64) * 2.25;
    CHECK((gram - expected).abs().max().item<double>() < 1e-12);
  }
  // A float32 parameter, filled in place; repeatable under manual_seed.
  Tensor p = reel::empty({8, 8}).requires_grad_();
  reel::manual_seed(5);
  init::orthogonal_(p);
  const std::vector<double> first = p.to_vector<double>();
  reel::manual_seed(5);
  init::orthogonal_(p);
  CHECK(p.to_vector<double>() == first);
  CHECK((reel::mm(p, p.t()) - reel::eye(8)).abs().max().item<double>() < 1e-5);
  CHECK_THROWS_AS(init::orthogonal_(reel::empty({4})), reel::Error);
}

TEST_CASE("nn init fills parameters in place without recording", "[nn]") {
  reel::nn::Linear fc(10, 4);
  const Tensor handle = fc->weight;
  init::constant_(fc->weight, 0.5);
  CHECK(handle.to_vector<double>() == std::vector<double>(40, 0.5));
  CHECK(handle.requires_grad());
  CHECK(handle.is_leaf());
  const Tensor returned = init::kaiming_normal_(fc->weight);
  CHECK(returned.is_same(handle));
  // Defaults of the layers: Embedding N(0, 1), Conv bound 1 / sqrt(fan_in).
  reel::manual_seed(33);
  check_normal(reel::nn::Embedding(1000, 100)->weight, 1.0);
  reel::nn::Conv2d conv(64, 128, 3);
  check_uniform(conv->weight, 1.0 / std::sqrt(64.0 * 9));
}
