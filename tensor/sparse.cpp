// reel/tensor/sparse.cpp — sparse tensors (layout kSparse): making them (sparse_coo_tensor), their accessors
// (_indices, _values, _nnz, is_coalesced), coalesce and to_dense, and the elementwise cases PyTorch
// defines on them (dense + sparse, sparse + sparse, sparse * scalar, zero_). See tensor/sparse.h for the layout
// and Note [Row-sparse gradients] in docs/NOTES.md for why they exist.
//
// Index work (sorting, finding duplicates) runs on the host over the nnz row numbers; the rows themselves move
// with index_add / index_select / cat, so the same code serves CPU and CUDA tensors (a CUDA tensor's indices are
// copied to the host, a synchronisation).
#include "tensor/sparse.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "tensor/grad_mode.h"
#include "tensor/ops.h"

namespace reel {

namespace detail {

void release_sparse_parts(SparseParts* parts) { delete parts; }

namespace {

// The shape of the values of a sparse tensor of `sizes` holding `nnz` rows: [nnz, sizes[1:]...].
DimVector values_shape(IntList sizes, int64_t nnz) {
  DimVector shape(sizes);
  if (shape.empty()) return {nnz};
  shape[0] = nnz;
  return shape;
}

// The 1-D row numbers of a sparse tensor ([nnz], a view of the [1, nnz] indices).
Tensor row_numbers(const SparseParts& parts) { return parts.indices.view({parts.indices.size(1)}); }

// -s (an integral Scalar stays integral).
Scalar negated(Scalar s) { return s.is_floating_point() ? Scalar(-s.to_double()) : Scalar(-s.to_int64()); }

bool is_one(Scalar s) { return !s.is_bool() && s.to_double() == 1.0; }

const char* layout_word(const Tensor& t) { return t.is_sparse() ? "sparse" : "dense"; }

// t as `dtype` (itself when it already is).
Tensor as_dtype(const Tensor& t, ScalarType dtype) { return t.dtype() == dtype ? t : t.to(dtype); }

void check_same_sizes(const char* op, const Tensor& a, const Tensor& b) {
  REEL_CHECK(a.sizes() == b.sizes(),
             "{}: expected self and other to have the same size, got {} ({}) and {} ({}); a sparse operand does not "
             "broadcast",
             op, shape_str(a.sizes()), layout_word(a), shape_str(b.sizes()), layout_word(b));
}

void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  REEL_CHECK(a.device() == b.device(), "{}: expected all tensors on one device, got {} ({}) and {} ({})", op,
             a.device().str(), layout_word(a), b.device().str(), layout_word(b));
}

// True for a dense tensor that acts as one number (0-dim): what PyTorch lets multiply or divide a sparse tensor.
bool is_dense_scalar(const Tensor& t) { return !t.is_sparse() && t.dim() == 0; }

// sparse + alpha * sparse: the rows of both, one after the other (not coalesced, as PyTorch's result when either
// operand is uncoalesced).
SparseParts concatenated(const char* op, const Tensor& a, const Tensor& b, Scalar alpha, ScalarType dtype) {
  check_same_sizes(op, a, b);
  check_same_device(op, a, b);
  const SparseParts& pa = sparse_parts(a);
  const SparseParts& pb = sparse_parts(b);
  NoGradGuard no_grad;
  Tensor b_values = as_dtype(pb.values, dtype);
  if (!is_one(alpha)) b_values = b_values * alpha;
  SparseParts out;
  if (pa.values.size(0) == 0) {  // nothing to append to: b's rows (a copy), coalesced when b's are
    out.indices = pb.indices.clone();
    out.values = b_values.is_same(pb.values) ? b_values.clone() : b_values.contiguous();
    out.coalesced = pb.coalesced;
    return out;
  }
  out.indices = cat({pa.indices, pb.indices}, 1);
  out.values = cat({as_dtype(pa.values, dtype), b_values}, 0);
  out.coalesced = pa.coalesced && pb.values.size(0) == 0;
  return out;
}

}  // namespace

Tensor make_sparse(IntList sizes, Tensor indices, Tensor values, bool coalesced) {
  auto* impl = new TensorImpl();
  impl->refcount.store_relaxed(1);
  IntrusivePtr<TensorImpl> handle = IntrusivePtr<TensorImpl>::adopt(impl);
  impl->dtype = values.dtype();
  impl->device = values.device();
  impl->sizes = DimVector(sizes);
  int64_t numel = 1;
  for (int64_t s : sizes) numel *= s;
  impl->numel = numel;
  impl->is_contiguous = false;  // no dense memory: nothing may take it for a contiguous block
  impl->sparse = new SparseParts{std::move(indices), std::move(values), coalesced};
  return Tensor(std::move(handle));
}

Tensor make_empty_sparse(IntList sizes, ScalarType dtype, Device device) {
  return make_sparse(sizes, empty({1, 0}, TensorOptions(kInt64).device(device)),
                     empty(values_shape(sizes, 0), TensorOptions(dtype).device(device)), true);
}

void set_sparse_parts(Tensor& self, Tensor indices, Tensor values, bool coalesced) {
  SparseParts& parts = sparse_parts(self);
  parts.indices = std::move(indices);
  parts.values = std::move(values);
  parts.coalesced = coalesced;
  self.impl()->dtype = parts.values.dtype();
}

Tensor sparse_binary_op(OpId op, const Tensor& a, const Tensor& b, Scalar alpha) {
  const char* name = op_name(op).data();
  a.check_defined_any_layout(name);
  b.check_defined_any_layout(name);
  if (op == OpId::add || op == OpId::sub) {
    const Scalar signed_alpha = op == OpId::sub ? negated(alpha) : alpha;
    REEL_CHECK(b.is_sparse(), "{}(sparse, dense) is not supported. Use {}(dense, sparse) instead (shapes {} and {})",
               name, name, shape_str(a.sizes()), shape_str(b.sizes()));
    const ScalarType dtype = promote_types(a.dtype(), b.dtype());
    if (a.is_sparse()) {  // sparse + sparse: the rows of both
      SparseParts parts = concatenated(name, a, b, signed_alpha, dtype);
      return make_sparse(a.sizes(), std::move(parts.indices), std::move(parts.values), parts.coalesced);
    }
    // dense + alpha * sparse = dense.index_add(0, rows, values, alpha): recorded like any index_add
    check_same_sizes(name, a, b);
    check_same_device(name, a, b);
    const SparseParts& parts = sparse_parts(b);
    return as_dtype(a, dtype).index_add(0, row_numbers(parts), as_dtype(parts.values, dtype), signed_alpha);
  }
  if (op == OpId::mul && (a.is_sparse() != b.is_sparse())) {
    const Tensor& sparse = a.is_sparse() ? a : b;
    const Tensor& factor = a.is_sparse() ? b : a;
    if (is_dense_scalar(factor)) {
      check_same_device(name, a, b);
      const SparseParts& parts = sparse_parts(sparse);
      return make_sparse(sparse.sizes(), parts.indices, parts.values * factor, parts.coalesced);
    }
  }
  if (op == OpId::div && a.is_sparse() && is_dense_scalar(b)) {
    check_same_device(name, a, b);
    const SparseParts& parts = sparse_parts(a);
    return make_sparse(a.sizes(), parts.indices, parts.values / b, parts.coalesced);
  }
  throw_error(fmt::format(
      "{}: not supported with a sparse operand (self {} of shape {}, other {} of shape {}); reel's sparse tensors "
      "support dense + sparse, sparse + sparse and sparse * or / a scalar; call to_dense() first",
      name, layout_word(a), shape_str(a.sizes()), layout_word(b), shape_str(b.sizes())));
}

Tensor sparse_binary_op(OpId op, const Tensor& a, Scalar b) {
  const char* name = op_name(op).data();
  a.check_defined_any_layout(name);
  const SparseParts& parts = sparse_parts(a);
  if (op == OpId::mul) return make_sparse(a.sizes(), parts.indices, parts.values * b, parts.coalesced);
  if (op == OpId::div) return make_sparse(a.sizes(), parts.indices, parts.values / b, parts.coalesced);
  throw_sparse_unsupported(name, a);
}

Tensor& sparse_in_place(OpId op, Tensor& self, const Tensor& other, Scalar alpha) {
  const std::string name = std::string(op_name(op)) + "_";
  self.check_defined_any_layout(name.c_str());
  other.check_defined_any_layout(name.c_str());
  if (op == OpId::add || op == OpId::sub) {
    const Scalar signed_alpha = op == OpId::sub ? negated(alpha) : alpha;
    REEL_CHECK(other.is_sparse(),
               "{}(sparse, dense) is not supported. Use {}(dense, sparse) instead (shapes {} and {})", name, name,
               shape_str(self.sizes()), shape_str(other.sizes()));
    if (self.is_sparse()) {  // sparse += sparse: self's rows followed by other's, in place
      SparseParts parts = concatenated(name.c_str(), self, other, signed_alpha, self.dtype());
      set_sparse_parts(self, std::move(parts.indices), std::move(parts.values), parts.coalesced);
      return self;
    }
    // dense += alpha * sparse: one index_add_ of the rows (PyTorch's dense.add_(sparse))
    check_same_sizes(name.c_str(), self, other);
    check_same_device(name.c_str(), self, other);
    const SparseParts& parts = sparse_parts(other);
    return self.index_add_(0, row_numbers(parts), as_dtype(parts.values, self.dtype()), signed_alpha);
  }
  if ((op == OpId::mul || op == OpId::div) && self.is_sparse() && is_dense_scalar(other)) {
    check_same_device(name.c_str(), self, other);
    NoGradGuard no_grad;
    Tensor& values = sparse_parts(self).values;
    if (op == OpId::mul) values.mul_(other);
    else values.div_(other);
    return self;
  }
  throw_error(fmt::format(
      "{}: not supported with a sparse operand (self {} of shape {}, other {} of shape {}); reel's sparse tensors "
      "support dense += sparse, sparse += sparse and sparse *= or /= a scalar; call to_dense() first",
      name, layout_word(self), shape_str(self.sizes()), layout_word(other), shape_str(other.sizes())));
}

Tensor& sparse_in_place(OpId op, Tensor& self, Scalar other) {
  const std::string name = std::string(op_name(op)) + "_";
  self.check_defined_any_layout(name.c_str());
  if (op != OpId::mul && op != OpId::div) throw_sparse_unsupported(name.c_str(), self);
  NoGradGuard no_grad;
  Tensor& values = sparse_parts(self).values;
  if (op == OpId::mul) values.mul_(other);
  else values.div_(other);
  return self;
}

Tensor& sparse_zero_(Tensor& self) {
  const SparseParts& parts = sparse_parts(self);
  set_sparse_parts(self, empty({1, 0}, TensorOptions(kInt64).device(self.device())),
                   empty(values_shape(self.sizes(), 0), parts.values.options()), true);
  return self;
}

Tensor sparse_clone(const Tensor& self) {
  const SparseParts& parts = sparse_parts(self);
  NoGradGuard no_grad;
  return make_sparse(self.sizes(), parts.indices.clone(), parts.values.clone(), parts.coalesced);
}

Tensor sparse_to(const Tensor& self, Device device, ScalarType dtype) {
  if (device == self.device() && dtype == self.dtype()) return self;
  REEL_CHECK(is_floating_point(dtype), "to: a sparse tensor's values must stay floating point, got {} (shape {})",
             dtype_name(dtype), shape_str(self.sizes()));
  const SparseParts& parts = sparse_parts(self);
  NoGradGuard no_grad;
  return make_sparse(self.sizes(), parts.indices.to(device).contiguous(), parts.values.to(device, dtype).contiguous(),
                     parts.coalesced);
}

Tensor sparse_detach(const Tensor& self) {
  const SparseParts& parts = sparse_parts(self);
  return make_sparse(self.sizes(), parts.indices, parts.values, parts.coalesced);
}

void throw_sparse_unsupported(const char* op, const Tensor& t) {
  throw_error(fmt::format("{}: not supported for a sparse tensor (shape {}, {} rows held); call to_dense() for its "
                          "dense value, or _indices() / _values() for its rows",
                          op, shape_str(t.sizes()), sparse_parts(t).values.size(0)));
}

}  // namespace detail

