// reel/test/test_reduce.cpp — the reductions against naive float64 loops: every op over one, several and all
// dims, keepdim, negative dims, every dtype it accepts, non-contiguous inputs (permuted, sliced, expanded),
// empty and 0-dim inputs, NaN and infinity handling, long reductions (accuracy, chunk merging, both loop
// shapes, determinism across thread counts) and the error messages.
#include "reduce_reference.h"

using namespace reduce_test;
using reel::Tensor;

namespace {

const Shape kShape{3, 4, 5};
const std::vector<Shape> kDimSets{{}, {0}, {1}, {2}, {-1}, {0, 2}, {2, 0}, {-1, -2}, {0, 1, 2}};
const std::vector<reel::ScalarType> kFloatTypes{reel::kFloat32, reel::kFloat64, reel::kFloat16, reel::kBFloat16};
const std::vector<reel::ScalarType> kAllTypes{reel::kBool,    reel::kUInt8,   reel::kInt32,   reel::kInt64,
                                              reel::kFloat16, reel::kBFloat16, reel::kFloat32, reel::kFloat64};

// Values a tensor of `dtype` can hold exactly-ish: 0/1 for bool, small non-negative integers for uint8.
Values values_for(reel::ScalarType dtype, int64_t n, uint32_t seed) {
  if (dtype == reel::kBool) return random_values(n, seed, 0, 1, true);
  if (dtype == reel::kUInt8) return random_values(n, seed, 0, 9, true);
  if (!reel::is_floating_point(dtype)) return random_values(n, seed, -9, 9, true);
  return rounded_to(random_values(n, seed), dtype);
}

// A [3, 4, 5] tensor whose memory is laid out as [5, 3, 4]: non-contiguous, same logical values.
Tensor permuted_copy(const Values& values, reel::ScalarType dtype) {
  Values stored(values.size());
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 4; ++j)
      for (int64_t k = 0; k < 5; ++k) stored[(k * 3 + i) * 4 + j] = values[(i * 4 + j) * 5 + k];
  Tensor base = make_tensor(stored, {5, 3, 4}, dtype);
  return Tensor::make_view(base, {3, 4, 5}, {4, 1, 12}, 0);
}

}  // namespace

TEST_CASE("sum over dim sets, keepdim and dtypes", "[reduce]") {
  for (reel::ScalarType dtype : kAllTypes) {
    const Values x = values_for(dtype, numel_of(kShape), 1);
    const Tensor t = make_tensor(x, kShape, dtype);
    for (const Shape& dims : kDimSets) {
      for (bool keepdim : {false, true}) {
        INFO("dtype " << reel::dtype_name(dtype) << ", dims " << reel::shape_str(dims) << ", keepdim " << keepdim);
        const Tensor y = reel::sum(t, dims, keepdim);
        check_shape(y, reduced_shape(kShape, dims, keepdim));
        const bool floating = reel::is_floating_point(dtype);
        CHECK(y.dtype() == (floating ? dtype : reel::kInt64));
        const double rtol = floating ? tolerance_of(dtype) : 0;
        check_close(y, reduce_reference(x, kShape, dims, ref_sum), rtol, floating ? rtol * 20 : 0);
      }
    }
  }
  CHECK(make_tensor({1, 2, 3}, {3}, reel::kFloat32).sum().dim() == 0);
  CHECK(make_tensor({1, 2, 3}, {3}, reel::kFloat32).sum({0}, true).sizes() == reel::IntList({1}));
}

