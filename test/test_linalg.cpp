// reel/test/test_linalg.cpp — mm, bmm, addmm, matmul and outer against naive float64 loops written here.
//
// Covers every dtype, transposed / strided / expanded operands (the sgemm 'T' flag and the copy fallback),
// sizes 0, 1, odd and large, batched broadcast matmul over every rank pair, thread counts and threads other
// than the main one, and each error class with its message.
#include <catch2/catch.hpp>
#include <reel/reel.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

using namespace reel;

namespace {

// Row-major float64 matrix product of the logical values: C[m,n] = sum_k A[m,k] B[k,n], and the per-element
// sum of |A||B| that scales the tolerance.
struct Product {
  std::vector<double> values, magnitudes;
};

Product naive_mm(const std::vector<double>& a, const std::vector<double>& b, int64_t m, int64_t k, int64_t n) {
  Product p{std::vector<double>(static_cast<size_t>(m * n), 0.0), std::vector<double>(static_cast<size_t>(m * n), 0.0)};
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t q = 0; q < k; ++q) {
        p.values[i * n + j] += a[i * k + q] * b[q * n + j];
        p.magnitudes[i * n + j] += std::abs(a[i * k + q] * b[q * n + j]);
      }
  return p;
}

// Relative tolerance of a product computed in `dtype` (scaled by sum |a||b| per element).
double tolerance(ScalarType dtype) {
  switch (dtype) {
    case kFloat64: return 1e-13;
    case kFloat32: return 1e-5;
    case kFloat16: return 2e-3;
    case kBFloat16: return 1.6e-2;
    default: return 0.0;  // integers are exact
  }
}

void require_matches(const Tensor& result, const Product& expected, ScalarType dtype) {
  REQUIRE(result.dtype() == dtype);
  const std::vector<double> got = result.to_vector<double>();
  REQUIRE(got.size() == expected.values.size());
  const double tol = tolerance(dtype);
  for (size_t i = 0; i < got.size(); ++i) {
    // uint8 products wrap modulo 256 (the test values are small enough for the other integer types).
    const double want = dtype == kUInt8 ? std::fmod(expected.values[i], 256.0) : expected.values[i];
    INFO("element " << i << ": got " << got[i] << ", expected " << want);
    REQUIRE(std::abs(got[i] - want) <= tol * expected.magnitudes[i] + 1e-30);
  }
}

// Random values of `dtype`: normal for floats, small integers (with negatives where the dtype has them).
Tensor random_tensor(IntList sizes, ScalarType dtype) {
  if (is_floating_point(dtype)) return randn(sizes, kFloat64).to(dtype);
  if (dtype == kUInt8) return randint(0, 6, sizes, kUInt8);
  return randint(-5, 6, sizes, dtype);
}

// Checks mm(a, b) (any layouts) against the naive product of the logical values.
void check_mm(const Tensor& a, const Tensor& b) {
  const Product expected =
      naive_mm(a.to_vector<double>(), b.to_vector<double>(), a.size(0), a.size(1), b.size(1));
  const Tensor c = mm(a, b);
  REQUIRE(c.sizes() == IntList({a.size(0), b.size(1)}));
  require_matches(c, expected, a.dtype());
}

struct Dims {
  int64_t m, k, n;
};
const std::vector<Dims> kSizes = {{1, 1, 1}, {2, 3, 4},   {5, 0, 3},    {0, 4, 3},   {3, 4, 0},
                                  {1, 300, 1}, {17, 33, 9}, {64, 64, 64}, {7, 1, 13}, {257, 129, 65}};

// Naive torch.matmul for any ranks: 1-D operands get a size-1 dim (removed again), batch dims broadcast.
struct NaiveResult {
  std::vector<int64_t> shape;
  Product product;
};

