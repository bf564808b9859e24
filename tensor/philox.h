// reel/tensor/philox.h — the counter-based random number generator behind every random op, and the maps
// from its raw 32-bit draws to uniform, normal and integer values. Host/device code, so cpu/random.cpp and a
// CUDA kernel compute the very same numbers from the same (seed, offset). See Note [Random numbers] below.
#pragma once

#include <cmath>
#include <cstdint>

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
// whole block: offset += round_up(draws_per_element * numel, 4), and passes the old offset to the kernel
// (OpAttrs::seed / OpAttrs::offset). Element i of an op uses only draws [i * dpe, (i + 1) * dpe) of its
// reservation, where dpe (draws per element) is 1, or 2 when the value needs 64 random bits (float64
// uniform/normal, randint over a range wider than 2^32). Normal values come in Box-Muller pairs
// (elements 2k, 2k+1 share the uniforms of their draws), so a pair never straddles a block.
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

// Box-Muller: two independent N(0, 1) values from u1 in (0, 1] and u2 in [0, 1).
template <typename F>
REEL_HOST_DEVICE inline void box_muller(F u1, F u2, F& z0, F& z1) {
  constexpr F kTwoPi = static_cast<F>(6.283185307179586476925286766559);
  const F radius = std::sqrt(F(-2) * std::log(u1));
  const F angle = kTwoPi * u2;
  z0 = radius * std::cos(angle);
  z1 = radius * std::sin(angle);
}

// An integer uniform on {0, ..., range - 1} (range >= 1) from one draw (range <= 2^32) or two.
REEL_HOST_DEVICE inline uint64_t below_from_draw(uint32_t draw, uint64_t range) { return draw % range; }
REEL_HOST_DEVICE inline uint64_t below_from_draws(uint32_t high, uint32_t low, uint64_t range) {
  return ((static_cast<uint64_t>(high) << 32) | low) % range;
}

}  // namespace reel::philox
