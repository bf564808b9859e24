// reel/cuda/philox_blocks.cuh — the one launcher of every Philox-driven CUDA fill (cuda/random.cu,
// cuda/random_sampling.cu): one thread per Philox block of the op's reservation, so element e always gets the same
// draws as on the CPU (Note [Random numbers] in tensor/philox.h).
#pragma once

#include <cstdint>

#include "cuda/shape_layout.cuh"
#include "tensor/op_attrs.h"
#include "tensor/philox.h"

namespace reel::cuda {

// Runs fill(draws, first, count) on every Philox block of the reservation: block b covers elements
// [b * per_block, min((b + 1) * per_block, numel)).
template <typename Fill>
__global__ void philox_blocks(Fill fill, int64_t numel, int64_t per_block, uint64_t first_block, uint64_t key) {
  const int64_t blocks = (numel + per_block - 1) / per_block;
  for (int64_t b = first_element(); b < blocks; b += element_step()) {
    const philox::Block draws = philox::philox4x32_10(first_block + static_cast<uint64_t>(b), key);
    const int64_t first = b * per_block;
    fill(draws, first, numel - first < per_block ? numel - first : per_block);
  }
}

// Launches philox_blocks for an output of `numel` elements drawing `draws_per_element` draws each, from `start`.
template <typename Fill>
void launch_philox_fill(const Fill& fill, const PhiloxPosition& start, int64_t numel, int draws_per_element,
                        const char* name) {
  const int64_t per_block = philox::kDrawsPerBlock / draws_per_element;
  const int64_t blocks = (numel + per_block - 1) / per_block;
  philox_blocks<Fill><<<blocks_for(blocks), kThreadsPerBlock, 0, current_raw_stream()>>>(
      fill, numel, per_block, start.offset / philox::kDrawsPerBlock, start.seed);
  check_launch(name);
}

}  // namespace reel::cuda
