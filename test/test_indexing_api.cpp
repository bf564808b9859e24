// reel/test/test_indexing_api.cpp — the Tensor Indexing API (x.index({...}), x.index_put_({...}, v)) against
// PyTorch's indexing rules, plus accessor<T, N>(), InferenceMode and the overloads that have no op-table row of
// their own (where(condition), max / min(other), to(other), scatter with reduce).
//
// The index table runs ~30 expressions over x = arange(120) viewed as [2, 3, 4, 5] (float64), so an element's value
// is its row-major position: each case states the expected shape and, for every result position, the x position
// it must read (written out by hand from PyTorch's rules: integers select, slices slice, None inserts, tensors and
// bools index advanced, their dims in place when adjacent and first otherwise), and whether the result is a view.
#include <catch2/catch.hpp>

#include <functional>

#include "test/autograd_test_utils.h"
#include "test/reference.h"

namespace {

using namespace reel::indexing;  // NOLINT: Slice, None, Ellipsis as LibTorch users write them
using autograd_test::error_of;
using reel::Tensor;
using reel::test::all_indices;
using reel::test::ravel;
using reel::test::Shape;

Tensor i64(std::initializer_list<int64_t> v) { return reel::tensor(v, reel::kInt64); }
Tensor mask(std::initializer_list<bool> v) { return reel::tensor(v, reel::kBool); }

struct IndexCase {
  std::string what;
  std::vector<TensorIndex> index;
  Shape shape;
  std::function<Shape(const Shape& at)> source;  // the x position that result position `at` reads
  bool view;
};

Tensor base_x() { return reel::arange(120, reel::kFloat64).reshape({2, 3, 4, 5}); }

std::vector<IndexCase> index_cases() {
  const Tensor i = i64({1, 0});
  const Tensor j = i64({2, 0, 1});
  const Tensor j2 = i64({2, 1});
  const Tensor k = i64({3, 0});
  const Tensor ii = i64({2, 1}).reshape({2, 1});
  const Tensor kk = i64({0, 3, 1});
  const Tensor m2 = mask({false, true});
  const Tensor m5 = mask({true, false, true, false, true});
  const Tensor m34 = mask({true, false, false, true, false, true, false, false, false, false, true, false}).reshape({3, 4});
  const int64_t m5_at[] = {0, 2, 4};
  const int64_t m34_at[][2] = {{0, 0}, {0, 3}, {1, 1}, {2, 2}};
  auto at = [](std::initializer_list<int64_t> v) { return Shape(v); };
  return {
      {"{0}: select", {0}, {3, 4, 5}, [=](const Shape& o) { return at({0, o[0], o[1], o[2]}); }, true},
      {"{-1}: negative select", {-1}, {3, 4, 5}, [=](const Shape& o) { return at({1, o[0], o[1], o[2]}); }, true},
      {"{0, 1}", {0, 1}, {4, 5}, [=](const Shape& o) { return at({0, 1, o[0], o[1]}); }, true},
      {"{Slice()}", {Slice()}, {2, 3, 4, 5}, [=](const Shape& o) { return o; }, true},
      {"{Slice(1, None)}", {Slice(1, None)}, {1, 3, 4, 5}, [=](const Shape& o) { return at({1 + o[0], o[1], o[2], o[3]}); }, true},
      {"{Slice(), Slice(None, None, 2)}", {Slice(), Slice(None, None, 2)}, {2, 2, 4, 5},
       [=](const Shape& o) { return at({o[0], 2 * o[1], o[2], o[3]}); }, true},
      {"{Ellipsis, 0}", {Ellipsis, 0}, {2, 3, 4}, [=](const Shape& o) { return at({o[0], o[1], o[2], 0}); }, true},
      {"{\"...\", Slice(1, 3)}", {"...", Slice(1, 3)}, {2, 3, 4, 2},
       [=](const Shape& o) { return at({o[0], o[1], o[2], 1 + o[3]}); }, true},
      {"{None}", {None}, {1, 2, 3, 4, 5}, [=](const Shape& o) { return at({o[1], o[2], o[3], o[4]}); }, true},
      {"{Slice(), None, 0}", {Slice(), None, 0}, {2, 1, 4, 5}, [=](const Shape& o) { return at({o[0], 0, o[2], o[3]}); }, true},
      {"{Ellipsis, None}", {Ellipsis, None}, {2, 3, 4, 5, 1}, [=](const Shape& o) { return at({o[0], o[1], o[2], o[3]}); }, true},
      {"{0, Ellipsis, 1}", {0, Ellipsis, 1}, {3, 4}, [=](const Shape& o) { return at({0, o[0], o[1], 1}); }, true},
      {"{Slice(-2, None), Slice(10, 20)}: clamped to empty", {Slice(-2, None), Slice(10, 20)}, {2, 0, 4, 5},
       [=](const Shape& o) { return o; }, true},
      {"{Slice(), Slice(), Slice(-3, None, 2)}", {Slice(), Slice(), Slice(-3, None, 2)}, {2, 3, 2, 5},
       [=](const Shape& o) { return at({o[0], o[1], 1 + 2 * o[2], o[3]}); }, true},
      {"{0-dim int tensor}: select", {reel::scalar_tensor(1, reel::kInt64)}, {3, 4, 5},
       [=](const Shape& o) { return at({1, o[0], o[1], o[2]}); }, true},
      {"{true}", {true}, {1, 2, 3, 4, 5}, [=](const Shape& o) { return at({o[1], o[2], o[3], o[4]}); }, false},
      {"{false}", {false}, {0, 2, 3, 4, 5}, [=](const Shape& o) { return o; }, false},
      {"{Slice(), 0-dim true tensor}", {Slice(), reel::scalar_tensor(true, reel::kBool)}, {2, 1, 3, 4, 5},
       [=](const Shape& o) { return at({o[0], o[2], o[3], o[4]}); }, false},
      {"{i}", {i}, {2, 3, 4, 5}, [=](const Shape& o) { return at({o[0] == 0 ? 1 : 0, o[1], o[2], o[3]}); }, false},
      {"{Slice(), j}", {Slice(), j}, {2, 3, 4, 5},
       [=](const Shape& o) { return at({o[0], std::vector<int64_t>{2, 0, 1}[o[1]], o[2], o[3]}); }, false},
      {"{i, j2}: adjacent", {i, j2}, {2, 4, 5},
       [=](const Shape& o) { return at({o[0] == 0 ? 1 : 0, o[0] == 0 ? 2 : 1, o[1], o[2]}); }, false},
      {"{i, Slice(), k}: separated, index dims first", {i, Slice(), k}, {2, 3, 5},
       [=](const Shape& o) { return at({o[0] == 0 ? 1 : 0, o[1], o[0] == 0 ? 3 : 0, o[2]}); }, false},
      {"{Slice(), ii [2, 1], kk [3]}: broadcast in place", {Slice(), ii, kk}, {2, 2, 3, 5},
       [=](const Shape& o) { return at({o[0], o[1] == 0 ? 2 : 1, std::vector<int64_t>{0, 3, 1}[o[2]], o[3]}); }, false},
      {"{0, Slice(), k}: the integer selects first (not NumPy's rule)", {0, Slice(), k}, {3, 2, 5},
       [=](const Shape& o) { return at({0, o[0], o[1] == 0 ? 3 : 0, o[2]}); }, false},
      {"{i, 0, k}: adjacent once the integer selected", {i, 0, k}, {2, 5},
       [=](const Shape& o) { return at({o[0] == 0 ? 1 : 0, 0, o[0] == 0 ? 3 : 0, o[1]}); }, false},
      {"{i, None, j2}: separated by None", {i, None, j2}, {2, 1, 4, 5},
       [=](const Shape& o) { return at({o[0] == 0 ? 1 : 0, o[0] == 0 ? 2 : 1, o[2], o[3]}); }, false},
      {"{None, i, None}", {None, i, None}, {1, 2, 1, 3, 4, 5},
       [=](const Shape& o) { return at({o[1] == 0 ? 1 : 0, o[3], o[4], o[5]}); }, false},
      {"{m2}: mask over dim 0", {m2}, {1, 3, 4, 5}, [=](const Shape& o) { return at({1, o[1], o[2], o[3]}); }, false},
      {"{Ellipsis, m5}: mask over the last dim", {Ellipsis, m5}, {2, 3, 4, 3},
       [=](const Shape& o) { return at({o[0], o[1], o[2], m5_at[o[3]]}); }, false},
      {"{Slice(), m34}: 2-d mask over dims 1, 2", {Slice(), m34}, {2, 4, 5},
       [=](const Shape& o) { return at({o[0], m34_at[o[1]][0], m34_at[o[1]][1], o[2]}); }, false},
      {"{Slice(), m34, 0}: mask then an integer", {Slice(), m34, 0}, {2, 4},
       [=](const Shape& o) { return at({o[0], m34_at[o[1]][0], m34_at[o[1]][1], 0}); }, false},
      {"{Slice(), Slice(), i64(-1, -4)}: negative index tensor", {Slice(), Slice(), i64({-1, -4})}, {2, 3, 2, 5},
       [=](const Shape& o) { return at({o[0], o[1], o[2] == 0 ? 3 : 0, o[3]}); }, false},
      {"{i.reshape([2, 1]), j2.reshape([1, 2])}: outer product of indices", {i.reshape({2, 1}), j2.reshape({1, 2})},
       {2, 2, 4, 5}, [=](const Shape& o) { return at({o[0] == 0 ? 1 : 0, o[1] == 0 ? 2 : 1, o[2], o[3]}); }, false},
  };
}

TEST_CASE("indexing API: a table of index expressions (shapes, values, views)", "[indexing]") {
  const Tensor x = base_x();
  const std::vector<IndexCase> cases = index_cases();
  REQUIRE(cases.size() >= 25);
  for (const IndexCase& c : cases) {
    INFO(c.what);
    const Tensor out = x.index(c.index);
    REQUIRE(out.sizes() == reel::IntList(c.shape));
    CHECK((out.storage().get() == x.storage().get()) == c.view);
    const std::vector<double> got = out.to_vector<double>();
    const std::vector<Shape> positions = all_indices(c.shape);
    for (size_t p = 0; p < positions.size(); ++p) {
      const double expected = static_cast<double>(ravel(c.source(positions[p]), {2, 3, 4, 5}));
      INFO("result position " << p);
      CHECK(got[p] == expected);
    }
  }
}

TEST_CASE("indexing API: non-contiguous input and CPU-held indices give the same values", "[indexing]") {
  const Tensor x = base_x();
  const Tensor t = x.transpose(1, 3).contiguous().transpose(1, 3);  // same values, other strides
  REQUIRE_FALSE(t.is_contiguous());
  for (const IndexCase& c : index_cases()) {
    INFO(c.what);
    CHECK(reel::equal(t.index(c.index), x.index(c.index)));
  }
}

TEST_CASE("indexing API: index_put_ writes slices, masks and advanced indices", "[indexing]") {
  SECTION("a scalar into a selected row, through the view") {
    Tensor x = reel::zeros({2, 3});
    x.index_put_({0}, 5.0);
    CHECK(x.to_vector<float>() == std::vector<float>{5, 5, 5, 0, 0, 0});
  }
  SECTION("a row broadcast into a column slice") {
    Tensor x = reel::zeros({3, 2});
    x.index_put_({Slice(1, None), Slice()}, reel::tensor({1.0f, 2.0f}));
    CHECK(x.to_vector<float>() == std::vector<float>{0, 0, 1, 2, 1, 2});
  }
  SECTION("leading size-1 dims of the value are dropped, and its dtype is cast") {
    Tensor x = reel::zeros({2, 3}, reel::kInt64);
    x.index_put_({1}, reel::ones({1, 3}, reel::kFloat64) * 7);
    CHECK(x.to_vector<int64_t>() == std::vector<int64_t>{0, 0, 0, 7, 7, 7});
  }
  SECTION("a mask") {
    Tensor x = reel::arange(6, reel::kFloat32).reshape({2, 3});
    x.index_put_({x > 2}, -1.0);
    CHECK(x.to_vector<float>() == std::vector<float>{0, 1, 2, -1, -1, -1});
  }
  SECTION("advanced indices with values") {
    Tensor x = reel::zeros({3, 3});
    x.index_put_({i64({0, 2}), i64({1, 0})}, reel::tensor({4.0f, 9.0f}));
    CHECK(x.to_vector<float>() == std::vector<float>{0, 4, 0, 0, 0, 0, 9, 0, 0});
  }
  SECTION("accumulate adds duplicates (list form)") {
    Tensor x = reel::ones({4});
    reel::index_put_(x, {i64({1, 3, 1, 1})}, reel::tensor({1.0f, 2.0f, 3.0f, 4.0f}), true);
    CHECK(x.to_vector<float>() == std::vector<float>{1, 9, 1, 3});
    Tensor y = x.index_put({i64({0})}, reel::tensor({10.0f}), true);
    CHECK(y.to_vector<float>() == std::vector<float>{11, 9, 1, 3});
    CHECK(x.to_vector<float>() == std::vector<float>{1, 9, 1, 3});  // out of place
  }
  SECTION("a strided target") {
    Tensor base = reel::zeros({4, 4});
    Tensor view = base.t();
    view.index_put_({i64({3}), Slice(None, 2)}, 2.0);
    CHECK(base.to_vector<float>() == std::vector<float>{0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0});
  }
  SECTION("a bad index writes nothing") {
    Tensor x = reel::zeros({3});
    CHECK_THROWS_AS(x.index_put_({i64({0, 5})}, 1.0), reel::Error);
    CHECK(x.to_vector<float>() == std::vector<float>{0, 0, 0});
  }
}

TEST_CASE("indexing API: gradients through index and index_put_", "[indexing][gradcheck]") {
  const Tensor x = autograd_test::random_leaf({3, 4, 2});
  const Tensor i = i64({2, 0, 2});
  auto indexed = [&](const std::vector<Tensor>& in) {
    return in[0].index({Slice(1, None), i64({1}), None}) * 2 + in[0].index({i, Slice(), 1}).sum();
  };
  CHECK(reel::autograd::gradcheck(indexed, {x}));
  CHECK(reel::autograd::gradgradcheck(indexed, {x}));
  const Tensor v = autograd_test::random_leaf({2});
  auto written = [&](const std::vector<Tensor>& in) {
    Tensor y = in[0] * 1;  // a non-leaf written in place
    y.index_put_({Slice(), i64({3, 0}), 1}, in[1]);
    return y * y;
  };
  CHECK(reel::autograd::gradcheck(written, {x, v}));
  CHECK(reel::autograd::gradgradcheck(written, {x, v}));
  CHECK(written({x, v}).requires_grad());
}

TEST_CASE("indexing API: errors name the index, dim and size", "[indexing][errors]") {
  const Tensor x = reel::zeros({2, 3});
  CHECK_THAT(error_of([&] { x.index({5}); }), Catch::Contains("index 5 is out of bounds for dimension 0 with size 2"));
  CHECK_THAT(error_of([&] { x.index({Slice(), -4}); }),
             Catch::Contains("index -4 is out of bounds for dimension 1 with size 3"));
  CHECK_THAT(error_of([&] { x.index({i64({0, 7})}); }),
             Catch::Contains("index 7 is out of bounds for dimension 0 with size 2"));
  CHECK_THAT(error_of([&] { x.index({Slice(), i64({-4})}); }),
             Catch::Contains("index -4 is out of bounds for dimension 1 with size 3"));
  CHECK_THAT(error_of([&] { x.index({0, 0, 0}); }), Catch::Contains("too many indices for tensor of dimension 2"));
  CHECK_THAT(error_of([&] { x.index({Ellipsis, "..."}); }), Catch::Contains("single ellipsis"));
  CHECK_THAT(error_of([&] { x.index({mask({true, false, true})}); }),
             Catch::Contains("the shape of the mask [3] at index 0 does not match the shape of the indexed tensor [2, 3]"));
  CHECK_THAT(error_of([&] { x.index({reel::tensor({0.0f})}); }),
             Catch::Contains("tensors used as indices must be long, int, byte or bool tensors"));
  CHECK_THAT(error_of([&] { x.index({i64({0, 1}), i64({0, 1, 2})}); }),
             Catch::Contains("indexing tensors could not be broadcast together with shapes [2], [3]"));
  CHECK_THAT(error_of([&] { x.index(std::vector<TensorIndex>{}); }), Catch::Contains("empty index list"));
  CHECK_THAT(error_of([&] { Slice(0, 3, 0); }), Catch::Contains("step must be greater than zero"));
  CHECK_THAT(error_of([&] { TensorIndex(".."); }), Catch::Contains("ellipsis"));
  Tensor y = reel::zeros({2, 3});
  CHECK_THAT(error_of([&] { y.index_put_({i64({0})}, reel::ones({2})); }),
             Catch::Contains("shape mismatch: value tensor of shape [2] cannot be broadcast to indexing result of "
                             "shape [1, 3]"));
  CHECK_THAT(error_of([&] { reel::index_put_(y, {i64({0})}, reel::ones({3}, reel::kFloat64)); }),
             Catch::Contains("Index put requires the source and destination dtypes match"));
  CHECK_THAT(error_of([&] { reel::index(x, {i64({3})}); }),
             Catch::Contains("index: index 3 is out of bounds for dimension 0 with size 2"));
  CHECK_THAT(error_of([&] { reel::take(x, i64({6})); }),
             Catch::Contains("take: index 6 is out of bounds for dimension 0 with size 6"));
}

TEST_CASE("accessor<T, N>: element access, sizes, strides and misuse", "[indexing][accessor]") {
  Tensor x = reel::arange(6, reel::kFloat32).reshape({2, 3});
  auto a = x.accessor<float, 2>();
  CHECK(a[1][2] == 5.0f);
  a[0][1] = 10.0f;
  CHECK(x.to_vector<float>()[1] == 10.0f);
  CHECK(a.size(0) == 2);
  CHECK(a.sizes() == reel::IntList{2, 3});
  const Tensor t = x.t();
  auto b = t.accessor<float, 2>();
  CHECK(b.strides() == reel::IntList{1, 3});
  CHECK(b[2][1] == 5.0f);
  auto row = b[0];
  CHECK(row[1] == 3.0f);
  auto c = x.accessor<const float, 2>();
  CHECK(c[1][0] == 3.0f);
  CHECK_THAT(error_of([&] { x.accessor<double, 2>(); }), Catch::Contains("expected scalar type float64 but found float32"));
  CHECK_THAT(error_of([&] { x.accessor<float, 3>(); }), Catch::Contains("expected 3 dims but tensor has 2"));
  const Tensor undefined;
  CHECK_THAT(error_of([&] { undefined.accessor<float, 1>(); }), Catch::Contains("accessor"));
}

TEST_CASE("InferenceMode: grad mode off inside, restored after, nests", "[indexing][inference_mode]") {
  const Tensor w = autograd_test::random_leaf({3});
  CHECK_FALSE(reel::InferenceMode::is_enabled());
  {
    reel::InferenceMode guard;
    CHECK(reel::InferenceMode::is_enabled());
    CHECK_FALSE(reel::is_grad_enabled());
    CHECK_FALSE((w * 2).requires_grad());
    {
      reel::InferenceMode off(false);
      CHECK_FALSE(reel::InferenceMode::is_enabled());
      CHECK(reel::is_grad_enabled());
      CHECK((w * 2).requires_grad());
    }
    CHECK(reel::InferenceMode::is_enabled());
    CHECK_FALSE(reel::is_grad_enabled());
  }
  CHECK_FALSE(reel::InferenceMode::is_enabled());
  CHECK(reel::is_grad_enabled());
  CHECK((w * 2).requires_grad());
}

TEST_CASE("where(condition), max / min(other), new_empty, to(other), scatter with reduce", "[indexing]") {
  const Tensor c = mask({true, false, false, true, true, false}).reshape({2, 3});
  const std::vector<Tensor> where = reel::where(c);
  REQUIRE(where.size() == 2);
  CHECK(where[0].to_vector<int64_t>() == std::vector<int64_t>{0, 1, 1});
  CHECK(where[1].to_vector<int64_t>() == std::vector<int64_t>{0, 0, 1});
  CHECK(reel::where(reel::scalar_tensor(true, reel::kBool))[0].to_vector<int64_t>() == std::vector<int64_t>{0});

  const Tensor a = reel::tensor({1.0f, 5.0f, NAN}), b = reel::tensor({3.0f, 2.0f, 0.0f});
  const std::vector<float> max = a.max(b).to_vector<float>(), min = reel::min(a, b).to_vector<float>();
  CHECK((max[0] == 3 && max[1] == 5 && std::isnan(max[2])));
  CHECK((min[0] == 1 && min[1] == 2 && std::isnan(min[2])));

  const Tensor blank = reel::ones({2}, reel::kInt16).t().new_empty({3, 0, 2});
  CHECK((blank.dtype() == reel::kInt16 && blank.sizes() == reel::IntList{3, 0, 2}));
  CHECK(reel::ones({1}).new_empty({2}, reel::kInt64).dtype() == reel::kInt64);

  const Tensor target = reel::zeros({1}, reel::kFloat64);
  const Tensor moved = reel::ones({2}, reel::kInt32).to(target);
  CHECK(moved.dtype() == reel::kFloat64);
  const Tensor same = target.to(target, false, /*copy=*/true);
  CHECK_FALSE(same.is_same(target));

  // PyTorch's documented examples.
  const Tensor src = reel::tensor({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f});
  const Tensor index = i64({0, 1, 0, 1, 2, 1});
  const Tensor input = reel::tensor({1.0f, 2.0f, 3.0f, 4.0f});
  CHECK(input.scatter_reduce(0, index, src, "sum").to_vector<float>() == std::vector<float>{5, 14, 8, 4});
  CHECK(input.scatter_reduce(0, index, src, "sum", false).to_vector<float>() == std::vector<float>{4, 12, 5, 4});
  const Tensor input2 = reel::tensor({5.0f, 4.0f, 3.0f, 2.0f});
  CHECK(input2.scatter_reduce(0, index, src, "amax").to_vector<float>() == std::vector<float>{5, 6, 5, 2});
  CHECK(input2.scatter_reduce(0, index, src, "amax", false).to_vector<float>() == std::vector<float>{3, 6, 5, 2});
  CHECK(input.scatter_reduce(0, index, src, "mean").to_vector<float>() == std::vector<float>{5.0f / 3, 14.0f / 4, 4, 4});
  Tensor full = reel::full({2, 4}, 2.0);
  full.scatter_(1, i64({2, 3}).reshape({2, 1}), reel::full({2, 1}, 1.5), "multiply");
  CHECK(full.to_vector<float>() == std::vector<float>{2, 2, 3, 2, 2, 2, 2, 3});
  CHECK(reel::zeros({3}).scatter(0, i64({1, 1}), 2.0, "add").to_vector<float>() == std::vector<float>{0, 4, 0});
  CHECK_THAT(error_of([&] { input.scatter(0, index, src, "max"); }), Catch::Contains("add or multiply"));
  CHECK_THAT(error_of([&] { input.scatter_reduce(0, index, src, "max"); }),
             Catch::Contains("sum, prod, mean, amax or amin"));
  // integer mean rounds down
  CHECK(reel::tensor({0, 0}, reel::kInt64).scatter_reduce(0, i64({0, 0, 1}), i64({1, 2, -3}), "mean", false)
            .to_vector<int64_t>() == std::vector<int64_t>{1, -3});
}

}  // namespace

