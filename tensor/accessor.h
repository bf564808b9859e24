// reel/tensor/accessor.h — TensorAccessor, LibTorch's typed element access to a CPU tensor:
//   auto a = x.accessor<float, 2>();  a[i][j] += 1;  a.size(0); a.sizes(); a.strides()
// x.accessor<T, N>() throws reel::Error unless x is a defined CPU tensor of dtype T with N dims. The accessor reads
// the tensor's sizes and strides in place (no copy), so it must not outlive the tensor: calling accessor() on a
// temporary does not compile, as in LibTorch. operator[] does not check bounds (LibTorch's does not either).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "tensor.h"

namespace reel {

// What TensorAccessor<T, N> and its sub-accessors share: the data pointer and N sizes and strides (in elements).
template <typename T, size_t N>
class TensorAccessorBase {
 public:
  TensorAccessorBase(T* data, const int64_t* sizes, const int64_t* strides)
      : data_(data), sizes_(sizes), strides_(strides) {}
  IntList sizes() const { return IntList(sizes_, N); }
  IntList strides() const { return IntList(strides_, N); }
  int64_t size(int64_t i) const { return sizes_[i]; }
  int64_t stride(int64_t i) const { return strides_[i]; }
  T* data() { return data_; }
  const T* data() const { return data_; }

 protected:
  T* data_;
  const int64_t* sizes_;
  const int64_t* strides_;
};

// a[i] is the accessor of the (N-1)-dim slice at i of the first dim.
template <typename T, size_t N>
class TensorAccessor : public TensorAccessorBase<T, N> {
 public:
  using TensorAccessorBase<T, N>::TensorAccessorBase;
  TensorAccessor<T, N - 1> operator[](int64_t i) {
    return TensorAccessor<T, N - 1>(this->data_ + this->strides_[0] * i, this->sizes_ + 1, this->strides_ + 1);
  }
  const TensorAccessor<T, N - 1> operator[](int64_t i) const {
    return TensorAccessor<T, N - 1>(this->data_ + this->strides_[0] * i, this->sizes_ + 1, this->strides_ + 1);
  }
};

// The last dim: a[i] is the element.
template <typename T>
class TensorAccessor<T, 1> : public TensorAccessorBase<T, 1> {
 public:
  using TensorAccessorBase<T, 1>::TensorAccessorBase;
  T& operator[](int64_t i) { return this->data_[this->strides_[0] * i]; }
  const T& operator[](int64_t i) const { return this->data_[this->strides_[0] * i]; }
};

namespace detail {
// Throws reel::Error unless t is a defined CPU tensor of dtype `expected` with `dims` dims (tensor/indexing.cpp).
void check_accessor(const Tensor& t, ScalarType expected, size_t dims);
}  // namespace detail

template <typename T, size_t N>
TensorAccessor<T, N> Tensor::accessor() const& {
  static_assert(N > 0, "accessor is used for indexing tensor, for scalars use *data_ptr<T>()");
  detail::check_accessor(*this, dtype_of_v<std::remove_const_t<T>>, N);
  return TensorAccessor<T, N>(static_cast<T*>(data_ptr()), impl()->sizes.data(), impl()->strides.data());
}

}  // namespace reel
