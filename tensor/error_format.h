// reel/tensor/error_format.h — internal: the REEL_CHECK macro, which formats reel::Error messages with {fmt}.
//
// For the library's .cpp files (and tests built against the source tree); not installed, and not reached from
// reel.h, whose headers throw through out-of-line functions instead so that users do not compile {fmt}.
#pragma once

#include <fmt/format.h>

#include "error.h"

// REEL_CHECK(cond, "op: shapes {} and {} differ", a, b): throws reel::Error with the formatted message.
#define REEL_CHECK(cond, ...)                                   \
  do {                                                          \
    if (!(cond)) [[unlikely]] {                                 \
      ::reel::throw_error(::fmt::format(__VA_ARGS__));          \
    }                                                           \
  } while (0)
