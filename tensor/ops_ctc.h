// reel/tensor/ops_ctc.h — the rule by which ctc_loss picks cuDNN's CTC (_cudnn_ctc_loss) over the recursion
// (_ctc_loss), written as a pure function of the facts it reads so that tests can try it without a GPU.
//
// PyTorch's rule (aten/src/ATen/native/cudnn/LossCTC.cpp, _use_cudnn_ctc_loss with lengths as lists, the form its
// ctc_loss takes for ordinary tensors): cuDNN is enabled, log_probs is a 3-D float32 CUDA tensor, blank is 0, the
// targets are a contiguous 1-D (concatenated) int32 CPU tensor, every input length equals T = log_probs.size(0), and
// every target length is below 256 and at most its input length. reel adds three facts that PyTorch leaves to cuDNN
// (which fails or reads out of range on them): the problem is not empty, one input and one target length are given
// per sample, and the sizes fit cuDNN's int. "cuDNN is enabled" is reel::cuda's backend switch
// (conv_backend() == cudnn in a build that links cuDNN), the one cuDNN's convolutions, batch norm and RNN follow.
#pragma once

#include <cstdint>

#include "tensor/device.h"
#include "tensor/dtype.h"
#include "tensor/shape.h"

namespace reel::detail {

// What the rule reads: log_probs' and targets' device, dtype and layout, the lengths, blank, and the switch.
struct CudnnCtcFacts {
  bool cudnn_enabled = false;  // a build with cuDNN, and reel::cuda::conv_backend() == ConvBackend::cudnn
  Device log_probs_device;
  ScalarType log_probs_dtype = kFloat32;
  IntList log_probs_sizes;
  Device targets_device;
  ScalarType targets_dtype = kInt64;
  int64_t targets_dim = 0;
  bool targets_contiguous = true;
  IntList input_lengths;
  IntList target_lengths;
  int64_t blank = 0;
};

// True when ctc_loss runs _cudnn_ctc_loss for these facts (the rule above).
bool use_cudnn_ctc_loss(const CudnnCtcFacts& facts);

}  // namespace reel::detail
