// reel/test/test_sparse_grad.cpp — sparse tensors and the row-sparse gradient of a sparse embedding
// (Note [Row-sparse gradients]): the tensor itself (sparse_coo_tensor, coalesce, to_dense, the elementwise cases
// PyTorch defines, the errors of every other op), then the gradient the engine makes (one pass, two passes with
// repeated indices, padding_idx, a weight also used densely, hooks, autograd::grad, zero_grad, create_graph).
// Expected values are worked by hand or come from the dense embedding's gradient in float64.
#include "autograd_test_utils.h"

using autograd_test::error_of;
using reel::Tensor;
namespace nn = reel::nn;
namespace F = reel::nn::functional;

namespace {

const reel::TensorOptions kF64 = reel::TensorOptions(reel::kFloat64);

Tensor rows_tensor(std::vector<int64_t> rows) {
  const int64_t n = static_cast<int64_t>(rows.size());
  return reel::tensor(rows, reel::kInt64).reshape({1, n});
}

void require_equal(const Tensor& actual, const Tensor& expected, double tolerance = 0.0) {
  REQUIRE(actual.defined());
  REQUIRE_FALSE(actual.is_sparse());
  REQUIRE(actual.sizes() == expected.sizes());
  const double error = actual.numel() == 0 ? 0.0 : (actual - expected).abs().max().item<double>();
  INFO("max |actual - expected| = " << error);
  REQUIRE(error <= tolerance);
}

// A 3 x 2 sparse tensor holding rows 2, 0, 2 (row 2 twice).
Tensor example_sparse() {
  const Tensor values = reel::tensor({{1.0, 2.0}, {3.0, 4.0}, {10.0, 20.0}}, reel::kFloat64);
  return reel::sparse_coo_tensor(rows_tensor({2, 0, 2}), values, {3, 2});
}

}  // namespace

TEST_CASE("sparse tensors: construction, accessors, coalesce and to_dense", "[sparse]") {
  const Tensor s = example_sparse();
  REQUIRE(s.is_sparse());
  REQUIRE(s.layout() == reel::kSparse);
  REQUIRE(s.sizes() == reel::IntList({3, 2}));
  REQUIRE(s.dtype() == reel::kFloat64);
  REQUIRE(s._nnz() == 3);
  REQUIRE(s.sparse_dim() == 1);
  REQUIRE(s.dense_dim() == 1);
  REQUIRE_FALSE(s.is_coalesced());
  REQUIRE(s._indices().to_vector<int64_t>() == std::vector<int64_t>{2, 0, 2});
  REQUIRE(s._values().to_vector<double>() == std::vector<double>{1, 2, 3, 4, 10, 20});
  // value: row 0 = (3, 4), row 1 = 0, row 2 = (1, 2) + (10, 20)
  require_equal(s.to_dense(), reel::tensor({{3.0, 4.0}, {0.0, 0.0}, {11.0, 22.0}}, reel::kFloat64));
  // printed as PyTorch 2.x prints a sparse COO tensor (names without "torch.", as reel prints dtypes)
  REQUIRE(s.str() ==
          "tensor(indices=tensor([[2, 0, 2]]),\n"
          "       values=tensor([[ 1.,  2.],\n"
          "                      [ 3.,  4.],\n"
          "                      [10., 20.]]),\n"
          "       size=(3, 2), nnz=3, dtype=float64, layout=sparse_coo)");
  const Tensor c = s.coalesce();
  REQUIRE(c.is_coalesced());
  REQUIRE(c.indices().to_vector<int64_t>() == std::vector<int64_t>{0, 2});
  REQUIRE(c.values().to_vector<double>() == std::vector<double>{3, 4, 11, 22});
  REQUIRE(c.coalesce().is_same(c));
  require_equal(c.to_dense(), s.to_dense());
  const Tensor dense = reel::ones({2}, kF64);
  REQUIRE_FALSE(dense.is_sparse());
  REQUIRE(dense.layout() == reel::kStrided);
  REQUIRE(dense.to_dense().is_same(dense));
  REQUIRE(dense.sparse_dim() == 0);
  // A 1-D sparse tensor (values of shape [nnz]) and an empty one.
  const Tensor v = reel::sparse_coo_tensor(rows_tensor({1, 1}), reel::tensor({2.5, 0.5}, reel::kFloat64), {3});
  require_equal(v.to_dense(), reel::tensor({0.0, 3.0, 0.0}, reel::kFloat64));
  const Tensor none = reel::sparse_coo_tensor(reel::zeros({1, 0}, reel::kInt64), reel::zeros({0, 2}, kF64), {4, 2});
  require_equal(none.to_dense(), reel::zeros({4, 2}, kF64));
  REQUIRE(none.coalesce()._nnz() == 0);
}

