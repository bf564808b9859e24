// reel/cpu/matmul.cpp — (being written) CPU kernels of the matmul family.
#include "cpu/kernels.h"
namespace reel::cpu {
void register_matmul_kernels() {}
}  // namespace reel::cpu
