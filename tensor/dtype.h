// reel/tensor/dtype.h — element types, their sizes and names, PyTorch's promotion lattice, and
// `dispatch_dtype`, the one switch from a runtime dtype to a C++ element type used by every kernel.
//
// The ten types reel supports, ordered along PyTorch's promotion lattice (bool < the integers by width < the
// floats), so promote_types below is a comparison plus c10's two exceptions.
#pragma once

#include <cstdint>
#include <string_view>

#include "half.h"

namespace reel {

enum class ScalarType : int8_t {
  Bool,
  UInt8,
  Int8,
  Int16,
  Int32,
  Int64,
  Float16,
  BFloat16,
  Float32,
  Float64,
};
using Dtype = ScalarType;
inline constexpr int kNumScalarTypes = 10;

// LibTorch's spellings, both the long and the short ones.
inline constexpr ScalarType kBool = ScalarType::Bool;
inline constexpr ScalarType kUInt8 = ScalarType::UInt8;
inline constexpr ScalarType kByte = ScalarType::UInt8;
inline constexpr ScalarType kInt8 = ScalarType::Int8;
inline constexpr ScalarType kChar = ScalarType::Int8;
inline constexpr ScalarType kInt16 = ScalarType::Int16;
inline constexpr ScalarType kShort = ScalarType::Int16;
inline constexpr ScalarType kInt32 = ScalarType::Int32;
inline constexpr ScalarType kInt = ScalarType::Int32;
inline constexpr ScalarType kInt64 = ScalarType::Int64;
inline constexpr ScalarType kLong = ScalarType::Int64;
inline constexpr ScalarType kFloat16 = ScalarType::Float16;
inline constexpr ScalarType kHalf = ScalarType::Float16;
inline constexpr ScalarType kBFloat16 = ScalarType::BFloat16;
inline constexpr ScalarType kFloat32 = ScalarType::Float32;
inline constexpr ScalarType kFloat = ScalarType::Float32;
inline constexpr ScalarType kFloat64 = ScalarType::Float64;
inline constexpr ScalarType kDouble = ScalarType::Float64;

constexpr int element_size(ScalarType t) {
  switch (t) {
    case ScalarType::Bool:
    case ScalarType::UInt8:
    case ScalarType::Int8: return 1;
    case ScalarType::Int16:
    case ScalarType::Float16:
    case ScalarType::BFloat16: return 2;
    case ScalarType::Int32:
    case ScalarType::Float32: return 4;
    case ScalarType::Int64:
    case ScalarType::Float64: return 8;
  }
  return 0;
}

constexpr std::string_view dtype_name(ScalarType t) {
  switch (t) {
    case ScalarType::Bool: return "bool";
    case ScalarType::UInt8: return "uint8";
    case ScalarType::Int8: return "int8";
    case ScalarType::Int16: return "int16";
    case ScalarType::Int32: return "int32";
    case ScalarType::Int64: return "int64";
    case ScalarType::Float16: return "float16";
    case ScalarType::BFloat16: return "bfloat16";
    case ScalarType::Float32: return "float32";
    case ScalarType::Float64: return "float64";
  }
  return "?";
}

constexpr bool is_floating_point(ScalarType t) {
  return t == kFloat16 || t == kBFloat16 || t == kFloat32 || t == kFloat64;
}
constexpr bool is_integral(ScalarType t, bool include_bool = false) {
  return t == kUInt8 || t == kInt8 || t == kInt16 || t == kInt32 || t == kInt64 || (include_bool && t == kBool);
}

// PyTorch's promoteTypes restricted to reel's types: bool < uint8/int8 < int16 < int32 < int64 <
// float16/bfloat16 < float32 < float64, with uint8 + int8 -> int16 and float16 + bfloat16 -> float32.
constexpr ScalarType promote_types(ScalarType a, ScalarType b) {
  if (a == b) return a;
  if ((a == kUInt8 && b == kInt8) || (a == kInt8 && b == kUInt8)) return kInt16;
  if ((a == kFloat16 && b == kBFloat16) || (a == kBFloat16 && b == kFloat16)) return kFloat32;
  return static_cast<int>(a) > static_cast<int>(b) ? a : b;
}

// C++ type <-> ScalarType.
template <typename T> struct dtype_of;
template <> struct dtype_of<bool> { static constexpr ScalarType value = kBool; };
template <> struct dtype_of<uint8_t> { static constexpr ScalarType value = kUInt8; };
template <> struct dtype_of<int8_t> { static constexpr ScalarType value = kInt8; };
template <> struct dtype_of<int16_t> { static constexpr ScalarType value = kInt16; };
template <> struct dtype_of<int32_t> { static constexpr ScalarType value = kInt32; };
template <> struct dtype_of<int64_t> { static constexpr ScalarType value = kInt64; };
template <> struct dtype_of<Half> { static constexpr ScalarType value = kFloat16; };
template <> struct dtype_of<BFloat16> { static constexpr ScalarType value = kBFloat16; };
template <> struct dtype_of<float> { static constexpr ScalarType value = kFloat32; };
template <> struct dtype_of<double> { static constexpr ScalarType value = kFloat64; };
template <typename T> inline constexpr ScalarType dtype_of_v = dtype_of<T>::value;

// The type arithmetic on T is done in: float for the 16-bit floats, T otherwise.
template <typename T> struct compute_type { using type = T; };
template <> struct compute_type<Half> { using type = float; };
template <> struct compute_type<BFloat16> { using type = float; };
template <typename T> using compute_t = typename compute_type<T>::type;

[[noreturn]] void throw_unsupported_dtype(std::string_view op, ScalarType t);

// Calls fn.template operator()<T>() with the C++ type of `t`. Every kernel goes through here:
//   dispatch_dtype(x.dtype(), "exp", [&]<typename T>() { ... });
template <typename Fn>
decltype(auto) dispatch_dtype(ScalarType t, std::string_view op, Fn&& fn) {
  switch (t) {
    case ScalarType::Bool: return fn.template operator()<bool>();
    case ScalarType::UInt8: return fn.template operator()<uint8_t>();
    case ScalarType::Int8: return fn.template operator()<int8_t>();
    case ScalarType::Int16: return fn.template operator()<int16_t>();
    case ScalarType::Int32: return fn.template operator()<int32_t>();
    case ScalarType::Int64: return fn.template operator()<int64_t>();
    case ScalarType::Float16: return fn.template operator()<Half>();
    case ScalarType::BFloat16: return fn.template operator()<BFloat16>();
    case ScalarType::Float32: return fn.template operator()<float>();
    case ScalarType::Float64: return fn.template operator()<double>();
  }
  throw_unsupported_dtype(op, t);
}

// Same, restricted to the floating types (the others throw a reel::Error naming `op`).
template <typename Fn>
decltype(auto) dispatch_floating(ScalarType t, std::string_view op, Fn&& fn) {
  switch (t) {
    case ScalarType::Float16: return fn.template operator()<Half>();
    case ScalarType::BFloat16: return fn.template operator()<BFloat16>();
    case ScalarType::Float32: return fn.template operator()<float>();
    case ScalarType::Float64: return fn.template operator()<double>();
    default: throw_unsupported_dtype(op, t);
  }
}

}  // namespace reel
