// reel/nn/conv_transpose.cpp — ConvTranspose1d / ConvTranspose2d: LibTorch's options, PyTorch's initialisation
// (the shared ConvImplBase of nn/conv.cpp, weight [in, out / groups, *kernel_size]) and forward(input, output_size),
// which turns a requested output size into the output_padding that produces it (PyTorch's _output_padding).
#include <optional>
#include <vector>

#include "nn/conv.h"
#include "nn/functional.h"
#include "tensor/error_format.h"

namespace reel::nn {

namespace {

template <size_t D>
ConvImplBase::Settings conv_transpose_settings(const char* layer, const ConvTransposeOptions<D>& o) {
  REEL_CHECK(o.padding_mode() == "zeros", "{}: Only \"zeros\" padding mode is supported for {}, got '{}'", layer, layer,
             o.padding_mode());
  return {o.in_channels(),   o.out_channels(),   o.kernel_size().vec(),    o.stride().vec(),
          o.padding().vec(), o.dilation().vec(), o.output_padding().vec(), "",
          o.groups(),        o.bias(),           o.padding_mode(),         true};
}

// The layer's output_padding, or the one that makes the output output_size: output_size gives the D spatial sizes,
// or also the leading (N, C) / (C) of the input; each must lie in [smallest, smallest + stride - 1] with smallest =
// (in - 1) s - 2 pad + d (k - 1) + 1.
std::vector<int64_t> output_padding_for(const char* layer, const ConvImplBase& l, const Tensor& input,
                                        const std::optional<IntList>& output_size) {
  if (!output_size) return l.output_padding;
  const size_t spatial = l.kernel_size.size();
  input.check_defined(layer);
  const size_t leading = input.dim() == static_cast<int64_t>(spatial) + 2 ? 2 : 1;
  REEL_CHECK(input.dim() == static_cast<int64_t>(spatial + leading),
             "{}: expected a {}-D or {}-D input, got input of size {}", layer, spatial + 1, spatial + 2,
             shape_str(input.sizes()));
  std::vector<int64_t> sizes = output_size->vec();
  if (sizes.size() == leading + spatial) sizes.erase(sizes.begin(), sizes.begin() + static_cast<int64_t>(leading));
  REEL_CHECK(sizes.size() == spatial, "{}: for {}D input, output_size must have {} or {} elements (got {})", layer,
             input.dim(), spatial, spatial + leading, output_size->size());
  std::vector<int64_t> result(spatial);
  for (size_t d = 0; d < spatial; ++d) {
    const int64_t in = input.size(static_cast<int64_t>(d + leading));
    const int64_t smallest = (in - 1) * l.stride[d] - 2 * l.padding[d] + l.dilation[d] * (l.kernel_size[d] - 1) + 1;
    const int64_t largest = smallest + l.stride[d] - 1;
    REEL_CHECK(sizes[d] >= smallest && sizes[d] <= largest,
               "{}: requested an output size of {}, but valid sizes range from {} to {} (for an input of {})", layer,
               shape_str(*output_size), smallest, largest, shape_str(input.sizes()));
    result[d] = sizes[d] - smallest;
  }
  return result;
}

}  // namespace

ConvTranspose1dImpl::ConvTranspose1dImpl(ConvTranspose1dOptions options_)
    : ConvImplBase("ConvTranspose1d", conv_transpose_settings("ConvTranspose1d", options_)),
      options(std::move(options_)) {}

// y = conv_transpose1d(x, W, b)
Tensor ConvTranspose1dImpl::forward(const Tensor& input, const std::optional<IntList>& output_size) {
  const std::vector<int64_t> out_pad = output_padding_for("ConvTranspose1d", *this, input, output_size);
  return reel::conv_transpose1d(input, weight, bias, stride, padding, out_pad, groups, dilation);
}

ConvTranspose2dImpl::ConvTranspose2dImpl(ConvTranspose2dOptions options_)
    : ConvImplBase("ConvTranspose2d", conv_transpose_settings("ConvTranspose2d", options_)),
      options(std::move(options_)) {}

// y = conv_transpose2d(x, W, b)
Tensor ConvTranspose2dImpl::forward(const Tensor& input, const std::optional<IntList>& output_size) {
  const std::vector<int64_t> out_pad = output_padding_for("ConvTranspose2d", *this, input, output_size);
  return reel::conv_transpose2d(input, weight, bias, stride, padding, out_pad, groups, dilation);
}

}  // namespace reel::nn
