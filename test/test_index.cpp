// reel/test/test_index.cpp — index_select, gather, scatter, scatter_add, index_add, one_hot and embedding
// against naive loops written here.
//
// Also: int32 and int64 indices, strided inputs, duplicate indices, empty indices, in-place forms (values and
// version counter), determinism of the accumulating ops across thread counts, and that a bad index throws a
// reel::Error naming the op, the value and the valid range without writing anything.
#include <catch2/catch.hpp>
#include <reel/reel.h>

#include <vector>

using namespace reel;

namespace {

using Shape = std::vector<int64_t>;

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

Tensor iota(const Shape& shape, ScalarType dtype = kFloat32) {
  return arange(numel_of(shape), kFloat64).reshape(shape).to(dtype);
}

// out[..., i, ...] = x[..., index[i], ...]
std::vector<double> naive_index_select(const Tensor& x, int64_t dim, const std::vector<int64_t>& index) {
  Shape shape = x.sizes().vec(), out_shape = shape;
  out_shape[dim] = static_cast<int64_t>(index.size());
  const std::vector<double> values = x.to_vector<double>();
  std::vector<double> out(static_cast<size_t>(numel_of(out_shape)));
  for (int64_t flat = 0; flat < numel_of(out_shape); ++flat) {
    Shape position = unravel(flat, out_shape);
    position[dim] = index[position[dim]];
    out[flat] = values[ravel(position, shape)];
  }
  return out;
}

// out[p] = x[p with p[dim] = index[p]]
std::vector<double> naive_gather(const Tensor& x, int64_t dim, const Tensor& index) {
  const Shape shape = x.sizes().vec(), index_shape = index.sizes().vec();
  const std::vector<double> values = x.to_vector<double>();
  const std::vector<int64_t> indices = index.to_vector<int64_t>();
  std::vector<double> out(indices.size());
  for (int64_t flat = 0; flat < numel_of(index_shape); ++flat) {
    Shape position = unravel(flat, index_shape);
    position[dim] = indices[flat];
    out[flat] = values[ravel(position, shape)];
  }
  return out;
}

// self[p with p[dim] = index[p]] (= or +=) src[p], in index order.
std::vector<double> naive_scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor* src,
                                  double value, bool accumulate) {
  const Shape shape = self.sizes().vec(), index_shape = index.sizes().vec();
  std::vector<double> out = self.to_vector<double>();
  const std::vector<int64_t> indices = index.to_vector<int64_t>();
  const std::vector<double> src_values = src ? src->to_vector<double>() : std::vector<double>();
  const Shape src_shape = src ? src->sizes().vec() : Shape();
  for (int64_t flat = 0; flat < numel_of(index_shape); ++flat) {
    const Shape position = unravel(flat, index_shape);
    const double incoming = src ? src_values[ravel(position, src_shape)] : value;
    Shape target = position;
    target[dim] = indices[flat];
    double& slot = out[ravel(target, shape)];
    slot = accumulate ? slot + incoming : incoming;
  }
  return out;
}

// self[..., index[i], ...] += alpha * source[..., i, ...]
std::vector<double> naive_index_add(const Tensor& self, int64_t dim, const std::vector<int64_t>& index,
                                    const Tensor& source, double alpha) {
  const Shape shape = self.sizes().vec(), source_shape = source.sizes().vec();
  std::vector<double> out = self.to_vector<double>();
  const std::vector<double> values = source.to_vector<double>();
  for (int64_t flat = 0; flat < numel_of(source_shape); ++flat) {
    Shape position = unravel(flat, source_shape);
    position[dim] = index[position[dim]];
    out[ravel(position, shape)] += alpha * values[flat];
  }
  return out;
}

}  // namespace

