// reel/test/test_nn_layers.cpp — every layer and functional of reel::nn against a naive float64 reference computed
// here with plain loops: Linear, Bilinear, Embedding (padding_idx), Dropout statistics, LayerNorm, BatchNorm running
// statistics over several steps, Flatten, activations, Conv1d/Conv2d, pooling, pad, one_hot, normalize,
// cosine_similarity; and gradcheck (float64) of the composites.
#include <reel/reel.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace nn = reel::nn;
namespace F = reel::nn::functional;
using reel::Tensor;

namespace {

using Values = std::vector<double>;

Values values(const Tensor& t) { return t.to_vector<double>(); }

// Checks shape and every value within atol + rtol |expected|.
void check_close(const Tensor& actual, reel::IntList shape, const Values& expected, double tol = 1e-5) {
  REQUIRE(actual.sizes() == shape);
  const Values got = values(actual);
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", expected " << expected[i]);
    CHECK(std::fabs(got[i] - expected[i]) <= tol * (1 + std::fabs(expected[i])));
  }
}

Tensor randn64(reel::IntList shape) { return reel::randn(shape, reel::kFloat64); }
Tensor leaf64(reel::IntList shape) { return randn64(shape).requires_grad_(); }

// Runs gradcheck and reports its message on failure.
void require_gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn, const std::vector<Tensor>& inputs) {
  const auto result = reel::autograd::gradcheck(fn, inputs);
  INFO(result.message);
  REQUIRE(result.ok);
}

// Index of element (i0, i1, ...) in a row-major tensor of `shape`.
int64_t flat(const std::vector<int64_t>& shape, const std::vector<int64_t>& index) {
  int64_t offset = 0;
  for (size_t d = 0; d < shape.size(); ++d) offset = offset * shape[d] + index[d];
  return offset;
}

// Naive 2-D convolution: x (N, C, H, W), w (O, C / G, KH, KW), b (O) or empty.
Values naive_conv2d(const Values& x, const std::vector<int64_t>& xs, const Values& w, const std::vector<int64_t>& ws,
                    const Values& b, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                    int64_t groups, std::vector<int64_t>& out_shape) {
  const int64_t n = xs[0], c = xs[1], h = xs[2], wd = xs[3], o = ws[0], cg = ws[1], kh = ws[2], kw = ws[3];
  const int64_t oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (wd + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
  out_shape = {n, o, oh, ow};
  Values y(static_cast<size_t>(n * o * oh * ow));
  const int64_t out_per_group = o / groups;
  for (int64_t in = 0; in < n; ++in)
    for (int64_t io = 0; io < o; ++io)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double acc = b.empty() ? 0.0 : b[static_cast<size_t>(io)];
          const int64_t g = io / out_per_group;
          for (int64_t ic = 0; ic < cg; ++ic)
            for (int64_t p = 0; p < kh; ++p)
              for (int64_t q = 0; q < kw; ++q) {
                const int64_t hi = i * sh - ph + p * dh, wi = j * sw - pw + q * dw;
                if (hi < 0 || hi >= h || wi < 0 || wi >= wd) continue;
                acc += w[static_cast<size_t>(flat(ws, {io, ic, p, q}))] *
                       x[static_cast<size_t>(flat(xs, {in, g * cg + ic, hi, wi}))];
              }
          y[static_cast<size_t>(flat(out_shape, {in, io, i, j}))] = acc;
        }
  (void)c;
  return y;
}

}  // namespace

TEST_CASE("nn Linear matches x W^T + b and initialises within PyTorch's bounds", "[nn]") {
  reel::manual_seed(10);
  nn::Linear fc(5, 3);
  const double bound = 1.0 / std::sqrt(5.0);
  for (double v : values(fc->weight)) CHECK(std::fabs(v) <= bound);
  for (double v : values(fc->bias)) CHECK(std::fabs(v) <= bound);
  fc->to(reel::kFloat64);
  const Tensor x = randn64({2, 4, 5});  // batch dims beyond 2-D take the matmul path
  const Values xv = values(x), wv = values(fc->weight), bv = values(fc->bias);
  Values expected;
  for (int64_t r = 0; r < 8; ++r)
    for (int64_t o = 0; o < 3; ++o) {
      double acc = bv[static_cast<size_t>(o)];
      for (int64_t i = 0; i < 5; ++i) acc += xv[static_cast<size_t>(r * 5 + i)] * wv[static_cast<size_t>(o * 5 + i)];
      expected.push_back(acc);
    }
  check_close(fc(x), {2, 4, 3}, expected, 1e-12);
  check_close(fc(x.reshape({8, 5})), {8, 3}, expected, 1e-12);  // the addmm path
  const Tensor no_bias = F::linear(x, fc->weight);
  for (size_t k = 0; k < expected.size(); ++k) expected[k] -= bv[k % 3];
  check_close(no_bias, {2, 4, 3}, expected, 1e-12);
}

