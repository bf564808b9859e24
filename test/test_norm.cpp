// reel/test/test_norm.cpp — the fused batch normalization ops beyond the op table (test/op_table_norm.cpp, which
// checks values against float64 references and gradchecks native_batch_norm): the front doors' errors; gradients
// that reach the op only through save_mean or save_invstd (the formula skips outputs without a gradient); plain
// against create_graph backward; the autograd node's name; nn::functional::batch_norm's fused path against the
// composite one (values, gradients, running statistics); and on a GPU, cuDNN and reel's own CUDA kernels against
// the CPU, over channel layouts that exercise the per-block walk, eps below cuDNN's minimum and repeat runs (the
// plain kernels are deterministic). Without a CUDA device the GPU tests warn and return.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "autograd/autograd.h"
#include "autograd/gradcheck.h"
#include "reel.h"

namespace {

using namespace reel;
namespace F = reel::nn::functional;

const Device kGpu(kCUDA, 0);
const Device kHost(kCPU);

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const reel::Error& e) {
    return e.what();
  }
  return "no error";
}

std::vector<double> values_of(const Tensor& t) { return t.to(kHost).to(kFloat64).contiguous().to_vector<double>(); }

// max |a - b| / (1 + max |b|)
double relative_diff(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = values_of(a), y = values_of(b);
  REQUIRE(x.size() == y.size());
  double worst = 0.0, scale = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    worst = std::max(worst, std::fabs(x[i] - y[i]));
    scale = std::max(scale, std::fabs(y[i]));
  }
  return worst / (1.0 + scale);
}

Tensor leaf64(IntList sizes) { return randn(sizes, kFloat64).detach().requires_grad_(); }

// The composite definition: batch statistics over every dim but 1, biased variance.
Tensor composite_batch_norm(const Tensor& x, const Tensor& w, const Tensor& b, double eps) {
  std::vector<int64_t> dims{0};
  DimVector shape(static_cast<size_t>(x.dim()), 1);
  shape[1] = x.size(1);
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  Tensor y = (x - x.mean(dims, true)) * rsqrt(var(x, dims, 0, true) + eps);
  if (w.defined()) y = y * w.view(shape);
  if (b.defined()) y = y + b.view(shape);
  return y;
}

}  // namespace

TEST_CASE("batch norm: the front doors reject bad arguments with clear errors", "[norm][errors]") {
  const Tensor x = randn({4, 3, 2});
  const Tensor w = randn({3}), b = randn({3});
  CHECK_THAT(error_of([&] { native_batch_norm(randn({5}), {}, {}, 1e-5); }),
             Catch::Contains("native_batch_norm") && Catch::Contains("at least 2 dims") && Catch::Contains("[5]"));
  CHECK_THAT(error_of([&] { native_batch_norm(x, randn({4}), b, 1e-5); }),
             Catch::Contains("weight of shape [3]") && Catch::Contains("[4]"));
  CHECK_THAT(error_of([&] { native_batch_norm(x, w, randn({3, 1}), 1e-5); }), Catch::Contains("bias of shape [3]"));
  CHECK_THAT(error_of([&] { native_batch_norm(x.to(kFloat16), {}, {}, 1e-5); }),
             Catch::Contains("float32 or float64") && Catch::Contains("float16"));
  CHECK_THAT(error_of([&] { native_batch_norm(x.to(kInt64), {}, {}, 1e-5); }), Catch::Contains("int64"));
  CHECK_THAT(error_of([&] { native_batch_norm(x, w.to(kFloat64), b, 1e-5); }),
             Catch::Contains("weight in the input's dtype float32"));
  CHECK_THAT(error_of([&] { native_batch_norm(randn({1, 3}), w, b, 1e-5); }),
             Catch::Contains("more than 1 value per channel") && Catch::Contains("[1, 3]"));
  CHECK_THAT(error_of([&] { native_batch_norm(randn({0, 3, 4}), w, b, 1e-5); }),
             Catch::Contains("more than 1 value per channel"));
  CHECK_THAT(error_of([&] { native_batch_norm(Tensor(), w, b, 1e-5); }), Catch::Contains("native_batch_norm"));

  const Tensor mean = randn({3}), invstd = rand({3}) + 0.5;
  const char* op = "native_batch_norm_backward";
  CHECK_THAT(error_of([&] { native_batch_norm_backward(randn({4, 3}), x, w, mean, invstd, 1e-5); }),
             Catch::Contains(op) && Catch::Contains("grad_output") && Catch::Contains("[4, 3]"));
  CHECK_THAT(error_of([&] { native_batch_norm_backward(randn({4, 3, 2}), x, w, randn({2}), invstd, 1e-5); }),
             Catch::Contains("save_mean of shape [3]"));
  CHECK_THAT(error_of([&] { native_batch_norm_backward(randn({4, 3, 2}), x, w, mean, invstd.to(kFloat64), 1e-5); }),
             Catch::Contains("save_invstd in the input's dtype"));
  CHECK_THAT(error_of([&] { native_batch_norm_backward(randn({4, 3, 2}, kFloat64), x, w, mean, invstd, 1e-5); }),
             Catch::Contains("dtype float32"));
  if (cuda::is_available()) {
    CHECK_THAT(error_of([&] { native_batch_norm(x.to(kGpu), w, b, 1e-5); }),
               Catch::Contains("one device") && Catch::Contains("cuda:0"));
  }
}

