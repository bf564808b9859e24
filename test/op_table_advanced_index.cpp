// reel/test/op_table_advanced_index.cpp — op-table rows of advanced indexing and the mask / index ops: index,
// index_put, nonzero, argwhere, take, take_along_dim, masked_select, masked_scatter, index_fill, index_copy and
// scatter_reduce.
//
// The references are hand loops over RefTensor written here (never through the op under test): an index list is
// turned into per-dim index tensors (a mask into its true coordinates, found by a loop), broadcast, and each result
// element looked up by PyTorch's placement rule (the index dims in place of adjacent indexed dims, else first).
// index_put without accumulate uses distinct positions (with clashes the winner is unspecified); with accumulate
// the samples clash on purpose.
#include <algorithm>
#include <cmath>

#include "test/op_table.h"

namespace reel::test {

namespace {

Tolerance accumulate_tolerance(ScalarType dtype) {
  Tolerance t = default_tolerance(dtype);
  if (is_float(dtype)) t.atol = std::max(t.atol, 4 * t.rtol);
  return t;
}

bool is_mask_ref(const RefTensor& t) { return t.dtype == kBool || t.dtype == kUInt8; }

// The true coordinates of a mask, one int64 RefTensor per mask dim (row-major order of the true elements).
std::vector<RefTensor> ref_mask_columns(const RefTensor& mask) {
  std::vector<std::vector<double>> columns(static_cast<size_t>(mask.dim()));
  for (const Shape& at : all_indices(mask.shape)) {
    if (mask.at(at) == 0) continue;
    for (size_t k = 0; k < at.size(); ++k) columns[k].push_back(static_cast<double>(at[k]));
  }
  std::vector<RefTensor> out;
  for (auto& c : columns) out.emplace_back(Shape{static_cast<int64_t>(c.size())}, c, kInt64);
  return out;
}

// An index list (nullopt = no index) as (dims, index tensors), masks expanded.
struct RefIndexList {
  Shape dims;
  std::vector<RefTensor> tensors;
};
RefIndexList ref_expand_list(const std::vector<std::optional<RefTensor>>& list) {
  RefIndexList out;
  int64_t dim = 0;
  for (const auto& entry : list) {
    if (!entry) {
      ++dim;
      continue;
    }
    if (is_mask_ref(*entry)) {
      for (RefTensor& column : ref_mask_columns(*entry)) {
        out.dims.push_back(dim++);
        out.tensors.push_back(column);
      }
      continue;
    }
    out.dims.push_back(dim++);
    out.tensors.push_back(*entry);
  }
  return out;
}

// For every result element in row-major order: its position in the result and the element of x it reads.
struct RefIndexWalk {
  Shape result_shape;
  std::vector<std::pair<Shape, Shape>> pairs;  // (result index, x index)
};
RefIndexWalk ref_index_walk(const Shape& x_shape, const RefIndexList& list) {
  Shape b_shape = list.tensors[0].shape;
  for (const RefTensor& t : list.tensors) b_shape = broadcast(b_shape, t.shape);
  bool adjacent = true;
  for (size_t j = 1; j < list.dims.size(); ++j) adjacent &= list.dims[j] == list.dims[j - 1] + 1;
  Shape rest;  // the dims of x without an index
  for (int64_t d = 0; d < static_cast<int64_t>(x_shape.size()); ++d)
    if (std::find(list.dims.begin(), list.dims.end(), d) == list.dims.end()) rest.push_back(d);
  // Result layout: a list of slots, each either ("b", k) or ("x dim", d).
  std::vector<std::pair<bool, int64_t>> slots;  // (is B dim, which)
  if (adjacent) {
    for (int64_t d = 0; d < list.dims[0]; ++d) slots.push_back({false, d});
    for (size_t k = 0; k < b_shape.size(); ++k) slots.push_back({true, static_cast<int64_t>(k)});
    for (int64_t d = list.dims.back() + 1; d < static_cast<int64_t>(x_shape.size()); ++d) slots.push_back({false, d});
  } else {
    for (size_t k = 0; k < b_shape.size(); ++k) slots.push_back({true, static_cast<int64_t>(k)});
    for (int64_t d : rest) slots.push_back({false, d});
  }
  RefIndexWalk walk;
  for (const auto& [is_b, which] : slots) walk.result_shape.push_back(is_b ? b_shape[which] : x_shape[which]);
  for (const Shape& at : all_indices(walk.result_shape)) {
    Shape b(b_shape.size()), source(x_shape.size());
    for (size_t s = 0; s < slots.size(); ++s) {
      if (slots[s].first) b[static_cast<size_t>(slots[s].second)] = at[s];
      else source[static_cast<size_t>(slots[s].second)] = at[s];
    }
    for (size_t j = 0; j < list.dims.size(); ++j) {
      const int64_t size = x_shape[static_cast<size_t>(list.dims[j])];
      int64_t v = static_cast<int64_t>(broadcast_at(list.tensors[j], b));
      if (v < 0) v += size;
      source[static_cast<size_t>(list.dims[j])] = v;
    }
    walk.pairs.push_back({at, source});
  }
  return walk;
}

RefTensor ref_index(const RefTensor& x, const std::vector<std::optional<RefTensor>>& list) {
  const RefIndexWalk walk = ref_index_walk(x.shape, ref_expand_list(list));
  RefTensor out = RefTensor::filled(walk.result_shape, 0, x.dtype);
  for (const auto& [at, source] : walk.pairs) out.at(at) = x.at(source);
  return out;
}

RefTensor ref_index_put(const RefTensor& x, const std::vector<std::optional<RefTensor>>& list, const RefTensor& values,
                        bool accumulate) {
  const RefIndexWalk walk = ref_index_walk(x.shape, ref_expand_list(list));
  RefTensor out = x;
  for (const auto& [at, target] : walk.pairs) {
    const double v = broadcast_at(values, at);
    out.at(target) = cast_value(accumulate ? out.at(target) + v : v, x.dtype);
  }
  return out;
}

// A sample's index list: Sample::ints[i] = -1 for no index, else the position of its tensor in Sample::inputs.
std::vector<std::optional<Tensor>> list_of(const Sample& s) {
  std::vector<std::optional<Tensor>> list;
  for (int64_t k : s.ints) list.push_back(k < 0 ? std::nullopt : std::optional<Tensor>(s.inputs[static_cast<size_t>(k)]));
  return list;
}
std::vector<std::optional<RefTensor>> ref_list_of(const Sample& s) {
  std::vector<std::optional<RefTensor>> list;
  for (int64_t k : s.ints)
    list.push_back(k < 0 ? std::nullopt : std::optional<RefTensor>(RefTensor::of(s.inputs[static_cast<size_t>(k)])));
  return list;
}

// ---- index / index_put ------------------------------------------------------------------------------------------
// Samples of x = inputs[0] indexed by the list in Sample::ints (its tensors in inputs[1..]); index_put has the
// values as inputs[1] (the index tensors after them) and reads Sample::flag as accumulate.
std::vector<Sample> index_samples(ScalarType dtype, Device device, bool put) {
  InputMaker m(dtype, device);
  std::vector<Sample> out;
  auto add = [&](std::string description, std::vector<Tensor> inputs, Shape list, Shape value_shape = {},
                 bool accumulate = false) {
    if (put) {  // the values go second: inputs x, values, index tensors
      inputs.insert(inputs.begin() + 1, m.make(value_shape));
      for (int64_t& k : list)
        if (k > 0) ++k;
    }
    out.push_back(make_sample(std::move(description), std::move(inputs), dtype, device));
    out.back().ints = std::move(list);
    out.back().flag = accumulate;
  };
  // distinct positions (index_put without accumulate), clashes only with accumulate
  add("dim 0 of [5, 3]", {m.make({5, 3}), m.values({3}, {4, 0, 2}, kInt64)}, {1}, {3, 3});
  add("negative indices, dim 1 of [3, 4]", {m.make({3, 4}), m.values({2}, {-1, 1}, kInt64)}, {-1, 1}, {3, 2});
  add("two adjacent indices broadcast [2, 1] x [3]",
      {m.make({4, 5, 2}), m.values({2, 1}, {0, 3}, kInt64), m.values({3}, {1, 4, 2}, kInt64)}, {1, 2}, {2, 3, 2});
  add("separated indices go first", {m.make({3, 2, 4}), m.values({2}, {2, 0}, kInt64), m.values({2}, {3, 1}, kInt64)},
      {1, -1, 2}, {2, 2});
  add("int32 index, 2-d index tensor", {m.make({6, 2}), m.values({2, 2}, {5, 0, 3, 1}, kInt32)}, {1}, {2, 2, 2});
  add("bool mask over two dims", {m.make({3, 4, 2}), m.mask({3, 4})}, {1}, {1, 2});
  add("mask after a None", {m.make({2, 5}), m.values({5}, {1, 0, 1, 1, 0}, kBool)}, {-1, 1}, {3});
  add("0-dim index", {m.make({4, 3}), m.values({}, {2}, kInt64)}, {1}, {3});
  add("transposed x, step-2 index", {m.make({4, 6}, Domain{}, Layout::Transposed),
                                     m.values({3}, {3, 0, 2}, kInt64, Layout::Strided)},
      {1}, {3, 6});
  add("empty index", {m.make({4, 3}), m.indices({0}, 4)}, {1}, {0, 3});
  add("size-0 x", {m.make({0, 3}), m.indices({2}, 3)}, {-1, 1}, {0, 2});
  add("large [300, 64] rows", {m.make({300, 64}), m.distinct_indices({100}, 0, 300)}, {1}, {100, 64});
  if (put) {
    add("broadcast value row", {m.make({5, 3}), m.values({2}, {1, 3}, kInt64)}, {1}, {3});
    add("accumulate with clashes", {m.make({5, 3}), m.values({4}, {1, 3, 1, 1}, kInt64)}, {1}, {4, 3}, true);
    add("accumulate, every dim indexed", {m.make({3, 3}), m.values({3}, {0, 2, 0}, kInt64),
                                          m.values({3}, {1, 1, 1}, kInt64)}, {1, 2}, {3}, true);
  }
  return out;
}

OpTestRow index_row() {
  OpTestRow row;
  row.op = "index";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) { return index_samples(dtype, device, false); };
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::index(s.inputs[0], list_of(s))}; };
  row.reference = [](const Sample& s) {
    return std::vector<RefTensor>{ref_index(RefTensor::of(s.inputs[0]), ref_list_of(s))};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

OpTestRow index_put_row() {
  OpTestRow row;
  row.op = "index_put";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) { return index_samples(dtype, device, true); };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{reel::index_put(s.inputs[0], list_of(s), s.inputs[1], s.flag)};
  };
  row.reference = [](const Sample& s) {
    return std::vector<RefTensor>{
        ref_index_put(RefTensor::of(s.inputs[0]), ref_list_of(s), RefTensor::of(s.inputs[1]), s.flag)};
  };
  row.tolerance = accumulate_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1};
  return row;
}

