// reel/test/test_toplevel_names.cpp — the torch:: top-level names of ATen's native_functions.yaml that LibTorch
// programs call (nn/toplevel.h, nn/functional.h): each computes what the reel::nn::functional function of the same
// meaning computes (tested against references in test_loss.cpp / test_functional_extra.cpp), the argument-order
// traps (reduction before ignore_index, pos_weight before reduction, reduction before beta) against float64 loops,
// and the new composites (feature / alpha dropout, group_norm, instance_norm, pdist) against float64 references,
// gradcheck and the structure of their random masks.
//
// THE LIST (ATen signatures; the static_asserts below fail to compile if reel lacks one exactly):
//   nll_loss / nll_loss2d(self, target, weight={}, int reduction=Mean, int ignore_index=-100)
//   cross_entropy_loss(self, target, weight={}, reduction=Mean, ignore_index=-100, float label_smoothing=0)
//   binary_cross_entropy(self, target, weight={}, reduction=Mean)
//   binary_cross_entropy_with_logits(self, target, weight={}, pos_weight={}, reduction=Mean)
//   mse_loss / l1_loss / soft_margin_loss / multilabel_margin_loss(self, target, reduction=Mean)
//   smooth_l1_loss(self, target, reduction=Mean, beta=1); huber_loss(self, target, reduction=Mean, delta=1)
//   kl_div(self, target, reduction=Mean, log_target=false)
//   margin_ranking_loss / cosine_embedding_loss(input1, input2, target, margin=0, reduction=Mean)
//   hinge_embedding_loss(self, target, margin=1, reduction=Mean)
//   triplet_margin_loss(anchor, positive, negative, margin=1, p=2, eps=1e-6, swap=false, reduction=Mean)
//   multi_margin_loss(self, target, Scalar p=1, Scalar margin=1, weight={}, reduction=Mean)
//   poisson_nll_loss(input, target, log_input, full, eps, reduction)                     (no defaults)
//   dropout / feature_dropout / alpha_dropout / feature_alpha_dropout(input, p, train)   (no defaults) and the _ forms
//   layer_norm(input, normalized_shape, weight={}, bias={}, eps=1e-5, cudnn_enable=true)
//   group_norm(input, num_groups, weight={}, bias={}, eps=1e-5, cudnn_enabled=true)
//   batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled)
//   instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled)
//   pad(self, pad, mode="constant", value=nullopt); gelu(self, approximate="none")
//   cosine_similarity(x1, x2, dim=1, eps=1e-8); pdist(self, p=2)
//   and the existing cdist, pairwise_distance, pixel_shuffle, glu, prelu, rrelu, embedding, elu, selu, celu,
//   leaky_relu, hardtanh, softplus, log_sigmoid, upsample_nearest2d, upsample_bilinear2d
#include <cmath>
#include <type_traits>
#include <vector>

#include "autograd_test_utils.h"

using autograd_test::error_of;
using autograd_test::require_close;
using autograd_test::values;
using reel::Tensor;
namespace F = reel::nn::functional;
using R = reel::nn::Reduction;
using Values = std::vector<double>;

