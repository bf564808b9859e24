// reel/cuda/norm.cu — CUDA kernels of the fused batch normalization ops (training mode: batch statistics): the
// kernel-table entries, which pick cuDNN (cuda/norm_cudnn.cpp) or reel's own kernels below.
//
// Which implementation runs follows the convolution switch (reel::cuda::set_conv_backend, tensor/cuda.h): cudnn, the
// default when this build links cuDNN, runs cudnnBatchNormalization*; naive runs reel's kernels. Problems cuDNN
// cannot take (eps below CUDNN_BN_MIN_EPSILON, sizes beyond int, a status of "not supported") run on reel's kernels
// under either setting.
// reel's kernels: the contiguous input (front doors: tensor/ops_norm.cpp) is viewed as (N, C, S), S the product of
// dims 2..; one block of kThreads threads per channel walks the channel's M = N S values (thread t takes values t,
// t + kThreads, ...) and sums in double; the block's partial sums meet in a shared-memory tree reduction, always in
// the same order, so results are deterministic (no atomics).
//   native_batch_norm           pass 1: mean = sum x / M; pass 2: var = sum (x - mean)^2 / M (two passes: no
//                               cancellation); invstd = 1 / sqrt(var + eps); pass 3: y = (x - mean) invstd w + b.
//   native_batch_norm_backward  pass 1: db = sum g, s = sum g (x - mean), dw = s invstd;
//                               pass 2: dx = w invstd (g - db / M - (x - mean) invstd dw / M).
// Element arithmetic is in double, as on the CPU (cpu/norm.cpp), so both backends agree to rounding.
#include <cuda_runtime.h>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/norm.h"
#include "tensor/cuda.h"
#include "tensor/dispatch.h"

