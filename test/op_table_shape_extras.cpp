// reel/test/op_table_shape_extras.cpp — op-table rows of the composite shape and comparison ops of the indexing
// family: repeat_interleave, tensor_split, split_with_sizes, unfold, movedim, moveaxis, unflatten, roll, rot90,
// view_as, type_as, new_zeros, new_ones, new_full, isclose, allclose and equal.
//
// References are hand loops over RefTensor (element positions computed from the definitions, not through the ops
// under test). The view ops (unfold, unflatten, view_as, movedim) are also checked to share the input's storage.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "test/op_table.h"

namespace reel::test {

namespace {

Sample one_input(std::string d, Tensor x, ScalarType dtype, Device device, int64_t dim = 0) {
  return make_sample(std::move(d), {std::move(x)}, dtype, device, dim);
}

void check_shares_storage(const Sample& s, const std::vector<Tensor>& outputs) {
  for (const Tensor& out : outputs) CHECK(out.storage().get() == s.inputs[0].storage().get());
}

// Pieces of x along dim with these lengths, consecutive.
std::vector<RefTensor> ref_pieces(const RefTensor& x, int64_t dim, const Shape& lengths) {
  std::vector<RefTensor> out;
  int64_t start = 0;
  for (int64_t length : lengths) {
    out.push_back(ref_slice(x, dim, start, start + length, 1));
    start += length;
  }
  return out;
}

// ---- repeat_interleave: Sample::ints = repeats (one value: a scalar count), Sample::flag = no dim (flattened) --------
OpTestRow repeat_interleave_row() {
  OpTestRow row;
  row.op = "repeat_interleave";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string d, Tensor x, Shape repeats, int64_t dim, bool flat, bool as_tensor) {
      out.push_back(one_input(std::move(d), std::move(x), dtype, device, dim));
      out.back().ints = std::move(repeats);
      out.back().flag = flat;
      out.back().keepdim = as_tensor;  // repeats given as a tensor
    };
    add("[3, 2] rows by (2, 0, 1)", m.make({3, 2}), {2, 0, 1}, 0, false, true);
    add("[3, 2] columns by 3", m.make({3, 2}), {3}, 1, false, false);
    add("flattened by 2", m.make({2, 2}), {2}, 0, true, false);
    add("transposed [2, 3], dim -1 by (1, 2, 1) tensor", m.make({2, 3}, Domain{}, Layout::Transposed), {1, 2, 1}, -1,
        false, true);
    add("empty [0, 2] by 2", m.make({0, 2}), {2}, 0, false, false);
    return out;
  };
  row.run = [](const Sample& s) {
    const std::optional<int64_t> dim = s.flag ? std::nullopt : std::optional<int64_t>(s.dim);
    if (!s.keepdim) return std::vector<Tensor>{reel::repeat_interleave(s.inputs[0], s.ints[0], dim)};
    const Tensor repeats = tensor(s.ints, TensorOptions(kInt64).device(s.device));
    return std::vector<Tensor>{reel::repeat_interleave(s.inputs[0], repeats, dim)};
  };
  row.reference = [](const Sample& s) {
    RefTensor x = RefTensor::of(s.inputs[0]);
    if (s.flag) x = RefTensor({x.numel()}, x.values, x.dtype);
    const int64_t d = s.flag ? 0 : wrap(s.dim, x.dim());
    const int64_t n = x.shape[static_cast<size_t>(d)];
    std::vector<double> positions;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t r = s.ints.size() == 1 ? s.ints[0] : s.ints[static_cast<size_t>(i)];
      for (int64_t k = 0; k < r; ++k) positions.push_back(static_cast<double>(i));
    }
    const RefTensor index({static_cast<int64_t>(positions.size())}, positions, kInt64);
    return std::vector<RefTensor>{ref_index_select(x, d, index)};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- tensor_split / split_with_sizes ------------------------------------------------------------------------------
// tensor_split: Sample::index = sections (when ints is empty), else ints are the split indices; Sample::flag: pass
// them as a tensor.
OpTestRow tensor_split_row() {
  OpTestRow row;
  row.op = "tensor_split";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string d, Tensor x, int64_t dim, int64_t sections, Shape indices, bool as_tensor) {
      out.push_back(one_input(std::move(d), std::move(x), dtype, device, dim));
      out.back().index = sections;
      out.back().ints = std::move(indices);
      out.back().flag = as_tensor;
    };
    add("[7, 2] in 3 sections (3, 2, 2)", m.make({7, 2}), 0, 3, {}, false);
    add("[2, 3] in 5 sections along dim 1", m.make({2, 3}), 1, 5, {}, false);
    add("indices (1, 4) along dim -1", m.make({2, 6}, Domain{}, Layout::Transposed), -1, 0, {1, 4}, false);
    add("indices (3, 1, 9) out of order and beyond", m.make({5}), 0, 0, {3, 1, 9}, true);
    add("sections as a 0-dim tensor", m.make({4, 2}), 0, 2, {}, true);
    add("empty [0, 3] in 2 sections", m.make({0, 3}), 0, 2, {}, false);
    return out;
  };
  row.run = [](const Sample& s) {
    const Tensor& x = s.inputs[0];
    if (s.ints.empty()) return s.flag ? x.tensor_split(full({}, s.index, kInt64), s.dim) : x.tensor_split(s.index, s.dim);
    return s.flag ? x.tensor_split(tensor(s.ints, kInt64), s.dim) : x.tensor_split(IntList(s.ints), s.dim);
  };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    const int64_t d = wrap(s.dim, x.dim());
    const int64_t size = x.shape[static_cast<size_t>(d)];
    std::vector<RefTensor> out;
    if (s.ints.empty()) {
      for (int64_t i = 0, start = 0; i < s.index; ++i) {
        const int64_t length = size / s.index + (i < size % s.index ? 1 : 0);
        out.push_back(ref_slice(x, d, start, start + length, 1));
        start += length;
      }
      return out;
    }
    int64_t start = 0;
    for (int64_t end : s.ints) {
      const int64_t a = std::min(start, size), b = std::max(a, std::min(end, size));
      out.push_back(ref_slice(x, d, a, b, 1));
      start = end;
    }
    out.push_back(ref_slice(x, d, std::min(start, size), size, 1));
    return out;
  };
  row.check = check_shares_storage;
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

