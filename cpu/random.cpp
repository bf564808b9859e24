// reel/cpu/random.cpp — (being written) CPU kernels of the random family.
#include "cpu/kernels.h"
namespace reel::cpu {
void register_random_kernels() {}
}  // namespace reel::cpu
