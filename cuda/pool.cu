// reel/cuda/pool.cu — CUDA kernels of the 2-D pooling ops and their backward primitives: max_pool2d (values and
// flat indices), avg_pool2d, adaptive_avg_pool2d, adaptive_max_pool2d (values and flat indices); the same window
// rules and arithmetic as cpu/pool.cpp (so the same results, except for the summation order of
// max_pool2d_backward's atomics).
//
// Window rules (PyTorch's, as on the CPU):
//   max      taps h = i s - pad + p d (p < kH), likewise columns, skipping those outside the input, visited in window
//            order (p, then q). The first maximum wins; a NaN wins over everything (the last NaN seen). index =
//            h * W + w within the plane. A window of only -inf takes its first position inside the input; a window
//            with no position inside the input gives -inf and index -1.
//   avg      window [i s - pad, i s - pad + kH) clipped to the padded input for the divisor when padding counts,
//            then to the input for the sum; divisor = that padded size or the clipped size.
//   adaptive window [floor(i H / oH), ceil((i + 1) H / oH)), likewise columns; divisor = its size.
// Forward kernels: one thread per output element, sums in double. Average backward kernels gather: one thread per
// input element sums g / divisor over the windows holding it, in the CPU's order (i, then j), in double; no
// atomics. max_pool2d_backward scatters through arbitrary indices, so it adds with atomicAdd: straight into dx for
// float and double, into a float32 buffer then rounded for float16 and bfloat16. An index outside its plane (other
// than -1) is recorded on the device and reported as a reel::Error after the kernel (one host synchronisation).
// Inputs of any layout are made contiguous first; the front doors (tensor/ops_conv.cpp) allocated the outputs.
#include <cuda_runtime.h>

#include <type_traits>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "tensor/conv_params.h"
#include "tensor/dispatch.h"

namespace reel::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 65536;

unsigned int blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned int>(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}

// Planes of (H, W) in, (oH, oW) out.
struct PoolGeometry {
  int64_t planes, height, width, out_h, out_w;
  __host__ __device__ int64_t in_plane() const { return height * width; }
  __host__ __device__ int64_t out_plane() const { return out_h * out_w; }
};

PoolGeometry pool_geometry(IntList input, IntList output) {
  return {input[0] * input[1], input[2], input[3], output[2], output[3]};
}

// PoolParams as plain numbers for the device.
struct PoolSettings {
  int64_t kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
  bool count_include_pad;
};

PoolSettings pool_settings(const OpAttrs& attrs) {
  const PoolParams p = attrs.get<PoolParams>();
  return {p.kernel[0],  p.kernel[1],  p.stride[0],   p.stride[1],   p.padding[0],
          p.padding[1], p.dilation[0], p.dilation[1], p.count_include_pad};
}

// The clipped window [h0, h1) x [w0, w1) of one output and its divisor.
struct Window {
  int64_t h0, h1, w0, w1;
  double divisor;
  __device__ bool empty() const { return h0 >= h1 || w0 >= w1; }
};

// ---- max pooling -------------------------------------------------------------------------------------------------
// (y, k)[plane, i, j] = (max, flat argmax) of x[plane] over the dilated window at (i s - pad, j s - pad)
template <typename T>
__global__ void max_pool_forward_kernel(const T* x, T* y, int64_t* indices, PoolGeometry g, PoolSettings s,
                                        int64_t total) {
  using C = compute_t<T>;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const int64_t j = e % g.out_w;
    const int64_t i = (e / g.out_w) % g.out_h;
    const T* in = x + (e / g.out_plane()) * g.in_plane();
    C best = -C(INFINITY);
    int64_t index = -1, first = -1;
    for (int64_t p = 0; p < s.kernel_h; ++p) {
      const int64_t h = i * s.stride_h - s.pad_h + p * s.dilation_h;
      if (h < 0 || h >= g.height) continue;
      for (int64_t q = 0; q < s.kernel_w; ++q) {
        const int64_t w = j * s.stride_w - s.pad_w + q * s.dilation_w;
        if (w < 0 || w >= g.width) continue;
        const int64_t position = h * g.width + w;
        if (first < 0) first = position;
        const C v = static_cast<C>(in[position]);
        if (v > best || v != v) {
          best = v;
          index = position;
        }
      }
    }
    y[e] = static_cast<T>(best);
    indices[e] = index >= 0 ? index : first;
  }
}

