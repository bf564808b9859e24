// reel/cpu/rnn_cell.cpp — CPU kernels of the fused recurrent cells (_thnn_fused_lstm_cell, _thnn_fused_gru_cell,
// _fused_tree_lstm_cell) and their backward primitives.
//
// The per-element math is tensor/rnn_cell_math.h's (shared with cuda/rnn_cell.cu); here each kernel walks rows, then
// the H columns of a row, in parallel over rows only when a call has enough elements to pay for threads (a cell step
// of one example is a few hundred values). Bias gradients are column sums over the rows, in parallel over columns,
// each column summed in row order (deterministic). Every floating dtype; 16-bit floats compute in float.
// Kernel arguments (tensor/ops_rnn_cell.cpp makes the inputs contiguous and the outputs dense):
//   _thnn_fused_lstm_cell                inputs {input_gates, hidden_gates, cx, input_bias?, hidden_bias?},
//                                        outputs {hy, cy, workspace}
//   _thnn_fused_lstm_cell_backward_impl  inputs {grad_hy?, grad_cy?, cx, cy, workspace},
//                                        outputs {grad_gates, grad_cx, grad_bias?}
//   _thnn_fused_gru_cell                 inputs {input_gates, hidden_gates, hx, input_bias?, hidden_bias?},
//                                        outputs {hy, workspace}
//   _thnn_fused_gru_cell_backward        inputs {grad_hy, workspace}, outputs {grad_input_gates, grad_hidden_gates,
//                                        grad_hx, grad_input_bias?, grad_hidden_bias?}
//   _fused_tree_lstm_cell                inputs {input_gates?, hidden_gates?, bias?, c_1..c_k}, outputs {h, c, workspace}
//   _fused_tree_lstm_cell_backward       inputs {grad_h?, grad_c?, c, workspace, c_1..c_k}, outputs {grad_input_gates?,
//                                        grad_hidden_gates?, grad_bias?, grad_c_1..grad_c_k}
// (? : may be undefined.)
#include "cpu/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/parallel.h"
#include "tensor/rnn_cell_math.h"

namespace reel::cpu {

namespace {

using namespace rnn_cell;

constexpr int64_t kGrain = 16384;  // gate values below which a call stays on one thread

template <typename T> const T* in_ptr(const Tensor& t) { return t.defined() ? t.data_ptr<T>() : nullptr; }
template <typename T> T* out_ptr(const Tensor& t) { return t.defined() ? t.data_ptr<T>() : nullptr; }

// The rows of a state tensor (..., H): the product of its leading dims.
int64_t rows_of(const Tensor& state) {
  int64_t rows = 1;
  for (int64_t d = 0; d + 1 < state.dim(); ++d) rows *= state.size(d);
  return rows;
}

// body(row, j) for every element of `rows` x `hidden`, `gates` values per element deciding the parallel grain.
template <typename Body>
void for_each_element(int64_t rows, int64_t hidden, int64_t gates, Body&& body) {
  if (rows == 0 || hidden == 0) return;
  const int64_t grain_rows = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, hidden * gates));
  parallel_for(0, rows, grain_rows, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r)
      for (int64_t j = 0; j < hidden; ++j) body(r, j);
  });
}

// out[col] = Σ_row values[row, col] over a (rows, cols) row-major tensor, when `out` is defined.
template <typename T>
void column_sums(const Tensor& values, const Tensor& out, int64_t rows) {
  if (!out.defined()) return;
  const int64_t cols = out.numel();
  const T* v = values.data_ptr<T>();
  T* o = out.data_ptr<T>();
  const int64_t grain_cols = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, rows));
  parallel_for(0, cols, grain_cols, [&](int64_t begin, int64_t end) {
    for (int64_t col = begin; col < end; ++col) column_sum_at(v, o, rows, cols, col);
  });
}

void lstm_kernel(const KernelArgs& args) {
  const Tensor& cx = args.inputs[2];
  dispatch_floating(cx.dtype(), "_thnn_fused_lstm_cell", [&]<typename T>() {
    const LstmForward<T> a{in_ptr<T>(args.inputs[0]), in_ptr<T>(args.inputs[1]), in_ptr<T>(args.inputs[3]),
                           in_ptr<T>(args.inputs[4]),  in_ptr<T>(cx),             out_ptr<T>(args.outputs[0]),
                           out_ptr<T>(args.outputs[1]), out_ptr<T>(args.outputs[2]), cx.size(-1)};
    for_each_element(rows_of(cx), a.hidden, 4, [&](int64_t r, int64_t j) { lstm_forward_at(a, r, j); });
  });
}

