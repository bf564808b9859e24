// reel/tensor/indexing.cpp — the Tensor Indexing API (tensor/indexing.h): x.index({...}) and x.index_put_({...}, v)
// applied as PyTorch applies x[...] and x[...] = v, plus the checks of x.accessor<T, N>() (tensor/accessor.h).
//
// The entries are walked left to right over a view of x: an integer selects (the dim goes), a Slice slices, None
// inserts a dim of size 1, Ellipsis skips the dims no entry names, and a bool inserts a dim of size 1 indexed by [0]
// (true) or [] (false). Tensor entries are remembered with the dim they index in the view (a 0-dim integer tensor
// selects instead, a 0-dim bool one acts as a bool); a mask covers as many dims as it has. No tensor entry: the view
// is the result (index) or the region written (index_put_). Otherwise the view is indexed by reel::index /
// reel::index_put_ with the remembered tensors (tensor/ops_advanced_index.cpp).
#include <limits>
#include <ostream>
#include <utility>

#include "tensor/accessor.h"
#include "tensor/error_format.h"
#include "tensor/indexing.h"
#include "tensor/ops.h"

namespace reel {

namespace indexing {

Slice::Slice(std::optional<int64_t> start_index, std::optional<int64_t> stop_index, std::optional<int64_t> step_index)
    : start_(start_index.value_or(0)),
      stop_(stop_index.value_or(std::numeric_limits<int64_t>::max())),
      step_(step_index.value_or(1)) {
  REEL_CHECK(step_ > 0, "Slice: step must be greater than zero, got {}", step_);
}

std::ostream& operator<<(std::ostream& stream, const Slice& slice) {
  return stream << slice.start() << ":" << slice.stop() << ":" << slice.step();
}

TensorIndex::TensorIndex(const char* str) : TensorIndex(Ellipsis) {
  REEL_CHECK(std::string_view(str) == "...",
             "TensorIndex: expected \"...\" to represent an ellipsis index, but got \"{}\"", str);
}

std::ostream& operator<<(std::ostream& stream, const TensorIndex& index) {
  if (index.is_none()) return stream << "None";
  if (index.is_ellipsis()) return stream << "...";
  if (index.is_integer()) return stream << index.integer();
  if (index.is_boolean()) return stream << (index.boolean() ? "true" : "false");
  if (index.is_slice()) return stream << index.slice();
  return stream << "Tensor" << shape_str(index.tensor().sizes());
}

}  // namespace indexing

namespace {

using indexing::TensorIndex;

bool is_mask(const Tensor& t) { return t.dtype() == kBool || t.dtype() == kUInt8; }

// The view of self the entries other than tensors make, and the tensor entries with the view dim each indexes.
struct Sliced {
  Tensor view;
  std::vector<std::pair<int64_t, Tensor>> tensors;