TEST_CASE("sparse tensors: the elementwise cases PyTorch defines", "[sparse]") {
  const Tensor s = example_sparse();
  const Tensor d = reel::tensor({{1.0, 1.0}, {2.0, 2.0}, {3.0, 3.0}}, reel::kFloat64);
  SECTION("dense + alpha * sparse is dense, in and out of place") {
    require_equal(d + s, d + s.to_dense());
    require_equal(reel::add(d, s, 0.5), d + s.to_dense() * 0.5);
    require_equal(d - s, d - s.to_dense());
    Tensor target = d.clone();
    target.add_(s, -2.0);
    require_equal(target, d - s.to_dense() * 2.0);
    target.sub_(s);
    require_equal(target, d - s.to_dense() * 3.0);
    // recorded for the dense operand: d(x + 2 s)/dx = 1
    const Tensor x = d.clone().requires_grad_();
    (reel::add(x, s, 2.0) * d).sum().backward();
    require_equal(x.grad(), d);
  }
  SECTION("sparse + sparse appends rows; scalar factors scale them") {
    const Tensor sum = s + s * 3.0;
    REQUIRE(sum.is_sparse());
    REQUIRE(sum._nnz() == 6);
    require_equal(sum.to_dense(), s.to_dense() * 4.0);
    Tensor grown = s.clone();
    grown.add_(s, 0.5);
    REQUIRE(grown._nnz() == 6);
    require_equal(grown.to_dense(), s.to_dense() * 1.5);
    require_equal((s / 4.0).to_dense(), s.to_dense() / 4.0);
    require_equal((2.0 * s).to_dense(), s.to_dense() * 2.0);
    require_equal((s * reel::scalar_tensor(3.0, kF64)).to_dense(), s.to_dense() * 3.0);
  }
  SECTION("in-place scaling, zero_, clone and detach") {
    Tensor t = s.clone();
    t.mul_(2.0).div_(4.0);
    require_equal(t.to_dense(), s.to_dense() * 0.5);
    require_equal(s.to_dense(), reel::tensor({{3.0, 4.0}, {0.0, 0.0}, {11.0, 22.0}}, reel::kFloat64));  // clone's own
    const Tensor view = t.detach();
    t.mul_(2.0);
    require_equal(view.to_dense(), t.to_dense());  // detach shares the rows
    const Tensor as_float = s.to(reel::kFloat32);  // to(dtype) keeps it sparse
    REQUIRE(as_float.is_sparse());
    REQUIRE(as_float.dtype() == reel::kFloat32);
    REQUIRE(as_float.to_dense().to_vector<double>() == s.to_dense().to_vector<double>());
    REQUIRE(s.to(reel::kFloat64).is_same(s));
    t.zero_();
    REQUIRE(t.is_sparse());
    REQUIRE(t._nnz() == 0);
    require_equal(t.to_dense(), reel::zeros({3, 2}, kF64));
  }
}

