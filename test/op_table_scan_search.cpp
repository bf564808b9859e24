// reel/test/op_table_scan_search.cpp — op-table rows of the scans (cumsum, cumprod, logcumsumexp, cummax,
// cummin), the counting ops (nansum, count_nonzero, aminmax, bincount, histc), searching (searchsorted,
// bucketize), and LibTorch's dtype overloads of sum, mean, softmax and log_softmax (extra rows of those ops).
//
// References are hand loops in float64 over host copies (test/sort_reference.h cuts tensors into rows along a
// dim). cummax / cummin indices are deterministic (a tie moves to the later index), so they are compared exactly.
#include "test/sort_reference.h"

namespace reel::test {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Sample along(std::string description, Tensor x, int64_t dim, ScalarType dtype, Device device, bool keepdim = false) {
  Sample s = make_sample(std::move(description), {std::move(x)}, dtype, device, dim);
  s.keepdim = keepdim;
  return s;
}

int64_t wrapped(const Sample& s) {
  const int64_t rank = s.inputs[0].dim();
  return s.dim < 0 ? s.dim + std::max<int64_t>(rank, 1) : s.dim;
}

std::vector<Sample> scan_samples(ScalarType dtype, Device device, Domain float_domain) {
  InputMaker m(dtype, device);
  const Domain d = is_float(dtype) ? float_domain : Domain{-2, 2};
  std::vector<Sample> out;
  out.push_back(along("dim -1 of [2, 3, 4]", m.make({2, 3, 4}, d), -1, dtype, device));
  out.push_back(along("dim 1 of [2, 3, 4]", m.make({2, 3, 4}, d), 1, dtype, device));
  out.push_back(along("dim 0 of [3, 2]", m.make({3, 2}, d), 0, dtype, device));
  out.push_back(along("dim 0 of transposed [3, 4]", m.make({3, 4}, d, Layout::Transposed), 0, dtype, device));
  out.push_back(along("dim 1 of step-2 slice [2, 5]", m.make({2, 5}, d, Layout::Strided), 1, dtype, device));
  out.push_back(along("size-0 [0, 3] along dim 1", m.make({0, 3}, d), 1, dtype, device));
  out.push_back(along("[2, 0] along dim 1", m.make({2, 0}, d), 1, dtype, device));
  out.push_back(along("0-dim", m.make({}, d), 0, dtype, device));
  out.push_back(along("large [50, 700] along dim 1 (several threads)", m.make({50, 700}, Domain{0.9, 1.1}), 1, dtype,
                      device));
  out.back().smooth = false;  // too large for a gradcheck anyway
  return out;
}

// ---- cumsum / cumprod / logcumsumexp: Sample::flag = pass dtype float64 -----------------------------------------
enum class Scan { Sum, Prod, LogSumExp };

OpTestRow scan_row(Scan which) {
  OpTestRow row;
  row.op = which == Scan::Sum ? "cumsum" : which == Scan::Prod ? "cumprod" : "logcumsumexp";
  row.dtypes = which == Scan::LogSumExp ? kFloatDtypes : kAllDtypes;
  row.samples = [which](ScalarType dtype, Device device) {
    std::vector<Sample> out = scan_samples(dtype, device, which == Scan::Prod ? Domain{0.5, 1.5} : Domain{-2, 2});
    InputMaker m(dtype, device);
    if (which != Scan::LogSumExp) {
      out.push_back(along("dtype float64 given", m.make({3, 4}, Domain{0, 2}), 1, dtype, device));
      out.back().flag = true;
    }
    if (which == Scan::Prod && is_float(dtype)) {  // the zero path of the backward: smooth, cumprod is a polynomial
      out.push_back(along("zeros in rows", m.values({2, 4}, {1.5, 0, 2, -1, 0, 0, 0.5, 2}), 1, dtype, device));
      out.push_back(along("one zero, dim 0", m.values({3, 2}, {1.5, 2, 0, -1, 0.5, 3}), 0, dtype, device));
    }
    if (which == Scan::LogSumExp) {
      out.push_back(along("large values", m.values({2, 3}, {1000, 1001, 999, -1000, -1001, -999}), 1, dtype, device));
      out.push_back(along("-inf, inf and NaN", m.values({3, 3}, {-kInf, -kInf, 1, kInf, 1, kInf, 1, kNaN, 2}), 1,
                          dtype, device));
      out.back().smooth = false;
    }
    if (which == Scan::Sum && is_float(dtype)) {
      out.push_back(along("NaN and inf", m.values({2, 3}, {1, kNaN, 2, kInf, -kInf, 1}), 1, dtype, device));
      out.back().smooth = false;
    }
    return out;
  };
  row.run = [which](const Sample& s) {
    const std::optional<ScalarType> dtype = s.flag ? std::optional<ScalarType>(kFloat64) : std::nullopt;
    switch (which) {
      case Scan::Sum: return std::vector<Tensor>{reel::cumsum(s.inputs[0], s.dim, dtype)};
      case Scan::Prod: return std::vector<Tensor>{s.inputs[0].cumprod(s.dim, dtype)};
      case Scan::LogSumExp: break;
    }
    return std::vector<Tensor>{reel::logcumsumexp(s.inputs[0], s.dim)};
  };
  row.reference = [which](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    const ScalarType out = s.flag ? kFloat64 : is_float(x.dtype) ? x.dtype : kInt64;
    const int64_t dim = wrapped(s);
    std::vector<std::vector<double>> rows = split_rows(x, dim);
    for (auto& r : rows) {
      for (size_t j = 1; j < r.size(); ++j) {
        if (which == Scan::Sum) r[j] += r[j - 1];
        else if (which == Scan::Prod) r[j] *= r[j - 1];
        else {
          const double a = r[j - 1], b = r[j], hi = std::max(a, b);
          r[j] = std::isnan(a) || std::isnan(b) ? kNaN : hi == -kInf ? -kInf : hi == kInf ? kInf
                                                 : hi + std::log(std::exp(a - hi) + std::exp(b - hi));
        }
      }
    }
    const int64_t n = x.dim() == 0 ? 1 : x.shape[static_cast<size_t>(dim)];
    return std::vector<RefTensor>{join_rows(rows, x.shape, dim, n, out)};
  };
  row.tolerance = scan_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- cummax / cummin ---------------------------------------------------------------------------------------------
OpTestRow cumulative_extreme_row(bool is_max) {
  OpTestRow row;
  row.op = is_max ? "cummax" : "cummin";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    std::vector<Sample> out = scan_samples(dtype, device, Domain{-2, 2});
    InputMaker m(dtype, device);
    out.push_back(along("ties move the index", m.values({2, 5}, {1, 0, 1, 2, 2, 0, 0, 1, 0, 1}), 1, dtype, device));
    out.back().smooth = false;
    if (is_float(dtype)) {
      out.push_back(along("NaN sticks", m.values({2, 4}, {1, kNaN, 3, kNaN, 2, 1, kInf, -kInf}), 1, dtype, device));
      out.back().smooth = false;
    }
    return out;
  };
  row.run = [is_max](const Sample& s) {
    auto [values, indices] = is_max ? reel::cummax(s.inputs[0], s.dim) : s.inputs[0].cummin(s.dim);
    return std::vector<Tensor>{values, indices};
  };
  row.reference = [is_max](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    const int64_t dim = wrapped(s);
    std::vector<std::vector<double>> values = split_rows(x, dim), indices = values;
    for (size_t r = 0; r < values.size(); ++r) {
      double best = 0;
      int64_t at = 0;
      for (size_t j = 0; j < values[r].size(); ++j) {
        const double v = values[r][j];
        const bool replace = j == 0 || std::isnan(v) || (!std::isnan(best) && (is_max ? v >= best : v <= best));
        if (replace) {
          best = v;
          at = static_cast<int64_t>(j);
        }
        values[r][j] = best;
        indices[r][j] = static_cast<double>(at);
      }
    }
    const int64_t n = x.dim() == 0 ? 1 : x.shape[static_cast<size_t>(dim)];
    return std::vector<RefTensor>{join_rows(values, x.shape, dim, n, x.dtype), join_rows(indices, x.shape, dim, n, kInt64)};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- nansum / count_nonzero / aminmax: reductions over Sample::dims ----------------------------------------------
std::vector<Sample> reduce_samples(ScalarType dtype, Device device) {
  InputMaker m(dtype, device);
  const Domain d = is_float(dtype) ? Domain{-2, 2} : Domain{-2, 2};
  std::vector<Sample> out;
  auto add = [&](std::string description, Tensor x, Shape dims, bool keepdim, bool smooth = true) {
    out.push_back(along(std::move(description), std::move(x), 0, dtype, device, keepdim));
    out.back().dims = std::move(dims);
    out.back().smooth = smooth;
  };
  add("all dims of [2, 3, 4]", m.make({2, 3, 4}, d), {}, false);
  add("dim 1 of [2, 3, 4], keepdim", m.make({2, 3, 4}, d), {1}, true);
  add("dim -1 of transposed [3, 4]", m.make({3, 4}, d, Layout::Transposed), {-1}, false);
  add("dim 0 of step-2 slice [2, 5]", m.make({2, 5}, d, Layout::Strided), {0}, false);
  add("size-0 [0, 3] over dim 1", m.make({0, 3}, d), {1}, false);
  add("0-dim", m.make({}, d), {}, false);
  add("zeros", m.values({2, 3}, {0, 1, 0, 0, 2, 0}), {1}, false, false);
  if (is_float(dtype)) add("NaN and inf", m.values({2, 3}, {kNaN, 1, 2, kInf, kNaN, kNaN}), {1}, false, false);
  return out;
}

OpTestRow nansum_row() {
  OpTestRow row;
  row.op = "nansum";
  row.dtypes = kAllDtypes;
  row.samples = reduce_samples;
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::nansum(s.inputs[0], s.dims, s.keepdim)}; };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    auto fold = [](const std::vector<double>& v) {
      double total = 0;
      for (double e : v) total += std::isnan(e) ? 0 : e;
      return total;
    };
    return std::vector<RefTensor>{reduce(x, s.dims, s.keepdim, is_float(x.dtype) ? x.dtype : kInt64, fold)};
  };
  row.tolerance = scan_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

OpTestRow count_nonzero_row() {
  OpTestRow row;
  row.op = "count_nonzero";
  row.dtypes = kAllDtypes;
  row.samples = reduce_samples;
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::count_nonzero(s.inputs[0], IntList(s.dims))}; };
  row.reference = [](const Sample& s) {
    auto fold = [](const std::vector<double>& v) {
      return static_cast<double>(std::count_if(v.begin(), v.end(), [](double e) { return e != 0; }));
    };
    return std::vector<RefTensor>{reduce(RefTensor::of(s.inputs[0]), s.dims, false, kInt64, fold)};
  };
  return row;
}