// (y, k)[plane, i, j] = (max, flat argmax) of x[plane] over the adaptive window (i, j), rows then columns: the first
// maximum wins, a NaN wins; a window of only -inf keeps its first position
template <typename T>
__global__ void adaptive_max_forward_kernel(const T* x, T* y, int64_t* indices, PoolGeometry g, int64_t total) {
  using C = compute_t<T>;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const int64_t j = e % g.out_w;
    const int64_t i = (e / g.out_w) % g.out_h;
    const T* in = x + (e / g.out_plane()) * g.in_plane();
    const int64_t h0 = i * g.height / g.out_h, h1 = ((i + 1) * g.height + g.out_h - 1) / g.out_h;
    const int64_t w0 = j * g.width / g.out_w, w1 = ((j + 1) * g.width + g.out_w - 1) / g.out_w;
    C best = -C(INFINITY);
    int64_t index = h0 * g.width + w0;
    for (int64_t h = h0; h < h1; ++h) {
      for (int64_t w = w0; w < w1; ++w) {
        const C v = static_cast<C>(in[h * g.width + w]);
        if (v > best || v != v) {
          best = v;
          index = h * g.width + w;
        }
      }
    }
    y[e] = static_cast<T>(best);
    indices[e] = index;
  }
}

// acc[plane][k[plane, o]] += g[plane, o]; an index outside the plane (other than -1) is stored in *bad.
template <typename T, typename Acc>
__global__ void max_pool_backward_kernel(const T* grad, const int64_t* indices, Acc* acc, PoolGeometry g,
                                         int64_t total, unsigned long long* bad) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const int64_t index = indices[e];
    if (index >= 0 && index < g.in_plane()) {
      atomicAdd(acc + (e / g.out_plane()) * g.in_plane() + index, static_cast<Acc>(grad[e]));
    } else if (index != -1) {
      atomicExch(bad, static_cast<unsigned long long>(index));
    }
  }
}

// out[e] = src[e], rounded to T
template <typename T>
__global__ void round_kernel(const float* src, T* out, int64_t total) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step)
    out[e] = static_cast<T>(src[e]);
}

// ---- average pooling windows -------------------------------------------------------------------------------------
__device__ __forceinline__ int64_t smaller(int64_t a, int64_t b) { return a < b ? a : b; }

// The outputs [lo, hi] (inclusive) along one dim whose window [o s - pad, o s - pad + k) holds input position pos.
__device__ __forceinline__ void outputs_holding(int64_t pos, int64_t kernel, int64_t stride, int64_t pad,
                                                int64_t out, int64_t& lo, int64_t& hi) {
  const int64_t below = pos + pad - kernel;  // o s > below
  lo = below < 0 ? 0 : below / stride + 1;
  hi = (pos + pad) / stride;  // o s <= pos + pad
  if (hi > out - 1) hi = out - 1;
}

// avg_pool2d's windows (padding counted in the divisor when count_include_pad).
struct AvgWindows {
  PoolGeometry g;
  PoolSettings s;
  __device__ Window window(int64_t i, int64_t j) const {
    int64_t h0 = i * s.stride_h - s.pad_h, w0 = j * s.stride_w - s.pad_w;
    int64_t h1 = smaller(h0 + s.kernel_h, g.height + s.pad_h);
    int64_t w1 = smaller(w0 + s.kernel_w, g.width + s.pad_w);
    const int64_t padded_size = (h1 - h0) * (w1 - w0);
    h0 = h0 < 0 ? 0 : h0;
    w0 = w0 < 0 ? 0 : w0;
    h1 = smaller(h1, g.height);
    w1 = smaller(w1, g.width);
    const int64_t size = s.count_include_pad ? padded_size : (h1 - h0) * (w1 - w0);
    return {h0, h1, w0, w1, static_cast<double>(size)};
  }
  __device__ void rows_holding(int64_t h, int64_t& lo, int64_t& hi) const {
    outputs_holding(h, s.kernel_h, s.stride_h, s.pad_h, g.out_h, lo, hi);
  }
  __device__ void cols_holding(int64_t w, int64_t& lo, int64_t& hi) const {
    outputs_holding(w, s.kernel_w, s.stride_w, s.pad_w, g.out_w, lo, hi);
  }
};

