// reel/test/test_sort_scan.cpp — what the op-table rows of sorting, selection, counting and scans
// (test/op_table_sort.cpp, test/op_table_scan_search.cpp) do not show: LibTorch's overload spellings, the
// errors PyTorch raises, result dtypes, and gradients at special points (NaN in nansum, ties, zeros in cumprod).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include <reel/reel.h>

namespace reel {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor values(std::vector<double> data, std::vector<int64_t> shape, ScalarType dtype = kFloat64) {
  return tensor(data, TensorOptions(kFloat64)).reshape(shape).to(dtype);
}

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("sort: LibTorch's overloads mean what they mean there", "[sort]") {
  const Tensor x = values({3, 1, 2, 0, 5, 4}, {2, 3});
  // sort(x, true) is sort(x, dim = 1): bool converts to the dim before it converts to std::optional<bool>.
  CHECK(std::get<0>(reel::sort(x, true)).to_vector<double>() == std::vector<double>{1, 2, 3, 0, 4, 5});
  CHECK(std::get<0>(x.sort(0, true)).to_vector<double>() == std::vector<double>{3, 5, 4, 0, 1, 2});
  CHECK(std::get<0>(reel::sort(x, std::optional<bool>(true), 1, true)).to_vector<double>() ==
        std::vector<double>{3, 2, 1, 5, 4, 0});
  // argsort(x, true) is the stable overload (dim -1).
  CHECK(reel::argsort(values({1, 0, 1, 0}, {4}), true).to_vector<int64_t>() == std::vector<int64_t>{1, 3, 0, 2});
  CHECK(x.argsort(int64_t{0}).to_vector<int64_t>() == std::vector<int64_t>{1, 0, 0, 0, 1, 1});
  auto [u, inverse, counts] = reel::_unique2(values({2, 1, 2}, {3}), true, true, true);
  CHECK(u.to_vector<double>() == std::vector<double>{1, 2});
  CHECK(inverse.to_vector<int64_t>() == std::vector<int64_t>{1, 0, 1});
  CHECK(counts.to_vector<int64_t>() == std::vector<int64_t>{1, 2});
}

TEST_CASE("sort and selection: PyTorch's picks at ties and NaN", "[sort]") {
  // median is the lower of the two middle values; a NaN makes it NaN (at the first NaN), nanmedian skips NaNs.
  CHECK(reel::median(values({4, 1, 3, 2}, {4})).item<double>() == 2);
  auto [m, at] = reel::median(values({1, kNaN, 3, kNaN}, {1, 4}), 1);
  CHECK(std::isnan(m.item<double>()));
  CHECK(at.item<int64_t>() == 1);
  CHECK(reel::nanmedian(values({1, kNaN, 3, kNaN, 2}, {5})).item<double>() == 2);
  CHECK(std::isnan(reel::median(values({}, {0})).item<double>()));
  // mode: the smallest of the most frequent values, at an index that holds it.
  auto [mode, where] = reel::mode(values({3, 1, 3, 1, 2}, {5}));
  CHECK(mode.item<double>() == 1);
  CHECK((where.item<int64_t>() == 1 || where.item<int64_t>() == 3));
  // topk counts NaN as the largest; sort puts it last ascending.
  CHECK(std::isnan(std::get<0>(reel::topk(values({1, kNaN, 2}, {3}), 1)).item<double>()));
  CHECK(std::get<1>(reel::sort(values({kNaN, 1, 0}, {3}))).to_vector<int64_t>() == std::vector<int64_t>{2, 1, 0});
  // cummax moves to the later index on a tie.
  CHECK(std::get<1>(reel::cummax(values({1, 1, 0, 1}, {4}), 0)).to_vector<int64_t>() ==
        std::vector<int64_t>{0, 1, 1, 3});
}

TEST_CASE("scans and counts: result dtypes", "[scan]") {
  const Tensor ints = values({1, 2, 3}, {3}, kInt32);
  CHECK(reel::cumsum(ints, 0).dtype() == kInt64);
  CHECK(reel::cumprod(ints.to(kBool), 0).dtype() == kInt64);
  CHECK(ints.cumsum(0, kFloat32).dtype() == kFloat32);
  CHECK(reel::sum(ints, kFloat64).dtype() == kFloat64);
  CHECK(reel::sum(ints, {0}, true, kFloat16).dtype() == kFloat16);
  CHECK(reel::mean(ints, kFloat32).item<double>() == 2);
  CHECK(reel::softmax(values({0, 0}, {2}, kFloat16), 0, kFloat32).dtype() == kFloat32);
  CHECK(reel::count_nonzero(values({0, 1, 2, 0}, {2, 2}), IntList{1}).to_vector<int64_t>() ==
        std::vector<int64_t>{1, 1});
  CHECK(reel::bincount(values({0, 2}, {2}, kInt64), values({1, 1}, {2}, kFloat32)).dtype() == kFloat32);
  CHECK(reel::bincount(values({0, 2}, {2}, kInt64), values({1, 1}, {2}, kFloat16)).dtype() == kFloat64);
  CHECK(reel::searchsorted(values({1, 2}, {2}), values({1}, {1}), true).dtype() == kInt32);
}

TEST_CASE("gradients: nansum is 0 at NaN, selections route through the picked index, cumprod through zeros",
          "[scan][sort]") {
  Tensor x = values({1, kNaN, 2}, {3}).set_requires_grad(true);
  reel::nansum(x).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{1, 0, 1});

