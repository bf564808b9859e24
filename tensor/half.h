// reel/tensor/half.h — 16-bit floating-point storage types.
//
// Half (IEEE 754 binary16) and BFloat16 (the top 16 bits of a float32) are storage formats: arithmetic
// converts to float, computes, and rounds back (round-to-nearest-even), as PyTorch does on the CPU.
// The conversions are plain bit manipulation so they compile for host and device alike.
#pragma once

#include <cstdint>
#include <cstring>

#ifdef __CUDACC__
#define REEL_HOST_DEVICE __host__ __device__
#else
#define REEL_HOST_DEVICE
#endif

namespace reel {

REEL_HOST_DEVICE inline uint32_t float_bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

REEL_HOST_DEVICE inline float float_from_bits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// float32 -> binary16, round to nearest even; overflow gives inf, NaN stays NaN.
REEL_HOST_DEVICE inline uint16_t float_to_half_bits(float value) {
  uint32_t f = float_bits(value);
  uint32_t sign = (f >> 16) & 0x8000u;
  uint32_t abs = f & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // inf or NaN
    return static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  }
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520: inf
  if (abs < 0x38800000u) {                                            // result is subnormal or zero
    // Add 0.5 (as a float) so the FPU does the rounding of the shifted-out bits for us.
    float shifted = float_from_bits(abs) + 0.5f;
    return static_cast<uint16_t>(sign | (float_bits(shifted) - 0x3f000000u));
  }
  uint32_t mantissa_odd = (abs >> 13) & 1u;
  abs += 0xc8000fffu + mantissa_odd;  // rebias exponent (-112 << 23) and round to nearest even
  return static_cast<uint16_t>(sign | (abs >> 13));
}

REEL_HOST_DEVICE inline float half_bits_to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1fu) return float_from_bits(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    if (mantissa == 0) return float_from_bits(sign);
    float magnitude = static_cast<float>(mantissa) * (1.0f / 16777216.0f);  // mantissa * 2^-24
    return sign ? -magnitude : magnitude;
  }
  return float_from_bits(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

// float32 -> bfloat16, round to nearest even; NaN stays a quiet NaN.
REEL_HOST_DEVICE inline uint16_t float_to_bfloat16_bits(float value) {
  uint32_t f = float_bits(value);
  if ((f & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((f >> 16) | 0x40u);
  uint32_t rounding = 0x7fffu + ((f >> 16) & 1u);
  return static_cast<uint16_t>((f + rounding) >> 16);
}

REEL_HOST_DEVICE inline float bfloat16_bits_to_float(uint16_t b) {
  return float_from_bits(static_cast<uint32_t>(b) << 16);
}

struct Half {
  uint16_t bits = 0;
  Half() = default;
  REEL_HOST_DEVICE Half(float value) : bits(float_to_half_bits(value)) {}
  REEL_HOST_DEVICE operator float() const { return half_bits_to_float(bits); }
  REEL_HOST_DEVICE static Half from_bits(uint16_t raw) {
    Half h;
    h.bits = raw;
    return h;
  }
};

struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  REEL_HOST_DEVICE BFloat16(float value) : bits(float_to_bfloat16_bits(value)) {}
  REEL_HOST_DEVICE operator float() const { return bfloat16_bits_to_float(bits); }
  REEL_HOST_DEVICE static BFloat16 from_bits(uint16_t raw) {
    BFloat16 b;
    b.bits = raw;
    return b;
  }
};

}  // namespace reel
