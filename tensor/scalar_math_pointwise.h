// reel/tensor/scalar_math_pointwise.h — the scalar math of the pointwise ops LibTorch has beyond the basic set
// (trigonometric and hyperbolic inverses, special functions, rounding divisions, bitwise ops, predicates), written
// once for the CPU and CUDA kernels. Included by tensor/scalar_math.h; the functor names are ops.def's second column.
//
// Each functor maps compute-type values (float for the 16-bit floats, T otherwise) to a result, following PyTorch's
// definitions at the edges (signs of zero, infinities, NaN, integer overflow). The special functions (lgamma,
// digamma, polygamma, erfinv) compute in double whatever T is, so that float inputs get correctly rounded answers.
// Functors that only have an integer meaning (bitwise ops, shifts) compile for every T but return 0 for floating
// T: the kernels refuse floating dtypes before calling them.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "half.h"

namespace reel {

namespace math {

inline constexpr double kPi = 3.14159265358979323846264338327950288;
inline constexpr double kLn2 = 0.693147180559945309417232121458176568;

template <typename T> inline constexpr bool kIsInteger = std::is_integral_v<T> && !std::is_same_v<T, bool>;

// digamma(x) = d/dx ln Gamma(x): reflection below 0.5, recurrence up to 10, then the asymptotic series.
// digamma(+-0) = -+inf and digamma(negative integer) = NaN, as PyTorch.
REEL_HOST_DEVICE inline double digamma(double x) {
  if (x == 0) return std::copysign(std::numeric_limits<double>::infinity(), -x);
  double result = 0;
  if (x < 0.5) {
    if (x == std::floor(x)) return std::numeric_limits<double>::quiet_NaN();
    // digamma(x) = digamma(1 - x) - pi / tan(pi x)
    result = -kPi / std::tan(kPi * x);
    x = 1 - x;
  }
  while (x < 10) {
    result -= 1 / x;
    x += 1;
  }
  // ln x - 1/(2x) - sum_k B_2k / (2k x^2k)
  const double z = 1 / (x * x);
  const double series =
      z * (1.0 / 12 -
           z * (1.0 / 120 - z * (1.0 / 252 - z * (1.0 / 240 - z * (1.0 / 132 - z * (691.0 / 32760 - z / 12))))));
  return result + std::log(x) - 0.5 / x - series;
}

// Hurwitz zeta(s, q) = sum_{k >= 0} (q + k)^-s for integer s >= 2: direct terms until q + k >= 10 (any sign of q),
// then Euler-Maclaurin with the Bernoulli numbers B_2 .. B_20.
REEL_HOST_DEVICE inline double hurwitz_zeta(double s, double q) {
  if (q <= 0 && q == std::floor(q)) return std::numeric_limits<double>::infinity();
  double sum = 0;
  while (q < 10) {
    sum += std::pow(q, -s);
    q += 1;
  }
  // q^(1-s) / (s-1) + q^-s / 2 + sum_j B_2j / (2j)! * s (s+1) ... (s+2j-2) q^(-s-2j+1)
  constexpr double bernoulli[] = {1.0 / 6,  -1.0 / 30, 1.0 / 42,       -1.0 / 30,   5.0 / 66,
                                  -691.0 / 2730, 7.0 / 6, -3617.0 / 510, 43867.0 / 798, -174611.0 / 330};
  const double q_minus_s = std::pow(q, -s);
  sum += q * q_minus_s / (s - 1) + 0.5 * q_minus_s;
  double rising = s;              // s (s+1) ... (s+2j-2)
  double factorial = 2;           // (2j)!
  double power = q_minus_s / q;   // q^(-s-2j+1)
  for (int j = 1; j <= 10; ++j) {
    const double term = bernoulli[j - 1] / factorial * rising * power;
    sum += term;
    if (std::fabs(term) < 1e-17 * std::fabs(sum)) break;
    rising *= (s + 2 * j - 1) * (s + 2 * j);
    factorial *= (2 * j + 1) * (2 * j + 2);
    power /= q * q;
  }
  return sum;
}

// polygamma(n, x) = d^n/dx^n digamma(x) = (-1)^(n+1) n! zeta(n + 1, x) for n >= 1; trigamma (n = 1) reflects below
// 0.5: psi1(x) = pi^2 / sin^2(pi x) - psi1(1 - x).
REEL_HOST_DEVICE inline double polygamma(int64_t n, double x) {
  if (n == 0) return digamma(x);
  if (std::isnan(x)) return x;
  if (n == 1 && x < 0.5) {
    if (x == std::floor(x)) return std::numeric_limits<double>::infinity();
    const double s = std::sin(kPi * x);
    return kPi * kPi / (s * s) - hurwitz_zeta(2, 1 - x);
  }
  const double sign = (n % 2 == 1) ? 1.0 : -1.0;
  return sign * std::exp(std::lgamma(static_cast<double>(n) + 1)) * hurwitz_zeta(static_cast<double>(n) + 1, x);
}

// erfinv(y): Giles' single-precision approximation as the starting point, then two Newton steps on erf(x) = y
// (each roughly doubles the correct digits). erfinv(+-1) = +-inf, NaN outside [-1, 1].
REEL_HOST_DEVICE inline double erfinv(double y) {
  if (!(y >= -1 && y <= 1)) return std::numeric_limits<double>::quiet_NaN();
  if (y == 1 || y == -1) return std::copysign(std::numeric_limits<double>::infinity(), y);
  double w = -std::log((1 - y) * (1 + y));
  double p;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = std::sqrt(w) - 3;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  double x = p * y;
  constexpr double two_over_sqrt_pi = 1.12837916709551257390;
  for (int i = 0; i < 2; ++i) x -= (std::erf(x) - y) / (two_over_sqrt_pi * std::exp(-x * x));
  return x;
}

// y = a - b * floor(a / b) in the sign convention of Python: the result takes b's sign (PyTorch's remainder).
template <typename T> REEL_HOST_DEVICE inline T python_remainder(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    T mod = std::fmod(a, b);
    if (mod != T(0) && ((b < T(0)) != (mod < T(0)))) mod += b;
    return mod;
  } else if constexpr (std::is_unsigned_v<T>) {
    return static_cast<T>(a % b);
  } else {
    if (b == T(-1)) return T(0);  // a % -1 is 0, and INT_MIN % -1 would trap
    T mod = static_cast<T>(a % b);
    if (mod != T(0) && ((b < T(0)) != (mod < T(0)))) mod = static_cast<T>(mod + b);
    return mod;
  }
}

// y = floor(a / b), PyTorch's div_floor: for floats from fmod so that a = b * y + remainder(a, b) holds exactly,
// a / b itself where b == 0 (inf or NaN); for integers the truncated quotient moved down when the signs differ.
template <typename T> REEL_HOST_DEVICE inline T floor_divide(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (b == T(0)) return a / b;
    const T mod = std::fmod(a, b);
    T div = (a - mod) / b;
    if (mod != T(0) && ((b < T(0)) != (mod < T(0)))) div -= T(1);
    if (div == T(0)) return std::copysign(T(0), a / b);
    T floor_div = std::floor(div);
    if (div - floor_div > T(0.5)) floor_div += T(1);
    return floor_div;
  } else if constexpr (std::is_unsigned_v<T>) {
    return static_cast<T>(a / b);
  } else {
    using U = std::make_unsigned_t<T>;
    if (b == T(-1)) return static_cast<T>(U(0) - static_cast<U>(a));  // -a, wrapping at the minimum as PyTorch
    const T quotient = static_cast<T>(a / b);
    if ((a < T(0)) != (b < T(0)) && static_cast<T>(a % b) != T(0)) return static_cast<T>(quotient - 1);
    return quotient;
  }
}

