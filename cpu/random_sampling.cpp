// reel/cpu/random_sampling.cpp — CPU kernels of the sampling ops: bernoulli, exponential_, geometric_, cauchy_,
// log_normal_ and multinomial. The per-block fills and the multinomial draws are the host/device functors of
// tensor/random_sampling_math.h, which cuda/random_sampling.cu runs too; element i depends only on the op's
// (seed, offset) and i (Note [Random numbers] in tensor/philox.h), never on the thread count.
#include <algorithm>
#include <type_traits>
#include <utility>
#include <vector>

#include "cpu/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/random_sampling_math.h"

namespace reel::cpu {

namespace {

using philox::Block;

constexpr int64_t kBlockGrain = 2048;  // Philox blocks below which a fill stays on one thread

// Calls fill(draws, first_element, count) for every block of the reservation, in parallel; block b serves the
// elements [b * per_block, ...), per_block = 4 / draws_per_element.
template <typename Fill>
void fill_blocks(const Fill& fill, const PhiloxPosition& start, int64_t numel, int draws_per_element) {
  const int64_t per_block = philox::kDrawsPerBlock / draws_per_element;
  const int64_t blocks = (numel + per_block - 1) / per_block;
  const uint64_t first_block = start.offset / philox::kDrawsPerBlock;
  parallel_for(0, blocks, kBlockGrain, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const Block draws = philox::philox4x32_10(first_block + static_cast<uint64_t>(b), start.seed);
      const int64_t first = b * per_block;
      fill(draws, first, std::min(per_block, numel - first));
    }
  });
}

// Runs Fill<T, Wide> over the output: two draws per element for float64 (Wide), one otherwise.
template <template <typename, bool> class Fill, typename T, typename... Params>
void fill_by_dtype(Tensor& out, const PhiloxPosition& start, Params... params) {
  T* y = static_cast<T*>(out.data_ptr());
  if constexpr (std::is_same_v<T, double>) fill_blocks(Fill<T, true>{y, params...}, start, out.numel(), 2);
  else fill_blocks(Fill<T, false>{y, params...}, start, out.numel(), 1);
}

// y_i = (u_i < p_i); attrs: BernoulliAttrs, input 0 (if any): p as float64, the output's numel.
void bernoulli_kernel(const KernelArgs& args) {
  Tensor& out = args.outputs[0];
  const BernoulliAttrs& attrs = args.attrs->get<BernoulliAttrs>();
  const double* p = args.num_inputs > 0 ? static_cast<const double*>(args.inputs[0].data_ptr()) : nullptr;
  dispatch_dtype(out.dtype(), "bernoulli", [&]<typename T>() {
    fill_blocks(sampling::BernoulliFill<T>{static_cast<T*>(out.data_ptr()), p, attrs.p}, attrs.philox, out.numel(),
                2);
  });
}

// y_i = -ln(u_i) / lambd; attrs: ExponentialAttrs.
void exponential_kernel(const KernelArgs& args) {
  const ExponentialAttrs& attrs = args.attrs->get<ExponentialAttrs>();
  dispatch_floating(args.outputs[0].dtype(), "exponential_", [&]<typename T>() {
    fill_by_dtype<sampling::ExponentialFill, T>(args.outputs[0], attrs.philox, attrs.lambd);
  });
}

// y_i = max(1, ceil(ln(u_i) / ln(1 - p))); attrs: GeometricAttrs.
void geometric_kernel(const KernelArgs& args) {
  const GeometricAttrs& attrs = args.attrs->get<GeometricAttrs>();
  dispatch_dtype(args.outputs[0].dtype(), "geometric_", [&]<typename T>() {
    if constexpr (std::is_same_v<T, bool>) throw_unsupported_dtype("geometric_", kBool);
    else fill_by_dtype<sampling::GeometricFill, T>(args.outputs[0], attrs.philox, attrs.log1m_p);
  });
}

// y_i = median + sigma tan(pi (u_i - 1/2)); attrs: CauchyAttrs.
void cauchy_kernel(const KernelArgs& args) {
  const CauchyAttrs& attrs = args.attrs->get<CauchyAttrs>();
  dispatch_floating(args.outputs[0].dtype(), "cauchy_", [&]<typename T>() {
    fill_by_dtype<sampling::CauchyFill, T>(args.outputs[0], attrs.philox, attrs.median, attrs.sigma);
  });
}

// y_i = e^(mean + std z_i); attrs: LogNormalAttrs.
void log_normal_kernel(const KernelArgs& args) {
  const LogNormalAttrs& attrs = args.attrs->get<LogNormalAttrs>();
  dispatch_floating(args.outputs[0].dtype(), "log_normal_", [&]<typename T>() {
    fill_by_dtype<sampling::LogNormalFill, T>(args.outputs[0], attrs.philox, attrs.mean, attrs.std);
  });
}

// y[r, j]: the j-th category drawn from row r of the weights (input 0, [rows, categories], row-major); output
// int64 [rows, num_samples]. attrs: MultinomialAttrs.
void multinomial_kernel(const KernelArgs& args) {
  const Tensor& weights = args.inputs[0];
  Tensor& out = args.outputs[0];
  const MultinomialAttrs& attrs = args.attrs->get<MultinomialAttrs>();
  const int64_t categories = weights.size(-1);
  const int64_t rows = weights.numel() / categories;
  const int64_t samples = attrs.num_samples;
  const uint64_t first_block = attrs.philox.offset / philox::kDrawsPerBlock;
  const uint64_t key = attrs.philox.seed;
  int64_t* y = static_cast<int64_t*>(out.data_ptr());
  dispatch_floating(weights.dtype(), "multinomial", [&]<typename T>() {
    const T* w = static_cast<const T*>(weights.data_ptr());
    if (attrs.replacement) {
      parallel_for(0, rows * samples, 256, [&](int64_t begin, int64_t end) {
        for (int64_t e = begin; e < end; ++e) {
          const double u = sampling::element_uniform53(first_block, key, e, false);
          y[e] = sampling::multinomial_with_replacement(w + (e / samples) * categories, categories, u);
        }
      });
      return;
    }
    // The same keys as multinomial_race_row (the CUDA kernel), sorted once per row instead of selected again
    // per sample: (key, index) pairs in increasing order, so the results are identical.
    parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
      std::vector<std::pair<double, int64_t>> keys;
      for (int64_t r = begin; r < end; ++r) {
        keys.clear();
        for (int64_t c = 0; c < categories; ++c) {
          const double weight = static_cast<double>(w[r * categories + c]);
          if (weight <= 0) continue;
          keys.emplace_back(
              sampling::race_key(weight, sampling::element_uniform53(first_block, key, r * categories + c, true)), c);
        }
        std::partial_sort(keys.begin(), keys.begin() + samples, keys.end());
        for (int64_t j = 0; j < samples; ++j) y[r * samples + j] = keys[static_cast<size_t>(j)].second;
      }
    });
  });
}

}  // namespace

void register_random_sampling_kernels() {
  register_kernel(OpId::bernoulli, kCPU, &bernoulli_kernel);
  register_kernel(OpId::exponential, kCPU, &exponential_kernel);
  register_kernel(OpId::geometric, kCPU, &geometric_kernel);
  register_kernel(OpId::cauchy, kCPU, &cauchy_kernel);
  register_kernel(OpId::log_normal, kCPU, &log_normal_kernel);
  register_kernel(OpId::multinomial, kCPU, &multinomial_kernel);
}

}  // namespace reel::cpu
