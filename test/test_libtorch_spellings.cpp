// reel/test/test_libtorch_spellings.cpp — the list of LibTorch overload sets reel mirrors, and for each C++
// spelling a ported program may contain (`x.var(1)`, `torch::var(x, {1}, 2, true)`, `torch::tensor({1, 2, 3})`),
// a check that reel computes what LibTorch computes. C++ overload resolution, not Python's, decides the meaning:
// `x.std(0)` is a dim only because LibTorch adds a C++-only `std(int dim)`, and an integer after a dim list binds
// to `bool unbiased` before it could become a `Scalar correction`. Expected values are float64 references
// computed here; the meanings were taken from probe programs compiled against LibTorch 2.15.0 (PyPI wheel) and
// 1.13.1 (Debian 12), recorded in docs/libtorch_spellings.md. Where the two differ, reel follows 2.x.
//
// THE LIST (LibTorch 2.x declarations; Tensor methods take the same parameters after `self`):
//
//  var / std (same set for both):
//    var(Tensor self, bool unbiased)                                        no default for unbiased
//    var(Tensor self, int dim)                                              C++ only (gh-40287); `int`, not int64_t
//    var(Tensor self, OptionalIntArrayRef dim, bool unbiased, bool keepdim=false)
//    var(Tensor self, OptionalIntArrayRef dim=nullopt, optional<Scalar> correction=nullopt, bool keepdim=false)
//    => var()                 every dim, correction 1       var(true) / var(false)   every dim, correction 1 / 0
//       var(1), var({1})      dim 1, correction 1           var({0, 1})              dims 0 and 1, correction 1
//       var({1}, b[, k])      dim 1, unbiased = b           var({1}, 2, true)        2 is `unbiased` (true): corr. 1
//       var(1, b, k)          dim 1, unbiased = b           var({1}, Scalar(2), k)   correction 2
//       var(x, {1}, 2.0)      2.0 is `unbiased` too         var(int64_t{1})          ambiguous in LibTorch (int/bool)
//    1.13 differs only in missing spellings: no multi-dim braced lists, correction an optional<int64_t>.
//
//  sum / mean:   sum(optional<ScalarType> dtype=nullopt); sum(OptionalIntArrayRef dim, bool keepdim=false, dtype)
//    => sum(1), sum({1}), sum(int64_t{1}) dim 1; sum(1, true) keepdim; sum({0, 1}) both dims (2.x only)
//  prod:         prod(dtype=nullopt); prod(int64_t dim, bool keepdim=false, dtype)     => prod(1), prod({1}) dim 1
//  amax / amin:  amax(IntArrayRef dim={}, bool keepdim=false)                          => amax(1) dim 1, amax() all
//  max / min:    max(); max(int64_t dim, bool keepdim=false) -> (values, indices)      => max(1) is the tuple
//  argmax / argmin: argmax(optional<int64_t> dim=nullopt, bool keepdim=false)          => argmax() flat index
//  norm:         norm(Scalar p=2); norm(optional<Scalar> p, IntArrayRef dim, bool keepdim=false)
//    => norm(1) and norm({1}) are the p = 1 norm of everything (not a dim); norm(2, 1) is dim 1
//  logsumexp:    logsumexp(IntArrayRef dim, bool keepdim=false)                        => logsumexp(1) dim 1
//  all / any:    all(); all(int64_t dim, bool keepdim=false); all(OptionalIntArrayRef dim, bool keepdim=false)
//    => all(1), all({1}) dim 1
//  softmax / log_softmax: softmax(int64_t dim, optional<ScalarType> dtype=nullopt);
//    F::softmax(input, SoftmaxFuncOptions(dim)) with SoftmaxFuncOptions(int64_t) implicit => F::softmax(x, 1) dim 1
//  squeeze(); squeeze(int64_t dim); unsqueeze(int64_t dim); flatten(int64_t start=0, int64_t end=-1);
//    transpose(int64_t dim0, int64_t dim1)
//  tensor(braced values): C++ int and int64_t -> int64; double and float -> the default float32; bool -> bool;
//    uint8_t -> uint8; nested braces -> 2-D of the same dtype
//  scalar_tensor(Scalar s, options={}): the default float32 unless options give a dtype, for any kind of s
//  full(sizes, Scalar fill, options={}): the fill value's kind (int -> int64, double -> float32, bool -> bool)
//  arange(end) / arange(start, end): int64 for integer arguments, float32 when one is floating
//  Optimizer::zero_grad(bool set_to_none=true), Module::zero_grad(bool set_to_none=true): 2.x leaves no .grad;
//    zero_grad(false) keeps every existing .grad as zeros of the same shape. (1.13 had zero_grad() only and it
//    zeroed; reel follows 2.x.)
#include <reel/reel.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <optional>
#include <type_traits>
#include <vector>

