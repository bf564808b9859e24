// reel/nn/pooling.cpp — the pooling layers (argument checks, printing as PyTorch) and the F:: pooling functions
// with LibTorch's options, forwarding to the pooling ops of tensor/ops.h.
#include "nn/pooling.h"

#include <algorithm>

#include "nn/repr.h"
#include "tensor/error_format.h"

namespace reel::nn {

namespace {

// Checks that every value is at least `minimum`.
template <size_t D>
void check_at_least(const char* layer, const char* name, const ExpandingArray<D>& values, int64_t minimum) {
  REEL_CHECK(std::all_of(values.begin(), values.end(), [&](int64_t v) { return v >= minimum; }),
             "{}: {} must be {}, got {}", layer, name, minimum == 0 ? "non-negative" : "positive",
             shape_str(values.vec()));
}

// A positional size argument: one value (kept as one, for printing) or one per dim.
template <size_t D>
ExpandingArray<D> positional(const char* layer, const char* name, IntList values) {
  REEL_CHECK(values.size() == 1 || values.size() == D, "{}: {} must be one value or {}, got {}", layer, name, D,
             shape_str(values));
  return values.size() == 1 ? ExpandingArray<D>(values[0]) : ExpandingArray<D>(values);
}

// A setting as PyTorch prints it: the number when one was given, else the tuple.
template <size_t D>
std::string given(const ExpandingArray<D>& values) {
  return values.is_single() ? std::to_string(values[0]) : repr::py_tuple(values.vec());
}

template <size_t D>
void check_max_options(const char* layer, const MaxPoolOptions<D>& o) {
  check_at_least(layer, "kernel_size", o.kernel_size(), 1);
  check_at_least(layer, "stride", o.stride(), 1);
  check_at_least(layer, "padding", o.padding(), 0);
  check_at_least(layer, "dilation", o.dilation(), 1);
}

template <size_t D>
void check_avg_options(const char* layer, const AvgPoolOptions<D>& o) {
  check_at_least(layer, "kernel_size", o.kernel_size(), 1);
  check_at_least(layer, "stride", o.stride(), 1);
  check_at_least(layer, "padding", o.padding(), 0);
  REEL_CHECK(!o.divisor_override() || *o.divisor_override() != 0, "{}: divisor must be not zero", layer);
}

template <size_t D>
std::string max_repr(const MaxPoolOptions<D>& o) {
  return fmt::format("kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode={}", given(o.kernel_size()),
                     given(o.stride()), given(o.padding()), given(o.dilation()), repr::py_bool(o.ceil_mode()));
}

}  // namespace

// ---- functional ------------------------------------------------------------------------------------------------
namespace functional {

Tensor max_pool1d(const Tensor& input, const MaxPool1dFuncOptions& o) {
  return ::reel::max_pool1d(input, o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.ceil_mode());
}
Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& o) {
  return ::reel::max_pool2d(input, o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.ceil_mode());
}
Tensor max_pool3d(const Tensor& input, const MaxPool3dFuncOptions& o) {
  return ::reel::max_pool3d(input, o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.ceil_mode());
}
std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input, const MaxPool1dFuncOptions& o) {
  return ::reel::max_pool1d_with_indices(input, o.kernel_size(), o.stride(), o.padding(), o.dilation(),
                                         o.ceil_mode());
}
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const MaxPool2dFuncOptions& o) {
  return ::reel::max_pool2d_with_indices(input, o.kernel_size(), o.stride(), o.padding(), o.dilation(),
                                         o.ceil_mode());
}
std::tuple<Tensor, Tensor> max_pool3d_with_indices(const Tensor& input, const MaxPool3dFuncOptions& o) {
  return ::reel::max_pool3d_with_indices(input, o.kernel_size(), o.stride(), o.padding(), o.dilation(),
                                         o.ceil_mode());
}