  Tensor y = values({2, 0, 3, 0}, {4}).set_requires_grad(true);
  reel::cumprod(y, 0).sum().backward();
  // d/dy_k sum_j prod_{i <= j} y_i, by hand: k = 0: 1 + 0 + 0 + 0; k = 1: 2 + 6 + 0; k = 2, 3: 0.
  CHECK(y.grad().to_vector<double>() == std::vector<double>{1, 8, 0, 0});

  Tensor z = values({1, 5, 3}, {3}).set_requires_grad(true);
  std::get<0>(reel::kthvalue(z, 2)).backward();
  CHECK(z.grad().to_vector<double>() == std::vector<double>{0, 0, 1});
  CHECK(std::string(autograd::node_name(std::get<0>(reel::sort(z)).grad_fn())) == "SortBackward");
}

// Values from PyTorch 2.x (torch.unique_consecutive(x, True, True, dim)).
TEST_CASE("unique_consecutive with dim collapses runs of equal slices", "[sort]") {
  const Tensor x = values({1, 1, 2, 2, 1, 1, 3, 3, 1, 1, 3, 3}, {3, 4}, kInt64);
  auto [rows, row_inverse, row_counts] = unique_consecutive(x, true, true, 0);
  CHECK(rows.sizes() == IntList({2, 4}));
  CHECK(rows.to_vector<int64_t>() == std::vector<int64_t>{1, 1, 2, 2, 1, 1, 3, 3});
  CHECK(row_inverse.to_vector<int64_t>() == std::vector<int64_t>{0, 1, 1});
  CHECK(row_counts.to_vector<int64_t>() == std::vector<int64_t>{1, 2});
  auto [cols, col_inverse, col_counts] = x.unique_consecutive(true, true, -1);
  CHECK(cols.sizes() == IntList({3, 2}));
  CHECK(cols.to_vector<int64_t>() == std::vector<int64_t>{1, 2, 1, 3, 1, 3});
  CHECK(col_inverse.to_vector<int64_t>() == std::vector<int64_t>{0, 0, 1, 1});
  CHECK(col_counts.to_vector<int64_t>() == std::vector<int64_t>{2, 2});
  // a run that comes back later is a new run (not unique's sorting); NaN slices never equal each other
  auto [v, inverse, counts] = unique_consecutive(values({1, 2, 2, 1, kNaN, kNaN}, {6}), false, false, 0);
  CHECK(v.numel() == 5);
  CHECK(inverse.to_vector<int64_t>() == std::vector<int64_t>{0, 1, 1, 2, 3, 4});
  CHECK(counts.to_vector<int64_t>() == std::vector<int64_t>{1, 2, 1, 1, 1});
  // a transposed float input and an empty selected dim
  const Tensor t = values({0, 0, 5, 5, 0, 0}, {3, 2}).t();  // [[0, 5, 0], [0, 5, 0]]
  CHECK(std::get<0>(unique_consecutive(t, false, false, 1)).sizes() == IntList({2, 3}));
  CHECK(std::get<0>(unique_consecutive(t, false, false, 0)).sizes() == IntList({1, 3}));
  auto [e, e_inverse, e_counts] = unique_consecutive(zeros({0, 3}), true, true, 0);
  CHECK(e.sizes() == IntList({0, 3}));
  CHECK(e_counts.numel() == 0);
  CHECK_THAT(error_of([&] { unique_consecutive(zeros({2, 0}), true, true, 0); }),
             Catch::Contains("0 sized dimensions, and they aren't selected"));
  CHECK_THAT(error_of([&] { unique_consecutive(values({1}, {}), false, false, 0); }),
             Catch::Contains("tensor has no dimensions"));
  CHECK_THAT(error_of([&] { unique_consecutive(x, false, false, 2); }), Catch::Contains("dim 2 is out of range"));
}