// aminmax over at most one dim (Sample::dims[0]) or everything (the size-0 sample reduces its non-empty dim).
OpTestRow aminmax_row() {
  OpTestRow row;
  row.op = "aminmax";
  row.dtypes = kAllDtypes;
  row.samples = reduce_samples;
  row.run = [](const Sample& s) {
    const std::optional<int64_t> dim = s.dims.empty() ? std::nullopt : std::optional<int64_t>(s.dims[0]);
    auto [lo, hi] = reel::aminmax(s.inputs[0], dim, s.keepdim);
    return std::vector<Tensor>{lo, hi};
  };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    return std::vector<RefTensor>{reduce(x, s.dims, s.keepdim, x.dtype, ref_min),
                                  reduce(x, s.dims, s.keepdim, x.dtype, ref_max)};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- bincount: Sample::inputs = (x[, weights]), index = minlength ---------------------------------------------------
OpTestRow bincount_row() {
  OpTestRow row;
  row.op = "bincount";
  row.dtypes = kIntegerDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, std::vector<Tensor> inputs, int64_t minlength) {
      out.push_back(make_sample(std::move(description), std::move(inputs), dtype, device));
      out.back().index = minlength;
    };
    const Tensor x = m.values({8}, {1, 4, 1, 0, 6, 4, 1, 3});
    add("counts", {x}, 0);
    add("minlength beyond the largest value", {x}, 10);
    add("step-2 slice", {m.make({9}, Domain{0, 5}, Layout::Strided)}, 0);
    add("empty, minlength 3", {m.make({0})}, 3);
    add("empty", {m.make({0})}, 0);
    add("float32 weights", {x, m.make({8}, kFloat32)}, 0);
    add("float64 weights, minlength 9", {x, m.make({8}, kFloat64)}, 9);
    add("int32 weights (summed as float64)", {x, m.make({8}, kInt32, Domain{-3, 3})}, 0);
    return out;
  };
  row.run = [](const Sample& s) {
    const Tensor weights = s.inputs.size() > 1 ? s.inputs[1] : Tensor();
    return std::vector<Tensor>{reel::bincount(s.inputs[0], weights, s.index)};
  };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    int64_t length = s.index;
    for (double v : x.values) length = std::max(length, static_cast<int64_t>(v) + 1);
    std::vector<double> bins(static_cast<size_t>(length), 0);
    ScalarType dtype = kInt64;
    if (s.inputs.size() > 1) {
      const RefTensor w = RefTensor::of(s.inputs[1]);
      dtype = w.dtype == kFloat32 ? kFloat32 : kFloat64;
      for (size_t i = 0; i < x.values.size(); ++i) bins[static_cast<size_t>(x.values[i])] += w.values[i];
    } else {
      for (double v : x.values) bins[static_cast<size_t>(v)] += 1;
    }
    return std::vector<RefTensor>{RefTensor({length}, bins, dtype)};
  };
  row.tolerance = scan_tolerance;
  return row;
}

