// reel/tensor/rnn_generic.h — the fused multi-step RNN written with reel's own ops on any device (internal): the CPU
// kernels of fused_rnn / fused_rnn_backward (cpu/rnn.cpp) and the CUDA kernels' path where cuDNN is not used
// (bfloat16, empty problems, the naive backend switch; cuda/rnn.cpp). Layouts: tensor/rnn_params.h.
//
// Dense (T, N, I) and packed (R, I) inputs (variable lengths, tensor/rnn_params.h) run the same code: a dense input is
// the packed one with every batch size N.
// forward:  per layer and direction, X W_ih^T + b_ih for every step in one GEMM, then per step one GEMM h W_hh^T +
//           b_hh and the cell's update written in place into the reserve's gate region (when training).
// backward: backpropagation through time from the reserve: per step the gate gradients (elementwise) and one GEMM
//           for dh; then per layer and direction one GEMM each for dW_ih, dW_hh and the layer input's gradient, and
//           a sum for each bias: the weight gradients of all T steps summed inside the GEMM, not step by step.
// Both run with grad mode off (they are kernels: autograd sees one fused_rnn node).
#pragma once

#include "rnn_params.h"
#include "tensor.h"

namespace reel::detail {

// Writes output (T, N, D*S) or packed (R, D*S), hy (P, N, S), cy (LSTM, (P, N, H)) and, when params.train, sets
// *reserve to a new 1-D uint8 tensor. batch_sizes: undefined (dense input (T, N, I)) or the packed input's (R, I)
// per-step batch sizes (int64 on the CPU).
void rnn_forward_generic(const RnnParams& params, const Tensor& input, const Tensor& hx, const Tensor& cx,
                         const Tensor& weight, const Tensor& batch_sizes, Tensor& output, Tensor& hy, Tensor& cy,
                         Tensor* reserve);

// Writes dinput, dhx, dcx (LSTM) and dweight (every element). grad_output / grad_hy / grad_cy may be undefined
// (zeros).
void rnn_backward_generic(const RnnParams& params, const Tensor& input, const Tensor& hx, const Tensor& cx,
                          const Tensor& weight, const Tensor& batch_sizes, const Tensor& output, const Tensor& reserve,
                          const Tensor& grad_output, const Tensor& grad_hy, const Tensor& grad_cy, Tensor& dinput,
                          Tensor& dhx, Tensor& dcx, Tensor& dweight);

}  // namespace reel::detail
