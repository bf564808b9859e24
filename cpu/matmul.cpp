// reel/cpu/matmul.cpp — CPU kernels of the matmul family (mm, bmm, addmm): C = beta * C + alpha * A @ B.
//
// One kernel serves all three ops. It sees 2-D operands (mm, addmm) or 3-D ones (bmm) and a contiguous
// output that the front door has already filled with beta's operand when beta != 0.
//   float32            oneDNN's dnnl_sgemm (row-major). A transposed operand (strides (1, ld)) is passed as
//                      the 'T' flag, not copied; only an operand that fits neither layout (no unit stride,
//                      or a zero stride from expand) is first copied to a contiguous tensor.
//   float16, bfloat16  converted to float32, multiplied by sgemm, rounded back.
//   float64            our own cache-blocked GEMM: packed A and B panels and a register-tile micro-kernel
//                      (8x16 for AVX-512, 6x8 for AVX2, 4x4 for plain 128-bit vectors, picked at run time
//                      by CPU), parallel over blocks of C with parallel_for.
//   integers           a plain row-times-matrix loop with wrap-around (modular) arithmetic, as PyTorch.
// Threads: oneDNN runs on reel's OpenMP runtime; before each sgemm the calling thread's OpenMP thread count
// is set to reel's (OpenMP keeps it per thread), or to 1 inside a parallel region (batched small GEMMs).
// The float32 and float64 GEMMs are also exported on raw buffers (cpu/gemm.h) for the convolution kernels.
#include <cpuid.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "cpu/gemm.h"
#include "cpu/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/op_call.h"
#include "tensor/parallel.h"

