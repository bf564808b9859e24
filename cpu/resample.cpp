// reel/cpu/resample.cpp — CPU kernels of interpolate (upsample, upsample_backward) and grid_sample
// (grid_sampler_2d, grid_sampler_2d_backward).
//
// The coordinate rules are tensor/resample_math.h's (PyTorch's), shared with cuda/resample.cu. Every op works on
// 4-D (N, C, H, W) tensors (the front doors in tensor/ops_resample.cpp view 1-d inputs as H = 1) made contiguous
// here; arithmetic is in the compute type (float for float16 / bfloat16 / float32, double for float64), as
// PyTorch's opmath. Upsampling: the taps of every output row and column are computed once per call; the (n, c)
// planes are independent, so the forward and the backward (which adds each output gradient into its own plane)
// run in parallel over planes. grid_sample runs in parallel over batch entries: a grid point's gradient lands
// anywhere in its own batch entry's input gradient.
#include <algorithm>
#include <vector>

#include "cpu/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/op_attrs.h"
#include "tensor/parallel.h"
#include "tensor/resample_math.h"

namespace reel::cpu {

namespace {

using resample::Taps;

template <typename F>
void for_each_index(int64_t count, int64_t work_each, F&& body) {
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, work_each));
  parallel_for(0, count, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) body(i);
  });
}

// The taps of every output row and column of one upsample call.
template <typename C>
struct UpsampleTaps {
  std::vector<Taps<C>> rows, cols;
  UpsampleTaps(const UpsampleAttrs& a, int64_t h, int64_t w, int64_t oh, int64_t ow) {
    const int mode = static_cast<int>(a.mode);
    for (int64_t i = 0; i < oh; ++i) rows.push_back(resample::axis_taps<C>(mode, i, h, oh, a.align_corners, a.scale_h));
    for (int64_t j = 0; j < ow; ++j) cols.push_back(resample::axis_taps<C>(mode, j, w, ow, a.align_corners, a.scale_w));
  }
};

// inputs: x (N, C, H, W); output y (N, C, oH, oW); attrs: UpsampleAttrs.
// y[i, j] = sum_a sum_b row_w[a] col_w[b] x[row_i[a], col_i[b]]
void upsample_kernel(const KernelArgs& args) {
  Tensor& y = args.outputs[0];
  if (y.numel() == 0) return;
  const Tensor x = args.inputs[0].contiguous();
  const UpsampleAttrs& a = args.attrs->get<UpsampleAttrs>();
  const int64_t planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3), oh = y.size(2), ow = y.size(3);
  dispatch_floating(x.dtype(), "upsample", [&]<typename T>() {
    using C = compute_t<T>;
    const UpsampleTaps<C> taps(a, h, w, oh, ow);
    const T* xp = x.data_ptr<T>();
    T* yp = y.data_ptr<T>();
    for_each_index(planes, oh * ow * 16, [&](int64_t plane) {
      const T* in = xp + plane * h * w;
      T* out = yp + plane * oh * ow;
      for (int64_t i = 0; i < oh; ++i) {
        const Taps<C>& r = taps.rows[static_cast<size_t>(i)];
        for (int64_t j = 0; j < ow; ++j) {
          const Taps<C>& c = taps.cols[static_cast<size_t>(j)];
          C sum = C(0);
          for (int p = 0; p < r.count; ++p) {
            C row_sum = C(0);
            for (int q = 0; q < c.count; ++q) row_sum += c.weight[q] * static_cast<C>(in[r.index[p] * w + c.index[q]]);
            sum += r.weight[p] * row_sum;
          }
          out[i * ow + j] = static_cast<T>(sum);
        }
      }
    });
  });
}