// ---- nonzero / argwhere: [n, rank] int64 coordinates of the nonzeros ------------------------------------------------
RefTensor ref_nonzero(const RefTensor& x) {
  std::vector<double> values;
  int64_t n = 0;
  for (const Shape& at : all_indices(x.shape)) {
    if (x.at(at) == 0) continue;
    ++n;
    for (int64_t c : at) values.push_back(static_cast<double>(c));
  }
  return RefTensor({n, x.dim()}, values, kInt64);
}

OpTestRow nonzero_row(const char* name) {
  OpTestRow row;
  row.op = name;
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string d, Tensor x) { out.push_back(make_sample(std::move(d), {std::move(x)}, dtype, device)); };
    add("[3, 4] with zeros", m.values({3, 4}, {0, 1, 0, 2, 1, 0, 0, 1, 0, 0, 0, 3}));
    add("1-d", m.values({5}, {1, 0, 0, 1, 1}));
    add("0-dim nonzero", m.values({}, {1}));
    add("0-dim zero", m.values({}, {0}));
    add("all zeros", m.values({2, 2}, {0, 0, 0, 0}));
    add("transposed [4, 3]", m.values({4, 3}, {1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0}, std::nullopt, Layout::Transposed));
    add("empty [0, 3]", m.make({0, 3}));
    add("large [200, 100]", m.make({200, 100}, Domain{-1, 1}));
    return out;
  };
  const bool argwhere = std::string(name) == "argwhere";
  row.run = [argwhere](const Sample& s) {
    return std::vector<Tensor>{argwhere ? reel::argwhere(s.inputs[0]) : reel::nonzero(s.inputs[0])};
  };
  row.reference = [](const Sample& s) { return std::vector<RefTensor>{ref_nonzero(RefTensor::of(s.inputs[0]))}; };
  return row;
}