// Values from PyTorch 2.x: searchsorted([3, 1, 2], [2, 0, 5], sorter = [1, 2, 0]) is [1, 0, 3], side "right" [2, 0, 3].
TEST_CASE("searchsorted: side agrees with right, sorter orders an unsorted sequence", "[sort]") {
  const Tensor seq = values({3, 1, 2}, {3}), v = values({2, 0, 5}, {3});
  const Tensor sorter = values({1, 2, 0}, {3}, kInt64);
  CHECK(searchsorted(seq, v, false, false, std::nullopt, sorter).to_vector<int64_t>() == std::vector<int64_t>{1, 0, 3});
  CHECK(searchsorted(seq, v, false, false, "right", sorter).to_vector<int64_t>() == std::vector<int64_t>{2, 0, 3});
  CHECK(searchsorted(seq, v, true, true, "right", sorter).dtype() == kInt32);
  const Tensor sorted = values({1, 2, 2, 3}, {4});
  CHECK(searchsorted(sorted, values({2}, {1}), false, false, "right").to_vector<int64_t>() == std::vector<int64_t>{3});
  CHECK(searchsorted(sorted, values({2}, {1}), false, false, "left").to_vector<int64_t>() == std::vector<int64_t>{1});
  // a 2-D sequence with a sorter per row
  const Tensor rows = values({5, 1, 3, 2, 9, 4}, {2, 3});
  const Tensor row_sorter = values({1, 2, 0, 0, 2, 1}, {2, 3}, kInt64);
  CHECK(searchsorted(rows, values({4, 4}, {2, 1}), false, false, std::nullopt, row_sorter).to_vector<int64_t>() ==
        std::vector<int64_t>{2, 1});
  CHECK_THAT(error_of([&] { searchsorted(sorted, sorted, false, true, "left"); }),
             Catch::Contains("side and right can't be set to opposites"));
  CHECK_THAT(error_of([&] { searchsorted(sorted, sorted, false, false, "middle"); }),
             Catch::Contains("side can only be 'left' or 'right'"));
  CHECK_THAT(error_of([&] { searchsorted(seq, v, false, false, std::nullopt, values({1, 2, 0}, {3}, kInt32)); }),
             Catch::Contains("sorter must be a tensor of long dtype"));
  CHECK_THAT(error_of([&] { searchsorted(seq, v, false, false, std::nullopt, values({1, 0}, {2}, kInt64)); }),
             Catch::Contains("boundary and sorter must have the same size"));
  CHECK_THAT(error_of([&] { searchsorted(seq, v, false, false, std::nullopt, values({1, 3, 0}, {3}, kInt64)); }),
             Catch::Contains("sorter index out of range"));
}

TEST_CASE("sort, selection, counting and scans refuse bad input as PyTorch does", "[sort][scan][errors]") {
  const Tensor x = values({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK_THAT(error_of([&] { reel::topk(x, 4, 1); }), Catch::Contains("topk: selected index k = 4 out of range"));
  CHECK_THAT(error_of([&] { reel::topk(x.to(kBool), 1); }), Catch::Contains("topk: not implemented for bool"));
  CHECK_THAT(error_of([&] { reel::kthvalue(x, 0); }), Catch::Contains("kthvalue(): selected number k = 0 out of range"));
  CHECK_THAT(error_of([&] { reel::sort(x, 2); }), Catch::Contains("sort: dim 2 out of range"));
  CHECK_THAT(error_of([&] { reel::median(zeros({2, 0}), 1); }), Catch::Contains("Expected reduction dim 1 to have non-zero size"));
  CHECK_THAT(error_of([&] { reel::mode(zeros({0}), 0); }), Catch::Contains("mode(): Expected reduction dim 0"));
  CHECK_THAT(error_of([&] { reel::logcumsumexp(x.to(kInt64), 0); }), Catch::Contains("logcumsumexp: expected a floating"));
  CHECK_THAT(error_of([&] { reel::bincount(values({1, -1}, {2}, kInt64)); }),
             Catch::Contains("bincount: input should contain only non-negative values"));
  CHECK_THAT(error_of([&] { reel::bincount(x.to(kInt64)); }), Catch::Contains("bincount: expected a 1-D input"));
  CHECK_THAT(error_of([&] { reel::bincount(values({1}, {1}, kInt64), values({1, 2}, {2})); }),
             Catch::Contains("weights should be 1-d and have the same length"));
  CHECK_THAT(error_of([&] { reel::histc(x, 0); }), Catch::Contains("histc: bins must be > 0"));
  CHECK_THAT(error_of([&] { reel::histc(x, 5, 3, 1); }), Catch::Contains("histc: max must be larger than min"));
  CHECK_THAT(error_of([&] { reel::histc(values({1, kNaN}, {2})); }), Catch::Contains("is not finite"));
  CHECK_THAT(error_of([&] { reel::searchsorted(x, values({1, 2, 3}, {3, 1})); }),
             Catch::Contains("first N-1 dimensions of boundaries tensor and input value tensor must match"));
  CHECK_THAT(error_of([&] { reel::bucketize(values({1}, {1}), x); }),
             Catch::Contains("bucketize: boundaries tensor must be 1 dimension"));
  CHECK_THAT(error_of([&] { reel::aminmax(zeros({0, 2})); }), Catch::Contains("aminmax(): cannot compute aminmax"));
}

}  // namespace reel