// inputs: grad_output (N, C, oH, oW); output dx (N, C, H, W), float32 / float64 (the front door casts 16-bit grads);
// attrs: UpsampleAttrs. dx[row_i[a], col_i[b]] += row_w[a] col_w[b] g[i, j]
void upsample_backward_kernel(const KernelArgs& args) {
  Tensor& dx = args.outputs[0];
  if (dx.numel() == 0) return;
  const Tensor g = args.inputs[0].contiguous();
  const UpsampleAttrs& a = args.attrs->get<UpsampleAttrs>();
  const int64_t planes = dx.size(0) * dx.size(1), h = dx.size(2), w = dx.size(3), oh = g.size(2), ow = g.size(3);
  dispatch_floating(dx.dtype(), "upsample_backward", [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      const UpsampleTaps<T> taps(a, h, w, oh, ow);
      const T* gp = g.data_ptr<T>();
      T* dp = dx.data_ptr<T>();
      for_each_index(planes, oh * ow * 16, [&](int64_t plane) {
        const T* grad = gp + plane * oh * ow;
        T* out = dp + plane * h * w;
        std::fill(out, out + h * w, T(0));
        for (int64_t i = 0; i < oh; ++i) {
          const Taps<T>& r = taps.rows[static_cast<size_t>(i)];
          for (int64_t j = 0; j < ow; ++j) {
            const Taps<T>& c = taps.cols[static_cast<size_t>(j)];
            const T v = grad[i * ow + j];
            for (int p = 0; p < r.count; ++p)
              for (int q = 0; q < c.count; ++q) out[r.index[p] * w + c.index[q]] += r.weight[p] * c.weight[q] * v;
          }
        }
      });
    } else {
      REEL_CHECK(false, "internal: upsample_backward kernel got {} (the front door computes 16-bit floats in float32)",
                 dtype_name(dx.dtype()));
    }
  });
}

// ---- grid_sample -------------------------------------------------------------------------------------------------
struct GridGeometry {
  int64_t n, channels, h, w, oh, ow;
};

// inputs: x (N, C, H, W), grid (N, oH, oW, 2); output y (N, C, oH, oW); attrs: GridSampleAttrs.
void grid_sampler_2d_kernel(const KernelArgs& args) {
  Tensor& y = args.outputs[0];
  if (y.numel() == 0) return;
  const Tensor x = args.inputs[0].contiguous(), grid = args.inputs[1].contiguous();
  const GridSampleAttrs& a = args.attrs->get<GridSampleAttrs>();
  const GridGeometry s{x.size(0), x.size(1), x.size(2), x.size(3), y.size(2), y.size(3)};
  const int pad = static_cast<int>(a.padding_mode);
  dispatch_floating(x.dtype(), "grid_sampler_2d", [&]<typename T>() {
    using C = compute_t<T>;
    const T* xp = x.data_ptr<T>();
    const T* gp = grid.data_ptr<T>();
    T* yp = y.data_ptr<T>();
    for_each_index(s.n * s.oh * s.ow, s.channels * 4, [&](int64_t point) {
      const int64_t n = point / (s.oh * s.ow), pos = point % (s.oh * s.ow);
      C unused;
      const C ix = resample::grid_source_with_grad<C>(static_cast<C>(gp[2 * point]), s.w, pad, a.align_corners, &unused);
      const C iy =
          resample::grid_source_with_grad<C>(static_cast<C>(gp[2 * point + 1]), s.h, pad, a.align_corners, &unused);
      for (int64_t c = 0; c < s.channels; ++c) {
        const T* in = xp + (n * s.channels + c) * s.h * s.w;
        auto at = [&](int64_t yy, int64_t xx) {
          return resample::in_bounds(yy, xx, s.h, s.w) ? static_cast<C>(in[yy * s.w + xx]) : C(0);
        };
        C v;
        if (a.interpolation_mode == resample::kGridNearest) {
          v = at(resample::round_even(iy), resample::round_even(ix));
        } else {
          const resample::Corners<C> k = resample::bilinear_corners(ix, iy);
          v = k.nw * at(k.y0, k.x0) + k.ne * at(k.y0, k.x0 + 1) + k.sw * at(k.y0 + 1, k.x0) +
              k.se * at(k.y0 + 1, k.x0 + 1);
        }
        yp[(n * s.channels + c) * s.oh * s.ow + pos] = static_cast<T>(v);
      }
    });
  });
}

