// reel/tensor/ops_shape_extras.cpp — the composite shape ops of LibTorch's indexing family, each written with
// other ops (so each differentiates through them): repeat_interleave, tensor_split, split_with_sizes, unfold (a
// view), movedim / moveaxis, unflatten, roll, rot90, view_as, type_as, new_zeros / new_ones / new_full / new_empty and
// to(other), plus their Tensor methods. Shapes, defaults and messages follow PyTorch.
#include <algorithm>
#include <numeric>

#include "tensor/error_format.h"
#include "tensor/ops.h"

namespace reel {

namespace {

// The indices [0]*r_0 + [1]*r_1 + ... of a 1-D count tensor (read on the host), on `device`.
Tensor repeated_positions(const Tensor& repeats, std::optional<int64_t> output_size, Device device,
                          ScalarType dtype) {
  const std::vector<int64_t> counts = repeats.to_vector<int64_t>();
  std::vector<int64_t> positions;
  for (size_t i = 0; i < counts.size(); ++i) {
    REEL_CHECK(counts[i] >= 0, "repeat_interleave: repeats can not be negative, got {} at position {}", counts[i], i);
    positions.insert(positions.end(), static_cast<size_t>(counts[i]), static_cast<int64_t>(i));
  }
  REEL_CHECK(!output_size || *output_size == static_cast<int64_t>(positions.size()),
             "repeat_interleave: allocated size ({}) does not match required size ({})", output_size.value_or(0),
             positions.size());
  return tensor(positions, TensorOptions(kInt64).device(device)).to(dtype);
}

}  // namespace

// ---- repeat_interleave: element i along dim repeated repeats[i] times ------------------------------------------------
Tensor repeat_interleave(const Tensor& repeats, std::optional<int64_t> output_size) {
  repeats.check_defined("repeat_interleave");
  REEL_CHECK(repeats.dim() == 1, "repeat_interleave: repeats must be 1-d tensor, got shape {}",
             shape_str(repeats.sizes()));
  REEL_CHECK(repeats.dtype() == kInt64 || repeats.dtype() == kInt32,
             "repeat_interleave: repeats has to be Long or Int tensor, got {}", dtype_name(repeats.dtype()));
  return repeated_positions(repeats, output_size, repeats.device(), repeats.dtype());
}

Tensor repeat_interleave(const Tensor& self, const Tensor& repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size) {
  self.check_defined("repeat_interleave");
  repeats.check_defined("repeat_interleave");
  REEL_CHECK(repeats.dtype() == kInt64 || repeats.dtype() == kInt32,
             "repeat_interleave: repeats has to be Long or Int tensor, got {}", dtype_name(repeats.dtype()));
  REEL_CHECK(repeats.dim() <= 1, "repeat_interleave: repeats must be 0-dim or 1-d tensor, got shape {}",
             shape_str(repeats.sizes()));
  const Tensor input = dim ? self : self.reshape({-1});
  const int64_t d = dim ? wrap_dim(*dim, self.sizes(), "repeat_interleave") : 0;
  const int64_t length = input.dim() == 0 ? 1 : input.size(d);
  Tensor counts = repeats.reshape({-1});
  if (counts.numel() == 1) counts = counts.expand({length});
  REEL_CHECK(counts.numel() == length,
             "repeat_interleave: repeats must have the same size as input along dim, got {} repeats for size {} "
             "(input shape {}, dim {})",
             counts.numel(), length, shape_str(input.sizes()), d);
  const Tensor positions = repeated_positions(counts, output_size, self.device(), kInt64);
  return input.dim() == 0 ? input.reshape({1}).index_select(0, positions) : input.index_select(d, positions);
}

Tensor repeat_interleave(const Tensor& self, int64_t repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size) {
  self.check_defined("repeat_interleave");
  return repeat_interleave(self, full({}, repeats, kInt64), dim, output_size);
}

Tensor Tensor::repeat_interleave(const Tensor& repeats, std::optional<int64_t> dim,
                                 std::optional<int64_t> output_size) const {
  return reel::repeat_interleave(*this, repeats, dim, output_size);
}
Tensor Tensor::repeat_interleave(int64_t repeats, std::optional<int64_t> dim, std::optional<int64_t> output_size) const {
  return reel::repeat_interleave(*this, repeats, dim, output_size);
}

// ---- tensor_split / split_with_sizes -------------------------------------------------------------------------------
std::vector<Tensor> tensor_split(const Tensor& self, int64_t sections, int64_t dim) {
  self.check_defined("tensor_split");
  REEL_CHECK(self.dim() > 0, "tensor_split: expected at least a 1-dimensional tensor, but got a tensor with 0 dims");
  REEL_CHECK(sections > 0, "tensor_split: number of sections must be larger than 0, got {}", sections);
  const int64_t d = wrap_dim(dim, self.sizes(), "tensor_split");
  const int64_t size = self.size(d), base = size / sections, extra = size % sections;
  std::vector<Tensor> pieces;
  int64_t start = 0;
  for (int64_t i = 0; i < sections; ++i) {
    const int64_t length = base + (i < extra ? 1 : 0);
    pieces.push_back(self.slice(d, start, start + length));
    start += length;
  }
  return pieces;
}

std::vector<Tensor> tensor_split(const Tensor& self, IntList indices, int64_t dim) {
  self.check_defined("tensor_split");
  REEL_CHECK(self.dim() > 0, "tensor_split: expected at least a 1-dimensional tensor, but got a tensor with 0 dims");
  const int64_t d = wrap_dim(dim, self.sizes(), "tensor_split");
  std::vector<Tensor> pieces;
  int64_t start = 0;
  for (int64_t end : indices) {
    pieces.push_back(self.slice(d, start, end));
    start = end;
  }
  pieces.push_back(self.slice(d, start, self.size(d)));
  return pieces;
}

std::vector<Tensor> tensor_split(const Tensor& self, const Tensor& tensor_indices_or_sections, int64_t dim) {
  self.check_defined("tensor_split");
  const Tensor& split = tensor_indices_or_sections;
  split.check_defined("tensor_split");
  REEL_CHECK(split.is_cpu(), "tensor_split: tensor_indices_or_sections must be on the CPU, got {}",
             split.device().str());
  REEL_CHECK(split.dtype() == kInt64, "tensor_split: tensor_indices_or_sections must have dtype int64, got {}",
             dtype_name(split.dtype()));
  REEL_CHECK(split.dim() <= 1, "tensor_split: tensor_indices_or_sections must be a 0-dim or 1-dim tensor, got shape {}",
             shape_str(split.sizes()));
  if (split.dim() == 0) return tensor_split(self, split.item<int64_t>(), dim);
  const std::vector<int64_t> indices = split.to_vector<int64_t>();
  return tensor_split(self, IntList(indices.data(), indices.size()), dim);
}

std::vector<Tensor> split_with_sizes(const Tensor& self, IntList split_sizes, int64_t dim) {
  self.check_defined("split_with_sizes");
  return self.split(split_sizes, dim);
}

std::vector<Tensor> Tensor::tensor_split(int64_t sections, int64_t dim) const {
  return reel::tensor_split(*this, sections, dim);
}
std::vector<Tensor> Tensor::tensor_split(IntList indices, int64_t dim) const {
  return reel::tensor_split(*this, indices, dim);
}
std::vector<Tensor> Tensor::tensor_split(const Tensor& tensor_indices_or_sections, int64_t dim) const {
  return reel::tensor_split(*this, tensor_indices_or_sections, dim);
}
std::vector<Tensor> Tensor::split_with_sizes(IntList split_sizes, int64_t dim) const {
  return reel::split_with_sizes(*this, split_sizes, dim);
}

// ---- unfold: y[..., i, ..., j] = x[..., i * step + j, ...], a view -----------------------------------------------
Tensor Tensor::unfold(int64_t dimension, int64_t size, int64_t step) const {
  check_defined("unfold");
  REEL_CHECK(step > 0, "unfold: step is {} but must be > 0", step);
  if (dim() == 0) {
    REEL_CHECK(size <= 1 && size >= 0, "unfold: maximum size for tensor at dimension 0 is 1 but size is {}", size);
    return as_strided({size}, {1});
  }
  const int64_t d = wrap_dim(dimension, sizes(), "unfold");
  REEL_CHECK(size >= 0 && size <= this->size(d), "unfold: maximum size for tensor at dimension {} is {} but size is {}",
             d, this->size(d), size);
  DimVector new_sizes(sizes()), new_strides(strides());
  new_sizes[d] = (this->size(d) - size) / step + 1;
  new_strides[d] = stride(d) * step;
  new_sizes.push_back(size);
  new_strides.push_back(stride(d));
  return as_strided(new_sizes, new_strides);
}

// ---- movedim / moveaxis: a permute ------------------------------------------------------------------------------
Tensor movedim(const Tensor& self, IntList source, IntList destination) {
  self.check_defined("movedim");
  REEL_CHECK(source.size() == destination.size(),
             "movedim: Invalid source or destination dims: source ({} dims) should contain the same number of dims "
             "as destination ({} dims)",
             shape_str(source), shape_str(destination));
  const int64_t rank = self.dim();
  DimVector order(static_cast<size_t>(std::max<int64_t>(rank, 0)), -1);
  std::vector<bool> moved(order.size(), false);
  for (size_t i = 0; i < source.size(); ++i) {
    const int64_t s = wrap_dim(source[i], self.sizes(), "movedim");
    const int64_t t = wrap_dim(destination[i], self.sizes(), "movedim");
    REEL_CHECK(!moved[static_cast<size_t>(s)], "movedim: repeated dim in `source` ({})", shape_str(source));
    REEL_CHECK(order[static_cast<size_t>(t)] == -1, "movedim: repeated dim in `destination` ({})",
               shape_str(destination));
    moved[static_cast<size_t>(s)] = true;
    order[static_cast<size_t>(t)] = s;
  }
  int64_t next = 0;
  for (int64_t& slot : order) {
    if (slot != -1) continue;
    while (moved[static_cast<size_t>(next)]) ++next;
    slot = next++;
  }
  return rank == 0 ? self.view(self.sizes()) : self.permute(order);
}
Tensor movedim(const Tensor& self, int64_t source, int64_t destination) {
  return movedim(self, IntList{source}, IntList{destination});
}
Tensor moveaxis(const Tensor& self, IntList source, IntList destination) {
  return movedim(self, source, destination);
}
Tensor moveaxis(const Tensor& self, int64_t source, int64_t destination) { return movedim(self, source, destination); }
Tensor Tensor::movedim(IntList source, IntList destination) const { return reel::movedim(*this, source, destination); }
Tensor Tensor::movedim(int64_t source, int64_t destination) const { return reel::movedim(*this, source, destination); }
Tensor Tensor::moveaxis(IntList source, IntList destination) const { return reel::movedim(*this, source, destination); }
Tensor Tensor::moveaxis(int64_t source, int64_t destination) const { return reel::movedim(*this, source, destination); }

// ---- unflatten: dim split into sizes (one may be -1), a view ---------------------------------------------------------
Tensor unflatten(const Tensor& self, int64_t dim, IntList sizes) {
  self.check_defined("unflatten");
  const int64_t d = wrap_dim(dim, self.sizes(), "unflatten");
  REEL_CHECK(sizes.size() > 0, "unflatten: sizes must be non-empty");
  int64_t known = 1, inferred = -1;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == -1) {
      REEL_CHECK(inferred == -1, "unflatten: only one dimension can be inferred, got sizes {}", shape_str(sizes));
      inferred = static_cast<int64_t>(i);
    } else {
      REEL_CHECK(sizes[i] >= 0, "unflatten: invalid size {} in sizes {}", sizes[i], shape_str(sizes));
      known *= sizes[i];
    }
  }
  const int64_t size = self.dim() == 0 ? 1 : self.size(d);
  DimVector resolved(sizes);
  if (inferred >= 0) {
    REEL_CHECK(known != 0 && size % known == 0,
               "unflatten: Provided sizes {} don't multiply up to the size of dim {} ({}) in the input tensor",
               shape_str(sizes), d, size);
    resolved[static_cast<size_t>(inferred)] = size / known;
  } else {
    REEL_CHECK(known == size,
               "unflatten: Provided sizes {} don't multiply up to the size of dim {} ({}) in the input tensor",
               shape_str(sizes), d, size);
  }
  DimVector shape;
  for (int64_t k = 0; k < self.dim(); ++k) {
    if (k != d) {
      shape.push_back(self.size(k));
      continue;
    }
    for (int64_t s : resolved) shape.push_back(s);
  }
  if (self.dim() == 0) shape = resolved;
  return self.view(shape);
}
Tensor Tensor::unflatten(int64_t dim, IntList sizes) const { return reel::unflatten(*this, dim, sizes); }

