// reel/cuda/random_sampling.cu — CUDA kernels of the sampling ops (bernoulli, exponential_, geometric_, cauchy_,
// log_normal_, multinomial), mirroring cpu/random_sampling.cpp: the fills and draws are the host/device functors of
// tensor/random_sampling_math.h, one thread per Philox block (per row, or per sample, for multinomial), so a seed
// gives the same values as on the CPU (Note [Random numbers] in tensor/philox.h).
#include <type_traits>

#include "cuda/kernels.h"
#include "cuda/philox_blocks.cuh"
#include "cuda/shape_layout.cuh"
#include "tensor/dispatch.h"
#include "tensor/random_sampling_math.h"

namespace reel::cuda {

namespace {

using philox::Block;

// Runs Fill<T, Wide> over the output: two draws per element for float64 (Wide), one otherwise.
template <template <typename, bool> class Fill, typename T, typename... Params>
void fill_by_dtype(Tensor& out, const PhiloxPosition& start, const char* name, Params... params) {
  T* y = static_cast<T*>(out.data_ptr());
  if constexpr (std::is_same_v<T, double>) launch_philox_fill(Fill<T, true>{y, params...}, start, out.numel(), 2, name);
  else launch_philox_fill(Fill<T, false>{y, params...}, start, out.numel(), 1, name);
}

// y_i = (u_i < p_i); attrs: BernoulliAttrs, input 0 (if any): p as float64, the output's numel.
void bernoulli_kernel(const KernelArgs& args) {
  Tensor& out = args.outputs[0];
  set_current_device(out.device());
  const BernoulliAttrs& attrs = args.attrs->get<BernoulliAttrs>();
  const double* p = args.num_inputs > 0 ? static_cast<const double*>(args.inputs[0].data_ptr()) : nullptr;
  dispatch_dtype(out.dtype(), "bernoulli", [&]<typename T>() {
    launch_philox_fill(sampling::BernoulliFill<T>{static_cast<T*>(out.data_ptr()), p, attrs.p}, attrs.philox,
                  out.numel(), 2, "bernoulli");
  });
}

// y_i = -ln(u_i) / lambd; attrs: ExponentialAttrs.
void exponential_kernel(const KernelArgs& args) {
  set_current_device(args.outputs[0].device());
  const ExponentialAttrs& attrs = args.attrs->get<ExponentialAttrs>();
  dispatch_floating(args.outputs[0].dtype(), "exponential_", [&]<typename T>() {
    fill_by_dtype<sampling::ExponentialFill, T>(args.outputs[0], attrs.philox, "exponential_", attrs.lambd);
  });
}

// y_i = max(1, ceil(ln(u_i) / ln(1 - p))); attrs: GeometricAttrs.
void geometric_kernel(const KernelArgs& args) {
  set_current_device(args.outputs[0].device());
  const GeometricAttrs& attrs = args.attrs->get<GeometricAttrs>();
  dispatch_dtype(args.outputs[0].dtype(), "geometric_", [&]<typename T>() {
    if constexpr (std::is_same_v<T, bool>) throw_unsupported_dtype("geometric_", kBool);
    else fill_by_dtype<sampling::GeometricFill, T>(args.outputs[0], attrs.philox, "geometric_", attrs.log1m_p);
  });
}

// y_i = median + sigma tan(pi (u_i - 1/2)); attrs: CauchyAttrs.
void cauchy_kernel(const KernelArgs& args) {
  set_current_device(args.outputs[0].device());
  const CauchyAttrs& attrs = args.attrs->get<CauchyAttrs>();
  dispatch_floating(args.outputs[0].dtype(), "cauchy_", [&]<typename T>() {
    fill_by_dtype<sampling::CauchyFill, T>(args.outputs[0], attrs.philox, "cauchy_", attrs.median, attrs.sigma);
  });
}

// y_i = e^(mean + std z_i); attrs: LogNormalAttrs.
void log_normal_kernel(const KernelArgs& args) {
  set_current_device(args.outputs[0].device());
  const LogNormalAttrs& attrs = args.attrs->get<LogNormalAttrs>();
  dispatch_floating(args.outputs[0].dtype(), "log_normal_", [&]<typename T>() {
    fill_by_dtype<sampling::LogNormalFill, T>(args.outputs[0], attrs.philox, "log_normal_", attrs.mean, attrs.std);
  });
}

// With replacement: one thread per (row, sample) element e.
template <typename T>
__global__ void multinomial_with_replacement_kernel(const T* w, int64_t* y, int64_t categories, int64_t samples,
                                                    int64_t total, uint64_t first_block, uint64_t key) {
  for (int64_t e = first_element(); e < total; e += element_step()) {
    const double u = sampling::element_uniform53(first_block, key, e, false);
    y[e] = sampling::multinomial_with_replacement(w + (e / samples) * categories, categories, u);
  }
}

// Without replacement: one thread per row, selecting the samples in key order (multinomial_race_row).
template <typename T>
__global__ void multinomial_race_kernel(const T* w, int64_t* y, int64_t categories, int64_t samples, int64_t rows,
                                        uint64_t first_block, uint64_t key) {
  for (int64_t r = first_element(); r < rows; r += element_step())
    sampling::multinomial_race_row(w + r * categories, categories, samples, first_block, key, r, y + r * samples);
}

// y[r, j]: the j-th category drawn from row r of the weights (input 0, row-major); attrs: MultinomialAttrs.
void multinomial_kernel(const KernelArgs& args) {
  const Tensor& weights = args.inputs[0];
  Tensor& out = args.outputs[0];
  set_current_device(out.device());
  const MultinomialAttrs& attrs = args.attrs->get<MultinomialAttrs>();
  const int64_t categories = weights.size(-1);
  const int64_t rows = weights.numel() / categories;
  const uint64_t first_block = attrs.philox.offset / philox::kDrawsPerBlock;
  int64_t* y = static_cast<int64_t*>(out.data_ptr());
  dispatch_floating(weights.dtype(), "multinomial", [&]<typename T>() {
    const T* w = static_cast<const T*>(weights.data_ptr());
    if (attrs.replacement) {
      const int64_t total = rows * attrs.num_samples;
      multinomial_with_replacement_kernel<T><<<blocks_for(total), kThreadsPerBlock, 0, current_raw_stream()>>>(
          w, y, categories, attrs.num_samples, total, first_block, attrs.philox.seed);
    } else {
      multinomial_race_kernel<T><<<blocks_for(rows), kThreadsPerBlock, 0, current_raw_stream()>>>(
          w, y, categories, attrs.num_samples, rows, first_block, attrs.philox.seed);
    }
    check_launch("multinomial");
  });
}

}  // namespace

void register_random_sampling_kernels() {
  register_kernel(OpId::bernoulli, kCUDA, &bernoulli_kernel);
  register_kernel(OpId::exponential, kCUDA, &exponential_kernel);
  register_kernel(OpId::geometric, kCUDA, &geometric_kernel);
  register_kernel(OpId::cauchy, kCUDA, &cauchy_kernel);
  register_kernel(OpId::log_normal, kCUDA, &log_normal_kernel);
  register_kernel(OpId::multinomial, kCUDA, &multinomial_kernel);
}

}  // namespace reel::cuda