NaiveResult naive_matmul(const Tensor& a, const Tensor& b) {
  std::vector<int64_t> sa = a.sizes().vec(), sb = b.sizes().vec();
  const bool a_vector = sa.size() == 1, b_vector = sb.size() == 1;
  if (a_vector) sa.insert(sa.begin(), 1);
  if (b_vector) sb.push_back(1);
  const int64_t m = sa[sa.size() - 2], k = sa.back(), n = sb.back();
  std::vector<int64_t> batch_a(sa.begin(), sa.end() - 2), batch_b(sb.begin(), sb.end() - 2);
  const size_t rank = std::max(batch_a.size(), batch_b.size());
  batch_a.insert(batch_a.begin(), rank - batch_a.size(), 1);
  batch_b.insert(batch_b.begin(), rank - batch_b.size(), 1);
  std::vector<int64_t> batch(rank);
  int64_t batches = 1;
  for (size_t d = 0; d < rank; ++d) {
    batch[d] = batch_a[d] == 1 ? batch_b[d] : batch_a[d];
    batches *= batch[d];
  }
  const std::vector<double> va = a.to_vector<double>(), vb = b.to_vector<double>();
  NaiveResult r;
  r.product.values.assign(static_cast<size_t>(batches * m * n), 0.0);
  r.product.magnitudes.assign(r.product.values.size(), 0.0);
  for (int64_t flat = 0; flat < batches; ++flat) {
    int64_t rest = flat, offset_a = 0, offset_b = 0, stride_a = 1, stride_b = 1;
    for (size_t d = rank; d-- > 0;) {
      const int64_t coordinate = rest % batch[d];
      rest /= batch[d];
      offset_a += (batch_a[d] == 1 ? 0 : coordinate) * stride_a;
      offset_b += (batch_b[d] == 1 ? 0 : coordinate) * stride_b;
      stride_a *= batch_a[d];
      stride_b *= batch_b[d];
    }
    const std::vector<double> ma(va.begin() + offset_a * m * k, va.begin() + (offset_a + 1) * m * k);
    const std::vector<double> mb(vb.begin() + offset_b * k * n, vb.begin() + (offset_b + 1) * k * n);
    const Product p = naive_mm(ma, mb, m, k, n);
    std::copy(p.values.begin(), p.values.end(), r.product.values.begin() + flat * m * n);
    std::copy(p.magnitudes.begin(), p.magnitudes.end(), r.product.magnitudes.begin() + flat * m * n);
  }
  r.shape = batch;
  if (!a_vector) r.shape.push_back(m);
  if (!b_vector) r.shape.push_back(n);
  return r;
}

void check_matmul(IntList shape_a, IntList shape_b, ScalarType dtype = kFloat32) {
  const Tensor a = random_tensor(shape_a, dtype), b = random_tensor(shape_b, dtype);
  INFO("matmul " << shape_str(shape_a) << " x " << shape_str(shape_b));
  const NaiveResult expected = naive_matmul(a, b);
  const Tensor c = matmul(a, b);
  REQUIRE(c.sizes() == IntList(expected.shape));
  require_matches(c, expected.product, dtype);
}

}  // namespace

TEST_CASE("mm float32 matches a naive triple loop for sizes 0, 1, odd and large", "[linalg]") {
  manual_seed(1);
  for (const Dims& d : kSizes) {
    INFO("m=" << d.m << " k=" << d.k << " n=" << d.n);
    check_mm(random_tensor({d.m, d.k}, kFloat32), random_tensor({d.k, d.n}, kFloat32));
  }
}

TEST_CASE("mm with K = 0 gives zeros and empty outputs keep their shape", "[linalg]") {
  const Tensor c = mm(ones({3, 0}), ones({0, 2}));
  REQUIRE(c.sizes() == IntList({3, 2}));
  REQUIRE(c.to_vector<float>() == std::vector<float>(6, 0.0f));
  REQUIRE(mm(ones({0, 3}), ones({3, 2})).sizes() == IntList({0, 2}));
  REQUIRE(mm(ones({2, 3}, kFloat64), ones({3, 0}, kFloat64)).sizes() == IntList({2, 0}));
  REQUIRE(mm(ones({2, 0}, kInt64), ones({0, 2}, kInt64)).to_vector<int64_t>() == std::vector<int64_t>(4, 0));
}