// y = trunc(a / b) for integers (C division), b == -1 wrapping at the minimum instead of trapping.
template <typename T> REEL_HOST_DEVICE inline T trunc_divide(T a, T b) {
  if constexpr (std::is_signed_v<T> && std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    if (b == T(-1)) return static_cast<T>(U(0) - static_cast<U>(a));
  }
  return static_cast<T>(a / b);
}

// min(max(x, lo), hi) with tensor bounds (PyTorch's clamp.Tensor): NaN when any of the three is NaN, hi when lo > hi.
template <typename T> REEL_HOST_DEVICE inline T clamp_both(T x, T lo, T hi) {
  if (is_nan(x) || is_nan(lo) || is_nan(hi)) return is_nan(x) ? x : is_nan(lo) ? lo : hi;
  const T y = x < lo ? lo : x;
  return y > hi ? hi : y;
}

// start + weight (end - start), written from the nearer end (PyTorch's lerp): exact at weight 0 and 1.
template <typename T> REEL_HOST_DEVICE inline T lerp(T start, T end, T weight) {
  const T diff = end - start;
  return weight < T(0.5) && weight > T(-0.5) ? start + weight * diff : end - diff * (T(1) - weight);
}

}  // namespace math

// ---- unary: trigonometric, hyperbolic, exponential and logarithmic ----------------------------------------------
struct TanFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::tan(x); } };
struct AsinFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::asin(x); } };
struct AcosFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::acos(x); } };
struct AtanFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::atan(x); } };
struct SinhFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::sinh(x); } };
struct CoshFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::cosh(x); } };
struct AsinhFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::asinh(x); } };
struct AcoshFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::acosh(x); } };
struct AtanhFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::atanh(x); } };
struct Log2Fn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::log2(x); } };
struct Log10Fn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::log10(x); } };
struct Exp2Fn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::exp2(x); } };
struct ErfcFn { template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return std::erfc(x); } };
// sin(pi x) / (pi x), 1 at 0
struct SincFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    if (x == T(0)) return T(1);
    const T product = static_cast<T>(math::kPi) * x;
    return std::sin(product) / product;
  }
};
// ---- unary: special functions (computed in double) ----------------------------------------------------------
struct ErfinvFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return static_cast<T>(math::erfinv(x)); }
};
struct LgammaFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(std::lgamma(static_cast<double>(x)));
  }
};
struct DigammaFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return static_cast<T>(math::digamma(x)); }
};
// ---- unary: rounding --------------------------------------------------------------------------------------
struct TruncFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return std::trunc(x);
    else return x;
  }
};
struct FracFn {  // x - trunc(x), sign of x (floating dtypes only)
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return x - std::trunc(x);
    else return T(0);
  }
};
// ---- unary: bitwise and predicates ------------------------------------------------------------------------
struct BitwiseNotFn {  // ~x; logical not for bool
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_same_v<T, bool>) return !x;
    else if constexpr (std::is_integral_v<T>) return static_cast<T>(~x);
    else return T(0);
  }
};
struct IsinfFn {
  template <typename T> REEL_HOST_DEVICE bool operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return std::isinf(x);
    else return false;
  }
};
struct IsposinfFn {
  template <typename T> REEL_HOST_DEVICE bool operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return x == std::numeric_limits<T>::infinity();
    else return false;
  }
};
struct IsneginfFn {
  template <typename T> REEL_HOST_DEVICE bool operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return x == -std::numeric_limits<T>::infinity();
    else return false;
  }
};
struct SignbitFn {  // the sign bit: true for -0.0 and negative NaN too
  template <typename T> REEL_HOST_DEVICE bool operator()(T x) const {
    // copysign rather than std::signbit: GCC 12 fails to compile the vectorised std::signbit of float (an ICE)
    if constexpr (std::is_floating_point_v<T>) return std::copysign(T(1), x) < T(0);
    else if constexpr (std::is_signed_v<T>) return x < T(0);
    else return false;
  }
};