TEST_CASE("mean and prod", "[reduce]") {
  for (reel::ScalarType dtype : kFloatTypes) {
    const Values x = values_for(dtype, numel_of(kShape), 2);
    const Tensor t = make_tensor(x, kShape, dtype);
    for (const Shape& dims : kDimSets) {
      INFO("dtype " << reel::dtype_name(dtype) << ", dims " << reel::shape_str(dims));
      const Tensor m = reel::mean(t, dims, true);
      CHECK(m.dtype() == dtype);
      check_shape(m, reduced_shape(kShape, dims, true));
      check_close(m, reduce_reference(x, kShape, dims, [](const Values& v) { return ref_sum(v) / v.size(); }),
                  tolerance_of(dtype), tolerance_of(dtype));
    }
  }
  for (reel::ScalarType dtype : kAllTypes) {
    const Values x = dtype == reel::kBool ? values_for(dtype, 12, 3) : random_values(12, 3, 1, 2, true);
    const Tensor t = make_tensor(x, {3, 4}, dtype);
    INFO("dtype " << reel::dtype_name(dtype));
    const Tensor p = reel::prod(t, 1);
    CHECK(p.dtype() == (reel::is_floating_point(dtype) ? dtype : reel::kInt64));
    check_close(p, reduce_reference(x, {3, 4}, {1}, ref_prod), 1e-2, 0);
    check_close(t.prod(), {ref_prod(x)}, 1e-2, 0);
    check_close(reel::prod(t, -2, true), reduce_reference(x, {3, 4}, {0}, ref_prod), 1e-2, 0);
  }
  // Integer sums and products widen to int64 and wrap around like PyTorch's.
  const Tensor big = make_tensor({2147483647.0, 2147483647.0}, {2}, reel::kInt32);
  CHECK(big.sum().item<int64_t>() == 4294967294LL);
  CHECK(big.prod().item<int64_t>() == 4611686014132420609LL);
  REQUIRE_THROWS_WITH(reel::mean(make_tensor({1, 2}, {2}, reel::kInt64)), Catch::Contains("mean"));
}

TEST_CASE("amax, amin, max() and min() over dims and dtypes", "[reduce]") {
  for (reel::ScalarType dtype : kAllTypes) {
    const Values x = values_for(dtype, numel_of(kShape), 4);
    const Tensor t = make_tensor(x, kShape, dtype);
    for (const Shape& dims : kDimSets) {
      INFO("dtype " << reel::dtype_name(dtype) << ", dims " << reel::shape_str(dims));
      const Tensor hi = reel::amax(t, dims);
      const Tensor lo = t.amin(dims, true);
      CHECK(hi.dtype() == dtype);
      check_shape(lo, reduced_shape(kShape, dims, true));
      check_close(hi, reduce_reference(x, kShape, dims, [](const Values& v) { return v[ref_arg(v, true)]; }), 0, 0);
      check_close(lo, reduce_reference(x, kShape, dims, [](const Values& v) { return v[ref_arg(v, false)]; }), 0, 0);
    }
    CHECK(t.max().dim() == 0);
    check_close(t.max(), {x[ref_arg(x, true)]}, 0, 0);
    check_close(reel::min(t), {x[ref_arg(x, false)]}, 0, 0);
  }
}

TEST_CASE("max(dim) and min(dim) return values and first indices", "[reduce]") {
  for (reel::ScalarType dtype : kAllTypes) {
    const Values x = values_for(dtype, numel_of(kShape), 5);  // small integers: many ties
    const Tensor t = make_tensor(x, kShape, dtype);
    for (int64_t dim : {0, 1, 2, -1, -3}) {
      for (bool keepdim : {false, true}) {
        INFO("dtype " << reel::dtype_name(dtype) << ", dim " << dim << ", keepdim " << keepdim);
        auto [values, indices] = t.max(dim, keepdim);
        auto [min_values, min_indices] = reel::min(t, dim, keepdim);
        CHECK(values.dtype() == dtype);
        CHECK(indices.dtype() == reel::kInt64);
        check_shape(indices, reduced_shape(kShape, {dim}, keepdim));
        check_close(values, reduce_reference(x, kShape, {dim}, [](const Values& v) { return v[ref_arg(v, true)]; }), 0, 0);
        check_close(indices, reduce_reference(x, kShape, {dim}, [](const Values& v) { return ref_arg(v, true); }), 0, 0);
        check_close(min_values, reduce_reference(x, kShape, {dim}, [](const Values& v) { return v[ref_arg(v, false)]; }), 0, 0);
        check_close(min_indices, reduce_reference(x, kShape, {dim}, [](const Values& v) { return ref_arg(v, false); }), 0, 0);
      }
    }
  }
}