// ---- take / take_along_dim -----------------------------------------------------------------------------------------
OpTestRow take_row() {
  OpTestRow row;
  row.op = "take";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string d, Tensor x, Tensor i) {
      out.push_back(make_sample(std::move(d), {std::move(x), std::move(i)}, dtype, device));
    };
    add("[3, 4] by a [2, 2] index", m.make({3, 4}), m.values({2, 2}, {11, 0, -1, 5}, kInt64));
    add("transposed x", m.make({3, 4}, Domain{}, Layout::Transposed), m.values({3}, {1, 4, 7}, kInt64));
    add("0-dim x", m.make({}), m.values({2}, {0, -1}, kInt64));
    add("empty index", m.make({3}), m.indices({0}, 3));
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::take(s.inputs[0], s.inputs[1])}; };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]), index = RefTensor::of(s.inputs[1]);
    RefTensor out = RefTensor::filled(index.shape, 0, x.dtype);
    for (int64_t p = 0; p < index.numel(); ++p) {
      int64_t v = static_cast<int64_t>(index.values[static_cast<size_t>(p)]);
      if (v < 0) v += x.numel();
      out.values[static_cast<size_t>(p)] = x.values[static_cast<size_t>(v)];
    }
    return std::vector<RefTensor>{out};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

OpTestRow take_along_dim_row() {
  OpTestRow row;
  row.op = "take_along_dim";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string d, Tensor x, Tensor i, int64_t dim, bool flat) {
      out.push_back(make_sample(std::move(d), {std::move(x), std::move(i)}, dtype, device, dim));
      out.back().flag = flat;
    };
    add("dim 1 of [3, 4], index [3, 2]", m.make({3, 4}), m.indices({3, 2}, 4), 1, false);
    add("broadcast x [1, 4] and index [3, 2]", m.make({1, 4}), m.indices({3, 2}, 4), 1, false);
    add("broadcast index [1, 5] along dim 0 of [3, 4]", m.make({3, 4}), m.indices({5, 1}, 3), 0, false);
    add("no dim: flattened", m.make({2, 3}), m.indices({4}, 6), 0, true);
    add("transposed x", m.make({3, 4}, Domain{}, Layout::Transposed), m.indices({3, 3}, 4), -1, false);
    add("empty index [3, 0]", m.make({3, 4}), m.indices({3, 0}, 4), 1, false);
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{s.flag ? reel::take_along_dim(s.inputs[0], s.inputs[1])
                                      : reel::take_along_dim(s.inputs[0], s.inputs[1], s.dim)};
  };
  row.reference = [](const Sample& s) {
    RefTensor x = RefTensor::of(s.inputs[0]), index = RefTensor::of(s.inputs[1]);
    if (s.flag) {
      x = RefTensor({x.numel()}, x.values, x.dtype);
      index = RefTensor({index.numel()}, index.values, index.dtype);
      return std::vector<RefTensor>{ref_gather(x, 0, index)};
    }
    const int64_t d = wrap(s.dim, x.dim());
    Shape xs = x.shape, is = index.shape;
    xs[static_cast<size_t>(d)] = 1;
    is[static_cast<size_t>(d)] = 1;
    Shape shape = broadcast(xs, is);
    Shape x_shape = shape, i_shape = shape;
    x_shape[static_cast<size_t>(d)] = x.shape[static_cast<size_t>(d)];
    i_shape[static_cast<size_t>(d)] = index.shape[static_cast<size_t>(d)];
    return std::vector<RefTensor>{ref_gather(ref_expand(x, x_shape), d, ref_expand(index, i_shape))};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- masked_select / masked_scatter -------------------------------------------------------------------------------
OpTestRow masked_row(bool scatter) {
  OpTestRow row;
  row.op = scatter ? "masked_scatter" : "masked_select";
  row.dtypes = kAllDtypes;
  row.samples = [scatter](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string d, Tensor x, Tensor mask) {
      std::vector<Tensor> inputs = {std::move(x), std::move(mask)};
      if (scatter) inputs.push_back(m.make({13}));
      out.push_back(make_sample(std::move(d), std::move(inputs), dtype, device));
    };
    add("[3, 4] by a [3, 4] mask", m.make({3, 4}), m.mask({3, 4}));
    add("mask broadcast [4] over [3, 4]", m.make({3, 4}), m.values({4}, {1, 0, 0, 1}, kBool));
    if (!scatter) add("x broadcast [4] under a [3, 4] mask", m.make({4}), m.mask({3, 4}));
    add("transposed x, step-2 mask", m.make({3, 4}, Domain{}, Layout::Transposed), m.mask({3, 4}, Layout::Strided));
    add("0-dim x and mask", m.make({}), m.values({}, {1}, kBool));
    add("all false", m.make({2, 3}), m.values({2, 3}, {0, 0, 0, 0, 0, 0}, kBool));
    add("empty x", m.make({0, 4}), m.mask({0, 4}));
    return out;
  };
  row.run = [scatter](const Sample& s) {
    return std::vector<Tensor>{scatter ? reel::masked_scatter(s.inputs[0], s.inputs[1], s.inputs[2])
                                       : reel::masked_select(s.inputs[0], s.inputs[1])};
  };
  row.reference = [scatter](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]), mask = RefTensor::of(s.inputs[1]);
    const Shape shape = broadcast(x.shape, mask.shape);
    std::vector<double> picked;
    RefTensor out = RefTensor::filled(shape, 0, x.dtype);
    const RefTensor source = scatter ? RefTensor::of(s.inputs[2]) : RefTensor();
    size_t k = 0;
    for (const Shape& at : all_indices(shape)) {
      const bool on = broadcast_at(mask, at) != 0;
      if (on && !scatter) picked.push_back(broadcast_at(x, at));
      out.at(at) = scatter && on ? source.values[k++] : broadcast_at(x, at);
    }
    if (scatter) return std::vector<RefTensor>{out};
    return std::vector<RefTensor>{RefTensor({static_cast<int64_t>(picked.size())}, picked, x.dtype)};
  };
  row.differentiable = true;
  row.grad_inputs = scatter ? std::vector<int>{0, 2} : std::vector<int>{0};
  return row;
}

