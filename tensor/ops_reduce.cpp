// reel/tensor/ops_reduce.cpp — front doors of the reductions: sum, mean, prod, amax, amin, max, min, argmax,
// argmin, var, std, logsumexp, norm, all, any (free functions and Tensor methods).
//
// Semantics follow PyTorch: an empty dims list reduces every dim, negative dims wrap, a dim listed twice is
// an error, keepdim keeps reduced dims as size 1. sum and prod of bool or integer inputs give int64; mean,
// var, std, logsumexp and norm need a floating input. Reductions with an identity (sum 0, prod 1, all true,
// any false, norm 0, var NaN) fill it in when the reduced set is empty; the others (amax, max, argmax, ...)
// refuse an empty reduced set. The kernel receives the input as it is (any strides), contiguous outputs and
// attrs.dims = the reduced dims, ascending (empty for a 0-dim input); cpu/reduce.cpp describes the loops.
// mean, std and logsumexp are composites of the kernel-backed ops.
#include <cmath>
#include <vector>

#include "tensor/autograd_hook.h"
#include "tensor/op_call.h"
#include "tensor/ops.h"

namespace reel {

namespace {

struct ReducePlan {
  DimVector dims;             // reduced dims, wrapped and ascending (empty for a 0-dim input)
  DimVector out_sizes;        // the result's shape, keepdim honoured
  int64_t reduced_numel = 1;  // input elements folded into each output element
  bool keepdim = false;
};

ReducePlan plan_reduction(const char* op, const Tensor& x, IntList dims, bool keepdim) {
  x.check_defined(op);
  const int64_t ndim = x.dim();
  const size_t slots = static_cast<size_t>(ndim > 0 ? ndim : 1);
  DimVector reduced(slots, dims.empty() ? 1 : 0);  // flags per dim (DimVector: no heap for the usual ranks)
  DimVector seen(slots, 0);
  for (int64_t d : dims) {
    const int64_t wrapped = wrap_dim(d, x.sizes(), op);
    REEL_CHECK(!seen[wrapped], "{}: dim {} appears multiple times in the list of dims {} (input shape {})", op,
               wrapped, shape_str(dims), shape_str(x.sizes()));
    seen[wrapped] = 1;
    reduced[wrapped] = 1;
  }
  ReducePlan plan;
  plan.keepdim = keepdim;
  for (int64_t d = 0; d < ndim; ++d) {
    if (reduced[d]) {
      plan.dims.push_back(d);
      plan.reduced_numel *= x.size(d);
      if (keepdim) plan.out_sizes.push_back(1);
    } else {
      plan.out_sizes.push_back(x.size(d));
    }
  }
  return plan;
}

IntList optional_dim(const std::optional<int64_t>& dim) { return dim ? IntList(*dim) : IntList(); }

void check_floating(const char* op, const Tensor& x) {
  x.check_defined(op);
  REEL_CHECK(x.is_floating_point(),
             "{}: expected a floating-point input, got {} (shape {}); convert it first, e.g. x.to(reel::kFloat32)", op,
             dtype_name(x.dtype()), shape_str(x.sizes()));
}

// For reductions without an identity: the reduced set must not be empty.
void check_nonempty(const char* op, const Tensor& x, const ReducePlan& plan, bool dim_given) {
  if (plan.reduced_numel != 0) return;
  REEL_CHECK(dim_given,
             "{}: expected reduction dim to be specified for input.numel() == 0 (input shape {}); an empty reduction "
             "has no value because the op has no identity",
             op, shape_str(x.sizes()));
  for (int64_t d : plan.dims)
    REEL_CHECK(x.size(d) != 0, "{}: expected reduction dim {} to have non-zero size (input shape {})", op, d,
               shape_str(x.sizes()));
}

bool is_reduced_precision(ScalarType t) { return t == kFloat16 || t == kBFloat16; }

// sum and prod keep floating dtypes and widen bool and the integers to int64, as PyTorch does.
ScalarType widened_dtype(ScalarType t) { return is_floating_point(t) ? t : kInt64; }

OpAttrs attrs_for(const ReducePlan& plan) {
  OpAttrs attrs;
  attrs.dims = plan.dims;
  attrs.keepdim = plan.keepdim;
  return attrs;
}

// One output of `dtype`; `empty_value` is the op's identity, used when the reduced set is empty.
// `differentiable`: record the call on the tape (not for index and bool results).
Tensor reduce_to(OpId op, const Tensor& x, const ReducePlan& plan, ScalarType dtype, OpAttrs attrs,
                 Scalar empty_value, bool differentiable) {
  attrs.dims = plan.dims;
  attrs.keepdim = plan.keepdim;
  Tensor out;
  const Record record = differentiable ? Record::yes : Record::no;
  if (plan.reduced_numel != 0) {
    run_op(op, &attrs, x, {&out, {{plan.out_sizes, dtype, x.device()}}},
           {.record = record, .skip_kernel_when_empty = true});
    return out;
  }
  // The reduced set is empty: the output holds the identity, written by the fill kernel, and the reduction is
  // recorded here under its own name (its backward sees the same empty set).
  const OpAttrs fill_attrs = family_attrs(FillAttrs{empty_value});
  run_op(OpId::fill, &fill_attrs, {}, {&out, {{plan.out_sizes, dtype, x.device()}}},
         {.record = Record::no, .skip_kernel_when_empty = true, .iterate = true});
  if (differentiable) detail::record(op, {&x}, {&out}, &attrs);
  return out;
}

// max(x, dim) / min(x, dim): values and the index of the first extreme (or of the first NaN).
std::tuple<Tensor, Tensor> reduce_with_indices(OpId op, const Tensor& x, int64_t dim, bool keepdim) {
  const char* name = op_name(op).data();
  const ReducePlan plan = plan_reduction(name, x, dim, keepdim);
  check_nonempty(name, x, plan, true);
  Tensor outputs[2];
  const OpAttrs attrs = attrs_for(plan);
  run_op(op, &attrs, x, {outputs, {{plan.out_sizes, x.dtype(), x.device()}, {plan.out_sizes, kInt64, x.device()}}},
         {.skip_kernel_when_empty = true});
  return {outputs[0], outputs[1]};
}

// argmax / argmin: index of the first extreme; over the flattened input when no dim is given.
Tensor reduce_to_index(OpId op, const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  const char* name = op_name(op).data();
  const ReducePlan plan = plan_reduction(name, x, optional_dim(dim), keepdim);
  check_nonempty(name, x, plan, dim.has_value());
  return reduce_to(op, x, plan, kInt64, {}, 0, false);
}

// amax / amin and the full max() / min().
Tensor reduce_extreme(const char* name, OpId op, const Tensor& x, IntList dims, bool keepdim) {
  const ReducePlan plan = plan_reduction(name, x, dims, keepdim);
  check_nonempty(name, x, plan, !dims.empty());
  return reduce_to(op, x, plan, x.dtype(), {}, 0, true);
}

}  // namespace

// y = sum_i x_i
Tensor sum(const Tensor& x, IntList dims, bool keepdim) {
  const ReducePlan plan = plan_reduction("sum", x, dims, keepdim);
  return reduce_to(OpId::sum, x, plan, widened_dtype(x.dtype()), {}, 0, true);
}

// y = sum_i x_i / n (16-bit inputs are summed in float32 so the sum cannot overflow)
Tensor mean(const Tensor& x, IntList dims, bool keepdim) {
  x.check_defined("mean");
  REEL_CHECK(x.is_floating_point(),
             "mean: could not infer the output dtype: the input must be floating point, got {} (shape {}); convert "
             "it first, e.g. x.to(reel::kFloat32)",
             dtype_name(x.dtype()), shape_str(x.sizes()));
  const ReducePlan plan = plan_reduction("mean", x, dims, keepdim);
  if (is_reduced_precision(x.dtype())) return mean(x.to(kFloat32), dims, keepdim).to(x.dtype());
  Tensor out = div(sum(x, dims, keepdim), static_cast<double>(plan.reduced_numel));
  detail::name_composite_node(out, dims.empty() ? "MeanBackward0" : "MeanBackward1");  // one node in PyTorch
  return out;
}

// y = prod_i x_i
Tensor prod(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  const ReducePlan plan = plan_reduction("prod", x, optional_dim(dim), keepdim);
  return reduce_to(OpId::prod, x, plan, widened_dtype(x.dtype()), {}, 1, true);
}

// y = max_i x_i, NaN if any x_i is NaN
Tensor amax(const Tensor& x, IntList dims, bool keepdim) { return reduce_extreme("amax", OpId::amax, x, dims, keepdim); }
// y = min_i x_i, NaN if any x_i is NaN
Tensor amin(const Tensor& x, IntList dims, bool keepdim) { return reduce_extreme("amin", OpId::amin, x, dims, keepdim); }
// y = max over all elements (0-dim)
Tensor max(const Tensor& x) { return reduce_extreme("max", OpId::amax, x, {}, false); }
// y = min over all elements (0-dim)
Tensor min(const Tensor& x) { return reduce_extreme("min", OpId::amin, x, {}, false); }
// (y, k) = (max_i x_i, first i reaching it) along dim
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  return reduce_with_indices(OpId::max, x, dim, keepdim);
}
// (y, k) = (min_i x_i, first i reaching it) along dim
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  return reduce_with_indices(OpId::min, x, dim, keepdim);
}
// k = first index of max_i x_i
Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return reduce_to_index(OpId::argmax, x, dim, keepdim);
}
// k = first index of min_i x_i
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return reduce_to_index(OpId::argmin, x, dim, keepdim);
}

