// reel/cuda/shape.cu — TEMPORARY empty registration (being written in this session).
#include "cuda/kernels.h"

namespace reel::cuda {

void register_shape_kernels() {}

}  // namespace reel::cuda