using reel::IntList;
using reel::Scalar;
using reel::Tensor;

namespace {

using Sizes = std::vector<int64_t>;

// The probe's input: 3 rows of 4.
const std::vector<std::vector<double>> kX{{1, 2, 4, 8}, {3, 1, 0, 5}, {2, 7, 1, 1}};

Tensor input() { return reel::tensor({{1.0, 2.0, 4.0, 8.0}, {3.0, 1.0, 0.0, 5.0}, {2.0, 7.0, 1.0, 1.0}}, reel::kFloat64); }

// f over each slice of kX that reduces `dim` (0: one value per column, 1: one per row, -1: one over everything).
template <typename F>
std::vector<double> along(int dim, F f) {
  std::vector<double> out;
  if (dim == 1) {
    for (const auto& row : kX) out.push_back(f(row));
  } else if (dim == 0) {
    for (size_t j = 0; j < kX[0].size(); ++j) {
      std::vector<double> column;
      for (const auto& row : kX) column.push_back(row[j]);
      out.push_back(f(column));
    }
  } else {
    std::vector<double> all;
    for (const auto& row : kX) all.insert(all.end(), row.begin(), row.end());
    out.push_back(f(all));
  }
  return out;
}

double ref_var(const std::vector<double>& v, double correction) {
  double mean = 0;
  for (double e : v) mean += e;
  mean /= static_cast<double>(v.size());
  double m2 = 0;
  for (double e : v) m2 += (e - mean) * (e - mean);
  return m2 / std::max(static_cast<double>(v.size()) - correction, 0.0);
}
std::vector<double> var_along(int dim, double correction) {
  return along(dim, [&](const std::vector<double>& v) { return ref_var(v, correction); });
}
std::vector<double> std_along(int dim, double correction) {
  return along(dim, [&](const std::vector<double>& v) { return std::sqrt(ref_var(v, correction)); });
}
std::vector<double> sum_along(int dim) {
  return along(dim, [](const std::vector<double>& v) {
    double s = 0;
    for (double e : v) s += e;
    return s;
  });
}
std::vector<double> pnorm_along(int dim, double p) {
  return along(dim, [&](const std::vector<double>& v) {
    double s = 0;
    for (double e : v) s += std::pow(std::abs(e), p);
    return std::pow(s, 1.0 / p);
  });
}

void check_values(const Tensor& got, std::vector<int64_t> sizes, const std::vector<double>& expected,
                  reel::ScalarType dtype) {
  REQUIRE(got.sizes() == IntList(sizes));
  REQUIRE(got.dtype() == dtype);
  const std::vector<double> values = got.to_vector<double>();
  REQUIRE(values.size() == expected.size());
  for (size_t i = 0; i < values.size(); ++i) {
    INFO("element " << i);
    CHECK(values[i] == Approx(expected[i]).epsilon(1e-12).margin(1e-12));
  }
}

}  // namespace

