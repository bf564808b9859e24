// reel/cpu/reduce_layout.h — how a reduction (or softmax) walks its input: dims split into "kept" axes (one
// output element per index) and "reduced" axes (folded into that element), simplified before any loop runs.
//
// Simplification: size-1 dims are dropped; kept axes are ordered by decreasing input stride (so the last kept
// axis is the cheapest to step along), reduced axes too when the op does not care about visiting order; then
// neighbouring axes whose strides chain (outer stride == inner stride * inner size) merge into one. A
// contiguous row reduction thus becomes one kept axis and one reduced axis of stride 1, whatever the rank.
// Two loop shapes cover every layout (see cpu/reduce.cpp):
//   rows     the innermost reduced axis is the cheaper one: each output walks runs along it;
//   columns  the innermost kept axis is the cheaper one: a block of neighbouring outputs advances together
//            through the reduced index set, so the inner loop runs over outputs (contiguous, vectorisable).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tensor/shape.h"

namespace reel::cpu {

// Axes of one group, outer to inner: size, stride in the input and stride in the output (elements).
struct AxisGroup {
  DimVector sizes, in_strides, out_strides;

  int ndim() const { return static_cast<int>(sizes.size()); }
  void push(int64_t size, int64_t in_stride, int64_t out_stride) {
    sizes.push_back(size);
    in_strides.push_back(in_stride);
    out_strides.push_back(out_stride);
  }
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t s : sizes) n *= s;
    return n;
  }
  int64_t inner_size() const { return sizes[sizes.size() - 1]; }
  int64_t inner_in_stride() const { return in_strides[in_strides.size() - 1]; }
  int64_t inner_out_stride() const { return out_strides[out_strides.size() - 1]; }

  // Stable-sorts the axes by decreasing input stride (the row-major order of a permuted tensor).
  void sort_by_input_stride() {
    const int n = ndim();
    for (int i = 1; i < n; ++i) {
      for (int j = i; j > 0 && in_strides[j - 1] < in_strides[j]; --j) {
        std::swap(sizes[j - 1], sizes[j]);
        std::swap(in_strides[j - 1], in_strides[j]);
        std::swap(out_strides[j - 1], out_strides[j]);
      }
    }
  }

  // Merges neighbours whose input and output strides both chain; visiting order is unchanged.
  void merge_chained() {
    AxisGroup merged;
    for (int i = 0; i < ndim(); ++i) {
      const int last = merged.ndim() - 1;
      if (last >= 0 && merged.in_strides[last] == in_strides[i] * sizes[i] &&
          merged.out_strides[last] == out_strides[i] * sizes[i]) {
        merged.sizes[last] *= sizes[i];
        merged.in_strides[last] = in_strides[i];
        merged.out_strides[last] = out_strides[i];
      } else {
        merged.push(sizes[i], in_strides[i], out_strides[i]);
      }
    }
    *this = merged;
  }
};

// Steps a row-major linear index over the first `ndim` axes of a group, tracking input and output offsets.
class AxisCounter {
 public:
  AxisCounter(const AxisGroup& group, int ndim) : group_(group), ndim_(ndim), index_(static_cast<size_t>(ndim)) {}

  void seek(int64_t linear) {
    in_offset_ = 0;
    out_offset_ = 0;
    for (int d = ndim_ - 1; d >= 0; --d) {
      const int64_t size = group_.sizes[d];
      index_[d] = linear % size;
      linear /= size;
      in_offset_ += index_[d] * group_.in_strides[d];
      out_offset_ += index_[d] * group_.out_strides[d];
    }
  }
  void next() {
    for (int d = ndim_ - 1; d >= 0; --d) {
      in_offset_ += group_.in_strides[d];
      out_offset_ += group_.out_strides[d];
      if (++index_[d] < group_.sizes[d]) return;
      in_offset_ -= group_.in_strides[d] * group_.sizes[d];
      out_offset_ -= group_.out_strides[d] * group_.sizes[d];
      index_[d] = 0;
    }
  }
  int64_t in_offset() const { return in_offset_; }
  int64_t out_offset() const { return out_offset_; }

