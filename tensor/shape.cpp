// reel/tensor/shape.cpp — shape arithmetic: numel with overflow checks, strides, broadcasting, dim wrapping.
#include "tensor/shape.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tensor/error_format.h"

namespace reel {

std::string shape_str(IntList sizes) { return fmt::format("[{}]", fmt::join(sizes.begin(), sizes.end(), ", ")); }

int64_t checked_numel(IntList sizes, const char* op) {
  int64_t n = 1;
  for (int64_t s : sizes) {
    REEL_CHECK(s >= 0, "{}: negative size {} in shape {}", op, s, shape_str(sizes));
    REEL_CHECK(!__builtin_mul_overflow(n, s, &n), "{}: shape {} has more elements than int64 can count", op,
               shape_str(sizes));
  }
  return n;
}

DimVector contiguous_strides(IntList sizes) {
  DimVector strides(sizes.size());
  int64_t running = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    strides[i] = running;
    // Only a shape with no elements can get here with strides past int64 ([0, 2^62, 2^62]); PyTorch refuses
    // those too ("Stride calculation overflowed").
    if (i > 0) {
      REEL_CHECK(!__builtin_mul_overflow(running, sizes[i] > 1 ? sizes[i] : 1, &running),
                 "the contiguous strides of shape {} do not fit in int64", shape_str(sizes));
    }
  }
  return strides;
}

DimVector broadcast_shapes(IntList a, IntList b, const char* op) {
  const size_t nd = a.size() > b.size() ? a.size() : b.size();
  DimVector out(nd);
  for (size_t i = 0; i < nd; ++i) {
    int64_t da = i < nd - a.size() ? 1 : a[i - (nd - a.size())];
    int64_t db = i < nd - b.size() ? 1 : b[i - (nd - b.size())];
    REEL_CHECK(da == db || da == 1 || db == 1,
               "{}: shapes {} and {} cannot be broadcast (size {} vs {} at dim {} of the result)", op,
               shape_str(a), shape_str(b), da, db, i);
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  const int64_t range = ndim > 0 ? ndim : 1;  // 0-dim tensors accept dim 0 and -1
  REEL_CHECK(dim >= -range && dim < range, "{}: dim {} out of range for a tensor with {} dims (expected [{}, {}])",
             op, dim, ndim, -range, range - 1);
  return dim < 0 ? dim + range : dim;
}

}  // namespace reel

namespace reel {

int64_t wrap_dim(int64_t dim, IntList sizes, const char* op) {
  const int64_t ndim = static_cast<int64_t>(sizes.size());
  const int64_t range = ndim > 0 ? ndim : 1;
  REEL_CHECK(dim >= -range && dim < range,
             "{}: dim {} out of range for a tensor of shape {} ({} dims, expected a dim in [{}, {}])", op, dim,
             shape_str(sizes), ndim, -range, range - 1);
  return dim < 0 ? dim + range : dim;
}

void check_no_internal_overlap(IntList sizes, IntList strides, std::string_view op, bool in_place_suffix) {
  for (size_t d = 0; d < sizes.size(); ++d) {
    REEL_CHECK(!(sizes[d] > 1 && strides[d] == 0),
               "{}{}: unsupported operation: more than one element of the written-to tensor refers to a single memory "
               "location. Please clone() the tensor before performing the operation. (shape {}, strides {})",
               op, in_place_suffix ? "_" : "", shape_str(sizes), shape_str(strides));
  }
}

}  // namespace reel
