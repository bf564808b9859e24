// reel/cpu/vec_math.h — vectorised float32 kernels for the hottest elementwise ops (exp, tanh, sigmoid).
//
// libm's scalar expf/tanhf cost about 8 ns an element here and dominate small RNN steps. These versions are
// branch-free polynomial approximations (a few ulp from the correctly rounded result, tested against float64)
// written as plain loops that the compiler vectorises; cpu/vec_math.cpp builds them for AVX-512, AVX2 and
// baseline x86-64 and the loader picks the best the CPU supports (GCC target_clones).
#pragma once

#include <cstdint>

namespace reel::cpu::vec {

// out[i] = f(in[i]) over n contiguous floats (in and out may be the same array).
void exp_f32(const float* in, float* out, int64_t n);
void tanh_f32(const float* in, float* out, int64_t n);
void sigmoid_f32(const float* in, float* out, int64_t n);

}  // namespace reel::cpu::vec
