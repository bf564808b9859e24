// reel/cpu/pool.cpp — CPU kernels of the 2-D pooling ops and their backward primitives: max_pool2d (values and
// flat indices), avg_pool2d, adaptive_avg_pool2d, adaptive_max_pool2d (values and flat indices; its backward is
// max_pool2d_backward's scatter).
//
// Direct loops over each output's window, with PyTorch's window rules:
//   max      window rows h = i s - pad + p d (p < kH) clipped to the input, likewise columns; the first maximum
//            wins, a NaN wins over everything (the last NaN seen); index = h * W + w within the plane. A window
//            that holds no input position (possible only with a large dilation) gives -inf and index -1.
//   avg      window [i s - pad, i s - pad + kH) clipped to the padded input for the divisor when padding counts,
//            then to the input for the sum; divisor = that padded size or the clipped size.
//   adaptive window [floor(i H / oH), ceil((i + 1) H / oH)), likewise columns; divisor = its size (average), or
//            the first maximum, a NaN winning, index h * W + w (max).
// Every (n, c) plane is independent, so the kernels run in parallel over planes, and the backward kernels add
// each output gradient into its own plane of dx without races. Sums are in double, max compares in the element
// type (float for float16 and bfloat16, which read and write their own storage). Inputs of any layout are made
// contiguous first; the front doors (tensor/ops_conv.cpp) allocated the contiguous outputs.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "cpu/kernels.h"
#include "tensor/conv_params.h"
#include "tensor/dispatch.h"
#include "tensor/parallel.h"

namespace reel::cpu {

namespace {

constexpr int64_t kGrainWork = 32768;  // window elements below which the planes stay on one thread

// Runs body(plane) for every plane, in parallel when the planes hold enough window elements.
template <typename F>
void for_each_plane(int64_t planes, int64_t work_per_plane, F&& body) {
  const int64_t grain = std::max<int64_t>(1, kGrainWork / std::max<int64_t>(1, work_per_plane));
  parallel_for(0, planes, grain, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) body(plane);
  });
}

// Sizes of one pooling call: planes of (H, W) in, (oH, oW) out.
struct PoolGeometry {
  int64_t planes, height, width, out_h, out_w;
  PoolGeometry(IntList input, IntList output)
      : planes(input[0] * input[1]), height(input[2]), width(input[3]), out_h(output[2]), out_w(output[3]) {}
  int64_t in_plane() const { return height * width; }
  int64_t out_plane() const { return out_h * out_w; }
};

// ---- max pooling -------------------------------------------------------------------------------------------------
// (best, index) = (v, position) when v > best or v is NaN. Written with masks, not branches: which element wins is
// data-dependent, and the branches GCC makes of a plain select mispredict on about every other element.
template <typename C>
inline void take_if_larger(C v, int64_t position, C& best, int64_t& index) {
  using Bits = std::conditional_t<sizeof(C) == 4, uint32_t, uint64_t>;
  const bool take = (v > best) | (v != v);
  const Bits mask = Bits(0) - Bits(take);
  Bits v_bits, best_bits;
  std::memcpy(&v_bits, &v, sizeof v);
  std::memcpy(&best_bits, &best, sizeof best);
  best_bits = (v_bits & mask) | (best_bits & ~mask);
  std::memcpy(&best, &best_bits, sizeof best);
  const int64_t index_mask = -static_cast<int64_t>(take);
  index = (position & index_mask) | (index & ~index_mask);
}

// Per kernel column q: the output columns [lo, hi) whose tap j s - pad + q d lies inside the row.
void valid_columns(const PoolGeometry& g, const PoolParams& p, std::vector<int64_t>& lo, std::vector<int64_t>& hi) {
  for (int64_t q = 0; q < p.kernel[1]; ++q) {
    const int64_t offset = q * p.dilation[1] - p.padding[1], stride = p.stride[1];
    const int64_t first = std::min(offset >= 0 ? 0 : (-offset + stride - 1) / stride, g.out_w);
    const int64_t end = g.width - offset > 0 ? (g.width - offset + stride - 1) / stride : 0;
    lo.push_back(first);
    hi.push_back(std::clamp(end, first, g.out_w));
  }
}