namespace reel::cpu {

namespace {

// Below this many multiply-adds a GEMM stays on one thread; batched GEMMs smaller than it run one per thread.
constexpr int64_t kParallelGemmWork = int64_t{1} << 18;

// One matrix of a (possibly batched) operand: element (i, j) is data[i * row_stride + j * col_stride].
template <typename T>
struct Matrix {
  T* data;
  int64_t rows, cols, row_stride, col_stride;
  T at(int64_t i, int64_t j) const { return data[i * row_stride + j * col_stride]; }
};

// Shape of one multiplication: C[m, n] = A[m, k] @ B[k, n], repeated over `batch` with the given strides.
struct GemmShape {
  int64_t batch, m, n, k;
};

// ---- OpenMP thread count for oneDNN --------------------------------------------------------------------------
// oneDNN sizes its parallel regions from omp_get_max_threads() of the calling thread, which OpenMP keeps per
// thread: make it reel's count, or 1 inside a region (a nested team would only oversubscribe) and for a GEMM of
// fewer than kParallelGemmWork multiply-adds (waking a team costs more than it saves, and far more when the
// cores are busy: a char-LSTM step with small matrices ran 13x slower on 2 threads than on 1 on a loaded machine).
void sync_openmp_threads(int64_t multiply_adds) {
  const int wanted = in_parallel_region() || multiply_adds < kParallelGemmWork ? 1 : get_num_threads();
  if (omp_get_max_threads() != wanted) omp_set_num_threads(wanted);
}

// ---- BLAS layout of a row-major operand ---------------------------------------------------------------------
struct BlasLayout {
  bool fits;
  char trans;   // 'N': rows are contiguous runs; 'T': columns are
  int64_t ld;   // leading dimension for dnnl_sgemm
};

// 'N' when the columns have unit stride, 'T' when the rows do (a transposed row-major matrix), else no fit.
// A dim of size 1 places no constraint on its stride.
BlasLayout blas_layout(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride) {
  if ((cols <= 1 || col_stride == 1) && (rows <= 1 || row_stride >= std::max<int64_t>(1, cols)))
    return {true, 'N', rows <= 1 ? std::max<int64_t>(1, cols) : row_stride};
  if ((rows <= 1 || row_stride == 1) && (cols <= 1 || col_stride >= std::max<int64_t>(1, rows)))
    return {true, 'T', cols <= 1 ? std::max<int64_t>(1, rows) : col_stride};
  return {false, 'N', 0};
}

BlasLayout matrix_layout(const Tensor& t) {
  const int64_t d = t.dim();
  return blas_layout(t.size(d - 2), t.size(d - 1), t.stride(d - 2), t.stride(d - 1));
}

// The operand itself when sgemm can read its matrices in place, else a contiguous copy.
Tensor blas_operand(const Tensor& t) { return matrix_layout(t).fits ? t : t.contiguous(); }

int64_t batch_stride(const Tensor& t) { return t.dim() == 3 ? t.stride(0) : 0; }

// Runs gemm_one(b) for every batch index: small matrices one per thread, large ones in turn (each then
// uses every thread itself).
template <typename F>
void for_each_batch(const GemmShape& shape, F&& gemm_one) {
  const int64_t work = std::max<int64_t>(1, shape.m * shape.n * shape.k);
  if (shape.batch > 1 && work < kParallelGemmWork) {
    parallel_for(0, shape.batch, std::max<int64_t>(1, kParallelGemmWork / work), [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) gemm_one(b);
    });
    return;
  }
  for (int64_t b = 0; b < shape.batch; ++b) gemm_one(b);
}

// C = beta * C for a contiguous m x n block; beta == 0 writes zeros without reading C (NaN does not survive).
template <typename T>
void scale_output(T* c, int64_t count, T beta) {
  if (beta == T(0)) {
    std::fill(c, c + count, T(0));
    return;
  }
  for (int64_t i = 0; i < count; ++i) c[i] = static_cast<T>(beta * c[i]);
}

// ---- float32: oneDNN sgemm ------------------------------------------------------------------------------------
void gemm_float(const Tensor& a_in, const Tensor& b_in, Tensor& c, const GemmShape& shape, float alpha, float beta) {
  float* c_data = c.data_ptr<float>();
  if (shape.k == 0 || alpha == 0.0f) {
    scale_output(c_data, c.numel(), beta);
    return;
  }
  const Tensor a = blas_operand(a_in);
  const Tensor b = blas_operand(b_in);
  const BlasLayout la = matrix_layout(a), lb = matrix_layout(b);
  const float* a_data = a.data_ptr<float>();
  const float* b_data = b.data_ptr<float>();
  const int64_t a_batch = batch_stride(a), b_batch = batch_stride(b), c_batch = shape.m * shape.n;
  const int64_t ldc = std::max<int64_t>(1, shape.n);
  for_each_batch(shape, [&](int64_t i) {
    sync_openmp_threads(shape.m * shape.n * shape.k);
    const dnnl_status_t status =
        dnnl_sgemm(la.trans, lb.trans, shape.m, shape.n, shape.k, alpha, a_data + i * a_batch, la.ld,
                   b_data + i * b_batch, lb.ld, beta, c_data + i * c_batch, ldc);
    REEL_CHECK(status == dnnl_success, "mm: oneDNN sgemm failed with status {} (M={}, N={}, K={})",
               static_cast<int>(status), shape.m, shape.n, shape.k);
  });
}

// ---- float16 / bfloat16: through float32 ----------------------------------------------------------------------
void gemm_reduced_precision(const Tensor& a, const Tensor& b, Tensor& c, const GemmShape& shape, float alpha,
                            float beta) {
  Tensor c32 = beta != 0.0f ? c.to(kFloat32) : Tensor::make(c.sizes(), kFloat32, c.device());
  gemm_float(a.to(kFloat32), b.to(kFloat32), c32, shape, alpha, beta);
  c.copy_(c32);
}

// ---- float64: cache-blocked GEMM -------------------------------------------------------------------------------
// C is computed in tiles of MR x NR by a micro-kernel over packed panels of A (MR rows) and B (NR columns),
// sized so that the accumulators fill but do not spill the vector registers: 8 x 16 with AVX-512 (16 zmm),
// 6 x 8 with AVX2 (12 ymm), 4 x 4 with plain 128-bit vectors (8 registers). Chosen at run time by CPU.
constexpr int64_t kDepthBlock = 256;  // KC: depth of one packed panel (A tile + B panel stay in L1/L2)
constexpr int64_t kRowBlock = 120;    // MC: rows of a packed A block (a multiple of every MR)
constexpr int64_t kColBlock = 2048;   // NC: columns of a packed B block (a multiple of every NR)

template <int Bytes>
struct DoubleVector {
  typedef double type __attribute__((vector_size(Bytes)));
  typedef double unaligned __attribute__((vector_size(Bytes), aligned(8)));
};

// tile[MR][NR] = sum_p a_panel[p][0..MR) (outer product) b_panel[p][0..NR); a_panel holds MR values per depth
// step, b_panel NR. Written with Bytes-wide vectors; always inlined so each caller's instruction set applies.
template <int64_t MR, int64_t NR, int Bytes>
__attribute__((always_inline)) inline void micro_kernel_body(int64_t depth, const double* a_panel,
                                                             const double* b_panel, double* tile) {
  using Vec = typename DoubleVector<Bytes>::type;
  using UnalignedVec = typename DoubleVector<Bytes>::unaligned;
  constexpr int64_t kWidth = Bytes / 8, kLanes = NR / kWidth;
  Vec acc[MR * kLanes];
#pragma GCC unroll 32
  for (int64_t i = 0; i < MR * kLanes; ++i) acc[i] = Vec{};
  for (int64_t p = 0; p < depth; ++p) {
    const double* a_col = a_panel + p * MR;
    const UnalignedVec* b_row = reinterpret_cast<const UnalignedVec*>(b_panel + p * NR);
#pragma GCC unroll 16
    for (int64_t i = 0; i < MR; ++i) {
      const double a_value = a_col[i];
#pragma GCC unroll 8
      for (int64_t l = 0; l < kLanes; ++l) acc[i * kLanes + l] += a_value * Vec(b_row[l]);
    }
  }
#pragma GCC unroll 32
  for (int64_t i = 0; i < MR * kLanes; ++i) std::memcpy(tile + i * kWidth, &acc[i], sizeof(Vec));
}

using MicroKernel = void (*)(int64_t, const double*, const double*, double*);

void micro_kernel_4x4(int64_t depth, const double* a_panel, const double* b_panel, double* tile) {
  micro_kernel_body<4, 4, 16>(depth, a_panel, b_panel, tile);
}

#if defined(__x86_64__)
__attribute__((target("arch=x86-64-v3")))
void micro_kernel_6x8_avx2(int64_t depth, const double* a_panel, const double* b_panel, double* tile) {
  micro_kernel_body<6, 8, 32>(depth, a_panel, b_panel, tile);
}

__attribute__((target("arch=x86-64-v4")))
void micro_kernel_8x16_avx512(int64_t depth, const double* a_panel, const double* b_panel, double* tile) {
  micro_kernel_body<8, 16, 64>(depth, a_panel, b_panel, tile);
}

// F16C and MOVBE from CPUID leaf 1 (ECX): clang before 16 does not accept these two names in
// __builtin_cpu_supports, and the ThreadSanitizer build (scripts/tsan.sh) compiles with clang-14.
bool cpu_has_f16c_and_movbe() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (ecx & bit_F16C) != 0 && (ecx & bit_MOVBE) != 0;
}