// ---- index_fill / index_copy ----------------------------------------------------------------------------------------
// index_fill: inputs x, index and (tensor form, Sample::flag) a 0-dim value; Sample::scalar otherwise.
OpTestRow index_fill_row() {
  OpTestRow row;
  row.op = "index_fill";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    const Scalar value = dtype == kBool ? Scalar(true) : is_float(dtype) ? Scalar(-1.5) : Scalar(int64_t{3});
    auto add = [&](std::string d, Tensor x, int64_t dim, Tensor index, bool tensor_value) {
      std::vector<Tensor> inputs = {std::move(x), std::move(index)};
      if (tensor_value) inputs.push_back(m.make({}));
      out.push_back(make_sample(std::move(d), std::move(inputs), dtype, device, dim));
      out.back().flag = tensor_value;
      out.back().scalar = value;
    };
    add("dim 0 of [4, 3]", m.make({4, 3}), 0, m.values({2}, {3, 0}, kInt64), false);
    add("dim -1, negative index", m.make({2, 5}), -1, m.values({2}, {-1, 1}, kInt64), false);
    add("0-dim tensor value", m.make({4, 3}), 1, m.values({1}, {2}, kInt64), true);
    add("transposed x", m.make({3, 4}, Domain{}, Layout::Transposed), 1, m.values({}, {1}, kInt64), false);
    add("empty index", m.make({3, 4}), 0, m.indices({0}, 3), false);
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{s.flag ? reel::index_fill(s.inputs[0], s.dim, s.inputs[1], s.inputs[2])
                                      : reel::index_fill(s.inputs[0], s.dim, s.inputs[1], *s.scalar)};
  };
  row.reference = [](const Sample& s) {
    RefTensor out = RefTensor::of(s.inputs[0]);
    const RefTensor index = RefTensor::of(s.inputs[1]);
    const double value = s.flag ? RefTensor::of(s.inputs[2]).values[0] : cast_value(s.scalar->to_double(), out.dtype);
    const int64_t d = wrap(s.dim, out.dim());
    for (Shape at : all_indices(out.shape)) {
      for (double v : index.values) {
        int64_t i = static_cast<int64_t>(v);
        if (i < 0) i += out.shape[static_cast<size_t>(d)];
        if (at[static_cast<size_t>(d)] == i) out.at(at) = value;
      }
    }
    return std::vector<RefTensor>{out};
  };
  row.differentiable = true;
  row.grad_inputs = {0, 2};
  return row;
}

