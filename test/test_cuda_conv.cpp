// reel/test/test_cuda_conv.cpp — the CUDA convolution and pooling kernels beyond the op table (which already compares
// every conv and pooling row on CUDA with the CPU): cuDNN and reel's naive kernels against the CPU for conv2d and
// both backward primitives over strides, padding, dilation, groups (depthwise too), rectangular settings, 16-bit
// floats, non-contiguous inputs and empty batches; the algorithm cache (a second call of a problem is a hit, each
// setting that changes the problem is a new entry, the naive backend does not touch it); the backend switch; the
// pooling edge cases (NaN and ties in max pooling, out-of-range indices, padding and ceil mode in average pooling).
// Without a CUDA device every test that needs one warns and returns.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "reel.h"

namespace {

using namespace reel;

const Device kGpu(kCUDA, 0);
const Device kHost(kCPU);

bool cuda_present(const char* what) {
  if (cuda::is_available()) return true;
  WARN("no CUDA device: " << what << " not checked");
  return false;
}

std::vector<double> values_of(const Tensor& t) { return t.to(kHost).to(kFloat64).contiguous().to_vector<double>(); }

double max_abs(const Tensor& t) {
  double worst = 0.0;
  for (double v : values_of(t)) worst = std::max(worst, std::fabs(v));
  return worst;
}

// max |a - b|, with NaN counting as infinitely far unless both are NaN.
double max_abs_diff(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = values_of(a), y = values_of(b);
  REQUIRE(x.size() == y.size());
  double worst = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] == y[i] || (std::isnan(x[i]) && std::isnan(y[i]))) continue;  // equal infinities too
    const double d = std::fabs(x[i] - y[i]);
    worst = std::isnan(d) ? std::numeric_limits<double>::infinity() : std::max(worst, d);
  }
  return worst;
}

// Relative tolerance of a CUDA result against the CPU one, per dtype (sums of a few hundred products).
double tolerance(ScalarType dtype) {
  switch (dtype) {
    case kFloat64: return 1e-12;
    case kFloat32: return 1e-4;  // room for Winograd and FFT algorithms
    case kFloat16: return 4e-3;
    default: return 3e-2;  // bfloat16
  }
}

// Restores the convolution switches a test changed.
struct ConvSettingsGuard {
  cuda::ConvBackend backend = cuda::conv_backend();
  bool benchmark = cuda::cudnn_benchmark();
  ~ConvSettingsGuard() {
    cuda::set_conv_backend(backend);
    cuda::set_cudnn_benchmark(benchmark);
  }
};

struct ConvCase {
  std::string name;
  std::vector<int64_t> x, w;
  std::vector<int64_t> stride, padding, dilation;
  int64_t groups;
  bool bias;
};

std::vector<ConvCase> conv_cases() {
  return {
      {"3x3 same padding with bias", {2, 3, 7, 7}, {4, 3, 3, 3}, {1, 1}, {1, 1}, {1, 1}, 1, true},
      {"rectangular stride and dilation in 2 groups", {2, 4, 9, 8}, {6, 2, 3, 2}, {2, 1}, {1, 0}, {1, 2}, 2, true},
      {"depthwise stride 2 padding 2 dilation 2", {1, 6, 10, 10}, {6, 1, 3, 3}, {2, 2}, {2, 2}, {2, 2}, 6, false},
      {"pointwise", {3, 2, 5, 5}, {4, 2, 1, 1}, {1, 1}, {0, 0}, {1, 1}, 1, false},
      {"5x3 kernel stride 3x2 in 2 groups", {2, 8, 12, 11}, {8, 4, 5, 3}, {3, 2}, {2, 1}, {1, 1}, 2, true},
      {"kernel as large as the input", {1, 3, 4, 4}, {2, 3, 4, 4}, {1, 1}, {0, 0}, {1, 1}, 1, true},
      {"stride larger than the kernel", {2, 2, 9, 9}, {3, 2, 2, 2}, {4, 3}, {1, 1}, {1, 1}, 1, true},
  };
}

// The three results of one case on one device: y, dx, dw.
struct ConvResults {
  Tensor y, dx, dw;
};

ConvResults run_case(const ConvCase& c, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& g) {
  ConvResults r;
  r.y = conv2d(x, w, b, c.stride, c.padding, c.dilation, c.groups);
  r.dx = conv2d_backward_input(g, w, c.x, c.stride, c.padding, c.dilation, c.groups);
  r.dw = conv2d_backward_weight(g, x, c.w, c.stride, c.padding, c.dilation, c.groups);
  return r;
}

