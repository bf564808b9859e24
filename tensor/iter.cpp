// reel/tensor/iter.cpp — building a TensorIter: broadcast strides, dropping size-1 dims, merging dims.
#include "tensor/iter.h"

namespace reel {

TensorIter::TensorIter(const Tensor* const* operands, int count) : ntensors_(count) {
  REEL_CHECK(count >= 1 && count <= kMaxOperands, "TensorIter: {} operands (1..{} supported)", count, kMaxOperands);
  const Tensor& out = *operands[0];
  const int64_t nd = out.dim();
  numel_ = out.numel();

  // Nothing to visit: an empty operand's strides and offset may be arbitrary (as_strided allows it, as PyTorch
  // does), so they are not read, and no byte stride is computed from them.
  if (numel_ == 0) {
    shape_.assign(1, 0);
    for (int i = 0; i < count; ++i) {
      data_[i] = static_cast<char*>(operands[i]->data_ptr());
      dtypes_[i] = operands[i]->dtype();
      strides_[i].assign(1, 0);
    }
    return;
  }

  // Fast path: every operand dense with the output's shape, or a single broadcast element -> one flat run.
  bool flat = true;
  for (int i = 0; i < count && flat; ++i) {
    const Tensor& t = *operands[i];
    flat = t.is_contiguous() && (t.numel() == 1 || t.sizes() == out.sizes());
  }
  if (flat) {
    shape_.assign(1, numel_);
    for (int i = 0; i < count; ++i) {
      const Tensor& t = *operands[i];
      data_[i] = static_cast<char*>(t.data_ptr());
      dtypes_[i] = t.dtype();
      strides_[i].assign(1, t.numel() == 1 && numel_ != 1 ? 0 : t.element_size());
    }
    return;
  }

  // 1. Broadcast byte strides for every operand, aligned to the output's trailing dims.
  DimVector full_strides[kMaxOperands];
  for (int i = 0; i < count; ++i) {
    const Tensor& t = *operands[i];
    data_[i] = static_cast<char*>(t.data_ptr());
    dtypes_[i] = t.dtype();
    const int64_t element = t.element_size();
    const int64_t lead = nd - t.dim();
    full_strides[i].resize(nd);
    for (int64_t d = 0; d < nd; ++d) {
      int64_t src = d - lead;
      // A size-1 dim is only ever indexed at 0, so its stride (which may be anything) is not used.
      bool broadcast = src < 0 || t.sizes()[src] == 1;
      full_strides[i][d] = broadcast ? 0 : t.strides()[src] * element;
    }
  }

  // 2. Drop size-1 dims, then merge each dim into the next inner one when all operands allow it.
  DimVector kept;
  for (int64_t d = 0; d < nd; ++d)
    if (out.sizes()[d] != 1) kept.push_back(d);
  shape_.clear();
  for (int i = 0; i < count; ++i) strides_[i].clear();
  // Walk from the innermost dim outwards, building reversed lists.
  for (size_t k = kept.size(); k-- > 0;) {
    int64_t d = kept[k];
    int64_t size = out.sizes()[d];
    bool merge = !shape_.empty();
    for (int i = 0; i < count && merge; ++i)
      merge = full_strides[i][d] == strides_[i].back() * shape_.back();
    if (merge) {
      shape_.back() *= size;
    } else {
      shape_.push_back(size);
      for (int i = 0; i < count; ++i) strides_[i].push_back(full_strides[i][d]);
    }
  }
  if (shape_.empty()) {  // 0-dim, or all dims of size 1 (numel 1), or numel 0 with no non-1 dims
    shape_.push_back(numel_);
    for (int i = 0; i < count; ++i) strides_[i].push_back(0);
  }
  // Reverse into outermost-first order.
  auto reverse = [](DimVector& v) {
    for (size_t a = 0, b = v.size() - 1; a < b; ++a, --b) std::swap(v[a], v[b]);
  };
  reverse(shape_);
  for (int i = 0; i < count; ++i) reverse(strides_[i]);
}

void TensorIter::run_range(int64_t outer_begin, int64_t outer_end,
                           FunctionRef<void(char**, const int64_t*, int64_t)> loop) const {
  const int last = ndim() - 1;
  int64_t inner_strides[kMaxOperands];
  for (int i = 0; i < ntensors_; ++i) inner_strides[i] = strides_[i][last];
  // Multi-index of outer_begin over dims [0, last).
  DimVector index(static_cast<size_t>(last));
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
