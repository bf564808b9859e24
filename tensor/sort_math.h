// reel/tensor/sort_math.h — the math the sorting, selection, counting and scan kernels share between the CPU
// (cpu/sort.cpp, cpu/scan.cpp, cpu/unique_search.cpp) and CUDA (cuda/sort.cu, cuda/scan.cu,
// cuda/unique_search.cu), written once as host/device functions (internal).
//
// Every op of these families works on "rows": the elements of a row-major tensor along one dim. With
// outer = prod(sizes[:dim]), n = sizes[dim], inner = prod(sizes[dim+1:]), row r = (o, i) (o = r / inner,
// i = r % inner) holds the elements at (o * n + j) * inner + i, j = 0 .. n-1. The front doors hand the kernels
// row-major inputs and outputs, so this one formula addresses all of them (an output with another length along
// dim, topk's k, uses its own n; a reduced output, kthvalue's, is the row index itself).
//
// Order: NaN is above every number (PyTorch's sort order), so ascending sorts put NaNs last and topk counts them
// as the largest.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "half.h"
#include "shape.h"

namespace reel::sorting {

// The rows of a row-major tensor of `sizes` along `dim` (a 0-dim tensor is one row of one element).
struct RowGeometry {
  int64_t outer = 1;
  int64_t n = 1;
  int64_t inner = 1;

  REEL_HOST_DEVICE int64_t rows() const { return outer * inner; }
  // Offset of element j of row `row` in a row-major tensor whose size along dim is `length` (n by default).
  REEL_HOST_DEVICE int64_t offset(int64_t row, int64_t j, int64_t length) const {
    const int64_t o = row / inner;
    const int64_t i = row - o * inner;
    return (o * length + j) * inner + i;
  }
  REEL_HOST_DEVICE int64_t offset(int64_t row, int64_t j) const { return offset(row, j, n); }
};

inline RowGeometry row_geometry(IntList sizes, int64_t dim) {
  RowGeometry g;
  const int64_t ndim = static_cast<int64_t>(sizes.size());
  for (int64_t d = 0; d < ndim; ++d) {
    if (d < dim) g.outer *= sizes[d];
    else if (d == dim) g.n = sizes[d];
    else g.inner *= sizes[d];
  }
  return g;
}

template <typename C>
REEL_HOST_DEVICE inline bool is_nan(C x) {
  if constexpr (std::is_floating_point_v<C>) return x != x;
  else return false;
}

// a < b in the order with NaN above every number (NaNs are equal to each other).
template <typename C>
REEL_HOST_DEVICE inline bool nan_last_less(C a, C b) {
  if constexpr (std::is_floating_point_v<C>) return a < b || (b != b && a == a);
  else return a < b;
}

// Equal in that order (NaN equals NaN: sorting and selection put all NaNs together).
template <typename C>
REEL_HOST_DEVICE inline bool nan_last_equal(C a, C b) {
  return !nan_last_less(a, b) && !nan_last_less(b, a);
}

// ---- scans: one step of y_i = y_(i-1) (op) x_i -------------------------------------------------------------
struct CumsumStep {
  template <typename A> REEL_HOST_DEVICE A operator()(A acc, A x) const { return acc + x; }
};
struct CumprodStep {
  template <typename A> REEL_HOST_DEVICE A operator()(A acc, A x) const { return acc * x; }
};
// ln(e^a + e^b) without overflow: max + ln(1 + e^-(|a - b|)); -inf is the identity, equal infinities stay.
struct LogAddExpStep {
  template <typename A> REEL_HOST_DEVICE A operator()(A a, A b) const {
    if (a != a || b != b) return a + b;  // NaN
    if (a == b) return a + static_cast<A>(0.69314718055994530942);  // also +inf, and -inf + ln 2 = -inf
    const A hi = a > b ? a : b;
    const A lo = a > b ? b : a;
    return hi + std::log1p(std::exp(lo - hi));
  }
};
// cummax / cummin: does x replace the running extreme? Ties move to the later index and a NaN replaces
// anything, after which only a later NaN does (PyTorch's rule).
template <bool kMax>
struct CumExtremeStep {
  template <typename C> REEL_HOST_DEVICE bool operator()(C running, C x) const {
    if (is_nan(x)) return true;
    if (is_nan(running)) return false;
    return kMax ? x >= running : x <= running;
  }
};

// ---- searching --------------------------------------------------------------------------------------------
// The number of s[0 .. n) before which v goes: left (right = false) the first j with !(s_j < v), i.e.
// #{s_j < v}; right the first j with s_j > v, i.e. #{s_j <= v}. A NaN v lands after everything, as in PyTorch.
// s holds elements of type T compared as C (float for the 16-bit floats).
template <typename C, typename T>
REEL_HOST_DEVICE inline int64_t search_sorted(const T* s, int64_t n, C v, bool right) {
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    const C m = static_cast<C>(s[mid]);
    const bool go_right = right ? !(m > v) : !(m >= v);
    if (go_right) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// histc: the bin of x among `bins` equal bins over [lo, hi], or -1 outside (x = hi is in the last bin).
REEL_HOST_DEVICE inline int64_t histogram_bin(double x, double lo, double hi, int64_t bins) {
  if (!(x >= lo && x <= hi)) return -1;  // also NaN
  int64_t b = static_cast<int64_t>((x - lo) * static_cast<double>(bins) / (hi - lo));
  if (b >= bins) b = bins - 1;
  return b;
}

}  // namespace reel::sorting