// adaptive_avg_pool2d's windows: [floor(i in / out), ceil((i + 1) in / out)).
struct AdaptiveWindows {
  PoolGeometry g;
  __device__ static int64_t start(int64_t i, int64_t in, int64_t out) { return i * in / out; }
  __device__ static int64_t end(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }
  // Output i holds pos exactly for i in [floor(pos out / in), floor(((pos + 1) out - 1) / in)].
  __device__ static void holding(int64_t pos, int64_t in, int64_t out, int64_t& lo, int64_t& hi) {
    lo = pos * out / in;
    hi = ((pos + 1) * out - 1) / in;
    if (hi > out - 1) hi = out - 1;
  }
  __device__ Window window(int64_t i, int64_t j) const {
    Window win{start(i, g.height, g.out_h), end(i, g.height, g.out_h), start(j, g.width, g.out_w),
               end(j, g.width, g.out_w), 0.0};
    win.divisor = static_cast<double>((win.h1 - win.h0) * (win.w1 - win.w0));
    return win;
  }
  __device__ void rows_holding(int64_t h, int64_t& lo, int64_t& hi) const { holding(h, g.height, g.out_h, lo, hi); }
  __device__ void cols_holding(int64_t w, int64_t& lo, int64_t& hi) const { holding(w, g.width, g.out_w, lo, hi); }
};

// y[plane, i, j] = sum of x[plane] over window(i, j) / divisor, 0 for an empty window
template <typename T, typename Windows>
__global__ void avg_forward_kernel(const T* x, T* y, Windows windows, int64_t total) {
  const PoolGeometry& g = windows.g;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const int64_t j = e % g.out_w;
    const int64_t i = (e / g.out_w) % g.out_h;
    const T* in = x + (e / g.out_plane()) * g.in_plane();
    const Window win = windows.window(i, j);
    double sum = 0.0;
    for (int64_t h = win.h0; h < win.h1; ++h)
      for (int64_t w = win.w0; w < win.w1; ++w) sum += static_cast<double>(in[h * g.width + w]);
    y[e] = static_cast<T>(win.empty() ? 0.0 : sum / win.divisor);
  }
}

// dx[plane, h, w] = sum over the windows (i, j) holding (h, w) of g[plane, i, j] / divisor(i, j)
template <typename T, typename Windows>
__global__ void avg_backward_kernel(const T* grad, T* dx, Windows windows, int64_t total) {
  const PoolGeometry& g = windows.g;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const int64_t w = e % g.width;
    const int64_t h = (e / g.width) % g.height;
    const T* gp = grad + (e / g.in_plane()) * g.out_plane();
    int64_t i_lo, i_hi, j_lo, j_hi;
    windows.rows_holding(h, i_lo, i_hi);
    windows.cols_holding(w, j_lo, j_hi);
    double acc = 0.0;
    for (int64_t i = i_lo; i <= i_hi; ++i) {
      for (int64_t j = j_lo; j <= j_hi; ++j) {
        const Window win = windows.window(i, j);
        if (win.empty() || h < win.h0 || h >= win.h1 || w < win.w0 || w >= win.w1) continue;
        acc += static_cast<double>(gp[i * g.out_w + j]) / win.divisor;
      }
    }
    dx[e] = static_cast<T>(acc);
  }
}

template <typename T, typename Windows>
void launch_avg_forward(const Tensor& x, Tensor& y, const Windows& windows) {
  const int64_t total = y.numel();
  avg_forward_kernel<T, Windows><<<blocks_for(total), kThreads, 0, current_raw_stream()>>>(
      static_cast<const T*>(x.data_ptr()), y.data_ptr<T>(), windows, total);
  REEL_CUDA_CHECK(cudaGetLastError());
}

template <typename T, typename Windows>
void launch_avg_backward(const Tensor& grad, Tensor& dx, const Windows& windows) {
  const int64_t total = dx.numel();
  avg_backward_kernel<T, Windows><<<blocks_for(total), kThreads, 0, current_raw_stream()>>>(
      static_cast<const T*>(grad.data_ptr()), dx.data_ptr<T>(), windows, total);
  REEL_CUDA_CHECK(cudaGetLastError());
}