TEST_CASE("mm reads transposed, strided and expanded operands", "[linalg]") {
  manual_seed(2);
  for (ScalarType dtype : {kFloat32, kFloat64, kFloat16, kInt64}) {
    INFO("dtype " << dtype_name(dtype));
    const int64_t m = 37, k = 23, n = 19;
    const Tensor a = random_tensor({m, k}, dtype), b = random_tensor({k, n}, dtype);
    // transposed (strides (1, ld): sgemm's 'T' flag)
    check_mm(random_tensor({k, m}, dtype).t(), b);
    check_mm(a, random_tensor({n, k}, dtype).t());
    check_mm(random_tensor({k, m}, dtype).t(), random_tensor({n, k}, dtype).t());
    // row stride larger than the row (a narrowed wider matrix)
    check_mm(random_tensor({m, k + 9}, dtype).narrow(1, 4, k), random_tensor({k, n + 5}, dtype).narrow(1, 0, n));
    // no unit stride in either dim (copied first)
    check_mm(random_tensor({m, 2 * k}, dtype).slice(1, 0, 2 * k, 2),
             random_tensor({2 * k, n}, dtype).slice(0, 0, 2 * k, 2));
    // zero strides from expand
    check_mm(random_tensor({1, k}, dtype).expand({m, k}), random_tensor({k, 1}, dtype).expand({k, n}));
    // transposed views of one row or one column
    check_mm(random_tensor({k, 1}, dtype).t(), random_tensor({n, k}, dtype).t());
    check_mm(random_tensor({1, m}, dtype).t(), random_tensor({1, n}, dtype));
  }
}

TEST_CASE("mm computes every dtype", "[linalg]") {
  manual_seed(3);
  for (ScalarType dtype : {kFloat64, kFloat16, kBFloat16, kInt32, kInt64, kUInt8}) {
    INFO("dtype " << dtype_name(dtype));
    for (const Dims& d : kSizes) {
      INFO("m=" << d.m << " k=" << d.k << " n=" << d.n);
      check_mm(random_tensor({d.m, d.k}, dtype), random_tensor({d.k, d.n}, dtype));
    }
  }
}

TEST_CASE("mm float64 handles sizes around the blocking boundaries", "[linalg]") {
  manual_seed(4);
  // Around the micro-tile (6x8), the depth block (256) and the row block (120).
  for (const Dims& d : std::vector<Dims>{{6, 256, 8}, {7, 257, 9}, {121, 513, 17}, {5, 255, 2049}, {240, 3, 7}}) {
    INFO("m=" << d.m << " k=" << d.k << " n=" << d.n);
    check_mm(random_tensor({d.m, d.k}, kFloat64), random_tensor({d.k, d.n}, kFloat64));
  }
}

TEST_CASE("integer mm wraps around like PyTorch", "[linalg]") {
  const Tensor a = full({1, 2}, 200, kUInt8), b = full({2, 1}, 2, kUInt8);
  REQUIRE(mm(a, b).item<int64_t>() == (200 * 2 * 2) % 256);
  const Tensor big = full({1, 1}, int64_t{1} << 62, kInt64);
  REQUIRE(mm(big, full({1, 1}, 4, kInt64)).item<int64_t>() == 0);
  const Tensor i32 = full({1, 3}, 1 << 30, kInt32);
  REQUIRE(mm(i32, full({3, 1}, 2, kInt32)).item<int64_t>() == static_cast<int32_t>(uint32_t{3} << 31));
}

TEST_CASE("bmm matches per-batch naive products", "[linalg]") {
  manual_seed(5);
  for (ScalarType dtype : {kFloat32, kFloat64, kBFloat16, kInt32}) {
    INFO("dtype " << dtype_name(dtype));
    for (int64_t batch : {0, 1, 3, 9}) {
      for (const Dims& d : std::vector<Dims>{{2, 3, 4}, {1, 5, 1}, {4, 0, 2}, {33, 65, 17}}) {
        INFO("batch=" << batch << " m=" << d.m << " k=" << d.k << " n=" << d.n);
        const Tensor a = random_tensor({batch, d.m, d.k}, dtype), b = random_tensor({batch, d.k, d.n}, dtype);
        const NaiveResult expected = naive_matmul(a, b);
        const Tensor c = bmm(a, b);
        REQUIRE(c.sizes() == IntList({batch, d.m, d.n}));
        require_matches(c, expected.product, dtype);
      }
    }
  }
}