// One output row at a time, the taps in window order (p, then q) each sweep the row's outputs, so that the
// outputs' running maxima are independent chains the CPU overlaps. An output still at index -1 afterwards saw only
// -inf (or nothing): it gets its window's first position, or keeps -1 when the window holds no input position.
template <typename T>
void max_pool_forward(const T* x, T* y, int64_t* indices, const PoolGeometry& g, const PoolParams& p) {
  using C = compute_t<T>;
  std::vector<int64_t> lo, hi;
  valid_columns(g, p, lo, hi);
  for_each_plane(g.planes, g.out_plane() * p.kernel[0] * p.kernel[1], [&](int64_t plane) {
    const T* in = x + plane * g.in_plane();
    std::vector<C> best(static_cast<size_t>(g.out_w));
    for (int64_t i = 0; i < g.out_h; ++i) {
      int64_t* index = indices + plane * g.out_plane() + i * g.out_w;
      std::fill(best.begin(), best.end(), -std::numeric_limits<C>::infinity());
      std::fill(index, index + g.out_w, int64_t{-1});
      int64_t first_row = -1;
      for (int64_t kh = 0; kh < p.kernel[0]; ++kh) {
        const int64_t h = i * p.stride[0] - p.padding[0] + kh * p.dilation[0];
        if (h < 0 || h >= g.height) continue;
        if (first_row < 0) first_row = h;
        for (int64_t kw = 0; kw < p.kernel[1]; ++kw) {
          const int64_t offset = h * g.width + kw * p.dilation[1] - p.padding[1], stride = p.stride[1];
          const int64_t j_begin = lo[static_cast<size_t>(kw)], j_end = hi[static_cast<size_t>(kw)];
          C* best_row = best.data();
          for (int64_t j = j_begin; j < j_end; ++j) {
            const int64_t position = offset + j * stride;
            take_if_larger(static_cast<C>(in[position]), position, best_row[j], index[j]);
          }
        }
      }
      T* out = y + plane * g.out_plane() + i * g.out_w;
      for (int64_t j = 0; j < g.out_w; ++j) {
        out[j] = static_cast<T>(best[static_cast<size_t>(j)]);
        if (index[j] != -1 || first_row < 0) continue;
        for (int64_t kw = 0; kw < p.kernel[1]; ++kw) {  // the first column of the window inside the row
          if (j < lo[static_cast<size_t>(kw)] || j >= hi[static_cast<size_t>(kw)]) continue;
          index[j] = first_row * g.width + j * p.stride[1] + kw * p.dilation[1] - p.padding[1];
          break;
        }
      }
    }
  });
}

// dx[plane][k] += g for each output (summed in double); returns an invalid index met (or -1 when all were valid).
template <typename T>
int64_t max_pool_backward(const T* grad, const int64_t* indices, T* dx, const PoolGeometry& g) {
  std::atomic<int64_t> bad{-1};
  for_each_plane(g.planes, g.out_plane(), [&](int64_t plane) {
    std::vector<double> acc(static_cast<size_t>(g.in_plane()), 0.0);
    const T* gp = grad + plane * g.out_plane();
    const int64_t* ip = indices + plane * g.out_plane();
    for (int64_t k = 0; k < g.out_plane(); ++k) {
      const int64_t index = ip[k];
      if (index >= 0 && index < g.in_plane()) {
        acc[static_cast<size_t>(index)] += static_cast<double>(gp[k]);
      } else if (index != -1) {
        bad.store(index);
      }
    }
    T* out = dx + plane * g.in_plane();
    for (int64_t k = 0; k < g.in_plane(); ++k) out[k] = static_cast<T>(acc[static_cast<size_t>(k)]);
  });
  return bad.load();
}

