// reel/tensor/random.cpp — front doors of the random ops (rand, randn, randint, their *_like forms, uniform_,
// normal_) and the one global generator: a (seed, offset) pair for the counter-based Philox stream.
//
// Each op reserves the draws it needs by advancing the offset, under a mutex, then hands (seed, old offset) to the
// kernel as the PhiloxPosition of its distribution's attributes (UniformAttrs, NormalAttrs, RandintAttrs in
// tensor/op_attrs.h), and the kernel runs through run_op (tensor/op_call.h). See Note [Random numbers] in
// tensor/philox.h for why this makes results reproducible after manual_seed and independent of the thread count.
#include <cmath>
#include <cstdint>
#include <mutex>

#include "tensor/autograd_hook.h"
#include "tensor/op_call.h"
#include "tensor/grad_mode.h"
#include "tensor/ops.h"
#include "tensor/philox.h"
#include "tensor/random_state.h"

namespace reel {

namespace {

struct Generator {
  std::mutex mutex;
  uint64_t seed = philox::kDefaultSeed;
  uint64_t offset = 0;  // draws already handed out since the last seeding
};

Generator& default_generator() {
  static Generator generator;
  return generator;
}

// Draws per element: float64 values and wide integer ranges take 64 random bits.
int draws_per_element(ScalarType dtype) { return dtype == kFloat64 ? 2 : 1; }

// Reserves the draws of `numel` elements (none for an empty tensor) and returns where they start: the seed and the
// old offset.
PhiloxPosition reserve_draws(int64_t numel, int draws) {
  if (numel == 0) return {};
  Generator& generator = default_generator();
  std::lock_guard<std::mutex> lock(generator.mutex);
  const PhiloxPosition start{.seed = generator.seed, .offset = generator.offset};
  generator.offset += philox::draws_to_reserve(numel, draws);
  return start;
}

// The random kernels are not differentiable (their values are constants) and skip empty outputs.
constexpr OpOptions kRandomOptions{.record = Record::no, .skip_kernel_when_empty = true};

// A new dense tensor of op's distribution (UniformAttrs, NormalAttrs or RandintAttrs, its draws not yet reserved).
template <class Distribution>
Tensor random_tensor(OpId op, IntList sizes, ScalarType dtype, Device device, Distribution distribution, int draws,
                     const char* name) {
  distribution.philox = reserve_draws(checked_numel(sizes, name), draws);
  const OpAttrs attrs = family_attrs(distribution);
  Tensor out;
  run_op(op, &attrs, {}, {&out, {{sizes, dtype, device}}}, kRandomOptions);
  return out;
}

// The in-place method that fills with op's distribution, as errors name it.
const char* in_place_name(OpId op) {
  return op == OpId::uniform ? "uniform_" : op == OpId::normal ? "normal_" : "random_";
}

// Fills `t` in place: directly when it is dense, else through a dense buffer copied in (same values as a
// dense tensor of that shape would get, element by element in row-major order).
template <class Distribution>
void fill_random(OpId op, Tensor& t, Distribution distribution, int draws) {
  if (is_grad_enabled() && t.requires_grad()) {  // random values are constants: t's history is cut
    detail::in_place_recorded(in_place_name(op), t, {}, [&](const Tensor& before) {
      return random_tensor(op, before.sizes(), before.dtype(), before.device(), distribution, draws,
                           in_place_name(op));
    });
    return;
  }
  detail::begin_write(t, in_place_name(op));
  if (t.is_contiguous()) {
    distribution.philox = reserve_draws(t.numel(), draws);
    const OpAttrs attrs = family_attrs(distribution);
    run_op(op, &attrs, {}, t, kRandomOptions);
    return;
  }
  t.copy_(random_tensor(op, t.sizes(), t.dtype(), t.device(), distribution, draws, in_place_name(op)));
}

Tensor finish(Tensor t, const TensorOptions& options) {
  if (options.requires_grad()) t.requires_grad_(true);
  return t;
}

void check_floating(ScalarType dtype, const char* op) {
  REEL_CHECK(is_floating_point(dtype), "{}: dtype {} is not supported (expected a floating dtype)", op,
             dtype_name(dtype));
}

// The values randint may produce for `dtype`: integers exactly representable in it.
void check_randint_range(int64_t low, int64_t high, ScalarType dtype, const char* op) {
  REEL_CHECK(low < high, "{}: expects low < high, got low = {} and high = {}", op, low, high);
  int64_t min_value = INT64_MIN, max_value = INT64_MAX;
  switch (dtype) {
    case kBool: min_value = 0; max_value = 1; break;
    case kUInt8: min_value = 0; max_value = 255; break;
    case kInt8: min_value = INT8_MIN; max_value = INT8_MAX; break;
    case kInt16: min_value = INT16_MIN; max_value = INT16_MAX; break;
    case kInt32: min_value = INT32_MIN; max_value = INT32_MAX; break;
    case kInt64: break;
    case kFloat16: min_value = -(int64_t{1} << 11); max_value = int64_t{1} << 11; break;
    case kBFloat16: min_value = -(int64_t{1} << 8); max_value = int64_t{1} << 8; break;
    case kFloat32: min_value = -(int64_t{1} << 24); max_value = int64_t{1} << 24; break;
    case kFloat64: min_value = -(int64_t{1} << 53); max_value = int64_t{1} << 53; break;
  }
  REEL_CHECK(low >= min_value && high - 1 <= max_value,
             "{}: range [{}, {}) does not fit dtype {} (values must lie in [{}, {}])", op, low, high,
             dtype_name(dtype), min_value, max_value);
}

Tensor randint_impl(int64_t low, int64_t high, IntList sizes, ScalarType dtype, const TensorOptions& options,
                    const char* op) {
  check_randint_range(low, high, dtype, op);
  RandintAttrs distribution{.low = low, .high = high, .wide_draws = false, .philox = {}};
  distribution.wide_draws = static_cast<uint64_t>(high) - static_cast<uint64_t>(low) > (uint64_t{1} << 32);
  return finish(random_tensor(OpId::randint, sizes, dtype, options.device(), distribution,
                              distribution.wide_draws ? 2 : 1, op),
                options);
}

}  // namespace

PhiloxPosition detail::reserve_random_draws(int64_t numel, int draws_per_element) {
  return reserve_draws(numel, draws_per_element);
}

void detail::check_random_range(int64_t low, int64_t high, ScalarType dtype, const char* op) {
  check_randint_range(low, high, dtype, op);
}

int64_t detail::random_range_max(ScalarType dtype) {
  switch (dtype) {
    case kBool: return 1;
    case kUInt8: return 255;
    case kInt8: return INT8_MAX;
    case kInt16: return INT16_MAX;
    case kInt32: return INT32_MAX;
    case kInt64: return INT64_MAX;
    case kFloat16: return int64_t{1} << 11;
    case kBFloat16: return int64_t{1} << 8;
    case kFloat32: return int64_t{1} << 24;
    case kFloat64: return int64_t{1} << 53;
  }
  return 0;
}

// Restarts the default generator's stream: seed = `seed`, offset = 0.
void manual_seed(uint64_t seed) {
  Generator& generator = default_generator();
  std::lock_guard<std::mutex> lock(generator.mutex);
  generator.seed = seed;
  generator.offset = 0;
}

// y_i ~ U[0, 1)
Tensor rand(IntList sizes, TensorOptions options) {
  check_floating(options.dtype(), "rand");
  const ScalarType dtype = options.dtype();
  return finish(random_tensor(OpId::uniform, sizes, dtype, options.device(), UniformAttrs{.low = 0.0, .high = 1.0, .philox = {}},
                              draws_per_element(dtype), "rand"),
                options);
}

// y_i ~ N(0, 1)
Tensor randn(IntList sizes, TensorOptions options) {
  check_floating(options.dtype(), "randn");
  const ScalarType dtype = options.dtype();
  return finish(random_tensor(OpId::normal, sizes, dtype, options.device(), NormalAttrs{.mean = 0.0, .std = 1.0, .philox = {}},
                              draws_per_element(dtype), "randn"),
                options);
}

// y_i ~ U{0, ..., high - 1} (int64 unless options give a dtype)
Tensor randint(int64_t high, IntList sizes, TensorOptions options) {
  return randint_impl(0, high, sizes, options.has_dtype() ? options.dtype() : kInt64, options, "randint");
}

// y_i ~ U{low, ..., high - 1}
Tensor randint(int64_t low, int64_t high, IntList sizes, TensorOptions options) {
  return randint_impl(low, high, sizes, options.has_dtype() ? options.dtype() : kInt64, options, "randint");
}

// rand with t's shape (and dtype/device unless options say otherwise)
Tensor rand_like(const Tensor& t, std::optional<TensorOptions> options) {
  t.check_defined("rand_like");
  return rand(t.sizes(), detail::like_options(t, options));
}

// randn with t's shape
Tensor randn_like(const Tensor& t, std::optional<TensorOptions> options) {
  t.check_defined("randn_like");
  return randn(t.sizes(), detail::like_options(t, options));
}

// randint(low, high) with t's shape
Tensor randint_like(const Tensor& t, int64_t low, int64_t high, std::optional<TensorOptions> options) {
  t.check_defined("randint_like");
  const TensorOptions merged = detail::like_options(t, options);
  return randint_impl(low, high, t.sizes(), merged.dtype(), merged, "randint_like");
}

// t_i ~ U[low, high), in place
Tensor& uniform_(Tensor& t, double low, double high) {
  t.check_defined("uniform_");
  check_floating(t.dtype(), "uniform_");
  REEL_CHECK(std::isfinite(low) && std::isfinite(high) && low <= high,
             "uniform_: expects finite low <= high, got low = {} and high = {}", low, high);
  fill_random(OpId::uniform, t, UniformAttrs{.low = low, .high = high, .philox = {}}, draws_per_element(t.dtype()));
  return t;
}

// t_i ~ N(mean, std^2), in place
Tensor& normal_(Tensor& t, double mean, double std) {
  t.check_defined("normal_");
  check_floating(t.dtype(), "normal_");
  REEL_CHECK(std::isfinite(mean) && std::isfinite(std) && std >= 0.0,
             "normal_: expects a finite mean and a finite std >= 0, got mean = {} and std = {}", mean, std);
  fill_random(OpId::normal, t, NormalAttrs{.mean = mean, .std = std, .philox = {}}, draws_per_element(t.dtype()));
  return t;
}

}  // namespace reel
