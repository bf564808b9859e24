// reel/tensor/creation_ranges.cpp — front doors of the creation functions that compute their values:
// arange, linspace and eye. Each checks its arguments, picks the dtype as PyTorch does and hands a dense output's
// metadata to run_op, which allocates it and runs the (op, device) kernel (cpu/creation.cpp on the CPU).
//   arange    ArangeAttrs: start, step (int64 scalars for integral dtypes, double otherwise)
//   linspace  LinspaceAttrs: start, end (double)
//   eye       no attributes: the output's shape says it all
#include <cmath>
#include <limits>

#include "tensor/op_call.h"
#include "tensor/ops.h"

namespace reel {

namespace {

Tensor finish(Tensor t, const TensorOptions& options) {
  if (options.requires_grad()) t.requires_grad_(true);
  return t;
}

// A new dense tensor of `sizes` whose values op's kernel computes (none for an empty one); not recorded.
Tensor create(OpId op, IntList sizes, ScalarType dtype, const TensorOptions& options, const OpAttrs& attrs) {
  Tensor out;
  run_op(op, &attrs, {}, {&out, {{sizes, dtype, options.device()}}},
         {.record = Record::no, .skip_kernel_when_empty = true});
  return finish(out, options);
}

// int64 when every bound is an integer (or bool), float32 otherwise, unless options give a dtype.
ScalarType arange_dtype(Scalar start, Scalar end, Scalar step, const TensorOptions& options) {
  if (options.has_dtype()) return options.dtype();
  const bool integral = !start.is_floating_point() && !end.is_floating_point() && !step.is_floating_point();
  return integral ? kInt64 : kFloat32;
}

// Number of elements of arange: ceil((end - start) / step), checked for sign and overflow.
int64_t arange_length(double span_over_step) {
  REEL_CHECK(span_over_step >= 0 && span_over_step < static_cast<double>(std::numeric_limits<int64_t>::max()),
             "arange: invalid number of elements {} (too large)", span_over_step);
  return static_cast<int64_t>(span_over_step);
}

}  // namespace

// y_i = i for i in [0, end)
Tensor arange(Scalar end, TensorOptions options) { return arange(0, end, 1, options); }

// y_i = start + i * step, i in [0, ceil((end - start) / step))
Tensor arange(Scalar start, Scalar end, Scalar step, TensorOptions options) {
  const ScalarType dtype = arange_dtype(start, end, step, options);
  REEL_CHECK(dtype != kBool, "arange: dtype bool is not supported (start {}, end {}, step {})", start.to_double(),
             end.to_double(), step.to_double());
  OpAttrs attrs;
  int64_t length = 0;
  if (is_integral(dtype)) {
    // Integral outputs step in int64, as PyTorch does: the bounds are first converted to integers.
    const int64_t first = start.to_int64(), last = end.to_int64(), stride = step.to_int64();
    REEL_CHECK(stride != 0, "arange: step must be nonzero (step {} as {})", step.to_double(), dtype_name(dtype));
    REEL_CHECK((stride > 0 && last >= first) || (stride < 0 && last <= first),
               "arange: upper bound {} and lower bound {} are inconsistent with the sign of step {}", last, first,
               stride);
    if (dtype == kInt64) {
      const int64_t sign = stride > 0 ? 1 : -1;
      length = (last - first + stride - sign) / stride;
    } else {
      length = arange_length(std::ceil((end.to_double() - start.to_double()) / step.to_double()));
    }
    attrs.set(ArangeAttrs{.start = first, .step = stride});
  } else {
    const double first = start.to_double(), last = end.to_double(), stride = step.to_double();
    REEL_CHECK(std::isfinite(first) && std::isfinite(last), "arange: unsupported range {} -> {}", first, last);
    REEL_CHECK(stride != 0 && std::isfinite(stride), "arange: step must be finite and nonzero, got {}", stride);
    REEL_CHECK((stride > 0 && last >= first) || (stride < 0 && last <= first),
               "arange: upper bound {} and lower bound {} are inconsistent with the sign of step {}", last, first,
               stride);
    length = arange_length(std::ceil((last - first) / stride));
    attrs.set(ArangeAttrs{.start = first, .step = stride});
  }
  return create(OpId::arange, {length}, dtype, options, attrs);
}

// y_i = start + i * (end - start) / (steps - 1); the second half counts back from end, for symmetry.
Tensor linspace(Scalar start, Scalar end, int64_t steps, TensorOptions options) {
  REEL_CHECK(steps >= 0, "linspace: number of steps must be non-negative, got {}", steps);
  const ScalarType dtype = options.dtype();
  REEL_CHECK(dtype != kBool, "linspace: dtype bool is not supported");
  REEL_CHECK(std::isfinite(start.to_double()) && std::isfinite(end.to_double()),
             "linspace: start {} and end {} must be finite", start.to_double(), end.to_double());
  const OpAttrs attrs = family_attrs(LinspaceAttrs{.start = start.to_double(), .end = end.to_double()});
  return create(OpId::linspace, {steps}, dtype, options, attrs);
}

// y[i, j] = (i == j), n x n
Tensor eye(int64_t n, TensorOptions options) { return eye(n, n, options); }

// y[i, j] = (i == j), n x m
Tensor eye(int64_t n, int64_t m, TensorOptions options) {
  REEL_CHECK(n >= 0 && m >= 0, "eye: sizes must be non-negative, got n = {} and m = {}", n, m);
  return create(OpId::eye, {n, m}, options.dtype(), options, OpAttrs{});
}

}  // namespace reel