// ---- average pooling ---------------------------------------------------------------------------------------------
// The clipped window [h0, h1) x [w0, w1) of output (i, j) and its divisor; false when it holds no input.
struct AvgWindow {
  int64_t h0, h1, w0, w1;
  double divisor;
};

AvgWindow avg_window(int64_t i, int64_t j, const PoolGeometry& g, const PoolParams& p) {
  int64_t h0 = i * p.stride[0] - p.padding[0], w0 = j * p.stride[1] - p.padding[1];
  int64_t h1 = std::min(h0 + p.kernel[0], g.height + p.padding[0]);
  int64_t w1 = std::min(w0 + p.kernel[1], g.width + p.padding[1]);
  const int64_t padded_size = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0);
  w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, g.height);
  w1 = std::min(w1, g.width);
  const int64_t size = p.count_include_pad ? padded_size : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, static_cast<double>(size)};
}

// Adaptive window bounds along one dim: [floor(i in / out), ceil((i + 1) in / out)).
int64_t adaptive_start(int64_t i, int64_t in, int64_t out) { return i * in / out; }
int64_t adaptive_end(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

AvgWindow adaptive_window(int64_t i, int64_t j, const PoolGeometry& g) {
  AvgWindow win{adaptive_start(i, g.height, g.out_h), adaptive_end(i, g.height, g.out_h),
                adaptive_start(j, g.width, g.out_w), adaptive_end(j, g.width, g.out_w), 0.0};
  win.divisor = static_cast<double>((win.h1 - win.h0) * (win.w1 - win.w0));
  return win;
}

// y = window sum / divisor, 0 for an empty window. window(i, j) gives each output's window.
template <typename T, typename WindowFn>
void avg_forward(const T* x, T* y, const PoolGeometry& g, int64_t window_elements, WindowFn&& window) {
  for_each_plane(g.planes, g.out_plane() * window_elements, [&](int64_t plane) {
    const T* in = x + plane * g.in_plane();
    T* out = y + plane * g.out_plane();
    for (int64_t i = 0; i < g.out_h; ++i) {
      for (int64_t j = 0; j < g.out_w; ++j) {
        const AvgWindow win = window(i, j);
        double sum = 0.0;
        for (int64_t h = win.h0; h < win.h1; ++h)
          for (int64_t w = win.w0; w < win.w1; ++w) sum += static_cast<double>(in[h * g.width + w]);
        const bool empty = win.h0 >= win.h1 || win.w0 >= win.w1;
        out[i * g.out_w + j] = static_cast<T>(empty ? 0.0 : sum / win.divisor);
      }
    }
  });
}

// dx[h, w] = sum over the windows holding (h, w) of g / divisor (accumulated in double per plane).
template <typename T, typename WindowFn>
void avg_backward(const T* grad, T* dx, const PoolGeometry& g, int64_t window_elements, WindowFn&& window) {
  for_each_plane(g.planes, g.out_plane() * window_elements, [&](int64_t plane) {
    std::vector<double> acc(static_cast<size_t>(g.in_plane()), 0.0);
    const T* gp = grad + plane * g.out_plane();
    for (int64_t i = 0; i < g.out_h; ++i) {
      for (int64_t j = 0; j < g.out_w; ++j) {
        const AvgWindow win = window(i, j);
        if (win.h0 >= win.h1 || win.w0 >= win.w1) continue;
        const double share = static_cast<double>(gp[i * g.out_w + j]) / win.divisor;
        for (int64_t h = win.h0; h < win.h1; ++h)
          for (int64_t w = win.w0; w < win.w1; ++w) acc[static_cast<size_t>(h * g.width + w)] += share;
      }
    }
    T* out = dx + plane * g.in_plane();
    for (int64_t k = 0; k < g.in_plane(); ++k) out[k] = static_cast<T>(acc[static_cast<size_t>(k)]);
  });
}

// Largest adaptive window along one dim (for the parallel grain).
int64_t adaptive_extent(int64_t in, int64_t out) { return out == 0 ? 0 : (in + out - 1) / out + 1; }

// (y, k) = (max, flat argmax) over each adaptive window, scanned row by row: the first maximum wins, a NaN wins; a
// window of only -inf keeps its first position.
template <typename T>
void adaptive_max_forward(const T* x, T* y, int64_t* indices, const PoolGeometry& g, int64_t window_elements) {
  using C = compute_t<T>;
  for_each_plane(g.planes, g.out_plane() * window_elements, [&](int64_t plane) {
    const T* in = x + plane * g.in_plane();
    for (int64_t i = 0; i < g.out_h; ++i) {
      const int64_t h0 = adaptive_start(i, g.height, g.out_h), h1 = adaptive_end(i, g.height, g.out_h);
      for (int64_t j = 0; j < g.out_w; ++j) {
        const int64_t w0 = adaptive_start(j, g.width, g.out_w), w1 = adaptive_end(j, g.width, g.out_w);
        C best = -std::numeric_limits<C>::infinity();
        int64_t index = h0 * g.width + w0;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w)
            take_if_larger(static_cast<C>(in[h * g.width + w]), h * g.width + w, best, index);
        y[plane * g.out_plane() + i * g.out_w + j] = static_cast<T>(best);
        indices[plane * g.out_plane() + i * g.out_w + j] = index;
      }
    }
  });
}