 private:
  const AxisGroup& group_;
  int ndim_;
  DimVector index_;
  int64_t in_offset_ = 0;
  int64_t out_offset_ = 0;
};

// The reduced index set of one output, visited in row-major order of the reduced axes as runs along the
// innermost one. fn(offset, length, stride, first_index): `length` elements at input offset `offset` (from
// the output's base), `stride` apart, whose reduced linear indices are first_index, first_index + 1, ...
class ReducedWalker {
 public:
  explicit ReducedWalker(const AxisGroup& axes) : axes_(axes) {}

  template <typename Fn>
  void for_each_run(int64_t begin, int64_t end, Fn&& fn) const {
    if (begin >= end) return;
    if (axes_.ndim() <= 1) {  // one run (a single element when nothing is left to reduce)
      const int64_t stride = axes_.ndim() == 1 ? axes_.inner_in_stride() : 0;
      fn(begin * stride, end - begin, stride, begin);
      return;
    }
    for_each_run_nested(begin, end, fn);
  }

 private:
  template <typename Fn>
  void for_each_run_nested(int64_t begin, int64_t end, Fn& fn) const {
    const int ndim = axes_.ndim();
    const int64_t inner_size = axes_.inner_size();
    const int64_t inner_stride = axes_.inner_in_stride();
    AxisCounter outer(axes_, ndim - 1);
    outer.seek(begin / inner_size);
    int64_t position = begin % inner_size;
    for (int64_t done = begin; done < end;) {
      const int64_t length = std::min(inner_size - position, end - done);
      fn(outer.in_offset() + position * inner_stride, length, inner_stride, done);
      done += length;
      position = 0;
      outer.next();
    }
  }

  const AxisGroup& axes_;
};

// An input split into kept and reduced axes. `reduced_mask[d]` says whether input dim d is reduced; the
// output is contiguous over the kept dims in their original order (keepdim does not change that layout).
struct ReduceLayout {
  AxisGroup kept;
  AxisGroup reduced;
  int64_t num_outputs = 1;
  int64_t num_reduced = 1;

  // True when neighbouring outputs are cheaper to step between than neighbouring reduced elements.
  bool use_columns() const {
    return kept.ndim() > 0 && reduced.ndim() > 0 && kept.inner_size() > 1 &&
           kept.inner_in_stride() < reduced.inner_in_stride();
  }
};

// `order_free`: the op's result does not depend on the order it visits reduced elements (everything but the
// index-returning ops), so the reduced axes may be reordered for locality.
inline ReduceLayout make_reduce_layout(IntList sizes, IntList strides, const std::vector<bool>& reduced_mask,
                                       bool order_free) {
  ReduceLayout layout;
  const int ndim = static_cast<int>(sizes.size());
  DimVector out_strides(static_cast<size_t>(ndim));
  int64_t running = 1;
  for (int d = ndim - 1; d >= 0; --d) {
    out_strides[d] = reduced_mask[d] ? 0 : running;
    if (!reduced_mask[d]) running *= sizes[d];
  }
  for (int d = 0; d < ndim; ++d) {
    if (reduced_mask[d]) {
      layout.num_reduced *= sizes[d];
      if (sizes[d] != 1) layout.reduced.push(sizes[d], strides[d], 0);
    } else {
      layout.num_outputs *= sizes[d];
      if (sizes[d] != 1) layout.kept.push(sizes[d], strides[d], out_strides[d]);
    }
  }
  layout.kept.sort_by_input_stride();
  layout.kept.merge_chained();
  if (order_free) layout.reduced.sort_by_input_stride();
  layout.reduced.merge_chained();
  return layout;
}

}  // namespace reel::cpu