// Every feature the x86-64-v3 / -v4 levels assume (the compiler may use any of them in those kernels).
bool cpu_is_x86_64_v3() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                          __builtin_cpu_supports("bmi2") && cpu_has_f16c_and_movbe();
  return has;
}
bool cpu_is_x86_64_v4() {
  static const bool has = cpu_is_x86_64_v3() && __builtin_cpu_supports("avx512f") &&
                          __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
                          __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512cd");
  return has;
}
#endif

// Copies A[row0 : row0+rows, depth0 : depth0+depth] into tiles of MR rows, zero-padding the last tile.
template <int64_t MR>
void pack_a(const Matrix<const double>& a, int64_t row0, int64_t rows, int64_t depth0, int64_t depth,
            double* packed) {
  for (int64_t tile = 0; tile < rows; tile += MR) {
    const int64_t valid = std::min(MR, rows - tile);
    for (int64_t p = 0; p < depth; ++p) {
      for (int64_t i = 0; i < valid; ++i) packed[i] = a.at(row0 + tile + i, depth0 + p);
      for (int64_t i = valid; i < MR; ++i) packed[i] = 0.0;
      packed += MR;
    }
  }
}

// Copies the B panels [panel_begin, panel_end) (each NR columns, from column col0) of the depth block into
// packed form, zero-padding past the last column.
template <int64_t NR>
void pack_b(const Matrix<const double>& b, int64_t depth0, int64_t depth, int64_t col0, int64_t cols,
            int64_t panel_begin, int64_t panel_end, double* packed) {
  for (int64_t panel = panel_begin; panel < panel_end; ++panel) {
    const int64_t first = panel * NR;
    const int64_t valid = std::min(NR, cols - first);
    double* out = packed + panel * depth * NR;
    for (int64_t p = 0; p < depth; ++p) {
      for (int64_t j = 0; j < valid; ++j) out[j] = b.at(depth0 + p, col0 + first + j);
      for (int64_t j = valid; j < NR; ++j) out[j] = 0.0;
      out += NR;
    }
  }
}

