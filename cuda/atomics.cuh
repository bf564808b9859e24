// reel/cuda/atomics.cuh — atomic read-modify-write of one tensor element of any dtype, shared by the CUDA index
// kernels (cuda/index.cu: scatter_add, index_add; cuda/advanced_index.cu: index_put with accumulate, scatter_reduce).
//
//   atomic_add_scaled(target, value, alpha)   *target += alpha * value (atomicAdd where the hardware has it)
//   atomic_combine(target, value, combine)    *target = combine(*target, value) by a compare-and-swap loop
// 1- and 2-byte elements swap the aligned 32-bit word that holds them (CUDA allocations are at least 256-byte
// aligned, so that word is always mapped memory). Arithmetic is the CPU's: compute_t<T> (float for the 16-bit
// floats), one rounding to the element type per update.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "tensor/dtype.h"

namespace reel::cuda {

// *target = update(*target) atomically for a 1- or 2-byte T, by compare-and-swap on the aligned 32-bit word that
// holds it (CUDA allocations are at least 256-byte aligned, so that word is always mapped memory).
template <typename T, typename Update>
__device__ void atomic_update_subword(T* target, const Update& update) {
  static_assert(sizeof(T) == 1 || sizeof(T) == 2);
  using Bits = std::conditional_t<sizeof(T) == 1, uint8_t, uint16_t>;
  const uintptr_t address = reinterpret_cast<uintptr_t>(target);
  unsigned int* word = reinterpret_cast<unsigned int*>(address & ~uintptr_t{3});
  const unsigned int shift = static_cast<unsigned int>(address & 3u) * 8u;
  const unsigned int mask = ((1u << (8 * sizeof(T))) - 1u) << shift;
  unsigned int old = *word, assumed;
  do {
    assumed = old;
    const Bits current_bits = static_cast<Bits>((assumed & mask) >> shift);
    T current;
    memcpy(&current, &current_bits, sizeof(T));
    const T next = update(current);
    Bits next_bits;
    memcpy(&next_bits, &next, sizeof(T));
    old = atomicCAS(word, assumed, (assumed & ~mask) | (static_cast<unsigned int>(next_bits) << shift));
  } while (old != assumed);
}

// *target = *target + alpha * value, atomically, in T's arithmetic (compute_t<T>; bool: t || (alpha && value)).
// The product is rounded before the add, as on the CPU (no fused multiply-add).
template <typename T>
__device__ void atomic_add_scaled(T* target, T value, compute_t<T> alpha) {
  if constexpr (std::is_same_v<T, float>) {
    atomicAdd(target, __fmul_rn(alpha, value));
  } else if constexpr (std::is_same_v<T, double>) {
    atomicAdd(target, __dmul_rn(alpha, value));
  } else if constexpr (std::is_same_v<T, int32_t>) {
    // Wrapping multiply, done unsigned (two's complement gives the same bits).
    atomicAdd(reinterpret_cast<unsigned int*>(target),
              static_cast<unsigned int>(alpha) * static_cast<unsigned int>(value));
  } else if constexpr (std::is_same_v<T, int64_t>) {
    atomicAdd(reinterpret_cast<unsigned long long*>(target),
              static_cast<unsigned long long>(alpha) * static_cast<unsigned long long>(value));
  } else if constexpr (std::is_same_v<T, bool>) {
    if (alpha && value) *target = true;  // every writer stores the same byte
  } else if constexpr (std::is_same_v<T, uint8_t> || std::is_same_v<T, int8_t> || std::is_same_v<T, int16_t>) {
    // Wrapping arithmetic, done unsigned (two's complement gives the same bits).
    using Unsigned = std::make_unsigned_t<T>;
    atomic_update_subword(target, [=](T current) {
      return static_cast<T>(static_cast<Unsigned>(static_cast<unsigned int>(static_cast<Unsigned>(current)) +
                                                  static_cast<unsigned int>(static_cast<Unsigned>(alpha)) *
                                                      static_cast<unsigned int>(static_cast<Unsigned>(value))));
    });
  } else {  // Half, BFloat16: float arithmetic, one rounding per update
    const float scaled = __fmul_rn(alpha, static_cast<float>(value));
    atomic_update_subword(target, [=](T current) { return T(__fadd_rn(static_cast<float>(current), scaled)); });
  }
}

// *target = combine(*target, value) atomically, combine working in compute_t<T>.
template <typename T, typename Combine>
__device__ void atomic_combine(T* target, T value, const Combine& combine) {
  using C = compute_t<T>;
  if constexpr (sizeof(T) == 1 || sizeof(T) == 2) {
    atomic_update_subword(target, [=](T current) {
      return static_cast<T>(combine(static_cast<C>(current), static_cast<C>(value)));
    });
  } else {
    using Word = std::conditional_t<sizeof(T) == 4, unsigned int, unsigned long long>;
    Word* word = reinterpret_cast<Word*>(target);
    Word old = *word, assumed;
    do {
      assumed = old;
      T current;
      memcpy(&current, &assumed, sizeof(T));
      const T next = static_cast<T>(combine(static_cast<C>(current), static_cast<C>(value)));
      Word next_bits;
      memcpy(&next_bits, &next, sizeof(T));
      old = atomicCAS(word, assumed, next_bits);
    } while (old != assumed);
  }
}

}  // namespace reel::cuda
