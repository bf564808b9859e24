// reel/cpu/rnn.cpp — CPU kernels of the fused multi-step RNN ops (fused_rnn, fused_rnn_backward).
//
// The CPU runs the generic implementation (tensor/rnn_generic.cpp): per layer and direction one GEMM for the input
// projections of all T steps, then per step one GEMM (h W_hh^T) and the cell's elementwise update; the backward is
// backpropagation through time with the weight gradients of all steps summed inside one GEMM each. Any floating
// dtype (16-bit floats compute in their own type, as every other CPU op). cuda/rnn.cpp is the CUDA counterpart.
// Kernel arguments (tensor/ops_rnn.cpp makes them contiguous):
//   fused_rnn            inputs {input (T, N, I) or packed (R, I), hx (P, N, S), cx or undefined, weight (flat),
//                        batch_sizes (int64 CPU) or undefined}, outputs {output, hy, cy or undefined, reserve (set
//                        here when training)}
//   fused_rnn_backward   inputs {input, hx, cx, weight, output, reserve, grad_output, grad_hy, grad_cy (each may be
//                        undefined), batch_sizes}, outputs {dinput, dhx, dcx or undefined, dweight}
#include <fmt/format.h>

#include "cpu/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/rnn_generic.h"

namespace reel::cpu {

namespace {

// (output, hy, cy, reserve) of L layers of cells over T steps
void fused_rnn_kernel(const KernelArgs& args) {
  const RnnParams params = args.attrs->get<RnnParams>();
  detail::rnn_forward_generic(params, args.inputs[0], args.inputs[1], args.inputs[2], args.inputs[3], args.inputs[4],
                              args.outputs[0], args.outputs[1], args.outputs[2], &args.outputs[3]);
}

// (dinput, dhx, dcx, dweight) by backpropagation through time
void fused_rnn_backward_kernel(const KernelArgs& args) {
  const RnnParams params = args.attrs->get<RnnParams>();
  const Tensor& reserve = args.inputs[5];
  REEL_CHECK(reserve.dim() == 1,
             "fused_rnn_backward: the reserve (shape {}) was made by cuDNN, not by the CPU kernel's forward", 
             shape_str(reserve.sizes()));
  detail::rnn_backward_generic(params, args.inputs[0], args.inputs[1], args.inputs[2], args.inputs[3], args.inputs[9],
                               args.inputs[4], reserve, args.inputs[6], args.inputs[7], args.inputs[8],
                               args.outputs[0], args.outputs[1], args.outputs[2], args.outputs[3]);
}

}  // namespace

void register_rnn_kernels() {
  register_kernel(OpId::fused_rnn, kCPU, &fused_rnn_kernel);
  register_kernel(OpId::fused_rnn_backward, kCPU, &fused_rnn_backward_kernel);
}

}  // namespace reel::cpu
