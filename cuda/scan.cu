// reel/cuda/scan.cu — the cumulative ops along a dim on CUDA: cumsum, cumprod, logcumsumexp, cummax, cummin; same
// semantics as cpu/scan.cpp.
//
// The front door (tensor/ops_scan.cpp) hands a row-major input (already in the result dtype) and row-major
// outputs, attrs.dim wrapped. One thread per row (tensor/sort_math.h's rows, grid-stride), walking the row in
// order with the step functors of sort_math.h that the CPU uses too; sums and products accumulate in the same
// wider types as on the CPU (int64 for bool and the integers, float for the 16-bit floats, double for float32 and
// float64), so the results agree with the CPU's to rounding. Neighbouring threads take neighbouring rows, which
// for a scan over a leading dim (inner > 1) are neighbouring addresses: those loads coalesce.
#include <cstdint>
#include <type_traits>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/sort_math.h"

namespace reel::cuda {

namespace {

using sorting::RowGeometry;

unsigned int grid_for(int64_t work, int64_t per_block) {
  const int64_t blocks = (work + per_block - 1) / per_block;
  return static_cast<unsigned int>(blocks < 1 ? 1 : (blocks > 65535 ? 65535 : blocks));
}

template <typename T>
using scan_acc_t = std::conditional_t<std::is_floating_point_v<compute_t<T>>,
                                      std::conditional_t<std::is_same_v<compute_t<T>, T>, double, float>, int64_t>;

template <typename T, typename Acc, typename Step>
__global__ void arithmetic_scan_kernel(const T* in, T* out, RowGeometry g, Step step) {
  using C = compute_t<T>;
  const int64_t rows = g.rows();
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t row = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; row < rows; row += stride) {
    Acc acc = Acc(0);
    for (int64_t j = 0; j < g.n; ++j) {
      const int64_t at = g.offset(row, j);
      const Acc v = static_cast<Acc>(static_cast<C>(in[at]));
      acc = j == 0 ? v : step(acc, v);
      out[at] = static_cast<T>(static_cast<C>(acc));
    }
  }
}

template <typename T, bool kMax>
__global__ void extreme_scan_kernel(const T* in, T* values, int64_t* indices, RowGeometry g) {
  using C = compute_t<T>;
  const sorting::CumExtremeStep<kMax> replaces;
  const int64_t rows = g.rows();
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t row = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; row < rows; row += stride) {
    C best = C(0);
    int64_t where = 0;
    for (int64_t j = 0; j < g.n; ++j) {
      const int64_t at = g.offset(row, j);
      const C v = static_cast<C>(in[at]);
      if (j == 0 || replaces(best, v)) {
        best = v;
        where = j;
      }
      values[at] = in[g.offset(row, where)];
      indices[at] = where;
    }
  }
}

template <typename T, typename Acc, typename Step>
void launch_arithmetic(const KernelArgs& args, Step step) {
  const Tensor& x = args.inputs[0];
  const RowGeometry g = sorting::row_geometry(x.sizes(), args.attrs->dim);
  if (g.rows() == 0 || g.n == 0) return;
  arithmetic_scan_kernel<T, Acc, Step><<<grid_for(g.rows(), 128), 128, 0, current_raw_stream()>>>(
      static_cast<const T*>(x.data_ptr()), static_cast<T*>(args.outputs[0].data_ptr()), g, step);
  REEL_CUDA_CHECK(cudaGetLastError());
}

void cumsum_kernel(const KernelArgs& args) {
  dispatch_dtype(args.outputs[0].dtype(), "cumsum", [&]<typename T>() {
    launch_arithmetic<T, scan_acc_t<T>>(args, sorting::CumsumStep{});
  });
}

void cumprod_kernel(const KernelArgs& args) {
  dispatch_dtype(args.outputs[0].dtype(), "cumprod", [&]<typename T>() {
    launch_arithmetic<T, scan_acc_t<T>>(args, sorting::CumprodStep{});
  });
}

void logcumsumexp_kernel(const KernelArgs& args) {
  dispatch_floating(args.outputs[0].dtype(), "logcumsumexp", [&]<typename T>() {
    launch_arithmetic<T, compute_t<T>>(args, sorting::LogAddExpStep{});
  });
}

template <bool kMax>
void cumulative_extreme_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  const RowGeometry g = sorting::row_geometry(x.sizes(), args.attrs->dim);
  if (g.rows() == 0 || g.n == 0) return;
  dispatch_dtype(x.dtype(), op_name(args.op), [&]<typename T>() {
    extreme_scan_kernel<T, kMax><<<grid_for(g.rows(), 128), 128, 0, current_raw_stream()>>>(
        static_cast<const T*>(x.data_ptr()), static_cast<T*>(args.outputs[0].data_ptr()),
        static_cast<int64_t*>(args.outputs[1].data_ptr()), g);
  });
  REEL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void register_scan_kernels() {
  register_kernel(OpId::cumsum, kCUDA, &cumsum_kernel);
  register_kernel(OpId::cumprod, kCUDA, &cumprod_kernel);
  register_kernel(OpId::logcumsumexp, kCUDA, &logcumsumexp_kernel);
  register_kernel(OpId::cummax, kCUDA, &cumulative_extreme_kernel<true>);
  register_kernel(OpId::cummin, kCUDA, &cumulative_extreme_kernel<false>);
}

}  // namespace reel::cuda
