// reel/cuda/matmul.cpp — CUDA kernels of the matmul family (mm, bmm, addmm): C = beta * C + alpha * A @ B.
//
// One kernel serves all three ops, as on the CPU (cpu/matmul.cpp): it sees 2-D operands (mm, addmm) or 3-D ones
// (bmm) and a contiguous output that the front door (tensor/ops_linalg.cpp) has already filled with beta's operand
// when beta != 0.
//   float32            cublasSgemmStridedBatched (TF32 tensor cores only when reel::cuda::allow_tf32() is on)
//   float64            cublasDgemmStridedBatched
//   float16, bfloat16  cublasGemmStridedBatchedEx with float32 accumulation (CUBLAS_COMPUTE_32F); alpha and beta
//                      are float, the result is rounded once, as the CPU's float32 detour does
//   integers           a plain CUDA kernel with wrap-around arithmetic (cuda/matmul_kernels.cu)
// Layout: cuBLAS is column-major, reel row-major. A row-major C[m, n] read column-major is C^T[n, m], and
// C^T = B^T A^T, so cuBLAS is asked for (n, m, k) with B first. An operand whose rows are contiguous (strides
// (ld, 1)) is, read column-major, already its transpose: op N; one whose columns are contiguous (strides (1, ld),
// a transposed view) is op T. Only an operand that fits neither (no unit stride, or a zero stride from expand
// inside a matrix) is copied to a contiguous tensor first. Batches are read with their own batch stride (zero for
// an expanded batch). Every call runs on the current stream with this thread's handle (cuda/cublas_utils.h), and
// every cuBLAS status is checked.
#include <algorithm>
#include <limits>
#include <type_traits>

#include "cuda/cublas_utils.h"
#include "cuda/kernels.h"
#include "cuda/matmul_kernels.h"
#include "tensor/dispatch.h"
#include "tensor/op_call.h"

