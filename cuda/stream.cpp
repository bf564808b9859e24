// reel/cuda/stream.cpp — the current stream of each thread.
// TEMPORARY seam (being replaced in this session): the legacy default stream.
#include "cuda/kernels.h"

namespace reel::cuda {

cudaStream_t current_raw_stream() { return nullptr; }

}  // namespace reel::cuda
