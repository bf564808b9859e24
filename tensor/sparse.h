// reel/tensor/sparse.h — the inside of sparse tensors (layout kSparse), for the front doors that accept them.
//
// reel's sparse tensors are PyTorch's sparse COO tensors with one sparse dim: a tensor of sizes [n, ...] holds
// nnz rows `values` [nnz, ...] and their row numbers `indices` [1, nnz] (int64); its value is zeros with every
// row added in at its index, so repeated indices add up (an *uncoalesced* tensor; coalesce() sums them and sorts
// the indices). They exist for row-sparse gradients (Note [Row-sparse gradients] in docs/NOTES.md): the engine
// makes them for a sparse embedding's weight, the optimizers read them. A sparse tensor never requires grad.
//
// The elementwise front doors (tensor/ops_elementwise.cpp) hand sparse operands to sparse_binary_op /
// sparse_in_place, which do what PyTorch does for the cases reel supports (dense + sparse, sparse + sparse,
// sparse * scalar, ...) and throw a reel::Error naming the op for the rest.
#pragma once

#include "error_format.h"
#include "op_id.h"
#include "tensor.h"

namespace reel::detail {

struct SparseParts {
  Tensor indices;          // [1, nnz] int64, contiguous, on the tensor's device
  Tensor values;           // [nnz, sizes[1:]...], contiguous, the tensor's dtype and device
  bool coalesced = false;  // indices sorted and unique
};

// The parts of a sparse tensor (the caller knows it is one).
inline SparseParts& sparse_parts(const Tensor& t) { return *t.impl()->sparse; }

// A sparse tensor of `sizes` holding `values` at rows `indices` (no checks: the caller guarantees indices
// [1, nnz] int64 within [0, sizes[0]), values [nnz, sizes[1:]...], both contiguous and on one device).
Tensor make_sparse(IntList sizes, Tensor indices, Tensor values, bool coalesced);
// An empty sparse tensor (nnz 0) of `sizes`, dtype and device.
Tensor make_empty_sparse(IntList sizes, ScalarType dtype, Device device);

// Replaces `self`'s rows in place (every handle to self sees them): how .grad accumulates across passes.
void set_sparse_parts(Tensor& self, Tensor indices, Tensor values, bool coalesced);

// a op b (with `alpha` for add / sub) where a or b is sparse: dense + sparse -> dense, sparse + sparse -> sparse,
// sparse * scalar-like -> sparse; anything else throws naming the op.
Tensor sparse_binary_op(OpId op, const Tensor& a, const Tensor& b, Scalar alpha = 1);
Tensor sparse_binary_op(OpId op, const Tensor& a, Scalar b);
// self op= other where self or other is sparse (add_ / sub_ into dense or sparse, mul_ / div_ of sparse by a
// scalar-like); anything else throws naming the op.
Tensor& sparse_in_place(OpId op, Tensor& self, const Tensor& other, Scalar alpha = 1);
Tensor& sparse_in_place(OpId op, Tensor& self, Scalar other);
// zero_(), clone(), detach() and to(device, dtype) of a sparse tensor (to: itself when nothing changes).
Tensor& sparse_zero_(Tensor& self);
Tensor sparse_to(const Tensor& self, Device device, ScalarType dtype);
Tensor sparse_clone(const Tensor& self);
Tensor sparse_detach(const Tensor& self);

// Throws the error of a dense op given a sparse tensor (a cold path of Tensor::check_defined).
[[noreturn]] void throw_sparse_unsupported(const char* op, const Tensor& t);

}  // namespace reel::detail
