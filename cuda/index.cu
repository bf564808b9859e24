// reel/cuda/index.cu — TEMPORARY empty registration (being written in this session).
#include "cuda/kernels.h"

namespace reel::cuda {

void register_index_kernels() {}

}  // namespace reel::cuda
