// reel/cpu/vec_math.cpp — branch-free float32 exp / tanh / sigmoid, built per ISA (see vec_math.h).
//
// exp: x = n ln2 + r with n = round(x / ln2) and |r| <= ln2/2 (ln2 split in a high and a low part so r is
// exact); e^r by a degree-6 polynomial; 2^n put into the exponent bits. Inputs beyond the float range
// saturate to 0 / inf; NaN stays NaN.
// tanh: for |x| < 0.55 an odd polynomial (no cancellation); otherwise 1 - 2 / (e^{2|x|} + 1) with the sign
// restored, both computed and selected without branches.
// sigmoid: 1 / (1 + e^-x).
#include "cpu/vec_math.h"

#include <cstring>

#define REEL_VEC_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

namespace reel::cpu::vec {

namespace {

inline float bits_to_float(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
inline uint32_t float_to_bits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

// e^x for one float; inlined into the loops below so it vectorises.
__attribute__((always_inline)) inline float exp_one(float x) {
  const float kLog2e = 1.44269504088896341f;
  const float kLn2Hi = 0.693359375f;
  const float kLn2Lo = -2.12194440e-4f;
  // NaN compares false and becomes the lower bound, so the int conversion below never sees a NaN (undefined
  // behaviour, reported by clang's UBSan); the NaN itself is returned at the end.
  const float clamped = x > 88.72283f ? 88.72283f : (x >= -87.33654f ? x : -87.33654f);
  // Round to nearest by adding and subtracting 1.5 * 2^23 (exact for |v| < 2^22; vectorises everywhere).
  const float kRoundMagic = 12582912.0f;
  const float n = (clamped * kLog2e + kRoundMagic) - kRoundMagic;
  const float r = (clamped - n * kLn2Hi) - n * kLn2Lo;
  // e^r on [-ln2/2, ln2/2]: Taylor-like minimax coefficients.
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // 2^n: n is in [-126, 128]; build it in two halves so n = 128 does not overflow the exponent field.
  const int32_t ni = static_cast<int32_t>(n);
  const int32_t half = ni >> 1;
  const float scale_a = bits_to_float(static_cast<uint32_t>(half + 127) << 23);
  const float scale_b = bits_to_float(static_cast<uint32_t>(ni - half + 127) << 23);
  float result = p * scale_a * scale_b;
  result = x > 88.72283f ? __builtin_inff() : result;
  result = x < -103.97208f ? 0.0f : result;
  return x != x ? x : result;
}

__attribute__((always_inline)) inline float tanh_one(float x) {
  const uint32_t sign = float_to_bits(x) & 0x80000000u;
  const float a = bits_to_float(float_to_bits(x) & 0x7fffffffu);
  // Large |x|: 1 - 2 / (e^{2a} + 1).
  const float e = exp_one(2.0f * (a > 9.0f ? 9.0f : a));
  const float large = 1.0f - 2.0f / (e + 1.0f);
  // Small |x|: odd polynomial a + a^3 P(a^2).
  const float s = a * a;
  float p = -5.70498872745e-3f;
  p = p * s + 2.06390887954e-2f;
  p = p * s + -5.37397155531e-2f;
  p = p * s + 1.33314422036e-1f;
  p = p * s + -3.33332819422e-1f;
  const float small = a + a * s * p;
  float magnitude = a < 0.55f ? small : large;
  magnitude = a > 9.0f ? 1.0f : magnitude;
  const float result = bits_to_float(float_to_bits(magnitude) | sign);
  return x != x ? x : result;
}

}  // namespace

REEL_VEC_CLONES void exp_f32(const float* in, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = exp_one(in[i]);
}

REEL_VEC_CLONES void tanh_f32(const float* in, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = tanh_one(in[i]);
}

REEL_VEC_CLONES void sigmoid_f32(const float* in, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = 1.0f / (1.0f + exp_one(-in[i]));
}

}  // namespace reel::cpu::vec
