// reel/tensor/print.h — printing tensors in PyTorch's style: operator<<. (fmt::formatter<reel::Tensor> is in
// tensor/format.h, for programs that use {fmt}.)
#pragma once

#include <ostream>

#include "tensor.h"

namespace reel {
std::ostream& operator<<(std::ostream& os, const Tensor& t);
std::ostream& operator<<(std::ostream& os, ScalarType t);
std::ostream& operator<<(std::ostream& os, const Device& d);
// A tensor's sizes (or strides) as LibTorch prints an IntArrayRef: "[2, 3]".
std::ostream& operator<<(std::ostream& os, IntList sizes);
}  // namespace reel
