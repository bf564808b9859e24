// reel/cuda/resample.cu — CUDA kernels of interpolate (upsample, upsample_backward) and grid_sample
// (grid_sampler_2d, grid_sampler_2d_backward), with the coordinate math of tensor/resample_math.h that
// cpu/resample.cpp uses, so both backends compute the same taps and weights.
//
// Forward kernels: one thread per output element (upsample) or per grid point looping over channels
// (grid_sampler_2d), arithmetic in the compute type (float for 16-bit floats). Backward kernels scatter with
// atomicAdd into a zeroed dx, so the summation order (not the terms) differs from the CPU's; the front doors
// (tensor/ops_resample.cpp) hand them float32 or float64 only, computing 16-bit floats in float32. The grid
// gradient of a point is written by its own thread.
#include <cuda_runtime.h>

#include <type_traits>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/resample_math.h"

namespace reel::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 65536;

unsigned int blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned int>(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}

// One upsample call's sizes and settings, passed by value.
struct UpsampleShape {
  int64_t planes, h, w, oh, ow;
  int mode;
  bool align_corners;
  double scale_h, scale_w;
};

UpsampleShape upsample_shape(const KernelArgs& args, const Tensor& input_like, const Tensor& output_like) {
  const UpsampleAttrs& a = args.attrs->get<UpsampleAttrs>();
  return {input_like.size(0) * input_like.size(1), input_like.size(2), input_like.size(3), output_like.size(2),
          output_like.size(3), static_cast<int>(a.mode), a.align_corners, a.scale_h, a.scale_w};
}

// y[i, j] = sum of the taps' weights times x at the taps
template <typename T>
__global__ void upsample_forward_kernel(const T* x, T* y, UpsampleShape s, int64_t total) {
  using C = compute_t<T>;
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < total; k += int64_t(blockDim.x) * gridDim.x) {
    const int64_t j = k % s.ow, i = (k / s.ow) % s.oh, plane = k / (s.ow * s.oh);
    const resample::Taps<C> r = resample::axis_taps<C>(s.mode, i, s.h, s.oh, s.align_corners, s.scale_h);
    const resample::Taps<C> c = resample::axis_taps<C>(s.mode, j, s.w, s.ow, s.align_corners, s.scale_w);
    const T* in = x + plane * s.h * s.w;
    C sum = C(0);
    for (int p = 0; p < r.count; ++p) {
      C row_sum = C(0);
      for (int q = 0; q < c.count; ++q) row_sum += c.weight[q] * static_cast<C>(in[r.index[p] * s.w + c.index[q]]);
      sum += r.weight[p] * row_sum;
    }
    y[k] = static_cast<T>(sum);
  }
}

// dx[taps of (i, j)] += weights * g[i, j]
template <typename T>
__global__ void upsample_backward_kernel(const T* g, T* dx, UpsampleShape s, int64_t total) {
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < total; k += int64_t(blockDim.x) * gridDim.x) {
    const int64_t j = k % s.ow, i = (k / s.ow) % s.oh, plane = k / (s.ow * s.oh);
    const resample::Taps<T> r = resample::axis_taps<T>(s.mode, i, s.h, s.oh, s.align_corners, s.scale_h);
    const resample::Taps<T> c = resample::axis_taps<T>(s.mode, j, s.w, s.ow, s.align_corners, s.scale_w);
    T* out = dx + plane * s.h * s.w;
    const T v = g[k];
    for (int p = 0; p < r.count; ++p)
      for (int q = 0; q < c.count; ++q) atomicAdd(out + r.index[p] * s.w + c.index[q], r.weight[p] * c.weight[q] * v);
  }
}

// ---- grid_sample -------------------------------------------------------------------------------------------------
struct GridShape {
  int64_t n, channels, h, w, oh, ow;
  int interpolation, padding;
  bool align_corners;
};

