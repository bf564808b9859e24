// reel/cuda/conv_naive.cu — reel's own direct CUDA convolution (declared in cuda/conv_naive.h): conv2d and its two
// backward primitives, one thread per output element, each a plain sum over the taps that reach it.
//
// With x (N, C, H, W), w (O, C/G, kH, kW), y (N, O, oH, oW), G groups, cg = C/G input and og = O/G output channels per
// group, input channel ci = (o / og) cg + c, and the tap (p, q) of output (i, j) reading input row
// h = i s_h - pad_h + p d_h (likewise w for columns):
//   forward          y[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] x[n, ci, h, w]
//   backward input   dx[n, ci, h, w] = sum over o in ci's group and the taps (p, q) whose output (i, j) is whole and
//                    inside y: w[o, c, p, q] g[n, o, i, j]   (a gather: no atomics, deterministic)
//   backward weight  dw[o, c, p, q] = sum_{n, i, j} g[n, o, i, j] x[n, ci, h, w]
// Taps outside the input read zero padding and are skipped. Sums are in compute_t<T> (float for float, float16 and
// bfloat16; double for double) and rounded once. No shared memory, no tiling: this is the baseline that shows what
// cuDNN buys, and the fallback for problems cuDNN does not take. Launches go on the current stream with grid-stride
// loops and 64-bit indices, and are checked. fill_channel_bias (y = bias per channel) serves the cuDNN path.
#include <cuda_runtime.h>

#include "cuda/check.h"
#include "cuda/conv_naive.h"
#include "cuda/kernels.h"
#include "tensor/dtype.h"

namespace reel::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 65536;

unsigned int blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned int>(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}

// Every size and setting of one convolution, passed to the kernels by value.
struct ConvShape {
  int64_t batch, channels, height, width;   // x
  int64_t out_channels, kernel_h, kernel_w;  // w
  int64_t out_h, out_w;                      // y
  int64_t stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, groups;

  __host__ __device__ int64_t group_channels() const { return channels / groups; }          // cg
  __host__ __device__ int64_t group_out_channels() const { return out_channels / groups; }  // og
};

ConvShape conv_shape(IntList x, IntList w, IntList y, const ConvParams& p) {
  return {x[0],        x[1],        x[2],         x[3],         w[0],          w[2],          w[3],    y[2],
          y[3],        p.stride[0], p.stride[1],  p.padding[0], p.padding[1],  p.dilation[0], p.dilation[1],
          p.groups};
}

// y[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] x[n, ci, i s - pad + p d, j s - pad + q d]
template <typename T>
__global__ void forward_kernel(const T* x, const T* w, const T* bias, T* y, ConvShape s, int64_t total) {
  using Acc = compute_t<T>;
  const int64_t cg = s.group_channels(), og = s.group_out_channels();
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const int64_t j = e % s.out_w;
    const int64_t i = (e / s.out_w) % s.out_h;
    const int64_t o = (e / (s.out_w * s.out_h)) % s.out_channels;
    const int64_t n = e / (s.out_w * s.out_h * s.out_channels);
    const int64_t first_channel = (o / og) * cg;
    Acc acc = bias != nullptr ? static_cast<Acc>(bias[o]) : Acc(0);
    for (int64_t c = 0; c < cg; ++c) {
      const T* plane = x + (n * s.channels + first_channel + c) * s.height * s.width;
      const T* taps = w + (o * cg + c) * s.kernel_h * s.kernel_w;
      for (int64_t p = 0; p < s.kernel_h; ++p) {
        const int64_t h = i * s.stride_h - s.pad_h + p * s.dilation_h;
        if (h < 0 || h >= s.height) continue;
        for (int64_t q = 0; q < s.kernel_w; ++q) {
          const int64_t col = j * s.stride_w - s.pad_w + q * s.dilation_w;
          if (col < 0 || col >= s.width) continue;
          acc += static_cast<Acc>(taps[p * s.kernel_w + q]) * static_cast<Acc>(plane[h * s.width + col]);
        }
      }
    }
    y[e] = static_cast<T>(acc);
  }
}

