// reel/test/op_table_linalg_svd.cpp — op-table rows of linalg_svd and linalg_svdvals.
//
// Singular vectors are fixed only up to a sign per pair (u_i, v_i), so the svd row returns what does not depend on
// that choice: S and the polar factor U_k Vh_k (k = min(m, n)); its check looks at the raw outputs (shapes,
// U^T U = I, Vh Vh^T = I, U diag(S) Vh = A). The float64 reference works from a different algorithm than the
// kernel's one-sided Jacobi: the eigen-decomposition of the Gram matrix G = A^T A (or A A^T when m < n) by cyclic
// two-sided Jacobi rotations, S = sqrt(eigenvalues) descending, and the polar factor A V diag(1 / S) V^T (or
// U diag(1 / S) U^T A). Samples: wide, tall, square, batched, transposed and step-2 inputs, full_matrices (flag),
// a batch of 0. The gradcheck perturbs A: S's gradient and the polar factor's reach every term of svd's backward.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "test/op_table.h"

namespace reel::test {

namespace {

using Matrix = std::vector<std::vector<double>>;

// Symmetric g = Q diag(lambda) Q^T by cyclic Jacobi rotations; returns (lambda, Q columns) sorted descending.
std::pair<std::vector<double>, Matrix> symmetric_eigen(Matrix g) {
  const size_t n = g.size();
  Matrix q(n, std::vector<double>(n, 0.0));
  for (size_t i = 0; i < n; ++i) q[i][i] = 1;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = i + 1; j < n; ++j) off += g[i][j] * g[i][j];
    if (off < 1e-30) break;
    for (size_t p = 0; p < n; ++p)
      for (size_t r = p + 1; r < n; ++r) {
        if (g[p][r] == 0) continue;
        const double theta = (g[r][r] - g[p][p]) / (2 * g[p][r]);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (size_t k = 0; k < n; ++k) {  // g <- J^T g J with J the rotation in the (p, r) plane
          const double gp = g[k][p], gr = g[k][r];
          g[k][p] = c * gp - s * gr, g[k][r] = s * gp + c * gr;
        }
        for (size_t k = 0; k < n; ++k) {
          const double gp = g[p][k], gr = g[r][k];
          g[p][k] = c * gp - s * gr, g[r][k] = s * gp + c * gr;
        }
        for (size_t k = 0; k < n; ++k) {
          const double qp = q[k][p], qr = q[k][r];
          q[k][p] = c * qp - s * qr, q[k][r] = s * qp + c * qr;
        }
      }
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return g[a][a] > g[b][b]; });
  std::vector<double> lambda;
  Matrix columns;
  for (size_t i : order) {
    lambda.push_back(g[i][i]);
    std::vector<double> col(n);
    for (size_t k = 0; k < n; ++k) col[k] = q[k][i];
    columns.push_back(col);
  }
  return {lambda, columns};
}

// (S (k), polar factor (m x n)) of one m x n matrix a (row-major).
std::pair<std::vector<double>, std::vector<double>> reference_svd(const double* a, int64_t m, int64_t n) {
  const bool tall = m >= n;
  const int64_t k = std::min(m, n);
  auto at = [&](int64_t i, int64_t j) { return a[i * n + j]; };
  Matrix g(size_t(k), std::vector<double>(size_t(k), 0.0));
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      for (int64_t l = 0; l < (tall ? m : n); ++l) g[size_t(i)][size_t(j)] += tall ? at(l, i) * at(l, j) : at(i, l) * at(j, l);
  auto [lambda, q] = symmetric_eigen(g);
  std::vector<double> s(static_cast<size_t>(k)), polar(static_cast<size_t>(m * n), 0.0);
  for (int64_t i = 0; i < k; ++i) s[size_t(i)] = std::sqrt(std::max(lambda[size_t(i)], 0.0));
  // tall: A V diag(1/S) V^T = sum_i (A v_i / s_i) v_i^T; wide: sum_i u_i (u_i^T A / s_i)
  for (int64_t i = 0; i < k; ++i) {
    const std::vector<double>& v = q[size_t(i)];
    if (tall) {
      for (int64_t r = 0; r < m; ++r) {
        double av = 0;
        for (int64_t c = 0; c < n; ++c) av += at(r, c) * v[size_t(c)];
        for (int64_t c = 0; c < n; ++c) polar[size_t(r * n + c)] += av / s[size_t(i)] * v[size_t(c)];
      }
    } else {
      for (int64_t c = 0; c < n; ++c) {
        double ua = 0;
        for (int64_t r = 0; r < m; ++r) ua += v[size_t(r)] * at(r, c);
        for (int64_t r = 0; r < m; ++r) polar[size_t(r * n + c)] += v[size_t(r)] * ua / s[size_t(i)];
      }
    }
  }
  return {s, polar};
}