TEST_CASE("index_select picks slices along any dim", "[index]") {
  const Tensor x = iota({3, 4, 5});
  const std::vector<int64_t> picks = {2, 0, 2, 1};
  for (int64_t dim : {0, 1, 2}) {
    for (ScalarType index_dtype : {kInt64, kInt32}) {
      INFO("dim " << dim << " index " << dtype_name(index_dtype));
      std::vector<int64_t> index = picks;
      for (int64_t& i : index) i = std::min(i, x.size(dim) - 1);
      const Tensor out = index_select(x, dim, tensor(index, kInt64).to(index_dtype));
      REQUIRE(out.to_vector<double>() == naive_index_select(x, dim, index));
    }
  }
  REQUIRE(x.index_select(-1, tensor({4, 0}, kInt64)).sizes() == IntList({3, 4, 2}));
  const Tensor strided = iota({5, 6}).t();  // [6, 5]
  REQUIRE(index_select(strided, 1, tensor({4, 4, 0}, kInt64)).to_vector<double>() ==
          naive_index_select(strided, 1, {4, 4, 0}));
  REQUIRE(index_select(x, 1, empty({0}, kInt64)).sizes() == IntList({3, 0, 5}));
  REQUIRE(index_select(x, 0, scalar_tensor(1, kInt64)).sizes() == IntList({1, 4, 5}));
  REQUIRE(index_select(scalar_tensor(7.0), 0, tensor({0}, kInt64)).item<float>() == 7.0f);
  for (ScalarType dtype : {kInt64, kBool, kFloat16, kFloat64, kUInt8}) {
    INFO("dtype " << dtype_name(dtype));
    const Tensor y = iota({4, 3}, dtype);
    REQUIRE(index_select(y, 0, tensor({3, 1}, kInt64)).to_vector<double>() == naive_index_select(y, 0, {3, 1}));
  }
}

TEST_CASE("gather reads x along dim at the index positions", "[index]") {
  const Tensor x = iota({3, 4});
  const Tensor index = tensor({{0, 3, 3}, {1, 0, 2}}, kInt64);  // smaller than x in dim 0 and dim 1
  REQUIRE(gather(x, 1, index).to_vector<double>() == naive_gather(x, 1, index));
  const Tensor rows = tensor({{2, 0, 1, 1}, {0, 0, 2, 1}}, kInt64);
  REQUIRE(gather(x, 0, rows).to_vector<double>() == naive_gather(x, 0, rows));
  REQUIRE(x.gather(-1, index).sizes() == IntList({2, 3}));

  const Tensor x3 = iota({2, 3, 4});
  for (int64_t dim : {0, 1, 2}) {
    INFO("dim " << dim);
    const Tensor idx = randint(0, x3.size(dim), {2, 2, 3}, kInt64);
    REQUIRE(gather(x3, dim, idx).to_vector<double>() == naive_gather(x3, dim, idx));
    const Tensor strided = x3.permute({2, 1, 0});  // [4, 3, 2]
    const Tensor idx2 = randint(0, strided.size(dim), {3, 3, 2}, kInt64);
    REQUIRE(gather(strided, dim, idx2).to_vector<double>() == naive_gather(strided, dim, idx2));
  }
  REQUIRE(gather(x, 1, empty({3, 0}, kInt64)).sizes() == IntList({3, 0}));
  REQUIRE(gather(scalar_tensor(5.0), 0, scalar_tensor(0, kInt64)).item<float>() == 5.0f);
  REQUIRE(gather(iota({2, 2}, kInt64), 1, tensor({{1}, {0}}, kInt64)).to_vector<int64_t>() == std::vector<int64_t>({1, 2}));
}

TEST_CASE("scatter and scatter_add write src or a value at the index positions", "[index]") {
  const Tensor self = iota({3, 5}) * -1;
  const Tensor index = tensor({{0, 1, 2, 0}, {2, 0, 0, 1}}, kInt64);
  const Tensor src = iota({2, 4}) + 10;
  for (int64_t dim : {0, 1}) {
    INFO("dim " << dim);
    const Tensor idx = dim == 0 ? index : index.clamp(0, 4);
    REQUIRE(scatter(self, dim, idx, src).to_vector<double>() == naive_scatter(self, dim, idx, &src, 0, false));
    REQUIRE(scatter_add(self, dim, idx, src).to_vector<double>() == naive_scatter(self, dim, idx, &src, 0, true));
    REQUIRE(scatter(self, dim, idx, 2.5).to_vector<double>() == naive_scatter(self, dim, idx, nullptr, 2.5, false));
  }
  // src larger than index, strided self and src, 3-D, other dtypes
  const Tensor wide_src = iota({3, 6}) + 100;
  REQUIRE(self.scatter(1, index, wide_src).to_vector<double>() == naive_scatter(self, 1, index, &wide_src, 0, false));
  const Tensor self3 = iota({4, 3, 2}).permute({2, 1, 0});  // [2, 3, 4]
  const Tensor src3 = (iota({4, 3, 2}) + 50).permute({2, 1, 0});
  for (int64_t dim : {0, 1, 2}) {
    INFO("3-D dim " << dim);
    const Tensor idx = randint(0, self3.size(dim), {2, 2, 3}, kInt64);
    REQUIRE(scatter_add(self3, dim, idx, src3).to_vector<double>() == naive_scatter(self3, dim, idx, &src3, 0, true));
  }
  const Tensor ints = zeros({4}, kInt64);
  REQUIRE(ints.scatter_add(0, tensor({1, 1, 3}, kInt64), tensor({5, 6, 7}, kInt64)).to_vector<int64_t>() ==
          std::vector<int64_t>({0, 11, 0, 7}));
  REQUIRE(zeros({3}, kBool).scatter(0, tensor({2}, kInt64), true).to_vector<int>() == std::vector<int>({0, 0, 1}));
  REQUIRE(scatter(self, 0, empty({0, 0}, kInt64), src).to_vector<double>() == self.to_vector<double>());
  // The out-of-place forms leave self alone.
  REQUIRE(self.to_vector<double>() == (iota({3, 5}) * -1).to_vector<double>());
}

