// reel/tensor/scalar.h — a number passed to an op (`x + 2`, `full({2}, 1.5)`, `clamp(x, 0, 6)`).
// It remembers whether it was written as a bool, an integer or a floating value, because PyTorch's type
// promotion treats `int_tensor * 2` (stays int) differently from `int_tensor * 2.0` (becomes float).
#pragma once

#include <cstdint>
#include <type_traits>

#include "dtype.h"

namespace reel {

class Scalar {
 public:
  enum class Kind : int8_t { Bool, Integer, Floating };

  Scalar() : Scalar(int64_t{0}) {}
  Scalar(bool value) : kind_(Kind::Bool), integer_(value ? 1 : 0) {}  // NOLINT: implicit on purpose
  template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Scalar(T value) : kind_(Kind::Integer), integer_(static_cast<int64_t>(value)) {}  // NOLINT
  template <typename T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  Scalar(T value) : kind_(Kind::Floating), floating_(static_cast<double>(value)) {}  // NOLINT
  Scalar(Half value) : Scalar(static_cast<float>(value)) {}                          // NOLINT
  Scalar(BFloat16 value) : Scalar(static_cast<float>(value)) {}                      // NOLINT

  Kind kind() const { return kind_; }
  bool is_floating_point() const { return kind_ == Kind::Floating; }
  bool is_integral() const { return kind_ == Kind::Integer; }
  bool is_bool() const { return kind_ == Kind::Bool; }

  double to_double() const { return kind_ == Kind::Floating ? floating_ : static_cast<double>(integer_); }
  int64_t to_int64() const { return kind_ == Kind::Floating ? static_cast<int64_t>(floating_) : integer_; }
  bool to_bool() const { return kind_ == Kind::Floating ? floating_ != 0.0 : integer_ != 0; }

  // The value converted to element type T (used by kernels that take a scalar argument).
  template <typename T>
  T to() const {
    if constexpr (std::is_same_v<T, bool>) return to_bool();
    else if constexpr (std::is_integral_v<T>) return static_cast<T>(to_int64());
    else return static_cast<T>(static_cast<compute_t<T>>(to_double()));
  }

  // The dtype a tensor made from this number gets by default: bool, int64 or the default float (float32).
  ScalarType default_dtype() const {
    return kind_ == Kind::Bool ? kBool : kind_ == Kind::Integer ? kInt64 : kFloat32;
  }

 private:
  Kind kind_;
  union {
    int64_t integer_;
    double floating_;
  };
};

}  // namespace reel
