// reel/tensor/random_state.h — the default generator's services shared by the random front doors
// (tensor/random.cpp, tensor/random_sampling.cpp); internal, not part of the public API.
#pragma once

#include <cstdint>

#include "op_attrs.h"

namespace reel::detail {

// Reserves the draws of `numel` elements taking `draws_per_element` draws each (a whole number of Philox blocks;
// none for an empty tensor) and returns where they start: the generator's seed and its old offset.
PhiloxPosition reserve_random_draws(int64_t numel, int draws_per_element);

// Refuses a range [low, high) that is empty or holds values `dtype` cannot represent exactly, naming `op`.
void check_random_range(int64_t low, int64_t high, ScalarType dtype, const char* op);

// The largest integer `dtype` holds exactly with every integer below it (2^digits for the floats).
int64_t random_range_max(ScalarType dtype);

}  // namespace reel::detail