TEST_CASE("nn Bilinear matches x1^T A x2 + b", "[nn]") {
  reel::manual_seed(11);
  nn::Bilinear layer(3, 4, 2);
  for (double v : values(layer->weight)) CHECK(std::fabs(v) <= 1.0 / std::sqrt(3.0));
  layer->to(reel::kFloat64);
  const Tensor x1 = randn64({5, 3}), x2 = randn64({5, 4});
  const Values a = values(x1), c = values(x2), w = values(layer->weight), b = values(layer->bias);
  Values expected;
  for (int64_t n = 0; n < 5; ++n)
    for (int64_t o = 0; o < 2; ++o) {
      double acc = b[static_cast<size_t>(o)];
      for (int64_t i = 0; i < 3; ++i)
        for (int64_t j = 0; j < 4; ++j)
          acc += a[static_cast<size_t>(n * 3 + i)] * w[static_cast<size_t>((o * 3 + i) * 4 + j)] *
                 c[static_cast<size_t>(n * 4 + j)];
      expected.push_back(acc);
    }
  check_close(layer(x1, x2), {5, 2}, expected, 1e-12);
  CHECK(layer(x1.view({5, 1, 3}), x2.view({5, 1, 4})).sizes() == reel::IntList{5, 1, 2});
  CHECK_THROWS_AS(layer(x1, randn64({4, 4})), reel::Error);
}

