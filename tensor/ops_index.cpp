// reel/tensor/ops_index.cpp — front doors of the index ops: index_select, gather, scatter (tensor source or a
// value), scatter_add, index_add (and the in-place scatter_, scatter_add_, index_add_), one_hot, and the
// composite embedding, plus their Tensor methods.
//
// Shape and dtype rules follow PyTorch: gather/scatter index tensors are int64 and have the input's rank,
// with index.size(d) <= self.size(d) for d != dim (and <= src.size(d) for every d); index_select and
// index_add take a 1-D int32 or int64 index. Index values are checked by the kernels (cpu/index.cpp), before
// anything is written. In-place forms bump the modified tensor's version; when autograd must see them they run
// out of place and write the result into self, as the elementwise in-place ops do.
#include <fmt/format.h>

#include "tensor/autograd_hook.h"
#include "tensor/op_call.h"
#include "tensor/ops.h"

namespace reel {

namespace {

void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  REEL_CHECK(a.device() == b.device(),
             "{}: expected all tensors on one device, got {} (shape {}) and {} (shape {})", op, a.device().str(),
             shape_str(a.sizes()), b.device().str(), shape_str(b.sizes()));
}

// index_select, index_add and embedding: a 1-D (or 0-dim) index of int32 or int64.
void check_vector_index(const char* op, const Tensor& index) {
  REEL_CHECK(index.dtype() == kInt64 || index.dtype() == kInt32,
             "{}: index must be an int64 or int32 tensor, got {} (shape {})", op, dtype_name(index.dtype()),
             shape_str(index.sizes()));
  REEL_CHECK(index.dim() <= 1, "{}: index must be 1-D or 0-dim, got shape {}", op, shape_str(index.sizes()));
}

// gather and scatter: an int64 index of the input's rank.
void check_gather_index(const char* op, const Tensor& self, const Tensor& index) {
  REEL_CHECK(index.dtype() == kInt64, "{}: expected dtype int64 for index, got {} (shape {})", op,
             dtype_name(index.dtype()), shape_str(index.sizes()));
  REEL_CHECK(index.dim() == self.dim(),
             "{}: index tensor must have the same number of dimensions as the input, got index shape {} and input "
             "shape {}",
             op, shape_str(index.sizes()), shape_str(self.sizes()));
}

// index.size(d) <= self.size(d) for d != dim, and <= src.size(d) for every d (src may be absent).
void check_scatter_shapes(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Tensor* src) {
  for (int64_t d = 0; d < index.dim(); ++d) {
    REEL_CHECK(d == dim || index.size(d) <= self.size(d),
               "{}: expected index {} to be no larger than self {} apart from dimension {} (size {} vs {} at dim {})",
               op, shape_str(index.sizes()), shape_str(self.sizes()), dim, index.size(d), self.size(d), d);
    REEL_CHECK(!src || index.size(d) <= src->size(d),
               "{}: expected index {} to be no larger than src {} (size {} vs {} at dim {})", op,
               shape_str(index.sizes()), shape_str(src->sizes()), index.size(d), src->size(d), d);
  }
}

// Checks scatter/scatter_add arguments (src null: a value is scattered) and returns the wrapped dim.
int64_t check_scatter(const char* name, const Tensor& self, int64_t dim, const Tensor& index, const Tensor* src) {
  self.check_defined(name);
  index.check_defined(name);
  check_same_device(name, self, index);
  const int64_t d = wrap_dim(dim, self.sizes(), name);
  check_gather_index(name, self, index);
  if (src) {
    src->check_defined(name);
    check_same_device(name, self, *src);
    REEL_CHECK(src->dtype() == self.dtype(), "{}: expected self and src to have the same dtype, got {} and {}", name,
               dtype_name(self.dtype()), dtype_name(src->dtype()));
    REEL_CHECK(src->dim() == self.dim(),
               "{}: src must have the same number of dimensions as self, got src shape {} and self shape {}", name,
               shape_str(src->sizes()), shape_str(self.sizes()));
  }
  check_scatter_shapes(name, self, d, index, src);
  return d;
}

// Runs the scatter kernel on `target` in place: target[i][index[i][j]] (=|+=) src[i][j] (dim = 1). `original`:
// for the out-of-place form, the input target is a clone of, recorded as the node's x (inputs x, index, src or
// undefined); null for the in-place form, which its caller records when autograd must see it.
void run_scatter(OpId op, Tensor& target, const Tensor& index, const Tensor* src, const OpAttrs& attrs,
                 const Tensor* original) {
  detail::begin_write(target, op_name(op), /*in_place_suffix=*/true);
  const Tensor inputs[] = {index, src ? *src : Tensor()};
  const Tensor no_src;
  run_op(op, &attrs, OpInputs(inputs, src ? 2 : 1), target,
         {.record = original ? Record::yes : Record::no, .contiguous_inputs = 0b01,
          .recorded_inputs = {original, &index, src ? src : &no_src}});
}

OpAttrs scatter_attrs(int64_t dim, const Tensor* src, Scalar value) {
  OpAttrs attrs = family_attrs(ScatterAttrs{.has_src = src != nullptr, .value = value});
  attrs.dim = dim;
  return attrs;
}

// y = x; y[i][index[i][j]] (=|+=) src[i][j]. Recorded inputs: x, index, src (undefined for a value);
// attrs: dim, ScatterAttrs.
Tensor scatter_out_of_place(OpId op, const Tensor& x, int64_t dim, const Tensor& index, const Tensor* src,
                            Scalar value) {
  const int64_t d = check_scatter(op_name(op).data(), x, dim, index, src);
  Tensor out;
  {
    NoGradGuard no_grad;
    out = x.clone();
  }
  const OpAttrs attrs = scatter_attrs(d, src, value);
  run_scatter(op, out, index, src, attrs, &x);
  return out;
}

bool records_in_place(const Tensor& self, const Tensor& other) {
  return is_grad_enabled() && (self.requires_grad() || other.requires_grad());
}

// self[i][index[i][j]] (=|+=) src[i][j], in place.
Tensor& scatter_in_place(OpId op, Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  const char* name = op_name(op).data();
  self.check_defined(name);
  src.check_defined(name);
  if (records_in_place(self, src)) {
    return detail::in_place_recorded(op == OpId::scatter ? "scatter_" : "scatter_add_", self, {&src},
                                     [&](const Tensor& before) {
      return scatter_out_of_place(op, before, dim, index, &src, 0);
    });
  }
  const int64_t d = check_scatter(name, self, dim, index, &src);
  run_scatter(op, self, index, &src, scatter_attrs(d, &src, 0), nullptr);
  return self;
}

// Checks index_add arguments and returns the wrapped dim.
int64_t check_index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha) {
  self.check_defined("index_add");
  index.check_defined("index_add");
  source.check_defined("index_add");
  check_same_device("index_add", self, index);
  check_same_device("index_add", self, source);
  const int64_t d = wrap_dim(dim, self.sizes(), "index_add");
  check_vector_index("index_add", index);
  REEL_CHECK(source.dtype() == self.dtype(), "index_add: expected self and source to have the same dtype, got {} and {}",
             dtype_name(self.dtype()), dtype_name(source.dtype()));
  REEL_CHECK(is_floating_point(self.dtype()) || !alpha.is_floating_point(),
             "index_add: for integral input tensors, argument alpha must not be a floating point number (got {})",
             alpha.to_double());
  REEL_CHECK(source.dim() == self.dim() || (self.dim() <= 1 && source.dim() <= 1),
             "index_add: source must have the same number of dimensions as self, got source shape {} and self shape {}",
             shape_str(source.sizes()), shape_str(self.sizes()));
  const int64_t source_count = source.dim() == 0 ? 1 : source.size(d);
  REEL_CHECK(source_count == index.numel(),
             "index_add: number of indices ({}) must equal the size of source along dim {} (source shape {})",
             index.numel(), d, shape_str(source.sizes()));
  for (int64_t k = 0; k < source.dim() && self.dim() > 0; ++k) {
    REEL_CHECK(k == d || source.size(k) == self.size(k),
               "index_add: source shape {} must match self shape {} apart from dim {} (size {} vs {} at dim {})",
               shape_str(source.sizes()), shape_str(self.sizes()), d, source.size(k), self.size(k), k);
  }
  return d;
}

