// reel/cuda/rnn_cell.cu — CUDA kernels of the fused recurrent cells (_thnn_fused_lstm_cell, _thnn_fused_gru_cell,
// _fused_tree_lstm_cell) and their backward primitives.
//
// The per-element math is tensor/rnn_cell_math.h's, the same functions the CPU kernels (cpu/rnn_cell.cpp) call: one
// thread per (row, column) element of the (rows, H) states, walking them with a grid-stride loop, so one launch does
// a whole cell step of a batch. Bias gradients are a second launch: one thread per bias value sums its column over
// the rows in row order (deterministic, no atomics). Every floating dtype; 16-bit floats compute in float. The
// kernel arguments are read by tensor/rnn_cell_args.h, as on the CPU.
#include <cuda_runtime.h>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/rnn_cell_args.h"

namespace reel::cuda {

namespace {

using namespace rnn_cell;

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 65536;

unsigned int blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned int>(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}


// The element functions of rnn_cell_math.h, as types a kernel template can take.
struct LstmForwardStep {
  template <typename T> __device__ void operator()(const LstmForward<T>& a, int64_t r, int64_t j) const {
    lstm_forward_at(a, r, j);
  }
};
struct LstmBackwardStep {
  template <typename T> __device__ void operator()(const LstmBackward<T>& a, int64_t r, int64_t j) const {
    lstm_backward_at(a, r, j);
  }
};
struct GruForwardStep {
  template <typename T> __device__ void operator()(const GruForward<T>& a, int64_t r, int64_t j) const {
    gru_forward_at(a, r, j);
  }
};
struct GruBackwardStep {
  template <typename T> __device__ void operator()(const GruBackward<T>& a, int64_t r, int64_t j) const {
    gru_backward_at(a, r, j);
  }
};
struct TreeForwardStep {
  template <typename T> __device__ void operator()(const TreeLstmForward<T>& a, int64_t r, int64_t j) const {
    tree_lstm_forward_at(a, r, j);
  }
};
struct TreeBackwardStep {
  template <typename T> __device__ void operator()(const TreeLstmBackward<T>& a, int64_t r, int64_t j) const {
    tree_lstm_backward_at(a, r, j);
  }
};

// step(a, row, j) for every element of the (total / hidden, hidden) states.
template <typename Step, typename Args>
__global__ void elements_kernel(Args a, int64_t total, int64_t hidden) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t index = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; index < total; index += stride) {
    const int64_t row = index / hidden;
    Step{}(a, row, index - row * hidden);
  }
}

template <typename T>
__global__ void column_sum_kernel(const T* values, T* out, int64_t rows, int64_t cols) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t col = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; col < cols; col += stride)
    column_sum_at(values, out, rows, cols, col);
}

template <typename Step, typename Args>
void launch_elements(const Args& a, int64_t rows) {
  const int64_t total = rows * a.hidden;
  if (total == 0) return;
  elements_kernel<Step><<<blocks_for(total), kThreads, 0, current_raw_stream()>>>(a, total, a.hidden);
  REEL_CUDA_CHECK(cudaGetLastError());
}

// out[col] = Σ_row values[row, col], when `out` is defined (zeros for no rows).
template <typename T>
void column_sums(const Tensor& values, const Tensor& out, int64_t rows) {
  if (!out.defined() || out.numel() == 0) return;
  const int64_t cols = out.numel();
  column_sum_kernel<T><<<blocks_for(cols), kThreads, 0, current_raw_stream()>>>(in_ptr<T>(values), out.data_ptr<T>(),
                                                                                rows, cols);
  REEL_CUDA_CHECK(cudaGetLastError());
}

void lstm_kernel(const KernelArgs& args) {
  const Tensor& cx = args.inputs[2];
  set_current_device(cx.device());
  dispatch_floating(cx.dtype(), "_thnn_fused_lstm_cell", [&]<typename T>() {
    const LstmForward<T> a = lstm_forward_args<T>(args);
    launch_elements<LstmForwardStep>(a, rows_of(cx));
  });
}

void lstm_backward_kernel(const KernelArgs& args) {
  const Tensor& cx = args.inputs[2];
  set_current_device(cx.device());
  dispatch_floating(cx.dtype(), "_thnn_fused_lstm_cell_backward_impl", [&]<typename T>() {
    const LstmBackward<T> a = lstm_backward_args<T>(args);
    const int64_t rows = rows_of(cx);
    launch_elements<LstmBackwardStep>(a, rows);
    column_sums<T>(args.outputs[0], args.outputs[2], rows);
  });
}

void gru_kernel(const KernelArgs& args) {
  const Tensor& hx = args.inputs[2];
  set_current_device(hx.device());
  dispatch_floating(hx.dtype(), "_thnn_fused_gru_cell", [&]<typename T>() {
    const GruForward<T> a = gru_forward_args<T>(args);
    launch_elements<GruForwardStep>(a, rows_of(hx));
  });
}

void gru_backward_kernel(const KernelArgs& args) {
  const Tensor& grad_hy = args.inputs[0];
  set_current_device(grad_hy.device());
  dispatch_floating(grad_hy.dtype(), "_thnn_fused_gru_cell_backward", [&]<typename T>() {
    const GruBackward<T> a = gru_backward_args<T>(args);
    const int64_t rows = rows_of(grad_hy);
    launch_elements<GruBackwardStep>(a, rows);
    column_sums<T>(args.outputs[0], args.outputs[3], rows);
    column_sums<T>(args.outputs[1], args.outputs[4], rows);
  });
}

void tree_lstm_kernel(const KernelArgs& args) {
  const Tensor& c = args.outputs[1];
  set_current_device(c.device());
  dispatch_floating(c.dtype(), "_fused_tree_lstm_cell", [&]<typename T>() {
    const TreeLstmForward<T> a = tree_lstm_forward_args<T>(args);
    launch_elements<TreeForwardStep>(a, rows_of(c));
  });
}

void tree_lstm_backward_kernel(const KernelArgs& args) {
  const Tensor& c = args.inputs[2];
  set_current_device(c.device());
  dispatch_floating(c.dtype(), "_fused_tree_lstm_cell_backward", [&]<typename T>() {
    const TreeLstmBackward<T> a = tree_lstm_backward_args<T>(args);
    const int64_t rows = rows_of(c);
    launch_elements<TreeBackwardStep>(a, rows);
    column_sums<T>(args.outputs[0], args.outputs[2], rows);
  });
}

}  // namespace

void register_rnn_cell_kernels() {
  register_kernel(OpId::_thnn_fused_lstm_cell, kCUDA, &lstm_kernel);
  register_kernel(OpId::_thnn_fused_lstm_cell_backward_impl, kCUDA, &lstm_backward_kernel);
  register_kernel(OpId::_thnn_fused_gru_cell, kCUDA, &gru_kernel);
  register_kernel(OpId::_thnn_fused_gru_cell_backward, kCUDA, &gru_backward_kernel);
  register_kernel(OpId::_fused_tree_lstm_cell, kCUDA, &tree_lstm_kernel);
  register_kernel(OpId::_fused_tree_lstm_cell_backward, kCUDA, &tree_lstm_backward_kernel);
}

}  // namespace reel::cuda