// The output index reached by input position `pos` through tap `tap` along one dim: (pos + pad - tap d) / s when
// that is whole and inside [0, out), else -1.
__device__ __forceinline__ int64_t output_index(int64_t pos, int64_t tap, int64_t stride, int64_t pad,
                                                int64_t dilation, int64_t out) {
  const int64_t shifted = pos + pad - tap * dilation;
  if (shifted < 0 || shifted % stride != 0) return -1;
  const int64_t index = shifted / stride;
  return index < out ? index : -1;
}

// dx[n, ci, h, w] = sum_{o in group, p, q} w[o, c, p, q] g[n, o, (h + pad - p d) / s, (w + pad - q d) / s]
template <typename T>
__global__ void backward_input_kernel(const T* grad, const T* w, T* dx, ConvShape s, int64_t total) {
  using Acc = compute_t<T>;
  const int64_t cg = s.group_channels(), og = s.group_out_channels();
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const int64_t col = e % s.width;
    const int64_t h = (e / s.width) % s.height;
    const int64_t ci = (e / (s.width * s.height)) % s.channels;
    const int64_t n = e / (s.width * s.height * s.channels);
    const int64_t group = ci / cg, c = ci % cg;
    Acc acc = Acc(0);
    for (int64_t o = group * og; o < (group + 1) * og; ++o) {
      const T* taps = w + (o * cg + c) * s.kernel_h * s.kernel_w;
      const T* grad_plane = grad + (n * s.out_channels + o) * s.out_h * s.out_w;
      for (int64_t p = 0; p < s.kernel_h; ++p) {
        const int64_t i = output_index(h, p, s.stride_h, s.pad_h, s.dilation_h, s.out_h);
        if (i < 0) continue;
        for (int64_t q = 0; q < s.kernel_w; ++q) {
          const int64_t j = output_index(col, q, s.stride_w, s.pad_w, s.dilation_w, s.out_w);
          if (j < 0) continue;
          acc += static_cast<Acc>(taps[p * s.kernel_w + q]) * static_cast<Acc>(grad_plane[i * s.out_w + j]);
        }
      }
    }
    dx[e] = static_cast<T>(acc);
  }
}

// dw[o, c, p, q] = sum_{n, i, j} g[n, o, i, j] x[n, ci, i s - pad + p d, j s - pad + q d]
template <typename T>
__global__ void backward_weight_kernel(const T* grad, const T* x, T* dw, ConvShape s, int64_t total) {
  using Acc = compute_t<T>;
  const int64_t cg = s.group_channels(), og = s.group_out_channels();
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const int64_t q = e % s.kernel_w;
    const int64_t p = (e / s.kernel_w) % s.kernel_h;
    const int64_t c = (e / (s.kernel_w * s.kernel_h)) % cg;
    const int64_t o = e / (s.kernel_w * s.kernel_h * cg);
    const int64_t ci = (o / og) * cg + c;
    Acc acc = Acc(0);
    for (int64_t n = 0; n < s.batch; ++n) {
      const T* grad_plane = grad + (n * s.out_channels + o) * s.out_h * s.out_w;
      const T* plane = x + (n * s.channels + ci) * s.height * s.width;
      for (int64_t i = 0; i < s.out_h; ++i) {
        const int64_t h = i * s.stride_h - s.pad_h + p * s.dilation_h;
        if (h < 0 || h >= s.height) continue;
        for (int64_t j = 0; j < s.out_w; ++j) {
          const int64_t col = j * s.stride_w - s.pad_w + q * s.dilation_w;
          if (col < 0 || col >= s.width) continue;
          acc += static_cast<Acc>(grad_plane[i * s.out_w + j]) * static_cast<Acc>(plane[h * s.width + col]);
        }
      }
    }
    dw[e] = static_cast<T>(acc);
  }
}