OpTestRow index_copy_row() {
  OpTestRow row;
  row.op = "index_copy";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string d, Tensor x, int64_t dim, Tensor index, Tensor source) {
      out.push_back(make_sample(std::move(d), {std::move(x), std::move(index), std::move(source)}, dtype, device, dim));
    };
    add("dim 0 of [5, 3]", m.make({5, 3}), 0, m.values({2}, {4, 1}, kInt64), m.make({2, 3}));
    add("dim 1 of [3, 4]", m.make({3, 4}), 1, m.values({3}, {3, 0, 2}, kInt64), m.make({3, 3}));
    add("transposed x, step-2 source", m.make({4, 3}, Domain{}, Layout::Transposed), 0, m.values({2}, {2, 0}, kInt64),
        m.make({2, 3}, Domain{}, Layout::Strided));
    add("empty index", m.make({3, 4}), 0, m.indices({0}, 3), m.make({0, 4}));
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{reel::index_copy(s.inputs[0], s.dim, s.inputs[1], s.inputs[2])};
  };
  row.reference = [](const Sample& s) {
    RefTensor out = RefTensor::of(s.inputs[0]);
    const RefTensor index = RefTensor::of(s.inputs[1]), source = RefTensor::of(s.inputs[2]);
    const size_t d = static_cast<size_t>(wrap(s.dim, out.dim()));
    for (Shape at : all_indices(source.shape)) {
      Shape target = at;
      target[d] = static_cast<int64_t>(index.values[static_cast<size_t>(at[d])]);
      out.at(target) = source.at(at);
    }
    return std::vector<RefTensor>{out};
  };
  row.differentiable = true;
  row.grad_inputs = {0, 2};
  return row;
}