// ---- the Tensor methods -----------------------------------------------------------------------------------------
namespace {
const detail::SparseParts& parts_of(const Tensor& t, const char* accessor) {
  t.check_defined_any_layout(accessor);
  REEL_CHECK(t.is_sparse(), "{}: expected a sparse tensor, got a dense one of shape {}", accessor,
             shape_str(t.sizes()));
  return detail::sparse_parts(t);
}
}  // namespace

Tensor Tensor::_indices() const { return parts_of(*this, "_indices").indices; }
Tensor Tensor::_values() const { return parts_of(*this, "_values").values; }

Tensor Tensor::indices() const {
  const detail::SparseParts& parts = parts_of(*this, "indices");
  REEL_CHECK(parts.coalesced, "indices: Cannot get indices on an uncoalesced tensor, please call .coalesce() first "
             "(shape {}, {} rows held)", shape_str(sizes()), parts.values.size(0));
  return parts.indices;
}

Tensor Tensor::values() const {
  const detail::SparseParts& parts = parts_of(*this, "values");
  REEL_CHECK(parts.coalesced, "values: Cannot get values on an uncoalesced tensor, please call .coalesce() first "
             "(shape {}, {} rows held)", shape_str(sizes()), parts.values.size(0));
  return parts.values;
}

int64_t Tensor::_nnz() const { return parts_of(*this, "_nnz").values.size(0); }
int64_t Tensor::sparse_dim() const {
  check_defined_any_layout("sparse_dim");
  return is_sparse() ? 1 : 0;
}
int64_t Tensor::dense_dim() const {
  check_defined_any_layout("dense_dim");
  return is_sparse() ? dim() - 1 : dim();
}
bool Tensor::is_coalesced() const { return parts_of(*this, "is_coalesced").coalesced; }

