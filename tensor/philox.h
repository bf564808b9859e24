// reel/tensor/philox.h — the counter-based random number generator behind every random op, and the maps
// from its raw 32-bit draws to uniform, normal and integer values. Host/device code, so cpu/random.cpp and a
// CUDA kernel compute the very same numbers from the same (seed, offset). See Note [Random numbers] below.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "half.h"

namespace reel::philox {

// Note [Random numbers]
// ---------------------
// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011) maps a 128-bit
// counter and a 64-bit key to four 32-bit values that pass BigCrush; nothing is carried from one call to the
// next, so any element can be computed on its own, by any thread, in any order.
//   key     = the generator's seed (manual_seed, default 67280421310721 as in PyTorch)
//   counter = (block, 0) where block = offset / 4 + b; each block yields 4 "draws" (32-bit values)
// The global generator keeps (seed, offset). Every random op reserves the draws it needs, rounded up to a
// whole block: offset += round_up(draws_per_element * numel, 4), and passes the seed and the old offset to the
// kernel (the PhiloxPosition in the op's attributes, tensor/op_attrs.h). Element i of an op uses only draws
// [i * dpe, (i + 1) * dpe) of its reservation, where dpe (draws per element) is 1, or 2 when the value needs
// 64 random bits (float64 uniform/normal, randint over a range wider than 2^32). Normal values come in Box-Muller
// pairs (elements 2k, 2k+1 share the uniforms of their draws), so a pair never straddles a block.
// Hence: results depend only on (seed, offset, element index) — never on the thread count or on how
// parallel_for splits the work — and manual_seed(s) followed by the same ops gives the same values.

inline constexpr uint64_t kDefaultSeed = 67280421310721ULL;
inline constexpr int kDrawsPerBlock = 4;

struct Block {
  uint32_t x[4];
};

REEL_HOST_DEVICE inline void mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t product = static_cast<uint64_t>(a) * static_cast<uint64_t>(b);
  hi = static_cast<uint32_t>(product >> 32);
  lo = static_cast<uint32_t>(product);
}

// The four draws of a full 128-bit counter under `key` (ten Philox rounds with the reference constants).
REEL_HOST_DEVICE inline Block philox4x32_10(const uint32_t counter[4], uint64_t key) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(kMul0, c0, hi0, lo0);
    mulhilo(kMul1, c2, hi1, lo1);
    const uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0;
    c1 = n1;
    c2 = n2;
    c3 = n3;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return Block{{c0, c1, c2, c3}};
}

// The four draws of counter block `block` (counter = (block, 0)).
REEL_HOST_DEVICE inline Block philox4x32_10(uint64_t block, uint64_t key) {
  const uint32_t counter[4] = {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0u, 0u};
  return philox4x32_10(counter, key);
}

// Draws reserved by an op on `numel` elements: a whole number of blocks.
inline uint64_t draws_to_reserve(int64_t numel, int draws_per_element) {
  const uint64_t draws = static_cast<uint64_t>(numel) * static_cast<uint64_t>(draws_per_element);
  return (draws + kDrawsPerBlock - 1) / kDrawsPerBlock * kDrawsPerBlock;
}

// Mantissa bits (with the implicit one) of the float type a uniform is produced for: U[0, 1) on a grid of
// 2^-digits, so every value is exact in that type and strictly below 1.
template <typename T> struct UniformDigits { static constexpr int value = 24; };
template <> struct UniformDigits<double> { static constexpr int value = 53; };
template <> struct UniformDigits<Half> { static constexpr int value = 11; };
template <> struct UniformDigits<BFloat16> { static constexpr int value = 8; };

// u in [0, 1) from one draw (float, half, bfloat16 grids).
template <int Digits>
REEL_HOST_DEVICE inline float uniform_from_draw(uint32_t draw) {
  return static_cast<float>(draw >> (32 - Digits)) * (1.0f / static_cast<float>(1u << Digits));
}

// u in [0, 1) on the 2^-53 grid from two draws.
REEL_HOST_DEVICE inline double uniform53_from_draws(uint32_t high, uint32_t low) {
  const uint64_t bits = (static_cast<uint64_t>(high) << 32) | low;
  return static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0);
}

// u in (0, 1] (safe for log) from one draw / two draws.
REEL_HOST_DEVICE inline float open_zero_uniform24(uint32_t draw) {
  return static_cast<float>((draw >> 8) + 1u) * (1.0f / 16777216.0f);
}
REEL_HOST_DEVICE inline double open_zero_uniform53(uint32_t high, uint32_t low) {
  const uint64_t bits = (static_cast<uint64_t>(high) << 32) | low;
  return static_cast<double>((bits >> 11) + 1u) * (1.0 / 9007199254740992.0);
}