// dx = the scatter of grad through indices; returns an invalid index met, or -1.
template <typename T>
int64_t max_pool_backward(const Tensor& grad, const Tensor& indices, Tensor& dx, const PoolGeometry& g) {
  cudaStream_t stream = current_raw_stream();
  const int64_t total = grad.numel();
  Tensor bad = Tensor::make({1}, kInt64, dx.device(), "max_pool2d_backward");
  REEL_CUDA_CHECK(cudaMemsetAsync(bad.data_ptr(), 0xff, sizeof(int64_t), stream));  // -1
  auto bad_ptr = static_cast<unsigned long long*>(bad.data_ptr());
  const T* grad_ptr = static_cast<const T*>(grad.data_ptr());
  const int64_t* index_ptr = static_cast<const int64_t*>(indices.data_ptr());
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    REEL_CUDA_CHECK(cudaMemsetAsync(dx.data_ptr(), 0, static_cast<size_t>(dx.nbytes()), stream));
    if (total > 0) {
      max_pool_backward_kernel<T, T><<<blocks_for(total), kThreads, 0, stream>>>(grad_ptr, index_ptr, dx.data_ptr<T>(),
                                                                                 g, total, bad_ptr);
      REEL_CUDA_CHECK(cudaGetLastError());
    }
  } else {
    Tensor acc = Tensor::make(dx.sizes(), kFloat32, dx.device(), "max_pool2d_backward");
    REEL_CUDA_CHECK(cudaMemsetAsync(acc.data_ptr(), 0, static_cast<size_t>(acc.nbytes()), stream));
    if (total > 0) {
      max_pool_backward_kernel<T, float><<<blocks_for(total), kThreads, 0, stream>>>(
          grad_ptr, index_ptr, acc.data_ptr<float>(), g, total, bad_ptr);
      REEL_CUDA_CHECK(cudaGetLastError());
    }
    round_kernel<T><<<blocks_for(dx.numel()), kThreads, 0, stream>>>(acc.data_ptr<float>(), dx.data_ptr<T>(),
                                                                     dx.numel());
    REEL_CUDA_CHECK(cudaGetLastError());
  }
  int64_t bad_index = -1;
  REEL_CUDA_CHECK(cudaMemcpyAsync(&bad_index, bad.data_ptr(), sizeof bad_index, cudaMemcpyDeviceToHost, stream));
  REEL_CUDA_CHECK(cudaStreamSynchronize(stream));
  return bad_index;
}

// ---- kernels -----------------------------------------------------------------------------------------------------
// inputs: x (N, C, H, W); outputs: y, indices (N, C, oH, oW); attrs: PoolParams.
void max_pool2d_kernel(const KernelArgs& args) {
  Tensor& y = args.outputs[0];
  set_current_device(y.device());
  const int64_t total = y.numel();
  if (total == 0) return;
  const Tensor x = args.inputs[0].contiguous();
  const PoolGeometry g = pool_geometry(x.sizes(), y.sizes());
  const PoolSettings s = pool_settings(*args.attrs);
  dispatch_floating(x.dtype(), "max_pool2d", [&]<typename T>() {
    max_pool_forward_kernel<T><<<blocks_for(total), kThreads, 0, current_raw_stream()>>>(
        static_cast<const T*>(x.data_ptr()), y.data_ptr<T>(), args.outputs[1].data_ptr<int64_t>(), g, s, total);
    REEL_CUDA_CHECK(cudaGetLastError());
  });
}

// inputs: grad_output, indices (N, C, oH, oW); output dx (N, C, H, W).
void max_pool2d_backward_kernel(const KernelArgs& args) {
  Tensor& dx = args.outputs[0];
  set_current_device(dx.device());
  if (dx.numel() == 0) return;
  const Tensor grad = args.inputs[0].contiguous();
  const Tensor indices = args.inputs[1].contiguous();
  const PoolGeometry g = pool_geometry(dx.sizes(), grad.sizes());
  int64_t bad = -1;
  dispatch_floating(dx.dtype(), "max_pool2d_backward",
                    [&]<typename T>() { bad = max_pool_backward<T>(grad, indices, dx, g); });
  REEL_CHECK(bad == -1, "max_pool2d_backward: index {} is out of range for input planes of size {}x{} (input {})",
             bad, g.height, g.width, shape_str(dx.sizes()));
}