// avg_pool1d runs avg_pool2d over (N, C, 1, L) itself when a divisor_override is set (reel::avg_pool1d has none,
// as ATen's)
Tensor avg_pool1d(const Tensor& input, const AvgPool1dFuncOptions& o) {
  if (!o.divisor_override())
    return ::reel::avg_pool1d(input, o.kernel_size(), o.stride(), o.padding(), o.ceil_mode(), o.count_include_pad());
  input.check_defined("avg_pool1d");
  REEL_CHECK(input.dim() == 2 || input.dim() == 3,
             "avg_pool1d: expected a 2-D (unbatched) or 3-D (batched) input, but got input of size {}",
             shape_str(input.sizes()));
  return ::reel::avg_pool2d(input.unsqueeze(-2), {1, o.kernel_size()[0]}, {1, o.stride()[0]}, {0, o.padding()[0]},
                            o.ceil_mode(), o.count_include_pad(), o.divisor_override())
      .squeeze(-2);
}
Tensor avg_pool2d(const Tensor& input, const AvgPool2dFuncOptions& o) {
  return ::reel::avg_pool2d(input, o.kernel_size(), o.stride(), o.padding(), o.ceil_mode(), o.count_include_pad(),
                            o.divisor_override());
}
Tensor avg_pool3d(const Tensor& input, const AvgPool3dFuncOptions& o) {
  return ::reel::avg_pool3d(input, o.kernel_size(), o.stride(), o.padding(), o.ceil_mode(), o.count_include_pad(),
                            o.divisor_override());
}

Tensor adaptive_max_pool1d(const Tensor& input, const AdaptiveMaxPool1dFuncOptions& o) {
  return std::get<0>(::reel::adaptive_max_pool1d(input, o.output_size()));
}
Tensor adaptive_max_pool2d(const Tensor& input, const AdaptiveMaxPool2dFuncOptions& o) {
  return std::get<0>(::reel::adaptive_max_pool2d(input, o.output_size()));
}
std::tuple<Tensor, Tensor> adaptive_max_pool1d_with_indices(const Tensor& input,
                                                            const AdaptiveMaxPool1dFuncOptions& o) {
  return ::reel::adaptive_max_pool1d(input, o.output_size());
}
std::tuple<Tensor, Tensor> adaptive_max_pool2d_with_indices(const Tensor& input,
                                                            const AdaptiveMaxPool2dFuncOptions& o) {
  return ::reel::adaptive_max_pool2d(input, o.output_size());
}
Tensor adaptive_avg_pool1d(const Tensor& input, const AdaptiveAvgPool1dFuncOptions& o) {
  return ::reel::adaptive_avg_pool1d(input, o.output_size());
}
Tensor adaptive_avg_pool2d(const Tensor& input, const AdaptiveAvgPool2dFuncOptions& o) {
  return ::reel::adaptive_avg_pool2d(input, o.output_size());
}
Tensor adaptive_avg_pool3d(const Tensor& input, const AdaptiveAvgPool3dFuncOptions& o) {
  return ::reel::adaptive_avg_pool3d(input, o.output_size());
}

// Output size (PyTorch's _unpool_output_size): (in - 1) stride - 2 padding + kernel_size per dim, or output_size
// ((H, W) or with the leading dims) strictly within a stride of it.
Tensor max_unpool2d(const Tensor& input, const Tensor& indices, const MaxUnpool2dFuncOptions& o) {
  const char* op = "max_unpool2d";
  input.check_defined(op);
  REEL_CHECK(input.dim() == 3 || input.dim() == 4,
             "{}: expected a 3-D (unbatched) or 4-D (batched) input, but got input of size {}", op,
             shape_str(input.sizes()));
  int64_t sizes[2];
  for (int d = 0; d < 2; ++d)
    sizes[d] = (input.size(input.dim() - 2 + d) - 1) * o.stride()[static_cast<size_t>(d)] -
               2 * o.padding()[static_cast<size_t>(d)] + o.kernel_size()[static_cast<size_t>(d)];
  if (o.output_size()) {
    std::vector<int64_t> wanted = *o.output_size();
    if (wanted.size() == static_cast<size_t>(input.dim())) wanted.erase(wanted.begin(), wanted.end() - 2);
    REEL_CHECK(wanted.size() == 2, "{}: output_size should have 2 or {} elements, got {}", op, input.dim(),
               shape_str(*o.output_size()));
    for (int d = 0; d < 2; ++d) {
      const int64_t stride = o.stride()[static_cast<size_t>(d)];
      const int64_t low = sizes[d] - stride, high = sizes[d] + stride;
      REEL_CHECK(low < wanted[static_cast<size_t>(d)] && wanted[static_cast<size_t>(d)] < high,
                 "{}: invalid output_size {} (dim {} must be between {} and {})", op, shape_str(*o.output_size()), d,
                 low, high);
      sizes[d] = wanted[static_cast<size_t>(d)];
    }
  }
  return ::reel::max_unpool2d(input, indices, {sizes[0], sizes[1]});
}

}  // namespace functional