TEST_CASE("batch norm: gradients through save_mean and save_invstd alone", "[norm][autograd]") {
  manual_seed(31);
  const Tensor x = leaf64({4, 2, 3});
  const double eps = 1e-3;
  // mean = sum x / M: d/dx = 1 / M; invstd = (var + eps)^-1/2: d/dx = -invstd^3 (x - mean) / M
  auto [y, mean, invstd] = native_batch_norm(x, {}, {}, eps);
  CHECK(autograd::grad_fn_name(y) == "NativeBatchNormBackward");
  (mean.sum() + invstd.sum() * 2.0).backward();
  const Tensor expected_mean = x.detach().mean({0, 2}, true);
  const Tensor expected_invstd = rsqrt(var(x.detach(), {0, 2}, 0, true) + eps);
  const Tensor expected = (ones_like(x) - (x.detach() - expected_mean) * expected_invstd.pow(3) * 2.0) / 12.0;
  CHECK(relative_diff(x.grad(), expected) < 1e-12);

  // the same gradients, and the same for the output y alone, under create_graph (the differentiable formula)
  const Tensor x2 = x.detach().clone().requires_grad_();
  auto [y2, mean2, invstd2] = native_batch_norm(x2, {}, {}, eps);
  const std::vector<Tensor> grads =
      autograd::grad({mean2.sum() + invstd2.sum() * 2.0}, {x2}, {}, std::nullopt, /*create_graph=*/true);
  CHECK(relative_diff(grads[0], expected) < 1e-12);
  CHECK(grads[0].requires_grad());
}

TEST_CASE("batch norm: plain and create_graph backward agree", "[norm][autograd]") {
  manual_seed(32);
  const Tensor x = leaf64({3, 4, 5}), w = leaf64({4}), b = leaf64({4});
  const Tensor g = randn({3, 4, 5}, kFloat64);
  auto run = [&](bool create_graph) {
    auto [y, mean, invstd] = native_batch_norm(x, w, b, 1e-5);
    return autograd::grad({y}, {x, w, b}, {g}, std::nullopt, create_graph);
  };
  const std::vector<Tensor> plain = run(false), graph = run(true);
  for (size_t i = 0; i < 3; ++i) {
    INFO("input " << i);
    CHECK(!plain[i].requires_grad());
    CHECK(graph[i].requires_grad() == (i < 2));  // db = sum g does not depend on x, w or b
    CHECK(relative_diff(plain[i], graph[i]) < 1e-12);
  }
  // and both match the composite definition's gradients
  const std::vector<Tensor> composite = autograd::grad({composite_batch_norm(x, w, b, 1e-5)}, {x, w, b}, {g});
  for (size_t i = 0; i < 3; ++i) CHECK(relative_diff(plain[i], composite[i]) < 1e-10);
  // second derivatives of a scalar built from y, through the create_graph formula
  const auto gg = autograd::gradgradcheck(
      [](const std::vector<Tensor>& in) { return std::get<0>(native_batch_norm(in[0], in[1], in[2], 1e-5)); },
      {leaf64({3, 2, 2}), leaf64({2}), leaf64({2})});
  INFO(gg.message);
  CHECK(gg.ok);
}

TEST_CASE("batch norm: nn functional batch_norm takes the fused path and matches the composite", "[norm][nn]") {
  manual_seed(33);
  for (ScalarType dtype : {kFloat32, kFloat64}) {
    INFO("dtype " << dtype_name(dtype));
    const Tensor x = (randn({6, 3, 4, 2}, dtype) * 2.0 + 1.0).detach().requires_grad_();
    const Tensor w = randn({3}, dtype).detach().requires_grad_(), b = randn({3}, dtype).detach().requires_grad_();
    Tensor running_mean = zeros({3}, dtype), running_var = ones({3}, dtype);
    const Tensor y = F::batch_norm(x, running_mean, running_var, w, b, /*training=*/true, 0.1, 1e-5);
    CHECK(autograd::grad_fn_name(y) == "NativeBatchNormBackward");
    const double tol = dtype == kFloat64 ? 1e-12 : 2e-6;
    const Tensor expected = composite_batch_norm(x, w, b, 1e-5);
    CHECK(relative_diff(y, expected) < tol);
    const Tensor g = randn({6, 3, 4, 2}, dtype);
    const std::vector<Tensor> fused = autograd::grad({y}, {x, w, b}, {g});
    const std::vector<Tensor> composite = autograd::grad({expected}, {x, w, b}, {g});
    for (size_t i = 0; i < 3; ++i) CHECK(relative_diff(fused[i], composite[i]) < tol * 10);
    // running stats: momentum 0.1 towards the batch mean and the unbiased variance (M = 48)
    const Tensor xd = x.detach().to(kFloat64);
    const Tensor batch_mean = xd.mean({0, 2, 3}), batch_var = var(xd, {0, 2, 3}, 1);
    CHECK(relative_diff(running_mean, batch_mean * 0.1) < tol);
    CHECK(relative_diff(running_var, batch_var * 0.1 + 0.9) < tol);
  }
  // 16-bit floats keep the composite
  const Tensor h = randn({4, 3}).to(kFloat16).detach().requires_grad_();
  const Tensor yh = F::batch_norm(h, {}, {}, {}, {}, /*training=*/true);
  CHECK(autograd::grad_fn_name(yh) != "NativeBatchNormBackward");
  CHECK(relative_diff(yh, composite_batch_norm(h.to(kFloat32), {}, {}, 1e-5)) < 5e-3);
}