TEST_CASE("argmax and argmin: flattened, along a dim, first occurrence", "[reduce]") {
  for (reel::ScalarType dtype : kAllTypes) {
    const Values x = values_for(dtype, numel_of(kShape), 6);
    const Tensor t = make_tensor(x, kShape, dtype);
    INFO("dtype " << reel::dtype_name(dtype));
    const Tensor flat = reel::argmax(t);
    CHECK(flat.dim() == 0);
    CHECK(flat.dtype() == reel::kInt64);
    CHECK(flat.item<int64_t>() == ref_arg(x, true));
    CHECK(t.argmin().item<int64_t>() == ref_arg(x, false));
    check_shape(reel::argmax(t, std::nullopt, true), {1, 1, 1});
    for (int64_t dim : {0, 1, -1}) {
      check_close(t.argmax(dim), reduce_reference(x, kShape, {dim}, [](const Values& v) { return ref_arg(v, true); }), 0, 0);
      check_close(reel::argmin(t, dim, true),
                  reduce_reference(x, kShape, {dim}, [](const Values& v) { return ref_arg(v, false); }), 0, 0);
    }
  }
  CHECK(reel::argmax(make_tensor({1, 3, 3, 2}, {4}, reel::kFloat32)).item<int64_t>() == 1);
  CHECK(reel::argmin(make_tensor({2, 1, 1, 2}, {4}, reel::kInt32)).item<int64_t>() == 1);
}

TEST_CASE("NaN propagates through max-like reductions and its index is reported", "[reduce]") {
  const double nan = std::nan("");
  const Values x{1, nan, 5, nan, -1, 2, 7, 0};
  for (reel::ScalarType dtype : {reel::kFloat32, reel::kFloat64, reel::kFloat16, reel::kBFloat16}) {
    const Tensor t = make_tensor(x, {2, 4}, dtype);
    INFO("dtype " << reel::dtype_name(dtype));
    check_close(reel::amax(t, {1}), {nan, 7}, 0, 0);
    check_close(reel::amin(t, {1}), {nan, -1}, 0, 0);
    check_close(t.max(), {nan}, 0, 0);
    auto [values, indices] = t.max(1);
    check_close(values, {nan, 7}, 0, 0);
    check_close(indices, {1, 2}, 0, 0);
    auto [min_values, min_indices] = t.min(0);
    check_close(min_values, {-1, nan, 5, nan}, 0, 0);
    check_close(min_indices, {1, 0, 0, 0}, 0, 0);
    CHECK(t.argmax().item<int64_t>() == 1);
    CHECK(t.argmin().item<int64_t>() == 1);
    check_close(t.sum(1), {nan, 8}, 0, 0);
  }
}

TEST_CASE("var and std with corrections", "[reduce]") {
  for (reel::ScalarType dtype : kFloatTypes) {
    const Values x = values_for(dtype, numel_of(kShape), 7);
    const Tensor t = make_tensor(x, kShape, dtype);
    for (const Shape& dims : kDimSets) {
      for (int64_t correction : {0, 1, 2}) {
        INFO("dtype " << reel::dtype_name(dtype) << ", dims " << reel::shape_str(dims) << ", correction " << correction);
        const Tensor v = reel::var(t, dims, reel::Scalar(correction), true);
        CHECK(v.dtype() == dtype);
        check_shape(v, reduced_shape(kShape, dims, true));
        auto ref = [correction](const Values& g) { return ref_var(g, static_cast<double>(correction)); };
        check_close(v, reduce_reference(x, kShape, dims, ref), tolerance_of(dtype), tolerance_of(dtype));
        check_close(reel::std(t, dims, reel::Scalar(correction)),
                    reduce_reference(x, kShape, dims, [&](const Values& g) { return std::sqrt(ref(g)); }),
                    tolerance_of(dtype), tolerance_of(dtype));
      }
    }
  }
  const Tensor t = make_tensor({1, 2, 3, 4}, {2, 2}, reel::kFloat64);
  check_close(t.var(), {ref_var({1, 2, 3, 4}, 1)}, 1e-12, 0);
  check_close(t.var(false), {ref_var({1, 2, 3, 4}, 0)}, 1e-12, 0);
  check_close(t.var({1}, false, true), {0.25, 0.25}, 1e-12, 0);
  check_close(t.std(reel::IntList{0}), {std::sqrt(2.0), std::sqrt(2.0)}, 1e-12, 0);
  check_close(t.std(false), {std::sqrt(1.25)}, 1e-12, 0);
  // n - correction <= 0: 0/0 = NaN for one sample, m2/0 = inf otherwise (PyTorch's max(0, n - correction)).
  check_close(make_tensor({3}, {1}, reel::kFloat32).var(), {std::nan("")}, 0, 0);
  check_close(reel::var(t, {1}, reel::Scalar(2)), {INFINITY, INFINITY}, 0, 0);
  check_close(reel::var(t, {1}, reel::Scalar(3)), {INFINITY, INFINITY}, 0, 0);
  // A large offset does not cancel the variance away, in the row loop or the column loop.
  check_close(make_tensor({1e9 + 1, 1e9 + 2, 1e9 + 3}, {3}, reel::kFloat64).var(), {1.0}, 1e-9, 0);
  Values offset = random_values(50 * 4, 16);
  for (double& v : offset) v += 1e6;
  check_close(reel::var(make_tensor(offset, {50, 4}, reel::kFloat64), {0}),
              reduce_reference(offset, {50, 4}, {0}, [](const Values& v) { return ref_var(v, 1); }), 1e-8, 0);
  check_close(make_tensor({INFINITY, 1}, {2}, reel::kFloat32).var(), {std::nan("")}, 0, 0);
}

