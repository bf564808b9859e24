// reel/cuda/norm.h — the cuDNN half of the CUDA batch normalization kernels (cuda/norm_cudnn.cpp), called by the
// kernel-table entries in cuda/norm.cu (internal to cuda/; only in builds that link cuDNN, REEL_WITH_CUDNN).
//
// Both take contiguous float32 / float64 tensors on the current device, laid out as the front doors of
// tensor/ops_norm.cpp made them (input (N, C, ...), per-channel tensors (C), an undefined weight or bias meaning 1
// or 0), and return false without touching the outputs when cuDNN cannot take the problem (an empty tensor, a size
// or element count beyond int, eps below CUDNN_BN_MIN_EPSILON, or cuDNN reporting it as not supported); the caller
// then runs reel's own kernels.
#pragma once

#ifdef REEL_WITH_CUDNN

#include "tensor/tensor.h"

namespace reel::cuda {

// (y, save_mean, save_invstd) = cudnnBatchNormalizationForwardTraining over the (N, C, S, 1) view, running stats
// not updated.
bool cudnn_batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y, Tensor& save_mean,
                              Tensor& save_invstd, double eps);

// (dx, dw, db) = cudnnBatchNormalizationBackward with the forward's saved mean and inverse standard deviation.
bool cudnn_batch_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& weight, const Tensor& save_mean,
                               const Tensor& save_invstd, Tensor& dx, Tensor& dw, Tensor& db, double eps);

}  // namespace reel::cuda

#endif  // REEL_WITH_CUDNN
