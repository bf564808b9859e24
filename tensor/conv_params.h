// reel/tensor/conv_params.h — how the convolution and pooling ops keep their settings in OpAttrs (internal).
//
// The front doors (tensor/ops_conv.cpp) store these, the CPU kernels (cpu/conv.cpp, cpu/pool.cpp) and the backward
// formulas (autograd/derivatives.cpp) read them back, so the layout lives in one place:
//   conv2d family   dims = {stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w}, k = groups
//   pooling         dims = {kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w},
//                   flag = ceil_mode, flag2 = count_include_pad (avg_pool2d)
// Shapes are not stored: the kernels read them from their input and output tensors, the formulas from InputMeta.
#pragma once

#include <array>
#include <cstdint>

#include "dispatch.h"

namespace reel {

using SpatialPair = std::array<int64_t, 2>;  // (height, width)

struct ConvParams {
  SpatialPair stride{1, 1}, padding{0, 0}, dilation{1, 1};
  int64_t groups = 1;

  OpAttrs attrs() const {
    OpAttrs a;
    a.dims = {stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1]};
    a.k = groups;
    return a;
  }
  static ConvParams from(const OpAttrs& a) {
    ConvParams p;
    p.stride = {a.dims[0], a.dims[1]};
    p.padding = {a.dims[2], a.dims[3]};
    p.dilation = {a.dims[4], a.dims[5]};
    p.groups = a.k;
    return p;
  }
  // Output length along one spatial dim: floor((in + 2 pad - dilation (k - 1) - 1) / stride) + 1.
  int64_t output_size(int d, int64_t in, int64_t kernel) const {
    return (in + 2 * padding[d] - dilation[d] * (kernel - 1) - 1) / stride[d] + 1;
  }
};

struct PoolParams {
  SpatialPair kernel{1, 1}, stride{1, 1}, padding{0, 0}, dilation{1, 1};
  bool ceil_mode = false;
  bool count_include_pad = true;

  OpAttrs attrs() const {
    OpAttrs a;
    a.dims = {kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1]};
    a.flag = ceil_mode;
    a.flag2 = count_include_pad;
    return a;
  }
  static PoolParams from(const OpAttrs& a) {
    PoolParams p;
    p.kernel = {a.dims[0], a.dims[1]};
    p.stride = {a.dims[2], a.dims[3]};
    p.padding = {a.dims[4], a.dims[5]};
    p.dilation = {a.dims[6], a.dims[7]};
    p.ceil_mode = a.flag;
    p.count_include_pad = a.flag2;
    return p;
  }
  // PyTorch's pooling_output_shape: floor or ceil of (in + 2 pad - dilation (k - 1) - 1) / stride, plus 1; in
  // ceil mode the last window must start inside the input or the left padding.
  int64_t output_size(int d, int64_t in) const {
    const int64_t span = in + 2 * padding[d] - dilation[d] * (kernel[d] - 1) - 1 + (ceil_mode ? stride[d] - 1 : 0);
    int64_t out = (span >= 0 ? span / stride[d] : -((-span + stride[d] - 1) / stride[d])) + 1;
    if (ceil_mode && (out - 1) * stride[d] >= in + padding[d]) --out;
    return out;
  }
};

}  // namespace reel