TEST_CASE("logsumexp is stable and handles infinities", "[reduce]") {
  for (reel::ScalarType dtype : kFloatTypes) {
    const Values x = values_for(dtype, numel_of(kShape), 8);
    const Tensor t = make_tensor(x, kShape, dtype);
    for (const Shape& dims : kDimSets) {
      for (bool keepdim : {false, true}) {
        INFO("dtype " << reel::dtype_name(dtype) << ", dims " << reel::shape_str(dims) << ", keepdim " << keepdim);
        const Tensor y = t.logsumexp(dims, keepdim);
        CHECK(y.dtype() == dtype);
        check_shape(y, reduced_shape(kShape, dims, keepdim));
        check_close(y, reduce_reference(x, kShape, dims, ref_logsumexp), tolerance_of(dtype), tolerance_of(dtype));
      }
    }
  }
  const Tensor rows = make_tensor({1000, 1000, -INFINITY, -INFINITY, INFINITY, 1, -1000, -1000.5}, {4, 2},
                                  reel::kFloat32);
  check_close(reel::logsumexp(rows, {1}), {1000 + std::log(2.0), -INFINITY, INFINITY, ref_logsumexp({-1000, -1000.5})},
              1e-6, 0);
  check_close(reel::logsumexp(make_tensor({1, std::nan("")}, {2}, reel::kFloat64), {0}), {std::nan("")}, 0, 0);
}

TEST_CASE("norm for p = 2, 1, 3, 0.5, 0, inf and -inf", "[reduce]") {
  for (reel::ScalarType dtype : kFloatTypes) {
    Values x = values_for(dtype, numel_of(kShape), 9);
    x[3] = 0;
    const Tensor t = make_tensor(x, kShape, dtype);
    for (double p : {2.0, 1.0, 3.0, 0.5, 0.0, double(INFINITY), -double(INFINITY)}) {
      for (const Shape& dims : kDimSets) {
        INFO("dtype " << reel::dtype_name(dtype) << ", p " << p << ", dims " << reel::shape_str(dims));
        const Tensor y = reel::norm(t, p, dims);
        CHECK(y.dtype() == dtype);
        check_shape(y, reduced_shape(kShape, dims, false));
        check_close(y, reduce_reference(x, kShape, dims, [p](const Values& g) { return ref_norm(g, p); }),
                    tolerance_of(dtype), tolerance_of(dtype));
      }
    }
    check_close(t.norm(), {ref_norm(x, 2)}, tolerance_of(dtype), 0);
    check_close(t.norm(1, {0, 1}, true), reduce_reference(x, kShape, {0, 1}, [](const Values& g) { return ref_norm(g, 1); }),
                tolerance_of(dtype), tolerance_of(dtype));
  }
}

TEST_CASE("all and any over every dtype", "[reduce]") {
  const Values x{1, 0, 2, 3, 0, 0, 1, 1, 1};
  for (reel::ScalarType dtype : kAllTypes) {
    const Tensor t = make_tensor(x, {3, 3}, dtype);
    INFO("dtype " << reel::dtype_name(dtype));
    CHECK(t.all().dtype() == reel::kBool);
    CHECK(t.all().item<bool>() == false);
    CHECK(t.any().item<bool>() == true);
    check_close(t.all(1), {0, 0, 1}, 0, 0);
    check_close(reel::any(t, 1, true), {1, 1, 1}, 0, 0);
    check_shape(reel::any(t, 1, true), {3, 1});
    check_close(reel::all(t, 0), {1, 0, 0}, 0, 0);
    check_close(reel::any(t, -2), {1, 1, 1}, 0, 0);
  }
  CHECK(make_tensor({std::nan(""), 1}, {2}, reel::kFloat32).all().item<bool>());  // NaN is nonzero
}

