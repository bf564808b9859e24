// reel/tensor/print.cpp — (being written) printing tensors in PyTorch's style.
#include "tensor/print.h"

namespace reel {
std::ostream& operator<<(std::ostream& os, ScalarType t) { return os << dtype_name(t); }
std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }
}  // namespace reel
