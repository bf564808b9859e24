// reel/test/op_table_reduce.cpp — op-table rows of the reductions (sum ... any) and of softmax/log_softmax.
//
// Every reduction row runs the same set of reduction cases: all dims, one dim, several dims, negative dims,
// keepdim, transposed and strided inputs, an empty input (reduced over a non-empty dim, and, for ops with
// an identity, over the empty dim), 0-dim inputs, and a 300 x 200 input that runs on several threads.
// Ops taking one optional dim (prod, argmax, argmin, all, any) get the cases with at most one dim.
#include <algorithm>
#include <cmath>
#include <limits>

#include "test/op_table.h"

namespace reel::test {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Sums over up to 200 terms: the error grows with the number of terms, so the absolute part is looser.
Tolerance reduce_tolerance(ScalarType dtype) {
  switch (dtype) {
    case kFloat16: return {5e-3, 5e-3};
    case kBFloat16: return {2e-2, 2e-2};
    case kFloat32: return {1e-5, 1e-4};
    case kFloat64: return {1e-9, 1e-10};
    default: return {0, 0};
  }
}

enum class DimForm { List, Optional };  // sum(x, {0, 1}) or prod(x, 0)

struct ReduceSpec {
  std::string name;
  std::vector<ScalarType> dtypes;
  DimForm form = DimForm::List;
  // The op on one sample: dims in Sample::dims (Optional form: flag says whether a dim is given, dims[0]).
  std::function<Tensor(const Sample&)> op;
  std::function<double(const std::vector<double>&, const Sample&)> fold;
  std::function<ScalarType(ScalarType)> result;
  Domain domain{-2, 2};
  Domain int_domain{-3, 3};
  bool has_identity = true;   // an empty reduced set gives a value (sum: 0, prod: 1, ...)
  bool differentiable = true;
  std::vector<Sample> (*extra)(ScalarType, Device) = nullptr;  // op-specific samples (specials, p values)
  bool large = true;
};

Sample reduce_sample(std::string description, Tensor x, Shape dims, bool keepdim, ScalarType dtype, Device device) {
  Sample s;
  s.description = std::move(description);
  s.inputs = {std::move(x)};
  s.dims = std::move(dims);
  s.keepdim = keepdim;
  s.flag = true;
  s.dtype = dtype;
  s.promoted = dtype;
  s.device = device;
  return s;
}

std::vector<Sample> reduce_samples(const ReduceSpec& spec, ScalarType dtype, Device device) {
  InputMaker m(dtype, device);
  const Domain d = is_float(dtype) ? spec.domain : spec.int_domain;
  std::vector<Sample> out;
  auto add = [&](std::string description, Tensor x, Shape dims, bool keepdim) {
    if (spec.form == DimForm::Optional && dims.size() > 1) return;
    out.push_back(reduce_sample(std::move(description), std::move(x), dims, keepdim, dtype, device));
    out.back().flag = !dims.empty();  // Optional form: a dim is given
  };
  add("all dims of [2, 3, 4]", m.make({2, 3, 4}, d), {}, false);
  add("dim 1 of [2, 3, 4]", m.make({2, 3, 4}, d), {1}, false);
  add("dims 0, 2 of [2, 3, 4], keepdim", m.make({2, 3, 4}, d), {0, 2}, true);
  add("dim -1 of [2, 3, 4], keepdim", m.make({2, 3, 4}, d), {-1}, true);
  add("dims -3, -2 of [2, 3, 4]", m.make({2, 3, 4}, d), {-3, -2}, false);
  add("dim 0 of transposed [3, 4]", m.make({3, 4}, d, Layout::Transposed), {0}, false);
  add("dim 1 of step-2 slice [2, 5]", m.make({2, 5}, d, Layout::Strided), {1}, false);
  add("all dims of transposed [4, 3]", m.make({4, 3}, d, Layout::Transposed), {}, false);
  add("size-0 [0, 3] over dim 1", m.make({0, 3}, d), {1}, false);
  if (spec.has_identity) {
    add("size-0 [0, 3] over dim 0 (the identity)", m.make({0, 3}, d), {0}, false);
    add("size-0 [0, 3] over all dims", m.make({0, 3}, d), {}, false);
  }
  add("0-dim, all dims", m.make({}, d), {}, false);
  add("0-dim, dim 0", m.make({}, d), {0}, false);
  add("0-dim, dim -1, keepdim", m.make({}, d), {-1}, true);
  if (spec.large) {
    add("large [300, 200] over dim 1 (several threads)", m.make({300, 200}, d), {1}, false);
    add("large [300, 200] over dim 0", m.make({300, 200}, d), {0}, false);
  }
  if (spec.extra) {
    for (Sample& s : spec.extra(dtype, device)) out.push_back(std::move(s));
  }
  return out;
}

OpTestRow reduce_row(const ReduceSpec& spec) {
  OpTestRow row;
  row.op = spec.name;
  row.dtypes = spec.dtypes;
  row.samples = [spec](ScalarType dtype, Device device) { return reduce_samples(spec, dtype, device); };
  row.run = [op = spec.op](const Sample& s) { return std::vector<Tensor>{op(s)}; };
  row.reference = [spec](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    const Shape dims = spec.form == DimForm::Optional && !s.flag ? Shape{} : s.dims;
    auto fold = [&](const std::vector<double>& v) { return spec.fold(v, s); };
    return std::vector<RefTensor>{reduce(x, dims, s.keepdim, spec.result(x.dtype), fold)};
  };
  row.tolerance = reduce_tolerance;
  row.differentiable = spec.differentiable;
  if (spec.differentiable) row.grad_inputs = {0};
  return row;
}

std::optional<int64_t> optional_dim(const Sample& s) {
  return s.flag ? std::optional<int64_t>(s.dims[0]) : std::nullopt;
}
int64_t correction_of(const Sample& s) { return s.ints.empty() ? 1 : s.ints[0]; }
ScalarType widened(ScalarType t) { return is_float(t) ? t : kInt64; }
ScalarType same(ScalarType t) { return t; }

// Special values: NaN propagates through max/min/sum; inf sums to inf.
std::vector<Sample> special_rows(ScalarType dtype, Device device) {
  if (!is_float(dtype)) return {};
  InputMaker m(dtype, device);
  const double nan = kNaN;
  std::vector<Sample> out;
  out.push_back(reduce_sample("NaN and inf in rows", m.values({3, 3}, {1, nan, 2, kInf, 1, 2, -kInf, 0, -1}), {1},
                              false, dtype, device));
  out.back().smooth = false;
  return out;
}

std::vector<Sample> var_corrections(ScalarType dtype, Device device) {
  InputMaker m(dtype, device);
  std::vector<Sample> out;
  for (int64_t correction : {0, 2}) {
    out.push_back(reduce_sample("correction " + std::to_string(correction) + ", dim 1 of [3, 5]", m.make({3, 5}), {1},
                                false, dtype, device));
    out.back().ints = {correction};
  }
  return out;
}

std::vector<Sample> logsumexp_specials(ScalarType dtype, Device device) {
  InputMaker m(dtype, device);
  std::vector<Sample> out;
  out.push_back(reduce_sample("large values (needs the max shift)", m.values({2, 3}, {1000, 1001, 999, -1000, -1001, -999}),
                              {1}, false, dtype, device));
  out.push_back(reduce_sample("rows of -inf, and a +inf", m.values({2, 3}, {-kInf, -kInf, -kInf, 1, kInf, 2}), {1},
                              false, dtype, device));
  out.back().smooth = false;
  return out;
}

std::vector<Sample> norm_orders(ScalarType dtype, Device device) {
  InputMaker m(dtype, device);
  std::vector<Sample> out;
  const std::vector<std::pair<double, std::string>> orders = {
      {1, "1"}, {kInf, "inf"}, {-kInf, "-inf"}, {3, "3"}, {0, "0 (counts nonzeros)"}, {0.5, "0.5"}};
  for (const auto& [p, text] : orders) {
    out.push_back(reduce_sample("p = " + text + ", dim 1 of [3, 4]", m.make({3, 4}, Domain{-2, 2, 0.25}), {1}, false,
                                dtype, device));
    out.back().scalar = Scalar(p);
    out.back().smooth = !std::isinf(p) && p >= 1;
  }
  out.push_back(reduce_sample("p = 2 of size-0 [0, 3] over all dims", m.make({0, 3}), {}, false, dtype, device));
  out.back().scalar = Scalar(2.0);
  return out;
}

std::vector<Sample> logical_values(ScalarType dtype, Device device) {
  InputMaker m(dtype, device);
  std::vector<Sample> out;
  out.push_back(reduce_sample("zeros and ones", m.values({3, 4}, {0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1}), {1}, false,
                              dtype, device));
  if (is_float(dtype)) {
    out.push_back(reduce_sample("NaN counts as true", m.values({2, 2}, {kNaN, 1, kNaN, 0}), {1}, false, dtype, device));
  }
  return out;
}

double norm_of(const std::vector<double>& v, const Sample& s) {
  const double p = s.scalar ? s.scalar->to_double() : 2.0;
  if (p == 0) return static_cast<double>(std::count_if(v.begin(), v.end(), [](double x) { return x != 0; }));
  if (std::isinf(p) && p < 0) {
    double m = kInf;
    for (double x : v) m = std::min(m, std::fabs(x));
    return m;
  }
  return ref_norm(v, p);
}

void add_reduction_rows(std::vector<OpTestRow>& rows) {
  std::vector<ReduceSpec> specs;
  auto spec = [&](std::string name, std::vector<ScalarType> dtypes, DimForm form) -> ReduceSpec& {
    ReduceSpec s;
    s.name = std::move(name);
    s.dtypes = std::move(dtypes);
    s.form = form;
    specs.push_back(std::move(s));
    return specs.back();
  };
  ReduceSpec* s = &spec("sum", kAllDtypes, DimForm::List);
  s->op = [](const Sample& x) { return reel::sum(x.inputs[0], x.dims, x.keepdim); };
  s->fold = [](const std::vector<double>& v, const Sample&) { return ref_sum(v); };
  s->result = widened;
  s->extra = special_rows;

  s = &spec("mean", kFloatDtypes, DimForm::List);
  s->op = [](const Sample& x) { return reel::mean(x.inputs[0], x.dims, x.keepdim); };
  s->fold = [](const std::vector<double>& v, const Sample&) { return v.empty() ? kNaN : ref_sum(v) / v.size(); };
  s->result = same;
  s->extra = special_rows;

  s = &spec("prod", kAllDtypes, DimForm::Optional);
  s->op = [](const Sample& x) { return reel::prod(x.inputs[0], optional_dim(x), x.keepdim); };
  s->fold = [](const std::vector<double>& v, const Sample&) { return ref_prod(v); };
  s->result = widened;
  s->domain = {0.5, 1.5};
  s->int_domain = {-2, 2};
  s->large = false;  // 200 factors overflow every integer dtype

  for (std::string name : {"amax", "amin"}) {
    const bool is_max = name == "amax";
    s = &spec(name, kAllDtypes, DimForm::List);
    s->op = is_max ? [](const Sample& x) { return reel::amax(x.inputs[0], x.dims, x.keepdim); }
                   : [](const Sample& x) { return reel::amin(x.inputs[0], x.dims, x.keepdim); };
    s->fold = is_max ? [](const std::vector<double>& v, const Sample&) { return ref_max(v); }
                     : [](const std::vector<double>& v, const Sample&) { return ref_min(v); };
    s->result = same;
    s->has_identity = false;
    s->extra = special_rows;
  }

  for (std::string name : {"argmax", "argmin"}) {
    const bool is_max = name == "argmax";
    s = &spec(name, kNumericDtypes, DimForm::Optional);
    s->op = is_max ? [](const Sample& x) { return reel::argmax(x.inputs[0], optional_dim(x), x.keepdim); }
                   : [](const Sample& x) { return reel::argmin(x.inputs[0], optional_dim(x), x.keepdim); };
    s->fold = is_max ? [](const std::vector<double>& v, const Sample&) { return double(ref_argmax(v)); }
                     : [](const std::vector<double>& v, const Sample&) { return double(ref_argmin(v)); };
    s->result = [](ScalarType) { return kInt64; };
    s->has_identity = false;
    s->differentiable = false;
    s->int_domain = {-1, 1};  // many ties: the first index must win
    s->extra = special_rows;
  }

  // Sample::ints holds the correction when a sample sets one (1 otherwise).
  s = &spec("var", kFloatDtypes, DimForm::List);
  s->op = [](const Sample& x) { return reel::var(x.inputs[0], x.dims, Scalar(correction_of(x)), x.keepdim); };
  s->fold = [](const std::vector<double>& v, const Sample& x) { return v.empty() ? kNaN : ref_var(v, correction_of(x)); };
  s->result = same;
  s->extra = var_corrections;

  s = &spec("std", kFloatDtypes, DimForm::List);
  s->op = [](const Sample& x) { return reel::std(x.inputs[0], x.dims, Scalar(correction_of(x)), x.keepdim); };
  s->fold = [](const std::vector<double>& v, const Sample& x) {
    return v.empty() ? kNaN : std::sqrt(ref_var(v, correction_of(x)));
  };
  s->result = same;
  s->extra = var_corrections;

  s = &spec("logsumexp", kFloatDtypes, DimForm::List);
  s->op = [](const Sample& x) { return reel::logsumexp(x.inputs[0], x.dims, x.keepdim); };
  s->fold = [](const std::vector<double>& v, const Sample&) { return ref_logsumexp(v); };
  s->result = same;
  s->extra = logsumexp_specials;

  s = &spec("norm", kFloatDtypes, DimForm::List);
  s->op = [](const Sample& x) {
    return reel::norm(x.inputs[0], x.scalar ? *x.scalar : Scalar(2), x.dims, x.keepdim);
  };
  s->fold = norm_of;
  s->result = same;
  s->domain = {-2, 2, 0.25};  // |x| has a kink at 0
  s->extra = norm_orders;

  for (std::string name : {"all", "any"}) {
    const bool is_all = name == "all";
    s = &spec(name, kAllDtypes, DimForm::Optional);
    s->op = is_all ? [](const Sample& x) { return reel::all(x.inputs[0], optional_dim(x), x.keepdim); }
                   : [](const Sample& x) { return reel::any(x.inputs[0], optional_dim(x), x.keepdim); };
    s->fold = is_all ? [](const std::vector<double>& v, const Sample&) {
      return std::all_of(v.begin(), v.end(), [](double e) { return e != 0; }) ? 1.0 : 0.0;
    } : [](const std::vector<double>& v, const Sample&) {
      return std::any_of(v.begin(), v.end(), [](double e) { return e != 0; }) ? 1.0 : 0.0;
    };
    s->result = [](ScalarType) { return kBool; };
    s->int_domain = {-1, 1};
    s->differentiable = false;
    s->extra = logical_values;
  }
  for (const ReduceSpec& r : specs) rows.push_back(reduce_row(r));
}

// ---- max / min: the full form (one 0-dim value) and the dim form (values and first indices) ----------------
OpTestRow extreme_with_indices_row(bool is_max) {
  ReduceSpec spec;
  spec.name = is_max ? "max" : "min";
  spec.form = DimForm::Optional;
  spec.has_identity = false;
  spec.int_domain = {-1, 1};
  spec.extra = special_rows;
  OpTestRow row;
  row.op = spec.name;
  row.dtypes = kAllDtypes;
  row.samples = [spec](ScalarType dtype, Device device) {
    std::vector<Sample> samples = reduce_samples(spec, dtype, device);
    // The full form has no keepdim.
    samples.erase(std::remove_if(samples.begin(), samples.end(), [](const Sample& s) { return !s.flag && s.keepdim; }),
                  samples.end());
    return samples;
  };
  row.run = [is_max](const Sample& s) {
    if (!s.flag) return std::vector<Tensor>{is_max ? reel::max(s.inputs[0]) : reel::min(s.inputs[0])};
    auto [values, indices] = is_max ? reel::max(s.inputs[0], s.dims[0], s.keepdim)
                                    : reel::min(s.inputs[0], s.dims[0], s.keepdim);
    return std::vector<Tensor>{values, indices};
  };
  row.reference = [is_max](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    const Shape dims = s.flag ? s.dims : Shape{};
    auto value = [is_max](const std::vector<double>& v) { return is_max ? ref_max(v) : ref_min(v); };
    std::vector<RefTensor> out = {reduce(x, dims, s.keepdim, x.dtype, value)};
    if (s.flag) {
      auto index = [is_max](const std::vector<double>& v) {
        return static_cast<double>(is_max ? ref_argmax(v) : ref_argmin(v));
      };
      out.push_back(reduce(x, dims, s.keepdim, kInt64, index));
    }
    return out;
  };
  row.tolerance = reduce_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- softmax / log_softmax ------------------------------------------------------------------------------------
OpTestRow softmax_row(bool log) {
  OpTestRow row;
  row.op = log ? "log_softmax" : "softmax";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor x, int64_t dim, bool smooth = true) {
      out.push_back(reduce_sample(std::move(description), std::move(x), {}, false, dtype, device));
      out.back().dim = dim;
      out.back().smooth = smooth;
    };
    add("dim 1 of [2, 3, 4]", m.make({2, 3, 4}), 1);
    add("dim 0 of [2, 3, 4]", m.make({2, 3, 4}), 0);
    add("dim -1 of [2, 3, 4]", m.make({2, 3, 4}), -1);
    add("dim 1 of transposed [3, 4]", m.make({3, 4}, Domain{}, Layout::Transposed), 1);
    add("dim 0 of step-2 slice [2, 5]", m.make({2, 5}, Domain{}, Layout::Strided), 0);
    add("size-0 [0, 3], dim 1", m.make({0, 3}), 1);
    add("[2, 0], dim 1 (empty rows)", m.make({2, 0}), 1);
    add("0-dim", m.make({}), 0);
    add("1-d [5], dim -1", m.make({5}), -1);
    add("large [300, 200], dim 1 (several threads)", m.make({300, 200}), 1);
    add("large [300, 200], dim 0", m.make({300, 200}), 0);
    add("large values (needs the max shift)", m.values({2, 3}, {1000, 1001, 999, -1000, -1001, -999}), 1);
    add("-inf entries (masked)", m.values({2, 3}, {-kInf, 0, 1, 2, -kInf, -kInf}), 1, false);
    return out;
  };
  row.run = [log](const Sample& s) {
    return std::vector<Tensor>{log ? reel::log_softmax(s.inputs[0], s.dim) : reel::softmax(s.inputs[0], s.dim)};
  };
  row.reference = [log](const Sample& s) {
    return std::vector<RefTensor>{ref_softmax(RefTensor::of(s.inputs[0]), s.dim, log)};
  };
  row.tolerance = reduce_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

void add_reduce_rows(std::vector<OpTestRow>& rows) {
  add_reduction_rows(rows);
  rows.push_back(extreme_with_indices_row(true));
  rows.push_back(extreme_with_indices_row(false));
  rows.push_back(softmax_row(false));
  rows.push_back(softmax_row(true));
}

}  // namespace

REEL_OP_TABLE_ROWS(add_reduce_rows);

}  // namespace reel::test