// ---- scatter_reduce: y = x; y[i][index[i][j]] = reduce(...) (dim 1) --------------------------------------------------
// Sample::ints[0]: 0 sum, 1 prod, 2 mean, 3 amax, 4 amin; Sample::flag: include_self.
const char* const kReduceNames[] = {"sum", "prod", "mean", "amax", "amin"};

RefTensor ref_scatter_reduce(const RefTensor& x, int64_t dim, const RefTensor& index, const RefTensor& src,
                             int reduce, bool include_self) {
  const size_t d = static_cast<size_t>(wrap(dim, x.dim()));
  std::vector<std::vector<double>> landed(static_cast<size_t>(x.numel()));
  for (const Shape& at : all_indices(index.shape)) {
    Shape target = at;
    target[d] = static_cast<int64_t>(index.at(at));
    landed[static_cast<size_t>(ravel(target, x.shape))].push_back(src.at(at));
  }
  RefTensor out = x;
  for (size_t p = 0; p < landed.size(); ++p) {
    std::vector<double> values = landed[p];
    if (values.empty()) continue;
    if (include_self) values.insert(values.begin(), x.values[p]);
    double r = 0;
    switch (reduce) {
      case 0: r = ref_sum(values); break;
      case 1: r = ref_prod(values); break;
      case 2:
        r = ref_sum(values) / static_cast<double>(values.size());
        if (!is_float(x.dtype)) r = std::floor(r);
        break;
      case 3: r = ref_max(values); break;
      default: r = ref_min(values); break;
    }
    out.values[p] = cast_value(r, x.dtype);
  }
  return out;
}