namespace {
// y = sum_i (x_i - mean)^2 / max(n - correction, 0)
Tensor variance(const char* op, const Tensor& x, IntList dims, double correction, bool keepdim) {
  check_floating(op, x);
  const ReducePlan plan = plan_reduction(op, x, dims, keepdim);
  const OpAttrs attrs = family_attrs(VarianceAttrs{correction});
  return reduce_to(OpId::var, x, plan, x.dtype(), attrs, std::nan(""), true);
}

// An omitted correction is 1 (Bessel's), as in PyTorch.
double correction_value(const std::optional<Scalar>& correction) {
  return correction ? correction->to_double() : 1.0;
}
}  // namespace

Tensor var(const Tensor& x, bool unbiased) { return variance("var", x, {}, unbiased ? 1 : 0, false); }
Tensor var(const Tensor& x, int dim) {
  const int64_t wide = dim;
  return variance("var", x, wide, 1, false);
}
Tensor var(const Tensor& x, IntList dims, bool unbiased, bool keepdim) {
  return variance("var", x, dims, unbiased ? 1 : 0, keepdim);
}
Tensor var(const Tensor& x, IntList dims, std::optional<Scalar> correction, bool keepdim) {
  return variance("var", x, dims, correction_value(correction), keepdim);
}

// y = sqrt(var(x))
Tensor std(const Tensor& x, bool unbiased) { return sqrt(variance("std", x, {}, unbiased ? 1 : 0, false)); }
Tensor std(const Tensor& x, int dim) {
  const int64_t wide = dim;
  return sqrt(variance("std", x, wide, 1, false));
}
Tensor std(const Tensor& x, IntList dims, bool unbiased, bool keepdim) {
  return sqrt(variance("std", x, dims, unbiased ? 1 : 0, keepdim));
}
Tensor std(const Tensor& x, IntList dims, std::optional<Scalar> correction, bool keepdim) {
  return sqrt(variance("std", x, dims, correction_value(correction), keepdim));
}