TEST_CASE("sparse tensors: dense ops refuse them by name", "[sparse][errors]") {
  using Catch::Matchers::Contains;
  const Tensor s = example_sparse();
  const Tensor d = reel::ones({3, 2}, kF64);
  REQUIRE_THAT(error_of([&] { (void)s.sum(); }), Contains("sum: not supported for a sparse tensor (shape [3, 2], 3 "
                                                          "rows held); call to_dense()"));
  REQUIRE_THAT(error_of([&] { (void)s.exp(); }), Contains("exp: not supported for a sparse tensor"));
  REQUIRE_THAT(error_of([&] { (void)s.view({6}); }), Contains("view: not supported for a sparse tensor"));
  REQUIRE_THAT(error_of([&] { (void)s.data_ptr(); }), Contains("data_ptr: not supported for a sparse tensor"));
  REQUIRE_THAT(error_of([&] { (void)s.strides(); }), Contains("strides: not supported for a sparse tensor"));
  REQUIRE_THAT(error_of([&] { (void)s.contiguous(); }), Contains("contiguous: not supported for a sparse tensor"));
  REQUIRE_THAT(error_of([&] { (void)reel::matmul(s, d.t()); }), Contains("not supported for a sparse tensor"));
  REQUIRE_THAT(error_of([&] { (void)(s + d); }),
               Contains("add(sparse, dense) is not supported. Use add(dense, sparse) instead"));
  REQUIRE_THAT(error_of([&] { (void)(d * s); }), Contains("mul: not supported with a sparse operand"));
  Tensor t = s.clone();
  REQUIRE_THAT(error_of([&] { t.add_(1.0); }), Contains("add_: not supported for a sparse tensor"));
  REQUIRE_THAT(error_of([&] { t.exp_(); }), Contains("exp_: not supported for a sparse tensor"));
  REQUIRE_THAT(error_of([&] { t.add_(d); }), Contains("add_(sparse, dense) is not supported"));
  REQUIRE_THAT(error_of([&] { (void)(d + reel::sparse_coo_tensor(rows_tensor({0}), reel::ones({1, 3}, kF64),
                                                                 {3, 3})); }),
               Contains("add: expected self and other to have the same size, got [3, 2] (dense) and [3, 3] (sparse)"));
  REQUIRE_THAT(error_of([&] { (void)s.indices(); }),
               Contains("Cannot get indices on an uncoalesced tensor, please call .coalesce() first"));
  REQUIRE_THAT(error_of([&] { (void)d._values(); }), Contains("_values: expected a sparse tensor"));
  // construction
  REQUIRE_THAT(error_of([&] { (void)reel::sparse_coo_tensor(rows_tensor({3}), reel::ones({1, 2}, kF64), {3, 2}); }),
               Contains("size is inconsistent with indices: for dim 0, size is 3 but found index 3"));
  REQUIRE_THAT(error_of([&] { (void)reel::sparse_coo_tensor(rows_tensor({0}), reel::ones({2, 2}, kF64), {3, 2}); }),
               Contains("values of shape [2, 2] do not fit indices of shape [1, 1]"));
  REQUIRE_THAT(error_of([&] {
                 (void)reel::sparse_coo_tensor(reel::zeros({2, 1}, reel::kInt64), reel::ones({1, 2}, kF64), {3, 2});
               }),
               Contains("indices must have shape [1, nnz], got [2, 1]"));
  REQUIRE_THAT(error_of([&] {
                 (void)reel::sparse_coo_tensor(rows_tensor({0}), reel::ones({1, 2}, kF64).requires_grad_(), {3, 2});
               }),
               Contains("carry no autograd history"));
  REQUIRE_THAT(error_of([&] { (void)reel::embedding(d, reel::zeros({2}, reel::kInt64), 0, true); }),
               Contains("embedding: scale_grad_by_freq is not supported"));
}

TEST_CASE("sparse embedding: one pass gives the looked-up rows", "[sparse][autograd]") {
  // w [4, 2]; index [[1, 3], [1, 0]]; loss = sum(embedding * c): the rows of the gradient are c's rows in lookup
  // order, and its value puts c[0][0] + c[1][0] in row 1, c[0][1] in row 3, c[1][1] in row 0, nothing in row 2.
  const Tensor w = reel::randn({4, 2}, kF64).requires_grad_();
  const Tensor index = reel::tensor({{int64_t{1}, int64_t{3}}, {int64_t{1}, int64_t{0}}}, reel::kInt64);
  const Tensor c = reel::tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0}, reel::kFloat64).reshape({2, 2, 2});
  const Tensor y = F::embedding(index, w, std::nullopt, /*sparse=*/true);
  require_equal(y.detach(), reel::embedding(w, index).detach());  // the forward is the dense one
  (y * c).sum().backward();
  const Tensor& g = w.grad();
  REQUIRE(g.is_sparse());
  REQUIRE(g.sizes() == reel::IntList({4, 2}));
  REQUIRE(g._indices().sizes() == reel::IntList({1, 4}));
  REQUIRE(g._indices().dtype() == reel::kInt64);
  REQUIRE(g._indices().to_vector<int64_t>() == std::vector<int64_t>{1, 3, 1, 0});
  REQUIRE(g._values().to_vector<double>() == std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8});
  require_equal(g.to_dense(), reel::tensor({{7.0, 8.0}, {6.0, 8.0}, {0.0, 0.0}, {3.0, 4.0}}, reel::kFloat64));
  // the same as the dense embedding's gradient
  const Tensor w_dense = w.detach().clone().requires_grad_();
  (reel::embedding(w_dense, index) * c).sum().backward();
  require_equal(g.to_dense(), w_dense.grad());
}

TEST_CASE("sparse embedding: gradcheck agrees (float64 finite differences)", "[sparse][autograd]") {
  const Tensor w = reel::randn({5, 3}, kF64).requires_grad_();
  const Tensor index = reel::tensor({{int64_t{4}, int64_t{1}}, {int64_t{4}, int64_t{2}}}, reel::kInt64);
  auto fn = [&](const std::vector<Tensor>& in) {
    // padding row 0 is not looked up: a padding row's gradient is defined as 0, not the derivative
    return F::embedding(index, in[0], /*padding_idx=*/0, /*sparse=*/true).tanh().pow(2).sum();
  };
  REQUIRE_GRADCHECK(fn, std::vector<Tensor>{w});
}