// S (*, k) and the polar factor (*, m, n) of every matrix of x.
std::vector<RefTensor> reference_outputs(const Tensor& input) {
  const RefTensor x = RefTensor::of(input);
  const int64_t m = x.shape[x.shape.size() - 2], n = x.shape.back(), k = std::min(m, n);
  Shape s_shape(x.shape.begin(), x.shape.end() - 2);
  const int64_t batch = numel_of(s_shape);
  s_shape.push_back(k);
  RefTensor s = RefTensor::filled(s_shape, 0.0, x.dtype), polar = RefTensor::filled(x.shape, 0.0, x.dtype);
  for (int64_t b = 0; b < batch && m * n > 0; ++b) {
    auto [values, factor] = reference_svd(x.values.data() + b * m * n, m, n);
    std::copy(values.begin(), values.end(), s.values.begin() + b * k);
    std::copy(factor.begin(), factor.end(), polar.values.begin() + b * m * n);
  }
  return {s, polar};
}

std::vector<Sample> svd_samples(ScalarType dtype, Device device) {
  InputMaker m(dtype, device);
  std::vector<Sample> out = {
      make_sample("[3, 4] wide", {m.make({3, 4})}, dtype, device),
      make_sample("[4, 3] tall, transposed", {m.make({4, 3}, {}, Layout::Transposed)}, dtype, device),
      make_sample("[2, 3, 3] batch of squares, step-2", {m.make({2, 3, 3}, {}, Layout::Strided)}, dtype, device),
      make_sample("[5, 2] tall, full_matrices", {m.make({5, 2})}, dtype, device),
      make_sample("[2, 4] wide, full_matrices", {m.make({2, 4})}, dtype, device),
      make_sample("[1, 3] one row", {m.make({1, 3})}, dtype, device),
      make_sample("[0, 3, 2] batch 0", {m.make({0, 3, 2})}, dtype, device),
  };
  out[3].flag = out[4].flag = true;
  return out;
}

Tolerance svd_tolerance(ScalarType dtype) {
  return dtype == kFloat32 ? Tolerance{1e-4, 1e-5} : Tolerance{1e-9, 1e-10};
}

OpTestRow svd_row() {
  OpTestRow row;
  row.op = "linalg_svd";
  row.dtypes = {kFloat32, kFloat64};
  row.samples = svd_samples;
  row.run = [](const Sample& s) {
    auto [u, sv, vh] = linalg::svd(s.inputs[0], s.flag);
    const int64_t k = sv.size(-1);
    return std::vector<Tensor>{sv, matmul(u.narrow(-1, 0, k), vh.narrow(-2, 0, k))};
  };
  row.reference = [](const Sample& s) { return reference_outputs(s.inputs[0]); };
  row.check = [](const Sample& s, const std::vector<Tensor>&) {
    const Tensor a = s.inputs[0].to(kFloat64);
    auto [u, sv, vh] = linalg::svd(s.inputs[0], s.flag);
    const int64_t m = a.size(-2), n = a.size(-1), k = std::min(m, n);
    CHECK(u.sizes().vec() == [&] { auto v = a.sizes().vec(); v.back() = s.flag ? m : k; return v; }());
    CHECK(vh.sizes().vec() == [&] { auto v = a.sizes().vec(); v[v.size() - 2] = s.flag ? n : k; return v; }());
    if (a.numel() == 0) return;
    const double tol = s.dtype == kFloat32 ? 1e-5 : 1e-12;
    const Tensor u64 = u.to(kFloat64), vh64 = vh.to(kFloat64), s64 = sv.to(kFloat64);
    const Tensor uu = matmul(u64.transpose(-2, -1), u64), vv = matmul(vh64, vh64.transpose(-2, -1));
    CHECK(amax(abs(uu - eye(uu.size(-1), kFloat64))).item<double>() < tol);
    CHECK(amax(abs(vv - eye(vv.size(-1), kFloat64))).item<double>() < tol);
    const Tensor rebuilt = matmul(u64.narrow(-1, 0, k) * s64.unsqueeze(-2), vh64.narrow(-2, 0, k));
    CHECK(amax(abs(rebuilt - a)).item<double>() < 10 * tol);
    CHECK(all(ge(s64.narrow(-1, 0, k - 1), s64.narrow(-1, 1, k - 1))).item<bool>());  // descending
  };
  row.tolerance = svd_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

OpTestRow svdvals_row() {
  OpTestRow row;
  row.op = "linalg_svdvals";
  row.dtypes = {kFloat32, kFloat64};
  row.samples = svd_samples;
  row.run = [](const Sample& s) { return std::vector<Tensor>{linalg::svdvals(s.inputs[0])}; };
  row.reference = [](const Sample& s) { return std::vector<RefTensor>{reference_outputs(s.inputs[0])[0]}; };
  row.tolerance = svd_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

void add_svd_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(svd_row());
  rows.push_back(svdvals_row());
}

REEL_OP_TABLE_ROWS(add_svd_rows);

}  // namespace

}  // namespace reel::test
