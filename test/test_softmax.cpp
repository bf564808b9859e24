// reel/test/test_softmax.cpp — softmax and log_softmax against naive float64 loops: every dim (negative too),
// every floating dtype, non-contiguous inputs, both loop shapes (rows, and blocks of columns), size-0, size-1
// and 0-dim inputs, very large inputs (stability), NaN and infinities, and the error messages.
#include "reduce_reference.h"

using namespace reduce_test;
using reel::Tensor;

namespace {

// softmax (or log_softmax) of `x` of `shape` along `dim`, in float64.
Values ref_softmax(const Values& x, const Shape& shape, int64_t dim, bool log) {
  const int64_t ndim = static_cast<int64_t>(shape.size());
  if (dim < 0) dim += ndim;
  int64_t inner = 1;
  for (int64_t d = dim + 1; d < ndim; ++d) inner *= shape[d];
  const int64_t length = shape[dim];
  const int64_t outer = numel_of(shape) / (length * inner);
  Values y(x.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t k) { return static_cast<size_t>((o * length + k) * inner + i); };
      double m = -INFINITY;
      for (int64_t k = 0; k < length; ++k) m = std::isnan(x[at(k)]) || std::isnan(m) ? NAN : std::max(m, x[at(k)]);
      double sum = 0;
      for (int64_t k = 0; k < length; ++k) sum += std::exp(x[at(k)] - m);
      for (int64_t k = 0; k < length; ++k) y[at(k)] = log ? x[at(k)] - m - std::log(sum) : std::exp(x[at(k)] - m) / sum;
    }
  }
  return y;
}

void check_both(const Tensor& t, const Values& x, const Shape& shape, int64_t dim, double rtol) {
  const Tensor y = reel::softmax(t, dim);
  const Tensor log_y = t.log_softmax(dim);
  CHECK(y.dtype() == t.dtype());
  check_shape(y, shape);
  CHECK(y.is_contiguous());
  check_close(y, ref_softmax(x, shape, dim, false), rtol, rtol);
  check_close(log_y, ref_softmax(x, shape, dim, true), rtol, rtol);
}

}  // namespace

TEST_CASE("softmax and log_softmax along every dim and floating dtype", "[softmax]") {
  const Shape shape{3, 4, 5};
  for (reel::ScalarType dtype : {reel::kFloat32, reel::kFloat64, reel::kFloat16, reel::kBFloat16}) {
    const Values x = rounded_to(random_values(numel_of(shape), 21, -4, 4), dtype);
    const Tensor t = make_tensor(x, shape, dtype);
    for (int64_t dim : {0, 1, 2, -1, -2, -3}) {
      INFO("dtype " << reel::dtype_name(dtype) << ", dim " << dim);
      check_both(t, x, shape, dim, dtype == reel::kBFloat16 ? 1e-2 : tolerance_of(dtype) * 2);
    }
  }
}

TEST_CASE("softmax of non-contiguous inputs", "[softmax]") {
  const Values base_values = random_values(6 * 7 * 5, 22, -3, 3);
  const Tensor base = make_tensor(base_values, {6, 7, 5}, reel::kFloat64);
  const Tensor permuted = base.permute({2, 0, 1});  // [5, 6, 7], strides (1, 35, 5)
  const Values xp = permuted.to_vector<double>();
  for (int64_t dim : {0, 1, 2}) {
    INFO("permuted, dim " << dim);
    check_both(permuted, xp, {5, 6, 7}, dim, 1e-12);
  }
  const Tensor sliced = base.slice(2, 0, 5, 2);  // [6, 7, 3], stride 2 along the last dim
  const Values xs = sliced.to_vector<double>();
  for (int64_t dim : {0, 2}) {
    INFO("sliced, dim " << dim);
    check_both(sliced, xs, {6, 7, 3}, dim, 1e-12);
  }
  const Tensor expanded = make_tensor({1, 2, 3}, {1, 3}, reel::kFloat32).expand({4, 3});
  check_close(expanded.softmax(1), ref_softmax({1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3}, {4, 3}, 1, false), 1e-6, 1e-7);
  check_close(expanded.softmax(0), Values(12, 0.25), 1e-6, 0);
}

