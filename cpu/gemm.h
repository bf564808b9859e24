// reel/cpu/gemm.h — the matmul kernels' GEMMs on raw row-major buffers, for other CPU kernels (internal to cpu/).
//
// C[m, n] (row stride ldc) = alpha * op(A) @ op(B) + beta * C, where op(X) is X for trans 'N' and X^T for 'T'
// and lda / ldb are the row strides of A and B as stored. float32 runs oneDNN's sgemm, float64 reel's blocked GEMM
// (cpu/matmul.cpp). Called inside a parallel region (a kernel parallel over its batch), each runs on the calling
// thread alone; outside one, it uses reel's threads. beta == 0 never reads C.
#pragma once

#include <cstdint>

namespace reel::cpu {

void gemm(char trans_a, char trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void gemm(char trans_a, char trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

}  // namespace reel::cpu