namespace reel::cuda {

namespace {

// Shape of one multiplication: C[m, n] = A[m, k] @ B[k, n], repeated over `batch`.
struct GemmShape {
  int64_t batch, m, n, k;
};

// How cuBLAS reads one row-major operand: op N (rows contiguous) or op T (columns contiguous) with leading
// dimension ld; fits is false when neither holds.
struct BlasLayout {
  bool fits;
  cublasOperation_t op;
  int64_t ld;
};

// A dim of size 1 places no constraint on its stride.
BlasLayout blas_layout(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride) {
  if ((cols <= 1 || col_stride == 1) && (rows <= 1 || row_stride >= std::max<int64_t>(1, cols)))
    return {true, CUBLAS_OP_N, rows <= 1 ? std::max<int64_t>(1, cols) : row_stride};
  if ((rows <= 1 || row_stride == 1) && (cols <= 1 || col_stride >= std::max<int64_t>(1, rows)))
    return {true, CUBLAS_OP_T, cols <= 1 ? std::max<int64_t>(1, rows) : col_stride};
  return {false, CUBLAS_OP_N, 0};
}

BlasLayout matrix_layout(const Tensor& t) {
  const int64_t d = t.dim();
  return blas_layout(t.size(d - 2), t.size(d - 1), t.stride(d - 2), t.stride(d - 1));
}

// The operand itself when cuBLAS can read its matrices in place, else a contiguous copy.
Tensor blas_operand(const Tensor& t) { return matrix_layout(t).fits ? t : t.contiguous(); }

int64_t batch_stride(const Tensor& t) { return t.dim() == 3 ? t.stride(0) : 0; }

// cuBLAS takes int sizes and leading dimensions.
int to_blas_int(int64_t value, const char* op, const char* what, const GemmShape& shape) {
  REEL_CHECK(value <= std::numeric_limits<int>::max(),
             "{}: {} = {} is too large for cuBLAS (at most {}); shapes M={}, N={}, K={}, batch={}", op, what, value,
             std::numeric_limits<int>::max(), shape.m, shape.n, shape.k, shape.batch);
  return static_cast<int>(value);
}

// The arguments of one strided-batched cuBLAS call, in cuBLAS's (column-major) order: first operand B, second A.
struct BlasCall {
  cublasOperation_t op_first, op_second;
  int n, m, k, ld_first, ld_second, ldc, batch;
  long long stride_first, stride_second, stride_c;
  const void* first;
  const void* second;
  void* c;
};

BlasCall make_call(const Tensor& a, const Tensor& b, Tensor& c, const GemmShape& shape, const char* op) {
  const BlasLayout la = matrix_layout(a), lb = matrix_layout(b);
  BlasCall call;
  call.op_first = lb.op;
  call.op_second = la.op;
  call.n = to_blas_int(shape.n, op, "N", shape);
  call.m = to_blas_int(shape.m, op, "M", shape);
  call.k = to_blas_int(shape.k, op, "K", shape);
  call.ld_first = to_blas_int(lb.ld, op, "the leading dimension of mat2", shape);
  call.ld_second = to_blas_int(la.ld, op, "the leading dimension of mat1", shape);
  call.ldc = to_blas_int(std::max<int64_t>(1, shape.n), op, "the leading dimension of the output", shape);
  call.batch = to_blas_int(shape.batch, op, "the batch size", shape);
  call.stride_first = batch_stride(b);
  call.stride_second = batch_stride(a);
  call.stride_c = shape.m * shape.n;
  call.first = b.data_ptr();
  call.second = a.data_ptr();
  call.c = c.data_ptr();
  return call;
}

// C = beta * C + alpha * A @ B for float, double, Half, BFloat16 through cuBLAS.
template <typename T>
void gemm_cublas(const Tensor& a_in, const Tensor& b_in, Tensor& c, const GemmShape& shape, double alpha,
                 double beta, const char* op) {
  if (shape.k == 0 || alpha == 0.0) {
    scale_output(c, beta);
    return;
  }
  const Tensor a = blas_operand(a_in);
  const Tensor b = blas_operand(b_in);
  const BlasCall call = make_call(a, b, c, shape, op);
  cublasHandle_t handle = cublas_handle();
  if constexpr (std::is_same_v<T, float>) {
    const float alpha_f = static_cast<float>(alpha), beta_f = static_cast<float>(beta);
    REEL_CUBLAS_CHECK(cublasSgemmStridedBatched(
        handle, call.op_first, call.op_second, call.n, call.m, call.k, &alpha_f,
        static_cast<const float*>(call.first), call.ld_first, call.stride_first,
        static_cast<const float*>(call.second), call.ld_second, call.stride_second, &beta_f,
        static_cast<float*>(call.c), call.ldc, call.stride_c, call.batch));
  } else if constexpr (std::is_same_v<T, double>) {
    REEL_CUBLAS_CHECK(cublasDgemmStridedBatched(
        handle, call.op_first, call.op_second, call.n, call.m, call.k, &alpha,
        static_cast<const double*>(call.first), call.ld_first, call.stride_first,
        static_cast<const double*>(call.second), call.ld_second, call.stride_second, &beta,
        static_cast<double*>(call.c), call.ldc, call.stride_c, call.batch));
  } else {
    static_assert(std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>);
    const cudaDataType_t type = std::is_same_v<T, Half> ? CUDA_R_16F : CUDA_R_16BF;
    const float alpha_f = static_cast<float>(alpha), beta_f = static_cast<float>(beta);
    REEL_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
        handle, call.op_first, call.op_second, call.n, call.m, call.k, &alpha_f, call.first, type, call.ld_first,
        call.stride_first, call.second, type, call.ld_second, call.stride_second, &beta_f, call.c, type, call.ldc,
        call.stride_c, call.batch, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  }
}

// C = beta * C + alpha * A @ B for mm, addmm and bmm. inputs: A, B (2-D, or 3-D for bmm); outputs: C, contiguous,
// already holding beta's operand when beta != 0. attrs (addmm only): ScaleAttrs; mm and bmm use 1 and 0.
void gemm_kernel(const KernelArgs& args) {
  const Tensor& a = args.inputs[0];
  const Tensor& b = args.inputs[1];
  Tensor& c = args.outputs[0];
  set_current_device(c.device());
  if (c.numel() == 0) return;
  const ScaleAttrs scale = args.attrs ? args.attrs->get<ScaleAttrs>() : ScaleAttrs{};
  const Scalar alpha = scale.alpha, beta = scale.beta;
  const int64_t d = a.dim();
  const GemmShape shape{d == 3 ? a.size(0) : 1, a.size(d - 2), b.size(d - 1), a.size(d - 1)};
  const char* name = op_name(args.op).data();
  dispatch_dtype(a.dtype(), name, [&]<typename T>() {
    if constexpr (std::is_same_v<T, bool>) {
      throw_unsupported_dtype(name, kBool);
    } else if constexpr (std::is_integral_v<T>) {
      integer_gemm(a, b, c, alpha.to_int64(), beta.to_int64());
    } else {
      gemm_cublas<T>(a, b, c, shape, alpha.to_double(), beta.to_double(), name);
    }
  });
}

}  // namespace

void register_matmul_kernels() {
  register_kernel(OpId::mm, kCUDA, &gemm_kernel);
  register_kernel(OpId::bmm, kCUDA, &gemm_kernel);
  register_kernel(OpId::addmm, kCUDA, &gemm_kernel);
  register_kernel(OpId::linear, kCUDA, &linear_kernel);  // device-generic: one addmm (tensor/ops_linalg.cpp)
}

}  // namespace reel::cuda