TEST_CASE("non-contiguous inputs: permuted, transposed, sliced, expanded", "[reduce]") {
  for (reel::ScalarType dtype : {reel::kFloat32, reel::kFloat64, reel::kInt64, reel::kFloat16}) {
    const Values x = values_for(dtype, numel_of(kShape), 10);
    const Tensor t = permuted_copy(x, dtype);
    REQUIRE_FALSE(t.is_contiguous());
    const double rtol = reel::is_floating_point(dtype) ? tolerance_of(dtype) : 0;
    for (const Shape& dims : kDimSets) {
      INFO("dtype " << reel::dtype_name(dtype) << ", dims " << reel::shape_str(dims));
      check_close(t.sum(dims), reduce_reference(x, kShape, dims, ref_sum), rtol, rtol * 20);
      check_close(t.amax(dims), reduce_reference(x, kShape, dims, [](const Values& v) { return v[ref_arg(v, true)]; }), 0, 0);
      if (reel::is_floating_point(dtype))
        check_close(t.var(dims), reduce_reference(x, kShape, dims, [](const Values& v) { return ref_var(v, 1); }), rtol, rtol);
    }
    CHECK(t.argmax().item<int64_t>() == ref_arg(x, true));
    for (int64_t dim : {0, 1, 2}) {
      auto [values, indices] = t.min(dim);
      check_close(indices, reduce_reference(x, kShape, {dim}, [](const Values& v) { return ref_arg(v, false); }), 0, 0);
    }
  }
  // Views from the view ops: transpose, a stepped slice, an expanded (stride 0) dim.
  const Values x = random_values(6 * 8, 11);
  const Tensor base = make_tensor(x, {6, 8}, reel::kFloat64);
  const Tensor transposed = base.t();
  const Values xt = transposed.to_vector<double>();
  for (int64_t dim : {0, 1}) {
    check_close(transposed.sum(dim), reduce_reference(xt, {8, 6}, {dim}, ref_sum), 1e-12, 1e-12);
    check_close(transposed.argmax(dim), reduce_reference(xt, {8, 6}, {dim}, [](const Values& v) { return ref_arg(v, true); }), 0, 0);
  }
  const Tensor sliced = base.slice(1, 1, 8, 3);  // columns 1, 4, 7
  const Values xs = sliced.to_vector<double>();
  check_close(sliced.sum({0}), reduce_reference(xs, {6, 3}, {0}, ref_sum), 1e-12, 1e-12);
  check_close(sliced.prod(1), reduce_reference(xs, {6, 3}, {1}, ref_prod), 1e-12, 1e-12);
  const Tensor expanded = make_tensor({1, 2, 3}, {3, 1}, reel::kFloat32).expand({3, 4});
  check_close(expanded.sum({1}), {4, 8, 12}, 0, 0);
  check_close(expanded.sum({0}), {6, 6, 6, 6}, 0, 0);
  check_close(expanded.argmax(0), {2, 2, 2, 2}, 0, 0);
}

TEST_CASE("empty inputs: identities, or errors for ops without one", "[reduce]") {
  const Tensor e = reel::zeros({0, 3});
  check_shape(e.sum({0}), {3});
  check_close(e.sum({0}), {0, 0, 0}, 0, 0);
  check_shape(e.sum({1}), {0});
  check_close(e.sum(), {0}, 0, 0);
  check_close(e.prod(0), {1, 1, 1}, 0, 0);
  check_close(e.mean({0}), {std::nan(""), std::nan(""), std::nan("")}, 0, 0);
  check_close(reel::var(e, {0}), {std::nan(""), std::nan(""), std::nan("")}, 0, 0);
  check_close(e.norm(2, {0}), {0, 0, 0}, 0, 0);
  check_close(e.norm(0), {0}, 0, 0);
  check_close(e.logsumexp({0}), {-INFINITY, -INFINITY, -INFINITY}, 0, 0);
  check_close(e.all(0), {1, 1, 1}, 0, 0);
  check_close(e.any(0), {0, 0, 0}, 0, 0);
  check_shape(e.amax({1}), {0});
  check_shape(std::get<1>(e.max(1, true)), {0, 1});
  check_shape(e.argmin(1), {0});
  check_close(reel::zeros({0}, reel::kInt32).sum(), {0}, 0, 0);
  CHECK(reel::zeros({0}, reel::kInt32).sum().dtype() == reel::kInt64);

  REQUIRE_THROWS_WITH(e.amax({0}), Catch::Contains("amax") && Catch::Contains("dim 0") && Catch::Contains("[0, 3]"));
  REQUIRE_THROWS_WITH(e.amin(), Catch::Contains("amin") && Catch::Contains("numel() == 0"));
  REQUIRE_THROWS_WITH(e.max(), Catch::Contains("max") && Catch::Contains("[0, 3]"));
  REQUIRE_THROWS_WITH(e.min(0), Catch::Contains("min") && Catch::Contains("non-zero size"));
  REQUIRE_THROWS_WITH(e.argmax(), Catch::Contains("argmax"));
  REQUIRE_THROWS_WITH(e.argmin(0), Catch::Contains("argmin"));
  REQUIRE_THROWS_WITH(e.norm(INFINITY), Catch::Contains("norm") && Catch::Contains("empty"));
  REQUIRE_THROWS_WITH(e.norm(-1, {0}), Catch::Contains("norm"));
}