// y = m + ln sum_i e^(x_i - m), m = max_i x_i (m taken as 0 where it is infinite, so rows of -inf give -inf
// and a +inf gives inf). m is a constant for autograd: the gradient is exactly softmax(x) * g.
Tensor logsumexp(const Tensor& x, IntList dims, bool keepdim) {
  check_floating("logsumexp", x);
  const ReducePlan plan = plan_reduction("logsumexp", x, dims, keepdim);
  if (is_reduced_precision(x.dtype())) return logsumexp(x.to(kFloat32), dims, keepdim).to(x.dtype());
  if (plan.reduced_numel == 0) return log(sum(exp(x), dims, keepdim));  // ln 0 = -inf
  const Tensor max_kept = amax(x.detach(), dims, /*keepdim=*/true);
  const Tensor shift = where(isfinite(max_kept), max_kept, 0.0);
  const Tensor result = log(sum(exp(x - shift), dims, keepdim));
  return result + (keepdim ? shift : shift.reshape(plan.out_sizes));
}

// y = (sum_i |x_i|^p)^(1/p); p = 0 counts nonzeros, p = inf is max |x_i|, p = -inf min |x_i|
Tensor norm(const Tensor& x, Scalar p, IntList dims, bool keepdim) {
  check_floating("norm", x);
  const ReducePlan plan = plan_reduction("norm", x, dims, keepdim);
  const double order = p.to_double();
  REEL_CHECK(plan.reduced_numel != 0 || !(order < 0 || std::isinf(order)),
             "norm: cannot compute the {} norm of an empty reduction (input shape {}): it has no identity", order,
             shape_str(x.sizes()));
  const OpAttrs attrs = family_attrs(NormAttrs{order});
  return reduce_to(OpId::norm, x, plan, x.dtype(), attrs, 0, true);
}