// ---- max pooling -------------------------------------------------------------------------------------------------
MaxPool1dImpl::MaxPool1dImpl(MaxPool1dOptions options_) : options(std::move(options_)) {
  check_max_options("MaxPool1d", options);
}
// y = max over each window
Tensor MaxPool1dImpl::forward(const Tensor& input) { return functional::max_pool1d(input, options); }
std::tuple<Tensor, Tensor> MaxPool1dImpl::forward_with_indices(const Tensor& input) {
  return functional::max_pool1d_with_indices(input, options);
}
std::string MaxPool1dImpl::extra_repr() const { return max_repr(options); }

MaxPool2dImpl::MaxPool2dImpl(MaxPool2dOptions options_) : options(std::move(options_)) {
  check_max_options("MaxPool2d", options);
}
MaxPool2dImpl::MaxPool2dImpl(IntList kernel_size, IntList stride, IntList padding, IntList dilation, bool ceil_mode)
    : MaxPool2dImpl(MaxPool2dOptions(positional<2>("MaxPool2d", "kernel_size", kernel_size))
                        .padding(positional<2>("MaxPool2d", "padding", padding))
                        .dilation(positional<2>("MaxPool2d", "dilation", dilation))
                        .ceil_mode(ceil_mode)) {
  if (!stride.empty()) options.stride(positional<2>("MaxPool2d", "stride", stride));
  check_max_options("MaxPool2d", options);
}
// y = max over each window
Tensor MaxPool2dImpl::forward(const Tensor& input) { return functional::max_pool2d(input, options); }
std::tuple<Tensor, Tensor> MaxPool2dImpl::forward_with_indices(const Tensor& input) {
  return functional::max_pool2d_with_indices(input, options);
}
std::string MaxPool2dImpl::extra_repr() const { return max_repr(options); }

MaxPool3dImpl::MaxPool3dImpl(MaxPool3dOptions options_) : options(std::move(options_)) {
  check_max_options("MaxPool3d", options);
}
// y = max over each window
Tensor MaxPool3dImpl::forward(const Tensor& input) { return functional::max_pool3d(input, options); }
std::tuple<Tensor, Tensor> MaxPool3dImpl::forward_with_indices(const Tensor& input) {
  return functional::max_pool3d_with_indices(input, options);
}
std::string MaxPool3dImpl::extra_repr() const { return max_repr(options); }

// ---- average pooling ---------------------------------------------------------------------------------------------
AvgPool1dImpl::AvgPool1dImpl(AvgPool1dOptions options_) : options(std::move(options_)) {
  check_avg_options("AvgPool1d", options);
}
// y = mean over each window
Tensor AvgPool1dImpl::forward(const Tensor& input) { return functional::avg_pool1d(input, options); }
// PyTorch's AvgPool1d keeps its settings as 1-tuples
std::string AvgPool1dImpl::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}", repr::py_tuple(options.kernel_size().vec()),
                     repr::py_tuple(options.stride().vec()), repr::py_tuple(options.padding().vec()));
}

AvgPool2dImpl::AvgPool2dImpl(AvgPool2dOptions options_) : options(std::move(options_)) {
  check_avg_options("AvgPool2d", options);
}
AvgPool2dImpl::AvgPool2dImpl(IntList kernel_size, IntList stride, IntList padding, bool ceil_mode,
                             bool count_include_pad)
    : AvgPool2dImpl(AvgPool2dOptions(positional<2>("AvgPool2d", "kernel_size", kernel_size))
                        .padding(positional<2>("AvgPool2d", "padding", padding))
                        .ceil_mode(ceil_mode)
                        .count_include_pad(count_include_pad)) {
  if (!stride.empty()) options.stride(positional<2>("AvgPool2d", "stride", stride));
  check_avg_options("AvgPool2d", options);
}
// y = mean over each window
Tensor AvgPool2dImpl::forward(const Tensor& input) { return functional::avg_pool2d(input, options); }
std::string AvgPool2dImpl::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}", given(options.kernel_size()), given(options.stride()),
                     given(options.padding()));
}

AvgPool3dImpl::AvgPool3dImpl(AvgPool3dOptions options_) : options(std::move(options_)) {
  check_avg_options("AvgPool3d", options);
}
// y = mean over each window
Tensor AvgPool3dImpl::forward(const Tensor& input) { return functional::avg_pool3d(input, options); }
std::string AvgPool3dImpl::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}", given(options.kernel_size()), given(options.stride()),
                     given(options.padding()));
}

