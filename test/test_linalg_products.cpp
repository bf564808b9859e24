// reel/test/test_linalg_products.cpp — the products, diagonal ops, cross, cdist and linalg norms beyond their op-table
// rows: integer products with exact values, the diagonal view (writes through, its gradient added into the
// input's), linalg::norm's choice between vector and matrix norms, PyTorch's documented values for small cases,
// and every kind of misuse as a reel::Error naming the op and the shapes.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "test/autograd_test_utils.h"

using namespace reel;
using Catch::Matchers::Contains;

namespace {

std::vector<double> values_of(const Tensor& t) { return t.to_vector<double>(); }

}  // namespace

TEST_CASE("linalg products: integer dot, mv, addmv, addbmm and tensordot are exact on the CPU", "[linalg_products]") {
  const Tensor v = tensor<int32_t>({1, 2, 3}, kInt32), w = tensor<int32_t>({4, -5, 6}, kInt32);
  CHECK(dot(v, w).dtype() == kInt32);
  CHECK(dot(v, w).item<int64_t>() == 4 - 10 + 18);
  const Tensor m = tensor<int64_t>({{1, 2, 3}, {4, 5, 6}}, kInt64), x = tensor<int64_t>({1, 0, -1}, kInt64);
  CHECK(mv(m, x).to_vector<int64_t>() == std::vector<int64_t>{-2, -2});
  CHECK(addmv(tensor<int64_t>({10, 20}, kInt64), m, x, 2, 3).to_vector<int64_t>() == std::vector<int64_t>{14, 34});
  const Tensor b1 = arange(12, TensorOptions(kInt64)).reshape({2, 2, 3}), b2 = arange(12, TensorOptions(kInt64)).reshape({2, 3, 2});
  // sum over the batch of b1[b] @ b2[b]: [[10, 13], [28, 40]] + [[172, 193], [244, 274]]
  CHECK(addbmm(zeros({2, 2}, kInt64), b1, b2).to_vector<int64_t>() == std::vector<int64_t>{182, 206, 272, 314});
  CHECK(tensordot(b1, b2, {0, 2}, {0, 1}).to_vector<int64_t>() == std::vector<int64_t>{182, 206, 272, 314});
  CHECK(trace(m).dtype() == kInt64);
  CHECK(trace(m).item<int64_t>() == 6);
}

TEST_CASE("linalg products: PyTorch's documented values", "[linalg_products]") {
  // torch.kron example: kron(eye(2), ones(2, 2)) is block diagonal.
  CHECK(values_of(kron(eye(2), ones({2, 2}))) ==
        std::vector<double>{1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1});
  // torch.diag: a vector on the first superdiagonal.
  CHECK(values_of(diag(tensor<float>({1, 2}), 1)) == std::vector<double>{0, 1, 0, 0, 0, 2, 0, 0, 0});
  // cross of the unit vectors: x cross y = z.
  CHECK(values_of(linalg::cross(tensor<float>({1, 0, 0}), tensor<float>({0, 1, 0}))) == std::vector<double>{0, 0, 1});
  // cdist: the 3-4-5 triangle in each norm.
  const Tensor p = tensor<double>({{0, 0}}, kFloat64), q = tensor<double>({{3, 4}}, kFloat64);
  CHECK(cdist(p, q).item<double>() == Approx(5));
  CHECK(cdist(p, q, 1).item<double>() == Approx(7));
  CHECK(cdist(p, q, std::numeric_limits<double>::infinity()).item<double>() == Approx(4));
  CHECK(cdist(p, q, 0).item<double>() == Approx(2));
  CHECK(cdist(p, q, 2, 1).item<double>() == Approx(5));  // through the matrix products
}

TEST_CASE("diagonal: a view that writes through and whose gradient lands on the diagonal", "[linalg_products][views]") {
  Tensor x = zeros({3, 4});
  x.diagonal(1).fill_(7);
  CHECK(values_of(x) == std::vector<double>{0, 7, 0, 0, 0, 0, 7, 0, 0, 0, 0, 7});
  const Tensor leaf = autograd_test::random_leaf({3, 4});
  (leaf.diagonal(-1) * 2).sum().backward();
  CHECK(values_of(leaf.grad()) == std::vector<double>{0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0});
  auto fn = [](const std::vector<Tensor>& in) { return in[0].diagonal(1, 2, 0).diag_embed(0, 0, 1); };
  const std::vector<Tensor> inputs{autograd_test::random_leaf({3, 2, 4})};
  REQUIRE_GRADCHECK(fn, inputs);
  const auto second = autograd::gradgradcheck(fn, inputs);
  INFO(second.message);
  REQUIRE(second.ok);
}