TEST_CASE("nn Embedding looks rows up and padding_idx gets no gradient", "[nn]") {
  reel::manual_seed(12);
  nn::Embedding emb(5, 3, 1);
  CHECK(values(emb->weight.select(0, 1)) == Values{0, 0, 0});
  const Tensor index = reel::tensor({{1, 2, 1}, {0, 1, 4}}, reel::kInt64);
  const Tensor out = emb(index);
  REQUIRE(out.sizes() == reel::IntList{2, 3, 3});
  const Values w = values(emb->weight), y = values(out);
  const int64_t picked[] = {1, 2, 1, 0, 1, 4};
  for (int64_t k = 0; k < 6; ++k)
    for (int64_t d = 0; d < 3; ++d)
      CHECK(y[static_cast<size_t>(k * 3 + d)] == w[static_cast<size_t>(picked[k] * 3 + d)]);
  (out * 2).sum().backward();
  const Values grad = values(emb->weight.grad());
  const double rows[5] = {2, 0, 2, 0, 2};  // row 1 is padding: nothing, however often it was used
  for (int64_t r = 0; r < 5; ++r)
    for (int64_t d = 0; d < 3; ++d) CHECK(grad[static_cast<size_t>(r * 3 + d)] == rows[r]);

  // Without padding_idx the repeated row accumulates; a negative padding_idx counts from the end.
  nn::Embedding plain(5, 3);
  plain(index).sum().backward();
  CHECK(values(plain->weight.grad().select(0, 1)) == Values{3, 3, 3});
  CHECK(nn::Embedding(5, 3, -2)->padding_idx == 3);
  const Tensor weight = leaf64({4, 2});
  F::embedding(reel::tensor({3, 3, 0}, reel::kInt64), weight, -1).sum().backward();
  CHECK(values(weight.grad()) == Values{1, 1, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("nn Dropout drops with probability p and scales the rest", "[nn]") {
  reel::manual_seed(13);
  nn::Dropout drop(0.3);
  const Tensor x = reel::ones({200000});
  const Values y = values(drop(x));
  int64_t zeros = 0;
  double total = 0;
  for (double v : y) {
    if (v == 0) {
      ++zeros;
    } else {
      CHECK(v == Approx(1 / 0.7).epsilon(1e-6));
    }
    total += v;
  }
  CHECK(static_cast<double>(zeros) / 200000 == Approx(0.3).margin(0.005));
  CHECK(total / 200000 == Approx(1.0).margin(0.01));

  reel::manual_seed(99);
  const Values first = values(drop(x));
  reel::manual_seed(99);
  CHECK(values(drop(x)) == first);

  drop->eval();
  CHECK(drop(x).is_same(x));
  drop->train();
  CHECK(F::dropout(x, 0.0).is_same(x));
  CHECK(values(F::dropout(x.narrow(0, 0, 10), 1.0)) == Values(10, 0.0));
  CHECK(F::dropout(x, 0.5, /*training=*/false).is_same(x));
  CHECK_THROWS_AS(F::dropout(x, -0.1), reel::Error);

  // The gradient is the same mask and scale.
  const Tensor leaf = (randn64({1000}).abs() + 0.5).requires_grad_();
  const Tensor dropped = F::dropout(leaf, 0.5);
  dropped.sum().backward();
  const Values g = values(leaf.grad()), kept = values(dropped), input = values(leaf);
  for (size_t i = 0; i < g.size(); ++i) CHECK(g[i] == Approx(kept[i] / input[i]).epsilon(1e-12));
}

TEST_CASE("nn LayerNorm normalises the trailing dims", "[nn]") {
  reel::manual_seed(14);
  nn::LayerNorm norm(std::vector<int64_t>{3, 4});
  CHECK(values(norm->weight) == Values(12, 1.0));
  CHECK(values(norm->bias) == Values(12, 0.0));
  norm->to(reel::kFloat64);
  nn::init::normal_(norm->weight);
  nn::init::normal_(norm->bias);
  const Tensor x = randn64({2, 3, 4}) * 3 + 1;
  const Values xv = values(x), w = values(norm->weight), b = values(norm->bias);
  Values expected;
  for (int64_t s = 0; s < 2; ++s) {
    double mean = 0, var = 0;
    for (int64_t k = 0; k < 12; ++k) mean += xv[static_cast<size_t>(s * 12 + k)] / 12;
    for (int64_t k = 0; k < 12; ++k) var += std::pow(xv[static_cast<size_t>(s * 12 + k)] - mean, 2) / 12;
    for (int64_t k = 0; k < 12; ++k)
      expected.push_back((xv[static_cast<size_t>(s * 12 + k)] - mean) / std::sqrt(var + 1e-5) * w[static_cast<size_t>(k)] +
                         b[static_cast<size_t>(k)]);
  }
  check_close(norm(x), {2, 3, 4}, expected, 1e-10);
  CHECK(nn::LayerNorm(4, 1e-5, false)->parameters().empty());
  CHECK_THROWS_AS(norm(randn64({2, 4, 3})), reel::Error);
}

TEST_CASE("nn BatchNorm1d running statistics follow PyTorch's update over several steps", "[nn]") {
  reel::manual_seed(15);
  nn::BatchNorm1d bn(3);
  bn->to(reel::kFloat64);
  Values running_mean(3, 0.0), running_var(3, 1.0);
  for (int step = 0; step < 3; ++step) {
    const Tensor x = randn64({4, 3}) * (step + 1) + step;
    const Values xv = values(x);
    Values expected(12);
    for (int64_t c = 0; c < 3; ++c) {
      double mean = 0, sq = 0;
      for (int64_t n = 0; n < 4; ++n) mean += xv[static_cast<size_t>(n * 3 + c)] / 4;
      for (int64_t n = 0; n < 4; ++n) sq += std::pow(xv[static_cast<size_t>(n * 3 + c)] - mean, 2);
      const double biased = sq / 4, unbiased = sq / 3;
      for (int64_t n = 0; n < 4; ++n)
        expected[static_cast<size_t>(n * 3 + c)] = (xv[static_cast<size_t>(n * 3 + c)] - mean) / std::sqrt(biased + 1e-5);
      running_mean[static_cast<size_t>(c)] = 0.9 * running_mean[static_cast<size_t>(c)] + 0.1 * mean;
      running_var[static_cast<size_t>(c)] = 0.9 * running_var[static_cast<size_t>(c)] + 0.1 * unbiased;
    }
    check_close(bn(x), {4, 3}, expected, 1e-10);
  }
  check_close(bn->running_mean, {3}, running_mean, 1e-12);
  check_close(bn->running_var, {3}, running_var, 1e-12);
  CHECK(bn->num_batches_tracked.item<int64_t>() == 3);

  bn->eval();
  const Tensor x = randn64({2, 3, 5});  // (N, C, L) inputs too
  const Values xv = values(x);
  Values expected(30);
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t l = 0; l < 5; ++l) {
        const size_t k = static_cast<size_t>((n * 3 + c) * 5 + l);
        expected[k] = (xv[k] - running_mean[static_cast<size_t>(c)]) / std::sqrt(running_var[static_cast<size_t>(c)] + 1e-5);
      }
  check_close(bn(x), {2, 3, 5}, expected, 1e-10);
  CHECK(bn->num_batches_tracked.item<int64_t>() == 3);  // eval leaves the stats alone
  bn->train();
  CHECK_THROWS_WITH(bn(randn64({1, 3})), Catch::Contains("more than 1 value per channel"));
}

TEST_CASE("nn BatchNorm2d with cumulative momentum and without running stats", "[nn]") {
  reel::manual_seed(16);
  nn::BatchNorm2d cumulative(2, 1e-5, std::nullopt);
  cumulative->to(reel::kFloat64);
  Values sums(2, 0.0);
  for (int step = 0; step < 3; ++step) {
    const Tensor x = randn64({2, 2, 3, 3}) + step;
    const Values xv = values(x);
    for (int64_t c = 0; c < 2; ++c) {
      double mean = 0;
      for (int64_t n = 0; n < 2; ++n)
        for (int64_t k = 0; k < 9; ++k) mean += xv[static_cast<size_t>((n * 2 + c) * 9 + k)] / 18;
      sums[static_cast<size_t>(c)] += mean;
    }
    cumulative(x);
  }
  // momentum=None: the running mean is the plain average of the batch means.
  check_close(cumulative->running_mean, {2}, {sums[0] / 3, sums[1] / 3}, 1e-12);

  nn::BatchNorm2d stateless(2, 1e-5, 0.1, true, false);
  CHECK(stateless->buffers().empty());
  stateless->eval();
  const Tensor x = randn64({3, 2, 2, 2});
  stateless->to(reel::kFloat64);
  const Tensor y = stateless(x);  // batch statistics even in eval mode
  check_close(y.mean({0, 2, 3}), {2}, {0, 0}, 1e-10);
  check_close(y.var({0, 2, 3}, false), {2}, {1, 1}, 1e-3);
}

TEST_CASE("nn Flatten and Identity reshape and pass through", "[nn]") {
  const Tensor x = reel::randn({2, 3, 4, 5});
  CHECK(nn::Flatten()(x).sizes() == reel::IntList{2, 60});
  CHECK(nn::Flatten(0, 1)(x).sizes() == reel::IntList{6, 4, 5});
  CHECK(nn::Flatten(-2)(x).sizes() == reel::IntList{2, 3, 20});
  CHECK(nn::Identity()(x).is_same(x));
}

TEST_CASE("nn activations match their formulas", "[nn]") {
  reel::manual_seed(17);
  const Tensor x = randn64({4, 5}) * 3;
  const Values xv = values(x);
  auto map = [&](double (*fn)(double)) {
    Values out;
    for (double v : xv) out.push_back(fn(v));
    return out;
  };
  check_close(nn::ReLU()(x), {4, 5}, map([](double v) { return v > 0 ? v : 0.0; }), 1e-12);
  check_close(nn::LeakyReLU(0.2)(x), {4, 5}, map([](double v) { return v > 0 ? v : 0.2 * v; }), 1e-12);
  check_close(nn::ELU(1.5)(x), {4, 5}, map([](double v) { return v > 0 ? v : 1.5 * std::expm1(v); }), 1e-12);
  check_close(nn::GELU()(x), {4, 5}, map([](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }), 1e-12);
  check_close(nn::GELU("tanh")(x), {4, 5}, map([](double v) {
                return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
              }),
              1e-12);
  check_close(nn::SiLU()(x), {4, 5}, map([](double v) { return v / (1 + std::exp(-v)); }), 1e-12);
  check_close(nn::Tanh()(x), {4, 5}, map([](double v) { return std::tanh(v); }), 1e-12);
  check_close(nn::Sigmoid()(x), {4, 5}, map([](double v) { return 1 / (1 + std::exp(-v)); }), 1e-12);
  Values softmax(20), log_softmax(20);
  for (int64_t r = 0; r < 4; ++r) {
    double total = 0;
    for (int64_t c = 0; c < 5; ++c) total += std::exp(xv[static_cast<size_t>(r * 5 + c)]);
    for (int64_t c = 0; c < 5; ++c) {
      softmax[static_cast<size_t>(r * 5 + c)] = std::exp(xv[static_cast<size_t>(r * 5 + c)]) / total;
      log_softmax[static_cast<size_t>(r * 5 + c)] = xv[static_cast<size_t>(r * 5 + c)] - std::log(total);
    }
  }
  check_close(nn::Softmax(1)(x), {4, 5}, softmax, 1e-12);
  check_close(nn::LogSoftmax(-1)(x), {4, 5}, log_softmax, 1e-12);
  // ELU's gradient stays finite where e^x would overflow.
  const Tensor big = reel::tensor({1000.0, -1000.0}, reel::kFloat64).requires_grad_();
  F::elu(big).sum().backward();
  CHECK(values(big.grad()) == Values{1.0, 0.0});
  // float32 stays float32.
  CHECK(F::gelu(reel::randn({3})).dtype() == reel::kFloat32);
}

TEST_CASE("nn Conv2d and Conv1d match a naive convolution", "[nn]") {
  reel::manual_seed(18);
  nn::Conv2d conv(4, 6, {3, 2}, {2, 1}, {1, 0}, {1, 2}, 2);
  const double bound = 1.0 / std::sqrt(2.0 * 3 * 2);  // fan_in = in / groups * kh * kw
  for (double v : values(conv->weight)) CHECK(std::fabs(v) <= bound);
  for (double v : values(conv->bias)) CHECK(std::fabs(v) <= bound);
  CHECK(conv->weight.sizes() == reel::IntList{6, 2, 3, 2});
  conv->to(reel::kFloat64);
  const Tensor x = randn64({2, 4, 7, 6});
  std::vector<int64_t> out_shape;
  const Values expected = naive_conv2d(values(x), {2, 4, 7, 6}, values(conv->weight), {6, 2, 3, 2},
                                       values(conv->bias), 2, 1, 1, 0, 1, 2, 2, out_shape);
  check_close(conv(x), out_shape, expected, 1e-10);

  nn::Conv1d conv1(3, 2, 3, 1, 1, 1, 1, false);
  conv1->to(reel::kFloat64);
  const Tensor x1 = randn64({2, 3, 5});
  const Values expected1 = naive_conv2d(values(x1.unsqueeze(2)), {2, 3, 1, 5}, values(conv1->weight.unsqueeze(2)),
                                        {2, 3, 1, 3}, {}, 1, 1, 0, 1, 1, 1, 1, out_shape);
  check_close(conv1(x1), {2, 2, 5}, expected1, 1e-10);
  conv1(x1).sum().backward();
  CHECK(conv1->weight.grad().sizes() == reel::IntList{2, 3, 3});
}

TEST_CASE("nn pooling layers forward their options", "[nn]") {
  reel::manual_seed(19);
  const Tensor x = randn64({1, 2, 4, 4});
  const Values xv = values(x);
  Values max_expected, avg_expected;
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 2; ++j) {
        double best = -INFINITY, total = 0;
        for (int64_t p = 0; p < 2; ++p)
          for (int64_t q = 0; q < 2; ++q) {
            const double v = xv[static_cast<size_t>(c * 16 + (2 * i + p) * 4 + 2 * j + q)];
            best = std::max(best, v);
            total += v;
          }
        max_expected.push_back(best);
        avg_expected.push_back(total / 4);
      }
  check_close(nn::MaxPool2d(2)(x), {1, 2, 2, 2}, max_expected, 1e-12);
  check_close(nn::AvgPool2d(2)(x), {1, 2, 2, 2}, avg_expected, 1e-12);
  check_close(nn::AvgPool2d({3, 3}, 1, 1, false, false)(x), {1, 2, 4, 4},
              values(reel::avg_pool2d(x, 3, 1, 1, false, false)), 1e-12);
  check_close(nn::MaxPool2d({3, 3}, {2, 2}, 1, 1, true)(x), {1, 2, 3, 3},
              values(reel::max_pool2d(x, 3, 2, 1, 1, true)), 1e-12);
  Values means;
  for (int64_t c = 0; c < 2; ++c) {
    double total = 0;
    for (int64_t k = 0; k < 16; ++k) total += xv[static_cast<size_t>(c * 16 + k)];
    means.push_back(total / 16);
  }
  check_close(nn::AdaptiveAvgPool2d(1)(x), {1, 2, 1, 1}, means, 1e-12);
  CHECK(nn::AdaptiveAvgPool2d({2, 3})(x).sizes() == reel::IntList{1, 2, 2, 3});
}

TEST_CASE("nn functional pad in every mode against index arithmetic", "[nn]") {
  reel::manual_seed(20);
  const Tensor x = randn64({2, 3, 4});
  const Values xv = values(x);
  // pad = {last_left, last_right, middle_left, middle_right}
  auto reference = [&](const std::string& mode, int64_t l2, int64_t r2, int64_t l1, int64_t r1, double fill) {
    Values out;
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t i = -l1; i < 3 + r1; ++i)
        for (int64_t j = -l2; j < 4 + r2; ++j) {
          auto map = [&](int64_t k, int64_t n) -> int64_t {
            if (mode == "reflect") return k < 0 ? -k : (k >= n ? 2 * (n - 1) - k : k);
            if (mode == "replicate") return std::clamp<int64_t>(k, 0, n - 1);
            if (mode == "circular") return ((k % n) + n) % n;
            return k;
          };
          const int64_t si = map(i, 3), sj = map(j, 4);
          const bool inside = si >= 0 && si < 3 && sj >= 0 && sj < 4;
          out.push_back(inside ? xv[static_cast<size_t>((b * 3 + si) * 4 + sj)] : fill);
        }
    return out;
  };
  check_close(F::pad(x, {1, 2, 2, 0}, "constant", 0.5), {2, 5, 7}, reference("constant", 1, 2, 2, 0, 0.5), 0);
  check_close(F::pad(x, {3, 1, 2, 2}, "reflect"), {2, 7, 8}, reference("reflect", 3, 1, 2, 2, 0), 0);
  check_close(F::pad(x, {2, 3, 1, 4}, "replicate"), {2, 8, 9}, reference("replicate", 2, 3, 1, 4, 0), 0);
  check_close(F::pad(x, {4, 2, 3, 1}, "circular"), {2, 7, 10}, reference("circular", 4, 2, 3, 1, 0), 0);
  // Negative constant padding crops.
  const Tensor cropped = F::pad(x, {-1, 1});
  REQUIRE(cropped.sizes() == reel::IntList{2, 3, 4});
  CHECK(values(cropped.select(2, 0)) == values(x.select(2, 1)));
  CHECK(values(cropped.select(2, 3)) == Values(6, 0.0));
  CHECK_THROWS_AS(F::pad(x, {1}), reel::Error);
  CHECK_THROWS_AS(F::pad(x, {4, 0}, "reflect"), reel::Error);
  CHECK_THROWS_AS(F::pad(x, {1, 1}, "wrap"), reel::Error);
}

