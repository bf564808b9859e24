// reel/test/test_cuda_elementwise.cpp — the CUDA elementwise, reduction and softmax kernels on the shapes the
// op-table harness does not reach: the launch paths of cuda/launch.cuh (flat, strided with many dims,
// broadcast, 64-bit offsets) and of cuda/reduce.cu and cuda/softmax.cu (thread per output, block per output,
// chunked long reductions, column layouts), ties and NaN across chunk boundaries, and reproducibility.
// Every case computes the same thing on the CPU and on CUDA and compares the two (NaN matches NaN).
// Without a CUDA device each case warns and checks nothing else.
#include <catch2/catch.hpp>
#include <reel/reel.h>

#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

using reel::Tensor;

namespace {

bool cuda_present() {
  if (reel::cuda::is_available()) return true;
  WARN("no CUDA device: CUDA kernel test skipped");
  return false;
}

// Empty when cuda_result (moved to the CPU) equals cpu_result within atol + rtol * |expected|, else the first
// few mismatches.
std::string differences(const Tensor& cuda_result, const Tensor& cpu_result, double rtol, double atol) {
  std::ostringstream out;
  if (!cuda_result.is_cuda()) out << "result is not on CUDA; ";
  if (cuda_result.dtype() != cpu_result.dtype())
    out << "dtype " << reel::dtype_name(cuda_result.dtype()) << " vs " << reel::dtype_name(cpu_result.dtype()) << "; ";
  if (cuda_result.sizes().vec() != cpu_result.sizes().vec()) {
    out << "shape " << reel::shape_str(cuda_result.sizes()) << " vs " << reel::shape_str(cpu_result.sizes());
    return out.str();
  }
  const std::vector<double> got = cuda_result.to_vector<double>();
  const std::vector<double> expected = cpu_result.contiguous().to_vector<double>();
  int shown = 0;
  for (size_t i = 0; i < got.size() && shown < 5; ++i) {
    const double a = got[i], b = expected[i];
    const bool same = (std::isnan(a) && std::isnan(b)) || a == b || std::fabs(a - b) <= atol + rtol * std::fabs(b);
    if (!same) {
      out << "[" << i << "] cuda " << a << " cpu " << b << "; ";
      ++shown;
    }
  }
  return out.str();
}

#define CHECK_SAME(cuda_result, cpu_result, rtol, atol) CHECK(differences(cuda_result, cpu_result, rtol, atol) == "")

Tensor random_cpu(reel::IntList sizes, reel::ScalarType dtype, uint64_t seed, double scale = 1) {
  reel::manual_seed(seed);
  return (reel::randn(sizes, reel::kFloat64) * scale).to(dtype);
}

}  // namespace

TEST_CASE("cuda elementwise over flat and broadcast launches", "[cuda][elementwise]") {
  if (!cuda_present()) return;
  for (reel::ScalarType dtype : {reel::kFloat32, reel::kFloat64, reel::kFloat16, reel::kBFloat16}) {
    INFO("dtype " << reel::dtype_name(dtype));
    const Tensor a = random_cpu({3000001}, dtype, 1);  // more elements than one grid pass covers
    const Tensor b = random_cpu({1}, dtype, 2);
    const Tensor ga = a.cuda(), gb = b.cuda();
    CHECK_SAME(reel::exp(ga), reel::exp(a), 1e-6, 0);
    CHECK_SAME(ga * gb, a * b, 0, 0);
    CHECK_SAME(reel::maximum(ga, gb), reel::maximum(a, b), 0, 0);
    CHECK_SAME(ga < gb, a < b, 0, 0);
    CHECK_SAME(reel::clamp(ga, -0.5, 0.25), reel::clamp(a, -0.5, 0.25), 0, 0);
  }
  // Integer math, including integer pow and true division into float32.
  const Tensor i = reel::arange(-50, 50, 1, reel::kInt64).reshape({10, 10});
  const Tensor e = reel::arange(0, 10, 1, reel::kInt64);
  CHECK_SAME(reel::pow(i.cuda(), e.cuda()), reel::pow(i, e), 0, 0);
  CHECK_SAME(i.cuda() / e.cuda(), i / e, 1e-7, 0);
  CHECK_SAME(reel::sign(i.to(reel::kUInt8).cuda()), reel::sign(i.to(reel::kUInt8)), 0, 0);
}