// inputs: grad_output (N, C, oH, oW), x, grid; outputs dx (N, C, H, W), dgrid (N, oH, oW, 2), float32 / float64 (the
// front door computes 16-bit floats in float32); attrs: GridSampleAttrs.
void grid_sampler_2d_backward_kernel(const KernelArgs& args) {
  Tensor& dx = args.outputs[0];
  Tensor& dgrid = args.outputs[1];
  const Tensor g = args.inputs[0].contiguous(), x = args.inputs[1].contiguous(), grid = args.inputs[2].contiguous();
  const GridSampleAttrs& a = args.attrs->get<GridSampleAttrs>();
  const GridGeometry s{x.size(0), x.size(1), x.size(2), x.size(3), grid.size(1), grid.size(2)};
  const int pad = static_cast<int>(a.padding_mode);
  dispatch_floating(x.dtype(), "grid_sampler_2d_backward", [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      const T* xp = x.data_ptr<T>();
      const T* gridp = grid.data_ptr<T>();
      const T* gradp = g.data_ptr<T>();
      T* dxp = dx.data_ptr<T>();
      T* dgp = dgrid.data_ptr<T>();
      std::fill(dxp, dxp + dx.numel(), T(0));
      for_each_index(s.n, s.oh * s.ow * s.channels * 8, [&](int64_t n) {
        for (int64_t pos = 0; pos < s.oh * s.ow; ++pos) {
          const int64_t point = n * s.oh * s.ow + pos;
          T gx_mult, gy_mult;
          const T ix = resample::grid_source_with_grad<T>(gridp[2 * point], s.w, pad, a.align_corners, &gx_mult);
          const T iy = resample::grid_source_with_grad<T>(gridp[2 * point + 1], s.h, pad, a.align_corners, &gy_mult);
          T gix = 0, giy = 0;
          for (int64_t c = 0; c < s.channels; ++c) {
            const int64_t plane = (n * s.channels + c);
            const T* in = xp + plane * s.h * s.w;
            T* din = dxp + plane * s.h * s.w;
            const T go = gradp[plane * s.oh * s.ow + pos];
            auto add = [&](int64_t yy, int64_t xx, T wgt) {
              if (resample::in_bounds(yy, xx, s.h, s.w)) din[yy * s.w + xx] += wgt * go;
            };
            auto at = [&](int64_t yy, int64_t xx) { return resample::in_bounds(yy, xx, s.h, s.w) ? in[yy * s.w + xx] : T(0); };
            if (a.interpolation_mode == resample::kGridNearest) {
              add(resample::round_even(iy), resample::round_even(ix), T(1));
            } else {
              const resample::Corners<T> k = resample::bilinear_corners(ix, iy);
              add(k.y0, k.x0, k.nw), add(k.y0, k.x0 + 1, k.ne), add(k.y0 + 1, k.x0, k.sw), add(k.y0 + 1, k.x0 + 1, k.se);
              const T tx = ix - static_cast<T>(k.x0), ty = iy - static_cast<T>(k.y0);
              const T nw = at(k.y0, k.x0), ne = at(k.y0, k.x0 + 1), sw = at(k.y0 + 1, k.x0), se = at(k.y0 + 1, k.x0 + 1);
              gix += go * ((ne - nw) * (T(1) - ty) + (se - sw) * ty);
              giy += go * ((sw - nw) * (T(1) - tx) + (se - ne) * tx);
            }
          }
          dgp[2 * point] = gix * gx_mult;
          dgp[2 * point + 1] = giy * gy_mult;
        }
      });
    } else {
      REEL_CHECK(false, "internal: grid_sampler_2d_backward kernel got {} (the front door computes 16-bit floats in "
                 "float32)", dtype_name(x.dtype()));
    }
  });
}

}  // namespace

void register_resample_kernels() {
  register_kernel(OpId::upsample, kCPU, &upsample_kernel);
  register_kernel(OpId::upsample_backward, kCPU, &upsample_backward_kernel);
  register_kernel(OpId::grid_sampler_2d, kCPU, &grid_sampler_2d_kernel);
  register_kernel(OpId::grid_sampler_2d_backward, kCPU, &grid_sampler_2d_backward_kernel);
}

}  // namespace reel::cpu
