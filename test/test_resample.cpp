// reel/test/test_resample.cpp — F::interpolate, F::grid_sample, F::affine_grid and ctc_loss through their public
// spellings: small cases checked by hand from PyTorch's coordinate rules, the float64 references of
// test/resample_reference.h across modes, gradcheck / gradgradcheck, reductions and the error messages. (The kernel
// ops themselves are swept by the op table, test/op_table_resample.cpp.)
#include <cmath>
#include <vector>

#include "autograd_test_utils.h"
#include "test/resample_reference.h"

using autograd_test::error_of;
using autograd_test::require_close;
using reel::Tensor;
using reel::nn::Reduction;
namespace F = reel::nn::functional;
namespace R = reel::test::resample_ref;
using Inputs = std::vector<Tensor>;

namespace {

Tensor t64(std::initializer_list<double> v, reel::IntList shape) { return reel::tensor(v, reel::kFloat64).reshape(shape); }

Tensor from_ref(const reel::test::RefTensor& r) { return reel::tensor(r.values, reel::kFloat64).reshape(r.shape); }

}  // namespace

TEST_CASE("interpolate: hand-checked 1-d cases", "[resample]") {
  const Tensor x = t64({1, 2, 3, 4}, {1, 1, 4});
  // linear, half-pixel: src = (j + 0.5) / 2 - 0.5, clamped at 0
  require_close(F::interpolate(x, F::InterpolateFuncOptions().size(std::vector<int64_t>{8}).mode("linear")),
                t64({1.0, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75, 4.0}, {1, 1, 8}));
  // align_corners: src = j (4 - 1) / (7 - 1)
  require_close(
      F::interpolate(x, F::InterpolateFuncOptions().size(std::vector<int64_t>{7}).mode("linear").align_corners(true)),
      t64({1, 1.5, 2, 2.5, 3, 3.5, 4}, {1, 1, 7}));
  // nearest: src = floor(j 3 / 5) -> 0 0 1 1 2
  require_close(F::interpolate(t64({1, 2, 3}, {1, 1, 3}), F::InterpolateFuncOptions().size(std::vector<int64_t>{5})),
                t64({1, 1, 2, 2, 3}, {1, 1, 5}));
  // nearest downsampling 5 -> 2: floor(j 2.5) -> 0 2
  require_close(F::interpolate(t64({1, 2, 3, 4, 5}, {1, 1, 5}),
                               F::InterpolateFuncOptions().size(std::vector<int64_t>{2})),
                t64({1, 3}, {1, 1, 2}));
}

TEST_CASE("interpolate: a given scale_factor sets the source step unless recomputed", "[resample]") {
  const Tensor x = t64({0, 10, 20}, {1, 1, 3});
  // size floor(3 * 1.5) = 4; step 1 / 1.5: src = (j + 0.5) / 1.5 - 0.5 = -1/6, 0.5, 7/6, 11/6
  const Tensor given = F::interpolate(x, F::InterpolateFuncOptions().scale_factor(std::vector<double>{1.5}).mode("linear"));
  require_close(given, t64({0, 5, 10 + 10.0 / 6, 18 + 1.0 / 3}, {1, 1, 4}), 1e-12);
  // recompute: step 3 / 4: src = (j + 0.5) 0.75 - 0.5 = -0.125, 0.625, 1.375, 2.125 -> clamp
  const Tensor recomputed = F::interpolate(x, F::InterpolateFuncOptions()
                                                  .scale_factor(std::vector<double>{1.5})
                                                  .mode("linear")
                                                  .recompute_scale_factor(true));
  require_close(recomputed, t64({0, 6.25, 13.75, 20}, {1, 1, 4}), 1e-12);
}

