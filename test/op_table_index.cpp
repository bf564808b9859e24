// reel/test/op_table_index.cpp — op-table rows of the index ops: index_select, gather, scatter,
// scatter_add, index_add, one_hot and embedding.
//
// Index tensors are int64 (int32 where PyTorch also takes it) with repeated values where the op allows
// them. scatter writes each position at most once (distinct indices per line), since with clashes the
// winner is unspecified; scatter_add and index_add use clashing indices on purpose.
#include <algorithm>
#include <cmath>

#include "test/op_table.h"

namespace reel::test {

namespace {

// Sums of a few clashing terms.
Tolerance accumulate_tolerance(ScalarType dtype) {
  Tolerance t = default_tolerance(dtype);
  if (is_float(dtype)) t.atol = std::max(t.atol, 4 * t.rtol);
  return t;
}

Scalar alpha_for(ScalarType dtype) { return is_float(dtype) ? Scalar(0.5) : Scalar(int64_t{2}); }

// ---- index_select: y[..., i, ...] = x[..., index[i], ...] --------------------------------------------------
OpTestRow index_select_row() {
  OpTestRow row;
  row.op = "index_select";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor x, int64_t dim, Tensor index) {
      out.push_back(make_sample(std::move(description), {std::move(x), std::move(index)}, dtype, device, dim));
    };
    add("dim 0 of [4, 3], repeated indices", m.make({4, 3}), 0, m.indices({5}, 4));
    add("dim 1 of [4, 3]", m.make({4, 3}), 1, m.indices({2}, 3));
    add("dim -1 of [2, 5, 3]", m.make({2, 5, 3}), -1, m.indices({4}, 3));
    add("dim 1 of [2, 5, 3]", m.make({2, 5, 3}), 1, m.indices({3}, 5));
    add("int32 index", m.make({4, 3}), 0, m.values({3}, {3, 0, 3}, kInt32));
    add("0-dim index", m.make({4, 3}), 0, m.values({}, {2}, kInt64));
    add("empty index", m.make({4, 3}), 0, m.indices({0}, 4));
    add("transposed x, step-2 slice index", m.make({4, 3}, Domain{}, Layout::Transposed), 0,
        m.indices({3}, 4, Layout::Strided));
    add("size-0 x [0, 3] along dim 1", m.make({0, 3}), 1, m.indices({2}, 3));
    add("large [300, 200] along dim 0", m.make({300, 200}), 0, m.indices({150}, 300));
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::index_select(s.inputs[0], s.dim, s.inputs[1])}; };
  row.reference = [](const Sample& s) {
    return std::vector<RefTensor>{ref_index_select(RefTensor::of(s.inputs[0]), s.dim, RefTensor::of(s.inputs[1]))};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- gather: y[i][j] = x[i][index[i][j]] (dim 1) ------------------------------------------------------------------
OpTestRow gather_row() {
  OpTestRow row;
  row.op = "gather";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor x, int64_t dim, Tensor index) {
      out.push_back(make_sample(std::move(description), {std::move(x), std::move(index)}, dtype, device, dim));
    };
    add("dim 1 of [3, 4], index [3, 2]", m.make({3, 4}), 1, m.indices({3, 2}, 4));
    add("dim 0 of [3, 4], index [5, 4]", m.make({3, 4}), 0, m.indices({5, 4}, 3));
    add("index smaller than x in the other dim", m.make({3, 4}), 1, m.indices({2, 6}, 4));
    add("dim -1 of [2, 3, 4]", m.make({2, 3, 4}), -1, m.indices({2, 3, 2}, 4));
    add("transposed x, step-2 slice index", m.make({3, 4}, Domain{}, Layout::Transposed), 1,
        m.indices({3, 3}, 4, Layout::Strided));
    add("empty index [3, 0]", m.make({3, 4}), 1, m.indices({3, 0}, 4));
    add("large [300, 200] along dim 1", m.make({300, 200}), 1, m.indices({300, 100}, 200));
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::gather(s.inputs[0], s.dim, s.inputs[1])}; };
  row.reference = [](const Sample& s) {
    return std::vector<RefTensor>{ref_gather(RefTensor::of(s.inputs[0]), s.dim, RefTensor::of(s.inputs[1]))};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- scatter / scatter_add: y = x; y[i][index[i][j]] (=|+=) src[i][j] (dim 1) --------------------------------------
// Inputs: x, index, src; the value form of scatter has no src and Sample::scalar holds the value.
OpTestRow scatter_row(bool add_values) {
  OpTestRow row;
  row.op = add_values ? "scatter_add" : "scatter";
  row.dtypes = add_values ? kNumericDtypes : kAllDtypes;
  row.samples = [add_values](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    // scatter needs distinct targets per line; scatter_add wants clashes.
    auto index = [&](const Shape& shape, int64_t dim, int64_t bound) {
      return add_values ? m.indices(shape, bound) : m.distinct_indices(shape, dim, bound);
    };
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor x, int64_t dim, Tensor idx, Tensor src) {
      out.push_back(make_sample(std::move(description), {std::move(x), std::move(idx), std::move(src)}, dtype,
                                device, dim));
    };
    add("dim 1 of [3, 4], index [3, 2]", m.make({3, 4}), 1, index({3, 2}, 1, 4), m.make({3, 2}));
    add("dim 0 of [4, 3], index [2, 3]", m.make({4, 3}), 0, index({2, 3}, 0, 4), m.make({2, 3}));
    add("src larger than index", m.make({3, 4}), 1, index({2, 2}, 1, 4), m.make({3, 3}));
    add("dim -1 of [2, 3, 4]", m.make({2, 3, 4}), -1, index({2, 3, 3}, 2, 4), m.make({2, 3, 3}));
    add("transposed x, step-2 slice src", m.make({3, 4}, Domain{}, Layout::Transposed), 1, index({3, 3}, 1, 4),
        m.make({3, 3}, Domain{}, Layout::Strided));
    add("empty index", m.make({3, 4}), 1, index({3, 0}, 1, 4), m.make({3, 0}));
    add("large [300, 200] along dim 1", m.make({300, 200}), 1, index({300, 50}, 1, 200), m.make({300, 50}));
    if (!add_values) {
      out.push_back(make_sample("scatter a value", {m.make({3, 4}), index({3, 2}, 1, 4)}, dtype, device, 1));
      out.back().scalar = dtype == kBool ? Scalar(true) : is_float(dtype) ? Scalar(-1.5) : Scalar(int64_t{2});
    }
    return out;
  };
  row.run = [add_values](const Sample& s) {
    if (s.scalar) return std::vector<Tensor>{reel::scatter(s.inputs[0], s.dim, s.inputs[1], *s.scalar)};
    return std::vector<Tensor>{add_values ? reel::scatter_add(s.inputs[0], s.dim, s.inputs[1], s.inputs[2])
                                          : reel::scatter(s.inputs[0], s.dim, s.inputs[1], s.inputs[2])};
  };
  row.reference = [add_values](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    const RefTensor src = s.scalar ? RefTensor({}, {cast_value(s.scalar->to_double(), x.dtype)}, x.dtype)
                                   : RefTensor::of(s.inputs[2]);
    return std::vector<RefTensor>{ref_scatter(x, s.dim, RefTensor::of(s.inputs[1]), src, add_values)};
  };
  row.tolerance = accumulate_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 2};  // x and src (absent in the value form)
  return row;
}

