// reel/tensor/iter.cpp — building a TensorIter: broadcast strides, dropping size-1 dims, merging dims.
//
// The common case (every operand dense with the output's shape, or a single element) is settled first with a
// handful of reads of each operand's TensorImpl: for the small tensors of per-example code the iterator is
// part of every op's fixed cost (issue 15's W1 profile), so it reads the impl fields directly and writes only
// the entries it uses.
#include "tensor/iter.h"

namespace reel {

namespace {

// Operand data as kernels see it: the first element (a view's offset applied), or the storage's start for an
// operand with no elements (as_strided may give those any offset; nothing is read through the pointer).
char* first_element(const TensorImpl& t) {
  // A dense operand without memory is the output of an op an autobatch::Scope recorded and never ran (its flush
  // failed): it has no value to read.
  if (!t.storage) [[unlikely]]
    detail::materialize_pending(t);  // throws the error of that flush
  char* base = static_cast<char*>(t.storage->data);
  return t.numel == 0 ? base : base + t.offset * element_size(t.dtype);
}

bool same_sizes(const TensorImpl& a, const TensorImpl& b) {
  const size_t n = a.sizes.size();
  if (n != b.sizes.size()) return false;
  const int64_t* x = a.sizes.data();
  const int64_t* y = b.sizes.data();
  for (size_t d = 0; d < n; ++d)
    if (x[d] != y[d]) return false;
  return true;
}

}  // namespace

TensorIter::TensorIter(const Tensor* const* operands, int count) : ntensors_(count) {
  REEL_CHECK(count >= 1 && count <= kMaxOperands, "TensorIter: {} operands (1..{} supported)", count, kMaxOperands);
  const TensorImpl* impls[kMaxOperands];
  for (int i = 0; i < count; ++i) {
    operands[i]->check_defined("TensorIter");
    impls[i] = operands[i]->impl();
    data_[i] = first_element(*impls[i]);
    dtypes_[i] = impls[i]->dtype;
  }
  const TensorImpl& out = *impls[0];
  numel_ = out.numel;

  // Nothing to visit: an empty operand's strides and offset may be arbitrary (as_strided allows it, as PyTorch
  // does), so they are not read, and no byte stride is computed from them.
  if (numel_ == 0) {
    ndim_ = 1;
    shape_[0] = 0;
    for (int i = 0; i < count; ++i) strides_[i][0] = 0;
    return;
  }

  // Fast path: every operand dense with the output's shape, or a single broadcast element -> one flat run.
  bool flat = true;
  for (int i = 0; i < count && flat; ++i) {
    const TensorImpl& t = *impls[i];
    flat = t.is_contiguous && (t.numel == 1 || &t == &out || same_sizes(t, out));
  }
  if (flat) {
    ndim_ = 1;
    shape_[0] = numel_;
    for (int i = 0; i < count; ++i) {
      const TensorImpl& t = *impls[i];
      strides_[i][0] = t.numel == 1 && numel_ != 1 ? 0 : element_size(t.dtype);
    }
    return;
  }
  build_general(operands);
}

void TensorIter::build_general(const Tensor* const* operands) {
  const int count = ntensors_;
  const Tensor& out = *operands[0];
  const int64_t nd = out.dim();

  // 1. Drop size-1 dims of the loop shape (a size-1 dim is only ever indexed at 0: its strides are not used).
  int64_t kept[kMaxDims];
  int num_kept = 0;
  for (int64_t d = 0; d < nd; ++d) {
    if (out.sizes()[d] == 1) continue;
    REEL_CHECK(num_kept < kMaxDims, "TensorIter: an elementwise op over shape {} has more than {} dims of size > 1",
               shape_str(out.sizes()), kMaxDims);
    kept[num_kept++] = d;
  }

  // 2. Walking from the innermost kept dim outwards, merge each dim into the next inner one when every operand's
  //    broadcast byte stride allows it; the lists are built innermost-first and reversed at the end.
  // The broadcast byte stride of operand i along output dim d, aligned to the output's trailing dims.
  auto byte_stride = [&](int i, int64_t d) -> int64_t {
    const Tensor& t = *operands[i];
    const int64_t src = d - (nd - t.dim());
    if (src < 0 || t.sizes()[src] == 1) return 0;
    return t.strides()[src] * element_size(dtypes_[i]);
  };
  ndim_ = 0;
  for (int k = num_kept; k-- > 0;) {
    const int64_t d = kept[k];
    const int64_t size = out.sizes()[d];
    bool merge = ndim_ > 0;
    for (int i = 0; i < count && merge; ++i)
      merge = byte_stride(i, d) == strides_[i][ndim_ - 1] * shape_[ndim_ - 1];
    if (merge) {
      shape_[ndim_ - 1] *= size;
    } else {
      shape_[ndim_] = size;
      for (int i = 0; i < count; ++i) strides_[i][ndim_] = byte_stride(i, d);
      ++ndim_;
    }
  }
  if (ndim_ == 0) {  // 0-dim, or all dims of size 1 (numel 1)
    ndim_ = 1;
    shape_[0] = numel_;
    for (int i = 0; i < count; ++i) strides_[i][0] = 0;
  }
  // 3. Outermost-first order.
  for (int a = 0, b = ndim_ - 1; a < b; ++a, --b) {
    std::swap(shape_[a], shape_[b]);
    for (int i = 0; i < count; ++i) std::swap(strides_[i][a], strides_[i][b]);
  }
}

void TensorIter::run_range(int64_t outer_begin, int64_t outer_end,
                           FunctionRef<void(char**, const int64_t*, int64_t)> loop) const {
  const int last = ndim() - 1;
  int64_t inner_strides[kMaxOperands];
  for (int i = 0; i < ntensors_; ++i) inner_strides[i] = strides_[i][last];
  // Multi-index of outer_begin over dims [0, last).
  int64_t index[kMaxDims];
  int64_t rest = outer_begin;
  for (int d = last - 1; d >= 0; --d) {
    index[d] = rest % shape_[d];
    rest /= shape_[d];
  }
  char* ptrs[kMaxOperands] = {};
  for (int64_t o = outer_begin; o < outer_end; ++o) {
    for (int i = 0; i < ntensors_; ++i) {
      char* p = data_[i];
      for (int d = 0; d < last; ++d) p += index[d] * strides_[i][d];
      ptrs[i] = p;
    }
    loop(ptrs, inner_strides, shape_[last]);
    for (int d = last - 1; d >= 0; --d) {  // increment the multi-index
      if (++index[d] < shape_[d]) break;
      index[d] = 0;
    }
  }
}

}  // namespace reel
