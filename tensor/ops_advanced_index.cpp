// reel/tensor/ops_advanced_index.cpp — front doors of advanced indexing: index and index_put / index_put_ (the
// kernel ops, at::index and at::index_put_), nonzero and what is written with them: argwhere, where(condition),
// take, take_along_dim, masked_select, masked_scatter(_), index_fill(_) and index_copy(_), plus their Tensor methods
// and the geometry of tensor/advanced_index.h.
//
// An index list holds one optional tensor per leading dim of self: absent entries leave the dim alone, int64/int32
// tensors index it, bool/uint8 masks stand for their nonzero columns and cover as many dims as they have (their
// shape must match those dims). The index tensors broadcast together and are stacked into one contiguous int64
// [k, B...] tensor, the kernels' input; the kernels check and wrap the index values. Shapes, dtypes and messages
// follow PyTorch.
#include <algorithm>
#include <string>

#include "tensor/advanced_index.h"
#include "tensor/autograd_hook.h"
#include "tensor/op_call.h"
#include "tensor/ops.h"

namespace reel {

// ---- geometry (tensor/advanced_index.h) ----------------------------------------------------------------------------
AdvancedIndexGeometry advanced_index_geometry(IntList self_sizes, IntList self_strides, IntList dims,
                                              IntList index_shape) {
  AdvancedIndexGeometry g;
  for (int64_t s : index_shape) g.count *= s;
  bool adjacent = true;
  for (size_t j = 1; j < dims.size(); ++j) adjacent &= dims[j] == dims[0] + static_cast<int64_t>(j);
  const int64_t rank = static_cast<int64_t>(self_sizes.size());
  // The result: [pre, B, post] when adjacent, else [B, rest]; `rest_position` is each rest dim's result dim.
  DimVector rest_position;
  size_t next_dim = 0;
  for (int64_t d = 0; d < rank; ++d) {
    if (next_dim < dims.size() && dims[next_dim] == d) {
      if (adjacent && next_dim == 0)
        for (int64_t s : index_shape) g.result_sizes.push_back(s);
      ++next_dim;
      continue;
    }
    g.rest_sizes.push_back(self_sizes[d]);
    g.rest_self_strides.push_back(self_strides[d]);
    g.rest_count *= self_sizes[d];
    rest_position.push_back(static_cast<int64_t>(g.result_sizes.size()));
    g.result_sizes.push_back(self_sizes[d]);
  }
  if (!adjacent) {
    DimVector sizes(index_shape);
    for (int64_t s : g.result_sizes) sizes.push_back(s);
    for (int64_t& p : rest_position) p += static_cast<int64_t>(index_shape.size());
    g.result_sizes = sizes;
  }
  const DimVector strides = contiguous_strides(g.result_sizes);
  for (int64_t p : rest_position) g.rest_result_strides.push_back(strides[p]);
  const int64_t first_index_dim = adjacent ? (dims.empty() ? 0 : dims[0]) : 0;
  g.result_index_stride = index_shape.size() == 0 ? 0 : strides[first_index_dim + index_shape.size() - 1];
  return g;
}

void throw_index_out_of_range(const char* op, int64_t value, int64_t dim, int64_t size) {
  throw Error(fmt::format("{}: index {} is out of bounds for dimension {} with size {}", op, value, dim, size));
}

namespace {

// The broadcast index tensors of an index list, stacked: dims (ascending), shape B, stacked int64 [k, B...].
struct PreparedIndex {
  DimVector dims;
  DimVector shape;
  Tensor stacked;
};

PreparedIndex prepare_indices(const char* op, const Tensor& self, const std::vector<std::optional<Tensor>>& indices) {
  NoGradGuard no_grad;
  PreparedIndex p;
  std::vector<Tensor> columns;
  int64_t dim = 0;
  auto check_room = [&](int64_t needed) {
    REEL_CHECK(dim + needed <= self.dim(), "{}: too many indices for tensor of dimension {} (shape {})", op,
               self.dim(), shape_str(self.sizes()));
  };
  for (const std::optional<Tensor>& entry : indices) {
    if (!entry || !entry->defined()) {
      check_room(1);
      ++dim;
      continue;
    }
    Tensor index = *entry;
    index.check_defined(op);
    REEL_CHECK(index.device() == self.device() || index.is_cpu(),
               "{}: indices should be on the device of the indexed tensor ({}) or on the CPU, got {}", op,
               self.device().str(), index.device().str());
    if (index.device() != self.device()) index = index.to(self.device());
    const ScalarType type = index.dtype();
    if (type == kBool || type == kUInt8) {
      REEL_CHECK(index.dim() > 0, "{}: a 0-dim mask cannot index a dim; use x.index({{true}}) or a 1-element mask", op);
      check_room(index.dim());
      for (int64_t k = 0; k < index.dim(); ++k) {
        REEL_CHECK(index.size(k) == self.size(dim + k),
                   "{}: the shape of the mask {} at index {} does not match the shape of the indexed tensor {} at "
                   "index {}",
                   op, shape_str(index.sizes()), k, shape_str(self.sizes()), dim + k);
      }
      const Tensor coordinates = nonzero(index);
      for (int64_t k = 0; k < index.dim(); ++k) {
        columns.push_back(coordinates.select(1, k));
        p.dims.push_back(dim + k);
      }
      dim += index.dim();
      continue;
    }
    REEL_CHECK(type == kInt64 || type == kInt32,
               "{}: tensors used as indices must be long, int, byte or bool tensors, got {} (shape {})", op,
               dtype_name(type), shape_str(index.sizes()));
    check_room(1);
    columns.push_back(type == kInt64 ? index : index.to(kInt64));
    p.dims.push_back(dim);
    ++dim;
  }
  if (columns.empty()) return p;
  p.shape = DimVector(columns[0].sizes());
  for (size_t j = 1; j < columns.size(); ++j) {
    try {
      p.shape = broadcast_shapes(p.shape, columns[j].sizes(), op);
    } catch (const Error&) {
      std::string shapes;
      for (const Tensor& c : columns) shapes += (shapes.empty() ? "" : ", ") + shape_str(c.sizes());
      throw Error(fmt::format("{}: shape mismatch: indexing tensors could not be broadcast together with shapes {}",
                              op, shapes));
    }
  }
  std::vector<Tensor> expanded;
  for (const Tensor& c : columns) expanded.push_back(c.expand(p.shape));
  p.stacked = stack(expanded, 0).contiguous();
  return p;
}

// The index list of a kernel call again (tensor index j at dims[j]), for the backward formulas and composites.
std::vector<std::optional<Tensor>> list_at(int64_t dim, const Tensor& index) {
  std::vector<std::optional<Tensor>> list(static_cast<size_t>(dim) + 1);
  list[static_cast<size_t>(dim)] = index;
  return list;
}

bool records_in_place(const Tensor& self, const Tensor& other) {
  return is_grad_enabled() && (self.requires_grad() || (other.defined() && other.requires_grad()));
}

// Checks index_put's values against self and the indexed shape; returns them expanded to that shape.
Tensor checked_values(const char* op, const Tensor& self, const Tensor& values, const DimVector& result_sizes) {
  values.check_defined(op);
  REEL_CHECK(values.dtype() == self.dtype(),
             "{}: Index put requires the source and destination dtypes match, got {} for the destination and {} for "
             "the source",
             op, dtype_name(self.dtype()), dtype_name(values.dtype()));
  REEL_CHECK(values.device() == self.device(), "{}: values on {} but self on {}", op, values.device().str(),
             self.device().str());
  bool fits = values.dim() <= static_cast<int64_t>(result_sizes.size());
  for (int64_t k = 1; fits && k <= values.dim(); ++k) {
    const int64_t v = values.size(-k), r = result_sizes[result_sizes.size() - static_cast<size_t>(k)];
    fits = v == r || v == 1;
  }
  REEL_CHECK(fits, "{}: shape mismatch: value tensor of shape {} cannot be broadcast to indexing result of shape {}",
             op, shape_str(values.sizes()), shape_str(result_sizes));
  return values.expand(result_sizes);
}

// Runs the index_put kernel on `target` in place. `original`: for the out-of-place form, the tensor target is a
// clone of, recorded as the node's self (inputs self, stacked indices, values); null for the in-place form.
void run_index_put(Tensor& target, const PreparedIndex& p, const Tensor& values, bool accumulate,
                   const Tensor* original) {
  const AdvancedIndexGeometry g = advanced_index_geometry(target.sizes(), target.strides(), p.dims, p.shape);
  Tensor expanded = checked_values("index_put_", target, values, g.result_sizes);
  if (expanded.storage().get() == target.storage().get()) {  // values read from the memory being written
    NoGradGuard no_grad;
    expanded = expanded.clone();
  }
  detail::begin_write(target, "index_put_");
  OpAttrs attrs;
  attrs.dims = p.dims;
  attrs.set(IndexPutAttrs{accumulate});
  const Tensor inputs[] = {p.stacked, expanded};
  run_op(OpId::index_put, &attrs, inputs, target,
         {.record = original ? Record::yes : Record::no, .contiguous_inputs = 0b10,
          .recorded_inputs = {original, &p.stacked, &values}});
}

// Runs `body`, reporting an index error under the name of the op the user called.
template <typename Body>
Tensor renamed_errors(const char* op, Body&& body) {
  try {
    return body();
  } catch (const Error& e) {
    std::string message = e.what();
    for (const char* inner : {"index_put_", "index"}) {
      if (message.rfind(inner, 0) == 0) {
        message.replace(0, std::string(inner).size(), op);
        break;
      }
    }
    throw Error(message);
  }
}

}  // namespace

// ---- index / index_put ------------------------------------------------------------------------------------------
// y[b, rest] = x[i_0[b], ..., i_(k-1)[b]; rest]. Recorded inputs: x, the stacked indices; attrs.dims.
Tensor index(const Tensor& self, const std::vector<std::optional<Tensor>>& indices) {
  self.check_defined("index");
  const PreparedIndex p = prepare_indices("index", self, indices);
  if (p.dims.empty()) return self.clone();
  const AdvancedIndexGeometry g = advanced_index_geometry(self.sizes(), self.strides(), p.dims, p.shape);
  OpAttrs attrs;
  attrs.dims = p.dims;
  const Tensor inputs[] = {self, p.stacked};
  Tensor out;
  run_op(OpId::index, &attrs, inputs, {&out, {{g.result_sizes, self.dtype(), self.device()}}});
  return out;
}

// y = x; y[indices] (=|+=) values. Recorded inputs: x, the stacked indices, values; attrs.dims, IndexPutAttrs.
Tensor index_put(const Tensor& self, const std::vector<std::optional<Tensor>>& indices, const Tensor& values,
                 bool accumulate) {
  self.check_defined("index_put");
  values.check_defined("index_put");
  const PreparedIndex p = prepare_indices("index_put", self, indices);
  if (p.dims.empty()) {  // no index tensor: the whole of self is the region
    checked_values("index_put", self, values, DimVector(self.sizes()));
    return accumulate ? self + values : values.expand(self.sizes()).clone();
  }
  Tensor out;
  {
    NoGradGuard no_grad;
    out = self.clone();
  }
  run_index_put(out, p, values, accumulate, &self);
  return out;
}

// self[indices] (=|+=) values, in place
Tensor& index_put_(Tensor& self, const std::vector<std::optional<Tensor>>& indices, const Tensor& values,
                   bool accumulate) {
  self.check_defined("index_put_");
  values.check_defined("index_put_");
  if (records_in_place(self, values)) {
    return detail::in_place_recorded("index_put_", self, {&values}, [&](const Tensor& before) {
      return reel::index_put(before, indices, values, accumulate);
    });
  }
  const PreparedIndex p = prepare_indices("index_put_", self, indices);
  if (p.dims.empty()) {
    checked_values("index_put_", self, values, DimVector(self.sizes()));
    return accumulate ? self.add_(values) : self.copy_(values);
  }
  run_index_put(self, p, values, accumulate, nullptr);
  return self;
}

Tensor Tensor::index(const std::vector<std::optional<Tensor>>& indices) const { return reel::index(*this, indices); }
Tensor Tensor::index_put(const std::vector<std::optional<Tensor>>& indices, const Tensor& values,
                         bool accumulate) const {
  return reel::index_put(*this, indices, values, accumulate);
}
Tensor& Tensor::index_put_(const std::vector<std::optional<Tensor>>& indices, const Tensor& values, bool accumulate) {
  return reel::index_put_(*this, indices, values, accumulate);
}

// ---- nonzero and what reads it -----------------------------------------------------------------------------------
// y[r, :] = coordinates of the r-th nonzero of x (row-major). The kernel reads the running count of nonzeros.
Tensor nonzero(const Tensor& self) {
  self.check_defined("nonzero");
  Tensor positions;
  int64_t count = 0;
  {
    NoGradGuard no_grad;
    positions = cumsum(ne(self, 0).reshape({-1}), 0, kInt64);
    if (positions.numel() > 0) count = positions.select(0, -1).item<int64_t>();
  }
  OpAttrs attrs;
  attrs.dims = DimVector(self.sizes());
  const DimVector out_shape{count, self.dim()};
  Tensor out;
  run_op(OpId::nonzero, &attrs, positions, {&out, {{out_shape, kInt64, self.device()}}},
         {.record = Record::no, .contiguous_inputs = 0b1});
  return out;
}

// nonzero(x)
Tensor argwhere(const Tensor& self) {
  self.check_defined("argwhere");
  return nonzero(self);
}

// The coordinates of the true elements of condition, one tensor per dim (a 0-dim condition counts as [1]).
std::vector<Tensor> where(const Tensor& condition) {
  condition.check_defined("where");
  const Tensor coordinates = nonzero(condition.dim() == 0 ? condition.unsqueeze(0) : condition);
  return coordinates.unbind(1);
}

// y[p] = x.flatten()[index[p]] (negative indices count from the end)
Tensor take(const Tensor& self, const Tensor& index) {
  self.check_defined("take");
  index.check_defined("take");
  REEL_CHECK(index.dtype() == kInt64, "take: expected a long tensor for index, but got {} (shape {})",
             dtype_name(index.dtype()), shape_str(index.sizes()));
  return renamed_errors("take", [&] { return reel::index(self.reshape({-1}), {index}); });
}

// y = gather(x, dim, indices) with x and indices broadcast apart from dim; no dim: over the flattened x
Tensor take_along_dim(const Tensor& self, const Tensor& indices, std::optional<int64_t> dim) {
  self.check_defined("take_along_dim");
  indices.check_defined("take_along_dim");
  REEL_CHECK(indices.dtype() == kInt64, "take_along_dim: dtype of indices should be int64 but got {} (shape {})",
             dtype_name(indices.dtype()), shape_str(indices.sizes()));
  if (!dim) return self.reshape({-1}).gather(0, indices.reshape({-1}));
  REEL_CHECK(self.dim() == indices.dim(),
             "take_along_dim: input and indices should have the same number of dimensions, but got {} dimensions "
             "for input (shape {}), and {} dimensions for indices (shape {})",
             self.dim(), shape_str(self.sizes()), indices.dim(), shape_str(indices.sizes()));
  const int64_t d = wrap_dim(*dim, self.sizes(), "take_along_dim");
  DimVector self_sizes(self.sizes()), index_sizes(indices.sizes());
  if (self.dim() == 0) return self.reshape({1}).gather(0, indices.reshape({1})).reshape({});
  self_sizes[d] = 1;
  index_sizes[d] = 1;
  DimVector shape = broadcast_shapes(self_sizes, index_sizes, "take_along_dim");
  DimVector self_shape = shape, index_shape = shape;
  self_shape[d] = self.size(d);
  index_shape[d] = indices.size(d);
  return self.expand(self_shape).gather(d, indices.expand(index_shape));
}

// The true positions of x, row-major, after broadcasting x and mask together
Tensor masked_select(const Tensor& self, const Tensor& mask) {
  self.check_defined("masked_select");
  mask.check_defined("masked_select");
  REEL_CHECK(mask.dtype() == kBool, "masked_select: expected BoolTensor for mask, got {} (shape {})",
             dtype_name(mask.dtype()), shape_str(mask.sizes()));
  DimVector shape = broadcast_shapes(self.sizes(), mask.sizes(), "masked_select");
  if (shape.empty()) shape.push_back(1);
  return reel::index(self.expand(shape), {mask.expand(shape)});
}

// y = x; y[p] = source.flatten()[k] for the k-th true mask[p], row-major; mask broadcast with x
Tensor masked_scatter(const Tensor& self, const Tensor& mask, const Tensor& source) {
  self.check_defined("masked_scatter");
  mask.check_defined("masked_scatter");
  source.check_defined("masked_scatter");
  REEL_CHECK(mask.dtype() == kBool, "masked_scatter: expected BoolTensor for mask, got {} (shape {})",
             dtype_name(mask.dtype()), shape_str(mask.sizes()));
  REEL_CHECK(self.dtype() == source.dtype(),
             "masked_scatter: expected self and source to have same dtypes but got {} and {}", dtype_name(self.dtype()),
             dtype_name(source.dtype()));
  const DimVector shape = broadcast_shapes(self.sizes(), mask.sizes(), "masked_scatter");
  const bool scalar = shape.empty();
  const DimVector work_shape = scalar ? DimVector{1} : shape;
  const Tensor mask_b = mask.expand(work_shape);
  int64_t count = 0;
  {
    NoGradGuard no_grad;
    count = mask_b.sum().item<int64_t>();
  }
  REEL_CHECK(count <= source.numel(),
             "masked_scatter: number of elements of source ({}, shape {}) < number of ones in mask ({})",
             source.numel(), shape_str(source.sizes()), count);
  const Tensor values = source.reshape({-1}).narrow(0, 0, count);
  Tensor out = reel::index_put(self.expand(work_shape), {mask_b}, values);
  return scalar ? out.reshape({}) : out;
}

// y = x; y[..., index[i], ...] = value along dim (negative indices count from the end)
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& value) {
  self.check_defined("index_fill");
  index.check_defined("index_fill");
  value.check_defined("index_fill");
  REEL_CHECK(index.dtype() == kInt64, "index_fill: expected dtype int64 for index, got {} (shape {})",
             dtype_name(index.dtype()), shape_str(index.sizes()));
  REEL_CHECK(index.dim() <= 1, "index_fill: index has to be a vector or a scalar, got shape {}",
             shape_str(index.sizes()));
  REEL_CHECK(value.dim() == 0,
             "index_fill: only supports a 0-dimensional value tensor, but got tensor with {} dimension(s) (shape {})",
             value.dim(), shape_str(value.sizes()));
  const int64_t d = wrap_dim(dim, self.sizes(), "index_fill");
  const Tensor base = self.dim() == 0 ? self.reshape({1}) : self;
  Tensor out = renamed_errors("index_fill", [&] {
    return reel::index_put(base, list_at(d, index.reshape({-1})), value.to(self.dtype()));
  });
  return self.dim() == 0 ? out.reshape({}) : out;
}
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, Scalar value) {
  self.check_defined("index_fill");
  return index_fill(self, dim, index, scalar_tensor(value, TensorOptions(self.dtype()).device(self.device())));
}