namespace reel::cuda {

namespace {

constexpr int kThreads = 512;  // threads of one channel's block (a power of two: the tree reduction halves it)

// The values of channel c that thread threadIdx.x visits: element (n, s) of the (N, C, S) view, starting at the
// thread's index and stepping kThreads values at a time without a division per step.
struct ChannelWalk {
  int64_t n, s, step_n, step_s, channels, spatial, channel;
  __device__ ChannelWalk(int64_t c, int64_t C, int64_t S)
      : n(threadIdx.x / S), s(threadIdx.x % S), step_n(kThreads / S), step_s(kThreads % S), channels(C), spatial(S),
        channel(c) {}
  __device__ int64_t offset() const { return (n * channels + channel) * spatial + s; }
  __device__ void next() {
    s += step_s;
    n += step_n;
    if (s >= spatial) {
      s -= spatial;
      ++n;
    }
  }
};

// The sum of every thread's v over the block: a fixed-order tree in shared memory (deterministic).
__device__ double block_sum(double v, double* shared) {
  shared[threadIdx.x] = v;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride >>= 1) {
    if (static_cast<int>(threadIdx.x) < stride) shared[threadIdx.x] += shared[threadIdx.x + stride];
    __syncthreads();
  }
  const double total = shared[0];
  __syncthreads();  // every thread has read shared[0] before the next reduction overwrites it
  return total;
}

// One block per channel: mean and biased variance in two passes, then y = (x - mean) invstd w + b.
template <typename T>
__global__ void batch_norm_forward_kernel(const T* x, const T* weight, const T* bias, T* y, T* save_mean,
                                          T* save_invstd, int64_t N, int64_t C, int64_t S, double eps) {
  __shared__ double shared[kThreads];
  const int64_t c = blockIdx.x;
  const double inv_m = 1.0 / static_cast<double>(N * S);
  double partial = 0;
  for (ChannelWalk w(c, C, S); w.n < N; w.next()) partial += static_cast<double>(x[w.offset()]);
  const double mean = block_sum(partial, shared) * inv_m;
  partial = 0;
  for (ChannelWalk w(c, C, S); w.n < N; w.next()) {
    const double d = static_cast<double>(x[w.offset()]) - mean;
    partial += d * d;
  }
  const double invstd = 1.0 / sqrt(block_sum(partial, shared) * inv_m + eps);
  if (threadIdx.x == 0) {
    save_mean[c] = static_cast<T>(mean);
    save_invstd[c] = static_cast<T>(invstd);
  }
  const double scale = invstd * (weight != nullptr ? static_cast<double>(weight[c]) : 1.0);
  const double shift = bias != nullptr ? static_cast<double>(bias[c]) : 0.0;
  for (ChannelWalk w(c, C, S); w.n < N; w.next()) {
    const int64_t i = w.offset();
    y[i] = static_cast<T>((static_cast<double>(x[i]) - mean) * scale + shift);
  }
}

// One block per channel: db = sum g, dw = invstd sum g (x - mean), then dx = w invstd (g - db/M - x^ dw/M).
template <typename T>
__global__ void batch_norm_backward_kernel(const T* grad, const T* x, const T* weight, const T* save_mean,
                                           const T* save_invstd, T* dx, T* dw, T* db, int64_t N, int64_t C,
                                           int64_t S) {
  __shared__ double shared[kThreads];
  const int64_t c = blockIdx.x;
  const int64_t m = N * S;
  const double inv_m = m > 0 ? 1.0 / static_cast<double>(m) : 0.0;
  const double mean = static_cast<double>(save_mean[c]), invstd = static_cast<double>(save_invstd[c]);
  double partial_g = 0, partial_gx = 0;
  for (ChannelWalk w(c, C, S); w.n < N; w.next()) {
    const int64_t i = w.offset();
    const double g = static_cast<double>(grad[i]);
    partial_g += g;
    partial_gx += g * (static_cast<double>(x[i]) - mean);
  }
  const double sum_g = block_sum(partial_g, shared);
  const double grad_weight = block_sum(partial_gx, shared) * invstd;
  if (threadIdx.x == 0) {
    dw[c] = static_cast<T>(grad_weight);
    db[c] = static_cast<T>(sum_g);
  }
  const double scale = invstd * (weight != nullptr ? static_cast<double>(weight[c]) : 1.0);
  const double g_shift = sum_g * inv_m, x_coef = invstd * grad_weight * inv_m;
  for (ChannelWalk w(c, C, S); w.n < N; w.next()) {
    const int64_t i = w.offset();
    dx[i] = static_cast<T>(scale * (static_cast<double>(grad[i]) - g_shift -
                                    (static_cast<double>(x[i]) - mean) * x_coef));
  }
}

// (N, C, S) of a contiguous (N, C, ...) tensor.
struct ChannelSizes {
  int64_t n, c, s;
  explicit ChannelSizes(const Tensor& x) : n(x.size(0)), c(x.size(1)), s(1) {
    for (int64_t d = 2; d < x.dim(); ++d) s *= x.size(d);
  }
};

template <typename T>
const T* optional_data(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

template <typename T>
void plain_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y, Tensor& save_mean,
                   Tensor& save_invstd, double eps) {
  const ChannelSizes l(x);
  batch_norm_forward_kernel<T><<<static_cast<unsigned int>(l.c), kThreads, 0, current_raw_stream()>>>(
      x.data_ptr<T>(), optional_data<T>(weight), optional_data<T>(bias), y.data_ptr<T>(), save_mean.data_ptr<T>(),
      save_invstd.data_ptr<T>(), l.n, l.c, l.s, eps);
  REEL_CUDA_CHECK(cudaGetLastError());
}

template <typename T>
void plain_backward(const Tensor& grad, const Tensor& x, const Tensor& weight, const Tensor& save_mean,
                    const Tensor& save_invstd, Tensor& dx, Tensor& dw, Tensor& db) {
  const ChannelSizes l(x);
  batch_norm_backward_kernel<T><<<static_cast<unsigned int>(l.c), kThreads, 0, current_raw_stream()>>>(
      grad.data_ptr<T>(), x.data_ptr<T>(), optional_data<T>(weight), save_mean.data_ptr<T>(),
      save_invstd.data_ptr<T>(), dx.data_ptr<T>(), dw.data_ptr<T>(), db.data_ptr<T>(), l.n, l.c, l.s);
  REEL_CUDA_CHECK(cudaGetLastError());
}

bool cudnn_selected() {
#ifdef REEL_WITH_CUDNN
  return conv_backend() == ConvBackend::cudnn;
#else
  return false;
#endif
}

// inputs: x (N, C, ...), weight (C) or undefined, bias (C) or undefined; outputs: y, save_mean (C), save_invstd (C);
// attrs: EpsAttrs.
void native_batch_norm_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  Tensor& y = args.outputs[0];
  set_current_device(y.device());
  if (x.size(1) == 0) return;  // no channel: nothing to compute (the front door checked M > 1)
  REEL_CHECK(x.size(1) <= 0x7fffffff, "native_batch_norm: {} channels exceed the CUDA grid (input shape {})",
             x.size(1), shape_str(x.sizes()));
  const double eps = args.attrs->get<EpsAttrs>().eps;
#ifdef REEL_WITH_CUDNN
  if (cudnn_selected() &&
      cudnn_batch_norm_forward(x, args.inputs[1], args.inputs[2], y, args.outputs[1], args.outputs[2], eps))
    return;
#endif
  if (x.dtype() == kFloat32)
    plain_forward<float>(x, args.inputs[1], args.inputs[2], y, args.outputs[1], args.outputs[2], eps);
  else if (x.dtype() == kFloat64)
    plain_forward<double>(x, args.inputs[1], args.inputs[2], y, args.outputs[1], args.outputs[2], eps);
  else
    throw_unsupported_dtype("native_batch_norm", x.dtype());
}