void lstm_backward_kernel(const KernelArgs& args) {
  const Tensor& cx = args.inputs[2];
  dispatch_floating(cx.dtype(), "_thnn_fused_lstm_cell_backward_impl", [&]<typename T>() {
    const LstmBackward<T> a{in_ptr<T>(args.inputs[0]), in_ptr<T>(args.inputs[1]),  in_ptr<T>(cx),
                            in_ptr<T>(args.inputs[3]), in_ptr<T>(args.inputs[4]),  out_ptr<T>(args.outputs[0]),
                            out_ptr<T>(args.outputs[1]), cx.size(-1)};
    const int64_t rows = rows_of(cx);
    for_each_element(rows, a.hidden, 4, [&](int64_t r, int64_t j) { lstm_backward_at(a, r, j); });
    column_sums<T>(args.outputs[0], args.outputs[2], rows);
  });
}

void gru_kernel(const KernelArgs& args) {
  const Tensor& hx = args.inputs[2];
  dispatch_floating(hx.dtype(), "_thnn_fused_gru_cell", [&]<typename T>() {
    const GruForward<T> a{in_ptr<T>(args.inputs[0]), in_ptr<T>(args.inputs[1]), in_ptr<T>(args.inputs[3]),
                          in_ptr<T>(args.inputs[4]), in_ptr<T>(hx),              out_ptr<T>(args.outputs[0]),
                          out_ptr<T>(args.outputs[1]), hx.size(-1)};
    for_each_element(rows_of(hx), a.hidden, 5, [&](int64_t r, int64_t j) { gru_forward_at(a, r, j); });
  });
}

void gru_backward_kernel(const KernelArgs& args) {
  const Tensor& grad_hy = args.inputs[0];
  dispatch_floating(grad_hy.dtype(), "_thnn_fused_gru_cell_backward", [&]<typename T>() {
    const GruBackward<T> a{in_ptr<T>(grad_hy), in_ptr<T>(args.inputs[1]), out_ptr<T>(args.outputs[0]),
                           out_ptr<T>(args.outputs[1]), out_ptr<T>(args.outputs[2]), grad_hy.size(-1)};
    const int64_t rows = rows_of(grad_hy);
    for_each_element(rows, a.hidden, 5, [&](int64_t r, int64_t j) { gru_backward_at(a, r, j); });
    column_sums<T>(args.outputs[0], args.outputs[3], rows);
    column_sums<T>(args.outputs[1], args.outputs[4], rows);
  });
}

void tree_lstm_kernel(const KernelArgs& args) {
  const Tensor& c = args.outputs[1];
  const int k = args.num_inputs - 3;
  dispatch_floating(c.dtype(), "_fused_tree_lstm_cell", [&]<typename T>() {
    TreeLstmForward<T> a{};
    a.input_gates = in_ptr<T>(args.inputs[0]);
    a.hidden_gates = in_ptr<T>(args.inputs[1]);
    a.bias = in_ptr<T>(args.inputs[2]);
    for (int q = 0; q < k; ++q) a.children[q] = in_ptr<T>(args.inputs[3 + q]);
    a.num_children = k;
    a.h = out_ptr<T>(args.outputs[0]);
    a.c = out_ptr<T>(c);
    a.workspace = out_ptr<T>(args.outputs[2]);
    a.hidden = c.size(-1);
    for_each_element(rows_of(c), a.hidden, 3 + k, [&](int64_t r, int64_t j) { tree_lstm_forward_at(a, r, j); });
  });
}

void tree_lstm_backward_kernel(const KernelArgs& args) {
  const Tensor& c = args.inputs[2];
  const int k = args.num_inputs - 4;
  dispatch_floating(c.dtype(), "_fused_tree_lstm_cell_backward", [&]<typename T>() {
    TreeLstmBackward<T> a{};
    a.grad_h = in_ptr<T>(args.inputs[0]);
    a.grad_c = in_ptr<T>(args.inputs[1]);
    a.c = in_ptr<T>(c);
    a.workspace = in_ptr<T>(args.inputs[3]);
    for (int q = 0; q < k; ++q) {
      a.children[q] = in_ptr<T>(args.inputs[4 + q]);
      a.grad_children[q] = out_ptr<T>(args.outputs[3 + q]);
    }
    a.num_children = k;
    a.grad_input_gates = out_ptr<T>(args.outputs[0]);
    a.grad_hidden_gates = out_ptr<T>(args.outputs[1]);
    a.hidden = c.size(-1);
    const int64_t rows = rows_of(c);
    for_each_element(rows, a.hidden, 3 + k, [&](int64_t r, int64_t j) { tree_lstm_backward_at(a, r, j); });
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
