// reel/test/test_cuda_matmul.cpp — the CUDA matmul kernels (cuBLAS, GemmEx for 16-bit floats, the integer kernel)
// beyond the op table: operands cuBLAS reads in place (transposed views, row slices, expanded batches) and those it
// cannot (no unit stride), addmm's beta and alpha (beta = 0 ignores NaN), empty products, integer wrap-around,
// 16-bit floats, all against the CPU; the TF32 switch (the cuBLAS handle's math mode, and the accuracy it costs);
// cuBLAS failures as reel::Error. Without a CUDA device the tests that need one warn and return.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "reel.h"
#ifdef REEL_WITH_CUDA
#include "cuda/cublas_utils.h"
#endif

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

double max_abs_diff(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = values_of(a), y = values_of(b);
  REQUIRE(x.size() == y.size());
  double worst = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double d = std::fabs(x[i] - y[i]);
    worst = std::isnan(d) ? std::numeric_limits<double>::infinity() : std::max(worst, d);
  }
  return worst;
}

// Restores the TF32 switch.
struct Tf32Guard {
  bool saved = cuda::allow_tf32();
  ~Tf32Guard() { cuda::set_allow_tf32(saved); }
};

}  // namespace

TEST_CASE("cuda matmul: operands of every layout agree with the CPU", "[cuda][matmul]") {
  if (!cuda_present("CUDA mm / bmm / addmm layouts")) return;
  manual_seed(21);
  for (ScalarType dtype : {kFloat32, kFloat64}) {
    INFO("dtype " << dtype_name(dtype));
    const double tol = dtype == kFloat64 ? 1e-12 : 1e-4;
    const Tensor a = randn({37, 19}, dtype), b = randn({19, 23}, dtype);
    const Tensor ag = a.to(kGpu), bg = b.to(kGpu);
    CHECK(max_abs_diff(mm(ag, bg), mm(a, b)) <= tol);
    // Transposed views: read in place as op T.
    const Tensor at = randn({19, 37}, dtype), bt = randn({23, 19}, dtype);
    CHECK(max_abs_diff(mm(at.to(kGpu).t(), bt.to(kGpu).t()), mm(at.t(), bt.t())) <= tol);
    // Every other column: no unit stride, copied first. A row slice: a leading dimension larger than the width.
    const Tensor wide = randn({37, 38}, dtype);
    CHECK(max_abs_diff(mm(wide.to(kGpu).slice(1, 0, 38, 2), bg), mm(wide.slice(1, 0, 38, 2), b)) <= tol);
    CHECK(max_abs_diff(mm(wide.to(kGpu).slice(1, 3, 22), bg), mm(wide.slice(1, 3, 22), b)) <= tol);
    // bmm with an expanded (stride 0) batch and a transposed batch.
    const Tensor batch = randn({5, 19, 23}, dtype);
    const Tensor shared = a.unsqueeze(0).expand({5, 37, 19});
    CHECK(max_abs_diff(bmm(shared.to(kGpu), batch.to(kGpu)), bmm(shared, batch)) <= tol);
    const Tensor batch_t = randn({5, 23, 19}, dtype).transpose(1, 2);
    CHECK(max_abs_diff(bmm(shared.to(kGpu), batch_t.to(kGpu)), bmm(shared, batch_t)) <= tol);
    // Vectors and a matmul over broadcast batch dims.
    const Tensor v = randn({19}, dtype);
    CHECK(max_abs_diff(matmul(ag, v.to(kGpu)), matmul(a, v)) <= tol);
    const Tensor left = randn({2, 1, 4, 19}, dtype), right = randn({3, 19, 6}, dtype);
    CHECK(max_abs_diff(matmul(left.to(kGpu), right.to(kGpu)), matmul(left, right)) <= tol);
  }
}