TEST_CASE("sparse embedding: two passes append rows, the value is the dense sum", "[sparse][autograd]") {
  reel::manual_seed(11);
  nn::Embedding sparse_table(nn::EmbeddingOptions(20, 3).sparse(true));
  nn::Embedding dense_table(20, 3);
  sparse_table->weight.set_data(sparse_table->weight.detach().to(reel::kFloat64));
  dense_table->weight.set_data(sparse_table->weight.detach().clone());
  REQUIRE(sparse_table->sparse);
  REQUIRE(sparse_table->extra_repr() == "20, 3, sparse=True");
  const Tensor first = reel::tensor({int64_t{2}, int64_t{5}, int64_t{2}}, reel::kInt64);
  const Tensor second = reel::tensor({{int64_t{5}, int64_t{0}}, {int64_t{2}, int64_t{2}}}, reel::kInt64);
  auto loss = [](nn::Embedding& table, const Tensor& ids) { return table(ids).pow(2).sum() * 0.5 + table(ids).sum(); };
  loss(sparse_table, first).backward();
  const Tensor grad_after_one = sparse_table->weight.grad();
  REQUIRE(grad_after_one._nnz() == 6);  // two lookups of three rows each
  loss(sparse_table, second).backward();
  const Tensor& g = sparse_table->weight.grad();
  REQUIRE(g.is_same(grad_after_one));  // accumulated in place
  REQUIRE(g._nnz() == 6 + 8);
  REQUIRE_FALSE(g.is_coalesced());
  loss(dense_table, first).backward();
  loss(dense_table, second).backward();
  require_equal(g.to_dense(), dense_table->weight.grad(), 1e-12);
  require_equal(g.coalesce().to_dense(), dense_table->weight.grad(), 1e-12);
  REQUIRE(g.coalesce().indices().to_vector<int64_t>() == std::vector<int64_t>{0, 2, 5});
  // by hand for row 0, met once (second pass): w from the squares' half, 1 from the plain sum
  const Tensor w0 = sparse_table->weight.detach()[0];
  require_equal(g.to_dense()[0], w0 + 1.0, 1e-12);
  require_equal(g.to_dense()[1], reel::zeros({3}, kF64));
  // zero_grad(false) keeps a sparse gradient without rows; zero_grad() drops it
  sparse_table->zero_grad(/*set_to_none=*/false);
  REQUIRE(sparse_table->weight.grad().is_sparse());
  REQUIRE(sparse_table->weight.grad()._nnz() == 0);
  loss(sparse_table, first).backward();
  REQUIRE(sparse_table->weight.grad()._nnz() == 6);
  sparse_table->zero_grad();
  REQUIRE_FALSE(sparse_table->weight.grad().defined());
}

TEST_CASE("sparse embedding: a .grad holding more rows than the table is coalesced", "[sparse][autograd]") {
  // 3 rows, 4 lookups per pass: the first pass's gradient is kept as made (4 rows held), the second append would
  // hold 8 > 3, so the rows are summed (same value, memory bounded by the dense size).
  const Tensor w = reel::randn({3, 2}, kF64).requires_grad_();
  const Tensor index = reel::tensor({int64_t{2}, int64_t{0}, int64_t{2}, int64_t{2}}, reel::kInt64);
  const Tensor c = reel::tensor({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}, {7.0, 8.0}}, reel::kFloat64);
  (F::embedding(index, w, std::nullopt, true) * c).sum().backward();
  REQUIRE(w.grad()._nnz() == 4);
  (F::embedding(index, w, std::nullopt, true) * c).sum().backward();
  REQUIRE(w.grad().is_coalesced());
  REQUIRE(w.grad().indices().to_vector<int64_t>() == std::vector<int64_t>{0, 2});
  // row 0: 2 (3, 4); row 2: 2 ((1, 2) + (5, 6) + (7, 8))
  require_equal(w.grad().to_dense(), reel::tensor({{6.0, 8.0}, {0.0, 0.0}, {26.0, 32.0}}, reel::kFloat64));
}

