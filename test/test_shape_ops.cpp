// reel/test/test_shape_ops.cpp — cat, stack, flip, repeat, tril and triu against naive loops written here.
//
// Inputs are contiguous and strided (transposed, sliced), of several dtypes and of size 0 and 1; every
// PyTorch error rule is checked with its message.
#include <catch2/catch.hpp>
#include <reel/reel.h>

#include <vector>

using namespace reel;

namespace {

using Shape = std::vector<int64_t>;

// The row-major multi-index of `flat` in `shape`.
Shape unravel(int64_t flat, const Shape& shape) {
  Shape index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return index;
}

int64_t ravel(const Shape& index, const Shape& shape) {
  int64_t flat = 0;
  for (size_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + index[d];
  return flat;
}

int64_t numel_of(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

// Distinct values 0, 1, 2, ... in row-major order, so every misplaced element shows.
Tensor iota(const Shape& shape, ScalarType dtype = kFloat32) {
  return arange(numel_of(shape), kFloat64).reshape(shape).to(dtype);
}

// Naive cat of the logical values along dim.
std::vector<double> naive_cat(const std::vector<Tensor>& inputs, int64_t dim, Shape* out_shape) {
  Shape shape = inputs[0].sizes().vec();
  shape[dim] = 0;
  for (const Tensor& t : inputs) shape[dim] += t.size(dim);
  std::vector<double> out(static_cast<size_t>(numel_of(shape)));
  int64_t start = 0;
  for (const Tensor& t : inputs) {
    const Shape ts = t.sizes().vec();
    const std::vector<double> values = t.to_vector<double>();
    for (int64_t i = 0; i < numel_of(ts); ++i) {
      Shape index = unravel(i, ts);
      index[dim] += start;
      out[ravel(index, shape)] = values[i];
    }
    start += t.size(dim);
  }
  *out_shape = shape;
  return out;
}

void check_cat(const std::vector<Tensor>& inputs, int64_t dim) {
  Shape expected_shape;
  const int64_t d = dim < 0 ? dim + inputs[0].dim() : dim;
  const std::vector<double> expected = naive_cat(inputs, d, &expected_shape);
  const Tensor out = cat(inputs, dim);
  REQUIRE(out.sizes() == IntList(expected_shape));
  REQUIRE(out.to_vector<double>() == expected);
}

// Naive triangle: keeps x[..., i, j] where j - i <= k (lower) or j - i >= k (upper).
std::vector<double> naive_triangle(const Tensor& x, int64_t k, bool lower) {
  const Shape shape = x.sizes().vec();
  std::vector<double> values = x.to_vector<double>();
  for (int64_t flat = 0; flat < numel_of(shape); ++flat) {
    const Shape index = unravel(flat, shape);
    const int64_t i = index[shape.size() - 2], j = index[shape.size() - 1];
    const bool keep = lower ? j - i <= k : j - i >= k;
    if (!keep) values[flat] = 0.0;
  }
  return values;
}

// Naive flip over `dims` (already wrapped).
std::vector<double> naive_flip(const Tensor& x, const Shape& dims) {
  const Shape shape = x.sizes().vec();
  const std::vector<double> values = x.to_vector<double>();
  std::vector<double> out(values.size());
  for (int64_t flat = 0; flat < numel_of(shape); ++flat) {
    Shape index = unravel(flat, shape);
    for (int64_t d : dims) index[d] = shape[d] - 1 - index[d];
    out[flat] = values[ravel(index, shape)];
  }
  return out;
}

}  // namespace

TEST_CASE("cat joins along any dim", "[shape]") {
  for (int64_t dim : {0, 1, 2, -1, -3}) {
    INFO("dim " << dim);
    Shape a{2, 3, 4}, b{2, 3, 4}, c{2, 3, 4};
    const int64_t d = dim < 0 ? dim + 3 : dim;
    b[d] = 1;
    c[d] = 5;
    check_cat({iota(a), iota(b) + 100, iota(c) + 200}, dim);
  }
  check_cat({iota({3})}, 0);
  check_cat({iota({1, 1}), iota({1, 1}) + 1}, 1);
}

TEST_CASE("cat copies strided inputs and promotes dtypes", "[shape]") {
  const Tensor transposed = iota({4, 3}).t();             // [3, 4], not contiguous
  const Tensor sliced = iota({3, 8}).slice(1, 0, 8, 2);   // [3, 4], stride 2
  check_cat({transposed, sliced, iota({3, 2})}, 1);
  check_cat({transposed, iota({2, 4})}, 0);

  const Tensor ints = tensor({1, 2}, kInt32);
  const Tensor floats = tensor({0.5});
  const Tensor joined = cat({ints, floats});
  REQUIRE(joined.dtype() == kFloat32);
  REQUIRE(joined.to_vector<float>() == std::vector<float>({1.0f, 2.0f, 0.5f}));
  REQUIRE(cat({tensor({1}, kInt64), tensor({1.5}, kFloat16)}).dtype() == kFloat16);
  REQUIRE(cat({tensor({true}), tensor({7}, kUInt8)}).to_vector<int64_t>() == std::vector<int64_t>({1, 7}));
  REQUIRE(cat({tensor({1.0}, kFloat16), tensor({2.0}, kBFloat16)}).dtype() == kFloat32);
  for (ScalarType dtype : {kFloat64, kInt64, kBool, kBFloat16}) {
    INFO("dtype " << dtype_name(dtype));
    check_cat({iota({2, 2}, dtype), iota({2, 3}, dtype)}, 1);
  }
}

TEST_CASE("cat skips legacy empty tensors and keeps size-0 inputs", "[shape]") {
  const Tensor legacy = empty({0});
  const Tensor out = cat({legacy, iota({2, 3}), legacy, iota({1, 3})}, 0);
  REQUIRE(out.sizes() == IntList({3, 3}));
  REQUIRE(out.to_vector<float>() == std::vector<float>({0, 1, 2, 3, 4, 5, 0, 1, 2}));
  REQUIRE(cat({iota({2, 0}), iota({2, 3})}, 1).sizes() == IntList({2, 3}));
  REQUIRE(cat({iota({0, 3}), iota({0, 3})}, 0).sizes() == IntList({0, 3}));
  REQUIRE(cat({empty({0}), empty({0}, kFloat64)}).sizes() == IntList({0}));
  REQUIRE(cat({empty({0}), empty({0}, kFloat64)}).dtype() == kFloat64);
}

TEST_CASE("cat of many small tensors and of large ones", "[shape]") {
  std::vector<Tensor> rows;
  for (int i = 0; i < 100; ++i) rows.push_back(full({1, 7}, i));
  check_cat(rows, 0);
  check_cat({iota({300, 257}), iota({300, 3}), iota({300, 300}).t()}, 1);
}

TEST_CASE("stack inserts a new dim", "[shape]") {
  const Tensor a = iota({2, 3}), b = iota({2, 3}) + 10;
  const Tensor s0 = stack({a, b});
  REQUIRE(s0.sizes() == IntList({2, 2, 3}));
  check_cat({a.unsqueeze(0), b.unsqueeze(0)}, 0);
  REQUIRE(s0.to_vector<double>() == cat({a, b}).to_vector<double>());
  const Tensor s2 = stack({a, b}, 2);
  REQUIRE(s2.sizes() == IntList({2, 3, 2}));
  REQUIRE(s2.to_vector<float>() == std::vector<float>({0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15}));
  REQUIRE(stack({a, b}, -1).sizes() == IntList({2, 3, 2}));
  REQUIRE(stack({a.t(), b.t()}, 1).sizes() == IntList({3, 2, 2}));
  REQUIRE(stack({scalar_tensor(1.0), scalar_tensor(2.0)}).to_vector<float>() == std::vector<float>({1, 2}));
}

TEST_CASE("flip reverses the given dims", "[shape]") {
  const Tensor x = iota({2, 3, 4});
  for (const Shape& dims : std::vector<Shape>{{0}, {1}, {2}, {0, 2}, {0, 1, 2}, {}}) {
    INFO("dims " << shape_str(dims));
    const Tensor y = flip(x, dims);
    REQUIRE(y.sizes() == x.sizes());
    REQUIRE(y.to_vector<double>() == naive_flip(x, dims));
  }
  REQUIRE(x.flip({-1}).to_vector<double>() == naive_flip(x, {2}));
  const Tensor strided = iota({4, 6}).t().slice(0, 0, 6, 2);  // [3, 4], strided both ways
  REQUIRE(flip(strided, {0, 1}).to_vector<double>() == naive_flip(strided, {0, 1}));
  REQUIRE(flip(iota({3, 2}, kInt64), {0}).to_vector<int64_t>() == std::vector<int64_t>({4, 5, 2, 3, 0, 1}));
  REQUIRE(flip(iota({0, 3}), {0}).sizes() == IntList({0, 3}));
  REQUIRE(flip(scalar_tensor(3.0), {0}).item<float>() == 3.0f);
  const Tensor copy = flip(x, {});
  REQUIRE(copy.data_ptr() != x.data_ptr());
}

TEST_CASE("repeat tiles along every dim", "[shape]") {
  const Tensor x = tensor({{1, 2, 3}, {4, 5, 6}});
  const Tensor r = x.repeat({2, 2});
  REQUIRE(r.sizes() == IntList({4, 6}));
  REQUIRE(r.to_vector<int>() == std::vector<int>({1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6,
                                                  1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6}));
  const Tensor lead = repeat(tensor({1.0, 2.0}), {3, 2});  // a leading dim is added
  REQUIRE(lead.sizes() == IntList({3, 4}));
  REQUIRE(lead.to_vector<float>() == std::vector<float>({1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2}));
  REQUIRE(x.repeat({2, 1, 1}).sizes() == IntList({2, 2, 3}));
  REQUIRE(x.repeat({0, 2}).sizes() == IntList({0, 6}));
  REQUIRE(x.t().repeat({1, 2}).to_vector<int>() == std::vector<int>({1, 4, 1, 4, 2, 5, 2, 5, 3, 6, 3, 6}));
  REQUIRE(scalar_tensor(2.0).repeat({3}).to_vector<float>() == std::vector<float>({2, 2, 2}));
  // The result owns its data, even when every repeat is 1.
  Tensor same = x.repeat({1, 1});
  same.fill_(0);
  REQUIRE(x.to_vector<int>() == std::vector<int>({1, 2, 3, 4, 5, 6}));
}

TEST_CASE("tril and triu keep a triangle around diagonal k", "[shape]") {
  for (const Shape& shape : std::vector<Shape>{{4, 4}, {3, 5}, {5, 2}, {2, 3, 4}, {2, 1, 3, 3}, {1, 1}, {0, 3}, {2, 0, 0}}) {
    for (int64_t k : {-2, -1, 0, 1, 3}) {
      INFO("shape " << shape_str(shape) << " k " << k);
      const Tensor x = iota(shape) + 1;
      REQUIRE(tril(x, k).to_vector<double>() == naive_triangle(x, k, true));
      REQUIRE(triu(x, k).to_vector<double>() == naive_triangle(x, k, false));
    }
  }
  const Tensor t = (iota({3, 4}) + 1).t();  // [4, 3], transposed
  REQUIRE(t.tril().to_vector<double>() == naive_triangle(t, 0, true));
  REQUIRE(t.triu(1).to_vector<double>() == naive_triangle(t, 1, false));
  const Tensor batched = (iota({3, 2, 4}) + 1).permute({1, 0, 2});  // [2, 3, 4], strided batch
  REQUIRE(tril(batched, -1).to_vector<double>() == naive_triangle(batched, -1, true));
  for (ScalarType dtype : {kInt64, kBool, kFloat16, kUInt8, kFloat64}) {
    INFO("dtype " << dtype_name(dtype));
    const Tensor x = iota({3, 3}, dtype);
    REQUIRE(triu(x).dtype() == dtype);
    REQUIRE(triu(x).to_vector<double>() == naive_triangle(x, 0, false));
    REQUIRE(tril(x, 1).to_vector<double>() == naive_triangle(x, 1, true));
  }
}

TEST_CASE("shape op errors follow PyTorch and name the op", "[shape]") {
  using Catch::Contains;
  REQUIRE_THROWS_WITH(cat({}), Contains("cat") && Contains("non-empty"));
  REQUIRE_THROWS_WITH(cat({ones({2, 3}), ones({2, 3, 1})}), Contains("cat") && Contains("same number of dimensions") &&
                                                                  Contains("[2, 3]") && Contains("[2, 3, 1]"));
  REQUIRE_THROWS_WITH(cat({ones({2, 3}), ones({2, 4})}, 0),
                      Contains("cat") && Contains("must match except in dimension 0") && Contains("[2, 4]"));
  REQUIRE_THROWS_WITH(cat({ones({2}), scalar_tensor(1.0)}), Contains("cat") && Contains("zero-dimensional"));
  REQUIRE_THROWS_WITH(cat({ones({2, 3})}, 2), Contains("cat") && Contains("dim 2"));
  REQUIRE_THROWS_WITH(cat({ones({2}), Tensor()}), Contains("cat") && Contains("undefined"));
  REQUIRE_THROWS_WITH(stack({}), Contains("stack") && Contains("non-empty"));
  REQUIRE_THROWS_WITH(stack({ones({2, 3}), ones({3, 2})}),
                      Contains("stack") && Contains("equal size") && Contains("[2, 3]") && Contains("[3, 2]"));
  REQUIRE_THROWS_WITH(stack({ones({2})}, 2), Contains("stack") && Contains("dim 2"));
  REQUIRE_THROWS_WITH(flip(ones({2, 3}), {0, -2}), Contains("flip") && Contains("multiple times"));
  REQUIRE_THROWS_WITH(flip(ones({2, 3}), {2}), Contains("flip") && Contains("dim 2"));
  REQUIRE_THROWS_WITH(ones({2, 3}).repeat({2}), Contains("repeat") && Contains("can not be smaller") && Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(ones({2}).repeat({-1}), Contains("repeat") && Contains("non-negative"));
  REQUIRE_THROWS_WITH(tril(ones({3})), Contains("tril") && Contains("at least 2 dimensions") && Contains("[3]"));
  REQUIRE_THROWS_WITH(triu(scalar_tensor(1.0)), Contains("triu") && Contains("at least 2 dimensions"));
  if (cuda::is_available()) {
    REQUIRE_THROWS_WITH(cat({ones({2}), ones({2}).cuda()}), Contains("cat") && Contains("device"));
  }
}