TEST_CASE("nn functional one_hot normalize and cosine_similarity", "[nn]") {
  reel::manual_seed(21);
  CHECK(values(F::one_hot(reel::tensor({0, 2, 1}, reel::kInt64), 3)) == Values{1, 0, 0, 0, 0, 1, 0, 1, 0});
  const Tensor x = randn64({3, 4});
  const Values xv = values(x);
  Values l2, l1;
  for (int64_t r = 0; r < 3; ++r) {
    double n2 = 0, n1 = 0;
    for (int64_t c = 0; c < 4; ++c) {
      n2 += xv[static_cast<size_t>(r * 4 + c)] * xv[static_cast<size_t>(r * 4 + c)];
      n1 += std::fabs(xv[static_cast<size_t>(r * 4 + c)]);
    }
    for (int64_t c = 0; c < 4; ++c) {
      l2.push_back(xv[static_cast<size_t>(r * 4 + c)] / std::sqrt(n2));
      l1.push_back(xv[static_cast<size_t>(r * 4 + c)] / n1);
    }
  }
  check_close(F::normalize(x), {3, 4}, l2, 1e-12);
  check_close(F::normalize(x, 1.0, -1), {3, 4}, l1, 1e-12);
  CHECK(values(F::normalize(reel::zeros({1, 3}, reel::kFloat64))) == Values{0, 0, 0});

  const Tensor other = randn64({1, 4});  // broadcast against x
  const Values ov = values(other);
  Values cosines;
  for (int64_t r = 0; r < 3; ++r) {
    double dot = 0, na = 0, nb = 0;
    for (int64_t c = 0; c < 4; ++c) {
      dot += xv[static_cast<size_t>(r * 4 + c)] * ov[static_cast<size_t>(c)];
      na += xv[static_cast<size_t>(r * 4 + c)] * xv[static_cast<size_t>(r * 4 + c)];
      nb += ov[static_cast<size_t>(c)] * ov[static_cast<size_t>(c)];
    }
    cosines.push_back(dot / (std::sqrt(na) * std::sqrt(nb)));
  }
  check_close(F::cosine_similarity(x, other), {3}, cosines, 1e-12);
  check_close(F::cosine_similarity(x, x, -1), {3}, {1, 1, 1}, 1e-12);
  CHECK(values(F::cosine_similarity(reel::zeros({2, 3}, reel::kFloat64), randn64({2, 3}))) == Values{0, 0});
}

