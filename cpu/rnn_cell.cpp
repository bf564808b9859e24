// reel/cpu/rnn_cell.cpp — CPU kernels of the fused recurrent cells (_thnn_fused_lstm_cell, _thnn_fused_gru_cell,
// _fused_tree_lstm_cell) and their backward primitives.
//
// The per-element math is tensor/rnn_cell_math.h's (shared with cuda/rnn_cell.cu); here each kernel walks rows, then
// the H columns of a row, in parallel over rows only when a call has enough elements to pay for threads (a cell step
// of one example is a few hundred values). Bias gradients are column sums over the rows, in parallel over columns,
// each column summed in row order (deterministic). Every floating dtype; 16-bit floats compute in float.
// float32 LSTM, GRU and Tree-LSTM cells take a vectorised route (libm's scalar tanhf alone cost a quarter of a batched
// Tree-LSTM's time): the gates' pre-activations go into the workspace, cpu/vec_math.h's sigmoid and tanh run over
// whole gate blocks in place, then the cell update, and tanh(c) over the row at once; the backward gets tanh(c) the
// same way. The sums are the scalar route's, in the same order; only sigmoid and tanh are the vectorised ones.
// Kernel arguments: tensor/rnn_cell_args.h.
#include <vector>

#include "cpu/kernels.h"
#include "cpu/vec_math.h"
#include "tensor/dispatch.h"
#include "tensor/parallel.h"
#include "tensor/rnn_cell_args.h"

namespace reel::cpu {

namespace {

using namespace rnn_cell;

constexpr int64_t kGrain = 16384;  // gate values below which a call stays on one thread

// body(begin, end) over ranges of the rows, in parallel only when `rows` x `hidden` x `gates` values pay for threads.
template <typename Body>
void for_each_row_range(int64_t rows, int64_t hidden, int64_t gates, Body&& body) {
  if (rows == 0 || hidden == 0) return;
  const int64_t grain_rows = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, hidden * gates));
  parallel_for(0, rows, grain_rows, body);
}

// body(row, j) for every element of `rows` x `hidden`, split as for_each_row_range splits them.
template <typename Body>
void for_each_element(int64_t rows, int64_t hidden, int64_t gates, Body&& body) {
  for_each_row_range(rows, hidden, gates, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r)
      for (int64_t j = 0; j < hidden; ++j) body(r, j);
  });
}

// out[col] = Σ_row values[row, col] over a (rows, cols) row-major tensor, when `out` is defined: each column summed
// in row order (column_sum_at's order), walking the rows so the reads are contiguous.
template <typename T>
void column_sums(const Tensor& values, const Tensor& out, int64_t rows) {
  if (!out.defined()) return;
  using C = compute_t<T>;
  const int64_t cols = out.numel();
  const T* v = values.data_ptr<T>();
  T* o = out.data_ptr<T>();
  const int64_t grain_cols = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, rows));
  parallel_for(0, cols, grain_cols, [&](int64_t begin, int64_t end) {
    std::vector<C> sums(static_cast<size_t>(end - begin), C(0));
    for (int64_t r = 0; r < rows; ++r) {
      const T* row = v + r * cols;
      for (int64_t col = begin; col < end; ++col) sums[static_cast<size_t>(col - begin)] += load(row, col);
    }
    for (int64_t col = begin; col < end; ++col) store(o, col, sums[static_cast<size_t>(col - begin)]);
  });
}

// tanh of n contiguous floats into a scratch array (the vectorised tanh), for the backward kernels.
std::vector<float> tanh_of(const float* values, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n));
  vec::tanh_f32(values, out.data(), n);
  return out;
}

// float32 LSTM cell, rows [begin, end): workspace [i f g o] = σ/tanh of the summed gates, then cy and hy.
void lstm_forward_f32(const LstmForward<float>& a, int64_t begin, int64_t end) {
  const int64_t H = a.hidden;
  for (int64_t r = begin; r < end; ++r) {
    float* w = a.workspace + r * 4 * H;
    const float* ig = a.input_gates + r * 4 * H;
    const float* hg = a.hidden_gates + r * 4 * H;
    for (int64_t x = 0; x < 4 * H; ++x)  // lstm_forward_at's sum, in its order
      w[x] = ig[x] + hg[x] + (a.input_bias != nullptr ? a.input_bias[x] : 0.0f) +
             (a.hidden_bias != nullptr ? a.hidden_bias[x] : 0.0f);
    vec::sigmoid_f32(w, w, 2 * H);           // i, f
    vec::tanh_f32(w + 2 * H, w + 2 * H, H);  // g
    vec::sigmoid_f32(w + 3 * H, w + 3 * H, H);  // o
    float* c = a.cy + r * H;
    const float* cx = a.cx + r * H;
    for (int64_t j = 0; j < H; ++j) c[j] = w[H + j] * cx[j] + w[j] * w[2 * H + j];
    float* h = a.hy + r * H;
    vec::tanh_f32(c, h, H);
    for (int64_t j = 0; j < H; ++j) h[j] = w[3 * H + j] * h[j];
  }
}

