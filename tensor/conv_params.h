// reel/tensor/conv_params.h — the settings of the convolution and pooling ops (internal).
//
// ConvParams and PoolParams are alternatives of OpAttrs' FamilyAttrs (tensor/op_attrs.h): the front doors
// (tensor/ops_conv.cpp) store them with `attrs.set(p)`, the kernels (cpu/conv.cpp, cpu/pool.cpp, cuda/conv.cpp,
// cuda/pool.cu) and the backward formulas (autograd/derivatives_nn.cpp) read them with `attrs.get<ConvParams>()`.
// Shapes are not stored: the kernels read them from their input and output tensors, the formulas from InputMeta.
// Kept free of other reel headers (op_attrs.h includes this one), and trivially copyable.
#pragma once

#include <array>
#include <cstdint>

namespace reel {

using SpatialPair = std::array<int64_t, 2>;  // (height, width)

struct ConvParams {
  SpatialPair stride{1, 1}, padding{0, 0}, dilation{1, 1};
  int64_t groups = 1;

  // Output length along one spatial dim: floor((in + 2 pad - dilation (k - 1) - 1) / stride) + 1.
  int64_t output_size(int d, int64_t in, int64_t kernel) const {
    return (in + 2 * padding[d] - dilation[d] * (kernel - 1) - 1) / stride[d] + 1;
  }
};

struct PoolParams {
  SpatialPair kernel{1, 1}, stride{1, 1}, padding{0, 0}, dilation{1, 1};
  bool ceil_mode = false;
  bool count_include_pad = true;

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