// Sorts the row numbers and sums the rows of each: values_out[k] = sum of the rows whose index is unique[k].
Tensor Tensor::coalesce() const {
  const detail::SparseParts& parts = parts_of(*this, "coalesce");
  if (parts.coalesced) return *this;
  NoGradGuard no_grad;
  const std::vector<int64_t> rows = parts.indices.to_vector<int64_t>();
  std::vector<int64_t> order(rows.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return rows[a] < rows[b]; });
  std::vector<int64_t> unique_rows, slot(rows.size());
  for (int64_t k : order) {
    if (unique_rows.empty() || unique_rows.back() != rows[static_cast<size_t>(k)])
      unique_rows.push_back(rows[static_cast<size_t>(k)]);
    slot[static_cast<size_t>(k)] = static_cast<int64_t>(unique_rows.size()) - 1;
  }
  const int64_t count = static_cast<int64_t>(unique_rows.size());
  const TensorOptions index_options = TensorOptions(kInt64).device(device());
  Tensor values = zeros(detail::values_shape(sizes(), count), parts.values.options());
  if (count > 0) values.index_add_(0, tensor(slot, index_options), parts.values);
  Tensor indices = tensor(unique_rows, index_options).reshape({1, count});
  return detail::make_sparse(sizes(), std::move(indices), std::move(values), true);
}

