// reel/cuda/ctc.cpp — the CUDA kernels of the CTC ops:
//   _ctc_loss, _ctc_loss_backward: the inputs are copied to the host, the CPU recursion (cpu/ctc.cpp, through the
//     CPU front doors of tensor/ops_ctc.cpp) runs there, and the results are copied into the device outputs. CTC's
//     recursion is sequential in time and small next to the network that feeds it. The copies synchronise the
//     stream, as every device-to-host copy does.
//   _cudnn_ctc_loss (builds linking cuDNN): cuDNN's CTC through its v7-style API, cudnnCTCLoss, which takes the
//     labels and both length lists in host memory — PyTorch's _cudnn_ctc_loss for lengths given as lists, the form
//     its ctc_loss uses. The front door has checked what cuDNN needs (float32 (T, N, C) log_probs, blank 0, labels
//     in [1, C), every input length T — the condition PyTorch keeps for cudnnCTCLoss —, target lengths <= 255).
//
// cuDNN's settings for _cudnn_ctc_loss: 3-D packed descriptors (T, N, C) for the probabilities and the gradients;
// CUDNN_LOSS_NORMALIZATION_SOFTMAX, under which cuDNN reads its input as unnormalised activations, softmaxes them
// and returns the gradient with respect to them — for log-softmax outputs the softmax gives back e^log_probs, so
// cost and gradient are the recursion's nll and e^lp - occupancy (PyTorch passes log_probs the same way);
// CUDNN_CTC_ZERO_OOB_GRADIENTS with maxLabelLength 255 (cudnnSetCTCLossDescriptor_v9; the label limit PyTorch
// sets); the deterministic or non-deterministic algorithm as asked (ctc_loss asks for the deterministic one).
// One fact is made to match the recursion rather than left to cuDNN: a sample whose target needs more frames than
// it has (L labels plus one per pair of equal neighbours, cuDNN's "out of bound" samples, whose gradient cuDNN
// zeroes and whose cost it does not define) gets an infinite loss and NaN gradients, as _ctc_loss and
// _ctc_loss_backward give it.
#include "cuda/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/op_attrs.h"
#include "tensor/ops.h"

#ifdef REEL_WITH_CUDNN
#include <limits>
#include <vector>

#include "cuda/cudnn_utils.h"
#endif

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

#ifdef REEL_WITH_CUDNN

constexpr int kMaxLabelLength = 255;  // the front door refuses longer targets (PyTorch's limit for cuDNN)

// The int64 CPU lengths as the ints cuDNN reads (the front door bounded them by T, which fits an int).
std::vector<int> host_ints(const Tensor& lengths) {
  const int64_t* data = lengths.data_ptr<int64_t>();
  return std::vector<int>(data, data + lengths.numel());
}

// A packed (T, N, C) float32 tensor descriptor: cuDNN's CTC describes probabilities and gradients in 3-D.
class CtcTensorDescriptor {
 public:
  CtcTensorDescriptor(int frames, int batch, int classes) {
    REEL_CUDNN_CHECK(cudnnCreateTensorDescriptor(&desc_));
    const int dims[3] = {frames, batch, classes};
    const int strides[3] = {batch * classes, classes, 1};
    const cudnnStatus_t status = cudnnSetTensorNdDescriptor(desc_, CUDNN_DATA_FLOAT, 3, dims, strides);
    if (status != CUDNN_STATUS_SUCCESS) {
      cudnnDestroyTensorDescriptor(desc_);
      throw_cudnn_error(status, "cudnnSetTensorNdDescriptor(desc_, CUDNN_DATA_FLOAT, 3, dims, strides)", __FILE__,
                        __LINE__);
    }
  }
  ~CtcTensorDescriptor() { cudnnDestroyTensorDescriptor(desc_); }
  CtcTensorDescriptor(const CtcTensorDescriptor&) = delete;
  CtcTensorDescriptor& operator=(const CtcTensorDescriptor&) = delete;
  cudnnTensorDescriptor_t get() const { return desc_; }

 private:
  cudnnTensorDescriptor_t desc_ = nullptr;
};