// float32 GRU cell, rows [begin, end): workspace [r z n hx hn], r and z activated as one block.
void gru_forward_f32(const GruForward<float>& a, int64_t begin, int64_t end) {
  const int64_t H = a.hidden;
  auto bias = [](const float* b, int64_t x) { return b != nullptr ? b[x] : 0.0f; };
  for (int64_t r = begin; r < end; ++r) {
    float* w = a.workspace + r * 5 * H;
    const float* ig = a.input_gates + r * 3 * H;
    const float* hg = a.hidden_gates + r * 3 * H;
    for (int64_t x = 0; x < 2 * H; ++x)  // gru_forward_at's sums, in its order
      w[x] = ig[x] + hg[x] + bias(a.input_bias, x) + bias(a.hidden_bias, x);
    vec::sigmoid_f32(w, w, 2 * H);  // r, z
    float* hn = w + 4 * H;
    float* n = w + 2 * H;
    for (int64_t j = 0; j < H; ++j) {
      hn[j] = hg[2 * H + j] + bias(a.hidden_bias, 2 * H + j);
      n[j] = ig[2 * H + j] + bias(a.input_bias, 2 * H + j) + w[j] * hn[j];
    }
    vec::tanh_f32(n, n, H);
    const float* hx = a.hx + r * H;
    float* hy = a.hy + r * H;
    for (int64_t j = 0; j < H; ++j) {
      w[3 * H + j] = hx[j];
      hy[j] = n[j] + w[H + j] * (hx[j] - n[j]);
    }
  }
}

// float32 tree cell, rows [begin, end): workspace [i f_1..f_k o u] activated in place, then c and h.
void tree_lstm_forward_f32(const TreeLstmForward<float>& a, int64_t begin, int64_t end) {
  const int k = a.num_children;
  const int64_t H = a.hidden, G = 3 + k;
  for (int64_t r = begin; r < end; ++r) {
    float* w = a.workspace + r * G * H;
    const float* in = a.input_gates != nullptr ? a.input_gates + r * 4 * H : nullptr;
    const float* hid = a.hidden_gates != nullptr ? a.hidden_gates + r * G * H : nullptr;
    // slot s of the workspace takes gate q of the x side [i f o u]: i <- 0, f_q <- 1, o <- 2, u <- 3
    for (int64_t s = 0; s < G; ++s) {
      const int64_t q = s == 0 ? 0 : s <= k ? 1 : s == 1 + k ? 2 : 3;
      for (int64_t j = 0; j < H; ++j) {  // tree_lstm_forward_at's sum, in its order
        const float x_side = (in != nullptr ? in[q * H + j] : 0.0f) + (a.bias != nullptr ? a.bias[q * H + j] : 0.0f);
        w[s * H + j] = x_side + (hid != nullptr ? hid[s * H + j] : 0.0f);
      }
    }
    vec::sigmoid_f32(w, w, (G - 1) * H);              // i, f_1..f_k, o
    vec::tanh_f32(w + (G - 1) * H, w + (G - 1) * H, H);  // u
    float* c = a.c + r * H;
    for (int64_t j = 0; j < H; ++j) c[j] = w[j] * w[(G - 1) * H + j];
    for (int q = 0; q < k; ++q) {
      const float* child = a.children[q] + r * H;
      const float* f = w + (1 + q) * H;
      for (int64_t j = 0; j < H; ++j) c[j] += f[j] * child[j];
    }
    float* h = a.h + r * H;
    vec::tanh_f32(c, h, H);
    const float* o = w + (1 + k) * H;
    for (int64_t j = 0; j < H; ++j) h[j] = o[j] * h[j];
  }
}

void lstm_kernel(const KernelArgs& args) {
  const Tensor& cx = args.inputs[2];
  dispatch_floating(cx.dtype(), "_thnn_fused_lstm_cell", [&]<typename T>() {
    const LstmForward<T> a = lstm_forward_args<T>(args);
    if constexpr (std::is_same_v<T, float>) {
      for_each_row_range(rows_of(cx), a.hidden, 4, [&](int64_t b, int64_t e) { lstm_forward_f32(a, b, e); });
    } else {
      for_each_element(rows_of(cx), a.hidden, 4, [&](int64_t r, int64_t j) { lstm_forward_at(a, r, j); });
    }
  });
}

