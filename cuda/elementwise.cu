// reel/cuda/elementwise.cu — TEMPORARY empty registration (being written in this session).
#include "cuda/kernels.h"

namespace reel::cuda {

void register_elementwise_kernels() {}

}  // namespace reel::cuda
