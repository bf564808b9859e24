// reel/tensor/creation.cpp — creation functions: empty, zeros, ones, full, the *_like family, scalar_tensor
// and from_blob. (arange, linspace, eye and the random creators live in tensor/creation_ranges.cpp and
// tensor/random.cpp.)
#include "tensor/error_format.h"
#include "tensor/ops.h"

namespace reel {

namespace {
Tensor finish(Tensor t, const TensorOptions& options) {
  if (options.requires_grad()) t.requires_grad_(true);
  return t;
}
}  // namespace

namespace detail {
// t's dtype and device unless `options` name others (the *_like functions)
TensorOptions like_options(const Tensor& t, const std::optional<TensorOptions>& options) {
  if (!options) return t.options();
  TensorOptions merged = *options;
  if (!merged.has_dtype()) merged = merged.dtype(t.dtype());
  if (!merged.has_device()) merged = merged.device(t.device());  // ones_like(x, kBool) stays on x's device
  return merged;
}

void throw_ragged_rows(int64_t first_row_length, int64_t row_length) {
  throw_error(fmt::format("tensor: nested list rows have different lengths ({} and {})", first_row_length, row_length));
}
}  // namespace detail

Tensor empty(IntList sizes, TensorOptions options) {
  return finish(Tensor::make(sizes, options.dtype(), options.device(), "empty"), options);
}

Tensor zeros(IntList sizes, TensorOptions options) {
  Tensor t = Tensor::make(sizes, options.dtype(), options.device(), "zeros");
  t.zero_();
  return finish(t, options);
}

namespace {
Tensor filled(IntList sizes, Scalar value, TensorOptions options, const char* op) {
  if (!options.has_dtype()) options = options.dtype(value.default_dtype());
  Tensor t = Tensor::make(sizes, options.dtype(), options.device(), op);
  t.fill_(value);
  return finish(t, options);
}
}  // namespace

Tensor ones(IntList sizes, TensorOptions options) {
  if (!options.has_dtype()) options = options.dtype(kFloat32);  // the default dtype, not the literal's int64
  return filled(sizes, 1, options, "ones");
}

Tensor full(IntList sizes, Scalar value, TensorOptions options) { return filled(sizes, value, options, "full"); }

// The default float32 unless options name a dtype, whatever kind of number value is (as torch::scalar_tensor).
Tensor scalar_tensor(Scalar value, TensorOptions options) {
  if (!options.has_dtype()) options = options.dtype(kFloat32);
  return filled({}, value, options, "scalar_tensor");
}

Tensor empty_like(const Tensor& t, std::optional<TensorOptions> options) {
  t.check_defined("empty_like");
  return empty(t.sizes(), detail::like_options(t, options));
}
Tensor zeros_like(const Tensor& t, std::optional<TensorOptions> options) {
  t.check_defined("zeros_like");
  return zeros(t.sizes(), detail::like_options(t, options));
}
Tensor ones_like(const Tensor& t, std::optional<TensorOptions> options) {
  t.check_defined("ones_like");
  return ones(t.sizes(), detail::like_options(t, options));
}
Tensor full_like(const Tensor& t, Scalar value, std::optional<TensorOptions> options) {
  t.check_defined("full_like");
  return full(t.sizes(), value, detail::like_options(t, options));
}

Tensor from_blob(void* data, IntList sizes, TensorOptions options) {
  return from_blob(data, sizes, contiguous_strides(sizes), options);
}

Tensor from_blob(void* data, IntList sizes, IntList strides, TensorOptions options) {
  REEL_CHECK(sizes.size() == strides.size(), "from_blob: {} sizes {} but {} strides {}", sizes.size(),
             shape_str(sizes), strides.size(), shape_str(strides));
  const int64_t numel = checked_numel(sizes, "from_blob");
  REEL_CHECK(numel == 0 || data != nullptr, "from_blob: null data pointer for shape {}", shape_str(sizes));
  int64_t extent = numel > 0 ? 1 : 0;  // elements spanned by the view
  for (size_t i = 0; i < sizes.size() && numel > 0; ++i) {
    REEL_CHECK(strides[i] >= 0, "from_blob: negative stride {} in {}", strides[i], shape_str(strides));
    extent += (sizes[i] - 1) * strides[i];
  }
  auto* storage = new StorageImpl(data, static_cast<size_t>(extent * element_size(options.dtype())), options.device(),
                                  nullptr);
  Storage handle(storage);
  Tensor base = Tensor::make({0}, options.dtype(), options.device());
  Tensor view = Tensor::make_view(base, sizes, strides, 0);
  view.impl()->storage = handle;
  view.impl()->is_view = false;  // it owns (borrows) its memory; no other tensor's storage
  return finish(view, options);
}

Tensor from_blob(void* data, IntList sizes, Callback<void(void*)> deleter, TensorOptions options) {
  const int64_t numel = checked_numel(sizes, "from_blob");
  REEL_CHECK(numel == 0 || data != nullptr, "from_blob: null data pointer for shape {}", shape_str(sizes));
  Storage handle(new StorageImpl(data, static_cast<size_t>(numel * element_size(options.dtype())), options.device(),
                                 std::move(deleter)));
  Tensor base = Tensor::make({0}, options.dtype(), options.device());
  Tensor view = Tensor::make_view(base, sizes, contiguous_strides(sizes), 0);
  view.impl()->storage = handle;
  view.impl()->is_view = false;  // it owns (borrows) its memory; no other tensor's storage
  return finish(view, options);
}

}  // namespace reel
