// reel/tensor/format.h — fmt::formatter<reel::Tensor>: `fmt::format("{}", t)` prints as operator<< does.
//
// A public header of its own, not included by reel.h, so that only programs that use {fmt} compile it:
// `#include <reel/tensor/format.h>`.
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "tensor.h"

template <>
struct fmt::formatter<reel::Tensor> : fmt::formatter<std::string_view> {
  auto format(const reel::Tensor& t, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(t.str(), ctx);
  }
};
