// reel/cpu/softmax.cpp — (being written) CPU kernels of the softmax family.
#include "cpu/kernels.h"
namespace reel::cpu {
void register_softmax_kernels() {}
}  // namespace reel::cpu