// Compares the CUDA results of `c` under the current backend with the CPU ones, in `dtype`.
void check_case_against_cpu(const ConvCase& c, ScalarType dtype) {
  manual_seed(11);
  const Tensor x = randn(c.x, dtype), w = randn(c.w, dtype);
  const Tensor b = c.bias ? randn({c.w[0]}, dtype) : Tensor();
  const Tensor g = randn(conv2d(x, w, b, c.stride, c.padding, c.dilation, c.groups).sizes(), dtype);
  const ConvResults cpu = run_case(c, x, w, b, g);
  const ConvResults gpu =
      run_case(c, x.to(kGpu), w.to(kGpu), b.defined() ? b.to(kGpu) : Tensor(), g.to(kGpu));
  INFO(c.name << ", dtype " << dtype_name(dtype));
  CHECK(gpu.y.device() == kGpu);
  CHECK(max_abs_diff(gpu.y, cpu.y) <= tolerance(dtype) * (1.0 + max_abs(cpu.y)));
  CHECK(max_abs_diff(gpu.dx, cpu.dx) <= tolerance(dtype) * (1.0 + max_abs(cpu.dx)));
  CHECK(max_abs_diff(gpu.dw, cpu.dw) <= tolerance(dtype) * (1.0 + max_abs(cpu.dw)));
}

std::vector<cuda::ConvBackend> backends_to_test() {
  std::vector<cuda::ConvBackend> backends{cuda::ConvBackend::naive};
  if (cuda::cudnn_is_available()) backends.push_back(cuda::ConvBackend::cudnn);
  return backends;
}

const char* backend_name(cuda::ConvBackend backend) {
  return backend == cuda::ConvBackend::cudnn ? "cudnn" : "naive";
}

}  // namespace

TEST_CASE("cuda conv: the backend switch and its default", "[cuda][conv]") {
  ConvSettingsGuard guard;
  CHECK(cuda::conv_backend() ==
        (cuda::cudnn_is_available() ? cuda::ConvBackend::cudnn : cuda::ConvBackend::naive));
  cuda::set_conv_backend(cuda::ConvBackend::naive);
  CHECK(cuda::conv_backend() == cuda::ConvBackend::naive);
  if (cuda::cudnn_is_available()) {
    cuda::set_conv_backend(cuda::ConvBackend::cudnn);
    CHECK(cuda::conv_backend() == cuda::ConvBackend::cudnn);
  } else {
    CHECK_THROWS_WITH(cuda::set_conv_backend(cuda::ConvBackend::cudnn), Catch::Contains("does not link cuDNN"));
    CHECK(cuda::conv_backend() == cuda::ConvBackend::naive);
  }
}

TEST_CASE("cuda conv: cudnn and naive agree with the CPU over strides padding dilation and groups",
          "[cuda][conv]") {
  if (!cuda_present("CUDA convolutions")) return;
  if (!cuda::cudnn_is_available()) WARN("this build does not link cuDNN: only the naive kernels are checked");
  ConvSettingsGuard guard;
  for (cuda::ConvBackend backend : backends_to_test()) {
    cuda::set_conv_backend(backend);
    INFO("backend " << backend_name(backend));
    for (const ConvCase& c : conv_cases()) {
      check_case_against_cpu(c, kFloat32);
      check_case_against_cpu(c, kFloat64);
    }
  }
}

TEST_CASE("cuda conv: float16 and bfloat16 agree with the CPU", "[cuda][conv]") {
  if (!cuda_present("16-bit CUDA convolutions")) return;
  ConvSettingsGuard guard;
  for (cuda::ConvBackend backend : backends_to_test()) {
    cuda::set_conv_backend(backend);
    INFO("backend " << backend_name(backend));
    const std::vector<ConvCase> cases = conv_cases();
    for (size_t i = 0; i < 3; ++i) {
      check_case_against_cpu(cases[i], kFloat16);
      check_case_against_cpu(cases[i], kBFloat16);
    }
  }
}

