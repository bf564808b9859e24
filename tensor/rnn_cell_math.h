// reel/tensor/rnn_cell_math.h — the per-element math of the fused recurrent cells, written once for the CPU kernels
// (cpu/rnn_cell.cpp) and the CUDA kernels (cuda/rnn_cell.cu) (internal).
//
// Every op works on "rows": its tensors are row-major with any leading dims, a row being one (G * H) slice of the
// gates (G gates of H values) and the matching H values of the states. Element (row, j), j < H, of each op reads the
// G gate values of column j of its row and writes the H-sized outputs at (row, j) and the workspace's G values:
//   lstm       gates [i f g o] = input_gates + hidden_gates (+ input_bias + hidden_bias);
//              cy = σ(f) cx + σ(i) tanh(g), hy = σ(o) tanh(cy); workspace [σ(i) σ(f) tanh(g) σ(o)] (PyTorch's)
//   gru        gates [r z n]: r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r (h_n + b_hn)) (biases added to
//              their halves), hy = n + z (hx - n); workspace [r z n hx (h_n + b_hn)] (5 H per row, PyTorch's)
//   tree lstm  k children: input_gates [i f o u] (4 H, the x side), hidden_gates [i f_1..f_k o u] ((3 + k) H),
//              bias [i f o u] (4 H: the f bias serves every child's forget gate), each optional;
//              c = σ(i) tanh(u) + Σ_k σ(f_k) c_k, h = σ(o) tanh(c); workspace [σ(i) σ(f_1..f_k) σ(o) tanh(u)]
// The backward elements read the workspace (the activated gates), so no exponential is recomputed, and write the
// gradients of the pre-activation gates; a missing incoming gradient (null pointer) counts as zeros. The bias
// gradients are column sums of the gate gradients over the rows (column_sum). Arithmetic is in compute_t<T> (float
// for the 16-bit floats), each value rounded to T once, on store.
#pragma once

#include <cmath>
#include <cstdint>

#include "dtype.h"