// C[row0.., col0..] (tile_rows x tile_cols, row stride ldc) = alpha * tile (+ beta * C on the first depth block,
// + C on later ones).
template <int64_t NR>
void store_tile(const double* tile, int64_t tile_rows, int64_t tile_cols, double* c_tile, int64_t ldc, double alpha,
                double beta, bool first_block) {
  for (int64_t i = 0; i < tile_rows; ++i) {
    double* c_row = c_tile + i * ldc;
    const double* t_row = tile + i * NR;
    if (!first_block) {
      for (int64_t j = 0; j < tile_cols; ++j) c_row[j] += alpha * t_row[j];
    } else if (beta == 0.0) {
      for (int64_t j = 0; j < tile_cols; ++j) c_row[j] = alpha * t_row[j];
    } else {
      for (int64_t j = 0; j < tile_cols; ++j) c_row[j] = beta * c_row[j] + alpha * t_row[j];
    }
  }
}

// C[m, n] (row stride ldc) = beta * C + alpha * A @ B, for one matrix. k > 0. Each element is summed in the same
// order whatever the thread count, so results do not depend on it.
template <int64_t MR, int64_t NR>
void gemm_double_blocked(const Matrix<const double>& a, const Matrix<const double>& b, double* c, int64_t ldc,
                         double alpha, double beta, MicroKernel micro_kernel) {
  const int64_t m = a.rows, n = b.cols, k = a.cols;
  const int64_t threads = in_parallel_region() ? 1 : get_num_threads();
  // Shrink the row block when there are few rows, so that every thread gets a block.
  const int64_t rows_per_thread = (m + threads - 1) / threads;
  const int64_t row_block = std::min(kRowBlock, std::max(MR, (rows_per_thread + MR - 1) / MR * MR));
  const int64_t row_blocks = (m + row_block - 1) / row_block;
  const bool parallel = m * n * k >= kParallelGemmWork && threads > 1;

  for (int64_t col0 = 0; col0 < n; col0 += kColBlock) {
    const int64_t cols = std::min(kColBlock, n - col0);
    const int64_t panels = (cols + NR - 1) / NR;
    // With few row blocks, also split the column panels so that every thread has work.
    const int64_t col_chunks = row_blocks >= threads ? 1 : std::min(panels, (threads + row_blocks - 1) / row_blocks);
    for (int64_t depth0 = 0; depth0 < k; depth0 += kDepthBlock) {
      const int64_t depth = std::min(kDepthBlock, k - depth0);
      const bool first_block = depth0 == 0;
      Tensor b_buffer = Tensor::make({panels * depth * NR}, kFloat64, Device(kCPU));
      double* b_packed = b_buffer.data_ptr<double>();
      parallel_for(0, panels, parallel ? 1 : panels, [&](int64_t begin, int64_t end) {
        pack_b<NR>(b, depth0, depth, col0, cols, begin, end, b_packed);
      });

      const int64_t tasks = row_blocks * col_chunks;
      parallel_for(0, tasks, parallel ? 1 : tasks, [&](int64_t task_begin, int64_t task_end) {
        Tensor a_buffer = Tensor::make({row_block * depth}, kFloat64, Device(kCPU));
        double* a_packed = a_buffer.data_ptr<double>();
        alignas(64) double tile[MR * NR];
        int64_t packed_block = -1;
        for (int64_t task = task_begin; task < task_end; ++task) {
          const int64_t block = task / col_chunks, chunk = task % col_chunks;
          const int64_t row0 = block * row_block;
          const int64_t rows = std::min(row_block, m - row0);
          if (block != packed_block) {
            pack_a<MR>(a, row0, rows, depth0, depth, a_packed);
            packed_block = block;
          }
          const int64_t panel_begin = panels * chunk / col_chunks, panel_end = panels * (chunk + 1) / col_chunks;
          for (int64_t panel = panel_begin; panel < panel_end; ++panel) {
            const int64_t tile_cols = std::min(NR, cols - panel * NR);
            for (int64_t r = 0; r < rows; r += MR) {
              micro_kernel(depth, a_packed + r * depth, b_packed + panel * depth * NR, tile);
              store_tile<NR>(tile, std::min(MR, rows - r), tile_cols, c + (row0 + r) * ldc + col0 + panel * NR, ldc,
                             alpha, beta, first_block);
            }
          }
        }
      });
    }
  }
}

