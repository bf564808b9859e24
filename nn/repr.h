// reel/nn/repr.h — Python spellings for the extra_repr of layers, so that a printed module tree reads exactly
// as PyTorch prints the same model: True/False, None, floats as Python's repr (1.0, 1e-05, 0.1), tuples with
// the one-element trailing comma ("(3,)").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace reel::nn::repr {

// True / False
inline std::string py_bool(bool value) { return value ? "True" : "False"; }

// The shortest round-trip digits, with ".0" on whole numbers as Python's repr(float).
inline std::string py_float(double value) {
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";  // "n": nan and inf stay as they are
  return text;
}

// repr(float) or None
inline std::string py_optional_float(const std::optional<double>& value) {
  return value ? py_float(*value) : "None";
}

// (a,) or (a, b, ...)
inline std::string py_tuple(const std::vector<int64_t>& values) {
  if (values.size() == 1) return fmt::format("({},)", values[0]);
  return fmt::format("({})", fmt::join(values, ", "));
}

// A size argument as the user gave it: a bare int when one value was given, else a tuple.
inline std::string py_int_or_tuple(const std::vector<int64_t>& values) {
  return values.size() == 1 ? std::to_string(values[0]) : py_tuple(values);
}

}  // namespace reel::nn::repr