OpTestRow split_with_sizes_row() {
  OpTestRow row;
  row.op = "split_with_sizes";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    out.push_back(one_input("[5, 4] as (1, 3) along dim 1", m.make({5, 4}), dtype, device, 1));
    out.back().ints = {1, 3};
    out.push_back(one_input("transposed [6, 2] as (0, 2, 4)", m.make({6, 2}, Domain{}, Layout::Transposed), dtype,
                            device, 0));
    out.back().ints = {0, 2, 4};
    out.push_back(one_input("empty [3, 0] as (1, 2)", m.make({3, 0}), dtype, device, 0));
    out.back().ints = {1, 2};
    return out;
  };
  row.run = [](const Sample& s) { return reel::split_with_sizes(s.inputs[0], IntList(s.ints), s.dim); };
  row.reference = [](const Sample& s) { return ref_pieces(RefTensor::of(s.inputs[0]), s.dim, s.ints); };
  row.check = check_shares_storage;
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- unfold: y[..., i, ..., j] = x[..., i * step + j, ...] (Sample::index = size, step) --------------------------------
OpTestRow unfold_row() {
  OpTestRow row;
  row.op = "unfold";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string d, Tensor x, int64_t dim, int64_t size, int64_t step) {
      out.push_back(one_input(std::move(d), std::move(x), dtype, device, dim));
      out.back().index = size;
      out.back().step = step;
    };
    add("[7] windows of 3 step 2", m.make({7}), 0, 3, 2);
    add("[2, 6] dim 1 windows of 2 step 1", m.make({2, 6}), 1, 2, 1);
    add("transposed [5, 3] dim 0 windows of 5 step 3", m.make({5, 3}, Domain{}, Layout::Transposed), 0, 5, 3);
    add("0-dim, size 1", m.make({}), 0, 1, 1);
    add("window of 0", m.make({3}), 0, 0, 1);
    add("empty [0, 4] dim 1 windows of 2", m.make({0, 4}), 1, 2, 1);
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{s.inputs[0].unfold(s.dim, s.index, s.step)}; };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    if (x.dim() == 0) return std::vector<RefTensor>{RefTensor({s.index}, s.index == 1 ? x.values : std::vector<double>{}, x.dtype)};
    const size_t d = static_cast<size_t>(wrap(s.dim, x.dim()));
    Shape shape = x.shape;
    shape[d] = (x.shape[d] - s.index) / s.step + 1;
    shape.push_back(s.index);
    RefTensor out = RefTensor::filled(shape, 0, x.dtype);
    for (const Shape& at : all_indices(shape)) {
      Shape source(at.begin(), at.end() - 1);
      source[d] = at[d] * s.step + at.back();
      out.at(at) = x.at(source);
    }
    return std::vector<RefTensor>{out};
  };
  row.check = check_shares_storage;
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- movedim / moveaxis (Sample::dims = source, Sample::ints = destination) --------------------------------------------
OpTestRow movedim_row(const char* name) {
  OpTestRow row;
  row.op = name;
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string d, Tensor x, Shape source, Shape destination) {
      out.push_back(one_input(std::move(d), std::move(x), dtype, device));
      out.back().dims = std::move(source);
      out.back().ints = std::move(destination);
    };
    add("[2, 3, 4] dim 0 to 2", m.make({2, 3, 4}), {0}, {2});
    add("[2, 3, 4, 5] dims (0, -1) to (-1, 1)", m.make({2, 3, 4, 5}), {0, -1}, {-1, 1});
    add("transposed [3, 4], no move", m.make({3, 4}, Domain{}, Layout::Transposed), {}, {});
    add("empty [0, 3, 2] dim 0 to -1", m.make({0, 3, 2}), {0}, {-1});
    return out;
  };
  const bool axis = std::string(name) == "moveaxis";
  row.run = [axis](const Sample& s) {
    if (s.dims.size() == 1)
      return std::vector<Tensor>{axis ? reel::moveaxis(s.inputs[0], s.dims[0], s.ints[0])
                                      : reel::movedim(s.inputs[0], s.dims[0], s.ints[0])};
    return std::vector<Tensor>{axis ? reel::moveaxis(s.inputs[0], IntList(s.dims), IntList(s.ints))
                                    : reel::movedim(s.inputs[0], IntList(s.dims), IntList(s.ints))};
  };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    const int64_t rank = x.dim();
    Shape order(static_cast<size_t>(rank), -1);
    std::vector<bool> used(static_cast<size_t>(rank), false);
    for (size_t i = 0; i < s.dims.size(); ++i) {
      order[static_cast<size_t>(wrap(s.ints[i], rank))] = wrap(s.dims[i], rank);
      used[static_cast<size_t>(wrap(s.dims[i], rank))] = true;
    }
    int64_t next = 0;
    for (int64_t& o : order) {
      if (o >= 0) continue;
      while (used[static_cast<size_t>(next)]) ++next;
      o = next++;
    }
    return std::vector<RefTensor>{ref_permute(x, order)};
  };
  row.check = check_shares_storage;
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- unflatten (Sample::ints = sizes) / view_as (input 1 gives the shape) ------------------------------------------------
OpTestRow unflatten_row() {
  OpTestRow row;
  row.op = "unflatten";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    out.push_back(one_input("[2, 12] dim 1 into (3, -1)", m.make({2, 12}), dtype, device, 1));
    out.back().ints = {3, -1};
    out.push_back(one_input("transposed [6, 2] dim 0 into (2, 3)", m.make({6, 2}, Domain{}, Layout::Transposed), dtype,
                            device, 0));
    out.back().ints = {2, 3};
    out.push_back(one_input("empty [0, 6] dim 1 into (2, 3)", m.make({0, 6}), dtype, device, 1));
    out.back().ints = {2, 3};
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::unflatten(s.inputs[0], s.dim, IntList(s.ints))}; };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    const size_t d = static_cast<size_t>(wrap(s.dim, x.dim()));
    Shape sizes = s.ints;
    int64_t known = 1;
    for (int64_t v : sizes) known *= v == -1 ? 1 : v;
    for (int64_t& v : sizes) v = v == -1 ? x.shape[d] / known : v;
    Shape shape(x.shape.begin(), x.shape.begin() + static_cast<int64_t>(d));
    shape.insert(shape.end(), sizes.begin(), sizes.end());
    shape.insert(shape.end(), x.shape.begin() + static_cast<int64_t>(d) + 1, x.shape.end());
    return std::vector<RefTensor>{ref_reshape(x, shape)};
  };
  row.check = check_shares_storage;
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