TEST_CASE("cuda elementwise over strided many-dim operands", "[cuda][elementwise]") {
  if (!cuda_present()) return;
  const Tensor base = random_cpu({4, 5, 6, 7, 3}, reel::kFloat32, 3);
  const Tensor other = random_cpu({6, 1, 5}, reel::kFloat32, 4);
  const Tensor g_base = base.cuda(), g_other = other.cuda();
  // Permuted and sliced views on both devices: no dims merge, the offset calculator does all the work.
  const Tensor x = base.permute({4, 2, 0, 3, 1}).slice(3, 1, 7, 2);          // [3, 6, 4, 3, 5]
  const Tensor gx = g_base.permute({4, 2, 0, 3, 1}).slice(3, 1, 7, 2);
  const Tensor y = other.unsqueeze(0).unsqueeze(3).expand({3, 6, 4, 3, 5});  // broadcast over dims 0, 2, 3
  const Tensor gy = g_other.unsqueeze(0).unsqueeze(3).expand({3, 6, 4, 3, 5});
  CHECK_SAME(gx + gy, x + y, 0, 0);
  CHECK_SAME(reel::where(gx > gy, gx, gy), reel::where(x > y, x, y), 0, 0);
  CHECK_SAME(reel::tanh_backward(gx, gy), reel::tanh_backward(x, y), 1e-6, 1e-7);
  // A non-contiguous transposed matrix against its own contiguous copy.
  const Tensor m = random_cpu({513, 257}, reel::kFloat64, 5);
  CHECK_SAME(m.cuda().t() - m.t().contiguous().cuda(), reel::zeros({257, 513}, reel::kFloat64), 0, 0);
}

TEST_CASE("cuda elementwise with byte offsets past 32 bits", "[cuda][elementwise]") {
  if (!cuda_present()) return;
  // Two rows of 64 bytes 2^31 bytes apart: the launch must switch to 64-bit offsets.
  const int64_t gap = int64_t{1} << 31;
  Tensor base = reel::empty({gap + 64}, reel::TensorOptions(reel::kUInt8).device(reel::Device(reel::kCUDA)));
  const Tensor row0 = reel::arange(0, 64, 1, reel::kUInt8);
  const Tensor row1 = reel::arange(100, 164, 1, reel::kUInt8);
  base.narrow(0, 0, 64).copy_(row0.cuda());
  base.narrow(0, gap, 64).copy_(row1.cuda());
  const Tensor rows = base.as_strided({2, 64}, {gap, 1});
  CHECK_SAME(rows + 3, reel::stack({row0, row1}) + 3, 0, 0);
}

TEST_CASE("cuda reductions on every launch path", "[cuda][reduce]") {
  if (!cuda_present()) return;
  for (reel::ScalarType dtype : {reel::kFloat32, reel::kFloat64, reel::kFloat16, reel::kBFloat16}) {
    INFO("dtype " << reel::dtype_name(dtype));
    // Accumulation orders differ between the backends: float32 and float64 accumulate in double, so only a
    // rounding flip separates them; the 16-bit types accumulate in float and round to few bits.
    const bool wide_type = dtype == reel::kFloat32 || dtype == reel::kFloat64;
    const double rtol = dtype == reel::kFloat64 ? 1e-12 : wide_type ? 1e-6 : 1e-2;
    const double atol = wide_type ? 1e-9 : 1e-1;
    // Long reductions into one output (chunked), few outputs, many outputs, columns, tiny reduced sets.
    const Tensor flat = random_cpu({1000003}, dtype, 10);
    const Tensor wide = random_cpu({3, 200001}, dtype, 11);
    const Tensor rows = random_cpu({4097, 300}, dtype, 12);
    const Tensor tiny = random_cpu({9000, 5}, dtype, 13);
    for (const Tensor* t : {&flat, &wide, &rows, &tiny}) {
      INFO("shape " << reel::shape_str(t->sizes()));
      const Tensor g = t->cuda();
      const int64_t last = t->dim() - 1;
      CHECK_SAME(g.sum(), t->sum(), rtol, atol);
      CHECK_SAME(g.sum({last}), t->sum({last}), rtol, atol);
      CHECK_SAME(g.sum({0}), t->sum({0}), rtol, atol);
      CHECK_SAME(g.amax(), t->amax(), 0, 0);
      CHECK_SAME(g.amin({0}), t->amin({0}), 0, 0);
      CHECK_SAME(g.argmax(), t->argmax(), 0, 0);
      CHECK_SAME(g.argmin(0), t->argmin(0), 0, 0);
      CHECK_SAME(std::get<1>(g.max(last)), std::get<1>(t->max(last)), 0, 0);
      CHECK_SAME(g.var({last}), t->var({last}), rtol, atol);
      CHECK_SAME(g.norm(2, {0}), t->norm(2, {0}), rtol, atol);
      CHECK_SAME(g.norm(3.5), t->norm(3.5), rtol * 10, 1e-9);
      CHECK_SAME((g > 0).all(last), (*t > 0).all(last), 0, 0);
      CHECK_SAME((g > 3).any(0), (*t > 3).any(0), 0, 0);
    }
  }
}