template <typename T>
__global__ void grid_forward_kernel(const T* x, const T* grid, T* y, GridShape s, int64_t total) {
  using C = compute_t<T>;
  for (int64_t point = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; point < total;
       point += int64_t(blockDim.x) * gridDim.x) {
    const int64_t n = point / (s.oh * s.ow), pos = point % (s.oh * s.ow);
    C unused;
    const C ix = resample::grid_source_with_grad<C>(static_cast<C>(grid[2 * point]), s.w, s.padding, s.align_corners,
                                                    &unused);
    const C iy = resample::grid_source_with_grad<C>(static_cast<C>(grid[2 * point + 1]), s.h, s.padding,
                                                    s.align_corners, &unused);
    for (int64_t c = 0; c < s.channels; ++c) {
      const T* in = x + (n * s.channels + c) * s.h * s.w;
      auto at = [&](int64_t yy, int64_t xx) {
        return resample::in_bounds(yy, xx, s.h, s.w) ? static_cast<C>(in[yy * s.w + xx]) : C(0);
      };
      C v;
      if (s.interpolation == resample::kGridNearest) {
        v = at(resample::round_even(iy), resample::round_even(ix));
      } else {
        const resample::Corners<C> k = resample::bilinear_corners(ix, iy);
        v = k.nw * at(k.y0, k.x0) + k.ne * at(k.y0, k.x0 + 1) + k.sw * at(k.y0 + 1, k.x0) +
            k.se * at(k.y0 + 1, k.x0 + 1);
      }
      y[(n * s.channels + c) * s.oh * s.ow + pos] = static_cast<T>(v);
    }
  }
}

template <typename T>
__global__ void grid_backward_kernel(const T* g, const T* x, const T* grid, T* dx, T* dgrid, GridShape s,
                                     int64_t total) {
  for (int64_t point = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; point < total;
       point += int64_t(blockDim.x) * gridDim.x) {
    const int64_t n = point / (s.oh * s.ow), pos = point % (s.oh * s.ow);
    T gx_mult, gy_mult;
    const T ix = resample::grid_source_with_grad<T>(grid[2 * point], s.w, s.padding, s.align_corners, &gx_mult);
    const T iy = resample::grid_source_with_grad<T>(grid[2 * point + 1], s.h, s.padding, s.align_corners, &gy_mult);
    T gix = 0, giy = 0;
    for (int64_t c = 0; c < s.channels; ++c) {
      const int64_t plane = n * s.channels + c;
      const T* in = x + plane * s.h * s.w;
      T* din = dx + plane * s.h * s.w;
      const T go = g[plane * s.oh * s.ow + pos];
      auto add = [&](int64_t yy, int64_t xx, T wgt) {
        if (resample::in_bounds(yy, xx, s.h, s.w)) atomicAdd(din + yy * s.w + xx, wgt * go);
      };
      auto at = [&](int64_t yy, int64_t xx) { return resample::in_bounds(yy, xx, s.h, s.w) ? in[yy * s.w + xx] : T(0); };
      if (s.interpolation == resample::kGridNearest) {
        add(resample::round_even(iy), resample::round_even(ix), T(1));
      } else {
        const resample::Corners<T> k = resample::bilinear_corners(ix, iy);
        add(k.y0, k.x0, k.nw);
        add(k.y0, k.x0 + 1, k.ne);
        add(k.y0 + 1, k.x0, k.sw);
        add(k.y0 + 1, k.x0 + 1, k.se);
        const T tx = ix - static_cast<T>(k.x0), ty = iy - static_cast<T>(k.y0);
        const T nw = at(k.y0, k.x0), ne = at(k.y0, k.x0 + 1), sw = at(k.y0 + 1, k.x0), se = at(k.y0 + 1, k.x0 + 1);
        gix += go * ((ne - nw) * (T(1) - ty) + (se - sw) * ty);
        giy += go * ((sw - nw) * (T(1) - tx) + (se - ne) * tx);
      }
    }
    dgrid[2 * point] = gix * gx_mult;
    dgrid[2 * point + 1] = giy * gy_mult;
  }
}

GridShape grid_shape(const KernelArgs& args, const Tensor& x, const Tensor& grid) {
  const GridSampleAttrs& a = args.attrs->get<GridSampleAttrs>();
  return {x.size(0), x.size(1), x.size(2), x.size(3), grid.size(1), grid.size(2),
          static_cast<int>(a.interpolation_mode), static_cast<int>(a.padding_mode), a.align_corners};
}

// ---- kernels -----------------------------------------------------------------------------------------------------
// inputs: x (N, C, H, W); output y (N, C, oH, oW); attrs: UpsampleAttrs.
void upsample_kernel(const KernelArgs& args) {
  Tensor& y = args.outputs[0];
  set_current_device(y.device());
  const int64_t total = y.numel();
  if (total == 0) return;
  const Tensor x = args.inputs[0].contiguous();
  const UpsampleShape s = upsample_shape(args, x, y);
  dispatch_floating(x.dtype(), "upsample", [&]<typename T>() {
    upsample_forward_kernel<T><<<blocks_for(total), kThreads, 0, current_raw_stream()>>>(
        static_cast<const T*>(x.data_ptr()), y.data_ptr<T>(), s, total);
    REEL_CUDA_CHECK(cudaGetLastError());
  });
}