TEST_CASE("bmm reads transposed and batch-expanded operands", "[linalg]") {
  manual_seed(6);
  const Tensor a = random_tensor({4, 7, 5}, kFloat32).transpose(1, 2);  // [4, 5, 7], per-batch transposed
  const Tensor b = random_tensor({1, 7, 3}, kFloat32).expand({4, 7, 3});  // batch stride 0
  const NaiveResult expected = naive_matmul(a, b);
  require_matches(bmm(a, b), expected.product, kFloat32);
  const Tensor a64 = random_tensor({3, 6, 2}, kFloat64).permute({2, 1, 0});  // [2, 6, 3], no unit stride
  const Tensor b64 = random_tensor({2, 3, 4}, kFloat64);
  require_matches(bmm(a64, b64), naive_matmul(a64, b64).product, kFloat64);
  const Tensor a16 = random_tensor({3, 5, 4}, kFloat16).transpose(1, 2);
  const Tensor b16 = random_tensor({3, 5, 2}, kFloat16);
  require_matches(bmm(a16, b16), naive_matmul(a16, b16).product, kFloat16);
}

TEST_CASE("addmm is beta * M + alpha * A @ B with M broadcast", "[linalg]") {
  manual_seed(7);
  const int64_t m = 9, k = 5, n = 6;
  for (ScalarType dtype : {kFloat32, kFloat64, kFloat16}) {
    INFO("dtype " << dtype_name(dtype));
    const Tensor a = random_tensor({m, k}, dtype), b = random_tensor({k, n}, dtype);
    const Product ab = naive_mm(a.to_vector<double>(), b.to_vector<double>(), m, k, n);
    for (const std::vector<int64_t>& self_shape : std::vector<std::vector<int64_t>>{{m, n}, {n}, {1, n}, {m, 1}, {}}) {
      INFO("self shape " << shape_str(self_shape));
      const Tensor self = random_tensor(self_shape, dtype);
      const std::vector<double> sv = self.expand({m, n}).to_vector<double>();
      for (auto [beta, alpha] : std::vector<std::pair<double, double>>{{1, 1}, {0.5, -2}, {0, 3}, {2, 0}}) {
        Product expected = ab;
        for (size_t i = 0; i < expected.values.size(); ++i) {
          expected.values[i] = beta * sv[i] + alpha * ab.values[i];
          expected.magnitudes[i] = std::abs(beta * sv[i]) + std::abs(alpha) * ab.magnitudes[i] + 1e-3;
        }
        require_matches(addmm(self, a, b, beta, alpha), expected, dtype);
      }
    }
  }
  SECTION("beta = 0 ignores NaN in M, as PyTorch") {
    const Tensor self = full({2, 2}, std::numeric_limits<double>::quiet_NaN());
    const Tensor c = addmm(self, ones({2, 3}, kFloat32), ones({3, 2}, kFloat32), 0, 1);
    REQUIRE(c.to_vector<float>() == std::vector<float>(4, 3.0f));
  }
  SECTION("integers, and the method form") {
    const Tensor self = full({2}, 10, kInt64);
    const Tensor c = self.addmm(full({2, 3}, 2, kInt64), full({3, 2}, 3, kInt64), 2, 3);
    REQUIRE(c.to_vector<int64_t>() == std::vector<int64_t>(4, 2 * 10 + 3 * 18));
  }
  SECTION("K = 0 leaves beta * M") {
    const Tensor c = addmm(full({2, 2}, 4.0), ones({2, 0}, kFloat32), ones({0, 2}, kFloat32), 0.5, 1);
    REQUIRE(c.to_vector<float>() == std::vector<float>(4, 2.0f));
  }
}

