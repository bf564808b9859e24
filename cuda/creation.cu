// reel/cuda/creation.cu — TEMPORARY empty registration (being written in this session).
#include "cuda/kernels.h"

namespace reel::cuda {

void register_creation_kernels() {}

}  // namespace reel::cuda