TEST_CASE("interpolate: bicubic 2x2 -> 4x4 by hand", "[resample]") {
  // x = 1 + u + 2 v on a 2x2 grid: bicubic is separable, so y = 1 + s_j + 2 s_i with the 1-d interpolation s of
  // [0, 1]: s = (-0.10546875, 0.2265625, 0.7734375, 1.10546875) (Keys' kernel, a = -0.75, edges replicated)
  const Tensor x = t64({1, 2, 3, 4}, {1, 1, 2, 2});
  const double s[] = {-0.10546875, 0.2265625, 0.7734375, 1.10546875};
  std::vector<double> expected;
  for (double si : s)
    for (double sj : s) expected.push_back(1 + sj + 2 * si);
  const Tensor y = F::interpolate(x, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2, 2}).mode("bicubic"));
  require_close(y, reel::tensor(expected, reel::kFloat64).reshape({1, 1, 4, 4}), 1e-12);
  CHECK(y.select(2, 0).select(2, 0).item<double>() == Approx(0.68359375).epsilon(1e-12));
}

TEST_CASE("interpolate: every mode against the float64 reference, float32 and float64", "[resample]") {
  struct Case {
    const char* mode;
    int code;
    bool align;
  };
  const Case cases[] = {{"nearest", 0, false}, {"bilinear", 1, false}, {"bilinear", 1, true},
                        {"bicubic", 2, false}, {"bicubic", 2, true}};
  reel::manual_seed(7);
  const Tensor x = reel::randn({2, 3, 5, 4}, reel::kFloat64);
  for (const Case& c : cases) {
    for (auto size : {std::vector<int64_t>{7, 9}, std::vector<int64_t>{3, 2}}) {
      INFO(c.mode << " align " << c.align << " size " << size[0] << "x" << size[1]);
      F::InterpolateFuncOptions options = F::InterpolateFuncOptions().size(size).mode(c.mode);
      if (c.code != 0) options.align_corners(c.align);
      const Tensor expected =
          from_ref(R::upsample(reel::test::RefTensor::of(x), size[0], size[1], c.code, c.align, 0, 0));
      require_close(F::interpolate(x, options), expected, 1e-12);
      require_close(F::interpolate(x.to(reel::kFloat32), options).to(reel::kFloat64), expected, 1e-5);
    }
  }
}

TEST_CASE("interpolate: gradcheck and gradgradcheck in every mode", "[resample][gradcheck]") {
  reel::manual_seed(3);
  const Tensor x = reel::randn({1, 2, 3, 3}, reel::kFloat64).requires_grad_();
  for (const char* mode : {"nearest", "bilinear", "bicubic"}) {
    for (bool align : {false, true}) {
      if (std::string(mode) == "nearest" && align) continue;
      INFO(mode << " align " << align);
      F::InterpolateFuncOptions options = F::InterpolateFuncOptions().size(std::vector<int64_t>{5, 4}).mode(mode);
      if (std::string(mode) != "nearest") options.align_corners(align);
      auto fn = [&](const Inputs& in) { return F::interpolate(in[0], options); };
      REQUIRE_GRADCHECK(fn, (Inputs{x}));
      const auto second = reel::autograd::gradgradcheck(fn, Inputs{x});
      INFO(second.message);
      CHECK(second.ok);
    }
  }
  const Tensor x1 = reel::randn({2, 1, 4}, reel::kFloat64).requires_grad_();
  REQUIRE_GRADCHECK([](const Inputs& in) {
    return F::interpolate(in[0], F::InterpolateFuncOptions().size(std::vector<int64_t>{7}).mode("linear"));
  }, (Inputs{x1}));
}

TEST_CASE("interpolate: PyTorch's argument errors", "[resample][errors]") {
  const Tensor x = reel::zeros({1, 1, 4, 4});
  CHECK_THAT(error_of([&] { F::interpolate(x, F::InterpolateFuncOptions().size(std::vector<int64_t>{2, 2}).align_corners(true)); }),
             Catch::Contains("align_corners option can only be set with the interpolating modes"));
  CHECK_THAT(error_of([&] { F::interpolate(x, F::InterpolateFuncOptions().size(std::vector<int64_t>{2, 2}).mode("linear")); }),
             Catch::Contains("linear mode needs 3D input"));
  CHECK_THAT(error_of([&] { F::interpolate(x, F::InterpolateFuncOptions()); }),
             Catch::Contains("either size or scale_factor should be defined"));
  CHECK_THAT(error_of([&] {
               F::interpolate(x, F::InterpolateFuncOptions().size(std::vector<int64_t>{2, 2}).scale_factor(std::vector<double>{2}));
             }),
             Catch::Contains("only one of size or scale_factor"));
  CHECK_THAT(error_of([&] { F::interpolate(x, F::InterpolateFuncOptions().size(std::vector<int64_t>{2, 2}).mode("area")); }),
             Catch::Contains("mode must be"));
  CHECK_THAT(error_of([&] { reel::upsample_bilinear2d(reel::zeros({1, 0, 3, 3}), {2, 2}, false); }),
             Catch::Contains("upsample_bilinear2d: input and output sizes should be greater than 0"));
  CHECK_THAT(error_of([&] { reel::upsample_nearest2d(reel::zeros({1, 1, 3, 3}, reel::kInt64), {2, 2}); }),
             Catch::Contains("expected a floating-point input"));
}

