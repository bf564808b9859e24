// reel/tensor/rnn_cell_args.h — the fused recurrent cells' kernel arguments, read once for both backends (internal,
// host code): cpu/rnn_cell.cpp and cuda/rnn_cell.cu turn a kernel call's KernelArgs into tensor/rnn_cell_math.h's
// argument structs with these functions, then walk the elements their own way.
//
// Kernel arguments (tensor/ops_rnn_cell.cpp makes the inputs contiguous and the outputs dense; ? : may be undefined):
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
#pragma once

#include "tensor/dispatch.h"
#include "tensor/rnn_cell_math.h"

namespace reel::rnn_cell {

template <typename T> const T* in_ptr(const Tensor& t) { return t.defined() ? t.data_ptr<T>() : nullptr; }
template <typename T> T* out_ptr(const Tensor& t) { return t.defined() ? t.data_ptr<T>() : nullptr; }

// The rows of a state tensor (..., H): the product of its leading dims.
inline int64_t rows_of(const Tensor& state) {
  int64_t rows = 1;
  for (int64_t d = 0; d + 1 < state.dim(); ++d) rows *= state.size(d);
  return rows;
}

template <typename T>
LstmForward<T> lstm_forward_args(const KernelArgs& args) {
  const Tensor& cx = args.inputs[2];
  return {in_ptr<T>(args.inputs[0]),   in_ptr<T>(args.inputs[1]),  in_ptr<T>(args.inputs[3]),
          in_ptr<T>(args.inputs[4]),   in_ptr<T>(cx),              out_ptr<T>(args.outputs[0]),
          out_ptr<T>(args.outputs[1]), out_ptr<T>(args.outputs[2]), cx.size(-1)};
}

template <typename T>
LstmBackward<T> lstm_backward_args(const KernelArgs& args) {
  const Tensor& cx = args.inputs[2];
  return {in_ptr<T>(args.inputs[0]), in_ptr<T>(args.inputs[1]),  in_ptr<T>(cx),
          in_ptr<T>(args.inputs[3]), in_ptr<T>(args.inputs[4]),  out_ptr<T>(args.outputs[0]),
          out_ptr<T>(args.outputs[1]), cx.size(-1)};
}

template <typename T>
GruForward<T> gru_forward_args(const KernelArgs& args) {
  const Tensor& hx = args.inputs[2];
  return {in_ptr<T>(args.inputs[0]), in_ptr<T>(args.inputs[1]), in_ptr<T>(args.inputs[3]),
          in_ptr<T>(args.inputs[4]), in_ptr<T>(hx),              out_ptr<T>(args.outputs[0]),
          out_ptr<T>(args.outputs[1]), hx.size(-1)};
}

template <typename T>
GruBackward<T> gru_backward_args(const KernelArgs& args) {
  const Tensor& grad_hy = args.inputs[0];
  return {in_ptr<T>(grad_hy), in_ptr<T>(args.inputs[1]), out_ptr<T>(args.outputs[0]),
          out_ptr<T>(args.outputs[1]), out_ptr<T>(args.outputs[2]), grad_hy.size(-1)};
}

template <typename T>
TreeLstmForward<T> tree_lstm_forward_args(const KernelArgs& args) {
  const Tensor& c = args.outputs[1];
  const int k = args.num_inputs - 3;
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
  return a;
}

template <typename T>
TreeLstmBackward<T> tree_lstm_backward_args(const KernelArgs& args) {
  const Tensor& c = args.inputs[2];
  const int k = args.num_inputs - 4;
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
  return a;
}

}  // namespace reel::rnn_cell