// ---- roll: y[..., (i + shift) mod n, ...] = x[..., i, ...] ------------------------------------------------------------
Tensor roll(const Tensor& self, IntList shifts, IntList dims) {
  self.check_defined("roll");
  if (dims.size() == 0) {
    REEL_CHECK(shifts.size() == 1, "roll: shifts and dimensions must align. shifts: {}, dims: {}", shape_str(shifts),
               shape_str(dims));
    return roll(self.reshape({-1}), shifts, IntList{0}).view(self.sizes());
  }
  REEL_CHECK(shifts.size() == dims.size(), "roll: shifts and dimensions must align. shifts: {}, dims: {}",
             shape_str(shifts), shape_str(dims));
  Tensor result = self;
  bool moved = false;
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap_dim(dims[i], self.sizes(), "roll");
    const int64_t n = self.dim() == 0 ? 1 : self.size(d);
    if (n == 0) continue;
    const int64_t s = ((shifts[i] % n) + n) % n;
    if (s == 0) continue;
    result = cat({result.narrow(d, n - s, s), result.narrow(d, 0, n - s)}, d);
    moved = true;
  }
  return moved ? result : self.clone();
}
Tensor Tensor::roll(IntList shifts, IntList dims) const { return reel::roll(*this, shifts, dims); }