TEST_CASE("linalg::norm picks a vector or a matrix norm as torch.linalg.norm does", "[linalg_products][norms]") {
  const Tensor x = tensor<double>({{1, -2}, {3, -4}}, kFloat64);
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(linalg::norm(x).item<double>() == Approx(std::sqrt(30.0)));               // flattened 2-norm
  CHECK(linalg::norm(x, inf).item<double>() == Approx(7));                          // 2-D + ord: max row sum
  CHECK(linalg::norm(x, 1).item<double>() == Approx(6));                            // max column sum
  CHECK(values_of(linalg::norm(x, inf, IntList{1})) == std::vector<double>{2, 4});  // one dim: vector norm
  CHECK(linalg::norm(x, "fro").item<double>() == Approx(std::sqrt(30.0)));
  CHECK(linalg::matrix_norm(x, -1).item<double>() == Approx(4));
  CHECK(linalg::matrix_norm(x, -inf).item<double>() == Approx(3));
  const Tensor cube = ones({2, 2, 2}, kFloat64);
  CHECK(linalg::norm(cube).item<double>() == Approx(std::sqrt(8.0)));  // no ord, no dim: every element
  CHECK(linalg::vector_norm(cube, 0).item<double>() == 8);
  CHECK(linalg::vector_norm(tensor<float>({3, 4}), 2, std::nullopt, false, kFloat64).dtype() == kFloat64);
}

