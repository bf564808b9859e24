// reel/test/op_table_select_copy.cpp — op-table rows of where, clamp, masked_fill (the selecting
// elementwise ops), addcmul / addcdiv (x + value * t1 (*) t2) and of copy and fill (the data-writing basics
// under every other op).
//
// copy and fill write into a destination the row creates inside `run` (contiguous, transposed or a step-2
// slice of a larger tensor), so the harness can still check that the op left its inputs untouched. fill's
// reference is the whole underlying tensor: elements outside the filled view must keep their values.
#include <algorithm>
#include <cmath>
#include <limits>

#include "test/op_table.h"

namespace reel::test {

namespace {

Scalar scalar_like(double value, ScalarType dtype) {
  if (dtype == kBool) return Scalar(value != 0.0);
  if (!is_float(dtype)) return Scalar(static_cast<int64_t>(value));
  return Scalar(value);
}

// ---- where --------------------------------------------------------------------------------------------------
// y = c ? a : b. Sample::scalar replaces a (scalar_first) or b.
OpTestRow where_row() {
  OpTestRow row;
  row.op = "where";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string d, std::vector<Tensor> in, ScalarType promoted = ScalarType::Float32, bool keep = true) {
      out.push_back(make_sample(std::move(d), std::move(in), dtype, device));
      out.back().promoted = keep ? dtype : promoted;
      return &out.back();
    };
    add("same shape [2, 3]", {m.mask({2, 3}), m.make({2, 3}), m.make({2, 3})});
    add("broadcast [3, 1, 4], [2, 4], [3, 2, 1]", {m.mask({3, 1, 4}), m.make({2, 4}), m.make({3, 2, 1})});
    add("non-contiguous condition and values",
        {m.mask({3, 4}, Layout::Strided), m.make({3, 4}, Domain{}, Layout::Transposed),
         m.make({3, 4}, Domain{}, Layout::Strided)});
    add("size-0 [0, 3] condition", {m.mask({0, 3}), m.make({3}), m.make({1})});
    add("0-dim condition with [2, 3]", {m.mask({}), m.make({2, 3}), m.make({2, 3})});
    add("all 0-dim", {m.mask({}), m.make({}), m.make({})});
    add("large [40000]", {m.mask({40000}), m.make({40000}), m.make({40000})});
    add("with a float32 [3] tensor", {m.mask({2, 3}), m.make({2, 3}), m.make({3}, kFloat32)},
        promote(dtype, kFloat32), false);
    Sample* s = add("b is a scalar", {m.mask({2, 3}), m.make({2, 3})});
    s->scalar = scalar_like(1.0, dtype);
    s = add("a is a scalar", {m.mask({2, 3}), m.make({2, 3})});
    s->scalar = scalar_like(is_float(dtype) ? -1.5 : 2.0, dtype);
    s->scalar_first = true;
    if (is_float(dtype)) {
      const double nan = std::numeric_limits<double>::quiet_NaN();
      s = add("NaN and inf in the branch not taken", {m.values({4}, {1, 0, 1, 0}, kBool),
                                                      m.values({4}, {1, nan, 2, -INFINITY}),
                                                      m.values({4}, {INFINITY, 3, nan, 4})});
      s->smooth = false;
    }
    return out;
  };
  row.run = [](const Sample& s) {
    if (s.scalar && s.scalar_first) return std::vector<Tensor>{reel::where(s.inputs[0], *s.scalar, s.inputs[1])};
    if (s.scalar) return std::vector<Tensor>{reel::where(s.inputs[0], s.inputs[1], *s.scalar)};
    return std::vector<Tensor>{reel::where(s.inputs[0], s.inputs[1], s.inputs[2])};
  };
  row.reference = [](const Sample& s) {
    const RefTensor c = RefTensor::of(s.inputs[0]);
    RefTensor a, b;
    if (s.scalar) {
      const RefTensor number({}, {s.scalar->to_double()}, s.promoted);
      a = s.scalar_first ? number : RefTensor::of(s.inputs[1]);
      b = s.scalar_first ? RefTensor::of(s.inputs[1]) : number;
    } else {
      a = RefTensor::of(s.inputs[1]);
      b = RefTensor::of(s.inputs[2]);
    }
    a = cast(a, s.promoted);
    b = cast(b, s.promoted);
    return std::vector<RefTensor>{
        map_ternary(c, a, b, [](double cv, double av, double bv) { return cv != 0 ? av : bv; }, s.promoted)};
  };
  row.differentiable = true;
  row.grad_inputs = {1, 2};
  return row;
}

