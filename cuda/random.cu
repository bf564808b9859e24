// reel/cuda/random.cu — CUDA kernels of the random family: uniform (rand, uniform_), normal (randn, normal_)
// and randint, mirroring cpu/random.cpp. Each fills a dense output from the Philox stream at the (seed,
// offset) the front door reserved (tensor/random.cpp), one thread per Philox block; element i depends only on
// (seed, offset, i), exactly as on the CPU (Note [Random numbers] in tensor/philox.h).
//
// Same numbers as the CPU, bit for bit: the draws, their maps to uniforms / integers and Box-Muller are the
// shared host/device code of tensor/philox.h (whose log, sin and cos are built from IEEE operations alone,
// Note [Portable Box-Muller]), and every multiply-add the CPU rounds twice is written here with the explicit
// round-to-nearest intrinsics (__fmul_rn, __fadd_rn, ...) so that nvcc cannot fuse it into one FMA.
#include <algorithm>
#include <type_traits>

#include "cuda/kernels.h"
#include "cuda/philox_blocks.cuh"
#include "cuda/shape_layout.cuh"
#include "tensor/dispatch.h"
#include "tensor/philox.h"

namespace reel::cuda {

namespace {

using philox::Block;

// ---- per-block fills -----------------------------------------------------------------------------------------------
// Each fill writes the `count` (<= per_block) elements starting at `first` from the four draws of one block.

// y_i = low + span * u_i, u on T's grid from one draw (float32, float16, bfloat16).
template <typename T>
struct UniformFill {
  T* y;
  float low, span;
  __device__ void operator()(const Block& d, int64_t first, int64_t count) const {
    constexpr int kDigits = philox::UniformDigits<T>::value;
    for (int64_t k = 0; k < count; ++k)
      y[first + k] = static_cast<T>(__fadd_rn(low, __fmul_rn(span, philox::uniform_from_draw<kDigits>(d.x[k]))));
  }
};

// y_i = low + span * u_i, u on the 2^-53 grid from two draws (float64).
struct Uniform53Fill {
  double* y;
  double low, span;
  __device__ void operator()(const Block& d, int64_t first, int64_t count) const {
    for (int64_t k = 0; k < count; ++k)
      y[first + k] = __dadd_rn(low, __dmul_rn(span, philox::uniform53_from_draws(d.x[2 * k], d.x[2 * k + 1])));
  }
};

// y_i = mean + std * z_i with z from Box-Muller on the pairs (4b, 4b+1), (4b+2, 4b+3) of one block's draws
// (float32, float16, bfloat16: one draw per value).
template <typename T>
struct NormalFill {
  T* y;
  float mean, stddev;
  __device__ void operator()(const Block& d, int64_t first, int64_t count) const {
    for (int64_t pair = 0; 2 * pair < count; ++pair) {
      float z0, z1;
      philox::box_muller(philox::open_zero_uniform24(d.x[2 * pair]), philox::uniform_from_draw<24>(d.x[2 * pair + 1]),
                       z0, z1);
      y[first + 2 * pair] = static_cast<T>(__fadd_rn(mean, __fmul_rn(stddev, z0)));
      if (2 * pair + 1 < count) y[first + 2 * pair + 1] = static_cast<T>(__fadd_rn(mean, __fmul_rn(stddev, z1)));
    }
  }
};

// y_i = mean + std * z_i, float64: one block gives the uniforms of the pair (2b, 2b+1).
struct Normal53Fill {
  double* y;
  double mean, stddev;
  __device__ void operator()(const Block& d, int64_t first, int64_t count) const {
    double z0, z1;
    philox::box_muller(philox::open_zero_uniform53(d.x[0], d.x[1]), philox::uniform53_from_draws(d.x[2], d.x[3]), z0,
                       z1);
    y[first] = __dadd_rn(mean, __dmul_rn(stddev, z0));
    if (count > 1) y[first + 1] = __dadd_rn(mean, __dmul_rn(stddev, z1));
  }
};

// y_i = low + (r_i mod range), r from one draw (range <= 2^32) or two (Wide).
template <typename T, bool Wide>
struct RandintFill {
  T* y;
  int64_t low;
  uint64_t range;
  __device__ T store(uint64_t below) const {
    const auto value = static_cast<int64_t>(static_cast<uint64_t>(low) + below);
    return static_cast<T>(static_cast<compute_t<T>>(value));
  }
  __device__ void operator()(const Block& d, int64_t first, int64_t count) const {
    for (int64_t k = 0; k < count; ++k) {
      if constexpr (Wide) y[first + k] = store(philox::below_from_draws(d.x[2 * k], d.x[2 * k + 1], range));
      else y[first + k] = store(philox::below_from_draw(d.x[k], range));
    }
  }
};

// ---- kernels -------------------------------------------------------------------------------------------------------

// y_i = low + (high - low) * u_i, u_i ~ U[0, 1); attrs: UniformAttrs.
void uniform_kernel(const KernelArgs& args) {
  Tensor& out = args.outputs[0];
  if (out.numel() == 0) return;
  set_current_device(out.device());
  const UniformAttrs& attrs = args.attrs->get<UniformAttrs>();
  dispatch_floating(out.dtype(), "uniform_", [&]<typename T>() {
    T* y = static_cast<T*>(out.data_ptr());
    if constexpr (std::is_same_v<T, double>) {
      const double low = attrs.low;
      launch_philox_fill(Uniform53Fill{y, low, attrs.high - low}, attrs.philox, out.numel(), 2, "uniform (float64)");
    } else {
      const float low = static_cast<float>(attrs.low);
      const float span = static_cast<float>(attrs.high - attrs.low);
      launch_philox_fill(UniformFill<T>{y, low, span}, attrs.philox, out.numel(), 1, "uniform");
    }
  });
}

// y_i = mean + std * z_i, z ~ N(0, 1) by Box-Muller on pairs; attrs: NormalAttrs.
void normal_kernel(const KernelArgs& args) {
  Tensor& out = args.outputs[0];
  if (out.numel() == 0) return;
  set_current_device(out.device());
  const NormalAttrs& attrs = args.attrs->get<NormalAttrs>();
  dispatch_floating(out.dtype(), "normal_", [&]<typename T>() {
    T* y = static_cast<T*>(out.data_ptr());
    if constexpr (std::is_same_v<T, double>) {
      launch_philox_fill(Normal53Fill{y, attrs.mean, attrs.std}, attrs.philox, out.numel(), 2, "normal (float64)");
    } else {
      const float mean = static_cast<float>(attrs.mean);
      const float stddev = static_cast<float>(attrs.std);
      launch_philox_fill(NormalFill<T>{y, mean, stddev}, attrs.philox, out.numel(), 1, "normal");
    }
  });
}

// y_i = low + (r_i mod (high - low)); attrs: RandintAttrs (wide_draws: 64-bit draws, range > 2^32).
void randint_kernel(const KernelArgs& args) {
  Tensor& out = args.outputs[0];
  if (out.numel() == 0) return;
  set_current_device(out.device());
  const RandintAttrs& attrs = args.attrs->get<RandintAttrs>();
  const int64_t low = attrs.low;
  const uint64_t range = static_cast<uint64_t>(attrs.high) - static_cast<uint64_t>(low);
  dispatch_dtype(out.dtype(), "randint", [&]<typename T>() {
    T* y = static_cast<T*>(out.data_ptr());
    if (attrs.wide_draws)
      launch_philox_fill(RandintFill<T, true>{y, low, range}, attrs.philox, out.numel(), 2, "randint (wide)");
    else
      launch_philox_fill(RandintFill<T, false>{y, low, range}, attrs.philox, out.numel(), 1, "randint");
  });
}

}  // namespace

void register_random_kernels() {
  register_kernel(OpId::uniform, kCUDA, &uniform_kernel);
  register_kernel(OpId::normal, kCUDA, &normal_kernel);
  register_kernel(OpId::randint, kCUDA, &randint_kernel);
}

}  // namespace reel::cuda