// ---- rot90: k quarter turns from dims[0] towards dims[1] --------------------------------------------------------------
Tensor rot90(const Tensor& self, int64_t k, IntList dims) {
  self.check_defined("rot90");
  REEL_CHECK(dims.size() == 2, "rot90: expected total rotation dims == 2, but got dims = {}", shape_str(dims));
  REEL_CHECK(self.dim() >= 2, "rot90: expected total dims >= 2, but got total dims = {} (shape {})", self.dim(),
             shape_str(self.sizes()));
  const int64_t d0 = wrap_dim(dims[0], self.sizes(), "rot90"), d1 = wrap_dim(dims[1], self.sizes(), "rot90");
  REEL_CHECK(d0 != d1, "rot90: expected rotation dims to be different, but got dim0 = {} and dim1 = {}", d0, d1);
  switch (((k % 4) + 4) % 4) {
    case 1: return self.flip({d1}).transpose(d0, d1);
    case 2: return self.flip({d0, d1});
    case 3: return self.flip({d0}).transpose(d0, d1);
    default: return self.clone();
  }
}
Tensor Tensor::rot90(int64_t k, IntList dims) const { return reel::rot90(*this, k, dims); }

// ---- view_as, type_as, new_*, to(other) ---------------------------------------------------------------------------
Tensor Tensor::view_as(const Tensor& other) const {
  other.check_defined("view_as");
  return view(other.sizes());
}
Tensor Tensor::type_as(const Tensor& other) const {
  other.check_defined("type_as");
  return to(other.dtype());
}
Tensor Tensor::new_zeros(IntList size, TensorOptions options) const {
  return zeros(size, detail::like_options(*this, options));
}
Tensor Tensor::new_ones(IntList size, TensorOptions options) const {
  return ones(size, detail::like_options(*this, options));
}
Tensor Tensor::new_full(IntList size, Scalar fill_value, TensorOptions options) const {
  return full(size, fill_value, detail::like_options(*this, options));
}
Tensor Tensor::new_empty(IntList size, TensorOptions options) const {
  return empty(size, detail::like_options(*this, options));
}
Tensor Tensor::to(const Tensor& other, bool non_blocking, bool copy) const {
  other.check_defined("to");
  Tensor result = to(other.device(), other.dtype(), non_blocking);
  return copy && result.is_same(*this) ? clone() : result;
}

}  // namespace reel