// ---- clamp --------------------------------------------------------------------------------------------------
// y = min(max(x, lo), hi); Sample::scalar is lo, scalar2 is hi (either may be absent).
OpTestRow clamp_row() {
  OpTestRow row;
  row.op = "clamp";
  row.dtypes = kNumericDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const double lo = dtype == kUInt8 ? 1 : is_float(dtype) ? -0.5 : -1;
    const double hi = dtype == kUInt8 ? 2 : is_float(dtype) ? 0.5 : 1;
    std::vector<Sample> out;
    auto add = [&](std::string d, Tensor x, std::optional<double> min, std::optional<double> max) {
      out.push_back(make_sample(std::move(d), {std::move(x)}, dtype, device));
      Sample& s = out.back();
      if (min) s.scalar = scalar_like(*min, dtype);
      if (max) s.scalar2 = scalar_like(*max, dtype);
      // Smooth when no value sits within 1e-3 of a bound (clamp has kinks there).
      for (double v : s.inputs[0].to_vector<double>())
        if ((min && std::fabs(v - *min) < 1e-3) || (max && std::fabs(v - *max) < 1e-3)) s.smooth = false;
      return &s;
    };
    add("both bounds [2, 3]", m.make({2, 3}), lo, hi);
    add("min only", m.make({2, 3}), lo, std::nullopt);
    add("max only", m.make({2, 3}), std::nullopt, hi);
    add("min greater than max gives max", m.make({2, 3}), hi, lo);
    add("transposed [3, 4]", m.make({3, 4}, Domain{}, Layout::Transposed), lo, hi);
    add("step-2 slice [2, 5]", m.make({2, 5}, Domain{}, Layout::Strided), lo, hi);
    add("size-0 [0, 3]", m.make({0, 3}), lo, hi);
    add("0-dim", m.make({}), lo, hi);
    add("large [40000]", m.make({40000}), lo, hi);
    if (!is_float(dtype)) {
      Sample* s = add("integer tensor with floating bounds (gives float32)", m.make({2, 3}), std::nullopt, std::nullopt);
      s->scalar = Scalar(0.5);
      s->scalar2 = Scalar(1.5);
      s->promoted = kFloat32;
    } else {
      Sample* s = add("special values", m.values({10}, special_values()), lo, hi);
      s->smooth = false;
    }
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{reel::clamp(s.inputs[0], s.scalar, s.scalar2)};
  };
  row.reference = [](const Sample& s) {
    const std::optional<double> lo = s.scalar ? std::optional<double>(cast_value(s.scalar->to_double(), s.promoted))
                                              : std::nullopt;
    const std::optional<double> hi = s.scalar2 ? std::optional<double>(cast_value(s.scalar2->to_double(), s.promoted))
                                               : std::nullopt;
    const RefTensor x = cast(RefTensor::of(s.inputs[0]), s.promoted);
    auto f = [lo, hi](double v) {
      if (std::isnan(v)) return v;
      if (lo) v = std::max(v, *lo);
      if (hi) v = std::min(v, *hi);
      return v;
    };
    return std::vector<RefTensor>{map_unary(x, f, s.promoted)};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- masked_fill ------------------------------------------------------------------------------------------------
// y = mask ? value : x, with Sample::scalar the value; the mask broadcasts to x's shape.
OpTestRow masked_fill_row() {
  OpTestRow row;
  row.op = "masked_fill";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Scalar value = scalar_like(dtype == kBool ? 1 : is_float(dtype) ? -1.25 : 7, dtype);
    std::vector<Sample> out;
    auto add = [&](std::string d, Tensor x, Tensor mask, Scalar v) {
      out.push_back(make_sample(std::move(d), {std::move(x), std::move(mask)}, dtype, device));
      out.back().scalar = v;
      return &out.back();
    };
    add("same shape [2, 3]", m.make({2, 3}), m.mask({2, 3}), value);
    add("mask [3] broadcast to [2, 3]", m.make({2, 3}), m.mask({3}), value);
    add("mask [2, 1] broadcast to [2, 3]", m.make({2, 3}), m.mask({2, 1}), value);
    add("transposed x, step-2 slice mask", m.make({3, 4}, Domain{}, Layout::Transposed),
        m.mask({3, 4}, Layout::Strided), value);
    add("size-0 [0, 3]", m.make({0, 3}), m.mask({0, 3}), value);
    add("0-dim", m.make({}), m.mask({}), value);
    add("0-dim mask with [2, 3]", m.make({2, 3}), m.mask({}), value);
    if (dtype != kBool) add("integer value", m.make({2, 3}), m.mask({2, 3}), Scalar(int64_t{2}));
    if (is_float(dtype)) {
      add("fill with -inf (attention masks)", m.make({2, 3}), m.mask({2, 3}), Scalar(-INFINITY))->smooth = false;
      add("fill with 0.1 (rounded to the dtype)", m.make({2, 3}), m.mask({2, 3}), Scalar(0.1));
    }
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::masked_fill(s.inputs[0], s.inputs[1], *s.scalar)}; };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    const RefTensor mask = RefTensor::of(s.inputs[1]);
    const double value = cast_value(s.scalar->to_double(), x.dtype);
    return std::vector<RefTensor>{
        map_binary(x, mask, [value](double xv, double mv) { return mv != 0 ? value : xv; }, x.dtype)};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- copy ---------------------------------------------------------------------------------------------------
