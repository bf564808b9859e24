// reel/cuda/conv_naive.h — reel's own direct CUDA convolution (cuda/conv_naive.cu; internal to cuda/): the three
// conv2d primitives with one thread per output element, correct for every stride, padding, dilation and group
// count, every floating dtype and empty tensors. It is the baseline cuDNN is measured against
// (reel::cuda::set_conv_backend(ConvBackend::naive)) and the fallback for problems cuDNN does not take.
// Every tensor must be contiguous and on the current device; outputs are fully written (no pre-zeroing needed).
#pragma once

#include "tensor/conv_params.h"
#include "tensor/tensor.h"

namespace reel::cuda {

// y (N, O, oH, oW) = conv2d(x (N, C, H, W), w (O, C/G, kH, kW)) + bias (O) when bias is not null
void naive_conv2d(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y, const ConvParams& p);

// dx (N, C, H, W) = the gradient of conv2d with respect to its input, for grad (N, O, oH, oW)
void naive_conv2d_backward_input(const Tensor& grad, const Tensor& w, Tensor& dx, const ConvParams& p);

// dw (O, C/G, kH, kW) = the gradient of conv2d with respect to its weight, for grad (N, O, oH, oW) and x
void naive_conv2d_backward_weight(const Tensor& grad, const Tensor& x, Tensor& dw, const ConvParams& p);

// y[n, o, i, j] = bias[o] for every n, i, j: the cuDNN path preloads y with the bias and accumulates onto it.
void fill_channel_bias(Tensor& y, const Tensor& bias);

}  // namespace reel::cuda