// ---- index_add: y = x; y[..., index[i], ...] += alpha * source[..., i, ...] -----------------------------------------
// Sample::scalar is alpha (1 when absent).
OpTestRow index_add_row() {
  OpTestRow row;
  row.op = "index_add";
  row.dtypes = kNumericDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor x, int64_t dim, Tensor index, Tensor source,
                   std::optional<Scalar> alpha = std::nullopt) {
      out.push_back(make_sample(std::move(description), {std::move(x), std::move(index), std::move(source)}, dtype,
                                device, dim));
      out.back().scalar = alpha;
    };
    add("dim 0 of [5, 3], clashing indices", m.make({5, 3}), 0, m.indices({4}, 5), m.make({4, 3}));
    add("dim 1 of [3, 5]", m.make({3, 5}), 1, m.indices({2}, 5), m.make({3, 2}));
    add("with alpha", m.make({5, 3}), 0, m.indices({4}, 5), m.make({4, 3}), alpha_for(dtype));
    add("int32 index", m.make({5, 3}), 0, m.values({2}, {4, 4}, kInt32), m.make({2, 3}));
    add("transposed x, step-2 slice source", m.make({5, 3}, Domain{}, Layout::Transposed), 0, m.indices({3}, 5),
        m.make({3, 3}, Domain{}, Layout::Strided));
    add("1-d x [5]", m.make({5}), 0, m.indices({3}, 5), m.make({3}));
    add("empty index", m.make({5, 3}), 0, m.indices({0}, 5), m.make({0, 3}));
    add("large [300, 200] along dim 0", m.make({300, 200}), 0, m.indices({100}, 300), m.make({100, 200}));
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{
        reel::index_add(s.inputs[0], s.dim, s.inputs[1], s.inputs[2], s.scalar.value_or(Scalar(int64_t{1})))};
  };
  row.reference = [](const Sample& s) {
    const double alpha = s.scalar ? s.scalar->to_double() : 1.0;
    return std::vector<RefTensor>{ref_index_add(RefTensor::of(s.inputs[0]), s.dim, RefTensor::of(s.inputs[1]),
                                                RefTensor::of(s.inputs[2]), alpha)};
  };
  row.tolerance = accumulate_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 2};
  return row;
}