TEST_CASE("cuda conv: cudnn and naive give the same values", "[cuda][conv]") {
  if (!cuda_present("cuDNN against the naive kernels")) return;
  if (!cuda::cudnn_is_available()) {
    WARN("this build does not link cuDNN: nothing to compare the naive kernels with");
    return;
  }
  ConvSettingsGuard guard;
  manual_seed(5);
  const ConvCase c = conv_cases()[1];
  const Tensor x = randn(c.x, TensorOptions(kFloat64).device(kGpu));
  const Tensor w = randn(c.w, TensorOptions(kFloat64).device(kGpu));
  const Tensor b = randn({c.w[0]}, TensorOptions(kFloat64).device(kGpu));
  const Tensor g = randn({2, 6, 5, 6}, TensorOptions(kFloat64).device(kGpu));
  cuda::set_conv_backend(cuda::ConvBackend::naive);
  const ConvResults naive = run_case(c, x, w, b, g);
  cuda::set_conv_backend(cuda::ConvBackend::cudnn);
  const ConvResults cudnn = run_case(c, x, w, b, g);
  CHECK(naive.y.sizes() == IntList({2, 6, 5, 6}));
  CHECK(max_abs_diff(naive.y, cudnn.y) <= 1e-12 * (1.0 + max_abs(naive.y)));
  CHECK(max_abs_diff(naive.dx, cudnn.dx) <= 1e-12 * (1.0 + max_abs(naive.dx)));
  CHECK(max_abs_diff(naive.dw, cudnn.dw) <= 1e-12 * (1.0 + max_abs(naive.dw)));
}

TEST_CASE("cuda conv: non-contiguous inputs unbatched inputs and empty batches", "[cuda][conv]") {
  if (!cuda_present("CUDA convolutions of unusual layouts")) return;
  ConvSettingsGuard guard;
  for (cuda::ConvBackend backend : backends_to_test()) {
    cuda::set_conv_backend(backend);
    INFO("backend " << backend_name(backend));
    manual_seed(3);
    // A transposed input and a weight with every other output channel.
    const Tensor x = randn({2, 3, 6, 5}).transpose(2, 3);
    const Tensor w = randn({8, 3, 3, 3}).slice(0, 0, 8, 2);
    REQUIRE_FALSE(x.is_contiguous());
    REQUIRE_FALSE(w.is_contiguous());
    const Tensor expected = conv2d(x, w, {}, 1, 1);
    CHECK(max_abs_diff(conv2d(x.to(kGpu), w.to(kGpu), {}, 1, 1), expected) <= 1e-4 * (1.0 + max_abs(expected)));
    // Unbatched (C, H, W).
    const Tensor single = randn({3, 5, 5});
    const Tensor unbatched = conv2d(single.to(kGpu), w.to(kGpu));
    CHECK(unbatched.sizes() == IntList({4, 3, 3}));
    const Tensor unbatched_cpu = conv2d(single, w);
    CHECK(max_abs_diff(unbatched, unbatched_cpu) <= 1e-4 * (1.0 + max_abs(unbatched_cpu)));
    // Batch 0: empty output and input gradient, a zero weight gradient.
    const Tensor empty = zeros({0, 3, 5, 5}, kGpu);
    CHECK(conv2d(empty, w.to(kGpu)).sizes() == IntList({0, 4, 3, 3}));
    const Tensor dw = conv2d_backward_weight(zeros({0, 4, 3, 3}, kGpu), empty, {4, 3, 3, 3});
    CHECK(max_abs(dw) == 0.0);
    // No input channels per group: the output is the bias.
    const Tensor bias = randn({2}).to(kGpu);
    const Tensor y = conv2d(zeros({1, 0, 4, 4}, kGpu), zeros({2, 0, 3, 3}, kGpu), bias);
    CHECK(max_abs_diff(y.select(0, 0).select(1, 1).select(1, 1), bias) == 0.0);
  }
}