OpTestRow view_as_row() {
  OpTestRow row;
  row.op = "view_as";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    out.push_back(make_sample("[2, 6] as [3, 4]", {m.make({2, 6}), m.make({3, 4}, kFloat32)}, dtype, device));
    out.push_back(make_sample("[4] as an int64 [2, 2]", {m.make({4}), m.make({2, 2}, kInt64)}, dtype, device));
    out.push_back(make_sample("step-2 slice [2, 6] as [2, 2, 3]",
                              {m.make({2, 6}, Domain{}, Layout::Strided), m.make({2, 2, 3}, kFloat32)}, dtype, device));
    out.push_back(make_sample("empty [0, 4] as [4, 0]", {m.make({0, 4}), m.make({4, 0}, kFloat32)}, dtype, device));
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{s.inputs[0].view_as(s.inputs[1])}; };
  row.reference = [](const Sample& s) {
    return std::vector<RefTensor>{ref_reshape(RefTensor::of(s.inputs[0]), Shape(s.inputs[1].sizes().begin(),
                                                                                   s.inputs[1].sizes().end()))};
  };
  row.check = check_shares_storage;
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- roll (Sample::dims = shifts, Sample::ints = dims) / rot90 (Sample::index = k, Sample::ints = dims) --------------
OpTestRow roll_row() {
  OpTestRow row;
  row.op = "roll";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string d, Tensor x, Shape shifts, Shape dims) {
      out.push_back(one_input(std::move(d), std::move(x), dtype, device));
      out.back().dims = std::move(shifts);
      out.back().ints = std::move(dims);
    };
    add("[5] by 2", m.make({5}), {2}, {0});
    add("[3, 4] by (-1, 5) over (0, 1)", m.make({3, 4}), {-1, 5}, {0, 1});
    add("flattened [2, 3] by 4", m.make({2, 3}), {4}, {});
    add("transposed [3, 4] by 3 over dim -1", m.make({3, 4}, Domain{}, Layout::Transposed), {3}, {-1});
    add("by a multiple of the size", m.make({4}), {8}, {0});
    add("empty [0, 3] by 1", m.make({0, 3}), {1}, {0});
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::roll(s.inputs[0], IntList(s.dims), IntList(s.ints))}; };
  row.reference = [](const Sample& s) {
    RefTensor x = RefTensor::of(s.inputs[0]);
    const Shape original = x.shape;
    Shape dims = s.ints;
    if (dims.empty()) {
      x = RefTensor({x.numel()}, x.values, x.dtype);
      dims = {0};
    }
    RefTensor out = x;
    for (size_t i = 0; i < dims.size(); ++i) {
      const size_t d = static_cast<size_t>(wrap(dims[i], x.dim()));
      const int64_t n = x.shape[d];
      RefTensor step = out;
      for (const Shape& at : all_indices(x.shape)) {
        Shape target = at;
        target[d] = (((at[d] + s.dims[i]) % n) + n) % n;
        step.at(target) = out.at(at);
      }
      out = step;
    }
    return std::vector<RefTensor>{RefTensor(original, out.values, x.dtype)};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// One quarter turn from d0 towards d1: y[.. i at d0 .., .. j at d1 ..] = x[.. j at d0 .., .. (n1 - 1 - i) at d1 ..].
RefTensor ref_rot90_once(const RefTensor& x, size_t d0, size_t d1) {
  Shape shape = x.shape;
  std::swap(shape[d0], shape[d1]);
  RefTensor out = RefTensor::filled(shape, 0, x.dtype);
  for (const Shape& at : all_indices(shape)) {
    Shape source = at;
    source[d0] = at[d1];
    source[d1] = x.shape[d1] - 1 - at[d0];
    out.at(at) = x.at(source);
  }
  return out;
}

OpTestRow rot90_row() {
  OpTestRow row;
  row.op = "rot90";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (int64_t k : {1, 2, 3, 4, -1}) {
      out.push_back(one_input("[2, 3] k " + std::to_string(k), m.make({2, 3}), dtype, device));
      out.back().index = k;
      out.back().ints = {0, 1};
    }
    out.push_back(one_input("transposed [3, 2, 4] k 1 dims (2, 0)", m.make({3, 2, 4}, Domain{}, Layout::Transposed),
                            dtype, device));
    out.back().index = 1;
    out.back().ints = {2, 0};
    out.push_back(one_input("empty [0, 3] k 1", m.make({0, 3}), dtype, device));
    out.back().index = 1;
    out.back().ints = {0, 1};
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::rot90(s.inputs[0], s.index, IntList(s.ints))}; };
  row.reference = [](const Sample& s) {
    RefTensor x = RefTensor::of(s.inputs[0]);
    const size_t d0 = static_cast<size_t>(wrap(s.ints[0], x.dim())), d1 = static_cast<size_t>(wrap(s.ints[1], x.dim()));
    for (int64_t turn = 0; turn < ((s.index % 4) + 4) % 4; ++turn) x = ref_rot90_once(x, d0, d1);
    return std::vector<RefTensor>{x};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- type_as, new_* ---------------------------------------------------------------------------------------------------
OpTestRow type_as_row() {
  OpTestRow row;
  row.op = "type_as";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    out.push_back(make_sample("to float64", {m.make({2, 3}), m.make({1}, kFloat64)}, dtype, device));
    out.push_back(make_sample("to int32, transposed", {m.make({2, 3}, Domain{}, Layout::Transposed), m.make({1}, kInt32)},
                              dtype, device));
    out.push_back(make_sample("empty to float16", {m.make({0, 2}), m.make({1}, kFloat16)}, dtype, device));
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{s.inputs[0].type_as(s.inputs[1])}; };
  row.reference = [](const Sample& s) {
    return std::vector<RefTensor>{cast(RefTensor::of(s.inputs[0]), s.inputs[1].dtype())};
  };
  return row;
}