// dst.copy_(src) where dst (shape Sample::dims, dtype Sample::ints[0], layout Sample::ints[1], on
// Sample::device) is made inside run; src is the one input and broadcasts to dst.
OpTestRow copy_row() {
  OpTestRow row;
  row.op = "copy";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain values{-5, 5};
    std::vector<Sample> out;
    auto add = [&](std::string d, Tensor src, Shape dst_shape, ScalarType dst_dtype, Layout dst_layout,
                   Device dst_device) {
      out.push_back(make_sample(std::move(d), {std::move(src)}, dtype, dst_device));
      out.back().dims = std::move(dst_shape);
      out.back().ints = {static_cast<int64_t>(dst_dtype), static_cast<int64_t>(dst_layout)};
      return &out.back();
    };
    add("same dtype [2, 3]", m.make({2, 3}, values), {2, 3}, dtype, Layout::Contiguous, device);
    add("transposed source to float64", m.make({3, 4}, values, Layout::Transposed), {3, 4}, kFloat64,
        Layout::Contiguous, device);
    add("into a step-2 slice of float32", m.make({3, 4}, values), {3, 4}, kFloat32, Layout::Strided, device);
    add("step-2 slice into transposed int64 (truncates)", m.make({3, 4}, values, Layout::Strided), {3, 4}, kInt64,
        Layout::Transposed, device);
    add("to int32", m.make({2, 3}, values), {2, 3}, kInt32, Layout::Contiguous, device);
    add("to uint8 (non-negative values)", m.make({2, 3}, Domain{0, 5}), {2, 3}, kUInt8, Layout::Contiguous, device);
    add("to bool", m.make({2, 3}, Domain{-1, 1}), {2, 3}, kBool, Layout::Contiguous, device);
    add("to float16", m.make({2, 3}, values), {2, 3}, kFloat16, Layout::Strided, device);
    add("to bfloat16", m.make({2, 3}, values), {2, 3}, kBFloat16, Layout::Contiguous, device);
    add("broadcast [3] into [2, 3]", m.make({3}, values), {2, 3}, dtype, Layout::Transposed, device);
    add("0-dim into [2, 3]", m.make({}, values), {2, 3}, kFloat64, Layout::Contiguous, device);
    add("0-dim into 0-dim", m.make({}, values), {}, dtype, Layout::Contiguous, device);
    add("size-0 [0, 3]", m.make({0, 3}, values), {0, 3}, kFloat32, Layout::Contiguous, device);
    add("large [40000]", m.make({40000}, values), {40000}, kFloat64, Layout::Contiguous, device);
    if (is_float(dtype)) {
      add("special values to float64", m.values({10}, special_values()), {10}, kFloat64, Layout::Contiguous, device)
          ->smooth = false;
      add("special values to float16", m.values({10}, special_values()), {10}, kFloat16, Layout::Contiguous, device)
          ->smooth = false;
    }
    if (device.is_cuda()) {
      add("device to host", m.make({3, 4}, values, Layout::Transposed), {3, 4}, dtype, Layout::Contiguous, kCPU);
      InputMaker host(dtype, kCPU);
      add("host to device", host.make({3, 4}, values, Layout::Strided), {3, 4}, kFloat64, Layout::Contiguous, device);
    }
    return out;
  };
  row.run = [](const Sample& s) {
    InputMaker destination(static_cast<ScalarType>(s.ints[0]), s.device, 99);
    Tensor dst = destination.make(s.dims, Domain{}, static_cast<Layout>(s.ints[1]));
    // A differentiable copy_ into a view throws by design (docs/autograd.md, in-place ops): the gradient run
    // copies into a fresh tensor of the same values instead.
    if (s.inputs[0].requires_grad() && reel::is_grad_enabled() && dst.impl()->is_view) dst = dst.clone();
    dst.copy_(s.inputs[0]);
    return std::vector<Tensor>{dst};
  };
  row.reference = [](const Sample& s) {
    const auto dst_dtype = static_cast<ScalarType>(s.ints[0]);
    return std::vector<RefTensor>{ref_expand(cast(RefTensor::of(s.inputs[0]), dst_dtype), s.dims)};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- fill ---------------------------------------------------------------------------------------------------
// y = x.clone(); the view (sizes Sample::dims, strides Sample::ints, offset Sample::index) of y is filled with
// Sample::scalar; the output is the whole of y, so elements outside the view must keep x's values.
OpTestRow fill_row() {
  OpTestRow row;
  row.op = "fill";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Scalar value = scalar_like(dtype == kBool ? 1 : is_float(dtype) ? 2.5 : 7, dtype);
    std::vector<Sample> out;
    auto add = [&](std::string d, Shape base, Shape sizes, Shape strides, int64_t offset, Scalar v) {
      out.push_back(make_sample(std::move(d), {m.make(base)}, dtype, device));
      Sample& s = out.back();
      s.dims = std::move(sizes);
      s.ints = std::move(strides);
      s.index = offset;
      s.scalar = v;
      s.flag = true;
    };
    add("whole contiguous [2, 3]", {2, 3}, {2, 3}, {3, 1}, 0, value);
    add("transposed view [4, 3] of [3, 4]", {3, 4}, {4, 3}, {1, 4}, 0, value);
    add("step-2 slice [3, 2] of [3, 5]", {3, 5}, {3, 2}, {5, 2}, 1, value);
    add("one column [3] of [3, 4]", {3, 4}, {3}, {4}, 2, value);
    add("size-0 view of [2, 3]", {2, 3}, {0, 3}, {3, 1}, 0, value);
    add("0-dim view of [4]", {4}, {}, {}, 3, value);
    add("large [40000]", {40000}, {40000}, {1}, 0, value);
    if (dtype != kBool) add("integer value", {2, 3}, {2, 3}, {3, 1}, 0, Scalar(int64_t{3}));
    if (is_float(dtype)) {
      add("value 0.1 (rounded to the dtype)", {2, 3}, {2, 3}, {3, 1}, 0, Scalar(0.1));
      add("value -inf", {2, 3}, {3}, {1}, 3, Scalar(-INFINITY));
    }
    return out;
  };
  row.run = [](const Sample& s) {
    Tensor y = s.inputs[0].clone();
    Tensor view = Tensor::make_view(y, s.dims, s.ints, s.index);
    view.fill_(*s.scalar);
    return std::vector<Tensor>{y};
  };
  row.reference = [](const Sample& s) {
    RefTensor y = RefTensor::of(s.inputs[0]);
    const double value = cast_value(s.scalar->to_double(), y.dtype);
    for (const Shape& index : all_indices(s.dims)) {
      int64_t position = s.index;
      for (size_t d = 0; d < index.size(); ++d) position += index[d] * s.ints[d];
      y.values[static_cast<size_t>(position)] = value;
    }
    return std::vector<RefTensor>{y};
  };
  return row;
}