// y = AND_i (x_i != 0)
Tensor all(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  const ReducePlan plan = plan_reduction("all", x, optional_dim(dim), keepdim);
  return reduce_to(OpId::all, x, plan, kBool, {}, true, false);
}

// y = OR_i (x_i != 0)
Tensor any(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  const ReducePlan plan = plan_reduction("any", x, optional_dim(dim), keepdim);
  return reduce_to(OpId::any, x, plan, kBool, {}, false, false);
}

// ---- Tensor methods ---------------------------------------------------------------------------------------------
Tensor Tensor::sum() const { return reel::sum(*this); }
Tensor Tensor::sum(IntList dims, bool keepdim) const { return reel::sum(*this, dims, keepdim); }
Tensor Tensor::mean() const { return reel::mean(*this); }
Tensor Tensor::mean(IntList dims, bool keepdim) const { return reel::mean(*this, dims, keepdim); }
Tensor Tensor::prod() const { return reel::prod(*this); }
Tensor Tensor::prod(int64_t dim, bool keepdim) const { return reel::prod(*this, dim, keepdim); }
Tensor Tensor::amax(IntList dims, bool keepdim) const { return reel::amax(*this, dims, keepdim); }
Tensor Tensor::amin(IntList dims, bool keepdim) const { return reel::amin(*this, dims, keepdim); }
Tensor Tensor::max() const { return reel::max(*this); }
std::tuple<Tensor, Tensor> Tensor::max(int64_t dim, bool keepdim) const { return reel::max(*this, dim, keepdim); }
Tensor Tensor::min() const { return reel::min(*this); }
std::tuple<Tensor, Tensor> Tensor::min(int64_t dim, bool keepdim) const { return reel::min(*this, dim, keepdim); }
Tensor Tensor::argmax(std::optional<int64_t> dim, bool keepdim) const { return reel::argmax(*this, dim, keepdim); }
Tensor Tensor::argmin(std::optional<int64_t> dim, bool keepdim) const { return reel::argmin(*this, dim, keepdim); }
Tensor Tensor::var(bool unbiased) const { return reel::var(*this, unbiased); }
Tensor Tensor::var(int dim) const { return reel::var(*this, dim); }
Tensor Tensor::var(IntList dims, bool unbiased, bool keepdim) const { return reel::var(*this, dims, unbiased, keepdim); }
Tensor Tensor::var(IntList dims, std::optional<Scalar> correction, bool keepdim) const {
  return reel::var(*this, dims, correction, keepdim);
}
Tensor Tensor::std(bool unbiased) const { return reel::std(*this, unbiased); }
Tensor Tensor::std(int dim) const { return reel::std(*this, dim); }
Tensor Tensor::std(IntList dims, bool unbiased, bool keepdim) const { return reel::std(*this, dims, unbiased, keepdim); }
Tensor Tensor::std(IntList dims, std::optional<Scalar> correction, bool keepdim) const {
  return reel::std(*this, dims, correction, keepdim);
}
Tensor Tensor::logsumexp(IntList dims, bool keepdim) const { return reel::logsumexp(*this, dims, keepdim); }
Tensor Tensor::norm(Scalar p) const { return reel::norm(*this, p); }
Tensor Tensor::norm(Scalar p, IntList dims, bool keepdim) const { return reel::norm(*this, p, dims, keepdim); }
Tensor Tensor::all() const { return reel::all(*this); }
Tensor Tensor::all(int64_t dim, bool keepdim) const { return reel::all(*this, dim, keepdim); }
Tensor Tensor::any() const { return reel::any(*this); }
Tensor Tensor::any(int64_t dim, bool keepdim) const { return reel::any(*this, dim, keepdim); }

}  // namespace reel