// One spelling: the expression's result has `sizes`, `dtype` and the reference values.
#define SPELLING(expr, sizes, expected, dtype) \
  do {                                         \
    INFO(#expr);                               \
    check_values(expr, sizes, expected, dtype); \
  } while (false)
#define SPELLING64(expr, sizes, expected) SPELLING(expr, sizes, expected, reel::kFloat64)

// ---- compile time: the overloads LibTorch declares exist with these parameter lists ---------------------------
static_assert(std::is_same_v<decltype(static_cast<Tensor (Tensor::*)(int) const>(&Tensor::var)),
                             Tensor (Tensor::*)(int) const>);
static_assert(std::is_same_v<decltype(static_cast<Tensor (Tensor::*)(int) const>(&Tensor::std)),
                             Tensor (Tensor::*)(int) const>);
static_assert(std::is_same_v<decltype(static_cast<Tensor (Tensor::*)(IntList, std::optional<Scalar>, bool) const>(
                                 &Tensor::var)),
                             Tensor (Tensor::*)(IntList, std::optional<Scalar>, bool) const>);
static_assert(std::is_same_v<decltype(static_cast<Tensor (*)(const Tensor&, bool)>(&reel::var)),
                             Tensor (*)(const Tensor&, bool)>);
static_assert(std::is_same_v<decltype(static_cast<Tensor (*)(const Tensor&, int)>(&reel::var)),
                             Tensor (*)(const Tensor&, int)>);
static_assert(std::is_same_v<decltype(static_cast<Tensor (*)(const Tensor&, IntList, bool, bool)>(&reel::var)),
                             Tensor (*)(const Tensor&, IntList, bool, bool)>);
static_assert(std::is_same_v<decltype(static_cast<Tensor (*)(const Tensor&, IntList, std::optional<Scalar>, bool)>(
                                 &reel::std)),
                             Tensor (*)(const Tensor&, IntList, std::optional<Scalar>, bool)>);
// An integer after a dim list converts to bool by a standard conversion and to optional<Scalar> only by a
// user-defined one, so the `unbiased` overload wins, as in LibTorch (checked by value below as well).
static_assert(std::is_convertible_v<int, bool> && std::is_convertible_v<int, std::optional<Scalar>>);
static_assert(!std::is_convertible_v<Scalar, bool> && !std::is_convertible_v<std::optional<Scalar>, bool>,
              "a Scalar correction must never be read as `unbiased`");
// The spellings of the list that must compile.
static_assert(requires(Tensor x) {
  x.var(1);
  x.var({1});
  x.var({0, 1});
  x.var({1}, 2, true);
  x.var({1}, Scalar(2), true);
  x.std(0);
  reel::var(x, 1);
  reel::var(x, true);
  reel::var(x, {1}, 2, true);
  reel::var(x, {1}, Scalar(2), true);
  reel::std(x, {0, 1}, false);
  x.sum(1);
  x.sum({0, 1});
  x.prod({1});
  x.norm(2, 1);
  x.all({1});
  reel::nn::functional::softmax(x, 1);
});

TEST_CASE("spellings of var and std mean what they mean in LibTorch", "[spellings]") {
  const Tensor x = input();
  // Methods.
  SPELLING64(x.var(), {}, var_along(-1, 1));
  SPELLING64(x.var(1), {3}, var_along(1, 1));
  SPELLING64(x.var(0), {4}, var_along(0, 1));
  SPELLING64(x.var(true), {}, var_along(-1, 1));
  SPELLING64(x.var(false), {}, var_along(-1, 0));
  SPELLING64(x.var({1}), {3}, var_along(1, 1));
  SPELLING64(x.var({0}), {4}, var_along(0, 1));
  SPELLING64(x.var({0, 1}), {}, var_along(-1, 1));
  SPELLING64(x.var({1}, true), {3}, var_along(1, 1));
  SPELLING64(x.var({1}, false), {3}, var_along(1, 0));
  SPELLING64(x.var({1}, false, true), (Sizes{3, 1}), var_along(1, 0));
  SPELLING64(x.var({1}, 2), {3}, var_along(1, 1));
  SPELLING64(x.var({1}, 2, true), (Sizes{3, 1}), var_along(1, 1));
  SPELLING64(x.var({1}, 0, true), (Sizes{3, 1}), var_along(1, 0));
  SPELLING64(x.var({1}, 0), {3}, var_along(1, 0));
  SPELLING64(x.var(1, true), {3}, var_along(1, 1));
  SPELLING64(x.var(1, false, true), (Sizes{3, 1}), var_along(1, 0));
  SPELLING64(x.var(1, 2, true), (Sizes{3, 1}), var_along(1, 1));
  SPELLING64(x.var(IntList{1}), {3}, var_along(1, 1));
  SPELLING64(x.var(std::vector<int64_t>{1}), {3}, var_along(1, 1));
  SPELLING64(x.var(std::vector<int64_t>{0, 1}, 0), {}, var_along(-1, 0));
  SPELLING64(x.var({1}, Scalar(2), true), (Sizes{3, 1}), var_along(1, 2));
  SPELLING64(x.var({1}, std::optional<Scalar>(2), true), (Sizes{3, 1}), var_along(1, 2));
  SPELLING64(x.var({1}, Scalar(0.5)), {3}, var_along(1, 0.5));
  // Free functions.
  SPELLING64(reel::var(x), {}, var_along(-1, 1));
  SPELLING64(reel::var(x, 1), {3}, var_along(1, 1));
  SPELLING64(reel::var(x, 0), {4}, var_along(0, 1));
  SPELLING64(reel::var(x, true), {}, var_along(-1, 1));
  SPELLING64(reel::var(x, false), {}, var_along(-1, 0));
  SPELLING64(reel::var(x, {1}), {3}, var_along(1, 1));
  SPELLING64(reel::var(x, {0}), {4}, var_along(0, 1));
  SPELLING64(reel::var(x, {0, 1}), {}, var_along(-1, 1));
  SPELLING64(reel::var(x, {1}, true), {3}, var_along(1, 1));
  SPELLING64(reel::var(x, {1}, false), {3}, var_along(1, 0));
  SPELLING64(reel::var(x, {1}, false, true), (Sizes{3, 1}), var_along(1, 0));
  SPELLING64(reel::var(x, {1}, 2, true), (Sizes{3, 1}), var_along(1, 1));
  SPELLING64(reel::var(x, {1}, 0, true), (Sizes{3, 1}), var_along(1, 0));
  SPELLING64(reel::var(x, {1}, 2), {3}, var_along(1, 1));
  SPELLING64(reel::var(x, {1}, 3), {3}, var_along(1, 1));
  SPELLING64(reel::var(x, {1}, 2.0, true), (Sizes{3, 1}), var_along(1, 1));
  SPELLING64(reel::var(x, 1, true), {3}, var_along(1, 1));
  SPELLING64(reel::var(x, 1, true, true), (Sizes{3, 1}), var_along(1, 1));
  SPELLING64(reel::var(x, 1, 2, true), (Sizes{3, 1}), var_along(1, 1));
  SPELLING64(reel::var(x, {1}, Scalar(2), true), (Sizes{3, 1}), var_along(1, 2));
  SPELLING64(reel::var(x, {1}, std::optional<Scalar>(2), true), (Sizes{3, 1}), var_along(1, 2));
  // std: the same set.
  SPELLING64(x.std(), {}, std_along(-1, 1));
  SPELLING64(x.std(1), {3}, std_along(1, 1));
  SPELLING64(x.std(0), {4}, std_along(0, 1));
  SPELLING64(x.std(true), {}, std_along(-1, 1));
  SPELLING64(x.std(false), {}, std_along(-1, 0));
  SPELLING64(x.std({1}), {3}, std_along(1, 1));
  SPELLING64(x.std({0}, false), {4}, std_along(0, 0));
  SPELLING64(x.std({1}, true), {3}, std_along(1, 1));
  SPELLING64(x.std({1}, false, true), (Sizes{3, 1}), std_along(1, 0));
  SPELLING64(x.std({1}, 2), {3}, std_along(1, 1));
  SPELLING64(x.std({1}, 2, true), (Sizes{3, 1}), std_along(1, 1));
  SPELLING64(x.std(1, true), {3}, std_along(1, 1));
  SPELLING64(x.std({1}, Scalar(0), true), (Sizes{3, 1}), std_along(1, 0));
  SPELLING64(reel::std(x), {}, std_along(-1, 1));
  SPELLING64(reel::std(x, 1), {3}, std_along(1, 1));
  SPELLING64(reel::std(x, 0), {4}, std_along(0, 1));
  SPELLING64(reel::std(x, true), {}, std_along(-1, 1));
  SPELLING64(reel::std(x, false), {}, std_along(-1, 0));
  SPELLING64(reel::std(x, {1}), {3}, std_along(1, 1));
  SPELLING64(reel::std(x, {1}, true), {3}, std_along(1, 1));
  SPELLING64(reel::std(x, {1}, false, true), (Sizes{3, 1}), std_along(1, 0));
  SPELLING64(reel::std(x, {1}, 2, true), (Sizes{3, 1}), std_along(1, 1));
  SPELLING64(reel::std(x, {1}, 2), {3}, std_along(1, 1));
  SPELLING64(reel::std(x, 1, true), {3}, std_along(1, 1));
  SPELLING64(reel::std(x, {1}, Scalar(2), true), (Sizes{3, 1}), std_along(1, 2));
  SPELLING64(reel::std(x, {0, 1}, false), {}, std_along(-1, 0));
}

TEST_CASE("spellings of the other reductions mean what they mean in LibTorch", "[spellings]") {
  const Tensor x = input();
  const std::vector<double> row_sums = sum_along(1), column_sums = sum_along(0);
  SPELLING64(x.sum(), {}, sum_along(-1));
  SPELLING64(x.sum(1), {3}, row_sums);
  SPELLING64(x.sum({1}), {3}, row_sums);
  SPELLING64(x.sum(int64_t{1}), {3}, row_sums);
  SPELLING64(x.sum(1, true), (Sizes{3, 1}), row_sums);
  SPELLING64(x.sum({1}, true), (Sizes{3, 1}), row_sums);
  SPELLING64(x.sum({0, 1}), {}, sum_along(-1));
  SPELLING64(reel::sum(x, 1), {3}, row_sums);
  SPELLING64(reel::sum(x, {1}, true), (Sizes{3, 1}), row_sums);
  SPELLING64(reel::sum(x, 1, true), (Sizes{3, 1}), row_sums);
  const std::vector<double> row_means{row_sums[0] / 4, row_sums[1] / 4, row_sums[2] / 4};
  SPELLING64(x.mean(), {}, std::vector<double>{sum_along(-1)[0] / 12});
  SPELLING64(x.mean(1), {3}, row_means);
  SPELLING64(x.mean({1}, true), (Sizes{3, 1}), row_means);
  SPELLING64(x.mean({0, 1}), {}, std::vector<double>{sum_along(-1)[0] / 12});
  SPELLING64(reel::mean(x, 1, true), (Sizes{3, 1}), row_means);
  const std::vector<double> row_products = along(1, [](const std::vector<double>& v) {
    double p = 1;
    for (double e : v) p *= e;
    return p;
  });
  SPELLING64(x.prod(), {}, std::vector<double>{0});
  SPELLING64(x.prod(1), {3}, row_products);
  SPELLING64(x.prod({1}), {3}, row_products);
  SPELLING64(x.prod(1, true), (Sizes{3, 1}), row_products);
  SPELLING64(reel::prod(x, 1), {3}, row_products);
  const auto row_max = along(1, [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); });
  const auto row_min = along(1, [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); });
  SPELLING64(x.amax(), {}, std::vector<double>{8});
  SPELLING64(x.amax(1), {3}, row_max);
  SPELLING64(x.amax({1}), {3}, row_max);
  SPELLING64(x.amax(1, true), (Sizes{3, 1}), row_max);
  SPELLING64(reel::amax(x, {0, 1}), {}, std::vector<double>{8});
  SPELLING64(x.amin({1}, true), (Sizes{3, 1}), row_min);
  SPELLING64(x.max(), {}, std::vector<double>{8});
  SPELLING64(std::get<0>(x.max(1)), {3}, row_max);
  SPELLING(std::get<1>(x.max(1)), {3}, (std::vector<double>{3, 3, 1}), reel::kInt64);
  SPELLING64(std::get<0>(reel::max(x, 1, true)), (Sizes{3, 1}), row_max);
  SPELLING(std::get<1>(reel::min(x, 0)), {4}, (std::vector<double>{0, 1, 1, 2}), reel::kInt64);
  SPELLING(x.argmax(), {}, std::vector<double>{3}, reel::kInt64);
  SPELLING(x.argmax(1), {3}, (std::vector<double>{3, 3, 1}), reel::kInt64);
  SPELLING(x.argmin(), {}, std::vector<double>{6}, reel::kInt64);
  SPELLING(reel::argmin(x, 1, true), (Sizes{3, 1}), (std::vector<double>{0, 2, 2}), reel::kInt64);
  // norm: a lone number is p, not a dim.
  SPELLING64(x.norm(), {}, pnorm_along(-1, 2));
  SPELLING64(x.norm(1), {}, pnorm_along(-1, 1));
  SPELLING64(x.norm({1}), {}, pnorm_along(-1, 1));
  SPELLING64(x.norm(2, {1}), {3}, pnorm_along(1, 2));
  SPELLING64(x.norm(2, 1), {3}, pnorm_along(1, 2));
  SPELLING64(x.norm(1, {1}, true), (Sizes{3, 1}), pnorm_along(1, 1));
  SPELLING64(x.norm(2, {0, 1}), {}, pnorm_along(-1, 2));
  SPELLING64(reel::norm(x), {}, pnorm_along(-1, 2));
  SPELLING64(reel::norm(x, 1), {}, pnorm_along(-1, 1));
  SPELLING64(reel::norm(x, 2, 1), {3}, pnorm_along(1, 2));
  SPELLING64(reel::norm(x, 2, {1}, true), (Sizes{3, 1}), pnorm_along(1, 2));
  const auto row_lse = along(1, [](const std::vector<double>& v) {
    double s = 0;
    for (double e : v) s += std::exp(e);
    return std::log(s);
  });
  SPELLING64(x.logsumexp(1), {3}, row_lse);
  SPELLING64(x.logsumexp({1}), {3}, row_lse);
  SPELLING64(x.logsumexp(1, true), (Sizes{3, 1}), row_lse);
  SPELLING64(reel::logsumexp(x, {1}, true), (Sizes{3, 1}), row_lse);
  // all / any: a number is a dim.
  SPELLING(reel::gt(x, 1.5).all(), {}, std::vector<double>{0}, reel::kBool);
  SPELLING(reel::gt(x, 0.5).all(1), {3}, (std::vector<double>{1, 0, 1}), reel::kBool);
  SPELLING(reel::gt(x, 0.5).all({1}), {3}, (std::vector<double>{1, 0, 1}), reel::kBool);
  SPELLING(reel::gt(x, 0.5).all(1, true), (Sizes{3, 1}), (std::vector<double>{1, 0, 1}), reel::kBool);
  SPELLING(reel::all(reel::gt(x, 0.5), 1), {3}, (std::vector<double>{1, 0, 1}), reel::kBool);
  SPELLING(reel::gt(x, 7.5).any(1), {3}, (std::vector<double>{1, 0, 0}), reel::kBool);
  SPELLING(reel::gt(x, 7.5).any(0, true), (Sizes{1, 4}), (std::vector<double>{0, 0, 0, 1}), reel::kBool);
  SPELLING(reel::any(reel::gt(x, 7.5), 1), {3}, (std::vector<double>{1, 0, 0}), reel::kBool);
}