// Note [Portable Box-Muller]
// --------------------------
// Box-Muller needs a logarithm, a sine and a cosine. Math libraries round those differently in the last bit
// (glibc's float logf/sinf/cosf are not correctly rounded in about 1% of cases; CUDA's double log/sin/cos are
// within 1-2 ulp), so normals computed with them differ between the CPU, the GPU and one libm and the next.
// Here they are computed from IEEE +, -, *, / and sqrt alone, in double, each operation rounded once: the
// device spells every product and sum with __dmul_rn / __dadd_rn so that nvcc cannot fuse them into FMAs,
// and the host must not contract either (reel builds in ISO C++ mode, where GCC's default is
// -ffp-contract=off, and targets no FMA by default). Every platform then gets bit-identical normals, within a
// few double ulps of the exact values; float outputs are rounded once from the double results.
namespace portable {

REEL_HOST_DEVICE inline double mul(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
REEL_HOST_DEVICE inline double add(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
// a * b + c with two roundings.
REEL_HOST_DEVICE inline double mul_add(double a, double b, double c) { return add(mul(a, b), c); }

// ln(x) for a normal x in (0, 1]: x = m 2^e with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh(s), s = (m-1)/(m+1),
// |s| < 0.1716, summed as 2s + 2s (s^2/3 + s^4/5 + ... + s^22/23) (truncation error below 2^-56).
REEL_HOST_DEVICE inline double log_unit(double x) {
  constexpr double kLn2High = 0x1.62e42fee00000p-1;  // ln 2 to 32 bits: e * kLn2High is exact
  constexpr double kLn2Low = 0x1.a39ef35793c76p-33;  // ln 2 - kLn2High
  constexpr double kSqrt2 = 1.4142135623730951;
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  int exponent = static_cast<int>((bits >> 52) & 0x7ffu) - 1023;
  bits = (bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;  // m in [1, 2)
  double m;
  std::memcpy(&m, &bits, sizeof m);
  if (m > kSqrt2) {
    m = mul(m, 0.5);
    ++exponent;
  }
  constexpr double kInverseOdd[] = {1.0 / 23, 1.0 / 21, 1.0 / 19, 1.0 / 17, 1.0 / 15, 1.0 / 13,
                                    1.0 / 11, 1.0 / 9,  1.0 / 7,  1.0 / 5,  1.0 / 3};
  const double f = add(m, -1.0);  // exact (Sterbenz)
  const double s = f / add(2.0, f);
  const double z = mul(s, s);
  double series = kInverseOdd[0];
  for (int k = 1; k < 11; ++k) series = mul_add(series, z, kInverseOdd[k]);
  const double two_s = mul(2.0, s);
  const double log_m = add(two_s, mul(two_s, mul(z, series)));
  const double e = static_cast<double>(exponent);
  return add(mul(e, kLn2High), add(mul(e, kLn2Low), log_m));
}

// sin(2 pi u) and cos(2 pi u) for u in [0, 1): the quadrant is taken from 4u exactly, leaving
// theta = (pi/2) r with r in [-1/2, 1/2], and Taylor polynomials in z = theta^2 (error below 2^-60):
// sin theta = theta + theta z (-1/3! + z/5! - ... - z^8/19!),  cos theta = 1 - z/2 + z^2 (1/4! - z/6! + ... + z^8/20!).
REEL_HOST_DEVICE inline void sincos_two_pi(double u, double& sine, double& cosine) {
  constexpr double kHalfPi = 1.5707963267948966;
  // Highest power first (Horner). Every factorial up to 20! is an exact double.
  constexpr double kSin[] = {-1.0 / 121645100408832000.0, 1.0 / 355687428096000.0, -1.0 / 1307674368000.0,
                             1.0 / 6227020800.0,          -1.0 / 39916800.0,      1.0 / 362880.0,
                             -1.0 / 5040.0,               1.0 / 120.0,            -1.0 / 6.0};
  constexpr double kCos[] = {1.0 / 2432902008176640000.0, -1.0 / 6402373705728000.0, 1.0 / 20922789888000.0,
                             -1.0 / 87178291200.0,        1.0 / 479001600.0,         -1.0 / 3628800.0,
                             1.0 / 40320.0,               -1.0 / 720.0,              1.0 / 24.0};
  const double four_u = mul(4.0, u);  // exact
  int quadrant = static_cast<int>(four_u);
  double r = add(four_u, -static_cast<double>(quadrant));  // exact: the fraction of 4u
  if (r > 0.5) {
    r = add(r, -1.0);
    ++quadrant;
  }
  const double theta = mul(r, kHalfPi);
  const double z = mul(theta, theta);
  double sin_poly = kSin[0], cos_poly = kCos[0];
  for (int k = 1; k < 9; ++k) {
    sin_poly = mul_add(sin_poly, z, kSin[k]);
    cos_poly = mul_add(cos_poly, z, kCos[k]);
  }
  const double s = add(theta, mul(mul(theta, z), sin_poly));
  const double c = add(add(1.0, mul(-0.5, z)), mul(mul(z, z), cos_poly));
  switch (quadrant & 3) {
    case 0: sine = s; cosine = c; break;
    case 1: sine = c; cosine = -s; break;
    case 2: sine = -s; cosine = -c; break;
    default: sine = -c; cosine = s; break;
  }
}

}  // namespace portable

// Box-Muller: two independent N(0, 1) values from u1 in (0, 1] and u2 in [0, 1):
// z0 = sqrt(-2 ln u1) cos(2 pi u2), z1 = sqrt(-2 ln u1) sin(2 pi u2), in double (Note [Portable Box-Muller]).
template <typename F>
REEL_HOST_DEVICE inline void box_muller(F u1, F u2, F& z0, F& z1) {
  const double radius = std::sqrt(portable::mul(-2.0, portable::log_unit(static_cast<double>(u1))));
  double sine, cosine;
  portable::sincos_two_pi(static_cast<double>(u2), sine, cosine);
  z0 = static_cast<F>(portable::mul(radius, cosine));
  z1 = static_cast<F>(portable::mul(radius, sine));
}

// An integer uniform on {0, ..., range - 1} (range >= 1) from one draw (range <= 2^32) or two.
REEL_HOST_DEVICE inline uint64_t below_from_draw(uint32_t draw, uint64_t range) { return draw % range; }
REEL_HOST_DEVICE inline uint64_t below_from_draws(uint32_t high, uint32_t low, uint64_t range) {
  return ((static_cast<uint64_t>(high) << 32) | low) % range;
}

}  // namespace reel::philox