// ---- histc: Sample::index = bins, scalar / scalar2 = min / max ---------------------------------------------------
OpTestRow histc_row() {
  OpTestRow row;
  row.op = "histc";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor x, int64_t bins, double lo, double hi) {
      out.push_back(along(std::move(description), std::move(x), 0, dtype, device));
      out.back().index = bins;
      out.back().scalar = lo;
      out.back().scalar2 = hi;
    };
    const Tensor x = m.values({2, 5}, {0.25, 1, 3.5, -2, 4, 2.25, 0.75, 3.75, 9, 1.25});
    add("range [0, 4], the max in the last bin, outside ignored", x, 4, 0, 4);
    add("the data's range (min = max = 0)", x, 5, 0, 0);
    add("transposed, 3 bins over [-1, 2]", m.make({3, 4}, Domain{-2, 2}, Layout::Transposed), 3, -1, 2);
    add("step-2 slice, default 100 bins", m.make({3, 6}, Domain{-2, 2}, Layout::Strided), 100, 0, 0);
    add("one value: range widened to [v - 1, v + 1]", m.values({3}, {2, 2, 2}), 4, 0, 0);
    add("empty", m.make({0}), 6, 0, 0);
    add("0-dim", m.values({}, {0.5}), 2, 0, 1);
    add("NaN ignored", m.values({4}, {kNaN, 0.5, 1.5, kNaN}), 2, 0, 2);
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{reel::histc(s.inputs[0], s.index, *s.scalar, *s.scalar2)};
  };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    double lo = s.scalar->to_double(), hi = s.scalar2->to_double();
    if (lo == hi && !x.values.empty()) {
      lo = ref_min(x.values);
      hi = ref_max(x.values);
    }
    if (lo == hi) {
      lo -= 1;
      hi += 1;
    }
    std::vector<double> bins(static_cast<size_t>(s.index), 0);
    for (double v : x.values) {
      if (!(v >= lo && v <= hi)) continue;
      const int64_t b = std::min<int64_t>(s.index - 1, static_cast<int64_t>(std::floor((v - lo) * static_cast<double>(s.index) / (hi - lo))));
      bins[static_cast<size_t>(b)] += 1;
    }
    return std::vector<RefTensor>{RefTensor({s.index}, bins, x.dtype)};
  };
  return row;
}

