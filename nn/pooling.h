// reel/nn/pooling.h — the pooling layers with LibTorch's options: MaxPool1d/2d/3d, AvgPool1d/2d/3d,
// AdaptiveAvgPool1d/2d/3d, AdaptiveMaxPool1d/2d, MaxUnpool2d, and the F:: functions taking the same options
// (F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2)), F::adaptive_max_pool2d_with_indices, F::max_unpool2d).
//
//   reel::nn::MaxPool2d pool(reel::nn::MaxPool2dOptions(3).stride(2).padding(1));
//   auto [y, indices] = pool->forward_with_indices(x);
//   reel::nn::MaxUnpool2d unpool(reel::nn::MaxUnpool2dOptions(3).stride(2).padding(1));
//   reel::Tensor restored = unpool(y, indices, std::vector<int64_t>{x.size(2), x.size(3)});
//
// The layers call the pooling ops of tensor/ops.h: 2-D ones are kernels on CPU and CUDA, 1-D ones run them on
// (N, C, 1, L), 3-D ones are separable compositions of them (tensor/ops_pool_nd.cpp). reel's positional
// constructors of MaxPool2d, AvgPool2d and AdaptiveAvgPool2d stay beside the options ones. Options as LibTorch's:
// stride defaults to kernel_size; adaptive output sizes are numbers (LibTorch's ExpandingArrayWithOptionalElem,
// a None element keeping the input's size, is not taken). Layers print as PyTorch prints them.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "../tensor/ops.h"
#include "arg.h"
#include "expanding_array.h"
#include "module.h"