Tensor Tensor::to_dense() const {
  check_defined_any_layout("to_dense");
  if (!is_sparse()) return *this;
  const detail::SparseParts& parts = detail::sparse_parts(*this);
  NoGradGuard no_grad;
  Tensor dense = zeros(sizes(), parts.values.options());
  if (parts.values.size(0) > 0) dense.index_add_(0, detail::row_numbers(parts), parts.values);
  return dense;
}

// ---- sparse_coo_tensor ------------------------------------------------------------------------------------------
Tensor sparse_coo_tensor(const Tensor& indices, const Tensor& values, IntList size) {
  indices.check_defined("sparse_coo_tensor");
  values.check_defined("sparse_coo_tensor");
  REEL_CHECK(indices.dtype() == kInt64 || indices.dtype() == kInt32,
             "sparse_coo_tensor: indices must be an int64 tensor, got {} (shape {})", dtype_name(indices.dtype()),
             shape_str(indices.sizes()));
  REEL_CHECK(indices.dim() == 2 && indices.size(0) == 1,
             "sparse_coo_tensor: reel's sparse tensors have one sparse dim: indices must have shape [1, nnz], got {}",
             shape_str(indices.sizes()));
  REEL_CHECK(!size.empty(), "sparse_coo_tensor: size must have at least one dim");
  const int64_t nnz = indices.size(1);
  REEL_CHECK(values.dim() == static_cast<int64_t>(size.size()) && values.size(0) == nnz &&
                 std::equal(size.begin() + 1, size.end(), values.sizes().begin() + 1),
             "sparse_coo_tensor: values of shape {} do not fit indices of shape {} and size {} (expected values of "
             "shape {})",
             shape_str(values.sizes()), shape_str(indices.sizes()), shape_str(size),
             shape_str(detail::values_shape(size, nnz)));
  REEL_CHECK(indices.device() == values.device(),
             "sparse_coo_tensor: indices and values must be on one device, got {} and {}", indices.device().str(),
             values.device().str());
  REEL_CHECK(!values.requires_grad(),
             "sparse_coo_tensor: values of shape {} require grad, but reel's sparse tensors carry no autograd "
             "history; pass values.detach()",
             shape_str(values.sizes()));
  for (int64_t s : size) REEL_CHECK(s >= 0, "sparse_coo_tensor: size {} has a negative dim", shape_str(size));
  NoGradGuard no_grad;
  Tensor rows = indices.to(kInt64).contiguous().clone();
  for (int64_t row : rows.to_vector<int64_t>()) {
    REEL_CHECK(row >= 0 && row < size[0],
               "sparse_coo_tensor: size is inconsistent with indices: for dim 0, size is {} but found index {}",
               size[0], row);
  }
  return detail::make_sparse(size, std::move(rows), values.contiguous().clone(), nnz <= 1);
}

}  // namespace reel