TEST_CASE("scatter_, scatter_add_ and index_add_ work in place and bump the version", "[index]") {
  Tensor self = zeros({2, 4});
  const Tensor index = tensor({{3, 0}, {1, 1}}, kInt64);
  const Tensor src = tensor({{1.0, 2.0}, {3.0, 4.0}});
  const Tensor expected_scatter = scatter(self, 1, index, src);
  uint32_t version = self.version();
  Tensor& same = self.scatter_(1, index, src);
  REQUIRE(&same == &self);
  REQUIRE(self.version() > version);
  REQUIRE(self.to_vector<double>() == expected_scatter.to_vector<double>());

  version = self.version();
  self.scatter_add_(1, index, src);
  REQUIRE(self.version() > version);
  REQUIRE(self.to_vector<float>() == std::vector<float>({4, 0, 0, 2, 0, 11, 0, 0}));

  version = self.version();
  self.index_add_(0, tensor({1}, kInt64), ones({1, 4}, kFloat32), 2);
  REQUIRE(self.version() > version);
  REQUIRE(self.to_vector<float>() == std::vector<float>({4, 0, 0, 2, 2, 13, 2, 2}));

  // In place on a strided view writes through to the base tensor.
  Tensor base = zeros({3, 4});
  Tensor column_view = base.t();  // [4, 3]
  column_view.index_add_(1, tensor({2, 0}, kInt32), ones({4, 2}, kFloat32), 3);
  column_view.scatter_(0, tensor({{1, 2, 3}}, kInt64), full({1, 3}, 9.0));
  REQUIRE(base.to_vector<float>() == std::vector<float>({3, 9, 3, 3, 0, 0, 9, 0, 3, 3, 3, 9}));
}

TEST_CASE("in-place index ops refuse a leaf that requires grad, and work under NoGradGuard", "[index]") {
  using Catch::Contains;
  Tensor leaf = zeros({2, 3});
  leaf.requires_grad_(true);
  const Tensor index = tensor({{2}, {0}}, kInt64);
  REQUIRE_THROWS_WITH(leaf.scatter_(1, index, ones({2, 1}, kFloat32)), Contains("scatter_") && Contains("leaf"));
  REQUIRE_THROWS_WITH(leaf.index_add_(0, tensor({1}, kInt64), ones({1, 3}, kFloat32)),
                      Contains("index_add_") && Contains("leaf"));
  REQUIRE(leaf.to_vector<float>() == std::vector<float>(6, 0.0f));
  {
    NoGradGuard no_grad;
    leaf.scatter_add_(1, index, ones({2, 1}, kFloat32));
  }
  REQUIRE(leaf.to_vector<float>() == std::vector<float>({0, 0, 1, 1, 0, 0}));
}

TEST_CASE("index_add adds alpha * source slices at the indices", "[index]") {
  const Tensor self = iota({4, 3, 5});
  for (int64_t dim : {0, 1, 2}) {
    for (ScalarType index_dtype : {kInt64, kInt32}) {
      INFO("dim " << dim << " index " << dtype_name(index_dtype));
      const std::vector<int64_t> index = {0, 2, 0, 1, 2};
      std::vector<int64_t> idx = index;
      for (int64_t& i : idx) i = std::min(i, self.size(dim) - 1);
      Shape source_shape = self.sizes().vec();
      source_shape[dim] = static_cast<int64_t>(idx.size());
      const Tensor source = iota(source_shape) + 0.5;
      const Tensor out = index_add(self, dim, tensor(idx, kInt64).to(index_dtype), source, 2);
      REQUIRE(out.to_vector<double>() == naive_index_add(self, dim, idx, source, 2));
    }
  }
  // A strided (transposed, broadcast) source.
  const Tensor strided_source = (iota({5, 4}) + 1).t().unsqueeze(1).expand({4, 5, 5});
  REQUIRE(self.index_add(1, tensor({1, 1, 1, 0, 2}, kInt64), strided_source).to_vector<double>() ==
          naive_index_add(self, 1, {1, 1, 1, 0, 2}, strided_source, 1));
  REQUIRE(index_add(ones({3}, kInt64), 0, tensor({2, 2}, kInt64), tensor({4, 5}, kInt64), 2).to_vector<int64_t>() ==
          std::vector<int64_t>({1, 1, 19}));
  REQUIRE(index_add(ones({2, 2}, kFloat32), 0, empty({0}, kInt64), empty({0, 2})).to_vector<float>() ==
          std::vector<float>(4, 1));
}

