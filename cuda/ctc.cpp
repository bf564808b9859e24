// reel/cuda/ctc.cpp — the CUDA kernels of _ctc_loss and _ctc_loss_backward: the inputs are copied to the host, the
// CPU recursion (cpu/ctc.cpp, through the CPU front doors of tensor/ops_ctc.cpp) runs there, and the results are
// copied into the device outputs. CTC's recursion is sequential in time and small next to the network that feeds
// it; a device kernel (or cuDNN's CTC, which only takes int32 host targets, labels under 256 and float32) is left for
// later. The copies synchronise the stream, as every device-to-host copy does.
#include "cuda/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/ops.h"

namespace reel::cuda {

namespace {

std::vector<int64_t> host_list(const Tensor& lengths) {
  const Tensor host = lengths.to(kCPU).contiguous();
  return std::vector<int64_t>(host.data_ptr<int64_t>(), host.data_ptr<int64_t>() + host.numel());
}

// inputs: log_probs, targets (device), input_lengths, target_lengths (int64, CPU); outputs nll, log_alpha (device).
void ctc_loss_kernel(const KernelArgs& args) {
  const CtcLossAttrs& a = args.attrs->get<CtcLossAttrs>();
  auto [nll, log_alpha] = _ctc_loss(args.inputs[0].to(kCPU), args.inputs[1].to(kCPU), host_list(args.inputs[2]),
                                    host_list(args.inputs[3]), a.blank, a.zero_infinity);
  args.outputs[0].copy_(nll);
  args.outputs[1].copy_(log_alpha);
}

// inputs: grad, log_probs, targets, input_lengths, target_lengths, nll, log_alpha; output d log_probs (device).
void ctc_loss_backward_kernel(const KernelArgs& args) {
  const CtcLossAttrs& a = args.attrs->get<CtcLossAttrs>();
  const Tensor dlp = _ctc_loss_backward(args.inputs[0].to(kCPU), args.inputs[1].to(kCPU), args.inputs[2].to(kCPU),
                                        host_list(args.inputs[3]), host_list(args.inputs[4]),
                                        args.inputs[5].to(kCPU), args.inputs[6].to(kCPU), a.blank, a.zero_infinity);
  args.outputs[0].copy_(dlp);
}

}  // namespace

void register_ctc_kernels() {
  register_kernel(OpId::_ctc_loss, kCUDA, &ctc_loss_kernel);
  register_kernel(OpId::_ctc_loss_backward, kCUDA, &ctc_loss_backward_kernel);
}

}  // namespace reel::cuda
