// reel/cpu/index.cpp — (being written) CPU kernels of the index family.
#include "cpu/kernels.h"
namespace reel::cpu {
void register_index_kernels() {}
}  // namespace reel::cpu
