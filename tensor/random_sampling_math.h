// reel/tensor/random_sampling_math.h — the host/device math of the sampling ops of tensor/random_sampling.cpp:
// bernoulli, exponential_, geometric_, cauchy_, log_normal_ and multinomial. Each "fill" turns the four draws of
// one Philox block into the values of the elements that block serves; cpu/random_sampling.cpp and
// cuda/random_sampling.cu run the very same functors, so one (seed, offset) gives the same numbers on both devices
// (Note [Random numbers] in tensor/philox.h). Logarithms, sines and exponentials are built from IEEE +, -, *, /
// alone (Note [Portable Box-Muller]); the values are computed in double and rounded once to the output's dtype
// (through float for the 16-bit floats).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "dtype.h"
#include "philox.h"

namespace reel::sampling {

using philox::Block;

// u in (0, 1), never 0 or 1: the midpoints of the 2^-24 grid (one draw) or of the 2^-53 grid (two draws).
REEL_HOST_DEVICE inline double midpoint_uniform24(uint32_t draw) {
  return (static_cast<double>(draw >> 8) + 0.5) * (1.0 / 16777216.0);
}
REEL_HOST_DEVICE inline double midpoint_uniform53(uint32_t high, uint32_t low) {
  const uint64_t bits = (static_cast<uint64_t>(high) << 32) | low;
  return (static_cast<double>(bits >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

// e^x from IEEE operations alone: x = k ln 2 + r, |r| <= ln(2) / 2 (Cody-Waite with a two-part ln 2), e^r by its
// Taylor series to r^16 / 16! (truncation below 2^-60), then scaled by 2^k (exact unless the result is subnormal).
REEL_HOST_DEVICE inline double exp_portable(double x) {
  using philox::portable::add;
  using philox::portable::mul;
  using philox::portable::mul_add;
  if (x != x) return x;
  if (x > 709.8) return std::numeric_limits<double>::infinity();
  if (x < -745.2) return 0.0;
  constexpr double kInvLn2 = 1.4426950408889634;
  constexpr double kLn2High = 0x1.62e42fee00000p-1;  // ln 2 to 32 bits: k * kLn2High is exact for |k| < 2^21
  constexpr double kLn2Low = 0x1.a39ef35793c76p-33;
  const double k = std::rint(mul(x, kInvLn2));
  const double r = add(add(x, -mul(k, kLn2High)), -mul(k, kLn2Low));
  double poly = 1.0 / 20922789888000.0;  // 1 / 16!
  double factorial = 20922789888000.0;
  for (int n = 16; n >= 1; --n) {  // Horner: poly = sum_{j<=16} r^j / j!, highest power first
    factorial /= n;                // (n-1)!, exact: every factorial up to 16! is an exact double
    poly = mul_add(poly, r, 1.0 / factorial);
  }
  return std::ldexp(poly, static_cast<int>(k));
}

// Stores a double into T: rounded once for double and float, through float for the 16-bit floats; integer
// outputs (geometric_) are clamped to the largest value T holds so the conversion stays defined.
template <typename T>
REEL_HOST_DEVICE inline T store_value(double v) {
  if constexpr (std::is_same_v<T, double>) {
    return v;
  } else if constexpr (std::is_same_v<T, bool>) {
    return v != 0.0;
  } else if constexpr (std::is_integral_v<T>) {
    const double top = sizeof(T) == 8 ? 9.2e18 : static_cast<double>(std::numeric_limits<T>::max());
    return static_cast<T>(v < top ? v : top);
  } else {
    return static_cast<T>(static_cast<float>(v));
  }
}

// One uniform in (0, 1) per element: element first + k of a block takes draw k (Wide = false) or draws 2k, 2k+1.
template <bool Wide>
REEL_HOST_DEVICE inline double element_uniform(const Block& d, int64_t k) {
  if constexpr (Wide) return midpoint_uniform53(d.x[2 * k], d.x[2 * k + 1]);
  else return midpoint_uniform24(d.x[k]);
}

// exponential_: y = -ln(u) / lambd, u ~ U(0, 1).
template <typename T, bool Wide>
struct ExponentialFill {
  T* y;
  double lambd;
  REEL_HOST_DEVICE void operator()(const Block& d, int64_t first, int64_t count) const {
    for (int64_t k = 0; k < count; ++k)
      y[first + k] = store_value<T>(-philox::portable::log_unit(element_uniform<Wide>(d, k)) / lambd);
  }
};

// geometric_: y = max(1, ceil(ln(u) / ln(1 - p))), u ~ U(0, 1): the number of Bernoulli(p) trials up to the first
// success. log1m_p = ln(1 - p) < 0, computed once by the front door.
template <typename T, bool Wide>
struct GeometricFill {
  T* y;
  double log1m_p;
  REEL_HOST_DEVICE void operator()(const Block& d, int64_t first, int64_t count) const {
    for (int64_t k = 0; k < count; ++k) {
      const double trials = std::ceil(philox::portable::log_unit(element_uniform<Wide>(d, k)) / log1m_p);
      y[first + k] = store_value<T>(trials < 1.0 ? 1.0 : trials);
    }
  }
};

// cauchy_: y = median + sigma tan(pi (u - 1/2)) = median - sigma cos(pi u) / sin(pi u), u ~ U(0, 1).
template <typename T, bool Wide>
struct CauchyFill {
  T* y;
  double median, sigma;
  REEL_HOST_DEVICE void operator()(const Block& d, int64_t first, int64_t count) const {
    for (int64_t k = 0; k < count; ++k) {
      double sine, cosine;
      philox::portable::sincos_two_pi(philox::portable::mul(element_uniform<Wide>(d, k), 0.5), sine, cosine);
      y[first + k] = store_value<T>(philox::portable::add(median, -philox::portable::mul(sigma, cosine / sine)));
    }
  }
};

// log_normal_: y = e^(mean + std z), z ~ N(0, 1) from Box-Muller on the same pairs of draws as normal_ (two values
// per block for float64, four otherwise), so log_normal_ of a seed is e^ of normal_'s values of that seed.
template <typename T, bool Wide>
struct LogNormalFill {
  T* y;
  double mean, stddev;
  REEL_HOST_DEVICE T value(double z) const {
    return store_value<T>(exp_portable(philox::portable::mul_add(stddev, z, mean)));
  }
  REEL_HOST_DEVICE void operator()(const Block& d, int64_t first, int64_t count) const {
    constexpr int kPairs = Wide ? 1 : 2;
    for (int pair = 0; pair < kPairs && 2 * pair < count; ++pair) {
      double z0, z1;
      if constexpr (Wide) {
        philox::box_muller(philox::open_zero_uniform53(d.x[0], d.x[1]), philox::uniform53_from_draws(d.x[2], d.x[3]),
                           z0, z1);
      } else {
        float f0, f1;
        philox::box_muller(philox::open_zero_uniform24(d.x[2 * pair]), philox::uniform_from_draw<24>(d.x[2 * pair + 1]),
                           f0, f1);
        z0 = f0;
        z1 = f1;
      }
      y[first + 2 * pair] = value(z0);
      if (2 * pair + 1 < count) y[first + 2 * pair + 1] = value(z1);
    }
  }
};

// bernoulli: y_i = (u_i < p_i), u ~ U[0, 1) on the 2^-53 grid from two draws per element (two elements per
// block); p_i from a float64 tensor of the output's numel, or the scalar p when that pointer is null.
template <typename T>
struct BernoulliFill {
  T* y;
  const double* p_tensor;
  double p;
  REEL_HOST_DEVICE void operator()(const Block& d, int64_t first, int64_t count) const {
    for (int64_t k = 0; k < count; ++k) {
      const double threshold = p_tensor != nullptr ? p_tensor[first + k] : p;
      const bool success = philox::uniform53_from_draws(d.x[2 * k], d.x[2 * k + 1]) < threshold;
      y[first + k] = static_cast<T>(success ? 1 : 0);
    }
  }
};

// ---- multinomial ------------------------------------------------------------------------------------------------
// Rows of `categories` non-negative weights w (row-major, any floating T), at least one positive per row.

// The two draws of element `e` of a reservation starting at block first_block: a uniform on the 2^-53 grid.
REEL_HOST_DEVICE inline double element_uniform53(uint64_t first_block, uint64_t key, int64_t e, bool midpoint) {
  const Block d = philox::philox4x32_10(first_block + static_cast<uint64_t>(e) / 2, key);
  const int half = static_cast<int>(e % 2);
  return midpoint ? midpoint_uniform53(d.x[2 * half], d.x[2 * half + 1])
                  : philox::uniform53_from_draws(d.x[2 * half], d.x[2 * half + 1]);
}

// With replacement, sample j of a row: the category c whose slice [W_{c-1}, W_c) of the cumulative weights holds
// u * W_total, u = the uniform of element (row * num_samples + j); zero-weight categories have empty slices and are
// never chosen (sums in double, left to right).
template <typename T>
REEL_HOST_DEVICE inline int64_t multinomial_with_replacement(const T* w, int64_t categories, double u) {
  double total = 0;
  for (int64_t c = 0; c < categories; ++c) total = philox::portable::add(total, static_cast<double>(w[c]));
  const double target = philox::portable::mul(u, total);
  double cumulative = 0;
  int64_t last_positive = 0;
  for (int64_t c = 0; c < categories; ++c) {
    const double weight = static_cast<double>(w[c]);
    if (weight <= 0) continue;
    last_positive = c;
    cumulative = philox::portable::add(cumulative, weight);
    if (target < cumulative) return c;
  }
  return last_positive;  // u * total rounded up to the last sum
}

// Without replacement, the exponential race: category c of the row gets the key E_c / w_c, E_c = -ln(u_c),
// u_c = the midpoint uniform of element (row * categories + c). The categories sorted by key are distributed as
// draws one by one without replacement (each draw picks c with probability w_c / (sum of the weights left)), so
// sample j is the category with the j-th smallest key (ties broken by the lower index; weight 0: key +inf).
REEL_HOST_DEVICE inline double race_key(double weight, double u) {
  if (weight <= 0) return std::numeric_limits<double>::infinity();
  return -philox::portable::log_unit(u) / weight;
}

// Samples of one row without replacement by repeated selection (no scratch memory, for the device): sample j is
// the smallest (key, index) above sample j-1's. O(num_samples * categories) keys.
template <typename T>
REEL_HOST_DEVICE inline void multinomial_race_row(const T* w, int64_t categories, int64_t num_samples,
                                                  uint64_t first_block, uint64_t key, int64_t row, int64_t* out) {
  double previous_key = -1.0;
  int64_t previous_index = -1;
  for (int64_t j = 0; j < num_samples; ++j) {
    double best_key = std::numeric_limits<double>::infinity();
    int64_t best_index = -1;
    for (int64_t c = 0; c < categories; ++c) {
      const double weight = static_cast<double>(w[c]);
      if (weight <= 0) continue;
      const double k = race_key(weight, element_uniform53(first_block, key, row * categories + c, true));
      const bool after_previous = k > previous_key || (k == previous_key && c > previous_index);
      const bool before_best = best_index < 0 || k < best_key || (k == best_key && c < best_index);
      if (after_previous && before_best) {
        best_key = k;
        best_index = c;
      }
    }
    out[j] = best_index;
    previous_key = best_key;
    previous_index = best_index;
  }
}

}  // namespace reel::sampling
