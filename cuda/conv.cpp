// reel/cuda/conv.cpp — TEMPORARY empty registration (being written in this session).
#include "cuda/kernels.h"

namespace reel::cuda {

void register_conv_kernels() {}

}  // namespace reel::cuda