TEST_CASE("spellings of softmax and the shape ops mean what they mean in LibTorch", "[spellings]") {
  namespace F = reel::nn::functional;
  const Tensor x = input();
  std::vector<double> row_softmax, column_softmax;
  for (size_t i = 0; i < kX.size(); ++i) {
    double s = 0;
    for (double e : kX[i]) s += std::exp(e);
    for (double e : kX[i]) row_softmax.push_back(std::exp(e) / s);
  }
  for (size_t i = 0; i < kX.size(); ++i)
    for (size_t j = 0; j < kX[0].size(); ++j) {
      double s = 0;
      for (const auto& row : kX) s += std::exp(row[j]);
      column_softmax.push_back(std::exp(kX[i][j]) / s);
    }
  std::vector<double> row_log_softmax;
  for (double p : row_softmax) row_log_softmax.push_back(std::log(p));
  SPELLING64(x.softmax(1), (Sizes{3, 4}), row_softmax);
  SPELLING64(x.softmax(0), (Sizes{3, 4}), column_softmax);
  SPELLING64(reel::softmax(x, -1), (Sizes{3, 4}), row_softmax);
  SPELLING64(F::softmax(x, 1), (Sizes{3, 4}), row_softmax);
  SPELLING64(F::softmax(x, 0), (Sizes{3, 4}), column_softmax);
  SPELLING64(x.log_softmax(1), (Sizes{3, 4}), row_log_softmax);
  SPELLING64(F::log_softmax(x, 1), (Sizes{3, 4}), row_log_softmax);

  std::vector<double> flat, transposed;
  for (const auto& row : kX) flat.insert(flat.end(), row.begin(), row.end());
  for (size_t j = 0; j < kX[0].size(); ++j)
    for (const auto& row : kX) transposed.push_back(row[j]);
  SPELLING64(x.unsqueeze(0).squeeze(), (Sizes{3, 4}), flat);
  SPELLING64(x.unsqueeze(1).squeeze(1), (Sizes{3, 4}), flat);
  SPELLING64(x.unsqueeze(-1), (Sizes{3, 4, 1}), flat);
  SPELLING64(x.flatten(), {12}, flat);
  SPELLING64(x.unsqueeze(0).flatten(1), (Sizes{1, 12}), flat);
  SPELLING64(x.transpose(0, 1), (Sizes{4, 3}), transposed);
}

