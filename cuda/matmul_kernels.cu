// reel/cuda/matmul_kernels.cu — plain CUDA kernels of the matmul family (declared in cuda/matmul_kernels.h):
//   integer_gemm   C = beta * C + alpha * A @ B for uint8 / int32 / int64, one thread per element of C, summed in
//                  uint64 (products and sums of uint64 are exact modulo 2^64, so truncating to T gives the
//                  wrapped result PyTorch and reel's CPU kernel give)
//   scale_output   C = beta * C, for the float GEMMs whose product is empty (k == 0) or scaled by alpha == 0
// Both run on the current stream, with grid-stride loops; every launch is checked.
#include <cuda_runtime.h>

#include <type_traits>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/matmul_kernels.h"
#include "tensor/dtype.h"

namespace reel::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 65536;

unsigned int blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned int>(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}

// Element strides of one operand: (batch, row, column).
struct OperandStrides {
  int64_t batch, row, col;
};

OperandStrides operand_strides(const Tensor& t) {
  const int64_t d = t.dim();
  return {d == 3 ? t.stride(0) : 0, t.stride(d - 2), t.stride(d - 1)};
}

// c[b, i, j] = beta c[b, i, j] + alpha sum_p a[b, i, p] b[b, p, j]  (mod 2^bits of T)
template <typename T>
__global__ void integer_gemm_kernel(const T* a, OperandStrides as, const T* b, OperandStrides bs, T* c, int64_t m,
                                    int64_t n, int64_t k, int64_t total, uint64_t alpha, uint64_t beta,
                                    bool use_beta) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const int64_t j = e % n;
    const int64_t i = (e / n) % m;
    const int64_t batch = e / (n * m);
    const T* a_row = a + batch * as.batch + i * as.row;
    const T* b_col = b + batch * bs.batch + j * bs.col;
    uint64_t sum = 0;
    for (int64_t p = 0; p < k; ++p)
      sum += static_cast<uint64_t>(a_row[p * as.col]) * static_cast<uint64_t>(b_col[p * bs.row]);
    uint64_t value = alpha * sum;
    if (use_beta) value += beta * static_cast<uint64_t>(c[e]);
    c[e] = static_cast<T>(value);
  }
}

// c[e] = beta c[e], in compute_t<T>
template <typename T>
__global__ void scale_kernel(T* c, int64_t total, compute_t<T> beta) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step)
    c[e] = static_cast<T>(beta * static_cast<compute_t<T>>(c[e]));
}

template <typename T>
void launch_integer_gemm(const Tensor& a, const Tensor& b, Tensor& c, int64_t alpha, int64_t beta) {
  const int64_t d = a.dim();
  const int64_t m = a.size(d - 2), k = a.size(d - 1), n = b.size(d - 1);
  const int64_t total = c.numel();
  integer_gemm_kernel<T><<<blocks_for(total), kThreads, 0, current_raw_stream()>>>(
      a.data_ptr<T>(), operand_strides(a), b.data_ptr<T>(), operand_strides(b), c.data_ptr<T>(), m, n, k, total,
      static_cast<uint64_t>(alpha), static_cast<uint64_t>(beta), beta != 0);
  REEL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void integer_gemm(const Tensor& a, const Tensor& b, Tensor& c, int64_t alpha, int64_t beta) {
  if (c.numel() == 0) return;
  dispatch_dtype(c.dtype(), "mm", [&]<typename T>() {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      launch_integer_gemm<T>(a, b, c, alpha, beta);
    } else {
      REEL_CHECK(false, "integer_gemm: called for non-integer dtype {} (shapes {} and {})", dtype_name(c.dtype()),
                 shape_str(a.sizes()), shape_str(b.sizes()));
    }
  });
}

void scale_output(Tensor& c, double beta) {
  const int64_t total = c.numel();
  if (total == 0) return;
  if (beta == 0.0) {
    REEL_CUDA_CHECK(cudaMemsetAsync(c.data_ptr(), 0, static_cast<size_t>(c.nbytes()), current_raw_stream()));
    return;
  }
  dispatch_floating(c.dtype(), "mm", [&]<typename T>() {
    scale_kernel<T><<<blocks_for(total), kThreads, 0, current_raw_stream()>>>(
        c.data_ptr<T>(), total, static_cast<compute_t<T>>(beta));
    REEL_CUDA_CHECK(cudaGetLastError());
  });
}

}  // namespace reel::cuda