namespace reel::nn {

// ---- options -----------------------------------------------------------------------------------------------------
template <size_t D>
struct MaxPoolOptions {
  MaxPoolOptions(ExpandingArray<D> kernel_size) : kernel_size_(kernel_size), stride_(kernel_size) {}  // NOLINT
  REEL_ARG(ExpandingArray<D>, kernel_size);
  REEL_ARG(ExpandingArray<D>, stride);  // default: kernel_size
  REEL_ARG(ExpandingArray<D>, padding) = 0;
  REEL_ARG(ExpandingArray<D>, dilation) = 1;
  REEL_ARG(bool, ceil_mode) = false;
};
using MaxPool1dOptions = MaxPoolOptions<1>;
using MaxPool2dOptions = MaxPoolOptions<2>;
using MaxPool3dOptions = MaxPoolOptions<3>;

template <size_t D>
struct AvgPoolOptions {
  AvgPoolOptions(ExpandingArray<D> kernel_size) : kernel_size_(kernel_size), stride_(kernel_size) {}  // NOLINT
  REEL_ARG(ExpandingArray<D>, kernel_size);
  REEL_ARG(ExpandingArray<D>, stride);  // default: kernel_size
  REEL_ARG(ExpandingArray<D>, padding) = 0;
  REEL_ARG(bool, ceil_mode) = false;
  REEL_ARG(bool, count_include_pad) = true;
  REEL_ARG(std::optional<int64_t>, divisor_override) = std::nullopt;  // the window sum divided by this
};
using AvgPool1dOptions = AvgPoolOptions<1>;
using AvgPool2dOptions = AvgPoolOptions<2>;
using AvgPool3dOptions = AvgPoolOptions<3>;

template <size_t D>
struct AdaptiveMaxPoolOptions {
  AdaptiveMaxPoolOptions(ExpandingArray<D> output_size) : output_size_(output_size) {}  // NOLINT
  REEL_ARG(ExpandingArray<D>, output_size);
};
using AdaptiveMaxPool1dOptions = AdaptiveMaxPoolOptions<1>;
using AdaptiveMaxPool2dOptions = AdaptiveMaxPoolOptions<2>;

template <size_t D>
struct AdaptiveAvgPoolOptions {
  AdaptiveAvgPoolOptions(ExpandingArray<D> output_size) : output_size_(output_size) {}  // NOLINT
  REEL_ARG(ExpandingArray<D>, output_size);
};
using AdaptiveAvgPool1dOptions = AdaptiveAvgPoolOptions<1>;
using AdaptiveAvgPool2dOptions = AdaptiveAvgPoolOptions<2>;
using AdaptiveAvgPool3dOptions = AdaptiveAvgPoolOptions<3>;

template <size_t D>
struct MaxUnpoolOptions {
  MaxUnpoolOptions(ExpandingArray<D> kernel_size) : kernel_size_(kernel_size), stride_(kernel_size) {}  // NOLINT
  REEL_ARG(ExpandingArray<D>, kernel_size);
  REEL_ARG(ExpandingArray<D>, stride);  // default: kernel_size
  REEL_ARG(ExpandingArray<D>, padding) = 0;
};
using MaxUnpool2dOptions = MaxUnpoolOptions<2>;

namespace functional {

using MaxPool1dFuncOptions = MaxPool1dOptions;
using MaxPool2dFuncOptions = MaxPool2dOptions;
using MaxPool3dFuncOptions = MaxPool3dOptions;
using AvgPool1dFuncOptions = AvgPool1dOptions;
using AvgPool2dFuncOptions = AvgPool2dOptions;
using AvgPool3dFuncOptions = AvgPool3dOptions;
using AdaptiveMaxPool1dFuncOptions = AdaptiveMaxPool1dOptions;
using AdaptiveMaxPool2dFuncOptions = AdaptiveMaxPool2dOptions;
using AdaptiveAvgPool1dFuncOptions = AdaptiveAvgPool1dOptions;
using AdaptiveAvgPool2dFuncOptions = AdaptiveAvgPool2dOptions;
using AdaptiveAvgPool3dFuncOptions = AdaptiveAvgPool3dOptions;

template <size_t D>
struct MaxUnpoolFuncOptions {
  MaxUnpoolFuncOptions(ExpandingArray<D> kernel_size) : kernel_size_(kernel_size), stride_(kernel_size) {}  // NOLINT
  REEL_ARG(ExpandingArray<D>, kernel_size);
  REEL_ARG(ExpandingArray<D>, stride);  // default: kernel_size
  REEL_ARG(ExpandingArray<D>, padding) = 0;
  // (H, W), or the input's full size; unset: (in - 1) stride - 2 padding + kernel_size
  REEL_ARG(std::optional<std::vector<int64_t>>, output_size) = std::nullopt;
};
using MaxUnpool2dFuncOptions = MaxUnpoolFuncOptions<2>;

// y = max / mean over each window with the options' settings (nn/pooling.cpp)
Tensor max_pool1d(const Tensor& input, const MaxPool1dFuncOptions& options);
Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& options);
Tensor max_pool3d(const Tensor& input, const MaxPool3dFuncOptions& options);
std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input, const MaxPool1dFuncOptions& options);
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const MaxPool2dFuncOptions& options);
std::tuple<Tensor, Tensor> max_pool3d_with_indices(const Tensor& input, const MaxPool3dFuncOptions& options);
Tensor avg_pool1d(const Tensor& input, const AvgPool1dFuncOptions& options);
Tensor avg_pool2d(const Tensor& input, const AvgPool2dFuncOptions& options);
Tensor avg_pool3d(const Tensor& input, const AvgPool3dFuncOptions& options);
Tensor adaptive_max_pool1d(const Tensor& input, const AdaptiveMaxPool1dFuncOptions& options);
Tensor adaptive_max_pool2d(const Tensor& input, const AdaptiveMaxPool2dFuncOptions& options);
std::tuple<Tensor, Tensor> adaptive_max_pool1d_with_indices(const Tensor& input,
                                                            const AdaptiveMaxPool1dFuncOptions& options);
std::tuple<Tensor, Tensor> adaptive_max_pool2d_with_indices(const Tensor& input,
                                                            const AdaptiveMaxPool2dFuncOptions& options);
Tensor adaptive_avg_pool1d(const Tensor& input, const AdaptiveAvgPool1dFuncOptions& options);
Tensor adaptive_avg_pool2d(const Tensor& input, const AdaptiveAvgPool2dFuncOptions& options);
Tensor adaptive_avg_pool3d(const Tensor& input, const AdaptiveAvgPool3dFuncOptions& options);
// y = zeros of the output size with input[n, c, i, j] at the flat position indices[n, c, i, j] of its plane
Tensor max_unpool2d(const Tensor& input, const Tensor& indices, const MaxUnpool2dFuncOptions& options);