TEST_CASE("scatter_add and index_add are deterministic across thread counts", "[index]") {
  const int saved = get_num_threads();
  manual_seed(11);
  const Tensor src = randn({20000, 8});
  const Tensor index = randint(0, 3, {20000, 8}, kInt64);
  const Tensor row_index = randint(0, 3, {20000}, kInt64);
  set_num_threads(1);
  const std::vector<float> scatter_one = zeros({3, 8}).scatter_add(0, index, src).to_vector<float>();
  const std::vector<float> index_add_one = zeros({3, 8}).index_add(0, row_index, src).to_vector<float>();
  set_num_threads(2);
  for (int repeat = 0; repeat < 3; ++repeat) {
    REQUIRE(zeros({3, 8}).scatter_add(0, index, src).to_vector<float>() == scatter_one);
    REQUIRE(zeros({3, 8}).index_add(0, row_index, src).to_vector<float>() == index_add_one);
  }
  set_num_threads(saved);
}

TEST_CASE("one_hot and embedding", "[index]") {
  const Tensor classes = tensor({2, 0, 1, 2}, kInt64);
  const Tensor hot = one_hot(classes);
  REQUIRE(hot.dtype() == kInt64);
  REQUIRE(hot.sizes() == IntList({4, 3}));
  REQUIRE(hot.to_vector<int64_t>() == std::vector<int64_t>({0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}));
  REQUIRE(one_hot(classes, 5).sizes() == IntList({4, 5}));
  REQUIRE(one_hot(tensor({{1, 0}}, kInt64), 2).to_vector<int64_t>() == std::vector<int64_t>({0, 1, 1, 0}));
  REQUIRE(one_hot(empty({0}, kInt64), 3).sizes() == IntList({0, 3}));
  REQUIRE(one_hot(scalar_tensor(1, kInt64), 2).to_vector<int64_t>() == std::vector<int64_t>({0, 1}));

  const Tensor weight = iota({5, 3});
  for (ScalarType index_dtype : {kInt64, kInt32}) {
    const Tensor index = tensor({{4, 0, 1}, {1, 1, 3}}, kInt64).to(index_dtype);
    const Tensor rows = embedding(weight, index);
    REQUIRE(rows.sizes() == IntList({2, 3, 3}));
    REQUIRE(rows.to_vector<double>() == naive_index_select(weight, 0, {4, 0, 1, 1, 1, 3}));
  }
  REQUIRE(embedding(weight, scalar_tensor(2, kInt64)).to_vector<float>() == std::vector<float>({6, 7, 8}));
  REQUIRE(embedding(weight.t().t(), empty({2, 0}, kInt64)).sizes() == IntList({2, 0, 3}));
}

