// reel/test/rnn_cell_reference.h — float64 references of the fused recurrent cells, written out from PyTorch's cell
// definitions (nothing of tensor/rnn_cell_math.h is used), and central finite differences of them: what the op-table
// rows (test/op_table_rnn_cell.cpp) and test/test_rnn_cell.cpp compare the fused ops with.
//
// Tensors are flat row-major vectors; an empty vector is an absent optional tensor. Rows r < rows, columns j < H:
//   lstm  gates [i f g o] = ig + hg + b_ih + b_hh; c' = σ(f) c + σ(i) tanh(g); h' = σ(o) tanh(c')
//   gru   r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r h_n) (x = ig + b_ih, h = hg + b_hh), h' = n + z (h - n)
//   tree  i = σ(x_i + h_i), f_k = σ(x_f + h_{f_k}), o = σ(x_o + h_o), u = tanh(x_u + h_u) with x = ig + b in [i f o u]
//         and h = hg in [i f_1..f_k o u]; c = i u + Σ_k f_k c_k, h = o tanh(c)
#pragma once

#include <cmath>
#include <functional>
#include <vector>

namespace reel::test::rnn_cell_ref {

using Values = std::vector<double>;

inline double sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }
inline double at_or_zero(const Values& v, size_t i) { return v.empty() ? 0.0 : v[i]; }

// (hy, cy)
inline std::vector<Values> lstm(int64_t rows, int64_t H, const Values& ig, const Values& hg, const Values& cx,
                                const Values& b_ih, const Values& b_hh) {
  Values hy(static_cast<size_t>(rows * H)), cy(hy.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < H; ++j) {
      double pre[4];
      for (int64_t g = 0; g < 4; ++g) {
        const size_t at = static_cast<size_t>(r * 4 * H + g * H + j), b = static_cast<size_t>(g * H + j);
        pre[g] = ig[at] + hg[at] + at_or_zero(b_ih, b) + at_or_zero(b_hh, b);
      }
      const size_t s = static_cast<size_t>(r * H + j);
      cy[s] = sig(pre[1]) * cx[s] + sig(pre[0]) * std::tanh(pre[2]);
      hy[s] = sig(pre[3]) * std::tanh(cy[s]);
    }
  return {hy, cy};
}

// (hy)
inline std::vector<Values> gru(int64_t rows, int64_t H, const Values& ig, const Values& hg, const Values& hx,
                               const Values& b_ih, const Values& b_hh) {
  Values hy(static_cast<size_t>(rows * H));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < H; ++j) {
      auto x = [&](int64_t g) {
        return ig[static_cast<size_t>(r * 3 * H + g * H + j)] + at_or_zero(b_ih, static_cast<size_t>(g * H + j));
      };
      auto h = [&](int64_t g) {
        return hg[static_cast<size_t>(r * 3 * H + g * H + j)] + at_or_zero(b_hh, static_cast<size_t>(g * H + j));
      };
      const double reset = sig(x(0) + h(0)), update = sig(x(1) + h(1));
      const double n = std::tanh(x(2) + reset * h(2));
      const size_t s = static_cast<size_t>(r * H + j);
      hy[s] = (1 - update) * n + update * hx[s];
    }
  return {hy};
}

// (h, c) for children.size() children
inline std::vector<Values> tree(int64_t rows, int64_t H, const Values& ig, const Values& hg, const Values& bias,
                                const std::vector<Values>& children) {
  const int64_t k = static_cast<int64_t>(children.size()), G = 3 + k;
  Values h(static_cast<size_t>(rows * H)), c(h.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < H; ++j) {
      auto x = [&](int64_t q) {
        return at_or_zero(ig, static_cast<size_t>(r * 4 * H + q * H + j)) + at_or_zero(bias, static_cast<size_t>(q * H + j));
      };
      auto hid = [&](int64_t q) { return at_or_zero(hg, static_cast<size_t>(r * G * H + q * H + j)); };
      const size_t s = static_cast<size_t>(r * H + j);
      double cell = sig(x(0) + hid(0)) * std::tanh(x(3) + hid(2 + k));
      for (int64_t q = 0; q < k; ++q) cell += sig(x(1) + hid(1 + q)) * children[static_cast<size_t>(q)][s];
      c[s] = cell;
      h[s] = sig(x(2) + hid(1 + k)) * std::tanh(cell);
    }
  return {h, c};
}

// d L / d args[a] by central differences (step 1e-6) of the scalar L(args): about 1e-9 absolute error for these
// smooth functions of O(1) values.
inline Values finite_difference(std::vector<Values>& args, size_t a, const std::function<double()>& loss) {
  const double eps = 1e-6;
  Values d(args[a].size());
  for (size_t i = 0; i < d.size(); ++i) {
    const double keep = args[a][i];
    args[a][i] = keep + eps;
    const double up = loss();
    args[a][i] = keep - eps;
    const double down = loss();
    args[a][i] = keep;
    d[i] = (up - down) / (2 * eps);
  }
  return d;
}

// <w, v>; an empty w (no gradient) gives 0
inline double dot(const Values& w, const Values& v) {
  double s = 0;
  for (size_t i = 0; i < w.size(); ++i) s += w[i] * v[i];
  return s;
}

}  // namespace reel::test::rnn_cell_ref