// Runs the index_add kernel on `target` in place (through a contiguous copy when target is strided). `original`:
// for the out-of-place form, the input target is a (contiguous) clone of, recorded as the node's x (inputs x,
// index, source); null for the in-place form, which its caller records when autograd must see it.
void run_index_add(Tensor& target, const Tensor& index, const Tensor& source, const OpAttrs& attrs,
                   const Tensor* original) {
  detail::begin_write(target, "index_add_");
  const bool direct = target.is_contiguous();
  Tensor dense;
  if (!direct) {
    NoGradGuard no_grad;
    dense = target.contiguous();
  }
  const Tensor inputs[] = {index, source};
  run_op(OpId::index_add, &attrs, inputs, direct ? target : dense,
         {.record = original ? Record::yes : Record::no, .contiguous_inputs = 0b11,
          .recorded_inputs = {original, &index, &source}});
  if (!direct) {
    NoGradGuard no_grad;
    target.copy_(dense);
  }
}

// index_select recorded with `attrs` (dim is set here; embedding adds its gradient options as EmbeddingAttrs, see
// index_select_backward).
Tensor index_select_with_attrs(const Tensor& x, int64_t dim, const Tensor& index, OpAttrs attrs) {
  x.check_defined("index_select");
  index.check_defined("index_select");
  check_same_device("index_select", x, index);
  const int64_t d = wrap_dim(dim, x.sizes(), "index_select");
  check_vector_index("index_select", index);
  REEL_CHECK(x.dim() > 0 || index.numel() == 1,
             "index_select: index to a 0-dim tensor can have only 1 value, got {} (index shape {})", index.numel(),
             shape_str(index.sizes()));
  DimVector out_shape(x.sizes());
  if (x.dim() > 0) out_shape[d] = index.numel();
  attrs.dim = d;
  const Tensor inputs[] = {x, index};
  Tensor out;
  run_op(OpId::index_select, &attrs, inputs, {&out, {{out_shape, x.dtype(), x.device()}}},
         {.contiguous_inputs = 0b11});
  return out;
}

}  // namespace