// inputs: x; output y; attrs: PoolParams (with count_include_pad).
void avg_pool2d_kernel(const KernelArgs& args) {
  Tensor& y = args.outputs[0];
  set_current_device(y.device());
  if (y.numel() == 0) return;
  const Tensor x = args.inputs[0].contiguous();
  const AvgWindows windows{pool_geometry(x.sizes(), y.sizes()), pool_settings(*args.attrs)};
  dispatch_floating(x.dtype(), "avg_pool2d", [&]<typename T>() { launch_avg_forward<T>(x, y, windows); });
}

// inputs: grad_output; output dx; attrs: PoolParams.
void avg_pool2d_backward_kernel(const KernelArgs& args) {
  Tensor& dx = args.outputs[0];
  set_current_device(dx.device());
  if (dx.numel() == 0) return;
  const Tensor grad = args.inputs[0].contiguous();
  const AvgWindows windows{pool_geometry(dx.sizes(), grad.sizes()), pool_settings(*args.attrs)};
  dispatch_floating(dx.dtype(), "avg_pool2d_backward",
                    [&]<typename T>() { launch_avg_backward<T>(grad, dx, windows); });
}

// inputs: x; output y (N, C, oH, oW).
void adaptive_avg_pool2d_kernel(const KernelArgs& args) {
  Tensor& y = args.outputs[0];
  set_current_device(y.device());
  if (y.numel() == 0) return;
  const Tensor x = args.inputs[0].contiguous();
  const AdaptiveWindows windows{pool_geometry(x.sizes(), y.sizes())};
  dispatch_floating(x.dtype(), "adaptive_avg_pool2d", [&]<typename T>() { launch_avg_forward<T>(x, y, windows); });
}

// inputs: grad_output (N, C, oH, oW); output dx (N, C, H, W).
void adaptive_avg_pool2d_backward_kernel(const KernelArgs& args) {
  Tensor& dx = args.outputs[0];
  set_current_device(dx.device());
  if (dx.numel() == 0) return;
  const Tensor grad = args.inputs[0].contiguous();
  const AdaptiveWindows windows{pool_geometry(dx.sizes(), grad.sizes())};
  dispatch_floating(dx.dtype(), "adaptive_avg_pool2d_backward",
                    [&]<typename T>() { launch_avg_backward<T>(grad, dx, windows); });
}

// inputs: x (N, C, H, W); outputs: y, indices (N, C, oH, oW).
void adaptive_max_pool2d_kernel(const KernelArgs& args) {
  Tensor& y = args.outputs[0];
  set_current_device(y.device());
  const int64_t total = y.numel();
  if (total == 0) return;
  const Tensor x = args.inputs[0].contiguous();
  const PoolGeometry g = pool_geometry(x.sizes(), y.sizes());
  dispatch_floating(x.dtype(), "adaptive_max_pool2d", [&]<typename T>() {
    adaptive_max_forward_kernel<T><<<blocks_for(total), kThreads, 0, current_raw_stream()>>>(
        static_cast<const T*>(x.data_ptr()), y.data_ptr<T>(), args.outputs[1].data_ptr<int64_t>(), g, total);
    REEL_CUDA_CHECK(cudaGetLastError());
  });
}

}  // namespace

void register_pool_kernels() {
  register_kernel(OpId::max_pool2d, kCUDA, &max_pool2d_kernel);
  register_kernel(OpId::max_pool2d_backward, kCUDA, &max_pool2d_backward_kernel);
  register_kernel(OpId::avg_pool2d, kCUDA, &avg_pool2d_kernel);
  register_kernel(OpId::avg_pool2d_backward, kCUDA, &avg_pool2d_backward_kernel);
  register_kernel(OpId::adaptive_avg_pool2d, kCUDA, &adaptive_avg_pool2d_kernel);
  register_kernel(OpId::adaptive_avg_pool2d_backward, kCUDA, &adaptive_avg_pool2d_backward_kernel);
  register_kernel(OpId::adaptive_max_pool2d, kCUDA, &adaptive_max_pool2d_kernel);
}

}  // namespace reel::cuda