TEST_CASE("tensor, scalar_tensor, full and arange pick LibTorch's dtypes", "[spellings]") {
  SPELLING(reel::tensor({1, 2, 3}), {3}, (std::vector<double>{1, 2, 3}), reel::kInt64);
  SPELLING(reel::tensor({int64_t{1}, int64_t{2}}), {2}, (std::vector<double>{1, 2}), reel::kInt64);
  SPELLING(reel::tensor(std::vector<int>{1, 2}), {2}, (std::vector<double>{1, 2}), reel::kInt64);
  SPELLING(reel::tensor({{1, 2}, {3, 4}}), (Sizes{2, 2}), (std::vector<double>{1, 2, 3, 4}), reel::kInt64);
  SPELLING(reel::tensor({1.5, 2.0}), {2}, (std::vector<double>{1.5, 2.0}), reel::kFloat32);
  SPELLING(reel::tensor({1.5f, 2.0f}), {2}, (std::vector<double>{1.5, 2.0}), reel::kFloat32);
  SPELLING(reel::tensor(std::vector<double>{1, 2}), {2}, (std::vector<double>{1, 2}), reel::kFloat32);
  SPELLING(reel::tensor({{1.5, 2.0}, {3.0, 4.0}}), (Sizes{2, 2}), (std::vector<double>{1.5, 2, 3, 4}), reel::kFloat32);
  SPELLING(reel::tensor({true, false}), {2}, (std::vector<double>{1, 0}), reel::kBool);
  SPELLING(reel::tensor({uint8_t{1}, uint8_t{2}}), {2}, (std::vector<double>{1, 2}), reel::kUInt8);
  SPELLING(reel::tensor({1, 2, 3}, reel::kFloat32), {3}, (std::vector<double>{1, 2, 3}), reel::kFloat32);
  SPELLING(reel::tensor({1.5, 2.5}, reel::kFloat64), {2}, (std::vector<double>{1.5, 2.5}), reel::kFloat64);
  SPELLING(reel::scalar_tensor(3), {}, std::vector<double>{3}, reel::kFloat32);
  SPELLING(reel::scalar_tensor(int64_t{3}), {}, std::vector<double>{3}, reel::kFloat32);
  SPELLING(reel::scalar_tensor(2.5), {}, std::vector<double>{2.5}, reel::kFloat32);
  SPELLING(reel::scalar_tensor(true), {}, std::vector<double>{1}, reel::kFloat32);
  SPELLING(reel::scalar_tensor(3, reel::kInt64), {}, std::vector<double>{3}, reel::kInt64);
  SPELLING(reel::full({2}, 3), {2}, (std::vector<double>{3, 3}), reel::kInt64);
  SPELLING(reel::full({2}, 2.5), {2}, (std::vector<double>{2.5, 2.5}), reel::kFloat32);
  SPELLING(reel::full({2}, true), {2}, (std::vector<double>{1, 1}), reel::kBool);
  SPELLING(reel::arange(3), {3}, (std::vector<double>{0, 1, 2}), reel::kInt64);
  SPELLING(reel::arange(0.5, 2), {2}, (std::vector<double>{0.5, 1.5}), reel::kFloat32);
}

