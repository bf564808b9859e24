// reel/tensor/error.h — reel's exception types.
//
// Every misuse (bad shape, dtype, device, index, file) throws reel::Error whose message names the op and
// shows the offending shapes/values. Kernels assume valid inputs: checks happen at the front door. The messages
// are formatted inside the library (the REEL_CHECK macro of the internal tensor/error_format.h), so this public
// header needs no formatting library.
#pragma once

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
