// reel/tensor/scalar_math.h — the scalar math of every elementwise op, written once.
//
// Each functor maps compute-type values (float for the 16-bit floats, T otherwise; see dtype.h) to a result.
// They are plain structs usable on host and device, so cpu/elementwise.cpp and cuda/elementwise.cu
// instantiate the same math. The functor names are the ones in ops.def's second column. The functors of the
// parameterised rows (REEL_UNARY_PARAM_OP) hold the call's parameters as members and are built from the row's
// parameter array (ElementwiseParams::p, in the row's order) by the kernel, on the host. A functor whose parameters
// PyTorch refuses for some values also declares, beside its math,
//     static bool refuses(const double* p, bool unsigned_input, char* why, int size)
// which writes the reason (naming the parameter and its value) and returns true; the front door
// (tensor/ops_elementwise.cpp) calls it before anything runs and throws reel::Error with the reason.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
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

// ---- parameterised unary (activations): built from p = the row's parameters, in the row's order ---------------------
namespace math {
// PyTorch's elu: x <= 0 ? negcoef * (e^(x * negiptcoef) - 1) : x * poscoef (elu, celu and selu are all this).
template <typename T>
REEL_HOST_DEVICE inline T elu(T x, double negcoef, double poscoef, double negiptcoef) {
  return x <= T(0) ? static_cast<T>(static_cast<T>(negcoef) * std::expm1(x * static_cast<T>(negiptcoef)))
                   : static_cast<T>(x * static_cast<T>(poscoef));
}
// min(max(x + 3, 0), 6), NaN staying NaN (hardsigmoid and hardswish)
template <typename T> REEL_HOST_DEVICE inline T relu6_of_x_plus_3(T x) {
  T r = x + T(3);
  r = r < T(0) ? T(0) : r;
  return r > T(6) ? T(6) : r;
}
inline constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
inline constexpr double kSeluScale = 1.0507009873554804934193349852946;
}  // namespace math