namespace {

TEST_CASE("scatter_reduce: gradients of every reduction, with and without self", "[indexing][gradcheck]") {
  reel::manual_seed(7);
  const Tensor x = (reel::rand({3, 4}, reel::kFloat64) + 0.5).detach().requires_grad_();
  const Tensor src = (reel::rand({3, 5}, reel::kFloat64) + 0.5).detach().requires_grad_();
  const Tensor index = reel::tensor({0, 1, 0, 3, 1, 2, 2, 2, 0, 1, 3, 3, 0, 0, 1}, reel::kInt64).reshape({3, 5});
  for (const char* reduce : {"sum", "prod", "mean", "amax", "amin"}) {
    for (bool include_self : {true, false}) {
      INFO(reduce << (include_self ? "" : ", without self"));
      auto f = [&](const std::vector<Tensor>& in) {
        return in[0].scatter_reduce(1, index, in[1], reduce, include_self);
      };
      CHECK(reel::autograd::gradcheck(f, {x, src}));
      CHECK(reel::autograd::gradgradcheck(f, {x, src}));
    }
  }
  // prod with zeros: a single zero of a target gets the product of the others, two zeros give nothing.
  const Tensor zs = reel::tensor({0.0, 2.0, 0.0, 3.0}, reel::kFloat64).requires_grad_();
  const Tensor target = reel::ones({2}, reel::kFloat64);
  target.scatter_reduce(0, reel::tensor({0, 0, 1, 1}, reel::kInt64), zs, "prod").sum().backward();
  CHECK(zs.grad().to_vector<double>() == std::vector<double>{2, 0, 3, 0});
}

}  // namespace