TEST_CASE("sparse embedding: padding_idx rows are left out, as PyTorch's", "[sparse][autograd]") {
  const Tensor w = reel::randn({5, 2}, kF64).requires_grad_();
  const Tensor index = reel::tensor({int64_t{4}, int64_t{1}, int64_t{4}, int64_t{3}}, reel::kInt64);
  F::embedding(index, w, /*padding_idx=*/-1, /*sparse=*/true).sum().backward();
  REQUIRE(w.grad()._indices().to_vector<int64_t>() == std::vector<int64_t>{1, 3});
  require_equal(w.grad().to_dense(),
                reel::tensor({{0.0, 0.0}, {1.0, 1.0}, {0.0, 0.0}, {1.0, 1.0}, {0.0, 0.0}}, reel::kFloat64));
  // the dense path gives the padding row nothing too, and the output keeps the padding row's values
  const Tensor dense = w.detach().clone().requires_grad_();
  const Tensor y = F::embedding(index, dense, 4);
  require_equal(y[0].detach(), dense.detach()[4]);
  y.sum().backward();
  require_equal(dense.grad(), w.grad().to_dense());
  // every position padding: a sparse gradient without rows
  const Tensor only_padding = reel::randn({5, 2}, kF64).requires_grad_();
  F::embedding(reel::tensor({int64_t{0}, int64_t{0}}, reel::kInt64), only_padding, 0, true).sum().backward();
  REQUIRE(only_padding.grad().is_sparse());
  REQUIRE(only_padding.grad()._nnz() == 0);
}

TEST_CASE("sparse embedding: a dense contribution makes the gradient dense", "[sparse][autograd]") {
  Tensor w = reel::randn({4, 3}, kF64).requires_grad_();
  const Tensor index = reel::tensor({int64_t{0}, int64_t{2}, int64_t{0}}, reel::kInt64);
  const Tensor x = reel::randn({2, 3}, kF64);
  auto loss = [&](bool sparse) {
    return F::embedding(index, w, std::nullopt, sparse).pow(2).sum() + reel::matmul(x, w.t()).sum();
  };
  loss(false).backward();
  const Tensor expected = w.grad().clone();
  w.mutable_grad() = Tensor();
  loss(true).backward();
  REQUIRE_FALSE(w.grad().is_sparse());
  require_equal(w.grad(), expected, 1e-12);
  // a sparse .grad plus a dense pass: dense (PyTorch's AccumulateGrad: new_grad + variable_grad)
  w.mutable_grad() = Tensor();
  F::embedding(index, w, std::nullopt, true).pow(2).sum().backward();
  REQUIRE(w.grad().is_sparse());
  reel::matmul(x, w.t()).sum().backward();
  REQUIRE_FALSE(w.grad().is_sparse());
  require_equal(w.grad(), expected, 1e-12);
  // a dense .grad plus a sparse pass: the rows are added into it
  w.mutable_grad() = Tensor();
  reel::matmul(x, w.t()).sum().backward();
  F::embedding(index, w, std::nullopt, true).pow(2).sum().backward();
  REQUIRE_FALSE(w.grad().is_sparse());
  require_equal(w.grad(), expected, 1e-12);
}

TEST_CASE("sparse embedding: hooks, autograd::grad and create_graph", "[sparse][autograd]") {
  const Tensor w = reel::randn({4, 2}, kF64).requires_grad_();
  const Tensor index = reel::tensor({int64_t{3}, int64_t{3}}, reel::kInt64);
  SECTION("a leaf hook sees the pass's sparse gradient and may replace it") {
    int64_t seen_rows = -1;
    w.register_hook([&](const Tensor& g) {
      seen_rows = g.is_sparse() ? g._nnz() : -2;
      return g * 2.0;
    });
    F::embedding(index, w, std::nullopt, true).sum().backward();
    REQUIRE(seen_rows == 2);
    REQUIRE(w.grad().is_sparse());
    require_equal(w.grad().to_dense()[3], reel::full({2}, 4.0, kF64));
  }
  SECTION("autograd::grad returns the sparse gradient and leaves .grad alone") {
    const std::vector<Tensor> grads =
        reel::autograd::grad({F::embedding(index, w, std::nullopt, true).sum()}, {w});
    REQUIRE(grads[0].is_sparse());
    require_equal(grads[0].to_dense()[3], reel::full({2}, 2.0, kF64));
    REQUIRE_FALSE(w.grad().defined());
  }
  SECTION("create_graph: the gradient is dense (recorded), as documented") {
    F::embedding(index, w, std::nullopt, true).pow(2).sum().backward({}, std::nullopt, /*create_graph=*/true);
    REQUIRE_FALSE(w.grad().is_sparse());
    require_equal(w.grad().detach()[3], w.detach()[3] * 4.0, 1e-12);
    // .grad's graph refers to w, which holds .grad: a reference cycle, as in PyTorch; break it.
    const_cast<Tensor&>(w).mutable_grad() = Tensor();
  }
}