// ---- searchsorted / bucketize: inputs (sorted sequence, values); flag = right, keepdim = out_int32 ---------------
OpTestRow search_row(bool bucketize) {
  OpTestRow row;
  row.op = bucketize ? "bucketize" : "searchsorted";
  row.dtypes = kNumericDtypes;
  row.samples = [bucketize](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor seq, Tensor values, bool right, bool out_int32) {
      out.push_back(make_sample(std::move(description), {std::move(seq), std::move(values)}, dtype, device));
      out.back().flag = right;
      out.back().keepdim = out_int32;
    };
    const Tensor seq = m.values({6}, {0, 1, 1, 3, 5, 8});
    const Tensor values = m.values({2, 4}, {1, 0, 9, 4, 3, 8, 2, 5});
    for (bool right : {false, true}) {
      add(std::string("1-D sequence, right = ") + (right ? "true" : "false"), seq, values, right, false);
      add("int32 out, transposed values", seq, m.values({4, 2}, {1, 0, 9, 4, 3, 8, 2, 5}, std::nullopt,
                                                         Layout::Transposed), right, true);
    }
    add("step-2 slice of values", seq, m.make({2, 5}, Domain{0, 8}, Layout::Strided), false, false);
    add("empty values", seq, m.make({0, 3}), false, false);
    add("0-dim value", seq, m.values({}, {3}), true, false);
    add("float64 values promote the sequence", seq, m.values({3}, {0.5, 1, 7.5}, kFloat64), false, false);
    if (is_float(dtype)) add("NaN lands after everything", seq, m.values({2}, {kNaN, 2}), false, false);
    if (!bucketize) {
      add("one row per leading index", m.values({2, 3}, {0, 2, 4, 1, 1, 6}), m.values({2, 2}, {2, 5, 1, 0}), false, false);
      add("rows, right", m.values({2, 3}, {0, 2, 4, 1, 1, 6}), m.values({2, 2}, {2, 5, 1, 0}), true, true);
      // a third input: the sorter of unsorted rows; the run passes side "right" / "left" instead of `right`
      for (bool right : {false, true}) {
        add(std::string("unsorted rows with a sorter, side ") + (right ? "right" : "left"),
            m.values({2, 3}, {4, 0, 2, 6, 1, 1}), m.values({2, 2}, {2, 5, 1, 0}), right, false);
        out.back().inputs.push_back(m.values({2, 3}, {1, 2, 0, 1, 2, 0}, kInt64));
      }
    }
    return out;
  };
  row.run = [bucketize](const Sample& s) {
    const Tensor& seq = s.inputs[0];
    const Tensor& values = s.inputs[1];
    if (s.inputs.size() == 3)
      return std::vector<Tensor>{reel::searchsorted(seq, values, s.keepdim, false, s.flag ? "right" : "left", s.inputs[2])};
    return std::vector<Tensor>{bucketize ? reel::bucketize(values, seq, s.keepdim, s.flag)
                                         : reel::searchsorted(seq, values, s.keepdim, s.flag)};
  };
  row.reference = [](const Sample& s) {
    // with a sorter, each row of the sequence read in the sorter's order
    const RefTensor seq = s.inputs.size() == 3 ? ref_gather(RefTensor::of(s.inputs[0]), 1, RefTensor::of(s.inputs[2]))
                                               : RefTensor::of(s.inputs[0]);
    const RefTensor values = RefTensor::of(s.inputs[1]);
    const int64_t n = seq.shape.back();
    std::vector<double> out;
    for (int64_t e = 0; e < values.numel(); ++e) {
      const double v = values.values[static_cast<size_t>(e)];
      const int64_t row = seq.dim() == 1 ? 0 : e / values.shape.back();
      int64_t k = 0;
      for (int64_t j = 0; j < n; ++j) {
        const double b = seq.values[static_cast<size_t>(row * n + j)];
        if (std::isnan(v) || (s.flag ? b <= v : b < v)) ++k;
      }
      out.push_back(static_cast<double>(k));
    }
    return std::vector<RefTensor>{RefTensor(values.shape, out, s.keepdim ? kInt32 : kInt64)};
  };
  return row;
}

