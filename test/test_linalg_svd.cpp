// reel/test/test_linalg_svd.cpp — the SVD beyond its op-table rows (test/op_table_linalg_svd.cpp): matrices whose
// decomposition is known in closed form, rank-deficient and repeated-value inputs (orthonormal completion), the
// norms built on it (matrix_norm "nuc" / 2 / -2, linalg::norm), torch::svd's (U, S, V) spelling, gradients of the
// norms by finite differences, and the errors PyTorch raises.
#include <catch2/catch.hpp>

#include <cmath>

#include "test/autograd_test_utils.h"

namespace reel::test {

namespace {

using autograd_test::random_leaf;

double max_abs_diff(const Tensor& a, const Tensor& b) { return amax(abs(a.to(kFloat64) - b.to(kFloat64))).item<double>(); }

Tensor matrix(std::vector<double> values, int64_t rows, int64_t cols) {
  return tensor(values, TensorOptions(kFloat64)).reshape({rows, cols});
}

// U^T U = I, Vh Vh^T = I and U diag(S) Vh = A (U and Vh narrowed to k)
void check_decomposition(const Tensor& a, const Tensor& u, const Tensor& s, const Tensor& vh, double tol) {
  const int64_t k = s.size(-1);
  CHECK(max_abs_diff(matmul(u.transpose(-2, -1), u), eye(u.size(-1), kFloat64)) < tol);
  CHECK(max_abs_diff(matmul(vh, vh.transpose(-2, -1)), eye(vh.size(-2), kFloat64)) < tol);
  CHECK(max_abs_diff(matmul(u.narrow(-1, 0, k) * s.unsqueeze(-2), vh.narrow(-2, 0, k)), a) < tol);
}

}  // namespace

TEST_CASE("svd: known decompositions: diagonal, rotation times scaling, rank one", "[linalg][svd]") {
  // a diagonal matrix with mixed signs: S = sorted |d|
  const Tensor d = matrix({0, 0, 0, 0, -3, 0, 0, 0, 2}, 3, 3) + diag(tensor(std::vector<double>{1, 0, 0}));
  auto [u, s, vh] = linalg::svd(d);
  CHECK(s.to_vector<double>() == std::vector<double>{3, 2, 1});
  check_decomposition(d, u, s, vh, 1e-14);
  // R(30 degrees) diag(5, 2): S = (5, 2)
  const double c = std::cos(M_PI / 6), sn = std::sin(M_PI / 6);
  const Tensor r = matrix({c * 5, -sn * 2, sn * 5, c * 2}, 2, 2);
  CHECK(linalg::svdvals(r).to_vector<double>()[0] == Approx(5).epsilon(1e-14));
  CHECK(linalg::svdvals(r).to_vector<double>()[1] == Approx(2).epsilon(1e-14));
  // rank one x y^T: S = (|x| |y|, 0, ...), and U's other columns still complete an orthonormal basis
  const Tensor x = matrix({1, 2, 2}, 3, 1), y = matrix({3, 4}, 1, 2);
  auto [u1, s1, vh1] = linalg::svd(matmul(x, y));
  CHECK(s1.to_vector<double>()[0] == Approx(15).epsilon(1e-14));
  CHECK(std::fabs(s1.to_vector<double>()[1]) < 1e-12);
  CHECK(u1.sizes() == IntList({3, 3}));
  check_decomposition(matmul(x, y), u1, s1, vh1, 1e-13);
  // zeros: all singular values 0, U and Vh still orthonormal
  auto [u0, s0, vh0] = linalg::svd(zeros({3, 2}, kFloat64));
  CHECK(s0.to_vector<double>() == std::vector<double>{0, 0});
  check_decomposition(zeros({3, 2}, kFloat64), u0, s0, vh0, 1e-14);
  // the identity: one repeated value
  auto [ui, si, vhi] = linalg::svd(eye(4, kFloat64), false);
  CHECK(si.to_vector<double>() == std::vector<double>{1, 1, 1, 1});
  check_decomposition(eye(4, kFloat64), ui, si, vhi, 1e-14);
}

TEST_CASE("svd: batches, float32, full and reduced shapes, empty matrices", "[linalg][svd]") {
  const Tensor a = randn({3, 2, 5, 4}, kFloat64);
  auto [u, s, vh] = linalg::svd(a, false);
  CHECK(u.sizes() == IntList({3, 2, 5, 4}));
  CHECK(s.sizes() == IntList({3, 2, 4}));
  CHECK(vh.sizes() == IntList({3, 2, 4, 4}));
  check_decomposition(a, u, s, vh, 1e-12);
  auto [uf, sf, vhf] = linalg::svd(a.transpose(-2, -1));  // wide, full
  CHECK(uf.sizes() == IntList({3, 2, 4, 4}));
  CHECK(vhf.sizes() == IntList({3, 2, 5, 5}));
  check_decomposition(a.transpose(-2, -1), uf, sf, vhf, 1e-12);
  CHECK(max_abs_diff(sf, s) < 1e-12);
  auto [u32, s32, vh32] = linalg::svd(a.to(kFloat32), false);
  CHECK(s32.dtype() == kFloat32);
  CHECK(max_abs_diff(s32, s) < 1e-5);
  // empty: no singular values, identity bases when full
  auto [ue, se, vhe] = linalg::svd(zeros({3, 0}));
  CHECK(se.sizes() == IntList({0}));
  CHECK(max_abs_diff(ue, eye(3)) == 0);
  CHECK(vhe.sizes() == IntList({0, 0}));
}

TEST_CASE("matrix norms from singular values: nuc, 2, -2 and linalg::norm", "[linalg][svd]") {
  // [[3, 0], [4, 5]]: A^T A = [[25, 20], [20, 25]], eigenvalues 45 and 5
  const Tensor a = matrix({3, 0, 4, 5}, 2, 2);
  CHECK(linalg::matrix_norm(a, "nuc").item<double>() == Approx(std::sqrt(45.0) + std::sqrt(5.0)).epsilon(1e-14));
  CHECK(linalg::matrix_norm(a, 2).item<double>() == Approx(std::sqrt(45.0)).epsilon(1e-14));
  CHECK(linalg::matrix_norm(a, -2).item<double>() == Approx(std::sqrt(5.0)).epsilon(1e-14));
  CHECK(linalg::norm(a, "nuc").item<double>() == Approx(std::sqrt(45.0) + std::sqrt(5.0)).epsilon(1e-14));
  CHECK(linalg::norm(a, Scalar(2)).item<double>() == Approx(std::sqrt(45.0)).epsilon(1e-14));
  // over dims (0, 2) of a 3-D input, keepdim: each matrix x[:, j, :]
  const Tensor x = randn({3, 2, 4}, kFloat64);
  const Tensor y = linalg::matrix_norm(x, "nuc", {0, 2}, true);
  CHECK(y.sizes() == IntList({1, 2, 1}));
  for (int64_t j = 0; j < 2; ++j)
    CHECK(y.to_vector<double>()[size_t(j)] == Approx(linalg::svdvals(x.select(1, j)).sum().item<double>()).epsilon(1e-12));
  CHECK(linalg::matrix_norm(x, -2, {2, 0}).sizes() == IntList({2}));
}

TEST_CASE("svd: torch::svd's (U, S, V) spelling", "[linalg][svd]") {
  const Tensor a = randn({4, 3}, kFloat64);
  auto [u, s, v] = svd(a);
  CHECK(u.sizes() == IntList({4, 3}));
  CHECK(v.sizes() == IntList({3, 3}));
  check_decomposition(a, u, s, v.transpose(-2, -1), 1e-12);
  auto [uf, sf, vf] = svd(a, /*some=*/false);
  CHECK(uf.sizes() == IntList({4, 4}));
  auto [un, sn, vn] = svd(a, true, /*compute_uv=*/false);
  CHECK(max_abs_diff(sn, s) < 1e-14);
  CHECK(un.sizes() == IntList({4, 4}));
  CHECK(vn.sizes() == IntList({3, 3}));
  CHECK(amax(abs(un)).item<double>() == 0);
}

TEST_CASE("svd: gradients of the singular-value norms and of U, S, Vh by finite differences", "[linalg][svd][autograd]") {
  const Tensor a = random_leaf({3, 4});
  for (const char* ord : {"nuc"}) {
    auto fn = [ord](const std::vector<Tensor>& in) { return linalg::matrix_norm(in[0], ord); };
    REQUIRE_GRADCHECK(fn, std::vector<Tensor>{a});
  }
  auto two = [](const std::vector<Tensor>& in) { return linalg::matrix_norm(in[0], 2) + linalg::matrix_norm(in[0], -2); };
  REQUIRE_GRADCHECK(two, std::vector<Tensor>{a});
  // sign-invariant functions of the vectors: U diag(S) and (u_i v_i^T) products
  const Tensor b = random_leaf({4, 2});
  auto vectors = [](const std::vector<Tensor>& in) {
    auto [u, s, vh] = linalg::svd(in[0], false);
    return matmul(u * s.unsqueeze(-2), vh) + matmul(u, vh).sum() * u.abs();
  };
  REQUIRE_GRADCHECK(vectors, std::vector<Tensor>{b});
  // svdvals records the decomposition only when a gradient is needed
  {
    NoGradGuard no_grad;
    CHECK(!linalg::svdvals(a).requires_grad());
  }
  CHECK(linalg::svdvals(a).requires_grad());
}

TEST_CASE("svd: bad input throws reel::Error naming the op", "[linalg][svd][errors]") {
  using Catch::Matchers::Contains;
  REQUIRE_THROWS_WITH(linalg::svd(ones({3})), Contains("linalg.svd") && Contains("at least 2 dimensions"));
  REQUIRE_THROWS_WITH(linalg::svd(ones({2, 2}, kInt64)), Contains("linalg.svd") && Contains("int64"));
  REQUIRE_THROWS_WITH(linalg::svdvals(ones({2, 2}, kBFloat16)), Contains("linalg.svdvals") && Contains("bfloat16"));
  REQUIRE_THROWS_WITH(svd(ones({2})), Contains("svd"));
}

}  // namespace reel::test