// y = x; y[..., index[i], ...] = source[..., i, ...] along dim
Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  self.check_defined("index_copy");
  index.check_defined("index_copy");
  source.check_defined("index_copy");
  REEL_CHECK(index.dtype() == kInt64, "index_copy: expected a long tensor for index, but got {} (shape {})",
             dtype_name(index.dtype()), shape_str(index.sizes()));
  REEL_CHECK(index.dim() <= 1, "index_copy: index should have dimension 1 or 0 (got shape {})",
             shape_str(index.sizes()));
  REEL_CHECK(self.dtype() == source.dtype(), "index_copy: self and source expected to have the same dtype, got {} and {}",
             dtype_name(self.dtype()), dtype_name(source.dtype()));
  const int64_t d = wrap_dim(dim, self.sizes(), "index_copy");
  const Tensor base = self.dim() == 0 ? self.reshape({1}) : self;
  DimVector expected(base.sizes());
  expected[d] = index.numel();
  const bool matches = source.dim() == 0 ? index.numel() == 1 && base.numel() / base.size(d) == 1
                                         : DimVector(source.sizes()) == expected;
  REEL_CHECK(matches, "index_copy: source of shape {} does not match self of shape {} with {} indices along dim {}",
             shape_str(source.sizes()), shape_str(self.sizes()), index.numel(), d);
  if (index.numel() > 0) {
    NoGradGuard no_grad;
    const int64_t low = amin(index).item<int64_t>();
    REEL_CHECK(low >= 0, "index_copy: index {} is out of bounds for dimension {} with size {}", low, d, base.size(d));
  }
  Tensor out = renamed_errors("index_copy", [&] {
    return reel::index_put(base, list_at(d, index.reshape({-1})), source.reshape(expected));
  });
  return self.dim() == 0 ? out.reshape({}) : out;
}