// ---- the dtype overloads: sum / mean / softmax / log_softmax computed in float64 ---------------------------------
OpTestRow dtype_row(const std::string& op) {
  OpTestRow row;
  row.op = op;
  row.dtypes = op == "sum" ? kAllDtypes : kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    std::vector<Sample> out = reduce_samples(dtype, device);
    for (Sample& s : out) s.dim = s.dims.empty() ? 0 : s.dims[0];
    return out;
  };
  row.run = [op](const Sample& s) {
    const Tensor& x = s.inputs[0];
    if (op == "sum") return std::vector<Tensor>{s.dims.empty() ? x.sum(kFloat64) : reel::sum(x, s.dims, s.keepdim, kFloat64)};
    if (op == "mean") return std::vector<Tensor>{s.dims.empty() ? reel::mean(x, kFloat64) : x.mean(s.dims, s.keepdim, kFloat64)};
    if (op == "softmax") return std::vector<Tensor>{reel::softmax(x, s.dim, kFloat64)};
    return std::vector<Tensor>{x.log_softmax(s.dim, kFloat64)};
  };
  row.reference = [op](const Sample& s) {
    const RefTensor x = cast(RefTensor::of(s.inputs[0]), kFloat64);
    if (op == "softmax" || op == "log_softmax") return std::vector<RefTensor>{ref_softmax(x, s.dim, op == "log_softmax")};
    const bool keepdim = s.dims.empty() ? false : s.keepdim;
    auto fold = [op](const std::vector<double>& v) { return op == "sum" ? ref_sum(v) : v.empty() ? kNaN : ref_sum(v) / v.size(); };
    return std::vector<RefTensor>{reduce(x, s.dims, keepdim, kFloat64, fold)};
  };
  row.tolerance = scan_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

void add_scan_search_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(scan_row(Scan::Sum));
  rows.push_back(scan_row(Scan::Prod));
  rows.push_back(scan_row(Scan::LogSumExp));
  rows.push_back(cumulative_extreme_row(true));
  rows.push_back(cumulative_extreme_row(false));
  rows.push_back(nansum_row());
  rows.push_back(count_nonzero_row());
  rows.push_back(aminmax_row());
  rows.push_back(bincount_row());
  rows.push_back(histc_row());
  rows.push_back(search_row(false));
  rows.push_back(search_row(true));
  for (const char* op : {"sum", "mean", "softmax", "log_softmax"}) rows.push_back(dtype_row(op));
}

}  // namespace

REEL_OP_TABLE_ROWS(add_scan_search_rows);

}  // namespace reel::test