// the positional forms (tensor/ops.h)
using ::reel::adaptive_avg_pool1d;
using ::reel::adaptive_avg_pool3d;
using ::reel::avg_pool1d;
using ::reel::avg_pool3d;
using ::reel::max_pool1d;
using ::reel::max_pool1d_with_indices;
using ::reel::max_pool3d;
using ::reel::max_pool3d_with_indices;

}  // namespace functional

// ---- layers ------------------------------------------------------------------------------------------------------
// y[n, c, i] = max of x[n, c] over the dilated window at i s - pad; stride defaults to kernel_size
class MaxPool1dImpl : public Cloneable<MaxPool1dImpl> {
 public:
  explicit MaxPool1dImpl(MaxPool1dOptions options);
  Tensor forward(const Tensor& input);
  // (values, indices): indices are positions l within each row
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input);
  std::string extra_repr() const override;

  MaxPool1dOptions options;
};
REEL_MODULE(MaxPool1d);

// y[n, c, i, j] = max of x[n, c] over the dilated window at (i s - pad, j s - pad); stride defaults to kernel_size
class MaxPool2dImpl : public Cloneable<MaxPool2dImpl> {
 public:
  explicit MaxPool2dImpl(MaxPool2dOptions options);
  explicit MaxPool2dImpl(IntList kernel_size, IntList stride = {}, IntList padding = 0, IntList dilation = 1,
                         bool ceil_mode = false);
  Tensor forward(const Tensor& input);
  // (values, indices): indices are flat positions h W + w within each plane
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input);
  std::string extra_repr() const override;

  MaxPool2dOptions options;
};
class MaxPool2d : public ModuleHolder<MaxPool2dImpl> {
 public:
  using ModuleHolder<MaxPool2dImpl>::ModuleHolder;
  // Braced pairs: MaxPool2d({2, 2}), MaxPool2d(3, {2, 1}). (A braced first argument binds to initializer_list so
  // that it is not mistaken for a copy of a MaxPool2d built from two numbers.)
  MaxPool2d(std::initializer_list<int64_t> kernel_size, IntList stride = {}, IntList padding = 0, IntList dilation = 1,
            bool ceil_mode = false)
      : ModuleHolder(std::make_shared<MaxPool2dImpl>(kernel_size, stride, padding, dilation, ceil_mode)) {}
  MaxPool2d(int64_t kernel_size, IntList stride, IntList padding = 0, IntList dilation = 1, bool ceil_mode = false)
      : ModuleHolder(std::make_shared<MaxPool2dImpl>(kernel_size, stride, padding, dilation, ceil_mode)) {}
};

// y[n, c, t, i, j] = max of x[n, c] over the dilated window at (t s - pad, i s - pad, j s - pad)
class MaxPool3dImpl : public Cloneable<MaxPool3dImpl> {
 public:
  explicit MaxPool3dImpl(MaxPool3dOptions options);
  Tensor forward(const Tensor& input);
  // (values, indices): indices are flat positions d H W + h W + w within each volume
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input);
  std::string extra_repr() const override;

  MaxPool3dOptions options;
};
REEL_MODULE(MaxPool3d);

// y[n, c, i] = mean of x[n, c] over the window at i s - pad (padding counted when count_include_pad)
class AvgPool1dImpl : public Cloneable<AvgPool1dImpl> {
 public:
  explicit AvgPool1dImpl(AvgPool1dOptions options);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  AvgPool1dOptions options;
};
REEL_MODULE(AvgPool1d);

// y[n, c, i, j] = mean of x[n, c] over the window (padding counted when count_include_pad; the sum divided by
// divisor_override when set)
class AvgPool2dImpl : public Cloneable<AvgPool2dImpl> {
 public:
  explicit AvgPool2dImpl(AvgPool2dOptions options);
  explicit AvgPool2dImpl(IntList kernel_size, IntList stride = {}, IntList padding = 0, bool ceil_mode = false,
                         bool count_include_pad = true);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  AvgPool2dOptions options;
};
class AvgPool2d : public ModuleHolder<AvgPool2dImpl> {
 public:
  using ModuleHolder<AvgPool2dImpl>::ModuleHolder;
  // Braced pairs, as MaxPool2d's.
  AvgPool2d(std::initializer_list<int64_t> kernel_size, IntList stride = {}, IntList padding = 0,
            bool ceil_mode = false, bool count_include_pad = true)
      : ModuleHolder(std::make_shared<AvgPool2dImpl>(kernel_size, stride, padding, ceil_mode, count_include_pad)) {}
  AvgPool2d(int64_t kernel_size, IntList stride, IntList padding = 0, bool ceil_mode = false,
            bool count_include_pad = true)
      : ModuleHolder(std::make_shared<AvgPool2dImpl>(kernel_size, stride, padding, ceil_mode, count_include_pad)) {}
};

