// reel/nn/conv.cpp — Conv1d/Conv2d/Conv3d (argument checks, PyTorch's initialisation, printing, padding modes),
// forwarding to the convolution functions of nn/functional.h and tensor/ops.h (pooling layers: nn/pooling.cpp).
// ConvTranspose1d/2d are in nn/conv_transpose.cpp, the option-taking F:: functions in nn/conv_functional.cpp.
#include "nn/conv.h"

#include <algorithm>
#include <cmath>

#include "nn/functional.h"
#include "nn/init.h"
#include "nn/repr.h"
#include "tensor/error_format.h"
#include "tensor/ops.h"

namespace reel::nn {

namespace {

// A size argument of a layer with `spatial_dims` spatial dims: one value repeated, or one value per dim.
std::vector<int64_t> expand_to(const char* layer, const char* name, IntList values, size_t spatial_dims) {
  REEL_CHECK(values.size() == 1 || values.size() == spatial_dims, "{}: {} must be one value or {}, got {}", layer,
             name, spatial_dims, shape_str(values));
  if (values.size() == 1) return std::vector<int64_t>(spatial_dims, values[0]);
  return values.vec();
}

// Checks that every value is at least `minimum` (a layer's kernel, stride, padding or dilation).
void check_at_least(const char* layer, const char* name, const std::vector<int64_t>& values, int64_t minimum) {
  REEL_CHECK(std::all_of(values.begin(), values.end(), [&](int64_t v) { return v >= minimum; }),
             "{}: {} must be {}, got {}", layer, name, minimum == 0 ? "non-negative" : "positive",
             shape_str(values));
}

}  // namespace

// ---- convolution -----------------------------------------------------------------------------------------------

namespace {

// The layer settings of ConvOptions<D>: "same" padding becomes its left padding (checked against the stride).
template <size_t D>
ConvImplBase::Settings conv_settings(const char* layer, const ConvOptions<D>& o) {
  ConvImplBase::Settings s{o.in_channels(),       o.out_channels(),       o.kernel_size().vec(), o.stride().vec(),
                           o.padding().values().vec(), o.dilation().vec(), std::vector<int64_t>(D, 0),
                           o.padding().mode_name(), o.groups(),           o.bias(),              o.padding_mode(),
                           false};
  if (o.padding().is_same()) {
    REEL_CHECK(std::all_of(s.stride.begin(), s.stride.end(), [](int64_t v) { return v == 1; }),
               "{}: padding='same' is not supported for strided convolutions, got stride {}", layer,
               shape_str(s.stride));
    for (size_t i = 0; i < D; ++i) s.padding[i] = s.dilation[i] * (s.kernel_size[i] - 1) / 2;
  }
  return s;
}

}  // namespace

ConvImplBase::ConvImplBase(const char* layer, Settings s)
    : in_channels(s.in_channels),
      out_channels(s.out_channels),
      kernel_size(std::move(s.kernel_size)),
      stride(std::move(s.stride)),
      padding(std::move(s.padding)),
      dilation(std::move(s.dilation)),
      output_padding(std::move(s.output_padding)),
      padding_name(std::move(s.padding_name)),
      groups(s.groups),
      padding_mode(std::move(s.padding_mode)),
      transposed(s.transposed) {
  REEL_CHECK(groups > 0, "{}: groups must be a positive integer, got {}", layer, groups);
  REEL_CHECK(in_channels > 0 && out_channels > 0, "{}: in_channels and out_channels must be positive, got {} and {}",
             layer, in_channels, out_channels);
  REEL_CHECK(in_channels % groups == 0, "{}: in_channels ({}) must be divisible by groups ({})", layer, in_channels,
             groups);
  REEL_CHECK(out_channels % groups == 0, "{}: out_channels ({}) must be divisible by groups ({})", layer,
             out_channels, groups);
  REEL_CHECK(padding_mode == "zeros" || padding_mode == "reflect" || padding_mode == "replicate" ||
                 padding_mode == "circular",
             "{}: padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', but got padding_mode='{}'",
             layer, padding_mode);
  check_at_least(layer, "kernel_size", kernel_size, 1);
  check_at_least(layer, "stride", stride, 1);
  check_at_least(layer, "padding", padding, 0);
  check_at_least(layer, "dilation", dilation, 1);
  check_at_least(layer, "output_padding", output_padding, 0);
  // F::pad's list runs from the last dim to the first, (left, right) each; "same" puts the odd one on the right.
  for (size_t i = kernel_size.size(); i-- > 0;) {
    const int64_t total = padding_name == "same" ? dilation[i] * (kernel_size[i] - 1) : 2 * padding[i];
    reversed_padding_repeated_twice_.push_back(total / 2);
    reversed_padding_repeated_twice_.push_back(total - total / 2);
  }
  std::vector<int64_t> weight_shape = transposed ? std::vector<int64_t>{in_channels, out_channels / groups}
                                                 : std::vector<int64_t>{out_channels, in_channels / groups};
  weight_shape.insert(weight_shape.end(), kernel_size.begin(), kernel_size.end());
  weight = register_parameter("weight", reel::empty(weight_shape));
  if (s.bias) bias = register_parameter("bias", empty({out_channels}));
  reset_parameters();
}

// W ~ kaiming_uniform_(a = sqrt 5) = U(+-1/sqrt(fan_in)), b ~ U(+-1/sqrt(fan_in))
void ConvImplBase::reset_parameters() {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const int64_t fan_in = init::calculate_fan_in_and_fan_out(weight).first;
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

// PyTorch's _ConvNd.extra_repr: the settings that differ from their defaults
std::string ConvImplBase::extra_repr() const {
  std::string text = fmt::format("{}, {}, kernel_size={}, stride={}", in_channels, out_channels,
                                 repr::py_tuple(kernel_size), repr::py_tuple(stride));
  if (!padding_name.empty())
    text += ", padding=" + padding_name;
  else if (std::any_of(padding.begin(), padding.end(), [](int64_t v) { return v != 0; }))
    text += fmt::format(", padding={}", repr::py_tuple(padding));
  if (std::any_of(dilation.begin(), dilation.end(), [](int64_t v) { return v != 1; }))
    text += fmt::format(", dilation={}", repr::py_tuple(dilation));
  if (std::any_of(output_padding.begin(), output_padding.end(), [](int64_t v) { return v != 0; }))
    text += fmt::format(", output_padding={}", repr::py_tuple(output_padding));
  if (groups != 1) text += fmt::format(", groups={}", groups);
  if (!bias.defined()) text += ", bias=False";
  if (padding_mode != "zeros") text += ", padding_mode=" + padding_mode;
  return text;
}

Tensor ConvImplBase::pad_input(const Tensor& input) const {
  return functional::pad(input, reversed_padding_repeated_twice_, padding_mode);
}

namespace {

// y = F::conv{D}d(x, W, b) with the layer's settings; a non-zeros padding_mode pads x first and convolves unpadded.
template <size_t D, typename PaddedInput>
Tensor conv_layer_forward(const ConvImplBase& layer, const Tensor& input, PaddedInput&& pad_input) {
  functional::ConvFuncOptions<D> o;
  o.bias(layer.bias).stride(layer.stride).dilation(layer.dilation).groups(layer.groups);
  if (layer.padding_mode != "zeros") {
    o.padding(0);
    if constexpr (D == 1) return functional::conv1d(pad_input(input), layer.weight, o);
    if constexpr (D == 2) return functional::conv2d(pad_input(input), layer.weight, o);
    if constexpr (D == 3) return functional::conv3d(pad_input(input), layer.weight, o);
  }
  if (layer.padding_name == "same")
    o.padding(kSame);
  else
    o.padding(IntList(layer.padding));
  if constexpr (D == 1) return functional::conv1d(input, layer.weight, o);
  if constexpr (D == 2) return functional::conv2d(input, layer.weight, o);
  if constexpr (D == 3) return functional::conv3d(input, layer.weight, o);
}

}  // namespace

Conv1dImpl::Conv1dImpl(Conv1dOptions options_)
    : ConvImplBase("Conv1d", conv_settings("Conv1d", options_)), options(std::move(options_)) {}

Conv1dImpl::Conv1dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel_size, int64_t stride,
                       int64_t padding, int64_t dilation, int64_t groups, bool bias)
    : Conv1dImpl(Conv1dOptions(in_channels, out_channels, kernel_size)
                     .stride(stride)
                     .padding(padding)
                     .dilation(dilation)
                     .groups(groups)
                     .bias(bias)) {}

// y = conv1d(x, W, b)
Tensor Conv1dImpl::forward(const Tensor& input) {
  return conv_layer_forward<1>(*this, input, [this](const Tensor& x) { return pad_input(x); });
}

namespace {
// A size argument of a positional constructor, expanded to D values.
template <size_t D>
ExpandingArray<D> expanding(const char* layer, const char* name, IntList values) {
  return ExpandingArray<D>(expand_to(layer, name, values, D));
}
}  // namespace

Conv2dImpl::Conv2dImpl(Conv2dOptions options_)
    : ConvImplBase("Conv2d", conv_settings("Conv2d", options_)), options(std::move(options_)) {}

Conv2dImpl::Conv2dImpl(int64_t in_channels, int64_t out_channels, IntList kernel_size, IntList stride,
                       IntList padding, IntList dilation, int64_t groups, bool bias)
    : Conv2dImpl(Conv2dOptions(in_channels, out_channels, expanding<2>("Conv2d", "kernel_size", kernel_size))
                     .stride(expanding<2>("Conv2d", "stride", stride))
                     .padding(expanding<2>("Conv2d", "padding", padding))
                     .dilation(expanding<2>("Conv2d", "dilation", dilation))
                     .groups(groups)
                     .bias(bias)) {}

// y = conv2d(x, W, b)
Tensor Conv2dImpl::forward(const Tensor& input) {
  return conv_layer_forward<2>(*this, input, [this](const Tensor& x) { return pad_input(x); });
}

Conv3dImpl::Conv3dImpl(Conv3dOptions options_)
    : ConvImplBase("Conv3d", conv_settings("Conv3d", options_)), options(std::move(options_)) {}

Conv3dImpl::Conv3dImpl(int64_t in_channels, int64_t out_channels, IntList kernel_size, IntList stride,
                       IntList padding, IntList dilation, int64_t groups, bool bias)
    : Conv3dImpl(Conv3dOptions(in_channels, out_channels, expanding<3>("Conv3d", "kernel_size", kernel_size))
                     .stride(expanding<3>("Conv3d", "stride", stride))
                     .padding(expanding<3>("Conv3d", "padding", padding))
                     .dilation(expanding<3>("Conv3d", "dilation", dilation))
                     .groups(groups)
                     .bias(bias)) {}

// y = conv3d(x, W, b)
Tensor Conv3dImpl::forward(const Tensor& input) {
  return conv_layer_forward<3>(*this, input, [this](const Tensor& x) { return pad_input(x); });
}

}  // namespace reel::nn