namespace {

using reel::IntList;
using reel::Scalar;
// The overload with exactly this signature must exist (a static_cast to a function pointer picks it or fails).
#define REQUIRE_SIGNATURE(name, ...) \
  static_assert(std::is_pointer_v<decltype(static_cast<__VA_ARGS__>(&reel::name))>, #name)
using T = const Tensor&;
REQUIRE_SIGNATURE(nll_loss, Tensor (*)(T, T, T, int64_t, int64_t));
REQUIRE_SIGNATURE(nll_loss2d, Tensor (*)(T, T, T, int64_t, int64_t));
REQUIRE_SIGNATURE(cross_entropy_loss, Tensor (*)(T, T, T, int64_t, int64_t, double));
REQUIRE_SIGNATURE(binary_cross_entropy, Tensor (*)(T, T, T, int64_t));
REQUIRE_SIGNATURE(binary_cross_entropy_with_logits, Tensor (*)(T, T, T, T, int64_t));
REQUIRE_SIGNATURE(mse_loss, Tensor (*)(T, T, int64_t));
REQUIRE_SIGNATURE(l1_loss, Tensor (*)(T, T, int64_t));
REQUIRE_SIGNATURE(smooth_l1_loss, Tensor (*)(T, T, int64_t, double));
REQUIRE_SIGNATURE(huber_loss, Tensor (*)(T, T, int64_t, double));
REQUIRE_SIGNATURE(kl_div, Tensor (*)(T, T, int64_t, bool));
REQUIRE_SIGNATURE(margin_ranking_loss, Tensor (*)(T, T, T, double, int64_t));
REQUIRE_SIGNATURE(hinge_embedding_loss, Tensor (*)(T, T, double, int64_t));
REQUIRE_SIGNATURE(soft_margin_loss, Tensor (*)(T, T, int64_t));
REQUIRE_SIGNATURE(cosine_embedding_loss, Tensor (*)(T, T, T, double, int64_t));
REQUIRE_SIGNATURE(triplet_margin_loss, Tensor (*)(T, T, T, double, double, double, bool, int64_t));
REQUIRE_SIGNATURE(multi_margin_loss, Tensor (*)(T, T, Scalar, Scalar, T, int64_t));
REQUIRE_SIGNATURE(multilabel_margin_loss, Tensor (*)(T, T, int64_t));
REQUIRE_SIGNATURE(poisson_nll_loss, Tensor (*)(T, T, bool, bool, double, int64_t));
REQUIRE_SIGNATURE(dropout, Tensor (*)(T, double, bool));
REQUIRE_SIGNATURE(feature_dropout, Tensor (*)(T, double, bool));
REQUIRE_SIGNATURE(alpha_dropout, Tensor (*)(T, double, bool));
REQUIRE_SIGNATURE(feature_alpha_dropout, Tensor (*)(T, double, bool));
REQUIRE_SIGNATURE(dropout_, Tensor& (*)(Tensor&, double, bool));
REQUIRE_SIGNATURE(feature_alpha_dropout_, Tensor& (*)(Tensor&, double, bool));
REQUIRE_SIGNATURE(layer_norm, Tensor (*)(T, IntList, T, T, double, bool));
REQUIRE_SIGNATURE(group_norm, Tensor (*)(T, int64_t, T, T, double, bool));
REQUIRE_SIGNATURE(batch_norm, Tensor (*)(T, T, T, T, T, bool, double, double, bool));
REQUIRE_SIGNATURE(instance_norm, Tensor (*)(T, T, T, T, T, bool, double, double, bool));
REQUIRE_SIGNATURE(pad, Tensor (*)(T, IntList, std::string_view, std::optional<double>));
REQUIRE_SIGNATURE(gelu, Tensor (*)(T, std::string_view));
REQUIRE_SIGNATURE(cosine_similarity, Tensor (*)(T, T, int64_t, double));
REQUIRE_SIGNATURE(pdist, Tensor (*)(T, double));
REQUIRE_SIGNATURE(cdist, Tensor (*)(T, T, double, std::optional<int64_t>));
REQUIRE_SIGNATURE(pairwise_distance, Tensor (*)(T, T, double, double, bool));
REQUIRE_SIGNATURE(pixel_shuffle, Tensor (*)(T, int64_t));
REQUIRE_SIGNATURE(glu, Tensor (*)(T, int64_t));
REQUIRE_SIGNATURE(prelu, Tensor (*)(T, T));
REQUIRE_SIGNATURE(rrelu, Tensor (*)(T, double, double, bool));
REQUIRE_SIGNATURE(embedding, Tensor (*)(T, T, int64_t, bool, bool));
// the activations of the op table (tensor/ops.def), with ATen's Scalars as double
REQUIRE_SIGNATURE(elu, Tensor (*)(T, double, double, double));
REQUIRE_SIGNATURE(selu, Tensor (*)(T));
REQUIRE_SIGNATURE(celu, Tensor (*)(T, double));
REQUIRE_SIGNATURE(leaky_relu, Tensor (*)(T, double));
REQUIRE_SIGNATURE(hardtanh, Tensor (*)(T, double, double));
REQUIRE_SIGNATURE(softplus, Tensor (*)(T, double, double));
REQUIRE_SIGNATURE(log_sigmoid, Tensor (*)(T));
REQUIRE_SIGNATURE(upsample_bilinear2d, Tensor (*)(T, IntList, bool, std::optional<double>, std::optional<double>));
REQUIRE_SIGNATURE(upsample_nearest2d, Tensor (*)(T, IntList, std::optional<double>, std::optional<double>));
#undef REQUIRE_SIGNATURE

Tensor sample(uint64_t seed, reel::IntList shape) {
  reel::manual_seed(seed);
  return reel::randn(shape, reel::kFloat64);
}

Tensor make(const Values& v, reel::IntList shape) { return reel::tensor(v, reel::kFloat64).reshape(shape); }

double sum_of(const Values& v) {
  double s = 0;
  for (double e : v) s += e;
  return s;
}

}  // namespace

TEST_CASE("top-level losses compute the F:: losses with ATen's reduction codes", "[toplevel][loss]") {
  const Tensor x = sample(1, {3, 4}), y = sample(2, {3, 4});
  const Tensor log_probs = reel::log_softmax(x, 1);
  const Tensor labels = reel::tensor({2, 0, 3}, reel::kInt64);
  const Tensor weight = reel::tensor({0.5, 1.0, 2.0, 1.5}, reel::kFloat64);
  const Tensor probs = reel::sigmoid(x), binary = reel::gt(y, 0.0).to(reel::kFloat64), signs = reel::sign(y);
  const std::pair<int64_t, R> codes[] = {{reel::Reduction::None, R::None}, {reel::Reduction::Mean, R::Mean},
                                         {reel::Reduction::Sum, R::Sum}};
  for (const auto& [code, reduction] : codes) {
    INFO("reduction code " << code);
    require_close(reel::nll_loss(log_probs, labels, weight, code),
                  F::nll_loss(log_probs, labels, weight, -100, reduction), 0);
    require_close(reel::cross_entropy_loss(x, labels, {}, code, -100, 0.2),
                  F::cross_entropy(x, labels, {}, -100, reduction, 0.2), 0);
    require_close(reel::binary_cross_entropy(probs, binary, {}, code),
                  F::binary_cross_entropy(probs, binary, {}, reduction), 0);
    require_close(reel::mse_loss(x, y, code), F::mse_loss(x, y, reduction), 0);
    require_close(reel::l1_loss(x, y, code), F::l1_loss(x, y, reduction), 0);
    require_close(reel::huber_loss(x, y, code, 0.7), F::huber_loss(x, y, reduction, 0.7), 0);
    require_close(reel::kl_div(log_probs, reel::softmax(y, 1), code),
                  F::kl_div(log_probs, reel::softmax(y, 1), reduction), 0);
    require_close(reel::kl_div(log_probs, reel::log_softmax(y, 1), code, true),
                  F::kl_div(log_probs, reel::log_softmax(y, 1), reduction, true), 0);
    require_close(reel::margin_ranking_loss(x, y, signs, 0.3, code),
                  F::margin_ranking_loss(x, y, signs, 0.3, reduction), 0);
    require_close(reel::hinge_embedding_loss(x, signs, 0.8, code),
                  F::hinge_embedding_loss(x, signs, 0.8, reduction), 0);
    require_close(reel::soft_margin_loss(x, signs, code), F::soft_margin_loss(x, signs, reduction), 0);
    const Tensor pair_labels = reel::tensor({1.0, -1.0, 1.0}, reel::kFloat64);
    require_close(reel::cosine_embedding_loss(x, y, pair_labels, 0.1, code),
                  F::cosine_embedding_loss(x, y, pair_labels, 0.1, reduction), 0);
    const Tensor z = sample(3, {3, 4});
    require_close(reel::triplet_margin_loss(x, y, z, 0.5, 1.0, 1e-6, true, code),
                  F::triplet_margin_loss(x, y, z, 0.5, 1.0, 1e-6, true, reduction), 0);
    require_close(reel::multi_margin_loss(x, labels, 2, 0.5, weight, code),
                  F::multi_margin_loss(x, labels, 2, 0.5, weight, reduction), 0);
    const Tensor multilabels = reel::tensor({{3, 0, -1, 1}, {1, -1, 0, 0}, {0, 1, 2, 3}}, reel::kInt64);
    require_close(reel::multilabel_margin_loss(x, multilabels, code),
                  F::multilabel_margin_loss(x, multilabels, reduction), 0);
    const Tensor counts = reel::abs(y);
    require_close(reel::poisson_nll_loss(x, counts, true, true, 1e-8, code),
                  F::poisson_nll_loss(x, counts, true, true, 1e-8, reduction), 0);
    require_close(reel::poisson_nll_loss(probs, counts, false, false, 1e-3, code),
                  F::poisson_nll_loss(probs, counts, false, false, 1e-3, reduction), 0);
  }
  // defaults: Mean, ignore_index -100, beta / delta 1
  require_close(reel::nll_loss(log_probs, labels), F::nll_loss(log_probs, labels), 0);
  require_close(reel::mse_loss(x, y), F::mse_loss(x, y), 0);
  require_close(reel::smooth_l1_loss(x, y), F::smooth_l1_loss(x, y), 0);
  require_close(reel::binary_cross_entropy_with_logits(x, binary), F::binary_cross_entropy_with_logits(x, binary), 0);
  require_close(reel::multi_margin_loss(x, labels), F::multi_margin_loss(x, labels), 0);
  CHECK_THAT(error_of([&] { reel::mse_loss(x, y, 3); }), Catch::StartsWith("mse_loss: reduction must be 0"));
  CHECK_THAT(error_of([&] { reel::multi_margin_loss(x, labels, 3); }), Catch::StartsWith("multi_margin_loss: only p"));
}

TEST_CASE("top-level losses: ATen's argument order against float64 references", "[toplevel][loss]") {
  const Tensor x = sample(4, {3, 4});
  const Values xv = values(x);
  // nll_loss(x, y, weight, reduction = Sum, ignore_index = 1): -sum over n with y_n != 1 of w[y_n] x[n, y_n]
  const Values w{0.5, 1.0, 2.0, 1.5};
  const std::vector<int64_t> y{1, 3, 0};
  double expected = 0;
  for (int n = 0; n < 3; ++n)
    if (y[size_t(n)] != 1) expected -= w[size_t(y[size_t(n)])] * xv[size_t(n * 4 + y[size_t(n)])];
  const Tensor labels = reel::tensor(y, reel::kInt64), weight = reel::tensor(w, reel::kFloat64);
  CHECK(reel::nll_loss(x, labels, weight, reel::Reduction::Sum, 1).item<double>() == Approx(expected).epsilon(1e-14));
  // cross_entropy_loss(x, y, {}, None, ignore_index = 3): per-sample -log_softmax(x)[n, y_n], 0 where ignored
  Values per_sample;
  for (int n = 0; n < 3; ++n) {
    double total = 0;
    for (int c = 0; c < 4; ++c) total += std::exp(xv[size_t(n * 4 + c)]);
    per_sample.push_back(y[size_t(n)] == 3 ? 0.0 : std::log(total) - xv[size_t(n * 4 + y[size_t(n)])]);
  }
  require_close(reel::cross_entropy_loss(x, labels, {}, reel::Reduction::None, 3), make(per_sample, {3}), 1e-14);
  // binary_cross_entropy_with_logits(x, t, weight, pos_weight, None): -w (p t ln s(x) + (1 - t) ln(1 - s(x)))
  const Tensor t = make({1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0}, {3, 4});
  const Tensor bce_weight = make({1.0, 0.5, 2.0}, {3, 1});
  const Values pw{2.0, 1.0, 0.5, 3.0};
  Values bce;
  const Values tv = values(t);
  for (int n = 0; n < 3; ++n)
    for (int c = 0; c < 4; ++c) {
      const double v = xv[size_t(n * 4 + c)], target = tv[size_t(n * 4 + c)], s = 1 / (1 + std::exp(-v));
      const double w_n = values(bce_weight)[size_t(n)];
      bce.push_back(-w_n * (pw[size_t(c)] * target * std::log(s) + (1 - target) * std::log(1 - s)));
    }
  require_close(reel::binary_cross_entropy_with_logits(x, t, bce_weight, reel::tensor(pw, reel::kFloat64),
                                                       reel::Reduction::None),
                make(bce, {3, 4}), 1e-13);
  // smooth_l1_loss(x, z, Sum, beta = 0.5) and huber_loss(x, z, None, delta = 0.5)
  const Tensor z = sample(5, {3, 4});
  const Values zv = values(z);
  Values smooth, huber;
  for (size_t i = 0; i < xv.size(); ++i) {
    const double d = std::abs(xv[i] - zv[i]);
    smooth.push_back(d < 0.5 ? 0.5 * d * d / 0.5 : d - 0.25);
    huber.push_back(d < 0.5 ? 0.5 * d * d : 0.5 * (d - 0.25));
  }
  CHECK(reel::smooth_l1_loss(x, z, reel::Reduction::Sum, 0.5).item<double>() == Approx(sum_of(smooth)).epsilon(1e-13));
  require_close(reel::huber_loss(x, z, reel::Reduction::None, 0.5), make(huber, {3, 4}), 1e-14);
}

TEST_CASE("nll_loss2d takes 4-D inputs and 3-D targets", "[toplevel][loss]") {
  const Tensor x = reel::log_softmax(sample(6, {2, 3, 2, 2}), 1);
  reel::manual_seed(7);
  const Tensor target = reel::randint(0, 3, {2, 2, 2}, reel::kInt64);
  require_close(reel::nll_loss2d(x, target), F::nll_loss(x, target), 0);
  require_close(reel::nll_loss2d(x, target, {}, reel::Reduction::None, 0),
                F::nll_loss(x, target, {}, 0, R::None), 0);
  CHECK_THAT(error_of([&] { reel::nll_loss2d(x[0], target[0]); }),
             Catch::StartsWith("nll_loss2d: only batches of spatial targets supported (3D tensors)"));
  CHECK_THAT(error_of([&] { reel::nll_loss2d(x.flatten(2), target); }),
             Catch::StartsWith("nll_loss2d: only batches of spatial inputs supported (4D tensors)"));
}

TEST_CASE("dropout family: ATen's shortcuts, masks per element or per channel, alpha's affine map",
          "[toplevel][dropout]") {
  const Tensor x = sample(8, {4, 6, 3, 3});
  // p = 0, eval and empty inputs give the input itself; p = 1 zeros
  for (auto fn : {&reel::dropout, &reel::feature_dropout, &reel::alpha_dropout, &reel::feature_alpha_dropout}) {
    CHECK(fn(x, 0.0, true).data_ptr() == x.data_ptr());
    CHECK(fn(x, 0.4, false).data_ptr() == x.data_ptr());
    require_close(fn(x, 1.0, true), reel::zeros_like(x), 0);
  }
  CHECK_THAT(error_of([&] { reel::dropout(x, 1.5, true); }),
             Catch::StartsWith("dropout: dropout probability has to be between 0 and 1, but got 1.5"));
  CHECK_THAT(error_of([&] { reel::feature_dropout(reel::ones({5}, reel::kFloat64), 0.5, true); }),
             Catch::StartsWith("feature_dropout: Feature dropout requires at least 2 dimensions"));

  // dropout: each value 0 or x / (1 - p); the same numbers as F::dropout under the same seed
  const double p = 0.3;
  reel::manual_seed(9);
  const Tensor y = reel::dropout(x, p, true);
  reel::manual_seed(9);
  require_close(y, F::dropout(x, p, true), 0);
  const Values xv = values(x), yv = values(y);
  int dropped = 0;
  for (size_t i = 0; i < xv.size(); ++i) {
    if (yv[i] == 0) ++dropped;
    else CHECK(yv[i] == Approx(xv[i] / (1 - p)).epsilon(1e-14));
  }
  CHECK(dropped > 0);
  CHECK(dropped < int(xv.size()));

  // feature_dropout: whole (sample, channel) planes, about p of them
  const Tensor big = reel::ones({40, 50, 2, 2}, reel::kFloat64);
  reel::manual_seed(10);
  const Tensor planes = reel::feature_dropout(big, p, true).reshape({2000, 4});
  const Values pv = values(planes);
  int dropped_planes = 0;
  for (int plane = 0; plane < 2000; ++plane) {
    const double first = pv[size_t(plane * 4)];
    for (int k = 1; k < 4; ++k) CHECK(pv[size_t(plane * 4 + k)] == first);
    CHECK((first == 0.0 || first == Approx(1 / (1 - p))));
    if (first == 0.0) ++dropped_planes;
  }
  CHECK(dropped_planes / 2000.0 == Approx(p).margin(0.05));

  // alpha_dropout: kept a x + a alpha' p, dropped a alpha' (p - 1); a standard normal keeps mean 0, variance 1
  const double alpha = 1.7580993408473766, a = 1 / std::sqrt((alpha * alpha * p + 1) * (1 - p));
  const Tensor normal = sample(11, {200000});
  const Tensor alpha_y = reel::alpha_dropout(normal, p, true);
  const Values nv = values(normal), av = values(alpha_y);
  for (size_t i = 0; i < 1000; ++i) {
    const bool is_dropped = std::abs(av[i] - a * alpha * (p - 1)) < 1e-12;
    if (!is_dropped) CHECK(av[i] == Approx(a * nv[i] + a * alpha * p).epsilon(1e-12));
  }
  CHECK(alpha_y.mean().item<double>() == Approx(0.0).margin(0.02));
  CHECK(alpha_y.var().item<double>() == Approx(1.0).margin(0.02));
  // feature_alpha_dropout: one affine map per plane
  reel::manual_seed(12);
  const Tensor fa = reel::feature_alpha_dropout(big, p, true).reshape({2000, 4});
  const Values fv = values(fa);
  for (int plane = 0; plane < 2000; ++plane) {
    const double first = fv[size_t(plane * 4)];
    CHECK((first == Approx(a * alpha * (p - 1)) || first == Approx(a + a * alpha * p)));
    for (int k = 1; k < 4; ++k) CHECK(fv[size_t(plane * 4 + k)] == first);
  }

  // gradient: the slope of the kept elements (1 / (1 - p), or a), 0 for the dropped ones
  Tensor leaf = x.clone().requires_grad_();
  reel::manual_seed(13);
  const Tensor out = reel::alpha_dropout(leaf, p, true);
  out.sum().backward();
  const Values gv = values(leaf.grad()), ov = values(out);
  for (size_t i = 0; i < gv.size(); ++i) {
    const bool is_dropped = std::abs(ov[i] - a * alpha * (p - 1)) < 1e-12;
    CHECK(gv[i] == Approx(is_dropped ? 0.0 : a).margin(1e-14));
  }

  // the in-place forms overwrite the input with the numbers of the out-of-place ones
  for (auto [fn, fn_] : {std::pair{&reel::dropout, &reel::dropout_},
                         std::pair{&reel::feature_dropout, &reel::feature_dropout_},
                         std::pair{&reel::alpha_dropout, &reel::alpha_dropout_},
                         std::pair{&reel::feature_alpha_dropout, &reel::feature_alpha_dropout_}}) {
    reel::manual_seed(14);
    const Tensor expected_y = fn(x, 0.4, true);
    Tensor copy = x.clone();
    reel::manual_seed(14);
    Tensor& result = fn_(copy, 0.4, true);
    CHECK(&result == &copy);
    require_close(copy, expected_y, 1e-15);
  }
}

TEST_CASE("group_norm against a float64 reference, gradcheck and errors", "[toplevel][norm]") {
  const Tensor x = sample(20, {2, 6, 3});
  const Tensor weight = sample(21, {6}), bias = sample(22, {6});
  const Values xv = values(x), wv = values(weight), bv = values(bias);
  Values expected(xv.size());
  const int groups = 3, per_group = 2 * 3;
  for (int n = 0; n < 2; ++n)
    for (int g = 0; g < groups; ++g) {
      const size_t start = size_t(n * 18 + g * per_group);
      double mu = 0, var = 0;
      for (int k = 0; k < per_group; ++k) mu += xv[start + size_t(k)] / per_group;
      for (int k = 0; k < per_group; ++k) var += std::pow(xv[start + size_t(k)] - mu, 2) / per_group;
      for (int k = 0; k < per_group; ++k) {
        const int channel = g * 2 + k / 3;
        const double normalized = (xv[start + size_t(k)] - mu) / std::sqrt(var + 1e-5);
        expected[start + size_t(k)] = normalized * wv[size_t(channel)] + bv[size_t(channel)];
      }
    }
  require_close(reel::group_norm(x, groups, weight, bias), make(expected, {2, 6, 3}), 1e-12);
  // num_groups = C is instance norm without running stats; 1 group is layer norm over (C, *)
  require_close(reel::group_norm(x, 1), reel::layer_norm(x, {6, 3}), 1e-12);
  const Tensor xl = x.detach().requires_grad_(), wl = weight.detach().requires_grad_();
  const Tensor bl = bias.detach().requires_grad_();
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return reel::group_norm(in[0], 2, in[1], in[2]); },
                    (std::vector<Tensor>{xl, wl, bl}));
  // float32, a non-contiguous input and an empty batch
  require_close(reel::group_norm(x.to(reel::kFloat32), groups, weight.to(reel::kFloat32), bias.to(reel::kFloat32))
                    .to(reel::kFloat64),
                make(expected, {2, 6, 3}), 1e-5);
  const Tensor transposed = x.transpose(0, 2).contiguous().transpose(0, 2);
  REQUIRE(!transposed.is_contiguous());
  require_close(reel::group_norm(transposed, groups, weight, bias), make(expected, {2, 6, 3}), 1e-12);
  CHECK(reel::group_norm(reel::zeros({0, 6, 3}, reel::kFloat64), groups).sizes() == x.narrow(0, 0, 0).sizes());
  CHECK_THAT(error_of([&] { reel::group_norm(x, 4); }),
             Catch::StartsWith("group_norm: Expected number of channels in input to be divisible by num_groups"));
  CHECK_THAT(error_of([&] { reel::group_norm(x, 3, reel::ones({5}, reel::kFloat64)); }),
             Catch::StartsWith("group_norm: Expected weight to be a vector"));
}