void lstm_backward_kernel(const KernelArgs& args) {
  const Tensor& cx = args.inputs[2];
  dispatch_floating(cx.dtype(), "_thnn_fused_lstm_cell_backward_impl", [&]<typename T>() {
    LstmBackward<T> a = lstm_backward_args<T>(args);
    const int64_t rows = rows_of(cx);
    std::vector<float> tanh_cy;
    if constexpr (std::is_same_v<T, float>) {
      tanh_cy = tanh_of(a.cy, rows * a.hidden);
      a.tanh_cy = tanh_cy.data();
    }
    for_each_element(rows, a.hidden, 4, [&](int64_t r, int64_t j) { lstm_backward_at(a, r, j); });
    column_sums<T>(args.outputs[0], args.outputs[2], rows);
  });
}

void gru_kernel(const KernelArgs& args) {
  const Tensor& hx = args.inputs[2];
  dispatch_floating(hx.dtype(), "_thnn_fused_gru_cell", [&]<typename T>() {
    const GruForward<T> a = gru_forward_args<T>(args);
    if constexpr (std::is_same_v<T, float>) {
      for_each_row_range(rows_of(hx), a.hidden, 5, [&](int64_t b, int64_t e) { gru_forward_f32(a, b, e); });
    } else {
      for_each_element(rows_of(hx), a.hidden, 5, [&](int64_t r, int64_t j) { gru_forward_at(a, r, j); });
    }
  });
}

void gru_backward_kernel(const KernelArgs& args) {
  const Tensor& grad_hy = args.inputs[0];
  dispatch_floating(grad_hy.dtype(), "_thnn_fused_gru_cell_backward", [&]<typename T>() {
    const GruBackward<T> a = gru_backward_args<T>(args);
    const int64_t rows = rows_of(grad_hy);
    for_each_element(rows, a.hidden, 5, [&](int64_t r, int64_t j) { gru_backward_at(a, r, j); });
    column_sums<T>(args.outputs[0], args.outputs[3], rows);
    column_sums<T>(args.outputs[1], args.outputs[4], rows);
  });
}

void tree_lstm_kernel(const KernelArgs& args) {
  const Tensor& c = args.outputs[1];
  dispatch_floating(c.dtype(), "_fused_tree_lstm_cell", [&]<typename T>() {
    const TreeLstmForward<T> a = tree_lstm_forward_args<T>(args);
    if constexpr (std::is_same_v<T, float>) {
      for_each_row_range(rows_of(c), a.hidden, 3 + a.num_children, [&](int64_t b, int64_t e) { tree_lstm_forward_f32(a, b, e); });
    } else {
      for_each_element(rows_of(c), a.hidden, 3 + a.num_children, [&](int64_t r, int64_t j) { tree_lstm_forward_at(a, r, j); });
    }
  });
}

void tree_lstm_backward_kernel(const KernelArgs& args) {
  const Tensor& c = args.inputs[2];
  dispatch_floating(c.dtype(), "_fused_tree_lstm_cell_backward", [&]<typename T>() {
    TreeLstmBackward<T> a = tree_lstm_backward_args<T>(args);
    const int64_t rows = rows_of(c);
    std::vector<float> tanh_c;
    if constexpr (std::is_same_v<T, float>) {
      tanh_c = tanh_of(a.c, rows * a.hidden);
      a.tanh_c = tanh_c.data();
    }
    for_each_element(rows, a.hidden, 3 + a.num_children, [&](int64_t r, int64_t j) { tree_lstm_backward_at(a, r, j); });
    column_sums<T>(args.outputs[0], args.outputs[2], rows);
  });
}

}  // namespace

void register_rnn_cell_kernels() {
  register_kernel(OpId::_thnn_fused_lstm_cell, kCPU, &lstm_kernel);
  register_kernel(OpId::_thnn_fused_lstm_cell_backward_impl, kCPU, &lstm_backward_kernel);
  register_kernel(OpId::_thnn_fused_gru_cell, kCPU, &gru_kernel);
  register_kernel(OpId::_thnn_fused_gru_cell_backward, kCPU, &gru_backward_kernel);
  register_kernel(OpId::_fused_tree_lstm_cell, kCPU, &tree_lstm_kernel);
  register_kernel(OpId::_fused_tree_lstm_cell_backward, kCPU, &tree_lstm_backward_kernel);
}

}  // namespace reel::cpu