// new_zeros / new_ones / new_full: Sample::ints = size; Sample::flag: options name int32 explicitly. (new_empty, like
// empty, is no op-table row: it runs nothing; test_indexing_api.cpp checks it.)
OpTestRow new_row(const std::string& name) {
  OpTestRow row;
  row.op = name;
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    out.push_back(one_input("[2, 3] like a [4]", m.make({4}), dtype, device));
    out.back().ints = {2, 3};
    out.push_back(one_input("[0] as int32, like a transposed [2, 3]", m.make({2, 3}, Domain{}, Layout::Transposed), dtype,
                            device));
    out.back().ints = {0};
    out.back().flag = true;
    out.push_back(one_input("[2] like an empty [0]", m.make({0}), dtype, device));
    out.back().ints = {2};
    return out;
  };
  row.run = [name](const Sample& s) {
    const TensorOptions options = s.flag ? TensorOptions(kInt32) : TensorOptions();
    const Tensor& x = s.inputs[0];
    if (name == "new_zeros") return std::vector<Tensor>{x.new_zeros(IntList(s.ints), options)};
    if (name == "new_ones") return std::vector<Tensor>{x.new_ones(IntList(s.ints), options)};
    return std::vector<Tensor>{x.new_full(IntList(s.ints), 1, options)};
  };
  row.reference = [name](const Sample& s) {
    const ScalarType type = s.flag ? kInt32 : s.inputs[0].dtype();
    return std::vector<RefTensor>{RefTensor::filled(s.ints, name == "new_zeros" ? 0 : 1, type)};
  };
  row.check = [](const Sample& s, const std::vector<Tensor>& outputs) {
    CHECK(outputs[0].dtype() == (s.flag ? kInt32 : s.inputs[0].dtype()));
    CHECK(outputs[0].device() == s.inputs[0].device());
    CHECK(outputs[0].sizes() == IntList(s.ints));
  };
  return row;
}