TEST_CASE("cuda conv: the cuDNN algorithm of a problem is picked once then found in the cache",
          "[cuda][conv][cudnn]") {
  if (!cuda_present("the cuDNN algorithm cache")) return;
  if (!cuda::cudnn_is_available()) {
    WARN("this build does not link cuDNN: no algorithm cache to check");
    return;
  }
  ConvSettingsGuard guard;
  cuda::set_conv_backend(cuda::ConvBackend::cudnn);
  cuda::set_cudnn_benchmark(false);
  cuda::clear_conv_algorithm_cache();
  manual_seed(2);
  const Tensor x = randn({2, 3, 8, 8}).to(kGpu), w = randn({4, 3, 3, 3}).to(kGpu);

  conv2d(x, w);
  cuda::ConvAlgorithmCacheStats stats = cuda::conv_algorithm_cache_stats();
  CHECK(stats.entries == 1);
  CHECK(stats.misses == 1);
  CHECK(stats.hits == 0);

  conv2d(x, w);
  stats = cuda::conv_algorithm_cache_stats();
  CHECK(stats.entries == 1);
  CHECK(stats.hits == 1);

  // Other data of the same problem: a hit; another padding or dtype: a new problem.
  conv2d(randn({2, 3, 8, 8}).to(kGpu), w);
  conv2d(x, w, {}, 1, 1);
  conv2d(x.to(kFloat64), w.to(kFloat64));
  stats = cuda::conv_algorithm_cache_stats();
  CHECK(stats.hits == 2);
  CHECK(stats.entries == 3);

  // The backward ops are problems of their own.
  const Tensor g = randn({2, 4, 6, 6}).to(kGpu);
  conv2d_backward_input(g, w, {2, 3, 8, 8});
  conv2d_backward_weight(g, x, {4, 3, 3, 3});
  CHECK(cuda::conv_algorithm_cache_stats().entries == 5);

  // Benchmark mode picks by timing (a new entry) and computes the same values.
  const Tensor y_heuristic = conv2d(x, w);
  cuda::set_cudnn_benchmark(true);
  const Tensor y_timed = conv2d(x, w);
  CHECK(cuda::conv_algorithm_cache_stats().entries == 6);
  CHECK(max_abs_diff(y_timed, y_heuristic) <= 1e-4 * (1.0 + max_abs(y_heuristic)));
  const Tensor b = randn({4}).to(kGpu);
  const Tensor with_bias = conv2d(x.to(kHost), w.to(kHost), b.to(kHost));
  CHECK(max_abs_diff(conv2d(x, w, b), with_bias) <= 1e-4 * (1.0 + max_abs(with_bias)));

  // The naive backend leaves the cache alone.
  cuda::set_conv_backend(cuda::ConvBackend::naive);
  const cuda::ConvAlgorithmCacheStats before = cuda::conv_algorithm_cache_stats();
  conv2d(x, w);
  const cuda::ConvAlgorithmCacheStats after = cuda::conv_algorithm_cache_stats();
  CHECK(after.hits == before.hits);
  CHECK(after.misses == before.misses);

  cuda::clear_conv_algorithm_cache();
  CHECK(cuda::conv_algorithm_cache_stats().entries == 0);
  CHECK(cuda::conv_algorithm_cache_stats().hits == 0);
}

TEST_CASE("cuda pool: NaN ties and windows of only -inf in max pooling", "[cuda][pool]") {
  const bool with_cuda = cuda_present("CUDA max pooling");  // the CPU's answers are checked either way
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (ScalarType dtype : {kFloat32, kFloat64, kFloat16, kBFloat16}) {
    INFO("dtype " << dtype_name(dtype));
    // Windows of 2x2: a tie of 3s (the first wins), a NaN (wins over everything), a plain maximum, and only -inf
    // (the window's first position).
    const Tensor x = tensor({3.0, 3.0, 1.0, nan, 2.0, 3.0, -inf, -inf, 0.0, 0.0, -inf, -inf, -1.0, 5.0, -inf, -inf},
                            dtype)
                         .reshape({1, 1, 4, 4});
    const auto [values_cpu, indices_cpu] = max_pool2d_with_indices(x, {2, 2});
    CHECK(values_of(indices_cpu) == std::vector<double>{0, 3, 13, 10});
    const std::vector<double> expected_values = values_of(values_cpu);
    CHECK(expected_values[0] == 3.0);
    CHECK(std::isnan(expected_values[1]));
    CHECK(expected_values[2] == 5.0);
    CHECK(expected_values[3] == -inf);
    if (!with_cuda) continue;
    const auto [values_gpu, indices_gpu] = max_pool2d_with_indices(x.to(kGpu), {2, 2});
    CHECK(values_of(indices_gpu) == values_of(indices_cpu));
    CHECK(max_abs_diff(values_gpu, values_cpu) == 0.0);
    // Padding and dilation with ceil mode, against the CPU.
    manual_seed(8);
    const Tensor big = randn({2, 3, 9, 8}, dtype);
    const auto [v_cpu, i_cpu] = max_pool2d_with_indices(big, {3, 2}, {2, 2}, {1, 1}, {2, 1}, true);
    const auto [v_gpu, i_gpu] = max_pool2d_with_indices(big.to(kGpu), {3, 2}, {2, 2}, {1, 1}, {2, 1}, true);
    CHECK(values_of(i_gpu) == values_of(i_cpu));
    CHECK(max_abs_diff(v_gpu, v_cpu) == 0.0);
    // The backward scatter adds the gradients of overlapping windows.
    const Tensor g = randn(v_cpu.sizes(), dtype);
    const Tensor dx_cpu = max_pool2d_backward(g, i_cpu, {2, 3, 9, 8});
    const Tensor dx_gpu = max_pool2d_backward(g.to(kGpu), i_gpu, {2, 3, 9, 8});
    CHECK(max_abs_diff(dx_gpu, dx_cpu) <= tolerance(dtype) * (1.0 + max_abs(dx_cpu)));
  }
}