// ---- addcmul / addcdiv -------------------------------------------------------------------------------------------
// y = x + value * t1 * t2 or x + value * t1 / t2 over the broadcast of all three; Sample::scalar is value (absent:
// the default 1). addcdiv's divisors stay away from 0.
OpTestRow pointwise_row(bool divide) {
  OpTestRow row;
  row.op = divide ? "addcdiv" : "addcmul";
  row.dtypes = divide ? kFloatDtypes : kNumericDtypes;
  row.samples = [divide](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain divisor = divide ? Domain{-2.0, 2.0, 0.5} : Domain{};
    std::vector<Sample> out;
    auto add = [&](std::string d, std::vector<Tensor> in, std::optional<double> value, ScalarType promoted) {
      out.push_back(make_sample(std::move(d), std::move(in), dtype, device));
      out.back().promoted = promoted;
      if (value) out.back().scalar = scalar_like(*value, promoted);
    };
    const double value = is_float(dtype) ? 0.5 : 3.0;
    add("same shape [2, 3]", {m.make({2, 3}), m.make({2, 3}), m.make({2, 3}, divisor)}, value, dtype);
    add("default value 1", {m.make({4}), m.make({4}), m.make({4}, divisor)}, std::nullopt, dtype);
    add("negative value", {m.make({2, 2}), m.make({2, 2}), m.make({2, 2}, divisor)}, -2.0, dtype);
    add("broadcast [3, 1, 4], [2, 4], [3, 2, 1]", {m.make({3, 1, 4}), m.make({2, 4}), m.make({3, 2, 1}, divisor)},
        value, dtype);
    add("x broadcast up [4] with [3, 4] and [3, 1]", {m.make({4}), m.make({3, 4}), m.make({3, 1}, divisor)}, value,
        dtype);
    add("non-contiguous", {m.make({3, 4}, Domain{}, Layout::Transposed), m.make({3, 4}, Domain{}, Layout::Strided),
                           m.make({3, 4}, divisor, Layout::Transposed)},
        value, dtype);
    add("size-0 [0, 3]", {m.make({0, 3}), m.make({3}), m.make({1}, divisor)}, value, dtype);
    add("0-dim x with [2, 3]", {m.make({}), m.make({2, 3}), m.make({2, 3}, divisor)}, value, dtype);
    add("all 0-dim", {m.make({}), m.make({}), m.make({}, divisor)}, value, dtype);
    add("large [40000]", {m.make({40000}), m.make({40000}), m.make({40000}, divisor)}, value, dtype);
    add("with a float32 tensor1", {m.make({2, 3}), m.make({2, 3}, kFloat32), m.make({2, 3}, divisor)}, 0.5,
        promote(dtype, kFloat32));
    return out;
  };
  row.run = [divide](const Sample& s) {
    const Scalar value = s.scalar ? *s.scalar : Scalar(1);
    return std::vector<Tensor>{divide ? reel::addcdiv(s.inputs[0], s.inputs[1], s.inputs[2], value)
                                      : s.inputs[0].addcmul(s.inputs[1], s.inputs[2], value)};
  };
  row.reference = [divide](const Sample& s) {
    const double value = s.scalar ? s.scalar->to_double() : 1.0;
    const RefTensor x = cast(RefTensor::of(s.inputs[0]), s.promoted), a = cast(RefTensor::of(s.inputs[1]), s.promoted),
                    b = cast(RefTensor::of(s.inputs[2]), s.promoted);
    return std::vector<RefTensor>{map_ternary(
        x, a, b, [=](double xv, double av, double bv) { return divide ? xv + value * (av / bv) : xv + value * av * bv; },
        s.promoted)};
  };
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2};
  return row;
}

void add_select_copy_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(where_row());
  rows.push_back(clamp_row());
  rows.push_back(masked_fill_row());
  rows.push_back(copy_row());
  rows.push_back(fill_row());
  rows.push_back(pointwise_row(false));
  rows.push_back(pointwise_row(true));
}

}  // namespace

REEL_OP_TABLE_ROWS(add_select_copy_rows);

}  // namespace reel::test
