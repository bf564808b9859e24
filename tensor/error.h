// reel/tensor/error.h — reel's exception types and the REEL_CHECK macro.
//
// Every misuse (bad shape, dtype, device, index, file) throws reel::Error whose message names the op and
// shows the offending shapes/values. Kernels assume valid inputs: checks happen at the front door.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace reel {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Thrown when an allocator cannot satisfy a request even after freeing its cache.
class OutOfMemoryError : public Error {
 public:
  explicit OutOfMemoryError(const std::string& message) : Error(message) {}
};

[[noreturn]] void throw_error(std::string message);

}  // namespace reel

// REEL_CHECK(cond, "op: shapes {} and {} differ", a, b): throws reel::Error with the formatted message.
#define REEL_CHECK(cond, ...)                                   \
  do {                                                          \
    if (!(cond)) [[unlikely]] {                                 \
      ::reel::throw_error(::fmt::format(__VA_ARGS__));          \
    }                                                           \
  } while (0)
