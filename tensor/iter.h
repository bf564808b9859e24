// reel/tensor/iter.h — TensorIter: the strided broadcast loop under every elementwise kernel.
//
// Given an output and inputs that broadcast to the output's shape, it computes each operand's byte strides
// (0 along broadcast dims), drops size-1 dims and merges dims that are contiguous for every operand, so the
// common cases collapse to one flat loop. Kernels then supply only an inner loop:
//     loop(char** data, const int64_t* strides, int64_t n)
// which walks n elements, advancing operand i's pointer by strides[i] bytes each step. Operand 0 is the
// output. See Note [Elementwise data path] in docs/NOTES.md.
#pragma once

#include <cstdint>

#include "error_format.h"
#include "parallel.h"
#include "tensor.h"

namespace reel {

class TensorIter {
 public:
  static constexpr int kMaxOperands = 4;
  // Dims of the loop after dropping size-1 dims and merging: more is refused with a reel::Error (64 is PyTorch's
  // own limit on a tensor's rank). Fixed arrays instead of growable vectors: building an iterator for a small
  // contiguous operation costs a few stores, no constructor and no destructor per operand.
  static constexpr int kMaxDims = 64;
  static constexpr int64_t kGrain = 32768;  // elements below which a loop stays on one thread

  TensorIter() = default;
  // operands[0] is the output, whose sizes are the loop shape; every input must broadcast to it.
  TensorIter(const Tensor* const* operands, int count);

  int ntensors() const { return ntensors_; }
  int ndim() const { return ndim_; }
  IntList shape() const { return IntList(shape_, static_cast<size_t>(ndim_)); }
  int64_t numel() const { return numel_; }
  char* data(int operand) const { return data_[operand]; }
  const int64_t* strides(int operand) const { return strides_[operand]; }
  ScalarType dtype(int operand) const { return dtypes_[operand]; }
  // True when the loop is one flat run and every operand is either dense or a broadcast scalar.
  bool is_flat() const { return ndim_ <= 1; }

  // Calls loop(data, inner_strides, n) over every element, splitting the outer dims across threads when the
  // tensor is large. `data` points at the first element of the run for each operand.
  template <typename Loop>
  void for_each(Loop&& loop, int64_t grain = kGrain) const;

 private:
  void run_range(int64_t outer_begin, int64_t outer_end, FunctionRef<void(char**, const int64_t*, int64_t)> loop) const;

  void build_general(const Tensor* const* operands);

  int ntensors_ = 0;
  int ndim_ = 0;
  int64_t numel_ = 0;
  char* data_[kMaxOperands] = {};
  ScalarType dtypes_[kMaxOperands] = {};
  // Only the first ndim_ entries are set (no zero-filling of the rest: that is the point of fixed arrays).
  int64_t shape_[kMaxDims];
  int64_t strides_[kMaxOperands][kMaxDims];  // bytes, per operand, per dim
};

template <typename Loop>
void TensorIter::for_each(Loop&& loop, int64_t grain) const {
  if (numel_ == 0) return;
  int64_t inner_strides[kMaxOperands];
  const int last = ndim() - 1;
  for (int i = 0; i < ntensors_; ++i) inner_strides[i] = strides_[i][last];
  if (ndim() == 1) {
    // One flat run: split it into contiguous chunks.
    parallel_for(0, numel_, grain, [&](int64_t begin, int64_t end) {
      char* ptrs[kMaxOperands] = {};
      for (int i = 0; i < ntensors_; ++i) ptrs[i] = data_[i] + begin * inner_strides[i];
      loop(ptrs, inner_strides, end - begin);
    });
    return;
  }
  const int64_t inner = shape_[last];
  const int64_t outer = numel_ / inner;
  const int64_t outer_grain = grain / inner > 0 ? grain / inner : 1;
  parallel_for(0, outer, outer_grain, [&](int64_t begin, int64_t end) { run_range(begin, end, loop); });
}

}  // namespace reel
