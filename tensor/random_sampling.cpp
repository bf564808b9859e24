// reel/tensor/random_sampling.cpp — front doors of the sampling ops as LibTorch spells them: multinomial,
// randperm, bernoulli (out of place and bernoulli_), the in-place distributions exponential_, geometric_, cauchy_,
// log_normal_, random_ (integers through the randint kernel), and the Tensor methods uniform_ / normal_.
//
// Each op reserves its draws from the default generator (tensor/random_state.h) and hands the PhiloxPosition to its
// kernel (cpu/random_sampling.cpp, cuda/random_sampling.cu) in the op's typed attributes, so manual_seed(s) repeats
// every value, on either device (Note [Random numbers], tensor/philox.h). In-place fills follow PyTorch's in-place
// protocol: a leaf that requires grad refuses them unless grad mode is off; otherwise the random values cut the
// tensor's history.
#include <cmath>
#include <cstdint>

#include "tensor/autograd_hook.h"
#include "tensor/grad_mode.h"
#include "tensor/op_call.h"
#include "tensor/ops.h"
#include "tensor/philox.h"
#include "tensor/random_state.h"
#include "tensor/shape.h"

namespace reel {

namespace {

// The random kernels are not differentiable (their values are constants) and skip empty outputs.
constexpr OpOptions kSamplingOptions{.record = Record::no, .skip_kernel_when_empty = true};

// Draws per element of the floating fills: float64 values take 64 random bits.
int float_draws(ScalarType dtype) { return dtype == kFloat64 ? 2 : 1; }

// A new dense tensor of `sizes` filled by op with `distribution` (its draws reserved here); `p` is bernoulli's
// probability tensor (float64, numel of sizes) or undefined.
template <class Distribution>
Tensor sample_dense(OpId op, IntList sizes, ScalarType dtype, Device device, Distribution distribution, int draws,
                    const char* name, const Tensor& p = Tensor()) {
  distribution.philox = detail::reserve_random_draws(checked_numel(sizes, name), draws);
  const OpAttrs attrs = family_attrs(distribution);
  Tensor out;
  if (p.defined()) run_op(op, &attrs, p, {&out, {{sizes, dtype, device}}}, kSamplingOptions);
  else run_op(op, &attrs, {}, {&out, {{sizes, dtype, device}}}, kSamplingOptions);
  return out;
}

// Fills `t` in place with op's distribution: directly when t is dense, else through a dense buffer copied in
// (the values a dense tensor of t's shape gets, in row-major order). With grad mode on and t requiring grad, the
// in-place protocol applies (a leaf refuses; otherwise t's history is cut). `p`: bernoulli_'s probability tensor,
// float64 with t's numel, or undefined.
template <class Distribution>
Tensor& fill_in_place(OpId op, const char* name, Tensor& t, Distribution distribution, int draws,
                      const Tensor& p = Tensor()) {
  if (is_grad_enabled() && t.requires_grad()) {
    return detail::in_place_recorded(name, t, {}, [&](const Tensor& before) {
      return sample_dense(op, before.sizes(), before.dtype(), before.device(), distribution, draws, name, p);
    });
  }
  detail::begin_write(t, name);
  if (t.is_contiguous()) {
    distribution.philox = detail::reserve_random_draws(t.numel(), draws);
    const OpAttrs attrs = family_attrs(distribution);
    if (p.defined()) run_op(op, &attrs, p, t, kSamplingOptions);
    else run_op(op, &attrs, {}, t, kSamplingOptions);
    return t;
  }
  t.copy_(sample_dense(op, t.sizes(), t.dtype(), t.device(), distribution, draws, name, p));
  return t;
}

void check_floating(const Tensor& t, const char* op) {
  REEL_CHECK(is_floating_point(t.dtype()), "{}: dtype {} is not supported (expected a floating dtype)", op,
             dtype_name(t.dtype()));
}

// bernoulli's probabilities as float64 with `sizes` (broadcast), contiguous, on t's device; every p in [0, 1].
Tensor probabilities(const Tensor& p, IntList sizes, Device device, const char* op) {
  p.check_defined(op);
  REEL_CHECK(is_floating_point(p.dtype()), "{}: the probability tensor must have a floating dtype, got {}", op,
             dtype_name(p.dtype()));
  REEL_CHECK(p.device() == device, "{}: the probability tensor is on {} but the output is on {}", op,
             p.device().str(), device.str());
  const NoGradGuard no_grad;
  Tensor p64 = p.to(kFloat64).expand(sizes).contiguous();
  if (p64.numel() > 0) {
    const Tensor outside_mask = logical_or(lt(p64, 0.0), logical_or(gt(p64, 1.0), logical_not(isfinite(p64))));
    const bool outside = any(outside_mask).item<bool>();
    REEL_CHECK(!outside, "{}: every probability must lie in [0, 1], got values outside it in p of shape {}", op,
               shape_str(p.sizes()));
  }
  return p64;
}

void check_probability(double p, const char* op) {
  REEL_CHECK(p >= 0.0 && p <= 1.0, "{} expects p to be in [0, 1], but got p={}", op, p);
}

}  // namespace

// ---- bernoulli ----------------------------------------------------------------------------------------------------

// y_i ~ Bernoulli(self_i), of self's dtype
Tensor bernoulli(const Tensor& self) {
  self.check_defined("bernoulli");
  check_floating(self, "bernoulli");
  const Tensor p = probabilities(self, self.sizes(), self.device(), "bernoulli");
  return sample_dense(OpId::bernoulli, self.sizes(), self.dtype(), self.device(), BernoulliAttrs{}, 2, "bernoulli",
                      p);
}

// y_i ~ Bernoulli(p), shaped like self
Tensor bernoulli(const Tensor& self, double p) {
  self.check_defined("bernoulli");
  check_probability(p, "bernoulli");
  return sample_dense(OpId::bernoulli, self.sizes(), self.dtype(), self.device(),
                      BernoulliAttrs{.p = p, .philox = {}}, 2, "bernoulli");
}

Tensor Tensor::bernoulli() const { return reel::bernoulli(*this); }

// self_i ~ Bernoulli(p), in place
Tensor& Tensor::bernoulli_(double p) {
  check_defined("bernoulli_");
  check_probability(p, "bernoulli_");
  return fill_in_place(OpId::bernoulli, "bernoulli_", *this, BernoulliAttrs{.p = p, .philox = {}}, 2);
}

// self_i ~ Bernoulli(p_i), p broadcast to self's shape, in place
Tensor& Tensor::bernoulli_(const Tensor& p) {
  check_defined("bernoulli_");
  const Tensor p64 = probabilities(p, sizes(), device(), "bernoulli_");
  return fill_in_place(OpId::bernoulli, "bernoulli_", *this, BernoulliAttrs{}, 2, p64);
}

// ---- the in-place distributions -----------------------------------------------------------------------------------

Tensor& Tensor::uniform_(double from, double to) { return reel::uniform_(*this, from, to); }
Tensor& Tensor::normal_(double mean, double std) { return reel::normal_(*this, mean, std); }

// self_i = -ln(u_i) / lambd ~ Exp(lambd)
Tensor& Tensor::exponential_(double lambd) {
  check_defined("exponential_");
  check_floating(*this, "exponential_");
  REEL_CHECK(lambd > 0.0 && std::isfinite(lambd), "exponential_ expects lambda > 0.0, but found lambda={}", lambd);
  return fill_in_place(OpId::exponential, "exponential_", *this, ExponentialAttrs{.lambd = lambd, .philox = {}},
                       float_draws(dtype()));
}

// self_i ~ Geom(p): trials up to and including the first success, in {1, 2, ...}
Tensor& Tensor::geometric_(double p) {
  check_defined("geometric_");
  REEL_CHECK(dtype() != kBool, "geometric_: dtype bool is not supported");
  REEL_CHECK(p > 0.0 && p < 1.0, "geometric_ expects p to be in (0, 1), got p = {}", p);
  const GeometricAttrs distribution{.p = p, .log1m_p = std::log1p(-p), .philox = {}};
  return fill_in_place(OpId::geometric, "geometric_", *this, distribution, float_draws(dtype()));
}

// self_i = median + sigma tan(pi (u_i - 1/2)) ~ Cauchy(median, sigma)
Tensor& Tensor::cauchy_(double median, double sigma) {
  check_defined("cauchy_");
  check_floating(*this, "cauchy_");
  REEL_CHECK(sigma > 0.0 && std::isfinite(sigma) && std::isfinite(median),
             "cauchy_ expects a finite median and sigma > 0.0, but found median={} and sigma={}", median, sigma);
  return fill_in_place(OpId::cauchy, "cauchy_", *this, CauchyAttrs{.median = median, .sigma = sigma, .philox = {}},
                       float_draws(dtype()));
}

// self_i = e^(mean + std z_i), z_i ~ N(0, 1)
Tensor& Tensor::log_normal_(double mean, double std) {
  check_defined("log_normal_");
  check_floating(*this, "log_normal_");
  REEL_CHECK(std > 0.0 && std::isfinite(std) && std::isfinite(mean),
             "log_normal_ expects a finite mean and std > 0.0, but found mean={} and std={}", mean, std);
  return fill_in_place(OpId::log_normal, "log_normal_", *this, LogNormalAttrs{.mean = mean, .std = std, .philox = {}},
                       float_draws(dtype()));
}

// self_i ~ U{from, ..., to - 1} through the randint kernel; `to` past INT64_MAX (random_() of int64: 2^63) wraps
// to INT64_MIN, which the kernel's unsigned range (to - from mod 2^64) reads correctly.
namespace {
Tensor& random_fill(Tensor& t, int64_t from, int64_t to, bool wide) {
  const RandintAttrs distribution{.low = from, .high = to, .wide_draws = wide, .philox = {}};
  return fill_in_place(OpId::randint, "random_", t, distribution, wide ? 2 : 1);
}
bool wide_range(int64_t from, int64_t to) {
  return static_cast<uint64_t>(to) - static_cast<uint64_t>(from) > (uint64_t{1} << 32);
}
}  // namespace

// self_i ~ U{0, ..., 2^digits} for floats (every integer the dtype holds exactly), U{0, ..., max} for integers
Tensor& Tensor::random_() {
  check_defined("random_");
  const int64_t top = detail::random_range_max(dtype());
  if (top == INT64_MAX) return random_fill(*this, 0, INT64_MIN, true);  // [0, 2^63)
  return random_fill(*this, 0, top + 1, wide_range(0, top + 1));
}

// self_i ~ U{0, ..., to - 1}
Tensor& Tensor::random_(int64_t to) { return random_(0, to); }

// self_i ~ U{from, ..., to - 1}; to absent: U{from, ..., max of the dtype}
Tensor& Tensor::random_(int64_t from, std::optional<int64_t> to) {
  check_defined("random_");
  if (to) {
    REEL_CHECK(from < *to, "random_ expects 'from' to be less than 'to', but got from={} >= to={}", from, *to);
    detail::check_random_range(from, *to, dtype(), "random_");
    return random_fill(*this, from, *to, wide_range(from, *to));
  }
  const int64_t top = detail::random_range_max(dtype());
  REEL_CHECK(from <= top, "random_ expects 'from' to be at most the largest value of dtype {} ({}), but got from={}",
             dtype_name(dtype()), top, from);
  if (top == INT64_MAX) {
    detail::check_random_range(from, top, dtype(), "random_");
    return random_fill(*this, from, INT64_MIN, true);  // [from, 2^63): the unsigned span 2^63 - from
  }
  detail::check_random_range(from, top + 1, dtype(), "random_");
  return random_fill(*this, from, top + 1, wide_range(from, top + 1));
}

// ---- multinomial and randperm -------------------------------------------------------------------------------------

// y[r, j] = the j-th category drawn from row r of the weights: P(c) = w[r, c] / sum_c' w[r, c'] (renormalised over
// the categories left when drawing without replacement)
Tensor multinomial(const Tensor& self, int64_t num_samples, bool replacement) {
  self.check_defined("multinomial");
  REEL_CHECK(self.dim() == 1 || self.dim() == 2, "multinomial: prob_dist must be 1 or 2 dim, got shape {}",
             shape_str(self.sizes()));
  REEL_CHECK(is_floating_point(self.dtype()),
             "multinomial only supports floating-point dtypes for input, got: {}", dtype_name(self.dtype()));
  REEL_CHECK(num_samples > 0, "multinomial: cannot sample n_sample <= 0 samples (got num_samples = {})", num_samples);
  const int64_t categories = self.size(-1);
  REEL_CHECK(replacement || num_samples <= categories,
             "multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement "
             "(num_samples = {}, {} categories)", num_samples, categories);
  REEL_CHECK(categories <= (int64_t{1} << 24), "multinomial: number of categories cannot exceed 2^24, got {}",
             categories);
  const int64_t rows = self.dim() == 2 ? self.size(0) : 1;
  const DimVector out_sizes = self.dim() == 2 ? DimVector{rows, num_samples} : DimVector{num_samples};
  if (self.numel() > 0) {
    const NoGradGuard no_grad;
    const Tensor w = self.detach();
    const bool invalid = any(logical_or(logical_not(isfinite(w)), lt(w, 0.0))).item<bool>();
    REEL_CHECK(!invalid, "multinomial: probability tensor contains either `inf`, `nan` or element < 0 (shape {})",
               shape_str(self.sizes()));
    const bool empty_row = any(le(sum(w.to(kFloat64), {-1}), 0.0)).item<bool>();
    REEL_CHECK(!empty_row, "multinomial: invalid multinomial distribution (sum of probabilities <= 0)");
    if (!replacement) {
      const int64_t fewest = reel::min(count_nonzero(w, std::optional<int64_t>(-1))).item<int64_t>();
      REEL_CHECK(fewest >= num_samples,
                 "multinomial: invalid multinomial distribution (with replacement=False, not enough non-negative "
                 "category to sample): a row has {} positive weights for {} samples", fewest, num_samples);
    }
  } else {
    REEL_CHECK(categories > 0 || rows == 0,
               "multinomial: invalid multinomial distribution (sum of probabilities <= 0)");
  }
  MultinomialAttrs distribution{.num_samples = num_samples, .replacement = replacement, .philox = {}};
  // Two draws per sample with replacement, per category (its race key) without.
  distribution.philox = detail::reserve_random_draws(rows * (replacement ? num_samples : categories), 2);
  const OpAttrs attrs = family_attrs(distribution);
  Tensor out;
  run_op(OpId::multinomial, &attrs, self, {&out, {{out_sizes, kInt64, self.device()}}},
         {.record = Record::no, .skip_kernel_when_empty = true, .contiguous_inputs = 1});
  return out;
}

Tensor Tensor::multinomial(int64_t num_samples, bool replacement) const {
  return reel::multinomial(*this, num_samples, replacement);
}

// y = a uniformly random permutation of 0..n-1: the stable argsort of n random 64-bit keys (two keys collide with
// probability about n^2 / 2^65, and the stable sort then keeps them in index order)
Tensor randperm(int64_t n, TensorOptions options) {
  REEL_CHECK(n >= 0, "randperm: n must be non-negative, got {}", n);
  const ScalarType dtype = options.has_dtype() ? options.dtype() : kInt64;
  REEL_CHECK(dtype != kBool || n <= 2, "randperm: n is too large for result tensor type: 'bool' (n = {})", n);
  if (dtype != kBool && n > 0)
    REEL_CHECK(n - 1 <= detail::random_range_max(dtype),
               "randperm: n is too large for result tensor type: '{}' (n = {})", dtype_name(dtype), n);
  const Device device = options.device();
  RandintAttrs keys_distribution{.low = INT64_MIN, .high = INT64_MAX, .wide_draws = true, .philox = {}};
  keys_distribution.philox = detail::reserve_random_draws(n, 2);
  const OpAttrs attrs = family_attrs(keys_distribution);
  Tensor keys;
  run_op(OpId::randint, &attrs, {}, {&keys, {{{n}, kInt64, device}}}, kSamplingOptions);
  Tensor perm = argsort(keys, /*stable=*/true);
  if (dtype != kInt64) perm = perm.to(dtype);
  if (options.requires_grad()) perm.requires_grad_(true);
  return perm;
}

}  // namespace reel