// y[..., i, ...] = x[..., index[i], ...]. Recorded inputs: x, index; attrs.dim (and, for embedding only, its
// gradient options in EmbeddingAttrs).
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  return index_select_with_attrs(x, dim, index, OpAttrs());
}

// y[i][j] = x[i][index[i][j]] (dim = 1). Recorded inputs: x, index; attrs.dim.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  x.check_defined("gather");
  index.check_defined("gather");
  check_same_device("gather", x, index);
  const int64_t d = wrap_dim(dim, x.sizes(), "gather");
  check_gather_index("gather", x, index);
  check_scatter_shapes("gather", x, d, index, nullptr);
  OpAttrs attrs;
  attrs.dim = d;
  const Tensor inputs[] = {x, index};
  Tensor out;
  run_op(OpId::gather, &attrs, inputs, {&out, {{index.sizes(), x.dtype(), x.device()}}}, {.contiguous_inputs = 0b10});
  return out;
}

// y = x; y[i][index[i][j]] = src[i][j] (dim = 1)
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_out_of_place(OpId::scatter, x, dim, index, &src, 0);
}

// y = x; y[i][index[i][j]] = value (dim = 1)
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, Scalar value) {
  return scatter_out_of_place(OpId::scatter, x, dim, index, nullptr, value);
}

// y = x; y[i][index[i][j]] += src[i][j] (dim = 1)
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_out_of_place(OpId::scatter_add, x, dim, index, &src, 0);
}

Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_in_place(OpId::scatter, *this, dim, index, src);
}
Tensor& Tensor::scatter_add_(int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_in_place(OpId::scatter_add, *this, dim, index, src);
}

// y = x; y[..., index[i], ...] += alpha * source[..., i, ...]. Recorded inputs: x, index, source;
// attrs: dim, IndexAddAttrs.
Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha) {
  const int64_t d = check_index_add(x, dim, index, source, alpha);
  Tensor out;
  {
    NoGradGuard no_grad;
    out = x.clone();
  }
  OpAttrs attrs = family_attrs(IndexAddAttrs{alpha});
  attrs.dim = d;
  run_index_add(out, index, source, attrs, &x);
  return out;
}

