// reel/cuda/matmul_kernels.h — the plain CUDA kernels behind cuda/matmul.cpp (internal to cuda/), for what cuBLAS
// does not do: integer GEMMs, and C = beta * C when the product is empty (k == 0) or alpha == 0.
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace reel::cuda {

// C[b, i, j] = beta * C[b, i, j] + alpha * sum_p A[b, i, p] B[b, p, j] for an integer dtype (uint8, int32, int64),
// with wrap-around arithmetic as on the CPU. A and B: 2-D, or 3-D batches of one size, any strides (zero ones
// too); C: contiguous, holding beta's operand when beta != 0. One thread per element of C.
void integer_gemm(const Tensor& a, const Tensor& b, Tensor& c, int64_t alpha, int64_t beta);

// C = beta * C for a contiguous floating C (computed in float for 16-bit floats); beta == 0 writes zeros without
// reading C, so a NaN in C does not survive.
void scale_output(Tensor& c, double beta);

}  // namespace reel::cuda