TEST_CASE("grid_sample: the identity affine grid reproduces the input", "[resample]") {
  reel::manual_seed(11);
  const Tensor x = reel::randn({2, 3, 4, 5}, reel::kFloat64);
  const Tensor theta = t64({1, 0, 0, 0, 1, 0}, {1, 2, 3}).expand({2, 2, 3});
  for (bool align : {false, true}) {
    const Tensor grid = F::affine_grid(theta, {2, 3, 4, 5}, align);
    for (const char* mode : {"bilinear", "nearest"})
      require_close(F::grid_sample(x, grid, F::GridSampleFuncOptions().mode(mode).align_corners(align)), x, 1e-12);
  }
}

TEST_CASE("grid_sample: hand-checked points and padding modes", "[resample]") {
  // 1x1x2x2 input [[1, 2], [3, 4]]; align_corners = false maps x = -1 to pixel -0.5 and x = 1 to pixel 1.5
  const Tensor x = t64({1, 2, 3, 4}, {1, 1, 2, 2});
  const Tensor grid = t64({0, 0, -1, -1, 1, 1, -0.5, 0}, {1, 1, 4, 2});
  // (0, 0): pixel (0.5, 0.5) -> 2.5; (-1, -1): pixel (-0.5, -0.5) -> zeros: 1/4 of x[0, 0]; border: 1
  require_close(F::grid_sample(x, grid), t64({2.5, 0.25, 1.0, 2.0}, {1, 1, 1, 4}), 1e-12);
  require_close(F::grid_sample(x, grid, F::GridSampleFuncOptions().padding_mode("border")),
                t64({2.5, 1, 4, 2}, {1, 1, 1, 4}), 1e-12);
  // align_corners: x = -1 is pixel 0, x = 1 is pixel 1
  require_close(F::grid_sample(x, grid, F::GridSampleFuncOptions().align_corners(true)),
                t64({2.5, 1, 4, 2.25}, {1, 1, 1, 4}), 1e-12);
  // reflection, align_corners false, mirrors about the borders -0.5 and 1.5 then clips into [0, 1]: x = 2.5 ->
  // pixel 3 -> 0; y = -0.6 -> pixel -0.1 -> clipped 0: x[0, 0] = 1. With align_corners the mirrors are 0 and 1:
  // x = 0.9 -> pixel 0.95, y = 1.4 -> pixel 1.2 -> 0.8: (1 - 0.2)(0.05 * 1 + 0.95 * 2) + 0.8 (0.05 * 3 + 0.95 * 4)
  require_close(F::grid_sample(x, t64({2.5, -0.6}, {1, 1, 1, 2}), F::GridSampleFuncOptions().padding_mode("reflection")),
                t64({1}, {1, 1, 1, 1}), 1e-12);
  require_close(F::grid_sample(x, t64({0.9, 1.4}, {1, 1, 1, 2}),
                               F::GridSampleFuncOptions().padding_mode("reflection").align_corners(true)),
                t64({0.2 * (0.05 + 0.95 * 2) + 0.8 * (0.05 * 3 + 0.95 * 4)}, {1, 1, 1, 1}), 1e-12);
  // nearest rounds half to even: pixel 0.5 -> 0
  require_close(F::grid_sample(x, t64({0, 0}, {1, 1, 1, 2}), F::GridSampleFuncOptions().mode("nearest")),
                t64({1}, {1, 1, 1, 1}), 1e-12);
}