namespace reel::rnn_cell {

// The most children a fused tree-LSTM node takes: autograd saves at most 8 inputs of a node (input gates, hidden
// gates, bias and the children's cell states).
inline constexpr int kMaxTreeChildren = 5;

template <typename C> REEL_HOST_DEVICE inline C sigmoid(C x) { return C(1) / (C(1) + std::exp(-x)); }

template <typename T> REEL_HOST_DEVICE inline compute_t<T> load(const T* p, int64_t i) {
  return static_cast<compute_t<T>>(p[i]);
}
// p[i], or 0 when the tensor is absent (p null)
template <typename T> REEL_HOST_DEVICE inline compute_t<T> load_or_zero(const T* p, int64_t i) {
  return p != nullptr ? static_cast<compute_t<T>>(p[i]) : compute_t<T>(0);
}
template <typename T, typename C> REEL_HOST_DEVICE inline void store(T* p, int64_t i, C v) { p[i] = static_cast<T>(v); }

// ---- LSTM ----------------------------------------------------------------------------------------------------------
template <typename T>
struct LstmForward {
  const T *input_gates, *hidden_gates, *input_bias, *hidden_bias, *cx;  // biases may be null
  T *hy, *cy, *workspace;
  int64_t hidden;
};

template <typename T>
REEL_HOST_DEVICE inline void lstm_forward_at(const LstmForward<T>& a, int64_t row, int64_t j) {
  using C = compute_t<T>;
  const int64_t H = a.hidden, base = row * 4 * H + j, state = row * H + j;
  C pre[4];
  for (int g = 0; g < 4; ++g) {
    pre[g] = load(a.input_gates, base + g * H) + load(a.hidden_gates, base + g * H) +
             load_or_zero(a.input_bias, g * H + j) + load_or_zero(a.hidden_bias, g * H + j);
  }
  const C i = sigmoid(pre[0]), f = sigmoid(pre[1]), g = std::tanh(pre[2]), o = sigmoid(pre[3]);
  const C c = f * load(a.cx, state) + i * g;
  store(a.cy, state, c);
  store(a.hy, state, o * std::tanh(c));
  store(a.workspace, base, i);
  store(a.workspace, base + H, f);
  store(a.workspace, base + 2 * H, g);
  store(a.workspace, base + 3 * H, o);
}

template <typename T>
struct LstmBackward {
  const T *grad_hy, *grad_cy, *cx, *cy, *workspace;  // grad_hy, grad_cy may be null (zeros)
  T *grad_gates, *grad_cx;
  int64_t hidden;
  const T* tanh_cy = nullptr;  // tanh(cy) worked out beforehand (the CPU's vectorised tanh), else computed here
};

// dcy = dhy σ(o) (1 - tanh²(cy)) + dcy_in; d[i f g o] = [dcy tanh(g) i(1-i), dcy cx f(1-f), dcy i (1-g²),
// dhy tanh(cy) o(1-o)]; dcx = dcy f
template <typename T>
REEL_HOST_DEVICE inline void lstm_backward_at(const LstmBackward<T>& a, int64_t row, int64_t j) {
  using C = compute_t<T>;
  const int64_t H = a.hidden, base = row * 4 * H + j, state = row * H + j;
  const C i = load(a.workspace, base), f = load(a.workspace, base + H), g = load(a.workspace, base + 2 * H),
          o = load(a.workspace, base + 3 * H);
  const C dh = load_or_zero(a.grad_hy, state);
  const C tanh_c = a.tanh_cy != nullptr ? load(a.tanh_cy, state) : std::tanh(load(a.cy, state));
  const C dc = dh * o * (C(1) - tanh_c * tanh_c) + load_or_zero(a.grad_cy, state);
  store(a.grad_gates, base, dc * g * i * (C(1) - i));
  store(a.grad_gates, base + H, dc * load(a.cx, state) * f * (C(1) - f));
  store(a.grad_gates, base + 2 * H, dc * i * (C(1) - g * g));
  store(a.grad_gates, base + 3 * H, dh * tanh_c * o * (C(1) - o));
  store(a.grad_cx, state, dc * f);
}

// ---- GRU -----------------------------------------------------------------------------------------------------------
template <typename T>
struct GruForward {
  const T *input_gates, *hidden_gates, *input_bias, *hidden_bias, *hx;  // biases may be null
  T *hy, *workspace;
  int64_t hidden;
};

template <typename T>
REEL_HOST_DEVICE inline void gru_forward_at(const GruForward<T>& a, int64_t row, int64_t j) {
  using C = compute_t<T>;
  const int64_t H = a.hidden, base = row * 3 * H + j, state = row * H + j, ws = row * 5 * H + j;
  const C r = sigmoid(load(a.input_gates, base) + load(a.hidden_gates, base) + load_or_zero(a.input_bias, j) +
                      load_or_zero(a.hidden_bias, j));
  const C z = sigmoid(load(a.input_gates, base + H) + load(a.hidden_gates, base + H) +
                      load_or_zero(a.input_bias, H + j) + load_or_zero(a.hidden_bias, H + j));
  const C hn = load(a.hidden_gates, base + 2 * H) + load_or_zero(a.hidden_bias, 2 * H + j);
  const C n = std::tanh(load(a.input_gates, base + 2 * H) + load_or_zero(a.input_bias, 2 * H + j) + r * hn);
  const C h = load(a.hx, state);
  store(a.hy, state, n + z * (h - n));
  store(a.workspace, ws, r);
  store(a.workspace, ws + H, z);
  store(a.workspace, ws + 2 * H, n);
  store(a.workspace, ws + 3 * H, h);
  store(a.workspace, ws + 4 * H, hn);
}

template <typename T>
struct GruBackward {
  const T *grad_hy, *workspace;
  T *grad_input_gates, *grad_hidden_gates, *grad_hx;
  int64_t hidden;
};

// dn = dhy (1 - z) (1 - n²); dz = dhy (hx - n) z(1-z); dr = dn hn r(1-r); d input [dr dz dn], d hidden
// [dr dz dn r]; dhx = dhy z
template <typename T>
REEL_HOST_DEVICE inline void gru_backward_at(const GruBackward<T>& a, int64_t row, int64_t j) {
  using C = compute_t<T>;
  const int64_t H = a.hidden, base = row * 3 * H + j, state = row * H + j, ws = row * 5 * H + j;
  const C r = load(a.workspace, ws), z = load(a.workspace, ws + H), n = load(a.workspace, ws + 2 * H),
          h = load(a.workspace, ws + 3 * H), hn = load(a.workspace, ws + 4 * H);
  const C dh = load(a.grad_hy, state);
  const C dn = dh * (C(1) - z) * (C(1) - n * n);
  const C dz = dh * (h - n) * z * (C(1) - z);
  const C dr = dn * hn * r * (C(1) - r);
  store(a.grad_input_gates, base, dr);
  store(a.grad_input_gates, base + H, dz);
  store(a.grad_input_gates, base + 2 * H, dn);
  store(a.grad_hidden_gates, base, dr);
  store(a.grad_hidden_gates, base + H, dz);
  store(a.grad_hidden_gates, base + 2 * H, dn * r);
  store(a.grad_hx, state, dh * z);
}

// ---- N-ary tree LSTM -------------------------------------------------------------------------------------------
template <typename T>
struct TreeLstmForward {
  const T *input_gates, *hidden_gates, *bias;  // each may be null
  const T* children[kMaxTreeChildren];         // the children's cell states
  int num_children;
  T *h, *c, *workspace;
  int64_t hidden;
};

template <typename T>
REEL_HOST_DEVICE inline void tree_lstm_forward_at(const TreeLstmForward<T>& a, int64_t row, int64_t j) {
  using C = compute_t<T>;
  const int k = a.num_children;
  const int64_t H = a.hidden, G = 3 + k, in = row * 4 * H + j, hid = row * G * H + j, state = row * H + j;
  // the x side and bias of gate q of [i f o u]
  auto x_side = [&](int q) { return load_or_zero(a.input_gates, in + q * H) + load_or_zero(a.bias, q * H + j); };
  const C i = sigmoid(x_side(0) + load_or_zero(a.hidden_gates, hid));
  const C o = sigmoid(x_side(2) + load_or_zero(a.hidden_gates, hid + (1 + k) * H));
  const C u = std::tanh(x_side(3) + load_or_zero(a.hidden_gates, hid + (2 + k) * H));
  const C x_f = x_side(1);
  C c = i * u;
  store(a.workspace, hid, i);
  for (int q = 0; q < k; ++q) {
    const C f = sigmoid(x_f + load_or_zero(a.hidden_gates, hid + (1 + q) * H));
    c += f * load(a.children[q], state);
    store(a.workspace, hid + (1 + q) * H, f);
  }
  store(a.workspace, hid + (1 + k) * H, o);
  store(a.workspace, hid + (2 + k) * H, u);
  store(a.c, state, c);
  store(a.h, state, o * std::tanh(c));
}

template <typename T>
struct TreeLstmBackward {
  const T *grad_h, *grad_c, *c, *workspace;  // grad_h, grad_c may be null (zeros)
  const T* children[kMaxTreeChildren];
  int num_children;
  T *grad_input_gates, *grad_hidden_gates;  // [i Σf o u] (4 H) and [i f_1..f_k o u]; either may be null
  T* grad_children[kMaxTreeChildren];       // each may be null
  int64_t hidden;
  const T* tanh_c = nullptr;  // tanh(c) worked out beforehand (the CPU's vectorised tanh), else computed here
};

// dc = dh σ(o) (1 - tanh²(c)) + dc_in; di = dc u i(1-i); du = dc i (1-u²); do = dh tanh(c) o(1-o);
// df_k = dc c_k f_k(1-f_k); dc_k = dc f_k; the x side's forget gate gets Σ_k df_k
template <typename T>
REEL_HOST_DEVICE inline void tree_lstm_backward_at(const TreeLstmBackward<T>& a, int64_t row, int64_t j) {
  using C = compute_t<T>;
  const int k = a.num_children;
  const int64_t H = a.hidden, G = 3 + k, in = row * 4 * H + j, hid = row * G * H + j, state = row * H + j;
  const C i = load(a.workspace, hid), o = load(a.workspace, hid + (1 + k) * H), u = load(a.workspace, hid + (2 + k) * H);
  const C dh = load_or_zero(a.grad_h, state);
  const C tanh_c = a.tanh_c != nullptr ? load(a.tanh_c, state) : std::tanh(load(a.c, state));
  const C dc = dh * o * (C(1) - tanh_c * tanh_c) + load_or_zero(a.grad_c, state);
  const C di = dc * u * i * (C(1) - i), du = dc * i * (C(1) - u * u), d_o = dh * tanh_c * o * (C(1) - o);
  C df_sum = C(0);
  for (int q = 0; q < k; ++q) {
    const C f = load(a.workspace, hid + (1 + q) * H);
    const C df = dc * load(a.children[q], state) * f * (C(1) - f);
    df_sum += df;
    if (a.grad_hidden_gates != nullptr) store(a.grad_hidden_gates, hid + (1 + q) * H, df);
    if (a.grad_children[q] != nullptr) store(a.grad_children[q], state, dc * f);
  }
  if (a.grad_hidden_gates != nullptr) {
    store(a.grad_hidden_gates, hid, di);
    store(a.grad_hidden_gates, hid + (1 + k) * H, d_o);
    store(a.grad_hidden_gates, hid + (2 + k) * H, du);
  }
  if (a.grad_input_gates != nullptr) {
    store(a.grad_input_gates, in, di);
    store(a.grad_input_gates, in + H, df_sum);
    store(a.grad_input_gates, in + 2 * H, d_o);
    store(a.grad_input_gates, in + 3 * H, du);
  }
}

// ---- bias gradients ----------------------------------------------------------------------------------------------
// out[col] = Σ_row values[row * cols + col]: a bias shared by every row gets the sum of the rows' gate gradients.
template <typename T>
REEL_HOST_DEVICE inline void column_sum_at(const T* values, T* out, int64_t rows, int64_t cols, int64_t col) {
  compute_t<T> sum = 0;
  for (int64_t r = 0; r < rows; ++r) sum += load(values, r * cols + col);
  store(out, col, sum);
}

}  // namespace reel::rnn_cell