OpTestRow scatter_reduce_row() {
  OpTestRow row;
  row.op = "scatter_reduce";
  row.dtypes = kNumericDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string d, Tensor x, int64_t dim, Tensor index, Tensor src, int reduce, bool include_self) {
      out.push_back(make_sample(d + " (" + kReduceNames[reduce] + (include_self ? "" : ", without self") + ")",
                                {std::move(x), std::move(index), std::move(src)}, dtype, device, dim));
      out.back().ints = {reduce};
      out.back().flag = include_self;
    };
    const Domain away_from_zero{-2, 2, 0.5};
    for (int reduce = 0; reduce < 5; ++reduce) {
      for (bool include_self : {true, false}) {
        add("dim 1 of [3, 4], clashing index [3, 5]", m.make({3, 4}, away_from_zero), 1, m.indices({3, 5}, 4),
            m.make({3, 5}, away_from_zero), reduce, include_self);
      }
      add("dim 0, src larger than index", m.make({4, 3}, away_from_zero), 0, m.indices({3, 2}, 4),
          m.make({4, 3}, away_from_zero), reduce, true);
      add("transposed x, step-2 src", m.make({3, 4}, away_from_zero, Layout::Transposed), 1, m.indices({3, 3}, 4),
          m.make({3, 3}, away_from_zero, Layout::Strided), reduce, false);
      add("empty index", m.make({3, 4}), 1, m.indices({3, 0}, 4), m.make({3, 0}), reduce, true);
    }
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{reel::scatter_reduce(s.inputs[0], s.dim, s.inputs[1], s.inputs[2],
                                                    kReduceNames[s.ints[0]], s.flag)};
  };
  row.reference = [](const Sample& s) {
    return std::vector<RefTensor>{ref_scatter_reduce(RefTensor::of(s.inputs[0]), s.dim, RefTensor::of(s.inputs[1]),
                                                     RefTensor::of(s.inputs[2]), static_cast<int>(s.ints[0]), s.flag)};
  };
  row.tolerance = [](ScalarType dtype) {
    Tolerance t = accumulate_tolerance(dtype);  // products of up to 6 values, rounded at each step in 16-bit floats
    if (dtype == kFloat16 || dtype == kBFloat16) t.rtol *= 4;
    return t;
  };
  row.differentiable = true;
  row.grad_inputs = {0, 2};
  return row;
}

void add_advanced_index_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(index_row());
  rows.push_back(index_put_row());
  rows.push_back(nonzero_row("nonzero"));
  rows.push_back(nonzero_row("argwhere"));
  rows.push_back(take_row());
  rows.push_back(take_along_dim_row());
  rows.push_back(masked_row(false));
  rows.push_back(masked_row(true));
  rows.push_back(index_fill_row());
  rows.push_back(index_copy_row());
  rows.push_back(scatter_reduce_row());
}

}  // namespace

REEL_OP_TABLE_ROWS(add_advanced_index_rows);

}  // namespace reel::test