TEST_CASE("cuda reductions over several strided dims", "[cuda][reduce]") {
  if (!cuda_present()) return;
  const Tensor base = random_cpu({6, 7, 8, 9}, reel::kFloat64, 20);
  const Tensor x = base.permute({2, 0, 3, 1});  // [8, 6, 9, 7]
  const Tensor gx = base.cuda().permute({2, 0, 3, 1});
  for (const std::vector<int64_t>& dims : std::vector<std::vector<int64_t>>{{0, 2}, {1, 3}, {1, 2, 3}, {0, 1, 2, 3}}) {
    INFO("dims " << reel::shape_str(dims));
    CHECK_SAME(gx.sum(dims, true), x.sum(dims, true), 1e-12, 1e-12);
    CHECK_SAME(gx.amax(dims), x.amax(dims), 0, 0);
    CHECK_SAME(gx.var(dims, false), x.var(dims, false), 1e-12, 1e-12);
  }
  CHECK_SAME(gx.prod(1, true), x.prod(1, true), 1e-12, 0);
  // Integer sums widen to int64 and wrap on overflow, like the CPU.
  const Tensor big = reel::full({70000}, int64_t{1} << 50, reel::kInt64);
  CHECK_SAME(big.cuda().sum(), big.sum(), 0, 0);
  const Tensor bytes = reel::arange(0, 250, 1, reel::kUInt8).reshape({10, 25});
  CHECK_SAME(bytes.cuda().sum({1}), bytes.sum({1}), 0, 0);
  CHECK_SAME(bytes.cuda().prod(0), bytes.prod(0), 0, 0);
}

TEST_CASE("cuda argmax ties and NaN across chunk boundaries", "[cuda][reduce]") {
  if (!cuda_present()) return;
  const int64_t n = 300000;  // several chunks of the chunked launch
  Tensor x = reel::zeros({n}, reel::kFloat32);
  float* data = x.data_ptr<float>();
  data[250000] = 5;
  data[70000] = 5;  // the first of two equal maxima, in an earlier chunk
  data[123456] = -7;
  CHECK(x.cuda().argmax().item<int64_t>() == 70000);
  CHECK(x.cuda().argmin().item<int64_t>() == 123456);
  CHECK(reel::zeros({n}, reel::kFloat32).cuda().argmax().item<int64_t>() == 0);  // all equal: index 0
  data[200000] = NAN;
  data[280000] = NAN;
  CHECK(x.cuda().argmax().item<int64_t>() == 200000);
  CHECK(x.cuda().argmin().item<int64_t>() == 200000);
  CHECK(std::isnan(x.cuda().amax().item<double>()));
  CHECK(std::isnan(x.cuda().amin().item<double>()));
  // The same sum twice gives the same bits.
  const Tensor r = random_cpu({2000000}, reel::kFloat32, 30).cuda();
  CHECK(r.sum().item<double>() == r.sum().item<double>());
}

TEST_CASE("cuda softmax on every launch path", "[cuda][softmax]") {
  if (!cuda_present()) return;
  for (reel::ScalarType dtype : {reel::kFloat32, reel::kFloat64, reel::kFloat16, reel::kBFloat16}) {
    INFO("dtype " << reel::dtype_name(dtype));
    const double rtol = dtype == reel::kFloat64 ? 1e-12 : dtype == reel::kFloat32 ? 1e-5 : 2e-2;
    const Tensor long_rows = random_cpu({3, 50001}, dtype, 40, 4);  // block per row
    const Tensor columns = random_cpu({100, 2048}, dtype, 41, 4);   // dim 0: thread per row, coalesced
    const Tensor short_rows = random_cpu({500, 7}, dtype, 42, 4);   // thread per row
    const Tensor cube = random_cpu({5, 33, 6}, dtype, 43, 4);
    for (const Tensor* t : {&long_rows, &columns, &short_rows, &cube}) {
      for (int64_t dim = 0; dim < t->dim(); ++dim) {
        INFO("shape " << reel::shape_str(t->sizes()) << ", dim " << dim);
        CHECK_SAME(reel::softmax(t->cuda(), dim), reel::softmax(*t, dim), rtol, 1e-7);
        CHECK_SAME(reel::log_softmax(t->cuda(), dim), reel::log_softmax(*t, dim), rtol, 1e-5);
      }
    }
    const Tensor permuted = cube.cuda().permute({2, 0, 1});
    CHECK_SAME(reel::softmax(permuted, 1), reel::softmax(cube.permute({2, 0, 1}), 1), rtol, 1e-7);
  }
  // Large magnitudes stay finite; a NaN poisons only its own row; a row of -inf is NaN.
  Tensor special = reel::full({3, 40}, 1000.0, reel::kFloat32);
  special.data_ptr<float>()[45] = NAN;
  for (int i = 80; i < 120; ++i) special.data_ptr<float>()[i] = -INFINITY;
  CHECK_SAME(reel::softmax(special.cuda(), 1), reel::softmax(special, 1), 1e-6, 0);
  CHECK_SAME(reel::log_softmax(special.cuda(), 1), reel::log_softmax(special, 1), 1e-6, 0);
}