TEST_CASE("index op errors name the op, the bad value and the valid range", "[index]") {
  using Catch::Contains;
  const Tensor x = iota({3, 4});
  REQUIRE_THROWS_WITH(index_select(x, 0, tensor({0, 3}, kInt64)),
                      Contains("index_select") && Contains("index 3") && Contains("[0, 3)"));
  REQUIRE_THROWS_WITH(index_select(x, 1, tensor({-1}, kInt32)),
                      Contains("index_select") && Contains("index -1") && Contains("[0, 4)"));
  REQUIRE_THROWS_WITH(index_select(x, 0, tensor({0.0})), Contains("index_select") && Contains("int64") && Contains("float32"));
  REQUIRE_THROWS_WITH(index_select(x, 0, tensor({{0}}, kInt64)), Contains("index_select") && Contains("1-D"));
  REQUIRE_THROWS_WITH(index_select(x, 2, tensor({0}, kInt64)), Contains("index_select") && Contains("dim 2"));

  REQUIRE_THROWS_WITH(gather(x, 1, tensor({{4}}, kInt64)), Contains("gather") && Contains("index 4") && Contains("[0, 4)"));
  REQUIRE_THROWS_WITH(gather(x, 0, tensor({{-1}}, kInt64)), Contains("gather") && Contains("index -1"));
  REQUIRE_THROWS_WITH(gather(x, 1, tensor({0}, kInt64)), Contains("gather") && Contains("same number of dimensions"));
  REQUIRE_THROWS_WITH(gather(x, 1, tensor({{0}}, kInt32)), Contains("gather") && Contains("int64"));
  REQUIRE_THROWS_WITH(gather(x, 1, zeros({4, 1}, kInt64)), Contains("gather") && Contains("[4, 1]") && Contains("[3, 4]"));

  // A bad index is found before anything is written.
  Tensor target = zeros({2, 3});
  REQUIRE_THROWS_WITH(target.scatter_(1, tensor({{0, 1, 3}}, kInt64), ones({1, 3}, kFloat32)),
                      Contains("scatter") && Contains("index 3") && Contains("[0, 3)"));
  REQUIRE(target.to_vector<float>() == std::vector<float>(6, 0.0f));
  REQUIRE_THROWS_WITH(target.scatter_add_(0, tensor({{1, 2}}, kInt64), ones({1, 2}, kFloat32)),
                      Contains("scatter_add") && Contains("index 2") && Contains("[0, 2)"));
  REQUIRE(target.to_vector<float>() == std::vector<float>(6, 0.0f));
  REQUIRE_THROWS_WITH(target.index_add_(0, tensor({0, 5}, kInt64), ones({2, 3}, kFloat32)),
                      Contains("index_add") && Contains("index 5") && Contains("[0, 2)"));
  REQUIRE(target.to_vector<float>() == std::vector<float>(6, 0.0f));

  REQUIRE_THROWS_WITH(scatter(x, 1, tensor({{0}}, kInt64), ones({1, 1}, kFloat64)), Contains("scatter") && Contains("dtype"));
  REQUIRE_THROWS_WITH(scatter(x, 1, zeros({1, 2}, kInt64), ones({1, 1}, kFloat32)), Contains("scatter") && Contains("src"));
  REQUIRE_THROWS_WITH(scatter(x, 1, zeros({4, 1}, kInt64), ones({4, 1}, kFloat32)), Contains("scatter") && Contains("self"));
  REQUIRE_THROWS_WITH(scatter_add(x, 1, zeros({1, 1}, kInt32), ones({1, 1}, kFloat32)), Contains("scatter_add") && Contains("int64"));
  REQUIRE_THROWS_WITH(index_add(x, 0, tensor({0}, kInt64), ones({2, 4}, kFloat32)), Contains("index_add") && Contains("number of indices"));
  REQUIRE_THROWS_WITH(index_add(x, 0, tensor({0}, kInt64), ones({1, 3}, kFloat32)), Contains("index_add") && Contains("[1, 3]"));
  REQUIRE_THROWS_WITH(index_add(x, 0, tensor({0}, kInt64), ones({1, 4}, kFloat64)), Contains("index_add") && Contains("dtype"));
  REQUIRE_THROWS_WITH(index_add(zeros({2}, kInt64), 0, tensor({0}, kInt64), ones({1}, kInt64), 0.5),
                      Contains("index_add") && Contains("alpha"));

  REQUIRE_THROWS_WITH(one_hot(tensor({0, 3}, kInt64), 3), Contains("one_hot") && Contains("smaller than num_classes"));
  REQUIRE_THROWS_WITH(one_hot(tensor({-1}, kInt64), 3), Contains("one_hot") && Contains("non-negative"));
  REQUIRE_THROWS_WITH(one_hot(tensor({1}, kInt32)), Contains("one_hot") && Contains("int64"));
  REQUIRE_THROWS_WITH(one_hot(empty({0}, kInt64)), Contains("one_hot") && Contains("empty"));

  REQUIRE_THROWS_WITH(embedding(ones({4}, kFloat32), tensor({0}, kInt64)), Contains("embedding") && Contains("2-D"));
  REQUIRE_THROWS_WITH(embedding(ones({4, 2}, kFloat32), tensor({0.0})), Contains("embedding") && Contains("int64"));
  REQUIRE_THROWS_WITH(embedding(ones({4, 2}, kFloat32), tensor({4}, kInt64)), Contains("index 4") && Contains("[0, 4)"));
  if (cuda::is_available()) {
    REQUIRE_THROWS_WITH(index_select(x, 0, tensor({0}, kInt64).cuda()), Contains("index_select") && Contains("device"));
  }
}
