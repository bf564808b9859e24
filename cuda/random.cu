// reel/cuda/random.cu — TEMPORARY empty registration (being written in this session).
#include "cuda/kernels.h"

namespace reel::cuda {

void register_random_kernels() {}

}  // namespace reel::cuda
