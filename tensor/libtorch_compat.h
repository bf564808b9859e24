// reel/tensor/libtorch_compat.h — names a ported LibTorch program uses that are not reel's own: the check macros
// TORCH_CHECK, AT_ASSERT, TORCH_INTERNAL_ASSERT, AT_ASSERTM, TORCH_WARN, and reel::optional / reel::nullopt
// (LibTorch's torch::optional, std::optional since 2.x).
//
// A LibTorch program renamed to reel (`torch::` -> `reel::`) keeps these macro names, so reel defines them (each
// only when no other library has). They behave as LibTorch's: a false condition throws reel::Error (LibTorch
// throws c10::Error) whose message names the failed condition, the file and line, and the extra arguments streamed
// one after the other (`TORCH_CHECK(n > 0, "n must be positive, got ", n)`); TORCH_WARN prints its message to
// stderr. reel's own code uses REEL_CHECK (tensor/error_format.h) instead.
#pragma once

#include <optional>
#include <ostream>
#include <streambuf>
#include <string>

#include "error.h"

namespace reel {
using std::nullopt;
using std::optional;
}  // namespace reel

namespace reel::detail {

// A stream buffer appending to a string (std::ostringstream without <sstream>, which public headers avoid).
class StringAppendBuffer : public std::streambuf {
 public:
  explicit StringAppendBuffer(std::string& text) : text_(text) {}

 protected:
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) text_.push_back(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* data, std::streamsize count) override {
    text_.append(data, static_cast<size_t>(count));
    return count;
  }

 private:
  std::string& text_;
};

// The extra arguments of a check macro, streamed one after another with operator<<.
template <typename... Args>
std::string stream_message(const Args&... args) {
  std::string text;
  StringAppendBuffer buffer(text);
  std::ostream out(&buffer);
  (out << ... << args);
  return text;
}

// Writes "Warning: <message>" and a newline to stderr (TORCH_WARN).
void print_warning(const std::string& message);

// Throws reel::Error: "<macro>: `<condition>` failed at <file>:<line>[: <message>]".
[[noreturn]] inline void check_failed(const char* macro, const char* condition, const char* file, int line,
                                      const std::string& message) {
  std::string text = std::string(macro) + ": `" + condition + "` failed at " + file + ":" + std::to_string(line);
  if (!message.empty()) text += ": " + message;
  throw_error(std::move(text));
}

}  // namespace reel::detail

#define REEL_COMPAT_CHECK_(macro, cond, ...)                                                       \
  do {                                                                                             \
    if (!(cond)) [[unlikely]]                                                                      \
      ::reel::detail::check_failed(macro, #cond, __FILE__, __LINE__,                               \
                                   ::reel::detail::stream_message("" __VA_OPT__(, ) __VA_ARGS__)); \
  } while (false)

#ifndef TORCH_CHECK
#define TORCH_CHECK(cond, ...) REEL_COMPAT_CHECK_("TORCH_CHECK", cond __VA_OPT__(, ) __VA_ARGS__)
#endif
#ifndef TORCH_INTERNAL_ASSERT
#define TORCH_INTERNAL_ASSERT(cond, ...) REEL_COMPAT_CHECK_("TORCH_INTERNAL_ASSERT", cond __VA_OPT__(, ) __VA_ARGS__)
#endif
#ifndef AT_ASSERT
#define AT_ASSERT(cond, ...) REEL_COMPAT_CHECK_("AT_ASSERT", cond __VA_OPT__(, ) __VA_ARGS__)
#endif
#ifndef AT_ASSERTM
#define AT_ASSERTM(cond, ...) REEL_COMPAT_CHECK_("AT_ASSERTM", cond __VA_OPT__(, ) __VA_ARGS__)
#endif
#ifndef TORCH_WARN
#define TORCH_WARN(...) ::reel::detail::print_warning(::reel::detail::stream_message(__VA_ARGS__))
#endif