TEST_CASE("nn functional composites pass gradcheck in float64", "[nn]") {
  reel::manual_seed(22);
  require_gradcheck([](const std::vector<Tensor>& in) { return F::linear(in[0], in[1], in[2]); },
                    {leaf64({3, 4}), leaf64({2, 4}), leaf64({2})});
  require_gradcheck([](const std::vector<Tensor>& in) { return F::linear(in[0], in[1]); },
                    {leaf64({2, 3, 4}), leaf64({2, 4})});
  require_gradcheck([](const std::vector<Tensor>& in) { return F::bilinear(in[0], in[1], in[2], in[3]); },
                    {leaf64({3, 2}), leaf64({3, 4}), leaf64({5, 2, 4}), leaf64({5})});
  require_gradcheck(
      [](const std::vector<Tensor>& in) { return F::layer_norm(in[0], {3, 4}, in[1], in[2]); },
      {leaf64({2, 3, 4}), leaf64({3, 4}), leaf64({3, 4})});
  require_gradcheck(
      [](const std::vector<Tensor>& in) { return F::batch_norm(in[0], {}, {}, in[1], in[2], /*training=*/true); },
      {leaf64({4, 3, 2}), leaf64({3}), leaf64({3})});
  const Tensor running_mean = randn64({3}), running_var = randn64({3}).abs() + 0.5;
  require_gradcheck(
      [&](const std::vector<Tensor>& in) {
        return F::batch_norm(in[0], running_mean, running_var, in[1], in[2], /*training=*/false);
      },
      {leaf64({4, 3}), leaf64({3}), leaf64({3})});
  require_gradcheck([](const std::vector<Tensor>& in) { return F::gelu(in[0]); }, {leaf64({10})});
  require_gradcheck([](const std::vector<Tensor>& in) { return F::gelu(in[0], "tanh"); }, {leaf64({10})});
  require_gradcheck([](const std::vector<Tensor>& in) { return F::silu(in[0]); }, {leaf64({10})});
  require_gradcheck([](const std::vector<Tensor>& in) { return F::elu(in[0], 0.7); }, {leaf64({10})});
  require_gradcheck([](const std::vector<Tensor>& in) { return F::leaky_relu(in[0], 0.1); }, {leaf64({10})});
  require_gradcheck([](const std::vector<Tensor>& in) { return F::normalize(in[0]); }, {leaf64({3, 4})});
  require_gradcheck([](const std::vector<Tensor>& in) { return F::normalize(in[0], 3.0, 0); }, {leaf64({3, 4})});
  require_gradcheck([](const std::vector<Tensor>& in) { return F::cosine_similarity(in[0], in[1]); },
                    {leaf64({3, 4}), leaf64({1, 4})});
  for (const char* mode : {"constant", "reflect", "replicate", "circular"}) {
    INFO("pad mode " << mode);
    require_gradcheck([mode](const std::vector<Tensor>& in) { return F::pad(in[0], {2, 1, 1, 2}, mode, 0.3); },
                      {leaf64({2, 3, 4})});
  }
  require_gradcheck([](const std::vector<Tensor>& in) { return F::pad(in[0], {-1, 2}); }, {leaf64({2, 4})});
}