TEST_CASE("softmax over large rows and over dim 0 of wide matrices", "[softmax]") {
  SECTION("long rows in parallel") {
    const Shape shape{64, 3000};
    const Values x = rounded_to(random_values(numel_of(shape), 23, -10, 10), reel::kFloat32);
    check_both(make_tensor(x, shape, reel::kFloat32), x, shape, 1, 1e-5);
  }
  SECTION("column blocks: dim 0 of a row-major matrix wider than one block") {
    const Shape shape{20, 2100};
    const Values x = rounded_to(random_values(numel_of(shape), 24, -10, 10), reel::kFloat32);
    const Tensor t = make_tensor(x, shape, reel::kFloat32);
    check_both(t, x, shape, 0, 1e-5);
    const Values xh = rounded_to(x, reel::kFloat16);
    check_both(make_tensor(xh, shape, reel::kFloat16), xh, shape, 0, 4e-3);
  }
  SECTION("a middle dim of a 3-d tensor") {
    const Shape shape{4, 30, 33};
    const Values x = random_values(numel_of(shape), 25, -5, 5);
    check_both(make_tensor(x, shape, reel::kFloat64), x, shape, 1, 1e-12);
  }
}

TEST_CASE("softmax edge cases: sizes 0 and 1, 0-dim, stability, NaN and infinities", "[softmax]") {
  const Tensor empty_rows = reel::zeros({0, 3});
  check_shape(reel::softmax(empty_rows, 1), {0, 3});
  check_shape(reel::log_softmax(reel::zeros({3, 0}), 1), {3, 0});
  check_shape(reel::softmax(reel::zeros({3, 0}), 0), {3, 0});

  check_close(reel::softmax(reel::ones({3, 1}, reel::kFloat32), 1), {1, 1, 1}, 0, 0);
  check_close(reel::log_softmax(reel::ones({3, 1}, reel::kFloat32), -1), {0, 0, 0}, 0, 0);

  const Tensor scalar = reel::scalar_tensor(3.5);
  CHECK(scalar.softmax(0).dim() == 0);
  CHECK(scalar.softmax(0).item<double>() == 1.0);
  CHECK(scalar.log_softmax(-1).item<double>() == 0.0);

  const Values big{1000, 1001, 1002, -1000, -1001, -1002};
  for (reel::ScalarType dtype : {reel::kFloat32, reel::kFloat64}) {
    const Tensor t = make_tensor(big, {2, 3}, dtype);
    INFO("dtype " << reel::dtype_name(dtype));
    check_close(t.softmax(1), ref_softmax(big, {2, 3}, 1, false), 1e-6, 1e-7);
    check_close(t.log_softmax(1), ref_softmax(big, {2, 3}, 1, true), 1e-6, 1e-6);
  }

  const double nan = std::nan("");
  const Values special{1, nan, 2, -INFINITY, 0, -INFINITY, -INFINITY, -INFINITY, -INFINITY, 1, INFINITY, 2};
  const Tensor t = make_tensor(special, {4, 3}, reel::kFloat32);
  // A NaN poisons its row; -inf entries get probability 0; a row of -inf and a row with +inf give NaN.
  check_close(t.softmax(1), {nan, nan, nan, 0, 1, 0, nan, nan, nan, nan, nan, nan}, 1e-6, 0);
  check_close(t.log_softmax(1), {nan, nan, nan, -INFINITY, 0, -INFINITY, nan, nan, nan, nan, nan, nan}, 1e-6, 0);
}

TEST_CASE("softmax errors name the op", "[softmax]") {
  const Tensor ints = reel::ones({2, 3}, reel::kInt64);
  REQUIRE_THROWS_WITH(reel::softmax(ints, 1), Catch::Contains("softmax") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(ints.log_softmax(0), Catch::Contains("log_softmax") && Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(reel::softmax(reel::ones({2, 3}, reel::kBool), 0), Catch::Contains("softmax"));
  REQUIRE_THROWS_WITH(reel::ones({2, 3}, reel::kFloat32).softmax(2), Catch::Contains("softmax") && Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(reel::log_softmax(reel::ones({2, 3}, reel::kFloat32), -3), Catch::Contains("log_softmax"));
}