// inputs: grad_output (N, C, oH, oW); output dx (N, C, H, W), float32 / float64; attrs: UpsampleAttrs.
void upsample_backward_kernel_entry(const KernelArgs& args) {
  Tensor& dx = args.outputs[0];
  set_current_device(dx.device());
  if (dx.numel() == 0) return;
  const Tensor g = args.inputs[0].contiguous();
  const UpsampleShape s = upsample_shape(args, dx, g);
  cudaStream_t stream = current_raw_stream();
  REEL_CUDA_CHECK(cudaMemsetAsync(dx.data_ptr(), 0, static_cast<size_t>(dx.nbytes()), stream));
  const int64_t total = g.numel();
  if (total == 0) return;
  dispatch_floating(dx.dtype(), "upsample_backward", [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      upsample_backward_kernel<T><<<blocks_for(total), kThreads, 0, stream>>>(static_cast<const T*>(g.data_ptr()),
                                                                              dx.data_ptr<T>(), s, total);
      REEL_CUDA_CHECK(cudaGetLastError());
    } else {
      REEL_CHECK(false, "internal: upsample_backward kernel got {} (the front door computes 16-bit floats in float32)",
                 dtype_name(dx.dtype()));
    }
  });
}

// inputs: x (N, C, H, W), grid (N, oH, oW, 2); output y (N, C, oH, oW); attrs: GridSampleAttrs.
void grid_sampler_2d_kernel(const KernelArgs& args) {
  Tensor& y = args.outputs[0];
  set_current_device(y.device());
  if (y.numel() == 0) return;
  const Tensor x = args.inputs[0].contiguous(), grid = args.inputs[1].contiguous();
  const GridShape s = grid_shape(args, x, grid);
  const int64_t total = s.n * s.oh * s.ow;
  dispatch_floating(x.dtype(), "grid_sampler_2d", [&]<typename T>() {
    grid_forward_kernel<T><<<blocks_for(total), kThreads, 0, current_raw_stream()>>>(
        static_cast<const T*>(x.data_ptr()), static_cast<const T*>(grid.data_ptr()), y.data_ptr<T>(), s, total);
    REEL_CUDA_CHECK(cudaGetLastError());
  });
}

// inputs: grad_output, x, grid; outputs dx, dgrid (float32 / float64); attrs: GridSampleAttrs.
void grid_sampler_2d_backward_kernel(const KernelArgs& args) {
  Tensor& dx = args.outputs[0];
  Tensor& dgrid = args.outputs[1];
  set_current_device(dx.device());
  const Tensor g = args.inputs[0].contiguous(), x = args.inputs[1].contiguous(), grid = args.inputs[2].contiguous();
  const GridShape s = grid_shape(args, x, grid);
  cudaStream_t stream = current_raw_stream();
  if (dx.numel() > 0) REEL_CUDA_CHECK(cudaMemsetAsync(dx.data_ptr(), 0, static_cast<size_t>(dx.nbytes()), stream));
  if (dgrid.numel() > 0)
    REEL_CUDA_CHECK(cudaMemsetAsync(dgrid.data_ptr(), 0, static_cast<size_t>(dgrid.nbytes()), stream));
  const int64_t total = s.n * s.oh * s.ow;
  if (total == 0) return;
  dispatch_floating(x.dtype(), "grid_sampler_2d_backward", [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      grid_backward_kernel<T><<<blocks_for(total), kThreads, 0, stream>>>(
          static_cast<const T*>(g.data_ptr()), static_cast<const T*>(x.data_ptr()),
          static_cast<const T*>(grid.data_ptr()), dx.data_ptr<T>(), dgrid.data_ptr<T>(), s, total);
      REEL_CUDA_CHECK(cudaGetLastError());
    } else {
      REEL_CHECK(false, "internal: grid_sampler_2d_backward kernel got {} (the front door computes 16-bit floats in "
                 "float32)", dtype_name(x.dtype()));
    }
  });
}

}  // namespace

void register_resample_kernels() {
  register_kernel(OpId::upsample, kCUDA, &upsample_kernel);
  register_kernel(OpId::upsample_backward, kCUDA, &upsample_backward_kernel_entry);
  register_kernel(OpId::grid_sampler_2d, kCUDA, &grid_sampler_2d_kernel);
  register_kernel(OpId::grid_sampler_2d_backward, kCUDA, &grid_sampler_2d_backward_kernel);
}

}  // namespace reel::cuda