// The CTC loss descriptor of the file's header: float math, softmax normalisation, out-of-bound gradients zeroed.
class CtcLossDescriptor {
 public:
  CtcLossDescriptor() {
    REEL_CUDNN_CHECK(cudnnCreateCTCLossDescriptor(&desc_));
    const cudnnStatus_t status = cudnnSetCTCLossDescriptor_v9(desc_, CUDNN_DATA_FLOAT, CUDNN_LOSS_NORMALIZATION_SOFTMAX,
                                                              CUDNN_CTC_ZERO_OOB_GRADIENTS, kMaxLabelLength);
    if (status != CUDNN_STATUS_SUCCESS) {
      cudnnDestroyCTCLossDescriptor(desc_);
      throw_cudnn_error(status, "cudnnSetCTCLossDescriptor_v9", __FILE__, __LINE__);
    }
  }
  ~CtcLossDescriptor() { cudnnDestroyCTCLossDescriptor(desc_); }
  CtcLossDescriptor(const CtcLossDescriptor&) = delete;
  CtcLossDescriptor& operator=(const CtcLossDescriptor&) = delete;
  cudnnCTCLossDescriptor_t get() const { return desc_; }

 private:
  cudnnCTCLossDescriptor_t desc_ = nullptr;
};

// L + R: the frames a target of L labels needs, one per label plus a blank between each pair of equal neighbours.
int64_t frames_needed(const int32_t* labels, int64_t length) {
  int64_t needed = length;
  for (int64_t k = 1; k < length; ++k) needed += labels[k] == labels[k - 1] ? 1 : 0;
  return needed;
}

// inputs: log_probs (T, N, C) float32 contiguous on the device, targets (concatenated labels, int32, CPU),
// input_lengths, target_lengths (int64, CPU); outputs nll (N), grad (T, N, C); attrs: CudnnCtcLossAttrs.
void cudnn_ctc_loss_kernel(const KernelArgs& args) {
  const CudnnCtcLossAttrs& a = args.attrs->get<CudnnCtcLossAttrs>();
  const Tensor& log_probs = args.inputs[0];
  const int32_t* labels = args.inputs[1].data_ptr<int32_t>();
  const std::vector<int> input_lengths = host_ints(args.inputs[2]), target_lengths = host_ints(args.inputs[3]);
  Tensor& costs = args.outputs[0];
  Tensor& grad = args.outputs[1];
  const int frames = static_cast<int>(log_probs.size(0)), batch = static_cast<int>(log_probs.size(1)),
            classes = static_cast<int>(log_probs.size(2));

  const CtcTensorDescriptor probs_desc(frames, batch, classes), grad_desc(frames, batch, classes);
  const CtcLossDescriptor ctc_desc;
  const cudnnCTCLossAlgo_t algo =
      a.deterministic ? CUDNN_CTC_LOSS_ALGO_DETERMINISTIC : CUDNN_CTC_LOSS_ALGO_NON_DETERMINISTIC;
  cudnnHandle_t handle = cudnn_handle();
  size_t workspace_bytes = 0;
  REEL_CUDNN_CHECK(cudnnGetCTCLossWorkspaceSize(handle, probs_desc.get(), grad_desc.get(), labels,
                                                target_lengths.data(), input_lengths.data(), algo, ctc_desc.get(),
                                                &workspace_bytes));
  Tensor workspace;
  if (workspace_bytes > 0)
    workspace = Tensor::make({static_cast<int64_t>(workspace_bytes)}, kUInt8, log_probs.device(), "cuDNN workspace");
  REEL_CUDNN_CHECK(cudnnCTCLoss(handle, probs_desc.get(), log_probs.data_ptr(), labels, target_lengths.data(),
                                input_lengths.data(), costs.data_ptr(), grad_desc.get(), grad.data_ptr(), algo,
                                ctc_desc.get(), workspace_bytes > 0 ? workspace.data_ptr() : nullptr,
                                workspace_bytes));

  int64_t offset = 0;
  for (int b = 0; b < batch; ++b) {
    if (frames_needed(labels + offset, target_lengths[b]) > input_lengths[b]) {
      costs.narrow(0, b, 1).fill_(Scalar(std::numeric_limits<double>::infinity()));
      grad.narrow(1, b, 1).fill_(Scalar(std::numeric_limits<double>::quiet_NaN()));
    }
    offset += target_lengths[b];
  }
}

#endif  // REEL_WITH_CUDNN

}  // namespace

void register_ctc_kernels() {
  register_kernel(OpId::_ctc_loss, kCUDA, &ctc_loss_kernel);
  register_kernel(OpId::_ctc_loss_backward, kCUDA, &ctc_loss_backward_kernel);
#ifdef REEL_WITH_CUDNN
  register_kernel(OpId::_cudnn_ctc_loss, kCUDA, &cudnn_ctc_loss_kernel);
#endif
}

}  // namespace reel::cuda