TEST_CASE("batch_norm and instance_norm in ATen's argument order", "[toplevel][norm]") {
  const Tensor x = sample(30, {3, 2, 4});
  const Tensor weight = sample(31, {2}), bias = sample(32, {2});
  // batch_norm: ATen's (input, weight, bias, running_mean, running_var, ...) is F's (input, mean, var, weight, bias)
  Tensor mean_a = reel::zeros({2}, reel::kFloat64), var_a = reel::ones({2}, reel::kFloat64);
  Tensor mean_b = mean_a.clone(), var_b = var_a.clone();
  require_close(reel::batch_norm(x, weight, bias, mean_a, var_a, true, 0.2, 1e-5, true),
                F::batch_norm(x, mean_b, var_b, weight, bias, true, 0.2, 1e-5), 0);
  require_close(mean_a, mean_b, 0);
  require_close(var_a, var_b, 0);

  // instance_norm: per (n, c) over the last dim; running stats move towards the batch mean of the instance stats
  const Values xv = values(x), wv = values(weight), bv = values(bias);
  Values expected(xv.size()), mean_sum(2, 0.0), var_sum(2, 0.0);
  for (int n = 0; n < 3; ++n)
    for (int c = 0; c < 2; ++c) {
      const size_t start = size_t((n * 2 + c) * 4);
      double mu = 0, var = 0;
      for (int k = 0; k < 4; ++k) mu += xv[start + size_t(k)] / 4;
      for (int k = 0; k < 4; ++k) var += std::pow(xv[start + size_t(k)] - mu, 2) / 4;
      for (int k = 0; k < 4; ++k)
        expected[start + size_t(k)] =
            (xv[start + size_t(k)] - mu) / std::sqrt(var + 1e-5) * wv[size_t(c)] + bv[size_t(c)];
      mean_sum[size_t(c)] += mu;
      var_sum[size_t(c)] += var * 4 / 3;  // the running variance takes the unbiased estimate
    }
  Tensor running_mean = make({0.5, -0.5}, {2}), running_var = make({2.0, 1.0}, {2});
  require_close(reel::instance_norm(x, weight, bias, running_mean, running_var, true, 0.1, 1e-5, true),
                make(expected, {3, 2, 4}), 1e-12);
  require_close(running_mean, make({0.9 * 0.5 + 0.1 * mean_sum[0] / 3, 0.9 * -0.5 + 0.1 * mean_sum[1] / 3}, {2}),
                1e-12);
  require_close(running_var, make({0.9 * 2.0 + 0.1 * var_sum[0] / 3, 0.9 * 1.0 + 0.1 * var_sum[1] / 3}, {2}), 1e-12);
  // without input stats the running stats normalize
  const Tensor eval = reel::instance_norm(x, {}, {}, running_mean, running_var, false, 0.1, 1e-5, true);
  require_close(eval, F::batch_norm(x, running_mean, running_var, {}, {}, false, 0.1, 1e-5), 1e-12);
  // no running stats at all
  const Tensor xl = x.detach().requires_grad_(), wl = weight.detach().requires_grad_();
  REQUIRE_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        return reel::instance_norm(in[0], in[1], {}, {}, {}, true, 0.1, 1e-5, true);
      },
      (std::vector<Tensor>{xl, wl}));
  CHECK_THAT(error_of([&] { reel::instance_norm(x, {}, {}, {}, {}, false, 0.1, 1e-5, true); }),
             Catch::StartsWith("instance_norm: Expected running_mean and running_var to be defined"));
}