TEST_CASE("cuda pool: an index outside its plane is a reel::Error", "[cuda][pool]") {
  if (!cuda_present("CUDA max_pool2d_backward's index check")) return;
  const Tensor g = ones({1, 1, 2, 2}, kGpu);
  const Tensor bad = tensor({0, 1, 16, 2}, kInt64).reshape({1, 1, 2, 2}).to(kGpu);
  CHECK_THROWS_WITH(max_pool2d_backward(g, bad, {1, 1, 4, 4}),
                    Catch::Contains("max_pool2d_backward") && Catch::Contains("index 16"));
  // -1 (a window with no input position) is skipped, not an error.
  const Tensor skipped = tensor({0, -1, 0, 3}, kInt64).reshape({1, 1, 2, 2}).to(kGpu);
  CHECK(values_of(max_pool2d_backward(g, skipped, {1, 1, 2, 2})) == std::vector<double>{2, 0, 0, 1});
}

TEST_CASE("cuda pool: average pooling with padding ceil mode and adaptive windows", "[cuda][pool]") {
  if (!cuda_present("CUDA average pooling")) return;
  for (ScalarType dtype : {kFloat32, kFloat64, kFloat16, kBFloat16}) {
    INFO("dtype " << dtype_name(dtype));
    manual_seed(4);
    const Tensor x = randn({2, 3, 7, 9}, dtype);
    const double tol = tolerance(dtype);
    for (bool ceil_mode : {false, true}) {
      for (bool count_pad : {false, true}) {
        INFO("ceil_mode " << ceil_mode << " count_include_pad " << count_pad);
        const Tensor y_cpu = avg_pool2d(x, {3, 2}, {2, 3}, {1, 1}, ceil_mode, count_pad);
        const Tensor y_gpu = avg_pool2d(x.to(kGpu), {3, 2}, {2, 3}, {1, 1}, ceil_mode, count_pad);
        CHECK(max_abs_diff(y_gpu, y_cpu) <= tol * (1.0 + max_abs(y_cpu)));
        const Tensor g = randn(y_cpu.sizes(), dtype);
        const Tensor dx_cpu = avg_pool2d_backward(g, {2, 3, 7, 9}, {3, 2}, {2, 3}, {1, 1}, ceil_mode, count_pad);
        const Tensor dx_gpu =
            avg_pool2d_backward(g.to(kGpu), {2, 3, 7, 9}, {3, 2}, {2, 3}, {1, 1}, ceil_mode, count_pad);
        CHECK(max_abs_diff(dx_gpu, dx_cpu) <= tol * (1.0 + max_abs(dx_cpu)));
      }
    }
    // Adaptive windows that overlap (7 -> 4), that shrink (9 -> 2), that grow (7 -> 10), and an empty output.
    for (const std::vector<int64_t>& out : std::vector<std::vector<int64_t>>{{4, 2}, {10, 9}, {1, 1}, {0, 3}}) {
      INFO("output size " << out[0] << "x" << out[1]);
      const Tensor y_cpu = adaptive_avg_pool2d(x, out);
      const Tensor y_gpu = adaptive_avg_pool2d(x.to(kGpu), out);
      CHECK(y_gpu.sizes() == y_cpu.sizes());
      CHECK(max_abs_diff(y_gpu, y_cpu) <= tol * (1.0 + max_abs(y_cpu)));
      const Tensor g = randn(y_cpu.sizes(), dtype);
      const Tensor dx_cpu = adaptive_avg_pool2d_backward(g, {2, 3, 7, 9});
      const Tensor dx_gpu = adaptive_avg_pool2d_backward(g.to(kGpu), {2, 3, 7, 9});
      CHECK(max_abs_diff(dx_gpu, dx_cpu) <= tol * (1.0 + max_abs(dx_cpu)));
    }
  }
}