// ---- parameterised unary ------------------------------------------------------------------------------------
// p = (eps): y = ln(z / (1 - z)), z = x clamped to [eps, 1 - eps] when eps >= 0 (eps < 0: not given, no clamp)
struct LogitFn {
  double eps;
  explicit LogitFn(const double* p) : eps(p[0]) {}
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    if (eps >= 0) {
      const T lo = static_cast<T>(eps), hi = static_cast<T>(1 - eps);
      x = x < lo ? lo : x > hi ? hi : x;  // NaN stays NaN
    }
    return std::log(x / (T(1) - x));
  }
};
// p = (nan, posinf, neginf), already resolved by the front door (posinf / neginf default to the dtype's largest and
// lowest finite values); integer and bool inputs pass unchanged
struct NanToNumFn {
  double nan, posinf, neginf;
  explicit NanToNumFn(const double* p) : nan(p[0]), posinf(p[1]), neginf(p[2]) {}
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (x != x) return static_cast<T>(nan);
      if (x == std::numeric_limits<T>::infinity()) return static_cast<T>(posinf);
      if (x == -std::numeric_limits<T>::infinity()) return static_cast<T>(neginf);
    }
    return x;
  }
};
// p = (n): the n-th derivative of digamma
struct PolygammaFn {
  int64_t n;
  explicit PolygammaFn(const double* p) : n(static_cast<int64_t>(p[0])) {}
  static bool refuses(const double* p, bool /*unsigned_input*/, char* why, int size) {
    if (p[0] >= 0) return false;
    std::snprintf(why, size, "polygamma(n, x) does not support negative n, got n = %g", p[0]);
    return true;
  }
  template <typename T> REEL_HOST_DEVICE T operator()(T x) const { return static_cast<T>(math::polygamma(n, x)); }
};

