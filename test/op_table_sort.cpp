// reel/test/op_table_sort.cpp — op-table rows of sorting and selection: sort (any order of ties, and stable),
// argsort, topk, kthvalue, median, nanmedian, mode, unique and unique_consecutive.
//
// Ties may come back in any order (except from a stable sort), so a row returns the values and x gathered at the
// returned indices: both must equal the reference values whatever index a tie picked; sort's check also asks that
// each row of indices is a permutation. Integer samples draw from a few values, so they are full of ties; float
// samples are distinct (smooth for the gradient checks) except the samples that say otherwise.
#include <catch2/catch.hpp>

#include "test/sort_reference.h"

namespace reel::test {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A sample of one input along `dim`; the other Sample fields are set by each row.
Sample along(std::string description, Tensor x, int64_t dim, ScalarType dtype, Device device, bool keepdim = false) {
  Sample s = make_sample(std::move(description), {std::move(x)}, dtype, device, dim);
  s.keepdim = keepdim;
  return s;
}

// The shapes and layouts every row along a dim runs: dims -1, 1 and 0, transposed and step-2 inputs, size-0
// inputs, a 0-dim and a 1-D input, and a larger one split across threads. `empty_dim`: also a dim of size 0.
std::vector<Sample> dim_samples(ScalarType dtype, Device device, bool empty_dim) {
  InputMaker m(dtype, device);
  const Domain d = is_float(dtype) ? Domain{-2, 2} : Domain{-3, 3};
  std::vector<Sample> out;
  out.push_back(along("dim -1 of [2, 3, 4]", m.make({2, 3, 4}, d), -1, dtype, device));
  out.push_back(along("dim 1 of [2, 3, 4], keepdim", m.make({2, 3, 4}, d), 1, dtype, device, true));
  out.push_back(along("dim 0 of [3, 2]", m.make({3, 2}, d), 0, dtype, device));
  out.push_back(along("dim 0 of transposed [3, 4]", m.make({3, 4}, d, Layout::Transposed), 0, dtype, device));
  out.push_back(along("dim 1 of step-2 slice [2, 5]", m.make({2, 5}, d, Layout::Strided), 1, dtype, device));
  out.push_back(along("size-0 [0, 3] along dim 1", m.make({0, 3}, d), 1, dtype, device));
  if (empty_dim) out.push_back(along("[2, 0] along dim 1 (empty rows)", m.make({2, 0}, d), 1, dtype, device));
  out.push_back(along("0-dim", m.make({}, d), 0, dtype, device));
  out.push_back(along("0-dim, dim -1, keepdim", m.make({}, d), -1, dtype, device, true));
  out.push_back(along("1-D [7]", m.make({7}, d), 0, dtype, device));
  out.push_back(along("large [64, 700] along dim 1 (several threads)", m.make({64, 700}, d), 1, dtype, device));
  if (is_float(dtype)) {
    out.push_back(along("NaN, inf and ties", m.values({2, 5}, {1, kNaN, -1, 1, 3, INFINITY, 0, -INFINITY, kNaN, 0}), 1,
                        dtype, device));
    out.back().smooth = false;
  }
  return out;
}

int64_t wrapped(const Sample& s) {
  const int64_t rank = s.inputs[0].dim();
  return s.dim < 0 ? s.dim + std::max<int64_t>(rank, 1) : s.dim;
}

// ---- sort: (values, x at the indices); Sample::flag = descending ---------------------------------------------
OpTestRow sort_row() {
  OpTestRow row;
  row.op = "sort";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    std::vector<Sample> out = dim_samples(dtype, device, true);
    for (size_t i = 0; i < out.size(); ++i) out[i].flag = i % 2 == 1;  // every other sample descending
    return out;
  };
  row.run = [](const Sample& s) {
    auto [values, indices] = reel::sort(s.inputs[0], s.dim, s.flag);
    return std::vector<Tensor>{values, picked(s.inputs[0], s.dim, indices, false, false)};
  };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    const int64_t dim = wrapped(s);
    std::vector<std::vector<double>> rows = split_rows(x, dim);
    for (auto& r : rows) {
      const std::vector<int64_t> order = ref_order(r, s.flag);
      std::vector<double> sorted;
      for (int64_t j : order) sorted.push_back(r[static_cast<size_t>(j)]);
      r = sorted;
    }
    const int64_t n = x.dim() == 0 ? 1 : x.shape[static_cast<size_t>(dim)];
    const RefTensor y = join_rows(rows, x.shape, dim, n, x.dtype);
    return std::vector<RefTensor>{y, y};
  };
  row.check = [](const Sample& s, const std::vector<Tensor>&) {
    // Each row of indices is a permutation of 0..n-1.
    const Tensor indices = std::get<1>(reel::sort(s.inputs[0], s.dim, s.flag));
    const int64_t dim = wrapped(s);
    for (auto& r : split_rows(RefTensor::of(indices), dim)) {
      std::sort(r.begin(), r.end());
      for (size_t j = 0; j < r.size(); ++j) CHECK(r[j] == static_cast<double>(j));
    }
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- argsort (non-stable): x at the indices is x sorted; Sample::flag = descending ---------------------------------
OpTestRow argsort_row() {
  OpTestRow row = sort_row();
  row.op = "argsort";
  row.run = [](const Sample& s) {
    const Tensor indices = s.flag ? s.inputs[0].argsort(s.dim, true) : reel::argsort(s.inputs[0], s.dim);
    return std::vector<Tensor>{picked(s.inputs[0], s.dim, indices, false, false)};
  };
  const OpTestRow::ReferenceFn sorted = row.reference;
  row.reference = [sorted](const Sample& s) { return std::vector<RefTensor>{sorted(s)[0]}; };
  row.check = nullptr;
  row.differentiable = false;
  row.grad_inputs = {};
  return row;
}

// ---- stable sort: the indices exactly (ties in input order); Sample::flag = descending -------------------------
OpTestRow stable_sort_row() {
  OpTestRow row;
  row.op = "sort";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    const std::vector<double> ties = {1, 0, 1, 1, 0, 2, 2, 0, 1, 1, 0, 2};
    for (bool descending : {false, true}) {
      out.push_back(along("ties along dim 1 of [3, 4]", m.values({3, 4}, ties), 1, dtype, device));
      out.back().flag = descending;
      out.back().smooth = false;
      out.push_back(along("ties along dim 0 of transposed [4, 3]", m.values({4, 3}, ties, std::nullopt,
                                                                            Layout::Transposed), 0, dtype, device));
      out.back().flag = descending;
      out.back().smooth = false;
    }
    out.push_back(along("distinct values, dim -1", m.make({2, 4}, Domain{-2, 2}), -1, dtype, device));
    out.back().smooth = is_float(dtype);
    out.push_back(along("size-0 [0, 2] along dim 0", m.make({0, 2}), 0, dtype, device));
    return out;
  };
  row.run = [](const Sample& s) {
    auto [values, indices] = reel::sort(s.inputs[0], /*stable=*/std::optional<bool>(true), s.dim, s.flag);
    return std::vector<Tensor>{values, indices};
  };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    const int64_t dim = wrapped(s);
    std::vector<std::vector<double>> values = split_rows(x, dim), indices = values;
    for (size_t r = 0; r < values.size(); ++r) {
      const std::vector<int64_t> order = ref_order(values[r], s.flag);
      const std::vector<double> row_values = values[r];
      for (size_t j = 0; j < order.size(); ++j) {
        values[r][j] = row_values[static_cast<size_t>(order[j])];
        indices[r][j] = static_cast<double>(order[j]);
      }
    }
    const int64_t n = x.shape[static_cast<size_t>(dim)];
    return std::vector<RefTensor>{join_rows(values, x.shape, dim, n, x.dtype), join_rows(indices, x.shape, dim, n, kInt64)};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- topk: Sample::index = k, flag = largest, length = sorted --------------------------------------------------
OpTestRow topk_row() {
  OpTestRow row;
  row.op = "topk";
  row.dtypes = kNumericDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    std::vector<Sample> out;
    int i = 0;
    for (Sample& s : dim_samples(dtype, device, true)) {
      const int64_t n = s.inputs[0].dim() == 0 ? 1 : s.inputs[0].size(wrapped(s));
      s.index = std::min<int64_t>(n, 1 + i % 3);
      s.flag = i % 2 == 0;
      s.length = i % 3 != 2;
      ++i;
      out.push_back(std::move(s));
    }
    out.push_back(out.front());
    out.back().index = 0;
    out.back().description = "k = 0";
    return out;
  };
  row.run = [](const Sample& s) {
    auto [values, indices] = reel::topk(s.inputs[0], s.index, s.dim, s.flag, s.length != 0);
    Tensor at = picked(s.inputs[0], s.dim, indices, false, false);
    if (s.length == 0) {  // unsorted: any order, so compare in sorted order
      values = std::get<0>(reel::sort(values, s.dim, s.flag));
      at = std::get<0>(reel::sort(at, s.dim, s.flag));
    }
    return std::vector<Tensor>{values, at};
  };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    const int64_t dim = wrapped(s);
    std::vector<std::vector<double>> rows = split_rows(x, dim);
    for (auto& r : rows) {
      const std::vector<int64_t> order = ref_order(r, s.flag);
      std::vector<double> top;
      for (int64_t j = 0; j < s.index; ++j) top.push_back(r[static_cast<size_t>(order[static_cast<size_t>(j)])]);
      r = top;
    }
    const RefTensor y = join_rows(rows, x.shape, dim, s.index, x.dtype);
    return std::vector<RefTensor>{y, y};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- kthvalue / median / nanmedian / mode: one value per row --------------------------------------------------
enum class Pick { Kth, Median, NanMedian, Mode };

double ref_pick(Pick which, std::vector<double> r, int64_t k) {
  if (which == Pick::Mode) {
    std::stable_sort(r.begin(), r.end(), ref_less);
    double best = r[0];
    int64_t best_count = 0;
    for (size_t a = 0; a < r.size();) {
      size_t b = a + 1;
      while (b < r.size() && r[b] == r[a]) ++b;  // NaN != NaN: each NaN is a run of its own
      if (static_cast<int64_t>(b - a) > best_count) {
        best_count = static_cast<int64_t>(b - a);
        best = r[a];
      }
      a = b;
    }
    return best;
  }
  if (which == Pick::Median && std::any_of(r.begin(), r.end(), [](double v) { return std::isnan(v); })) return kNaN;
  if (which == Pick::NanMedian) {
    r.erase(std::remove_if(r.begin(), r.end(), [](double v) { return std::isnan(v); }), r.end());
    if (r.empty()) return kNaN;
  }
  std::stable_sort(r.begin(), r.end(), ref_less);
  const int64_t rank = which == Pick::Kth ? k - 1 : (static_cast<int64_t>(r.size()) - 1) / 2;
  return r[static_cast<size_t>(rank)];
}

// Sample::index = k (kthvalue); median and nanmedian also run their full form when Sample::flag is set.
OpTestRow pick_row(const std::string& name, Pick which, std::vector<ScalarType> dtypes) {
  OpTestRow row;
  row.op = name;
  row.dtypes = std::move(dtypes);
  row.samples = [which](ScalarType dtype, Device device) {
    std::vector<Sample> out;
    int i = 0;
    for (Sample& s : dim_samples(dtype, device, false)) {
      const int64_t n = s.inputs[0].dim() == 0 ? 1 : s.inputs[0].size(wrapped(s));
      s.index = 1 + (i++ % std::max<int64_t>(n, 1));
      out.push_back(std::move(s));
    }
    if (which == Pick::Median || which == Pick::NanMedian) {
      InputMaker m(dtype, device);
      for (Shape shape : {Shape{2, 3}, Shape{4}, Shape{}, Shape{0}}) {
        if (shape == Shape{0} && !is_float(dtype)) continue;  // PyTorch's NaN for an empty input needs a float
        out.push_back(along("full form over " + shape_text(shape), m.make(shape), 0, dtype, device));
        out.back().flag = true;
      }
      if (is_float(dtype)) {
        out.push_back(along("rows all NaN and half NaN", m.values({2, 4}, {kNaN, kNaN, kNaN, kNaN, 1, kNaN, 3, kNaN}),
                            1, dtype, device));
        out.back().smooth = false;
      }
    }
    return out;
  };
  row.run = [name, which](const Sample& s) {
    const Tensor& x = s.inputs[0];
    if (s.flag) return std::vector<Tensor>{which == Pick::Median ? reel::median(x) : reel::nanmedian(x)};
    std::tuple<Tensor, Tensor> r;
    switch (which) {
      case Pick::Kth: r = reel::kthvalue(x, s.index, s.dim, s.keepdim); break;
      case Pick::Median: r = reel::median(x, s.dim, s.keepdim); break;
      case Pick::NanMedian: r = reel::nanmedian(x, s.dim, s.keepdim); break;
      case Pick::Mode: r = reel::mode(x, s.dim, s.keepdim); break;
    }
    return std::vector<Tensor>{std::get<0>(r), picked(x, s.dim, std::get<1>(r), true, s.keepdim)};
  };
  row.reference = [which](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    if (s.flag) {
      const double v = x.values.empty() ? kNaN : ref_pick(which, x.values, 0);
      return std::vector<RefTensor>{RefTensor({}, {v}, x.dtype)};
    }
    const int64_t dim = wrapped(s);
    std::vector<double> per_row;
    for (const auto& r : split_rows(x, dim)) per_row.push_back(ref_pick(which, r, s.index));
    const RefTensor y = reduced_rows(per_row, x.shape, dim, s.keepdim, x.dtype);
    return std::vector<RefTensor>{y, y};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// unique_consecutive(x, ..., dim): slice i of dim starts a run when it differs anywhere from slice i - 1 (NaN
// differs from itself); (the run starts' slices, the run of each slice, the run lengths).
std::vector<RefTensor> ref_unique_consecutive_dim(const RefTensor& x, int64_t dim) {
  const int64_t d = wrap(dim, x.dim()), n = x.shape[static_cast<size_t>(d)];
  std::vector<double> starts, inverse, counts;
  auto slice_differs = [&](int64_t i) {
    const RefTensor a = ref_select(x, d, i), b = ref_select(x, d, i - 1);
    for (size_t e = 0; e < a.values.size(); ++e)
      if (!(a.values[e] == b.values[e])) return true;
    return false;
  };
  for (int64_t i = 0; i < n; ++i) {
    if (i == 0 || slice_differs(i)) {
      starts.push_back(static_cast<double>(i));
      counts.push_back(0);
    }
    counts.back() += 1;
    inverse.push_back(static_cast<double>(starts.size() - 1));
  }
  const int64_t runs = static_cast<int64_t>(starts.size());
  return {ref_index_select(x, d, RefTensor({runs}, starts, kInt64)), RefTensor({n}, inverse, kInt64),
          RefTensor({runs}, counts, kInt64)};
}

// ---- unique / unique_consecutive: Sample::flag = return_inverse, keepdim = return_counts; unique_consecutive's
// samples with index = 1 pass dim = Sample::dim ------------------------------------------------------------------------
OpTestRow unique_row(bool consecutive) {
  OpTestRow row;
  row.op = consecutive ? "unique_consecutive" : "unique";
  row.dtypes = kAllDtypes;
  row.samples = [consecutive](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    const std::vector<double> repeats = {2, 0, 0, 1, 2, 2, 1, 0, 3, 3, 1, 2};
    auto add = [&](std::string description, Tensor x, bool inverse, bool counts) {
      out.push_back(along(std::move(description), std::move(x), 0, dtype, device));
      out.back().flag = inverse;
      out.back().keepdim = counts;
    };
    add("repeats in [3, 4], values only", m.values({3, 4}, repeats), false, false);
    add("repeats in [3, 4], inverse and counts", m.values({3, 4}, repeats), true, true);
    add("transposed [4, 3], inverse", m.values({4, 3}, repeats, std::nullopt, Layout::Transposed), true, false);
    add("step-2 slice [2, 5], counts", m.make({2, 5}, Domain{-2, 2}, Layout::Strided), false, true);
    add("size-0 [0, 3], inverse and counts", m.make({0, 3}), true, true);
    add("0-dim, inverse and counts", m.make({}), true, true);
    add("random [5, 6]", m.make({5, 6}, Domain{-3, 3}), true, true);
    if (is_float(dtype)) add("NaNs are each their own value", m.values({5}, {1, kNaN, 1, kNaN, 0}), true, true);
    if (consecutive) {
      const std::vector<double> rows = {1, 0, 1, 1, 0, 1, 2, 2, 2, 2, 2, 2, 1, 0, 1};
      auto add_dim = [&](std::string description, Tensor x, int64_t dim) {
        add(std::move(description), std::move(x), true, true);
        out.back().index = 1;
        out.back().dim = dim;
      };
      add_dim("dim 0: runs of equal rows of [5, 3]", m.values({5, 3}, rows), 0);
      add_dim("dim -1 of a transposed [3, 5]", m.values({3, 5}, rows, std::nullopt, Layout::Transposed), -1);
      add_dim("dim 1 of a step-2 [2, 4]", m.values({2, 4}, {1, 1, 0, 0, 1, 1, 2, 2}, std::nullopt, Layout::Strided), 1);
      add_dim("dim 0 of size 0", m.make({0, 3}), 0);
    }
    return out;
  };
  row.run = [consecutive](const Sample& s) {
    auto [values, inverse, counts] =
        consecutive ? reel::unique_consecutive(s.inputs[0], s.flag, s.keepdim,
                                               s.index == 1 ? std::optional<int64_t>(s.dim) : std::nullopt)
                    : reel::unique(s.inputs[0], true, s.flag, s.keepdim);
    return std::vector<Tensor>{values, inverse, counts};
  };
  row.reference = [consecutive](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    if (s.index == 1) return ref_unique_consecutive_dim(x, s.dim);
    std::vector<int64_t> order(x.values.size());
    std::iota(order.begin(), order.end(), int64_t{0});
    if (!consecutive) {
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return ref_less(x.values[static_cast<size_t>(a)], x.values[static_cast<size_t>(b)]);
      });
    }
    std::vector<double> values, counts, inverse(x.values.size());
    for (size_t p = 0; p < order.size(); ++p) {
      const double v = x.values[static_cast<size_t>(order[p])];
      if (p == 0 || !(v == x.values[static_cast<size_t>(order[p - 1])])) {
        values.push_back(v);
        counts.push_back(0);
      }
      counts.back() += 1;
      inverse[static_cast<size_t>(order[p])] = static_cast<double>(values.size() - 1);
    }
    const int64_t u = static_cast<int64_t>(values.size());
    return std::vector<RefTensor>{
        RefTensor({u}, values, x.dtype),
        s.flag ? RefTensor(x.shape, inverse, kInt64) : RefTensor({0}, {}, kInt64),
        s.keepdim ? RefTensor({u}, counts, kInt64) : RefTensor({0}, {}, kInt64)};
  };
  return row;
}

void add_sort_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(sort_row());
  rows.push_back(stable_sort_row());
  rows.push_back(argsort_row());
  rows.push_back(topk_row());
  rows.push_back(pick_row("kthvalue", Pick::Kth, kNumericDtypes));
  rows.push_back(pick_row("median", Pick::Median, kNumericDtypes));
  rows.push_back(pick_row("nanmedian", Pick::NanMedian, kNumericDtypes));
  rows.push_back(pick_row("mode", Pick::Mode, kAllDtypes));
  rows.push_back(unique_row(false));
  rows.push_back(unique_row(true));
}

}  // namespace

REEL_OP_TABLE_ROWS(add_sort_rows);

}  // namespace reel::test