TEST_CASE("batch norm: cudnn and reel's CUDA kernels agree with the CPU", "[norm][cuda]") {
  if (!cuda::is_available()) {
    WARN("no CUDA device: CUDA batch norm not checked");
    return;
  }
  const cuda::ConvBackend saved = cuda::conv_backend();
  std::vector<cuda::ConvBackend> backends{cuda::ConvBackend::naive};
  if (cuda::cudnn_is_available()) backends.push_back(cuda::ConvBackend::cudnn);
  // shapes: (N, C) with N above one block, spatial sizes that do and do not divide the block, a large channel
  const std::vector<std::vector<int64_t>> shapes = {{1000, 3}, {2, 5}, {7, 4, 7}, {3, 2, 513}, {16, 8, 9, 9},
                                                    {2, 1, 64, 64}};
  manual_seed(34);
  for (cuda::ConvBackend backend : backends) {
    cuda::set_conv_backend(backend);
    for (ScalarType dtype : {kFloat32, kFloat64}) {
      for (const std::vector<int64_t>& shape : shapes) {
        for (double eps : {1e-5, -1e-7}) {  // a negative eps is below cuDNN's minimum: reel's kernels run it
          INFO("backend " << (backend == cuda::ConvBackend::cudnn ? "cudnn" : "naive") << ", dtype "
                          << dtype_name(dtype) << ", shape " << shape_str(shape) << ", eps " << eps);
          const Tensor x = randn(shape, dtype) * 3.0 + 0.5, g = randn(shape, dtype);
          const Tensor w = randn({shape[1]}, dtype), b = randn({shape[1]}, dtype);
          auto [y, mean, invstd] = native_batch_norm(x, w, b, eps);
          auto [gy, gmean, ginvstd] = native_batch_norm(x.to(kGpu), w.to(kGpu), b.to(kGpu), eps);
          const double tol = dtype == kFloat64 ? 1e-11 : 2e-5;
          CHECK(relative_diff(gy, y) < tol);
          CHECK(relative_diff(gmean, mean) < tol);
          CHECK(relative_diff(ginvstd, invstd) < tol);
          auto [dx, dw, db] = native_batch_norm_backward(g, x, w, mean, invstd, eps);
          auto [gdx, gdw, gdb] =
              native_batch_norm_backward(g.to(kGpu), x.to(kGpu), w.to(kGpu), mean.to(kGpu), invstd.to(kGpu), eps);
          CHECK(relative_diff(gdx, dx) < tol);
          CHECK(relative_diff(gdw, dw) < tol);
          CHECK(relative_diff(gdb, db) < tol);
        }
      }
    }
  }
  // reel's kernels: the same bits on every run (fixed-order reductions, no atomics)
  cuda::set_conv_backend(cuda::ConvBackend::naive);
  const Tensor x = randn({32, 4, 17, 17}, TensorOptions(kFloat32).device(kGpu));
  const Tensor g = randn({32, 4, 17, 17}, TensorOptions(kFloat32).device(kGpu));
  auto [y1, m1, s1] = native_batch_norm(x, {}, {}, 1e-5);
  auto [y2, m2, s2] = native_batch_norm(x, {}, {}, 1e-5);
  CHECK(values_of(y1) == values_of(y2));
  CHECK(values_of(s1) == values_of(s2));
  auto [dx1, dw1, db1] = native_batch_norm_backward(g, x, {}, m1, s1, 1e-5);
  auto [dx2, dw2, db2] = native_batch_norm_backward(g, x, {}, m1, s1, 1e-5);
  CHECK(values_of(dx1) == values_of(dx2));
  CHECK(values_of(dw1) == values_of(dw2));
  // an undefined weight and bias on the GPU mean 1 and 0, on both backends
  for (cuda::ConvBackend backend : backends) {
    cuda::set_conv_backend(backend);
    const Tensor xc = randn({4, 3, 5}, kFloat64);
    auto [gy, gm, gs] = native_batch_norm(xc.to(kGpu), {}, {}, 1e-5);
    CHECK(relative_diff(gy, composite_batch_norm(xc, {}, {}, 1e-5)) < 1e-11);
  }
  cuda::set_conv_backend(saved);
}
