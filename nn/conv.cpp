// reel/nn/conv.cpp — Conv1d/Conv2d (argument checks, PyTorch's initialisation, printing) and the pooling layers,
// all forwarding to the convolution and pooling primitives of tensor/ops.h.
#include "nn/conv.h"

#include <algorithm>
#include <cmath>

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

// A pooling size argument kept as given (one value or a pair), checked.
std::vector<int64_t> pool_argument(const char* layer, const char* name, IntList values, int64_t minimum) {
  REEL_CHECK(values.size() == 1 || values.size() == 2, "{}: {} must be one value or 2, got {}", layer, name,
             shape_str(values));
  std::vector<int64_t> kept = values.vec();
  check_at_least(layer, name, kept, minimum);
  return kept;
}

}  // namespace

// ---- convolution -----------------------------------------------------------------------------------------------

ConvImplBase::ConvImplBase(const char* layer, int64_t in_channels_, int64_t out_channels_,
                           std::vector<int64_t> kernel_size_, std::vector<int64_t> stride_,
                           std::vector<int64_t> padding_, std::vector<int64_t> dilation_, int64_t groups_, bool with_bias)
    : in_channels(in_channels_),
      out_channels(out_channels_),
      kernel_size(std::move(kernel_size_)),
      stride(std::move(stride_)),
      padding(std::move(padding_)),
      dilation(std::move(dilation_)),
      groups(groups_) {
  REEL_CHECK(groups > 0, "{}: groups must be a positive integer, got {}", layer, groups);
  REEL_CHECK(in_channels > 0 && out_channels > 0, "{}: in_channels and out_channels must be positive, got {} and {}",
             layer, in_channels, out_channels);
  REEL_CHECK(in_channels % groups == 0, "{}: in_channels ({}) must be divisible by groups ({})", layer, in_channels,
             groups);
  REEL_CHECK(out_channels % groups == 0, "{}: out_channels ({}) must be divisible by groups ({})", layer,
             out_channels, groups);
  check_at_least(layer, "kernel_size", kernel_size, 1);
  check_at_least(layer, "stride", stride, 1);
  check_at_least(layer, "padding", padding, 0);
  check_at_least(layer, "dilation", dilation, 1);
  std::vector<int64_t> weight_shape{out_channels, in_channels / groups};
  weight_shape.insert(weight_shape.end(), kernel_size.begin(), kernel_size.end());
  weight = register_parameter("weight", reel::empty(weight_shape));
  if (with_bias) bias = register_parameter("bias", empty({out_channels}));
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

std::string ConvImplBase::extra_repr() const {
  std::string text = fmt::format("{}, {}, kernel_size={}, stride={}", in_channels, out_channels,
                                 repr::py_tuple(kernel_size), repr::py_tuple(stride));
  if (std::any_of(padding.begin(), padding.end(), [](int64_t v) { return v != 0; }))
    text += fmt::format(", padding={}", repr::py_tuple(padding));
  if (std::any_of(dilation.begin(), dilation.end(), [](int64_t v) { return v != 1; }))
    text += fmt::format(", dilation={}", repr::py_tuple(dilation));
  if (groups != 1) text += fmt::format(", groups={}", groups);
  if (!bias.defined()) text += ", bias=False";
  return text;
}

Conv1dImpl::Conv1dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel_size, int64_t stride,
                       int64_t padding, int64_t dilation, int64_t groups, bool bias)
    : ConvImplBase("Conv1d", in_channels, out_channels, {kernel_size}, {stride}, {padding}, {dilation}, groups, bias) {}

// y = conv1d(x, W, b)
Tensor Conv1dImpl::forward(const Tensor& input) {
  return reel::conv1d(input, weight, bias, stride, padding, dilation, groups);
}

Conv2dImpl::Conv2dImpl(int64_t in_channels, int64_t out_channels, IntList kernel_size, IntList stride,
                       IntList padding, IntList dilation, int64_t groups, bool bias)
    : ConvImplBase("Conv2d", in_channels, out_channels, expand_to("Conv2d", "kernel_size", kernel_size, 2),
                   expand_to("Conv2d", "stride", stride, 2), expand_to("Conv2d", "padding", padding, 2),
                   expand_to("Conv2d", "dilation", dilation, 2), groups, bias) {}

// y = conv2d(x, W, b)
Tensor Conv2dImpl::forward(const Tensor& input) {
  return reel::conv2d(input, weight, bias, stride, padding, dilation, groups);
}

// ---- pooling -----------------------------------------------------------------------------------------------------

MaxPool2dImpl::MaxPool2dImpl(IntList kernel_size_, IntList stride_, IntList padding_, IntList dilation_,
                             bool ceil_mode_)
    : kernel_size(pool_argument("MaxPool2d", "kernel_size", kernel_size_, 1)),
      stride(stride_.empty() ? kernel_size : pool_argument("MaxPool2d", "stride", stride_, 1)),
      padding(pool_argument("MaxPool2d", "padding", padding_, 0)),
      dilation(pool_argument("MaxPool2d", "dilation", dilation_, 1)),
      ceil_mode(ceil_mode_) {}

// y = max over each window
Tensor MaxPool2dImpl::forward(const Tensor& input) {
  return reel::max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode);
}

std::string MaxPool2dImpl::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode={}",
                     repr::py_int_or_tuple(kernel_size), repr::py_int_or_tuple(stride),
                     repr::py_int_or_tuple(padding), repr::py_int_or_tuple(dilation), repr::py_bool(ceil_mode));
}

AvgPool2dImpl::AvgPool2dImpl(IntList kernel_size_, IntList stride_, IntList padding_, bool ceil_mode_,
                             bool count_include_pad_)
    : kernel_size(pool_argument("AvgPool2d", "kernel_size", kernel_size_, 1)),
      stride(stride_.empty() ? kernel_size : pool_argument("AvgPool2d", "stride", stride_, 1)),
      padding(pool_argument("AvgPool2d", "padding", padding_, 0)),
      ceil_mode(ceil_mode_),
      count_include_pad(count_include_pad_) {}

// y = mean over each window
Tensor AvgPool2dImpl::forward(const Tensor& input) {
  return reel::avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad);
}

std::string AvgPool2dImpl::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}", repr::py_int_or_tuple(kernel_size),
                     repr::py_int_or_tuple(stride), repr::py_int_or_tuple(padding));
}

AdaptiveAvgPool2dImpl::AdaptiveAvgPool2dImpl(IntList output_size_)
    : output_size(pool_argument("AdaptiveAvgPool2d", "output_size", output_size_, 0)) {}

// y = mean over each adaptive window
Tensor AdaptiveAvgPool2dImpl::forward(const Tensor& input) { return reel::adaptive_avg_pool2d(input, output_size); }

std::string AdaptiveAvgPool2dImpl::extra_repr() const {
  return fmt::format("output_size={}", repr::py_int_or_tuple(output_size));
}

}  // namespace reel::nn