TEST_CASE("0-dim inputs", "[reduce]") {
  const Tensor s = reel::scalar_tensor(2.5);
  CHECK(s.sum().item<double>() == 2.5);
  CHECK(s.sum({0}).dim() == 0);
  CHECK(s.sum({-1}, true).dim() == 0);
  CHECK(s.mean().item<double>() == 2.5);
  CHECK(s.prod(0).item<double>() == 2.5);
  CHECK(s.amax().item<double>() == 2.5);
  CHECK(s.max().item<double>() == 2.5);
  auto [value, index] = s.max(0);
  CHECK(value.item<double>() == 2.5);
  CHECK(index.item<int64_t>() == 0);
  CHECK(index.dim() == 0);
  CHECK(s.argmax().item<int64_t>() == 0);
  CHECK(s.argmin(0, true).item<int64_t>() == 0);
  CHECK(std::isnan(s.var().item<double>()));
  CHECK(s.var(false).item<double>() == 0);
  CHECK(s.norm().item<double>() == 2.5);
  CHECK(s.logsumexp({}).item<double>() == Approx(2.5));
  CHECK(s.all().item<bool>());
  CHECK(reel::scalar_tensor(3, reel::kInt64).sum().dtype() == reel::kInt64);
  REQUIRE_THROWS_WITH(s.sum({1}), Catch::Contains("sum") && Catch::Contains("out of range"));
}