TEST_CASE("linalg products: misuse throws reel::Error naming the op and the shapes", "[linalg_products][errors]") {
  REQUIRE_THROWS_WITH(dot(ones({2, 2}), ones({2})), Contains("dot") && Contains("1D tensors expected"));
  REQUIRE_THROWS_WITH(dot(ones({2}), ones({3})), Contains("dot") && Contains("[2]") && Contains("[3]"));
  REQUIRE_THROWS_WITH(dot(ones({2}), ones({2}, kFloat64)), Contains("dot") && Contains("same dtype"));
  REQUIRE_THROWS_WITH(vdot(ones({2, 1}), ones({2})), Contains("vdot"));
  REQUIRE_THROWS_WITH(mv(ones({2, 3}), ones({4})), Contains("mv: size mismatch") && Contains("2x3"));
  REQUIRE_THROWS_WITH(mv(ones({2}), ones({2})), Contains("mv") && Contains("mat must be a 2-D"));
  REQUIRE_THROWS_WITH(addmv(ones({3}), ones({2, 3}), ones({3})), Contains("addmv") && Contains("does not broadcast"));
  REQUIRE_THROWS_WITH(addmv(ones({2}, kInt64), ones({2, 3}, kInt64), ones({3}, kInt64), 0.5),
                      Contains("addmv") && Contains("beta"));
  REQUIRE_THROWS_WITH(baddbmm(ones({2, 2, 2}), ones({2, 2, 3}), ones({3, 3, 2})),
                      Contains("baddbmm") && Contains("[2, 2, 3]") && Contains("[3, 3, 2]"));
  REQUIRE_THROWS_WITH(baddbmm(ones({3, 2, 2}), ones({2, 2, 3}), ones({2, 3, 2})),
                      Contains("baddbmm") && Contains("does not broadcast"));
  REQUIRE_THROWS_WITH(addbmm(ones({2, 2}), ones({2, 3}), ones({2, 3, 2})), Contains("addbmm") && Contains("batch1"));
  REQUIRE_THROWS_WITH(tensordot(ones({2, 3}), ones({4, 2}), {1}, {0}),
                      Contains("tensordot") && Contains("contracted dimensions need to match"));
  REQUIRE_THROWS_WITH(tensordot(ones({2, 3}), ones({3, 2}), {1, 0}, {0}), Contains("tensordot") && Contains("same length"));
  REQUIRE_THROWS_WITH(tensordot(ones({2, 2}), ones({2, 2}), {0, 0}, {0, 1}), Contains("tensordot") && Contains("twice"));
  REQUIRE_THROWS_WITH(trace(ones({2, 2, 2})), Contains("trace") && Contains("[2, 2, 2]"));
  REQUIRE_THROWS_WITH(diag(ones({2, 2, 2})), Contains("diag") && Contains("1D or 2D"));
  REQUIRE_THROWS_WITH(ones({3}).diagonal(), Contains("diagonal") && Contains("[3]"));
  REQUIRE_THROWS_WITH(ones({3, 3}).diagonal(0, 1, -1), Contains("diagonal dimensions cannot be identical"));
  REQUIRE_THROWS_WITH(ones({3, 3}).diagonal(0, 0, 2), Contains("diagonal"));
  REQUIRE_THROWS_WITH(diag_embed(ones({3}), 0, 0, -2), Contains("diag_embed") && Contains("cannot be identical"));
  REQUIRE_THROWS_WITH(diag_embed(ones({}), 0), Contains("diag_embed"));
  REQUIRE_THROWS_WITH(linalg::cross(ones({2, 3}), ones({2, 2})), Contains("linalg.cross") && Contains("length 3"));
  REQUIRE_THROWS_WITH(linalg::cross(ones({2, 3}), ones({3})), Contains("linalg.cross") && Contains("same number"));
  REQUIRE_THROWS_WITH(linalg::cross(ones({2, 3}), ones({4, 3})), Contains("linalg.cross") && Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(cross(ones({2, 2}), ones({2, 2})), Contains("cross: no dimension of size 3"));
  REQUIRE_THROWS_WITH(cdist(ones({3}), ones({2, 3})), Contains("cdist") && Contains("at least 2D"));
  REQUIRE_THROWS_WITH(cdist(ones({2, 3}), ones({2, 4})), Contains("cdist") && Contains("same number of columns"));
  REQUIRE_THROWS_WITH(cdist(ones({2, 3}, kInt64), ones({2, 3}, kInt64)), Contains("cdist") && Contains("floating"));
  REQUIRE_THROWS_WITH(cdist(ones({2, 3}), ones({2, 3}), -1), Contains("cdist") && Contains("non-negative"));
  REQUIRE_THROWS_WITH(cdist(ones({2, 3}), ones({2, 3}), 2, 3), Contains("cdist") && Contains("modes"));
  REQUIRE_THROWS_WITH(cdist(ones({2, 2, 3}), ones({3, 2, 3})), Contains("cdist"));
  REQUIRE_THROWS_WITH(linalg::vector_norm(ones({2}, kInt64)), Contains("linalg.vector_norm") && Contains("floating"));
  REQUIRE_THROWS_WITH(linalg::vector_norm(ones({0, 2}), -1), Contains("linalg.vector_norm") && Contains("empty"));
  REQUIRE_THROWS_WITH(linalg::matrix_norm(ones({3})), Contains("linalg.matrix_norm") && Contains("at least 2"));
  REQUIRE_THROWS_WITH(linalg::matrix_norm(ones({2, 2}, kFloat16), "nuc"), Contains("linalg.svdvals") && Contains("float16"));
  REQUIRE_THROWS_WITH(linalg::matrix_norm(ones({0, 2}), -2), Contains("linalg.matrix_norm") && Contains("empty matrix"));
  REQUIRE_THROWS_WITH(linalg::matrix_norm(ones({2, 2}), 3), Contains("Order 3 not supported"));
  REQUIRE_THROWS_WITH(linalg::matrix_norm(ones({2, 2}), "abc"), Contains("Order abc not supported"));
  REQUIRE_THROWS_WITH(linalg::matrix_norm(ones({2, 2}), 1, {0, 0}), Contains("dims must be different"));
  REQUIRE_THROWS_WITH(linalg::norm(ones({2, 2, 2}), 1), Contains("linalg.norm") && Contains("1D or 2D"));
  REQUIRE_THROWS_WITH(linalg::norm(ones({2, 2, 2}), 2, IntList{0, 1, 2}), Contains("linalg.norm") && Contains("length 1 or 2"));
}
