// reel/tensor/ops_inl.h — template definitions for ops.h and tensor.h (building tensors from C++ values,
// reading them back). Included at the end of ops.h; not meant to be included on its own.
#pragma once

#include <cstring>
#include <type_traits>

namespace reel {

namespace detail {
// The dtype a C++ value type maps to when building a tensor, as torch::tensor maps it: floating lists use the
// default float32, and C++ int (and long) lists give int64, so reel::tensor({1, 2, 3}) is int64 as in LibTorch.
template <typename T>
constexpr ScalarType literal_dtype() {
  if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) return kFloat32;
  else if constexpr (std::is_same_v<T, int> || std::is_same_v<T, long> || std::is_same_v<T, long long>) return kInt64;
  else return dtype_of_v<T>;
}
template <typename T>
using storage_of_t = std::conditional_t<std::is_same_v<T, long> || std::is_same_v<T, long long>, int64_t,
                                        std::conditional_t<std::is_same_v<T, int>, int32_t, T>>;
// The error of a nested list whose rows differ in length (tensor/creation.cpp).
[[noreturn]] void throw_ragged_rows(int64_t first_row_length, int64_t row_length);
}  // namespace detail

template <typename T>
Tensor from_blob_copy(const T* data, IntList sizes, TensorOptions options) {
  using Stored = detail::storage_of_t<T>;
  Tensor raw = Tensor::make(sizes, dtype_of_v<Stored>, Device(kCPU));
  if (raw.numel() > 0) std::memcpy(raw.data_ptr(), data, static_cast<size_t>(raw.numel()) * sizeof(T));
  if (options.has_dtype() && options.dtype() != raw.dtype()) raw = raw.to(options.dtype());
  if (options.device() != raw.device()) raw = raw.to(options.device());
  if (options.requires_grad()) raw.requires_grad_(true);
  return raw;
}

template <typename T>
Tensor tensor(const std::vector<T>& values, TensorOptions options) {
  if (!options.has_dtype()) options = options.dtype(detail::literal_dtype<T>());
  const int64_t n = static_cast<int64_t>(values.size());
  if constexpr (std::is_same_v<T, bool>) {  // std::vector<bool> is packed: copy element by element
    std::vector<uint8_t> bytes(values.begin(), values.end());
    Tensor raw = Tensor::make({n}, kBool, Device(kCPU));
    if (n > 0) std::memcpy(raw.data_ptr(), bytes.data(), bytes.size());
    return from_blob_copy(raw.data_ptr<bool>(), {n}, options);
  } else {
    return from_blob_copy(values.data(), {n}, options);
  }
}

template <typename T>
Tensor tensor(std::initializer_list<T> values, TensorOptions options) {
  return tensor(std::vector<T>(values), options);
}

template <typename T>
Tensor tensor(std::initializer_list<std::initializer_list<T>> rows, TensorOptions options) {
  const int64_t n_rows = static_cast<int64_t>(rows.size());
  const int64_t n_cols = n_rows == 0 ? 0 : static_cast<int64_t>(rows.begin()->size());
  std::vector<T> flat;
  flat.reserve(static_cast<size_t>(n_rows * n_cols));
  for (const auto& row : rows) {
    if (static_cast<int64_t>(row.size()) != n_cols) [[unlikely]]
      detail::throw_ragged_rows(n_cols, static_cast<int64_t>(row.size()));
    flat.insert(flat.end(), row.begin(), row.end());
  }
  // requires_grad goes on the 2-D result, so that it is a leaf (the view of a flat leaf would not be).
  const bool requires_grad = options.requires_grad();
  Tensor result = tensor(flat, options.requires_grad(false)).view({n_rows, n_cols});
  if (requires_grad) result.requires_grad_(true);
  return result;
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  check_defined("to_vector");
  Tensor host = to(Device(kCPU)).to(dtype_of_v<detail::storage_of_t<T>>).contiguous();
  const auto* first = static_cast<const T*>(host.data_ptr());
  return std::vector<T>(first, first + host.numel());
}

}  // namespace reel
