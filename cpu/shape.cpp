// reel/cpu/shape.cpp — (being written) CPU kernels of the shape family.
#include "cpu/kernels.h"
namespace reel::cpu {
void register_shape_kernels() {}
}  // namespace reel::cpu
