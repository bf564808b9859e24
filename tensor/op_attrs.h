// reel/tensor/op_attrs.h — the attributes of one op call: a few fields every family shares, plus one typed struct
// per op family held in a std::variant (internal).
//
// The front door fills OpAttrs, run_op hands it to the kernel (KernelArgs::attrs) and the recorder keeps a copy on
// the node for the backward formula. Fields shared by many families keep their PyTorch meaning everywhere:
//   dims     the reduced / flipped / permuted dims, or a family's list of sizes (conv and pooling settings)
//   dim      the one dim of index ops, cat, softmax, scans, sort
//   keepdim  reductions keep the reduced dims with size 1
// Everything else an op needs lives in its family's struct below, with names that say what the numbers are.
// Read it with `attrs.get<ClampAttrs>()` (throws an internal error naming both types when the op stored another
// family) and write it with `attrs.set(ClampAttrs{...})`. New families add their struct here and append it to
// `FamilyAttrs` (appending keeps the existing alternatives' indices, which capture files record).
#pragma once

#include <cstdint>
#include <optional>
#include <variant>

#include "error_format.h"
#include "op_id.h"
#include "tensor.h"

namespace reel {

// No attributes beyond the shared fields.
using NoFamilyAttrs = std::monostate;

// ---- sorting, selection, counting (tensor/ops_sort.cpp, tensor/ops_unique_search.cpp) ----
// sort: ascending unless `descending`; `stable` keeps equal elements in their input order.
struct SortAttrs {
  bool descending = false;
  bool stable = false;
};
// topk: the `k` largest (or smallest) along dim, in order when `sorted`.
struct TopkAttrs {
  int64_t k = 1;
  bool largest = true;
  bool sorted = true;
};
// kthvalue: the k-th smallest along dim, counted from 1.
struct KthvalueAttrs {
  int64_t k = 1;
};
// unique / unique_consecutive: which of the optional outputs are wanted (the others come back empty, [0]).
struct UniqueAttrs {
  bool sorted = true;
  bool return_inverse = false;
  bool return_counts = false;
};
// histc: `bins` equal bins over [min, max] (the front door has resolved min == max to the data's range);
// bincount: at least `minlength` bins (`bins` = the output length the front door computed).
struct HistogramAttrs {
  int64_t bins = 100;
  double min = 0;
  double max = 0;
  int64_t minlength = 0;
};
// searchsorted: int32 indices instead of int64; `right`: the index after the last element <= v.
struct SearchsortedAttrs {
  bool out_int32 = false;
  bool right = false;
};
// diagonal(offset, dim1, dim2): dim1 and dim2 wrapped against the input's rank.
struct DiagonalViewAttrs {
  int64_t offset = 0;
  int64_t dim1 = 0;
  int64_t dim2 = 1;
};

// ---- advanced indexing (tensor/ops_advanced_index.cpp, ops_scatter_reduce.cpp) ----
// index / index_put: OpAttrs::dims holds the indexed dims of self, ascending. index_put: `accumulate` adds the
// values into self (duplicate indices add up) instead of writing them (one of the duplicates wins).
struct IndexPutAttrs {
  bool accumulate = false;
};
// scatter_reduce's kernel: how the values landing on one element of self combine; include_self: self's own value
// takes part (otherwise an element that receives anything starts from the first value it receives). "mean" is
// the front door's: a sum divided by the count.
enum class ScatterReduction : uint8_t { sum, prod, amax, amin };
struct ScatterReduceAttrs {
  ScatterReduction reduce = ScatterReduction::sum;
  bool include_self = true;
};

using FamilyAttrs = std::variant<NoFamilyAttrs,
                                 ElementwiseParams,  // parameterised elementwise rows (REEL_UNARY_PARAM_OP)
                                 SortAttrs, TopkAttrs, KthvalueAttrs, UniqueAttrs, HistogramAttrs,  // sort family
                                 SearchsortedAttrs,
                                 DiagonalViewAttrs,  // the diagonal view
                                 IndexPutAttrs, ScatterReduceAttrs  // advanced indexing, scatter_reduce
                                 >;

struct OpAttrs {
  DimVector dims;
  int64_t dim = 0;
  bool keepdim = false;
  FamilyAttrs family;

  // ---- legacy bag, being replaced by the FamilyAttrs structs ----
  int64_t k = 0;           // tril/triu diagonal, one_hot classes
  bool flag = false;       // op-specific switch (e.g. clamp has a min)
  bool flag2 = false;      // op-specific switch (e.g. clamp has a max)
  Scalar a;                // op-specific numbers: alpha, min, fill value, start, low, mean, p
  Scalar b;                // beta, max, end, high, std
  Scalar c;                // step
  double correction = 1;   // var/std (a Scalar in the API: PyTorch allows fractional corrections)
  uint64_t seed = 0;       // random ops: generator seed and offset (counter-based)
  uint64_t offset = 0;
  ElementwiseParams params;  // the numeric parameters of a parameterised elementwise row (leaky_relu's slope, ...)

  template <class T>
  const T& get() const {
    const T* value = std::get_if<T>(&family);
    REEL_CHECK(value != nullptr, "internal: op attributes hold alternative {} of FamilyAttrs, not the one asked for",
               family.index());
    return *value;
  }
  template <class T>
  T& get() {
    return const_cast<T&>(static_cast<const OpAttrs&>(*this).get<T>());
  }
  template <class T>
  bool holds() const {
    return std::holds_alternative<T>(family);
  }
  template <class T>
  OpAttrs& set(T value) {
    family = std::move(value);
    return *this;
  }
};

}  // namespace reel