// ---- one_hot: y[..., c] = (x[...] == c), int64 ------------------------------------------------------------------
// Sample::index is num_classes (-1: max + 1).
OpTestRow one_hot_row() {
  OpTestRow row;
  row.op = "one_hot";
  row.dtypes = {kInt64};
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor index, int64_t classes) {
      out.push_back(make_sample(std::move(description), {std::move(index)}, dtype, device));
      out.back().index = classes;
    };
    add("[4], 3 classes", m.indices({4}, 3), 3);
    add("[2, 3], classes inferred", m.values({2, 3}, {0, 4, 2, 1, 1, 0}), -1);
    add("0-dim, 5 classes", m.values({}, {3}), 5);
    add("empty [0], 4 classes", m.indices({0}, 4), 4);
    add("step-2 slice [3]", m.indices({3}, 6, Layout::Strided), 6);
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::one_hot(s.inputs[0], s.index)}; };
  row.reference = [](const Sample& s) {
    return std::vector<RefTensor>{ref_one_hot(RefTensor::of(s.inputs[0]), s.index)};
  };
  return row;
}

// ---- embedding: y[..., :] = weight[index[...], :] -------------------------------------------------------------------
OpTestRow embedding_row() {
  OpTestRow row;
  row.op = "embedding";
  row.dtypes = kNumericDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor weight, Tensor index) {
      out.push_back(make_sample(std::move(description), {std::move(weight), std::move(index)}, dtype, device));
    };
    add("[5, 3] weight, [2, 3] index", m.make({5, 3}), m.indices({2, 3}, 5));
    add("1-d index with repeats", m.make({5, 3}), m.values({4}, {1, 1, 4, 0}, kInt64));
    add("0-dim index", m.make({5, 3}), m.values({}, {2}, kInt64));
    add("int32 index", m.make({5, 3}), m.values({2}, {4, 0}, kInt32));
    add("empty index", m.make({5, 3}), m.indices({0}, 5));
    add("transposed weight, step-2 slice index", m.make({5, 3}, Domain{}, Layout::Transposed),
        m.indices({4}, 5, Layout::Strided));
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::embedding(s.inputs[0], s.inputs[1])}; };
  row.reference = [](const Sample& s) {
    const RefTensor weight = RefTensor::of(s.inputs[0]);
    const RefTensor index = RefTensor::of(s.inputs[1]);
    const RefTensor flat({index.numel()}, index.values, index.dtype);
    RefTensor rows = ref_index_select(weight, 0, flat);
    Shape shape = index.shape;
    shape.push_back(weight.shape[1]);
    return std::vector<RefTensor>{RefTensor(shape, rows.values, weight.dtype)};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

void add_index_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(index_select_row());
  rows.push_back(gather_row());
  rows.push_back(scatter_row(false));
  rows.push_back(scatter_row(true));
  rows.push_back(index_add_row());
  rows.push_back(one_hot_row());
  rows.push_back(embedding_row());
}

}  // namespace

REEL_OP_TABLE_ROWS(add_index_rows);

}  // namespace reel::test