TEST_CASE("pdist: the upper triangle of cdist, row-major", "[toplevel][distance]") {
  const Tensor x = sample(40, {4, 3});
  const Values xv = values(x);
  for (double p : {2.0, 1.0, 3.0}) {
    Values expected;
    for (int i = 0; i < 4; ++i)
      for (int j = i + 1; j < 4; ++j) {
        double total = 0;
        for (int k = 0; k < 3; ++k) total += std::pow(std::abs(xv[size_t(i * 3 + k)] - xv[size_t(j * 3 + k)]), p);
        expected.push_back(std::pow(total, 1 / p));
      }
    require_close(reel::pdist(x, p), make(expected, {6}), 1e-12);
  }
  CHECK(reel::pdist(x.narrow(0, 0, 1)).numel() == 0);
  require_close(reel::pdist(x.t().contiguous().t()), reel::pdist(x), 0);
  require_close(reel::pdist(x.to(reel::kFloat32)).to(reel::kFloat64), reel::pdist(x), 1e-5);
  const Tensor leaf = x.detach().requires_grad_();
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return reel::pdist(in[0]); }, (std::vector<Tensor>{leaf}));
  CHECK_THAT(error_of([&] { reel::pdist(x.unsqueeze(0)); }),
             Catch::StartsWith("pdist: pdist only supports 2D tensors"));
}

TEST_CASE("gelu, pad, layer_norm, cosine_similarity at the top level are F's functions", "[toplevel]") {
  const Tensor x = sample(50, {2, 3, 4});
  // the same entities, so `using namespace reel; using namespace reel::nn::functional;` stays unambiguous
  CHECK(static_cast<Tensor (*)(const Tensor&, std::string_view)>(&reel::gelu) ==
        static_cast<Tensor (*)(const Tensor&, std::string_view)>(&F::gelu));
  require_close(reel::gelu(x, "tanh"), F::gelu(x, F::GELUFuncOptions().approximate("tanh")), 0);
  require_close(reel::pad(x, {1, 2}, "reflect"), F::pad(x, F::PadFuncOptions({1, 2}).mode(reel::kReflect)), 0);
  require_close(reel::pad(x, {1, 1}, "constant", 2.5), F::pad(x, F::PadFuncOptions({1, 1}).value(2.5)), 0);
  require_close(reel::layer_norm(x, {4}, {}, {}, 1e-5, false), F::layer_norm(x, {4}), 0);
  require_close(reel::cosine_similarity(x, x.flip({2}), 2),
                F::cosine_similarity(x, x.flip({2}), F::CosineSimilarityFuncOptions().dim(2)), 0);
}