// self[..., index[i], ...] += alpha * source[..., i, ...], in place
Tensor& Tensor::index_add_(int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha) {
  check_defined("index_add_");
  source.check_defined("index_add");
  if (records_in_place(*this, source)) {
    return detail::in_place_recorded("index_add_", *this, {&source}, [&](const Tensor& before) {
      return reel::index_add(before, dim, index, source, alpha);
    });
  }
  OpAttrs attrs = family_attrs(IndexAddAttrs{alpha});
  attrs.dim = check_index_add(*this, dim, index, source, alpha);
  run_index_add(*this, index, source, attrs, nullptr);
  return *this;
}

// y[..., c] = (x[...] == c); num_classes = -1 means max(x) + 1
Tensor one_hot(const Tensor& index, int64_t num_classes) {
  index.check_defined("one_hot");
  REEL_CHECK(index.dtype() == kInt64, "one_hot: is only applicable to an int64 index tensor, got {} (shape {})",
             dtype_name(index.dtype()), shape_str(index.sizes()));
  REEL_CHECK(num_classes >= -1, "one_hot: num_classes must be -1 or non-negative, got {}", num_classes);
  if (num_classes == -1) {
    REEL_CHECK(index.numel() > 0, "one_hot: can not infer the total number of classes from an empty tensor (shape {})",
               shape_str(index.sizes()));
    num_classes = amax(index).item<int64_t>() + 1;
  }
  DimVector out_shape(index.sizes());
  out_shape.push_back(num_classes);
  const OpAttrs attrs = family_attrs(OneHotAttrs{num_classes});
  Tensor out;
  run_op(OpId::one_hot, &attrs, index, {&out, {{out_shape, kInt64, index.device()}}},
         {.record = Record::no, .contiguous_inputs = 0b1});
  return out;
}

// y[..., :] = weight[index[...], :]: an index_select of rows whose node carries the gradient options in
// EmbeddingAttrs: sparse (a row-sparse gradient for a leaf weight) and padding_idx (absent for -1).
Tensor embedding(const Tensor& weight, const Tensor& index, int64_t padding_idx, bool scale_grad_by_freq,
                 bool sparse) {
  weight.check_defined("embedding");
  index.check_defined("embedding");
  REEL_CHECK(weight.dim() == 2, "embedding: weight must be 2-D, got shape {}", shape_str(weight.sizes()));
  REEL_CHECK(index.dtype() == kInt64 || index.dtype() == kInt32,
             "embedding: index must be an int64 or int32 tensor, got {} (shape {})", dtype_name(index.dtype()),
             shape_str(index.sizes()));
  REEL_CHECK(padding_idx >= -1 && padding_idx < weight.size(0),
             "embedding: padding_idx must be -1 (none) or a row of weight (shape {}), got {}; F::embedding and "
             "nn::Embedding take negative values counting from the end",
             shape_str(weight.sizes()), padding_idx);
  REEL_CHECK(!scale_grad_by_freq, "embedding: scale_grad_by_freq is not supported by reel (weight of shape {})",
             shape_str(weight.sizes()));
  EmbeddingAttrs gradient_options{.sparse = sparse, .padding_idx = std::nullopt};
  if (padding_idx >= 0) gradient_options.padding_idx = padding_idx;
  const OpAttrs attrs = family_attrs(gradient_options);
  DimVector out_shape(index.sizes());
  out_shape.push_back(weight.size(1));
  try {
    return index_select_with_attrs(weight, 0, index.reshape({index.numel()}), attrs).view(out_shape);
  } catch (const Error& e) {  // report the op the user called
    std::string message = e.what();
    if (message.rfind("index_select", 0) == 0) message.replace(0, 12, "embedding");
    throw Error(message);
  }
}

Tensor Tensor::index_select(int64_t dim, const Tensor& index) const { return reel::index_select(*this, dim, index); }
Tensor Tensor::gather(int64_t dim, const Tensor& index) const { return reel::gather(*this, dim, index); }
Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Tensor& src) const {
  return reel::scatter(*this, dim, index, src);
}
Tensor Tensor::scatter(int64_t dim, const Tensor& index, Scalar value) const {
  return reel::scatter(*this, dim, index, value);
}
Tensor Tensor::scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const {
  return reel::scatter_add(*this, dim, index, src);
}
Tensor Tensor::index_add(int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha) const {
  return reel::index_add(*this, dim, index, source, alpha);
}

}  // namespace reel
