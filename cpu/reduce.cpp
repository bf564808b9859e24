// reel/cpu/reduce.cpp — (being written) CPU kernels of the reduce family.
#include "cpu/kernels.h"
namespace reel::cpu {
void register_reduce_kernels() {}
}  // namespace reel::cpu