Tensor Tensor::take(const Tensor& index) const { return reel::take(*this, index); }
Tensor Tensor::take_along_dim(const Tensor& indices, std::optional<int64_t> dim) const {
  return reel::take_along_dim(*this, indices, dim);
}
Tensor Tensor::masked_select(const Tensor& mask) const { return reel::masked_select(*this, mask); }
Tensor Tensor::masked_scatter(const Tensor& mask, const Tensor& source) const {
  return reel::masked_scatter(*this, mask, source);
}
Tensor& Tensor::masked_scatter_(const Tensor& mask, const Tensor& source) {
  check_defined("masked_scatter_");
  mask.check_defined("masked_scatter_");
  REEL_CHECK(broadcast_shapes(sizes(), mask.sizes(), "masked_scatter_") == DimVector(sizes()),
             "masked_scatter_: mask of shape {} does not broadcast to self's shape {}", shape_str(mask.sizes()),
             shape_str(sizes()));
  return detail::in_place_recorded("masked_scatter_", *this, {&source}, [&](const Tensor& before) {
    return reel::masked_scatter(before, mask, source);
  });
}
Tensor Tensor::nonzero() const { return reel::nonzero(*this); }
Tensor Tensor::argwhere() const { return reel::argwhere(*this); }
Tensor Tensor::index_fill(int64_t dim, const Tensor& index, Scalar value) const {
  return reel::index_fill(*this, dim, index, value);
}
Tensor Tensor::index_fill(int64_t dim, const Tensor& index, const Tensor& value) const {
  return reel::index_fill(*this, dim, index, value);
}
Tensor& Tensor::index_fill_(int64_t dim, const Tensor& index, Scalar value) {
  return detail::in_place_recorded("index_fill_", *this, {}, [&](const Tensor& before) {
    return reel::index_fill(before, dim, index, value);
  });
}
Tensor& Tensor::index_fill_(int64_t dim, const Tensor& index, const Tensor& value) {
  return detail::in_place_recorded("index_fill_", *this, {&value}, [&](const Tensor& before) {
    return reel::index_fill(before, dim, index, value);
  });
}
Tensor Tensor::index_copy(int64_t dim, const Tensor& index, const Tensor& source) const {
  return reel::index_copy(*this, dim, index, source);
}
Tensor& Tensor::index_copy_(int64_t dim, const Tensor& index, const Tensor& source) {
  return detail::in_place_recorded("index_copy_", *this, {&source}, [&](const Tensor& before) {
    return reel::index_copy(before, dim, index, source);
  });
}

}  // namespace reel