TEST_CASE("argument errors name the op", "[reduce]") {
  const Tensor t = reel::ones({2, 3}, reel::kFloat32);
  const Tensor ints = reel::ones({2, 3}, reel::kInt64);
  REQUIRE_THROWS_WITH(t.sum({1, -1}), Catch::Contains("sum") && Catch::Contains("appears multiple times"));
  REQUIRE_THROWS_WITH(t.amax({0, 0}), Catch::Contains("amax") && Catch::Contains("multiple times"));
  REQUIRE_THROWS_WITH(t.sum({2}), Catch::Contains("sum") && Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(t.max(-3), Catch::Contains("max") && Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(ints.mean(), Catch::Contains("mean") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(ints.var(), Catch::Contains("var") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(ints.std(), Catch::Contains("std") && Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(ints.logsumexp({1}), Catch::Contains("logsumexp"));
  REQUIRE_THROWS_WITH(ints.norm(), Catch::Contains("norm") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(reel::sum(Tensor()), Catch::Contains("sum"));
}

TEST_CASE("long reductions: accuracy, chunk merging, both loop shapes", "[reduce]") {
  SECTION("float32 sum of 10M values is accurate to 1e-6") {
    const int64_t n = 10'000'000;
    const Values x = rounded_to(random_values(n, 12, 0, 1), reel::kFloat32);
    const Tensor t = make_tensor(x, {n}, reel::kFloat32);
    const double expected = ref_sum(x);
    CHECK(std::fabs(t.sum().item<double>() - expected) <= 1e-6 * expected);
    CHECK(std::fabs(t.mean().item<double>() - expected / n) <= 1e-6 * expected / n);
    const Tensor ones = reel::ones({n}, reel::kFloat16);
    CHECK(ones.mean().item<double>() == 1.0);  // the float32 sum of a half input cannot overflow
  }
  SECTION("every op over a long row and a long column (chunks merged in order)") {
    const int64_t rows = 40000, cols = 3;
    Values x = random_values(rows * cols, 13, -1, 1);
    x[37000 * cols + 1] = 5;  // the max of column 1, twice, across chunk boundaries
    x[39000 * cols + 1] = 5;
    x[20000 * cols + 2] = std::nan("");
    const Tensor t = make_tensor(x, {rows, cols}, reel::kFloat64);
    check_close(t.sum({0}), reduce_reference(x, {rows, cols}, {0}, ref_sum), 1e-12, 1e-9);
    check_close(reel::var(t, {0}), reduce_reference(x, {rows, cols}, {0}, [](const Values& v) { return ref_var(v, 1); }), 1e-10, 0);
    check_close(t.norm(3, {0}), reduce_reference(x, {rows, cols}, {0}, [](const Values& v) { return ref_norm(v, 3); }), 1e-10, 0);
    check_close(t.argmax(0), {static_cast<double>(ref_arg(reduce_test::groups_of(x, {rows, cols}, {0})[0], true)), 37000, 20000}, 0, 0);
    check_close(t.amin({0}), reduce_reference(x, {rows, cols}, {0}, [](const Values& v) { return v[ref_arg(v, false)]; }), 0, 0);
    const Tensor row = t.t().contiguous();  // [3, 40000]: long contiguous rows
    check_close(row.sum({1}), reduce_reference(x, {rows, cols}, {0}, ref_sum), 1e-12, 1e-9);
    check_close(reel::var(row, {1}), reduce_reference(x, {rows, cols}, {0}, [](const Values& v) { return ref_var(v, 1); }), 1e-10, 0);
    check_close(std::get<1>(row.max(1)), {static_cast<double>(ref_arg(reduce_test::groups_of(x, {rows, cols}, {0})[0], true)), 37000, 20000}, 0, 0);
    CHECK(t.argmax().item<int64_t>() == 20000 * cols + 2);  // the first NaN, in the flattened order
    check_close(t.all(0), {1, 1, 1}, 0, 0);
  }
  SECTION("many outputs in the column loop, wider than one block") {
    const Shape shape{7, 2100};
    const Values x = random_values(numel_of(shape), 14);
    const Tensor t = make_tensor(x, shape, reel::kFloat32);
    check_close(t.sum({0}), reduce_reference(x, shape, {0}, ref_sum), 1e-5, 1e-5);
    check_close(std::get<1>(t.min(0)), reduce_reference(x, shape, {0}, [](const Values& v) { return ref_arg(v, false); }), 0, 0);
    check_close(t.var({0}, true, true), reduce_reference(x, shape, {0}, [](const Values& v) { return ref_var(v, 1); }), 1e-5, 1e-6);
  }
}

TEST_CASE("results do not depend on the thread count", "[reduce]") {
  const int threads = reel::get_num_threads();
  const Values x = random_values(3'000'000, 15);
  const Tensor t = make_tensor(x, {3'000'000}, reel::kFloat32);
  const Tensor m = make_tensor(x, {1000, 3000}, reel::kFloat32);
  auto compute = [&] {
    return std::vector<Tensor>{t.sum(), t.var(), t.norm(), m.sum({0}), m.sum({1}), t.argmax(), reel::var(m, {0})};
  };
  reel::set_num_threads(1);
  const std::vector<Tensor> one = compute();
  reel::set_num_threads(2);
  const std::vector<Tensor> two = compute();
  reel::set_num_threads(threads);
  for (size_t i = 0; i < one.size(); ++i) {
    INFO("result " << i);
    CHECK(one[i].to_vector<double>() == two[i].to_vector<double>());
  }
}

TEST_CASE("logsumexp differentiates to softmax", "[reduce]") {
  const Values x = random_values(3 * 4, 17, -3, 3);
  Tensor t = make_tensor(x, {3, 4}, reel::kFloat64);
  t.requires_grad_(true);
  reel::logsumexp(t, {1}).sum().backward();
  REQUIRE(t.grad().defined());
  Values expected;
  for (int64_t r = 0; r < 3; ++r) {
    const Values row(x.begin() + r * 4, x.begin() + r * 4 + 4);
    for (double v : row) expected.push_back(std::exp(v - ref_logsumexp(row)));
  }
  check_close(t.grad(), expected, 1e-12, 1e-14);
}