TEST_CASE("matmul follows torch.matmul for every rank pair", "[linalg]") {
  manual_seed(8);
  check_matmul({4}, {4});                 // dot -> 0-dim
  check_matmul({3, 4}, {4});              // mv
  check_matmul({4}, {4, 5});              // vector-matrix
  check_matmul({3, 4}, {4, 5});           // mm
  check_matmul({2, 3, 4}, {4, 5});        // batched x matrix (folded into one mm)
  check_matmul({2, 3, 4}, {4});           // batched x vector
  check_matmul({4}, {2, 4, 5});           // vector x batched
  check_matmul({3, 4}, {2, 4, 5});        // matrix x batched
  check_matmul({2, 3, 4}, {2, 4, 5});     // bmm
  check_matmul({2, 1, 3, 4}, {5, 4, 6});  // broadcast batch dims
  check_matmul({1, 3, 4}, {3, 1, 4, 2});
  check_matmul({2, 3, 1, 4}, {1, 4, 7});
  check_matmul({0, 3, 4}, {4, 2});        // empty batch
  check_matmul({2, 0, 4}, {2, 4, 3});
  check_matmul({2, 3, 0}, {1, 0, 3});     // K = 0
  check_matmul({0}, {0});
  check_matmul({2, 3, 4}, {2, 4, 5}, kFloat64);
  check_matmul({2, 1, 3, 4}, {5, 4, 6}, kInt64);
  check_matmul({3, 4}, {2, 4, 5}, kFloat16);

  SECTION("dot gives a 0-dim tensor; the method form works") {
    const Tensor d = tensor({1.0, 2.0, 3.0}).matmul(tensor({4.0, 5.0, 6.0}));
    REQUIRE(d.dim() == 0);
    REQUIRE(d.item<float>() == 32.0f);
  }
  SECTION("transposed batched operands") {
    const Tensor a = randn({2, 4, 3}).transpose(1, 2);
    const Tensor b = randn({5, 4}).t();
    const NaiveResult expected = naive_matmul(a, b);
    const Tensor c = matmul(a, b);
    REQUIRE(c.sizes() == IntList(expected.shape));
    require_matches(c, expected.product, kFloat32);
  }
}

TEST_CASE("outer is a_i * b_j with promotion", "[linalg]") {
  const Tensor c = outer(tensor({1.0, 2.0}), tensor({3.0, 4.0, 5.0}));
  REQUIRE(c.sizes() == IntList({2, 3}));
  REQUIRE(c.to_vector<float>() == std::vector<float>({3, 4, 5, 6, 8, 10}));
  const Tensor mixed = tensor({1, 2}, kInt64).outer(tensor({0.5}));
  REQUIRE(mixed.dtype() == kFloat32);
  REQUIRE(mixed.to_vector<float>() == std::vector<float>({0.5f, 1.0f}));
  REQUIRE(outer(ones({0}), ones({3})).sizes() == IntList({0, 3}));
}

TEST_CASE("matmul results do not depend on the thread count or the calling thread", "[linalg]") {
  manual_seed(9);
  const int saved = get_num_threads();
  const Tensor a64 = randn({150, 300}, kFloat64), b64 = randn({300, 70}, kFloat64);
  const Tensor a32 = randn({130, 90}), b32 = randn({90, 110});
  const Tensor batch_a = randn({16, 8, 8}, kFloat64), batch_b = randn({16, 8, 8}, kFloat64);
  set_num_threads(1);
  const std::vector<double> one_thread = mm(a64, b64).to_vector<double>();
  const std::vector<double> one_thread_batched = bmm(batch_a, batch_b).to_vector<double>();
  const Product expected32 = naive_mm(a32.to_vector<double>(), b32.to_vector<double>(), 130, 90, 110);
  require_matches(mm(a32, b32), expected32, kFloat32);
  set_num_threads(2);
  // The float64 kernel sums each element in the same order whatever the split: results are bitwise equal.
  REQUIRE(mm(a64, b64).to_vector<double>() == one_thread);
  REQUIRE(bmm(batch_a, batch_b).to_vector<double>() == one_thread_batched);
  require_matches(mm(a32, b32), expected32, kFloat32);
  // A thread other than the one that called set_num_threads (OpenMP keeps its thread count per thread).
  Tensor from_thread32;
  std::vector<double> from_thread;
  std::thread worker([&] {
    from_thread32 = mm(a32, b32);
    from_thread = mm(a64, b64).to_vector<double>();
  });
  worker.join();
  require_matches(from_thread32, expected32, kFloat32);
  REQUIRE(from_thread == one_thread);
  set_num_threads(saved);
}