// ---- binary -------------------------------------------------------------------------------------------------
struct Atan2Fn { template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const { return std::atan2(a, b); } };
struct HypotFn { template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const { return std::hypot(a, b); } };
struct CopysignFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const { return std::copysign(a, b); }
};
struct RemainderFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const { return math::python_remainder(a, b); }
};
struct FmodFn {  // C's remainder: the sign of a
  template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return std::fmod(a, b);
    else if constexpr (std::is_signed_v<T>) return b == T(-1) ? T(0) : static_cast<T>(a % b);
    else return static_cast<T>(a % b);
  }
};
struct FloorDivideFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const { return math::floor_divide(a, b); }
};
// ln(e^a + e^b) = max + ln(1 + e^-|a - b|); equal infinities give themselves (not inf - inf)
struct LogaddexpFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const {
    if (std::isinf(a) && a == b) return a;
    const T m = a > b ? a : b;
    return m + std::log1p(std::exp(-std::fabs(a - b)));
  }
};
// log2(2^a + 2^b) = max + log2(1 + 2^-|a - b|)
struct Logaddexp2Fn {
  template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const {
    if (std::isinf(a) && a == b) return a;
    const T m = a > b ? a : b;
    return m + std::log1p(std::exp2(-std::fabs(a - b))) / static_cast<T>(math::kLn2);
  }
};
// x ln y, 0 where x == 0 unless y is NaN
struct XlogyFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T x, T y) const {
    if (y != y) return y;
    if (x == T(0)) return T(0);
    return x * std::log(y);
  }
};
// max / min ignoring a NaN (NaN only when both are)
struct FmaxFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return std::fmax(a, b);
    else return a > b ? a : b;
  }
};
struct FminFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return std::fmin(a, b);
    else return a < b ? a : b;
  }
};
struct BitwiseAndFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) return static_cast<T>(a & b);
    else return T(0);
  }
};
struct BitwiseOrFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) return static_cast<T>(a | b);
    else return T(0);
  }
};
struct BitwiseXorFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) return static_cast<T>(a ^ b);
    else return T(0);
  }
};
// a << b; 0 for a negative shift or one of the type's width or more (PyTorch's rule)
struct BitwiseLeftShiftFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (math::kIsInteger<T>) {
      constexpr int width = static_cast<int>(sizeof(T) * 8);
      if (static_cast<std::make_signed_t<T>>(b) < 0 || static_cast<int64_t>(b) >= width) return T(0);
      return static_cast<T>(static_cast<std::make_unsigned_t<T>>(a) << b);
    } else {
      return T(0);
    }
  }
};
// a >> b (arithmetic for signed types); a negative or too wide shift gives the sign fill (PyTorch's rule)
struct BitwiseRightShiftFn {
  template <typename T> REEL_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (math::kIsInteger<T>) {
      constexpr int max_shift = static_cast<int>(sizeof(T) * 8) - (std::is_signed_v<T> ? 1 : 0);
      if (static_cast<std::make_signed_t<T>>(b) < 0 || static_cast<int64_t>(b) >= max_shift)
        return static_cast<T>(a >> max_shift);
      return static_cast<T>(a >> b);
    } else {
      return T(0);
    }
  }
};
struct LogicalXorFn {
  template <typename T> REEL_HOST_DEVICE bool operator()(T a, T b) const { return (a != T(0)) != (b != T(0)); }
};

}  // namespace reel
