// reel/tensor/print.h — printing tensors in PyTorch's style: operator<< and fmt::formatter<reel::Tensor>.
#pragma once

#include <fmt/format.h>

#include <ostream>

#include "tensor.h"

namespace reel {
std::ostream& operator<<(std::ostream& os, const Tensor& t);
std::ostream& operator<<(std::ostream& os, ScalarType t);
std::ostream& operator<<(std::ostream& os, const Device& d);
}  // namespace reel

template <>
struct fmt::formatter<reel::Tensor> : fmt::formatter<std::string_view> {
  auto format(const reel::Tensor& t, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(t.str(), ctx);
  }
};