// ---- kernels -----------------------------------------------------------------------------------------------------
// inputs: x (N, C, H, W); outputs: y, indices (N, C, oH, oW); attrs: PoolParams.
void max_pool2d_kernel(const KernelArgs& args) {
  Tensor& y = args.outputs[0];
  if (y.numel() == 0) return;
  const Tensor x = args.inputs[0].contiguous();
  const PoolGeometry g(x.sizes(), y.sizes());
  const PoolParams p = args.attrs->get<PoolParams>();
  dispatch_floating(x.dtype(), "max_pool2d", [&]<typename T>() {
    max_pool_forward<T>(x.data_ptr<T>(), y.data_ptr<T>(), args.outputs[1].data_ptr<int64_t>(), g, p);
  });
}

// inputs: grad_output, indices (N, C, oH, oW); output dx (N, C, H, W).
void max_pool2d_backward_kernel(const KernelArgs& args) {
  Tensor& dx = args.outputs[0];
  if (dx.numel() == 0) return;
  const Tensor grad = args.inputs[0].contiguous();
  const Tensor indices = args.inputs[1].contiguous();
  const PoolGeometry g(dx.sizes(), grad.sizes());
  int64_t bad = -1;
  dispatch_floating(dx.dtype(), "max_pool2d_backward", [&]<typename T>() {
    bad = max_pool_backward<T>(grad.data_ptr<T>(), indices.data_ptr<int64_t>(), dx.data_ptr<T>(), g);
  });
  REEL_CHECK(bad == -1, "max_pool2d_backward: index {} is out of range for input planes of size {}x{} (input {})",
             bad, g.height, g.width, shape_str(dx.sizes()));
}

// inputs: x; output y; attrs: PoolParams (with count_include_pad).
void avg_pool2d_kernel(const KernelArgs& args) {
  Tensor& y = args.outputs[0];
  if (y.numel() == 0) return;
  const Tensor x = args.inputs[0].contiguous();
  const PoolGeometry g(x.sizes(), y.sizes());
  const PoolParams p = args.attrs->get<PoolParams>();
  dispatch_floating(x.dtype(), "avg_pool2d", [&]<typename T>() {
    avg_forward<T>(x.data_ptr<T>(), y.data_ptr<T>(), g, p.kernel[0] * p.kernel[1],
                   [&](int64_t i, int64_t j) { return avg_window(i, j, g, p); });
  });
}

