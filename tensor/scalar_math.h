// reel/tensor/scalar_math.h — the scalar math of every elementwise op, written once.
//
// Each functor maps compute-type values (float for the 16-bit floats, T otherwise; see dtype.h) to a result.
// They are plain structs usable on host and device, so cpu/elementwise.cpp and cuda/elementwise.cu
// instantiate the same math. The functor names are the ones in ops.def's second column.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "half.h"

namespace reel {

namespace math {
template <typename T> REEL_HOST_DEVICE inline bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) return x != x;
  else return false;
}
}  // namespace math

// ---- unary ---------------------------------------------------------------------------------------------
struct NegFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return static_cast<T>(-x); } };
struct AbsFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return std::fabs(x);
    else if constexpr (std::is_unsigned_v<T>) return x;
    else return x < T(0) ? static_cast<T>(-x) : x;
  }
};
struct SignFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T>) return static_cast<T>(x != T(0));
    else return static_cast<T>((T(0) < x) - (x < T(0)));
  }
};
struct ExpFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::exp(x); } };
struct LogFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::log(x); } };
struct Log1pFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::log1p(x); } };
struct Expm1Fn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::expm1(x); } };
struct SqrtFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::sqrt(x); } };
struct RsqrtFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return T(1) / std::sqrt(x); } };
struct SquareFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return static_cast<T>(x * x); } };
struct ReciprocalFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return T(1) / x; } };
struct SinFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::sin(x); } };
struct CosFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::cos(x); } };
struct TanhFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::tanh(x); } };
struct SigmoidFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return T(1) / (T(1) + std::exp(-x)); }
};
struct ErfFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::erf(x); } };
struct ReluFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T>) return x;
    else return x < T(0) ? T(0) : x;  // NaN stays NaN
  }
};
struct FloorFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return std::floor(x);
    else return x;
  }
};
struct CeilFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return std::ceil(x);
    else return x;
  }
};
struct RoundFn {  // half to even, as torch.round
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return std::nearbyint(x);
    else return x;
  }
};
struct LogicalNotFn { template <typename T> REEL_HOST_DEVICE bool operator()(T x) const { return !(x != T(0)); } };
struct IsnanFn { template <typename T> REEL_HOST_DEVICE bool operator()(T x) const { return math::is_nan(x); } };
struct IsfiniteFn {
  template <typename T> REEL_HOST_DEVICE bool operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return std::isfinite(x);
    else return true;
  }
};

// ---- binary --------------------------------------------------------------------------------------------
struct AddFn { template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const { return static_cast<T>(a + b); } };
struct SubFn { template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const { return static_cast<T>(a - b); } };
struct MulFn { template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const { return static_cast<T>(a * b); } };
struct DivFn { template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const { return a / b; } };
struct PowFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      return std::pow(a, b);
    } else {  // integer power by squaring; negative exponents give 0 unless |a| == 1 (as PyTorch's CPU kernel)
      if constexpr (std::is_signed_v<T>) {
        if (b < 0) return a == 1 ? T(1) : a == -1 ? static_cast<T>((b % 2 == 0) ? 1 : -1) : T(0);
      }
      T result = 1;
      T base = a;
      auto exponent = b;
      while (exponent > 0) {
        if (exponent & 1) result = static_cast<T>(result * base);
        base = static_cast<T>(base * base);
        exponent = static_cast<T>(exponent >> 1);
      }
      return result;
    }
  }
};
struct MaximumFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const {
    if (math::is_nan(a) || math::is_nan(b)) return math::is_nan(a) ? a : b;
    return a > b ? a : b;
  }
};
struct MinimumFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const {
    if (math::is_nan(a) || math::is_nan(b)) return math::is_nan(a) ? a : b;
    return a < b ? a : b;
  }
};
struct EqFn { template <typename T> REEL_HOST_DEVICE bool operator()(T a, T b) const { return a == b; } };
struct NeFn { template <typename T> REEL_HOST_DEVICE bool operator()(T a, T b) const { return a != b; } };
struct LtFn { template <typename T> REEL_HOST_DEVICE bool operator()(T a, T b) const { return a < b; } };
struct LeFn { template <typename T> REEL_HOST_DEVICE bool operator()(T a, T b) const { return a <= b; } };
struct GtFn { template <typename T> REEL_HOST_DEVICE bool operator()(T a, T b) const { return a > b; } };
struct GeFn { template <typename T> REEL_HOST_DEVICE bool operator()(T a, T b) const { return a >= b; } };
struct LogicalAndFn {
  template <typename T> REEL_HOST_DEVICE bool operator()(T a, T b) const { return (a != T(0)) && (b != T(0)); }
};
struct LogicalOrFn {
  template <typename T> REEL_HOST_DEVICE bool operator()(T a, T b) const { return (a != T(0)) || (b != T(0)); }
};

// ---- fused backward primitives: (g, saved) -> dx ---------------------------------------------------------
struct TanhBackwardFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T g, T y) const { return static_cast<T>(g * (T(1) - y * y)); }
};
struct SigmoidBackwardFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T g, T y) const { return static_cast<T>(g * y * (T(1) - y)); }
};
struct ThresholdBackwardFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T g, T x) const { return x > T(0) ? g : T(0); }
};

}  // namespace reel
