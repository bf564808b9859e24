// reel/tensor/advanced_index.h — (internal) the geometry of an advanced index, shared by the front doors
// (tensor/ops_advanced_index.cpp) and the kernels of index / index_put (cpu/advanced_index.cpp,
// cuda/advanced_index.cu), and the identities of scatter_reduce's reductions.
//
// An advanced index of self takes k int64 index tensors, already broadcast to one shape B (the front door stacks
// them into one contiguous [k, B...] tensor), at the ascending dims d_0 < ... < d_(k-1) of self. Element b of B
// (row-major, N = numel(B) of them) picks self's elements at coordinates (i_0[b], ..., i_(k-1)[b]) on those dims
// and every coordinate of the other dims ("rest" dims). The result of index (and the values of index_put) has the
// rest dims in order, with B in place of the indexed dims when they are adjacent (d_j = d_0 + j) and first
// otherwise (PyTorch's rule). A kernel walks (b, r) pairs: the self offset is offset(b) + rest_self_offset(r), the
// result offset b * result_index_stride + rest_result_offset(r).
#pragma once

#include <cstdint>
#include <limits>

#include "tensor/op_attrs.h"
#include "tensor/shape.h"

namespace reel {

struct AdvancedIndexGeometry {
  DimVector result_sizes;          // the row-major shape of the indexed result
  int64_t count = 1;               // N = numel(B)
  int64_t result_index_stride = 0; // element stride of b (B flattened) in the result
  DimVector rest_sizes;            // self's dims without an index, in order
  DimVector rest_self_strides;     // their strides in self
  DimVector rest_result_strides;   // their strides in the row-major result
  int64_t rest_count = 1;          // numel of rest_sizes
};

// The geometry of indexing self (sizes, strides) at `dims` (ascending) with index tensors broadcast to index_shape.
AdvancedIndexGeometry advanced_index_geometry(IntList self_sizes, IntList self_strides, IntList dims,
                                              IntList index_shape);

// The error of an index value outside [-size, size) at `dim` (PyTorch's wording), thrown by the kernels.
[[noreturn]] void throw_index_out_of_range(const char* op, int64_t value, int64_t dim, int64_t size);

// The value an element of self starts from in scatter_reduce without include_self: the reduction's identity
// (0 for sum, 1 for prod, the lowest / highest value of T, infinities included, for amax / amin).
template <typename Compute>
Compute scatter_identity(ScatterReduction reduce) {
  switch (reduce) {
    case ScatterReduction::sum: return Compute(0);
    case ScatterReduction::prod: return Compute(1);
    case ScatterReduction::amax:
      if constexpr (std::numeric_limits<Compute>::has_infinity) return -std::numeric_limits<Compute>::infinity();
      else return std::numeric_limits<Compute>::lowest();
    default:
      if constexpr (std::numeric_limits<Compute>::has_infinity) return std::numeric_limits<Compute>::infinity();
      else return std::numeric_limits<Compute>::max();
  }
}

}  // namespace reel