TEST_CASE("cuda matmul: addmm beta and alpha and empty products", "[cuda][matmul]") {
  if (!cuda_present("CUDA addmm")) return;
  manual_seed(22);
  const Tensor a = randn({6, 4}, kFloat64), b = randn({4, 5}, kFloat64), bias = randn({5}, kFloat64);
  const Tensor ag = a.to(kGpu), bg = b.to(kGpu), biasg = bias.to(kGpu);
  CHECK(max_abs_diff(addmm(biasg, ag, bg), addmm(bias, a, b)) <= 1e-12);
  CHECK(max_abs_diff(addmm(biasg, ag, bg, 0.5, -2.0), addmm(bias, a, b, 0.5, -2.0)) <= 1e-12);
  // beta = 0 ignores self, NaN included; alpha = 0 leaves beta * self.
  const Tensor nan_self = full({6, 5}, std::numeric_limits<double>::quiet_NaN(), kFloat64);
  CHECK(max_abs_diff(addmm(nan_self.to(kGpu), ag, bg, 0.0), mm(a, b)) <= 1e-12);
  CHECK(max_abs_diff(addmm(biasg, ag, bg, 3.0, 0.0), (bias * 3.0).expand({6, 5})) <= 1e-12);
  // k = 0: mm is zeros, addmm is beta * self.
  const Tensor no_depth_a = randn({3, 0}, kFloat32).to(kGpu), no_depth_b = randn({0, 4}, kFloat32).to(kGpu);
  CHECK(values_of(mm(no_depth_a, no_depth_b)) == std::vector<double>(12, 0.0));
  const Tensor self = randn({3, 4}, kFloat32);
  CHECK(max_abs_diff(addmm(self.to(kGpu), no_depth_a, no_depth_b, 2.0), self * 2.0) <= 1e-6);
  CHECK(mm(randn({0, 3}).to(kGpu), randn({3, 2}).to(kGpu)).sizes() == IntList({0, 2}));
}

TEST_CASE("cuda matmul: integer products wrap around as on the CPU", "[cuda][matmul]") {
  if (!cuda_present("CUDA integer matmul")) return;
  for (ScalarType dtype : {kUInt8, kInt32, kInt64}) {
    INFO("dtype " << dtype_name(dtype));
    const Tensor a = (arange(-20, 100, 1, kInt64).reshape({8, 15}) * (int64_t{1} << 26)).to(dtype);
    const Tensor b = (arange(0, 60, 1, kInt64).reshape({15, 4}) - 7).to(dtype);
    CHECK(values_of(mm(a.to(kGpu), b.to(kGpu))) == values_of(mm(a, b)));
    CHECK(values_of(mm(a.to(kGpu).slice(1, 0, 15, 2), b.to(kGpu).slice(0, 0, 15, 2))) ==
          values_of(mm(a.slice(1, 0, 15, 2), b.slice(0, 0, 15, 2))));
    const Tensor self = arange(0, 32, 1, kInt64).reshape({8, 4}).to(dtype);
    CHECK(values_of(addmm(self.to(kGpu), a.to(kGpu), b.to(kGpu), 3, 2)) == values_of(addmm(self, a, b, 3, 2)));
    const Tensor batch = a.unsqueeze(0).expand({3, 8, 15});
    const Tensor right = b.unsqueeze(0).expand({3, 15, 4});
    CHECK(values_of(bmm(batch.to(kGpu), right.to(kGpu))) == values_of(bmm(batch, right)));
  }
}

TEST_CASE("cuda matmul: float16 and bfloat16 agree with the CPU", "[cuda][matmul]") {
  if (!cuda_present("16-bit CUDA matmul")) return;
  manual_seed(23);
  for (ScalarType dtype : {kFloat16, kBFloat16}) {
    INFO("dtype " << dtype_name(dtype));
    const double ulp = dtype == kFloat16 ? 1.0 / 1024 : 1.0 / 128;
    const Tensor a = randn({33, 40}, dtype), b = randn({40, 17}, dtype), self = randn({33, 17}, dtype);
    const Tensor expected = mm(a, b);
    // Both sides sum in float32 and round once: at most one rounding step apart (|values| < 32 here).
    CHECK(max_abs_diff(mm(a.to(kGpu), b.to(kGpu)), expected) <= 32 * ulp);
    CHECK(max_abs_diff(addmm(self.to(kGpu), a.to(kGpu), b.to(kGpu), 0.5, 2.0), addmm(self, a, b, 0.5, 2.0)) <=
          64 * ulp);
    const Tensor batch = randn({3, 40, 17}, dtype);
    CHECK(max_abs_diff(bmm(a.unsqueeze(0).expand({3, 33, 40}).to(kGpu), batch.to(kGpu)),
                       bmm(a.unsqueeze(0).expand({3, 33, 40}), batch)) <= 32 * ulp);
  }
}