// p = (min_val, max_val). Integer inputs take the bounds truncated toward zero, as PyTorch's hardtanh does.
struct HardtanhFn {
  double min_val, max_val;
  explicit HardtanhFn(const double* p) : min_val(p[0]), max_val(p[1]) {}
  // uint8 inputs refuse negative (truncated) limits, as PyTorch's hardtanh does.
  static bool refuses(const double* p, bool unsigned_input, char* why, int size) {
    if (!unsigned_input || (static_cast<int64_t>(p[0]) >= 0 && static_cast<int64_t>(p[1]) >= 0)) return false;
    std::snprintf(why, size, "cannot do hardtanh on an unsigned type (uint8) with negative limits (min_val %g, "
                  "max_val %g)", p[0], p[1]);
    return true;
  }
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      const T lo = static_cast<T>(min_val), hi = static_cast<T>(max_val);
      const T y = x < lo ? lo : x;  // NaN stays NaN
      return y > hi ? hi : y;
    } else {
      const int64_t lo = static_cast<int64_t>(min_val), hi = static_cast<int64_t>(max_val);
      int64_t y = static_cast<int64_t>(x);
      y = y < lo ? lo : y;
      return static_cast<T>(y > hi ? hi : y);
    }
  }
};
// p = (negative_slope)
struct LeakyReluFn {
  double negative_slope;
  explicit LeakyReluFn(const double* p) : negative_slope(p[0]) {}
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    return x > T(0) ? x : static_cast<T>(x * static_cast<T>(negative_slope));
  }
};
// p = (alpha, scale, input_scale)
struct EluFn {
  double negcoef, poscoef, negiptcoef;
  explicit EluFn(const double* p) : negcoef(p[0] * p[1]), poscoef(p[1]), negiptcoef(p[2]) {}
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return math::elu(x, negcoef, poscoef, negiptcoef); }
};
// p = (alpha): elu with scale 1 and input_scale 1 / alpha
struct CeluFn {
  double alpha, inverse_alpha;
  explicit CeluFn(const double* p) : alpha(p[0]), inverse_alpha(1.0 / p[0]) {}
  static bool refuses(const double* p, bool /*unsigned_input*/, char* why, int size) {
    if (p[0] != 0.0) return false;
    std::snprintf(why, size, "alpha cannot be 0 (the negative part is alpha * (e^(x / alpha) - 1)), got alpha = %g",
                  p[0]);
    return true;
  }
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return math::elu(x, alpha, 1.0, inverse_alpha); }
};
// no parameters: elu with SELU's fixed alpha and scale
struct SeluFn {
  explicit SeluFn(const double*) {}
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    return math::elu(x, math::kSeluAlpha * math::kSeluScale, math::kSeluScale, 1.0);
  }
};
// p = (beta, threshold): reverts to x where beta * x > threshold
struct SoftplusFn {
  double beta, threshold;
  explicit SoftplusFn(const double* p) : beta(p[0]), threshold(p[1]) {}
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    const T b = static_cast<T>(beta);
    const T scaled = x * b;
    return scaled > static_cast<T>(threshold) ? x : static_cast<T>(std::log1p(std::exp(scaled)) / b);
  }
};
// p = (threshold, value). Integer inputs compare with both truncated toward zero (PyTorch's Scalar::to<int>).
struct ThresholdFn {
  double threshold, value;
  explicit ThresholdFn(const double* p) : threshold(p[0]), value(p[1]) {}
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      return x <= static_cast<T>(threshold) ? static_cast<T>(value) : x;  // NaN stays NaN
    } else {
      return static_cast<int64_t>(x) <= static_cast<int64_t>(threshold)
                 ? static_cast<T>(static_cast<int64_t>(value)) : x;
    }
  }
};
// no parameters: min(x, 0) - log1p(e^-|x|), finite for every finite x
struct LogSigmoidFn {
  explicit LogSigmoidFn(const double*) {}
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    const T negative_part = x < T(0) ? x : T(0);
    return static_cast<T>(negative_part - std::log1p(std::exp(-std::fabs(x))));
  }
};
// no parameters: min(max(x + 3, 0), 6) / 6
struct HardsigmoidFn {
  explicit HardsigmoidFn(const double*) {}
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(math::relu6_of_x_plus_3(x) / T(6));
  }
};
// no parameters: x min(max(x + 3, 0), 6) / 6 (so -inf gives NaN, as PyTorch's -inf * 0)
struct HardswishFn {
  explicit HardswishFn(const double*) {}
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(x * math::relu6_of_x_plus_3(x) / T(6));
  }
};
// no parameters: x tanh(ln(1 + e^x))
struct MishFn {
  explicit MishFn(const double*) {}
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(x * std::tanh(std::log1p(std::exp(x))));
  }
};
// no parameters: x / (1 + e^-x)
struct SiluFn {
  explicit SiluFn(const double*) {}
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return static_cast<T>(x / (T(1) + std::exp(-x))); }
};
// no parameters: min(max(x, 0), 6) (hardtanh(x, 0, 6); NaN stays NaN)
struct Relu6Fn {
  explicit Relu6Fn(const double*) {}
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T>) return x > T(6) ? T(6) : x;
    else {
      const T y = x < T(0) ? T(0) : x;
      return y > T(6) ? T(6) : y;
    }
  }
};
// no parameters: x / (1 + |x|)
struct SoftsignFn {
  explicit SoftsignFn(const double*) {}
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return static_cast<T>(x / (T(1) + std::fabs(x))); }
};
// no parameters: x - tanh x
struct TanhshrinkFn {
  explicit TanhshrinkFn(const double*) {}
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return static_cast<T>(x - std::tanh(x)); }
};
// p = (lambd): x > lambd ? x - lambd : x < -lambd ? x + lambd : 0 (NaN stays NaN)
struct SoftshrinkFn {
  double lambd;
  explicit SoftshrinkFn(const double* p) : lambd(p[0]) {}
  static bool refuses(const double* p, bool /*unsigned_input*/, char* why, int size) {
    if (p[0] >= 0.0) return false;
    std::snprintf(why, size, "lambda must be greater or equal to 0, but found to be %g", p[0]);
    return true;
  }
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    const T l = static_cast<T>(lambd);
    return x > l ? static_cast<T>(x - l) : x < -l ? static_cast<T>(x + l) : (x != x ? x : T(0));
  }
};
// p = (lambd): |x| > lambd ? x : 0 (NaN stays NaN)
struct HardshrinkFn {
  double lambd;
  explicit HardshrinkFn(const double* p) : lambd(p[0]) {}
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    const T l = static_cast<T>(lambd);
    return (x >= -l && x <= l) ? T(0) : x;
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

#include "scalar_math_pointwise.h"  // the pointwise math beyond the basics (trig inverses, special functions, bitwise)