TEST_CASE("grid_sample: gradcheck in input and grid for every padding mode", "[resample][gradcheck]") {
  reel::manual_seed(5);
  const Tensor x = reel::randn({1, 2, 3, 4}, reel::kFloat64).requires_grad_();
  const Tensor grid = (reel::rand({1, 2, 3, 2}, reel::kFloat64) * 2.4 - 1.2).detach().requires_grad_();
  for (const char* padding : {"zeros", "border", "reflection"})
    for (bool align : {false, true}) {
      INFO(padding << " align " << align);
      REQUIRE_GRADCHECK([&](const Inputs& in) {
        return F::grid_sample(in[0], in[1], F::GridSampleFuncOptions().padding_mode(padding).align_corners(align));
      }, (Inputs{x, grid}));
    }
  // double backward is refused, as in PyTorch
  Tensor y = F::grid_sample(x, grid).sum();
  const auto grads = reel::autograd::grad({y}, {x}, {}, /*retain_graph=*/true, /*create_graph=*/false);
  CHECK(grads[0].defined());
  CHECK_THAT(error_of([&] { reel::autograd::grad({y}, {x}, {}, true, /*create_graph=*/true); }),
             Catch::Contains("grid_sampler_2d: double backward"));
}

TEST_CASE("affine_grid: PyTorch's base grid and an affine map", "[resample]") {
  // size (1, 1, 2, 3), align_corners = false: x in {-2/3, 0, 2/3}, y in {-1/2, 1/2}
  const Tensor theta = t64({2, 0, 0.5, 0, 1, -1}, {1, 2, 3});
  const Tensor grid = F::affine_grid(theta, {1, 1, 2, 3}, false);
  std::vector<double> expected;
  for (double y : {-0.5, 0.5})
    for (double x : {-2.0 / 3, 0.0, 2.0 / 3}) expected.insert(expected.end(), {2 * x + 0.5, y - 1});
  require_close(grid, reel::tensor(expected, reel::kFloat64).reshape({1, 2, 3, 2}), 1e-12);
  const Tensor t = theta.detach().requires_grad_();
  REQUIRE_GRADCHECK([](const Inputs& in) { return F::affine_grid(in[0], {1, 1, 3, 2}, true); }, (Inputs{t}));
  CHECK_THAT(error_of([&] { F::affine_grid(theta, {1, 1, 2, 2, 2}); }), Catch::Contains("affine_grid: only 2-d"));
  CHECK_THAT(error_of([&] { F::affine_grid(theta, {2, 1, 2, 2}); }), Catch::Contains("expected a theta of shape"));
}

TEST_CASE("ctc_loss: values against every alignment, reductions, lengths as tensors", "[resample][ctc]") {
  reel::manual_seed(2);
  const int64_t T = 4, N = 2, C = 3;
  const Tensor logits = reel::randn({T, N, C}, reel::kFloat64);
  const Tensor lp = reel::log_softmax(logits, 2);
  const Tensor targets = reel::tensor(std::vector<int64_t>{1, 2, 1, 0}, reel::kInt64).reshape({2, 2});
  const std::vector<int64_t> il = {4, 3}, tl = {2, 1};
  std::vector<double> nll;
  for (int64_t b = 0; b < N; ++b) {
    auto lpf = [&](int64_t t, int64_t c) { return lp.select(0, t).select(0, b).select(0, c).item<double>(); };
    const std::vector<int64_t> target = b == 0 ? std::vector<int64_t>{1, 2} : std::vector<int64_t>{1};
    nll.push_back(R::ctc_sample(lpf, il[size_t(b)], C, target, 0).nll);
  }
  require_close(reel::ctc_loss(lp, targets, il, tl, 0, /*reduction=*/0), reel::tensor(nll, reel::kFloat64), 1e-10);
  CHECK(F::ctc_loss(lp, targets, il, tl, 0, Reduction::Sum).item<double>() == Approx(nll[0] + nll[1]));
  CHECK(F::ctc_loss(lp, targets, il, tl, 0, Reduction::Mean).item<double>() == Approx((nll[0] / 2 + nll[1] / 1) / 2));
  // lengths as tensors, the options form and the module
  const Tensor il_t = reel::tensor(il, reel::kInt64), tl_t = reel::tensor(std::vector<int32_t>{2, 1}, reel::kInt32);
  CHECK(F::ctc_loss(lp, targets, il_t, tl_t, F::CTCLossFuncOptions().reduction(Reduction::Sum)).item<double>() ==
        Approx(nll[0] + nll[1]));
  reel::nn::CTCLoss module(reel::nn::CTCLossOptions().reduction(Reduction::None));
  require_close(module(lp, targets, il_t, tl_t), reel::tensor(nll, reel::kFloat64), 1e-10);
  // concatenated targets give the same losses
  const Tensor flat = reel::tensor(std::vector<int64_t>{1, 2, 1}, reel::kInt64);
  require_close(reel::ctc_loss(lp, flat, il, tl, 0, 0), reel::tensor(nll, reel::kFloat64), 1e-10);
  // unbatched (T, C) log-probabilities with a (S) target
  CHECK(reel::ctc_loss(lp.select(1, 0), targets.select(0, 0), {4}, {2}, 0, 0).item<double>() == Approx(nll[0]));
}