TEST_CASE("cuda matmul: the TF32 switch", "[cuda][matmul]") {
  Tf32Guard guard;
  CHECK_FALSE(cuda::allow_tf32());  // off by default, as in PyTorch
  cuda::set_allow_tf32(true);
  CHECK(cuda::allow_tf32());
  cuda::set_allow_tf32(false);
  CHECK_FALSE(cuda::allow_tf32());
#ifdef REEL_WITH_CUDA
  if (!cuda_present("the cuBLAS math mode")) return;
  cublasMath_t mode{};
  cuda::set_allow_tf32(true);
  REQUIRE(cublasGetMathMode(cuda::cublas_handle(), &mode) == CUBLAS_STATUS_SUCCESS);
  CHECK(mode == CUBLAS_TF32_TENSOR_OP_MATH);
  cuda::set_allow_tf32(false);
  REQUIRE(cublasGetMathMode(cuda::cublas_handle(), &mode) == CUBLAS_STATUS_SUCCESS);
  CHECK(mode == CUBLAS_DEFAULT_MATH);

  // What the switch costs: TF32 keeps a 10-bit mantissa of each product's inputs, float32 keeps 23.
  manual_seed(24);
  const Tensor a = randn({512, 512}), b = randn({512, 512});
  const Tensor exact = mm(a.to(kFloat64), b.to(kFloat64));
  const double error_fp32 = max_abs_diff(mm(a.to(kGpu), b.to(kGpu)), exact);
  cuda::set_allow_tf32(true);
  const double error_tf32 = max_abs_diff(mm(a.to(kGpu), b.to(kGpu)), exact);
  INFO("max error with float32 math " << error_fp32 << ", with TF32 " << error_tf32);
  CHECK(error_fp32 < 1e-3);
  CHECK(error_tf32 > 4 * error_fp32);
#else
  WARN("a build without CUDA: no cuBLAS math mode to check");
#endif
}

TEST_CASE("cuda matmul: a cuBLAS failure becomes a reel::Error naming the call and status", "[cuda][matmul]") {
#ifdef REEL_WITH_CUDA
  // The check itself, without a device.
  CHECK_THROWS_WITH([] { REEL_CUBLAS_CHECK(CUBLAS_STATUS_NOT_INITIALIZED); }(),
                    Catch::Contains("cuBLAS error") && Catch::Contains("CUBLAS_STATUS_NOT_INITIALIZED") &&
                        Catch::Contains("test_cuda_matmul.cpp"));
  if (!cuda_present("a failing cuBLAS call")) return;
  // A real call cuBLAS rejects: lda = 1 is smaller than the 4 rows of A.
  const float alpha = 1.0f, beta = 0.0f;
  const Tensor a = zeros({16}, kGpu), c = zeros({16}, kGpu);
  const auto rejected_call = [&] {
    REEL_CUBLAS_CHECK(cublasSgemm(cuda::cublas_handle(), CUBLAS_OP_N, CUBLAS_OP_N, 4, 4, 4, &alpha, a.data_ptr<float>(),
                                  1, a.data_ptr<float>(), 4, &beta, c.data_ptr<float>(), 4));
  };
  CHECK_THROWS_WITH(rejected_call(),
                    Catch::Contains("cublasSgemm") && Catch::Contains("CUBLAS_STATUS_INVALID_VALUE"));
#else
  WARN("a build without CUDA: no cuBLAS to fail");
#endif
}