TEST_CASE("linalg errors name the op and show the shapes", "[linalg]") {
  using Catch::Contains;
  REQUIRE_THROWS_WITH(mm(ones({2, 3}), ones({4, 5})), Contains("mm: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"));
  REQUIRE_THROWS_WITH(mm(ones({2, 3, 1}), ones({3, 5})), Contains("mm") && Contains("mat1") && Contains("[2, 3, 1]"));
  REQUIRE_THROWS_WITH(mm(ones({2, 3}), ones({3})), Contains("mm") && Contains("mat2") && Contains("[3]"));
  REQUIRE_THROWS_WITH(mm(ones({2, 3}), ones({3, 2}, kFloat64)),
                      Contains("mm") && Contains("expected m1 and m2 to have the same dtype") && Contains("float64"));
  REQUIRE_THROWS_WITH(mm(ones({2, 3}, kBool), ones({3, 2}, kBool)), Contains("mm") && Contains("bool"));
  REQUIRE_THROWS_WITH(mm(Tensor(), ones({2, 2})), Contains("mm"));

  REQUIRE_THROWS_WITH(bmm(ones({2, 3}), ones({2, 3, 4})), Contains("bmm") && Contains("batch1") && Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(bmm(ones({2, 3, 4}), ones({3, 4, 5})),
                      Contains("bmm") && Contains("batch size") && Contains("[2, 3, 4]") && Contains("[3, 4, 5]"));
  REQUIRE_THROWS_WITH(bmm(ones({2, 3, 4}), ones({2, 5, 6})), Contains("bmm") && Contains("2x3x4 and 2x5x6"));
  REQUIRE_THROWS_WITH(bmm(ones({2, 3, 4}), ones({2, 4, 6}, kInt32)), Contains("bmm") && Contains("same dtype"));

  REQUIRE_THROWS_WITH(addmm(ones({3, 3}), ones({2, 3}), ones({3, 2})),
                      Contains("addmm") && Contains("[3, 3]") && Contains("[2, 2]"));
  REQUIRE_THROWS_WITH(addmm(ones({2}), ones({2, 3}), ones({4, 2})), Contains("addmm") && Contains("2x3 and 4x2"));
  REQUIRE_THROWS_WITH(addmm(ones({2}, kFloat64), ones({2, 3}), ones({3, 2})), Contains("addmm") && Contains("dtype"));
  REQUIRE_THROWS_WITH(addmm(ones({2}, kInt64), ones({2, 3}, kInt64), ones({3, 2}, kInt64), 1, 0.5),
                      Contains("addmm") && Contains("alpha"));

  REQUIRE_THROWS_WITH(matmul(ones({3}), ones({4})), Contains("matmul") && Contains("[3]") && Contains("[4]"));
  REQUIRE_THROWS_WITH(matmul(ones({2, 3, 4}), ones({5, 6})), Contains("matmul") && Contains("[2, 3, 4]") && Contains("[5, 6]"));
  REQUIRE_THROWS_WITH(matmul(ones({2, 3, 4}), ones({3, 4, 5})), Contains("matmul") && Contains("[2]") && Contains("[3]"));
  REQUIRE_THROWS_WITH(matmul(scalar_tensor(1.0), ones({2})), Contains("matmul") && Contains("at least 1 dim"));
  REQUIRE_THROWS_WITH(matmul(ones({2}, kFloat32), ones({2}, kInt64)), Contains("matmul") && Contains("same dtype"));

  REQUIRE_THROWS_WITH(outer(ones({2, 2}), ones({2})), Contains("outer") && Contains("1-D") && Contains("[2, 2]"));

  if (cuda::is_available()) {
    REQUIRE_THROWS_WITH(mm(ones({2, 2}), ones({2, 2}).cuda()), Contains("mm") && Contains("device"));
    REQUIRE_THROWS_WITH(matmul(ones({2, 2}), ones({2}).cuda()), Contains("matmul") && Contains("device"));
  }
}