TEST_CASE("ctc_loss: gradient through log_softmax, zero_infinity, impossible alignments", "[resample][ctc][gradcheck]") {
  reel::manual_seed(9);
  const Tensor logits = reel::randn({5, 2, 4}, reel::kFloat64).requires_grad_();
  const Tensor targets = reel::tensor(std::vector<int64_t>{1, 3, 3, 2, 0, 0}, reel::kInt64).reshape({2, 3});
  for (Reduction reduction : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
    REQUIRE_GRADCHECK([&](const Inputs& in) {
      return F::ctc_loss(reel::log_softmax(in[0], 2), targets, {5, 4}, {3, 1}, 0, reduction);
    }, (Inputs{logits}));
  }
  // a target of 2 repeated labels needs 3 frames: infinite loss; zero_infinity turns loss and gradient to 0
  const Tensor short_logits = reel::randn({2, 1, 3}, reel::kFloat64).requires_grad_();
  const Tensor repeated = reel::tensor(std::vector<int64_t>{1, 1}, reel::kInt64).reshape({1, 2});
  const Tensor inf_loss = reel::ctc_loss(reel::log_softmax(short_logits, 2), repeated, {2}, {2}, 0, 0);
  CHECK(std::isinf(inf_loss.item<double>()));
  const Tensor zeroed = reel::ctc_loss(reel::log_softmax(short_logits, 2), repeated, {2}, {2}, 0, 2, true);
  CHECK(zeroed.item<double>() == 0.0);
  zeroed.backward();
  CHECK(short_logits.grad().abs().max().item<double>() == 0.0);
}

TEST_CASE("ctc_loss: error messages name the function and the shapes", "[resample][ctc][errors]") {
  const Tensor lp = reel::zeros({4, 2, 3}, reel::kFloat64);
  const Tensor targets = reel::zeros({2, 2}, reel::kInt64) + 1;
  CHECK_THAT(error_of([&] { reel::ctc_loss(lp, targets, {5, 4}, {2, 2}); }),
             Catch::Contains("input_lengths[0] = 5 must be in [0, T = 4]"));
  CHECK_THAT(error_of([&] { reel::ctc_loss(lp, targets, {4}, {2}); }), Catch::Contains("expected 2 input_lengths"));
  CHECK_THAT(error_of([&] { reel::ctc_loss(lp, targets, {4, 4}, {3, 2}); }),
             Catch::Contains("padded targets must be (N = 2, S >= max target length 3)"));
  CHECK_THAT(error_of([&] { reel::ctc_loss(lp, targets * 5, {4, 4}, {2, 2}); }),
             Catch::Contains("not a class in [0, 3)"));
  CHECK_THAT(error_of([&] { reel::ctc_loss(lp.to(reel::kInt64), targets, {4, 4}, {2, 2}); }),
             Catch::Contains("log_probs must be float32 or float64"));
  CHECK_THAT(error_of([&] { reel::ctc_loss(lp, targets, {4, 4}, {2, 2}, /*blank=*/3); }),
             Catch::Contains("blank must be in label range"));
}
