// reel/nn/conv_functional.cpp — F::conv1d/2d/3d and F::conv_transpose1d/2d with LibTorch's option structs
// (nn/conv_options.h): padding "same" and "valid" as PyTorch's _convolution_mode, everything else forwarded to the
// tensor-level ops of tensor/ops.h.
#include <algorithm>
#include <vector>

#include "nn/conv_options.h"
#include "nn/functional.h"
#include "tensor/error_format.h"

namespace reel::nn::functional {

namespace {

template <size_t D>
Tensor conv_numbers(const Tensor& input, const Tensor& weight, const Tensor& bias, IntList stride, IntList padding,
                    IntList dilation, int64_t groups) {
  if constexpr (D == 1) return ::reel::conv1d(input, weight, bias, stride, padding, dilation, groups);
  if constexpr (D == 2) return ::reel::conv2d(input, weight, bias, stride, padding, dilation, groups);
  if constexpr (D == 3) return ::reel::conv3d(input, weight, bias, stride, padding, dilation, groups);
}

// padding "same": each spatial dim gets dilation (k - 1) of zero padding in all, half (rounded down) on the left and
// the rest on the right; the odd element is added to the input first (F::pad), the rest is the op's padding.
// "valid": no padding.
template <size_t D>
Tensor conv_with_padding(const char* op, const Tensor& input, const Tensor& weight, const ConvFuncOptions<D>& o) {
  const ConvPadding<D>& padding = o.padding();
  if (padding.is_numbers())
    return conv_numbers<D>(input, weight, o.bias(), o.stride(), padding.values(), o.dilation(), o.groups());
  if (padding.is_valid()) return conv_numbers<D>(input, weight, o.bias(), o.stride(), 0, o.dilation(), o.groups());
  REEL_CHECK(std::all_of(o.stride().begin(), o.stride().end(), [](int64_t v) { return v == 1; }),
             "{}: padding='same' is not supported for strided convolutions, got stride {}", op,
             shape_str(IntList(o.stride())));
  input.check_defined(op);
  weight.check_defined(op);
  REEL_CHECK(weight.dim() == static_cast<int64_t>(D) + 2, "{}: expected a {}-D weight, got weight of size {}", op,
             D + 2, shape_str(weight.sizes()));
  std::vector<int64_t> left(D), extra(2 * D, 0);
  bool symmetric = true;
  for (size_t i = 0; i < D; ++i) {
    const int64_t total = o.dilation()[i] * (weight.size(static_cast<int64_t>(i) + 2) - 1);
    left[i] = total / 2;
    extra[2 * (D - 1 - i) + 1] = total - 2 * left[i];
    symmetric = symmetric && total % 2 == 0;
  }
  const Tensor padded = symmetric ? input : pad(input, extra, "constant", 0.0);
  return conv_numbers<D>(padded, weight, o.bias(), o.stride(), left, o.dilation(), o.groups());
}

}  // namespace

Tensor conv1d(const Tensor& input, const Tensor& weight, const Conv1dFuncOptions& options) {
  return conv_with_padding<1>("conv1d", input, weight, options);
}
Tensor conv2d(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& options) {
  return conv_with_padding<2>("conv2d", input, weight, options);
}
Tensor conv3d(const Tensor& input, const Tensor& weight, const Conv3dFuncOptions& options) {
  return conv_with_padding<3>("conv3d", input, weight, options);
}

Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const ConvTranspose1dFuncOptions& o) {
  return ::reel::conv_transpose1d(input, weight, o.bias(), o.stride(), o.padding(), o.output_padding(), o.groups(),
                                  o.dilation());
}
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const ConvTranspose2dFuncOptions& o) {
  return ::reel::conv_transpose2d(input, weight, o.bias(), o.stride(), o.padding(), o.output_padding(), o.groups(),
                                  o.dilation());
}

}  // namespace reel::nn::functional
