// reel/tensor/ops_resample.h — the 4-D upsample primitives behind interpolate and LibTorch's upsample_* functions
// (internal: nn/functional_image.cpp and the backward formulas call them; users call the ops.h spellings).
#pragma once

#include "tensor/op_attrs.h"
#include "tensor/ops.h"

namespace reel::detail {

// y (N, C, output_size[0], output_size[1]) from x (N, C, H, W): tensor/resample_math.h's taps, mode in attrs.
Tensor upsample(const Tensor& input, IntList output_size, const UpsampleAttrs& attrs);
// dx of input_size (N, C, H, W) from grad_output (N, C, oH, oW): each output gradient spread over its taps.
Tensor upsample_backward(const Tensor& grad_output, IntList input_size, const UpsampleAttrs& attrs);

}  // namespace reel::detail