// y[n, o, i, j] = b[o]
template <typename T>
__global__ void fill_bias_kernel(const T* bias, T* y, int64_t channels, int64_t plane, int64_t total) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step)
    y[e] = bias[(e / plane) % channels];
}

void check_contiguous(const char* op, const Tensor& t, const char* name) {
  REEL_CHECK(t.is_contiguous(), "{} (naive CUDA kernel): {} of shape {} must be contiguous", op, name,
             shape_str(t.sizes()));
}

}  // namespace

void fill_channel_bias(Tensor& y, const Tensor& bias) {
  const int64_t total = y.numel();
  if (total == 0) return;
  check_contiguous("conv2d", y, "output");
  check_contiguous("conv2d", bias, "bias");
  const int64_t plane = y.size(2) * y.size(3);
  dispatch_floating(y.dtype(), "conv2d", [&]<typename T>() {
    fill_bias_kernel<T><<<blocks_for(total), kThreads, 0, current_raw_stream()>>>(
        static_cast<const T*>(bias.data_ptr()), y.data_ptr<T>(), y.size(1), plane, total);
    REEL_CUDA_CHECK(cudaGetLastError());
  });
}

void naive_conv2d(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y, const ConvParams& p) {
  const int64_t total = y.numel();
  if (total == 0) return;
  check_contiguous("conv2d", x, "input");
  check_contiguous("conv2d", w, "weight");
  if (bias != nullptr) check_contiguous("conv2d", *bias, "bias");
  const ConvShape s = conv_shape(x.sizes(), w.sizes(), y.sizes(), p);
  dispatch_floating(y.dtype(), "conv2d", [&]<typename T>() {
    forward_kernel<T><<<blocks_for(total), kThreads, 0, current_raw_stream()>>>(
        static_cast<const T*>(x.data_ptr()), static_cast<const T*>(w.data_ptr()),
        bias != nullptr ? static_cast<const T*>(bias->data_ptr()) : nullptr, y.data_ptr<T>(), s, total);
    REEL_CUDA_CHECK(cudaGetLastError());
  });
}

void naive_conv2d_backward_input(const Tensor& grad, const Tensor& w, Tensor& dx, const ConvParams& p) {
  const int64_t total = dx.numel();
  if (total == 0) return;
  check_contiguous("conv2d_backward_input", grad, "grad_output");
  check_contiguous("conv2d_backward_input", w, "weight");
  const ConvShape s = conv_shape(dx.sizes(), w.sizes(), grad.sizes(), p);
  dispatch_floating(dx.dtype(), "conv2d_backward_input", [&]<typename T>() {
    backward_input_kernel<T><<<blocks_for(total), kThreads, 0, current_raw_stream()>>>(
        static_cast<const T*>(grad.data_ptr()), static_cast<const T*>(w.data_ptr()), dx.data_ptr<T>(), s, total);
    REEL_CUDA_CHECK(cudaGetLastError());
  });
}

void naive_conv2d_backward_weight(const Tensor& grad, const Tensor& x, Tensor& dw, const ConvParams& p) {
  const int64_t total = dw.numel();
  if (total == 0) return;
  check_contiguous("conv2d_backward_weight", grad, "grad_output");
  check_contiguous("conv2d_backward_weight", x, "input");
  const ConvShape s = conv_shape(x.sizes(), dw.sizes(), grad.sizes(), p);
  dispatch_floating(dw.dtype(), "conv2d_backward_weight", [&]<typename T>() {
    backward_weight_kernel<T><<<blocks_for(total), kThreads, 0, current_raw_stream()>>>(
        static_cast<const T*>(grad.data_ptr()), static_cast<const T*>(x.data_ptr()), dw.data_ptr<T>(), s, total);
    REEL_CUDA_CHECK(cudaGetLastError());
  });
}

}  // namespace reel::cuda