// inputs: grad_output, x, weight (or undefined), save_mean, save_invstd; outputs: dx, dw, db; attrs: EpsAttrs.
void native_batch_norm_backward_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[1];
  Tensor& dx = args.outputs[0];
  set_current_device(dx.device());
  if (x.size(1) == 0) return;
  if (x.numel() == 0) {  // no value per channel: dx is empty, dw = db = 0 (empty sums)
    cudaStream_t stream = current_raw_stream();
    for (int k = 1; k <= 2; ++k)
      REEL_CUDA_CHECK(
          cudaMemsetAsync(args.outputs[k].data_ptr(), 0, static_cast<size_t>(args.outputs[k].nbytes()), stream));
    return;
  }
  REEL_CHECK(x.size(1) <= 0x7fffffff, "native_batch_norm_backward: {} channels exceed the CUDA grid (input shape {})",
             x.size(1), shape_str(x.sizes()));
#ifdef REEL_WITH_CUDNN
  const double eps = args.attrs->get<EpsAttrs>().eps;
  if (cudnn_selected() && cudnn_batch_norm_backward(args.inputs[0], x, args.inputs[2], args.inputs[3], args.inputs[4],
                                                    dx, args.outputs[1], args.outputs[2], eps))
    return;
#endif
  if (x.dtype() == kFloat32)
    plain_backward<float>(args.inputs[0], x, args.inputs[2], args.inputs[3], args.inputs[4], dx, args.outputs[1],
                          args.outputs[2]);
  else if (x.dtype() == kFloat64)
    plain_backward<double>(args.inputs[0], x, args.inputs[2], args.inputs[3], args.inputs[4], dx, args.outputs[1],
                           args.outputs[2]);
  else
    throw_unsupported_dtype("native_batch_norm_backward", x.dtype());
}

}  // namespace

void register_norm_kernels() {
  register_kernel(OpId::native_batch_norm, kCUDA, &native_batch_norm_kernel);
  register_kernel(OpId::native_batch_norm_backward, kCUDA, &native_batch_norm_backward_kernel);
}

}  // namespace reel::cuda