  // The index list of reel::index: entries in dim order, a mask standing for as many dims as it has.
  std::vector<std::optional<Tensor>> index_list() const {
    std::vector<std::optional<Tensor>> list;
    int64_t covered = 0;
    for (const auto& [dim, tensor] : tensors) {
      while (covered < dim) {
        list.emplace_back(std::nullopt);
        ++covered;
      }
      list.emplace_back(tensor);
      covered += is_mask(tensor) ? tensor.dim() : 1;
    }
    return list;
  }
};

// [0] for true, [] for false: the index a bool entry puts on the dim of size 1 it inserts.
Tensor bool_index(bool value, Device device) {
  return value ? zeros({1}, TensorOptions(kInt64).device(device)) : empty({0}, TensorOptions(kInt64).device(device));
}

Sliced apply_slicing(const char* op, const Tensor& self, const TensorIndex* indices, size_t count) {
  self.check_defined(op);
  REEL_CHECK(count > 0, "{}: Passing an empty index list to Tensor::{}() is not valid syntax", op, op);
  // The dims of self the entries name: integers, slices and integer tensors one each, masks their rank.
  int64_t specified = 0;
  bool seen_ellipsis = false;
  for (size_t i = 0; i < count; ++i) {
    const TensorIndex& entry = indices[i];
    if (entry.is_ellipsis()) {
      REEL_CHECK(!seen_ellipsis, "{}: an index can only have a single ellipsis (\"...\")", op);
      seen_ellipsis = true;
    } else if (entry.is_tensor()) {
      entry.tensor().check_defined(op);
      specified += is_mask(entry.tensor()) ? entry.tensor().dim() : 1;
    } else if (entry.is_integer() || entry.is_slice()) {
      ++specified;
    }
  }
  REEL_CHECK(specified <= self.dim(), "{}: too many indices for tensor of dimension {} (shape {})", op, self.dim(),
             shape_str(self.sizes()));
  Sliced s{self, {}};
  int64_t dim = 0;       // the next dim of the view
  int64_t real_dim = 0;  // the dim of self it comes from (what errors name)
  for (size_t i = 0; i < count; ++i) {
    const TensorIndex& entry = indices[i];
    if (entry.is_integer() || (entry.is_tensor() && entry.tensor().dim() == 0 && !is_mask(entry.tensor()) &&
                               !is_floating_point(entry.tensor().dtype()))) {
      const int64_t value = entry.is_integer() ? entry.integer() : entry.tensor().item<int64_t>();
      const int64_t size = s.view.size(dim);
      REEL_CHECK(value >= -size && value < size, "{}: index {} is out of bounds for dimension {} with size {}", op,
                 value, real_dim, size);
      s.view = s.view.select(dim, value);
      ++real_dim;
    } else if (entry.is_slice()) {
      const indexing::Slice& slice = entry.slice();
      s.view = s.view.slice(dim, slice.start(), slice.stop(), slice.step());
      ++dim;
      ++real_dim;
    } else if (entry.is_ellipsis()) {
      dim += self.dim() - specified;
      real_dim += self.dim() - specified;
    } else if (entry.is_none()) {
      s.view = s.view.unsqueeze(dim);
      ++dim;
    } else if (entry.is_boolean() || (entry.is_tensor() && entry.tensor().dim() == 0 && is_mask(entry.tensor()))) {
      const bool value = entry.is_boolean() ? entry.boolean() : entry.tensor().item<bool>();
      s.view = s.view.unsqueeze(dim);
      s.tensors.emplace_back(dim, bool_index(value, self.device()));
      ++dim;
    } else {  // a tensor of at least one dim (a float one is refused by reel::index, naming its dtype)
      const Tensor& tensor = entry.tensor();
      s.tensors.emplace_back(dim, tensor);
      const int64_t covered = is_mask(tensor) ? tensor.dim() : 1;
      dim += covered;
      real_dim += covered;
    }
  }
  return s;
}

// rhs with its leading dims of size 1 dropped (x[0] = ones({1, 3}) writes a row), as PyTorch's setitem.
Tensor without_leading_ones(Tensor value) {
  while (value.dim() > 0 && value.size(0) == 1) value = value.squeeze(0);
  return value;
}

Tensor index_with(const Tensor& self, const TensorIndex* indices, size_t count) {
  Sliced s = apply_slicing("index", self, indices, count);
  if (s.tensors.empty()) return s.view.is_same(self) ? self.view(self.sizes()) : s.view;
  return reel::index(s.view, s.index_list());
}

Tensor& index_put_with(Tensor& self, const TensorIndex* indices, size_t count, const Tensor& rhs) {
  rhs.check_defined("index_put_");
  Sliced s = apply_slicing("index_put_", self, indices, count);
  Tensor value = rhs;
  if (value.device() != self.device() && value.dim() == 0) value = value.to(self.device());
  if (value.dtype() != self.dtype()) value = value.to(self.dtype());
  value = without_leading_ones(value);
  if (s.tensors.empty()) {
    s.view.copy_(value);
    return self;
  }
  reel::index_put_(s.view, s.index_list(), value);
  return self;
}

}  // namespace

Tensor Tensor::index(std::initializer_list<indexing::TensorIndex> indices) const {
  return index_with(*this, indices.begin(), indices.size());
}
Tensor Tensor::index(const std::vector<indexing::TensorIndex>& indices) const {
  return index_with(*this, indices.data(), indices.size());
}
Tensor& Tensor::index_put_(std::initializer_list<indexing::TensorIndex> indices, const Tensor& rhs) {
  return index_put_with(*this, indices.begin(), indices.size(), rhs);
}
Tensor& Tensor::index_put_(const std::vector<indexing::TensorIndex>& indices, const Tensor& rhs) {
  return index_put_with(*this, indices.data(), indices.size(), rhs);
}
Tensor& Tensor::index_put_(std::initializer_list<indexing::TensorIndex> indices, Scalar v) {
  check_defined("index_put_");
  return index_put_with(*this, indices.begin(), indices.size(), scalar_tensor(v, options()));
}
Tensor& Tensor::index_put_(const std::vector<indexing::TensorIndex>& indices, Scalar v) {
  check_defined("index_put_");
  return index_put_with(*this, indices.data(), indices.size(), scalar_tensor(v, options()));
}

namespace detail {
void check_accessor(const Tensor& t, ScalarType expected, size_t dims) {
  t.check_defined("accessor");
  REEL_CHECK(t.dtype() == expected, "accessor: expected scalar type {} but found {} (shape {})", dtype_name(expected),
             dtype_name(t.dtype()), shape_str(t.sizes()));
  REEL_CHECK(t.dim() == static_cast<int64_t>(dims), "accessor: TensorAccessor expected {} dims but tensor has {} (shape {})",
             dims, t.dim(), shape_str(t.sizes()));
  REEL_CHECK(t.is_cpu(), "accessor: the tensor is on {}; an accessor reads CPU memory (use .cpu() first)",
             t.device().str());
}
}  // namespace detail

}  // namespace reel
