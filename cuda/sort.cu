// reel/cuda/sort.cu — sorting and selection along a dim on CUDA: sort, topk, kthvalue, median, nanmedian, mode;
// same semantics as cpu/sort.cpp.
//
// The front door (tensor/ops_sort.cpp) hands a row-major input and row-major outputs, attrs.dim wrapped. One
// thread per row (tensor/sort_math.h's rows, grid-stride over the rows): the thread stably merge-sorts the row's
// positions 0..n-1 (bottom-up, in two int64 scratch rows of a device buffer of 2 n per row) under the NaN-last
// order of sort_math.h, then reads what each op needs from the order:
//   sort      the whole order (descending: the reversed comparison; ties stay in input order either way);
//   topk      the first k of the order under "largest first" or "smallest first";
//   kthvalue  position k - 1; median the first NaN if the row has one, else position (n - 1) / 2; nanmedian
//             position (m - 1) / 2 of the m non-NaN values (which sort before the NaNs);
//   mode      the longest run of equal keys (the first on a tie), its last position, as on the CPU.
// A simple kernel: rows of many thousands of elements on few threads are slow, but every answer is exact and the
// sort is stable, so sort's results match the CPU's stable sort position for position.
#include <cstdint>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/sort_math.h"

namespace reel::cuda {

namespace {

using sorting::RowGeometry;

enum class RowOp { Sort, Topk, Kth, Median, NanMedian, Mode };

unsigned int grid_for(int64_t work, int64_t per_block) {
  const int64_t blocks = (work + per_block - 1) / per_block;
  return static_cast<unsigned int>(blocks < 1 ? 1 : (blocks > 65535 ? 65535 : blocks));
}

// Position a before position b of one row.
template <typename T>
struct RowLess {
  const T* in;
  RowGeometry g;
  int64_t row;
  bool reversed;
  __device__ bool operator()(int64_t a, int64_t b) const {
    using C = compute_t<T>;
    const C ka = static_cast<C>(in[g.offset(row, a)]);
    const C kb = static_cast<C>(in[g.offset(row, b)]);
    return reversed ? sorting::nan_last_less(kb, ka) : sorting::nan_last_less(ka, kb);
  }
};

// Stable bottom-up merge sort of the positions 0..n-1; returns the buffer (a or b) holding the order.
template <typename Less>
__device__ int64_t* merge_sort(int64_t* a, int64_t* b, int64_t n, const Less& less) {
  for (int64_t j = 0; j < n; ++j) a[j] = j;
  for (int64_t width = 1; width < n; width *= 2) {
    for (int64_t lo = 0; lo < n; lo += 2 * width) {
      const int64_t mid = lo + width < n ? lo + width : n;
      const int64_t hi = lo + 2 * width < n ? lo + 2 * width : n;
      int64_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) b[k++] = less(a[j], a[i]) ? a[j++] : a[i++];  // the left one on a tie
      while (i < mid) b[k++] = a[i++];
      while (j < hi) b[k++] = a[j++];
    }
    int64_t* t = a;
    a = b;
    b = t;
  }
  return a;
}

template <typename T, RowOp kOp>
__global__ void row_kernel(const T* in, T* values, int64_t* indices, int64_t* scratch, RowGeometry g, bool reversed,
                           int64_t k) {
  using C = compute_t<T>;
  const int64_t rows = g.rows();
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t row = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; row < rows; row += step) {
    const int64_t n = g.n;
    if constexpr (kOp == RowOp::Median) {
      int64_t nan_at = -1;
      for (int64_t j = 0; j < n && nan_at < 0; ++j)
        if (sorting::is_nan(static_cast<C>(in[g.offset(row, j)]))) nan_at = j;
      if (nan_at >= 0) {
        values[row] = in[g.offset(row, nan_at)];
        indices[row] = nan_at;
        continue;
      }
    }
    const RowLess<T> less{in, g, row, reversed};
    const int64_t* order = merge_sort(scratch + row * 2 * n, scratch + row * 2 * n + n, n, less);
    if constexpr (kOp == RowOp::Sort || kOp == RowOp::Topk) {
      const int64_t length = kOp == RowOp::Sort ? n : k;
      for (int64_t j = 0; j < length; ++j) {
        values[g.offset(row, j, length)] = in[g.offset(row, order[j])];
        indices[g.offset(row, j, length)] = order[j];
      }
    } else {
      int64_t pick = 0;
      if constexpr (kOp == RowOp::Kth) pick = order[k - 1];
      if constexpr (kOp == RowOp::Median) pick = order[(n - 1) / 2];
      if constexpr (kOp == RowOp::NanMedian) {
        int64_t m = 0;
        while (m < n && !sorting::is_nan(static_cast<C>(in[g.offset(row, order[m])]))) ++m;
        pick = m == 0 ? order[0] : order[(m - 1) / 2];
      }
      if constexpr (kOp == RowOp::Mode) {
        int64_t best = 0;
        for (int64_t start = 0; start < n;) {
          const C key = static_cast<C>(in[g.offset(row, order[start])]);
          int64_t end = start + 1;
          while (end < n && static_cast<C>(in[g.offset(row, order[end])]) == key) ++end;
          if (end - start > best) {
            best = end - start;
            pick = order[end - 1];
          }
          start = end;
        }
      }
      values[row] = in[g.offset(row, pick)];
      indices[row] = pick;
    }
  }
}

template <RowOp kOp>
void row_op_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  const RowGeometry g = sorting::row_geometry(x.sizes(), args.attrs->dim);
  if (g.rows() == 0 || g.n == 0) return;
  bool reversed = false;
  int64_t k = 0;
  if constexpr (kOp == RowOp::Sort) reversed = args.attrs->get<SortAttrs>().descending;
  if constexpr (kOp == RowOp::Topk) {
    reversed = args.attrs->get<TopkAttrs>().largest;
    k = args.attrs->get<TopkAttrs>().k;
    if (k == 0) return;
  }
  if constexpr (kOp == RowOp::Kth) k = args.attrs->get<KthvalueAttrs>().k;
  Tensor scratch = Tensor::make({g.rows() * 2 * g.n}, kInt64, x.device(), op_name(args.op).data());
  const cudaStream_t stream = current_raw_stream();
  dispatch_dtype(x.dtype(), op_name(args.op), [&]<typename T>() {
    row_kernel<T, kOp><<<grid_for(g.rows(), 128), 128, 0, stream>>>(
        static_cast<const T*>(x.data_ptr()), static_cast<T*>(args.outputs[0].data_ptr()),
        static_cast<int64_t*>(args.outputs[1].data_ptr()), static_cast<int64_t*>(scratch.data_ptr()), g, reversed, k);
  });
  REEL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void register_sort_kernels() {
  register_kernel(OpId::sort, kCUDA, &row_op_kernel<RowOp::Sort>);
  register_kernel(OpId::topk, kCUDA, &row_op_kernel<RowOp::Topk>);
  register_kernel(OpId::kthvalue, kCUDA, &row_op_kernel<RowOp::Kth>);
  register_kernel(OpId::median, kCUDA, &row_op_kernel<RowOp::Median>);
  register_kernel(OpId::nanmedian, kCUDA, &row_op_kernel<RowOp::NanMedian>);
  register_kernel(OpId::mode, kCUDA, &row_op_kernel<RowOp::Mode>);
}

}  // namespace reel::cuda