void gemm_double_one(const Matrix<const double>& a, const Matrix<const double>& b, double* c, int64_t ldc,
                     double alpha, double beta) {
#if defined(__x86_64__)
  if (cpu_is_x86_64_v4()) return gemm_double_blocked<8, 16>(a, b, c, ldc, alpha, beta, &micro_kernel_8x16_avx512);
  if (cpu_is_x86_64_v3()) return gemm_double_blocked<6, 8>(a, b, c, ldc, alpha, beta, &micro_kernel_6x8_avx2);
#endif
  gemm_double_blocked<4, 4>(a, b, c, ldc, alpha, beta, &micro_kernel_4x4);
}

template <typename T>
Matrix<const T> matrix_at(const Tensor& t, int64_t batch_index) {
  const int64_t d = t.dim();
  const T* base = static_cast<const T*>(t.data_ptr()) + batch_index * batch_stride(t);
  return {base, t.size(d - 2), t.size(d - 1), t.stride(d - 2), t.stride(d - 1)};
}

void gemm_double(const Tensor& a, const Tensor& b, Tensor& c, const GemmShape& shape, double alpha, double beta) {
  double* c_data = c.data_ptr<double>();
  if (shape.k == 0 || alpha == 0.0) {
    scale_output(c_data, c.numel(), beta);
    return;
  }
  for_each_batch(shape, [&](int64_t i) {
    gemm_double_one(matrix_at<double>(a, i), matrix_at<double>(b, i), c_data + i * shape.m * shape.n,
                    std::max<int64_t>(1, shape.n), alpha, beta);
  });
}

// ---- integers: C = beta * C + alpha * A @ B with wrap-around arithmetic ------------------------------------------
template <typename T>
void gemm_integer(const Tensor& a, const Tensor& b, Tensor& c, const GemmShape& shape, int64_t alpha, int64_t beta) {
  // Unsigned 64-bit products and sums are exact modulo 2^64, so truncating to T gives PyTorch's wrapped result.
  using Wide = uint64_t;
  T* c_data = c.data_ptr<T>();
  const int64_t m = shape.m, n = shape.n, k = shape.k;
  const int64_t row_work = std::max<int64_t>(1, n * k);
  parallel_for(0, shape.batch * m, std::max<int64_t>(1, kParallelGemmWork / row_work), [&](int64_t begin, int64_t end) {
    std::vector<Wide> sums(static_cast<size_t>(n));
    for (int64_t row = begin; row < end; ++row) {
      const int64_t batch_index = row / std::max<int64_t>(1, m), i = row % std::max<int64_t>(1, m);
      const Matrix<const T> am = matrix_at<T>(a, batch_index), bm = matrix_at<T>(b, batch_index);
      std::fill(sums.begin(), sums.end(), Wide(0));
      for (int64_t p = 0; p < k; ++p) {
        const Wide a_ip = static_cast<Wide>(am.at(i, p));
        const T* b_row = bm.data + p * bm.row_stride;
        for (int64_t j = 0; j < n; ++j) sums[j] += a_ip * static_cast<Wide>(b_row[j * bm.col_stride]);
      }
      T* c_row = c_data + row * n;
      for (int64_t j = 0; j < n; ++j) {
        Wide value = static_cast<Wide>(alpha) * sums[j];
        if (beta != 0) value += static_cast<Wide>(beta) * static_cast<Wide>(c_row[j]);
        c_row[j] = static_cast<T>(value);
      }
    }
  });
}