// y[n, c, t, i, j] = mean of x[n, c] over the window (as AvgPool2d's)
class AvgPool3dImpl : public Cloneable<AvgPool3dImpl> {
 public:
  explicit AvgPool3dImpl(AvgPool3dOptions options);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  AvgPool3dOptions options;
};
REEL_MODULE(AvgPool3d);

// y[n, c, i] = mean of x[n, c, floor(i L / oL) : ceil((i + 1) L / oL)]
class AdaptiveAvgPool1dImpl : public Cloneable<AdaptiveAvgPool1dImpl> {
 public:
  explicit AdaptiveAvgPool1dImpl(AdaptiveAvgPool1dOptions options);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  AdaptiveAvgPool1dOptions options;
};
REEL_MODULE(AdaptiveAvgPool1d);

// y[n, c, i, j] = mean of x[n, c] over the i-th of output_size nearly equal row bands and the j-th column band
class AdaptiveAvgPool2dImpl : public Cloneable<AdaptiveAvgPool2dImpl> {
 public:
  explicit AdaptiveAvgPool2dImpl(AdaptiveAvgPool2dOptions options);
  explicit AdaptiveAvgPool2dImpl(IntList output_size);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  AdaptiveAvgPool2dOptions options;
};
class AdaptiveAvgPool2d : public ModuleHolder<AdaptiveAvgPool2dImpl> {
 public:
  using ModuleHolder<AdaptiveAvgPool2dImpl>::ModuleHolder;
  AdaptiveAvgPool2d(IntList output_size)  // NOLINT: implicit like the forwarding constructor it stands beside
      : ModuleHolder(std::make_shared<AdaptiveAvgPool2dImpl>(output_size)) {}
};

// y[n, c, t, i, j] = mean of x[n, c] over the adaptive bands of depth, rows and columns
class AdaptiveAvgPool3dImpl : public Cloneable<AdaptiveAvgPool3dImpl> {
 public:
  explicit AdaptiveAvgPool3dImpl(AdaptiveAvgPool3dOptions options);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  AdaptiveAvgPool3dOptions options;
};
REEL_MODULE(AdaptiveAvgPool3d);

// y[n, c, i] = max of x[n, c, floor(i L / oL) : ceil((i + 1) L / oL)]
class AdaptiveMaxPool1dImpl : public Cloneable<AdaptiveMaxPool1dImpl> {
 public:
  explicit AdaptiveMaxPool1dImpl(AdaptiveMaxPool1dOptions options);
  Tensor forward(const Tensor& input);
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input);
  std::string extra_repr() const override;

  AdaptiveMaxPool1dOptions options;
};
REEL_MODULE(AdaptiveMaxPool1d);

// y[n, c, i, j] = max of x[n, c] over the adaptive row and column bands; indices h W + w
class AdaptiveMaxPool2dImpl : public Cloneable<AdaptiveMaxPool2dImpl> {
 public:
  explicit AdaptiveMaxPool2dImpl(AdaptiveMaxPool2dOptions options);
  Tensor forward(const Tensor& input);
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input);
  std::string extra_repr() const override;

  AdaptiveMaxPool2dOptions options;
};
REEL_MODULE(AdaptiveMaxPool2d);

// The inverse of MaxPool2d (with its indices): zeros of the output size with each value at its index. The output
// size is (in - 1) stride - 2 padding + kernel_size, or output_size ((H, W) or the full size) within a stride of it.
class MaxUnpool2dImpl : public Cloneable<MaxUnpool2dImpl> {
 public:
  explicit MaxUnpool2dImpl(MaxUnpool2dOptions options);
  Tensor forward(const Tensor& input, const Tensor& indices,
                 const std::optional<std::vector<int64_t>>& output_size = std::nullopt);
  std::string extra_repr() const override;

  MaxUnpool2dOptions options;
};
REEL_MODULE(MaxUnpool2d);

}  // namespace reel::nn