// inputs: grad_output; output dx; attrs: PoolParams.
void avg_pool2d_backward_kernel(const KernelArgs& args) {
  Tensor& dx = args.outputs[0];
  if (dx.numel() == 0) return;
  const Tensor grad = args.inputs[0].contiguous();
  const PoolGeometry g(dx.sizes(), grad.sizes());
  const PoolParams p = args.attrs->get<PoolParams>();
  dispatch_floating(dx.dtype(), "avg_pool2d_backward", [&]<typename T>() {
    avg_backward<T>(grad.data_ptr<T>(), dx.data_ptr<T>(), g, p.kernel[0] * p.kernel[1],
                    [&](int64_t i, int64_t j) { return avg_window(i, j, g, p); });
  });
}

// inputs: x; output y (N, C, oH, oW).
void adaptive_avg_pool2d_kernel(const KernelArgs& args) {
  Tensor& y = args.outputs[0];
  if (y.numel() == 0) return;
  const Tensor x = args.inputs[0].contiguous();
  const PoolGeometry g(x.sizes(), y.sizes());
  const int64_t window = adaptive_extent(g.height, g.out_h) * adaptive_extent(g.width, g.out_w);
  dispatch_floating(x.dtype(), "adaptive_avg_pool2d", [&]<typename T>() {
    avg_forward<T>(x.data_ptr<T>(), y.data_ptr<T>(), g, window,
                   [&](int64_t i, int64_t j) { return adaptive_window(i, j, g); });
  });
}

// inputs: grad_output (N, C, oH, oW); output dx (N, C, H, W).
void adaptive_avg_pool2d_backward_kernel(const KernelArgs& args) {
  Tensor& dx = args.outputs[0];
  if (dx.numel() == 0) return;
  const Tensor grad = args.inputs[0].contiguous();
  const PoolGeometry g(dx.sizes(), grad.sizes());
  const int64_t window = adaptive_extent(g.height, g.out_h) * adaptive_extent(g.width, g.out_w);
  dispatch_floating(dx.dtype(), "adaptive_avg_pool2d_backward", [&]<typename T>() {
    avg_backward<T>(grad.data_ptr<T>(), dx.data_ptr<T>(), g, window,
                    [&](int64_t i, int64_t j) { return adaptive_window(i, j, g); });
  });
}

// inputs: x (N, C, H, W); outputs: y, indices (N, C, oH, oW).
void adaptive_max_pool2d_kernel(const KernelArgs& args) {
  Tensor& y = args.outputs[0];
  if (y.numel() == 0) return;
  const Tensor x = args.inputs[0].contiguous();
  const PoolGeometry g(x.sizes(), y.sizes());
  const int64_t window = adaptive_extent(g.height, g.out_h) * adaptive_extent(g.width, g.out_w);
  dispatch_floating(x.dtype(), "adaptive_max_pool2d", [&]<typename T>() {
    adaptive_max_forward<T>(x.data_ptr<T>(), y.data_ptr<T>(), args.outputs[1].data_ptr<int64_t>(), g, window);
  });
}

}  // namespace

void register_pool_kernels() {
  register_kernel(OpId::max_pool2d, kCPU, &max_pool2d_kernel);
  register_kernel(OpId::max_pool2d_backward, kCPU, &max_pool2d_backward_kernel);
  register_kernel(OpId::avg_pool2d, kCPU, &avg_pool2d_kernel);
  register_kernel(OpId::avg_pool2d_backward, kCPU, &avg_pool2d_backward_kernel);
  register_kernel(OpId::adaptive_avg_pool2d, kCPU, &adaptive_avg_pool2d_kernel);
  register_kernel(OpId::adaptive_avg_pool2d_backward, kCPU, &adaptive_avg_pool2d_backward_kernel);
  register_kernel(OpId::adaptive_max_pool2d, kCPU, &adaptive_max_pool2d_kernel);
}

}  // namespace reel::cpu