// C = beta * C + alpha * A @ B for mm, addmm and bmm. inputs: A, B (2-D, or 3-D for bmm); outputs: C, contiguous,
// already holding beta's operand when beta != 0. attrs (addmm only): ScaleAttrs; mm and bmm use 1 and 0.
void gemm_kernel(const KernelArgs& args) {
  const Tensor& a = args.inputs[0];
  const Tensor& b = args.inputs[1];
  Tensor& c = args.outputs[0];
  const ScaleAttrs scale = args.attrs ? args.attrs->get<ScaleAttrs>() : ScaleAttrs{};
  const Scalar alpha = scale.alpha, beta = scale.beta;
  const int64_t d = a.dim();
  const GemmShape shape{d == 3 ? a.size(0) : 1, a.size(d - 2), b.size(d - 1), a.size(d - 1)};
  if (c.numel() == 0) return;
  const char* name = op_name(args.op).data();
  dispatch_dtype(a.dtype(), name, [&]<typename T>() {
    if constexpr (std::is_same_v<T, float>) {
      gemm_float(a, b, c, shape, alpha.to<float>(), beta.to<float>());
    } else if constexpr (std::is_same_v<T, double>) {
      gemm_double(a, b, c, shape, alpha.to_double(), beta.to_double());
    } else if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
      gemm_reduced_precision(a, b, c, shape, static_cast<float>(alpha.to_double()),
                             static_cast<float>(beta.to_double()));
    } else if constexpr (std::is_same_v<T, bool>) {
      throw_unsupported_dtype(name, kBool);
    } else {
      gemm_integer<T>(a, b, c, shape, alpha.to_int64(), beta.to_int64());
    }
  });
}

}  // namespace

// ---- raw-buffer GEMMs for other kernels (cpu/gemm.h) -------------------------------------------------------------
void gemm(char trans_a, char trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (int64_t i = 0; i < m; ++i) scale_output(c + i * ldc, n, beta);
    return;
  }
  sync_openmp_threads(m * n * k);
  const dnnl_status_t status = dnnl_sgemm(trans_a, trans_b, m, n, k, alpha, a, std::max<int64_t>(1, lda), b,
                                          std::max<int64_t>(1, ldb), beta, c, std::max<int64_t>(1, ldc));
  REEL_CHECK(status == dnnl_success, "gemm: oneDNN sgemm failed with status {} (M={}, N={}, K={})",
             static_cast<int>(status), m, n, k);
}

void gemm(char trans_a, char trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == 0.0) {
    for (int64_t i = 0; i < m; ++i) scale_output(c + i * ldc, n, beta);
    return;
  }
  // Element (i, j) of op(X) with X stored row-major with row stride ld.
  using M = Matrix<const double>;
  const M am = trans_a == 'N' ? M{a, m, k, lda, 1} : M{a, m, k, 1, lda};
  const M bm = trans_b == 'N' ? M{b, k, n, ldb, 1} : M{b, k, n, 1, ldb};
  gemm_double_one(am, bm, c, ldc, alpha, beta);
}

void register_matmul_kernels() {
  register_kernel(OpId::mm, kCPU, &gemm_kernel);
  register_kernel(OpId::bmm, kCPU, &gemm_kernel);
  register_kernel(OpId::addmm, kCPU, &gemm_kernel);
  register_kernel(OpId::linear, kCPU, &linear_kernel);  // device-generic: one addmm (tensor/ops_linalg.cpp)
}

}  // namespace reel::cpu
