// reel/cuda/pool.cu — TEMPORARY empty registration (being written in this session).
#include "cuda/kernels.h"

namespace reel::cuda {

void register_pool_kernels() {}

}  // namespace reel::cuda