// ---- adaptive pooling --------------------------------------------------------------------------------------------
AdaptiveAvgPool1dImpl::AdaptiveAvgPool1dImpl(AdaptiveAvgPool1dOptions options_) : options(std::move(options_)) {
  check_at_least("AdaptiveAvgPool1d", "output_size", options.output_size(), 0);
}
// y = mean over each adaptive window
Tensor AdaptiveAvgPool1dImpl::forward(const Tensor& input) { return functional::adaptive_avg_pool1d(input, options); }
std::string AdaptiveAvgPool1dImpl::extra_repr() const { return "output_size=" + given(options.output_size()); }

AdaptiveAvgPool2dImpl::AdaptiveAvgPool2dImpl(AdaptiveAvgPool2dOptions options_) : options(std::move(options_)) {
  check_at_least("AdaptiveAvgPool2d", "output_size", options.output_size(), 0);
}
AdaptiveAvgPool2dImpl::AdaptiveAvgPool2dImpl(IntList output_size)
    : AdaptiveAvgPool2dImpl(AdaptiveAvgPool2dOptions(positional<2>("AdaptiveAvgPool2d", "output_size", output_size))) {}
// y = mean over each adaptive window
Tensor AdaptiveAvgPool2dImpl::forward(const Tensor& input) { return functional::adaptive_avg_pool2d(input, options); }
std::string AdaptiveAvgPool2dImpl::extra_repr() const { return "output_size=" + given(options.output_size()); }

AdaptiveAvgPool3dImpl::AdaptiveAvgPool3dImpl(AdaptiveAvgPool3dOptions options_) : options(std::move(options_)) {
  check_at_least("AdaptiveAvgPool3d", "output_size", options.output_size(), 0);
}
// y = mean over each adaptive window
Tensor AdaptiveAvgPool3dImpl::forward(const Tensor& input) { return functional::adaptive_avg_pool3d(input, options); }
std::string AdaptiveAvgPool3dImpl::extra_repr() const { return "output_size=" + given(options.output_size()); }

AdaptiveMaxPool1dImpl::AdaptiveMaxPool1dImpl(AdaptiveMaxPool1dOptions options_) : options(std::move(options_)) {
  check_at_least("AdaptiveMaxPool1d", "output_size", options.output_size(), 0);
}
// y = max over each adaptive window
Tensor AdaptiveMaxPool1dImpl::forward(const Tensor& input) { return functional::adaptive_max_pool1d(input, options); }
std::tuple<Tensor, Tensor> AdaptiveMaxPool1dImpl::forward_with_indices(const Tensor& input) {
  return functional::adaptive_max_pool1d_with_indices(input, options);
}
std::string AdaptiveMaxPool1dImpl::extra_repr() const { return "output_size=" + given(options.output_size()); }

AdaptiveMaxPool2dImpl::AdaptiveMaxPool2dImpl(AdaptiveMaxPool2dOptions options_) : options(std::move(options_)) {
  check_at_least("AdaptiveMaxPool2d", "output_size", options.output_size(), 0);
}
// y = max over each adaptive window
Tensor AdaptiveMaxPool2dImpl::forward(const Tensor& input) { return functional::adaptive_max_pool2d(input, options); }
std::tuple<Tensor, Tensor> AdaptiveMaxPool2dImpl::forward_with_indices(const Tensor& input) {
  return functional::adaptive_max_pool2d_with_indices(input, options);
}
std::string AdaptiveMaxPool2dImpl::extra_repr() const { return "output_size=" + given(options.output_size()); }

// ---- unpooling ---------------------------------------------------------------------------------------------------
MaxUnpool2dImpl::MaxUnpool2dImpl(MaxUnpool2dOptions options_) : options(std::move(options_)) {
  check_at_least("MaxUnpool2d", "kernel_size", options.kernel_size(), 1);
  check_at_least("MaxUnpool2d", "stride", options.stride(), 1);
  check_at_least("MaxUnpool2d", "padding", options.padding(), 0);
}
// y = zeros with each value at its index
Tensor MaxUnpool2dImpl::forward(const Tensor& input, const Tensor& indices,
                                const std::optional<std::vector<int64_t>>& output_size) {
  return functional::max_unpool2d(input, indices,
                                  functional::MaxUnpool2dFuncOptions(options.kernel_size())
                                      .stride(options.stride())
                                      .padding(options.padding())
                                      .output_size(output_size));
}
// PyTorch's MaxUnpool2d keeps its settings as pairs
std::string MaxUnpool2dImpl::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}", repr::py_tuple(options.kernel_size().vec()),
                     repr::py_tuple(options.stride().vec()), repr::py_tuple(options.padding().vec()));
}

}  // namespace reel::nn
