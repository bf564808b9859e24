// bench/libtorch/dnnl_blas.cpp — the BLAS sgemm_ entry point on top of oneDNN's dnnl_sgemm, for LibTorch runs.
//
// Debian's LibTorch calls the Fortran BLAS sgemm_ for every float GEMM, and Debian resolves that to the netlib
// reference BLAS unless an optimised one is installed. Preloading this library puts oneDNN's GEMM (the one reel
// uses) under LibTorch instead, so a side-by-side run compares the two libraries and not two GEMM kernels:
//
//   LD_PRELOAD=build-bench/bench/libtorch/libreel_dnnl_blas.so build-bench/bench/libtorch/libtorch_w2_gemm
//
// Only sgemm_ is replaced (the workloads are float32); every other BLAS and LAPACK symbol still comes from the
// system library. oneDNN runs on the same OpenMP runtime as LibTorch, so torch::set_num_threads governs it too.
#include <dnnl.h>

#include <cstdio>
#include <cstdlib>

namespace {

// BLAS's transpose letter ('N', 'T', or 'C', which is 'T' for real matrices) in oneDNN's spelling.
char transpose_letter(char blas) {
  switch (blas) {
    case 'N': case 'n': return 'N';
    case 'T': case 't': case 'C': case 'c': return 'T';
    default:
      std::fprintf(stderr, "reel_dnnl_blas: sgemm_ called with transpose '%c'\n", blas);
      std::abort();
  }
}

}  // namespace

// C = alpha op(A) op(B) + beta C with column-major A (m x k after op), B (k x n), C (m x n). dnnl_sgemm is
// row-major, and a column-major matrix is the row-major transpose, so this is C^T = op(B)^T op(A)^T: the same
// call with the operands and the sizes m and n swapped. Fortran's hidden string lengths, when passed, are ignored.
extern "C" void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
                       const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
                       const float* beta, float* c, const int* ldc) {
  if (*m <= 0 || *n <= 0) return;
  const dnnl_status_t status = dnnl_sgemm(transpose_letter(*transb), transpose_letter(*transa), *n, *m, *k, *alpha, b,
                                          *ldb, a, *lda, *beta, c, *ldc);
  if (status != dnnl_success) {
    std::fprintf(stderr, "reel_dnnl_blas: dnnl_sgemm failed with status %d (m=%d n=%d k=%d)\n",
                 static_cast<int>(status), *m, *n, *k);
    std::abort();
  }
}