// ---- isclose / allclose / equal: inputs a, b; Sample::flag = equal_nan -------------------------------------------------
double ref_isclose(double a, double b, double rtol, double atol, bool equal_nan) {
  if (a == b) return 1;
  if (std::isnan(a) || std::isnan(b)) return equal_nan && std::isnan(a) && std::isnan(b);
  const double diff = std::fabs(a - b);
  return std::isfinite(diff) && diff <= atol + rtol * std::fabs(b);
}

OpTestRow compare_row(const std::string& name) {
  OpTestRow row;
  row.op = name;
  row.dtypes = name == "equal" ? kAllDtypes : std::vector<ScalarType>{kFloat16, kFloat32, kFloat64, kInt32, kInt64};
  row.samples = [name](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string d, Tensor a, Tensor b, bool equal_nan) {
      out.push_back(make_sample(std::move(d), {std::move(a), std::move(b)}, dtype, device));
      out.back().flag = equal_nan;
    };
    const Tensor a = m.make({3, 4});
    add("identical", a, a.clone(), false);
    add("different", m.make({3, 4}), m.make({3, 4}), false);
    add("broadcast [4] against [3, 4]", m.make({4}), m.make({3, 4}), false);
    const Tensor t = m.make({3, 4}, Domain{}, Layout::Transposed);
    add("transposed, against itself", t, t.contiguous(), false);
    add("empty", m.make({0, 2}), m.make({0, 2}), false);
    if (is_float(dtype)) {
      const std::vector<double> specials = {NAN, INFINITY, -INFINITY, 1.0, 1.0, 0.0};
      const std::vector<double> others = {NAN, INFINITY, INFINITY, 1.0 + 1e-7, 1.5, -0.0};
      add("specials, equal_nan", m.values({6}, specials), m.values({6}, others), true);
      add("specials", m.values({6}, specials), m.values({6}, others), false);
    }
    if (name == "equal") add("other sizes", m.make({2}), m.make({3}), false);
    return out;
  };
  row.run = [name](const Sample& s) {
    const Tensor& a = s.inputs[0];
    const Tensor& b = s.inputs[1];
    if (name == "isclose") return std::vector<Tensor>{reel::isclose(a, b, 1e-05, 1e-08, s.flag)};
    const bool value = name == "allclose" ? reel::allclose(a, b, 1e-05, 1e-08, s.flag) : reel::equal(a, b);
    return std::vector<Tensor>{scalar_tensor(value, TensorOptions(kBool).device(s.device))};
  };
  row.reference = [name](const Sample& s) {
    const RefTensor a = RefTensor::of(s.inputs[0]), b = RefTensor::of(s.inputs[1]);
    if (name == "equal") {
      bool same = a.shape == b.shape;
      for (size_t i = 0; same && i < a.values.size(); ++i) same = a.values[i] == b.values[i];
      return std::vector<RefTensor>{RefTensor({}, {same ? 1.0 : 0.0}, kBool)};
    }
    const RefTensor close = map_binary(
        a, b, [&](double x, double y) { return ref_isclose(x, y, 1e-05, 1e-08, s.flag); }, kBool);
    if (name == "isclose") return std::vector<RefTensor>{close};
    const bool all = std::all_of(close.values.begin(), close.values.end(), [](double v) { return v != 0; });
    return std::vector<RefTensor>{RefTensor({}, {all ? 1.0 : 0.0}, kBool)};
  };
  return row;
}

void add_shape_extras_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(repeat_interleave_row());
  rows.push_back(tensor_split_row());
  rows.push_back(split_with_sizes_row());
  rows.push_back(unfold_row());
  rows.push_back(movedim_row("movedim"));
  rows.push_back(movedim_row("moveaxis"));
  rows.push_back(unflatten_row());
  rows.push_back(view_as_row());
  rows.push_back(roll_row());
  rows.push_back(rot90_row());
  rows.push_back(type_as_row());
  for (const char* name : {"new_zeros", "new_ones", "new_full"}) rows.push_back(new_row(name));
  rows.push_back(compare_row("isclose"));
  rows.push_back(compare_row("allclose"));
  rows.push_back(compare_row("equal"));
}

}  // namespace

REEL_OP_TABLE_ROWS(add_shape_extras_rows);

}  // namespace reel::test
