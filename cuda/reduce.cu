// reel/cuda/reduce.cu — TEMPORARY empty registration (being written in this session).
#include "cuda/kernels.h"

namespace reel::cuda {

void register_reduce_kernels() {}

}  // namespace reel::cuda
