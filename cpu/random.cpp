// reel/cpu/random.cpp — CPU kernels of the random family: uniform (rand, uniform_), normal (randn, normal_)
// and randint. Each fills a dense output from the Philox stream at the (seed, offset) the front door
// reserved (tensor/random.cpp); element i depends only on (seed, offset, i), so the result is the same for
// any thread count. The scheme is Note [Random numbers] in tensor/philox.h.
#include <algorithm>
#include <type_traits>

#include "cpu/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/philox.h"

namespace reel::cpu {

namespace {

using philox::Block;

constexpr int64_t kBlockGrain = 2048;  // Philox blocks below which a fill stays on one thread

// Calls body(draws, first_element, count) for every block of the op's reservation, in parallel. Block b
// covers elements [b * per_block, b * per_block + count), per_block = 4 / draws_per_element.
template <typename Body>
void for_each_block(const PhiloxPosition& start, int64_t numel, int draws_per_element, const Body& body) {
  const int64_t per_block = philox::kDrawsPerBlock / draws_per_element;
  const int64_t blocks = (numel + per_block - 1) / per_block;
  const uint64_t first_block = start.offset / philox::kDrawsPerBlock;
  const uint64_t key = start.seed;
  parallel_for(0, blocks, kBlockGrain, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const Block draws = philox::philox4x32_10(first_block + static_cast<uint64_t>(b), key);
      const int64_t first = b * per_block;
      body(draws, first, std::min(per_block, numel - first));
    }
  });
}

// y_i = low + (high - low) * u_i, u_i ~ U[0, 1); attrs: UniformAttrs.
void uniform_kernel(const KernelArgs& args) {
  Tensor& out = args.outputs[0];
  const UniformAttrs& attrs = args.attrs->get<UniformAttrs>();
  dispatch_floating(out.dtype(), "uniform_", [&]<typename T>() {
    T* y = static_cast<T*>(out.data_ptr());
    if constexpr (std::is_same_v<T, double>) {
      const double low = attrs.low;
      const double span = attrs.high - low;
      for_each_block(attrs.philox, out.numel(), 2, [&](const Block& d, int64_t first, int64_t count) {
        for (int64_t k = 0; k < count; ++k)
          y[first + k] = low + span * philox::uniform53_from_draws(d.x[2 * k], d.x[2 * k + 1]);
      });
    } else {
      constexpr int kDigits = philox::UniformDigits<T>::value;
      const float low = static_cast<float>(attrs.low);
      const float span = static_cast<float>(attrs.high - attrs.low);
      for_each_block(attrs.philox, out.numel(), 1, [&](const Block& d, int64_t first, int64_t count) {
        for (int64_t k = 0; k < count; ++k)
          y[first + k] = static_cast<T>(low + span * philox::uniform_from_draw<kDigits>(d.x[k]));
      });
    }
  });
}

// y_i = mean + std * z_i, z ~ N(0, 1) by Box-Muller on pairs; attrs: NormalAttrs.
void normal_kernel(const KernelArgs& args) {
  Tensor& out = args.outputs[0];
  const NormalAttrs& attrs = args.attrs->get<NormalAttrs>();
  dispatch_floating(out.dtype(), "normal_", [&]<typename T>() {
    T* y = static_cast<T*>(out.data_ptr());
    if constexpr (std::is_same_v<T, double>) {
      // Two draws per value: one block gives u1, u2 for the pair (2b, 2b+1).
      const double mean = attrs.mean;
      const double stddev = attrs.std;
      for_each_block(attrs.philox, out.numel(), 2, [&](const Block& d, int64_t first, int64_t count) {
        double z0, z1;
        philox::box_muller(philox::open_zero_uniform53(d.x[0], d.x[1]), philox::uniform53_from_draws(d.x[2], d.x[3]),
                           z0, z1);
        y[first] = mean + stddev * z0;
        if (count > 1) y[first + 1] = mean + stddev * z1;
      });
    } else {
      // One draw per value: one block gives two pairs, (4b, 4b+1) and (4b+2, 4b+3).
      const float mean = static_cast<float>(attrs.mean);
      const float stddev = static_cast<float>(attrs.std);
      for_each_block(attrs.philox, out.numel(), 1, [&](const Block& d, int64_t first, int64_t count) {
        for (int64_t pair = 0; 2 * pair < count; ++pair) {
          float z0, z1;
          philox::box_muller(philox::open_zero_uniform24(d.x[2 * pair]),
                             philox::uniform_from_draw<24>(d.x[2 * pair + 1]), z0, z1);
          y[first + 2 * pair] = static_cast<T>(mean + stddev * z0);
          if (2 * pair + 1 < count) y[first + 2 * pair + 1] = static_cast<T>(mean + stddev * z1);
        }
      });
    }
  });
}

// y_i = low + (r_i mod (high - low)); attrs: RandintAttrs (wide_draws: 64-bit draws, range > 2^32).
void randint_kernel(const KernelArgs& args) {
  Tensor& out = args.outputs[0];
  const RandintAttrs& attrs = args.attrs->get<RandintAttrs>();
  const int64_t low = attrs.low;
  const uint64_t range = static_cast<uint64_t>(attrs.high) - static_cast<uint64_t>(low);
  const bool wide = attrs.wide_draws;
  dispatch_dtype(out.dtype(), "randint", [&]<typename T>() {
    T* y = static_cast<T*>(out.data_ptr());
    auto store = [](uint64_t below, int64_t base) {
      const auto value = static_cast<int64_t>(static_cast<uint64_t>(base) + below);
      return static_cast<T>(static_cast<compute_t<T>>(value));
    };
    if (wide) {
      for_each_block(attrs.philox, out.numel(), 2, [&](const Block& d, int64_t first, int64_t count) {
        for (int64_t k = 0; k < count; ++k)
          y[first + k] = store(philox::below_from_draws(d.x[2 * k], d.x[2 * k + 1], range), low);
      });
    } else {
      for_each_block(attrs.philox, out.numel(), 1, [&](const Block& d, int64_t first, int64_t count) {
        for (int64_t k = 0; k < count; ++k) y[first + k] = store(philox::below_from_draw(d.x[k], range), low);
      });
    }
  });
}

}  // namespace

void register_random_kernels() {
  register_kernel(OpId::uniform, kCPU, &uniform_kernel);
  register_kernel(OpId::normal, kCPU, &normal_kernel);
  register_kernel(OpId::randint, kCPU, &randint_kernel);
}

}  // namespace reel::cpu