namespace {
// Two float64 parameters with gradients from one backward pass of sum(w * [1, 2, 3]) + 4 b.
struct Params {
  Tensor w = reel::zeros({3}, reel::kFloat64).requires_grad_();
  Tensor b = reel::zeros({}, reel::kFloat64).requires_grad_();
  void backward() const { (w * reel::tensor({1.0, 2.0, 3.0}, reel::kFloat64)).sum().add(b * 4).backward(); }
};

void check_zero_grads(const Params& p) {
  REQUIRE(p.w.grad().defined());
  REQUIRE(p.b.grad().defined());
  CHECK(p.w.grad().sizes() == IntList({3}));
  CHECK(p.b.grad().dim() == 0);
  CHECK(p.w.grad().to_vector<double>() == std::vector<double>{0, 0, 0});
  CHECK(p.b.grad().item<double>() == 0);
  CHECK_FALSE(p.w.grad().requires_grad());
}
}  // namespace

TEST_CASE("zero_grad() leaves no gradient and zero_grad(false) keeps zero tensors, as in LibTorch 2.x",
          "[spellings]") {
  SECTION("Optimizer") {
    Params p;
    reel::optim::SGD optimizer({p.w, p.b}, reel::optim::SGDOptions(0.1));
    p.backward();
    optimizer.zero_grad();
    CHECK_FALSE(p.w.grad().defined());
    CHECK_FALSE(p.b.grad().defined());
    p.backward();
    optimizer.zero_grad(false);
    check_zero_grads(p);
    // The kept tensors accumulate the next pass from zero.
    p.backward();
    CHECK(p.w.grad().to_vector<double>() == std::vector<double>{1, 2, 3});
    CHECK(p.b.grad().item<double>() == 4);
  }
  SECTION("Module") {
    reel::nn::Linear linear(3, 1);
    const Tensor x = reel::tensor({{1.0f, 2.0f, 3.0f}});
    linear->forward(x).sum().backward();
    linear->zero_grad();
    for (const Tensor& p : linear->parameters()) CHECK_FALSE(p.grad().defined());
    linear->forward(x).sum().backward();
    linear->zero_grad(false);
    for (const Tensor& p : linear->parameters()) {
      REQUIRE(p.grad().defined());
      CHECK(p.grad().sizes() == p.sizes());
      for (float v : p.grad().to_vector<float>()) CHECK(v == 0.0f);
    }
    linear->forward(x).sum().backward();
    CHECK(linear->weight.grad().to_vector<float>() == std::vector<float>{1, 2, 3});
    CHECK(linear->bias.grad().to_vector<float>() == std::vector<float>{1});
  }
  SECTION("a gradient that another tensor shares is not zeroed through it") {
    // backward(gradient) with a caller-held gradient: zero_grad(false) must not write into the caller's tensor.
    Tensor w = reel::zeros({3}, reel::kFloat64).requires_grad_();
    const Tensor seed = reel::tensor({5.0, 6.0, 7.0}, reel::kFloat64);
    (w * 1.0).backward(seed);
    reel::optim::SGD optimizer({w}, reel::optim::SGDOptions(0.1));
    optimizer.zero_grad(false);
    CHECK(w.grad().to_vector<double>() == std::vector<double>{0, 0, 0});
    CHECK(seed.to_vector<double>() == std::vector<double>{5, 6, 7});
  }
  SECTION("a gradient that came as a broadcast view accumulates elementwise after zero_grad(false)") {
    Tensor w = reel::zeros({3}, reel::kFloat64).requires_grad_();
    w.sum().backward();  // the gradient of a sum is a broadcast of one value
    reel::optim::SGD optimizer({w}, reel::optim::SGDOptions(0.1));
    optimizer.zero_grad(false);
    (w * reel::tensor({1.0, 2.0, 3.0}, reel::kFloat64)).sum().backward();
    CHECK(w.grad().to_vector<double>() == std::vector<double>{1, 2, 3});
  }
}
