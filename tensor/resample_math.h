// reel/tensor/resample_math.h — the coordinate math of interpolate (the upsample op) and grid_sample, written once
// for cpu/resample.cpp and cuda/resample.cu (internal).
//
// PyTorch's rules (aten/src/ATen/native/UpSample.h and GridSampler.h, restated):
//   step       align_corners: (in - 1) / (out - 1) (0 when out = 1); otherwise 1 / scale when the user gave a scale
//              factor, else in / out.
//   nearest    src = min(floor(dst * step), in - 1) with step = 1 / scale or in / out (align_corners does not apply).
//   linear     src = align_corners ? dst * step : max((dst + 0.5) * step - 0.5, 0); taps i0 = floor(src) and
//              i0 + 1 (i0 itself at the last pixel), weights (1 - t, t) with t = src - i0.
//   bicubic    src as linear but not clamped at 0; taps floor(src) - 1 .. + 2 clamped into [0, in - 1], weights of
//              the cubic convolution kernel with A = -0.75.
//   grid       x in [-1, 1] addresses the input's width: align_corners ? (x + 1) / 2 (W - 1) : ((x + 1) W - 1) / 2;
//              padding border clips into [0, W - 1], reflection reflects about the edges (pixel centres with
//              align_corners, pixel borders otherwise) then clips; zeros reads 0 outside. The *_with_grad forms also
//              give d(src)/d(x), which the grid gradient multiplies in.
// Mode codes: upsample 0 nearest, 1 linear, 2 bicubic (UpsampleMode); grid interpolation 0 bilinear, 1 nearest,
// padding 0 zeros, 1 border, 2 reflection (PyTorch's integer codes, GridSampleAttrs).
#pragma once

#include <cmath>
#include <cstdint>

#include "half.h"

namespace reel::resample {

inline constexpr int kNearest = 0, kLinear = 1, kBicubic = 2;
inline constexpr int kGridBilinear = 0, kGridNearest = 1;
inline constexpr int kPadZeros = 0, kPadBorder = 1, kPadReflection = 2;

// Up to four source taps along one axis for one output index.
template <typename C>
struct Taps {
  int64_t index[4];
  C weight[4];
  int count;
};

// The source step of one axis (see the header comment); scale <= 0 means "no scale factor given".
template <typename C>
REEL_HOST_DEVICE inline C source_step(int64_t in, int64_t out, bool align_corners, double scale, int mode) {
  if (mode != kNearest && align_corners) return out > 1 ? static_cast<C>(in - 1) / static_cast<C>(out - 1) : C(0);
  return scale > 0 ? static_cast<C>(1.0 / scale) : static_cast<C>(in) / static_cast<C>(out);
}

// y = A = -0.75 cubic convolution weights: |x| <= 1 and 1 < |x| < 2.
template <typename C>
REEL_HOST_DEVICE inline C cubic_near(C x) {
  const C a = C(-0.75);
  return ((a + C(2)) * x - (a + C(3))) * x * x + C(1);
}
template <typename C>
REEL_HOST_DEVICE inline C cubic_far(C x) {
  const C a = C(-0.75);
  return ((a * x - C(5) * a) * x + C(8) * a) * x - C(4) * a;
}

// The taps of output index `dst` along an axis of `in` input and `out` output positions.
template <typename C>
REEL_HOST_DEVICE inline Taps<C> axis_taps(int mode, int64_t dst, int64_t in, int64_t out, bool align_corners,
                                          double scale) {
  Taps<C> t{};
  const C step = source_step<C>(in, out, align_corners, scale, mode);
  if (mode == kNearest) {
    int64_t src = static_cast<int64_t>(std::floor(static_cast<C>(dst) * step));
    if (src > in - 1) src = in - 1;
    t.index[0] = src;
    t.weight[0] = C(1);
    t.count = 1;
    return t;
  }
  C src = align_corners ? step * static_cast<C>(dst) : step * (static_cast<C>(dst) + C(0.5)) - C(0.5);
  if (mode == kLinear) {
    if (src < C(0)) src = C(0);
    const int64_t i0 = static_cast<int64_t>(src);
    const int64_t i1 = i0 < in - 1 ? i0 + 1 : i0;
    const C lambda1 = src - static_cast<C>(i0);
    t.index[0] = i0, t.index[1] = i1;
    t.weight[0] = C(1) - lambda1, t.weight[1] = lambda1;
    t.count = 2;
    return t;
  }
  const C fl = std::floor(src);
  const int64_t i = static_cast<int64_t>(fl);
  const C x = src - fl;
  t.weight[0] = cubic_far<C>(x + C(1));
  t.weight[1] = cubic_near<C>(x);
  t.weight[2] = cubic_near<C>(C(1) - x);
  t.weight[3] = cubic_far<C>(C(2) - x);
  for (int k = 0; k < 4; ++k) {
    int64_t idx = i - 1 + k;
    idx = idx < 0 ? 0 : idx > in - 1 ? in - 1 : idx;
    t.index[k] = idx;
  }
  t.count = 4;
  return t;
}

// ---- grid_sample -------------------------------------------------------------------------------------------------
// clip into [0, size - 1]; d/dx is 0 at and beyond the edges
template <typename C>
REEL_HOST_DEVICE inline C clip_with_grad(C x, int64_t size, C* grad) {
  const C top = static_cast<C>(size - 1);
  if (x <= C(0)) { *grad = C(0); return C(0); }
  if (x >= top) { *grad = C(0); return top; }
  *grad = C(1);
  return x;
}

// reflect x into [twice_low / 2, twice_high / 2] about its ends; d/dx is +-1
template <typename C>
REEL_HOST_DEVICE inline C reflect_with_grad(C x, int64_t twice_low, int64_t twice_high, C* grad) {
  if (twice_low == twice_high) { *grad = C(0); return C(0); }
  const C low = static_cast<C>(twice_low) / C(2);
  const C span = static_cast<C>(twice_high - twice_low) / C(2);
  x -= low;
  C sign = C(1);
  if (x < C(0)) { sign = C(-1); x = -x; }
  const C extra = std::fmod(x, span);
  const int64_t flips = static_cast<int64_t>(std::floor(x / span));
  if (flips % 2 == 0) { *grad = sign; return extra + low; }
  *grad = -sign;
  return span - extra + low;
}

// The source coordinate of grid value x along an axis of `size` pixels, and d(src)/dx. A non-finite x gives -2, a
// position outside every input (zeros padding reads 0 there).
template <typename C>
REEL_HOST_DEVICE inline C grid_source_with_grad(C x, int64_t size, int padding, bool align_corners, C* grad) {
  if (!(x == x) || x - x != C(0)) { *grad = C(0); return C(-2); }
  C src, g = align_corners ? static_cast<C>(size - 1) / C(2) : static_cast<C>(size) / C(2);
  src = align_corners ? (x + C(1)) / C(2) * static_cast<C>(size - 1) : ((x + C(1)) * static_cast<C>(size) - C(1)) / C(2);
  if (padding == kPadBorder) {
    C gc;
    src = clip_with_grad(src, size, &gc);
    g *= gc;
  } else if (padding == kPadReflection) {
    C gr, gc;
    src = align_corners ? reflect_with_grad<C>(src, 0, 2 * (size - 1), &gr)
                        : reflect_with_grad<C>(src, -1, 2 * size - 1, &gr);
    src = clip_with_grad(src, size, &gc);
    g *= gr * gc;
  }
  *grad = g;
  return src;
}

REEL_HOST_DEVICE inline bool in_bounds(int64_t h, int64_t w, int64_t height, int64_t width) {
  return h >= 0 && h < height && w >= 0 && w < width;
}

// The bilinear corners of (ix, iy): nw, ne, sw, se positions and weights.
template <typename C>
struct Corners {
  int64_t x0, y0;  // nw; ne = (x0 + 1, y0), sw = (x0, y0 + 1), se = (x0 + 1, y0 + 1)
  C nw, ne, sw, se;
};
template <typename C>
REEL_HOST_DEVICE inline Corners<C> bilinear_corners(C ix, C iy) {
  Corners<C> k;
  const C fx = std::floor(ix), fy = std::floor(iy);
  k.x0 = static_cast<int64_t>(fx), k.y0 = static_cast<int64_t>(fy);
  const C tx = ix - fx, ty = iy - fy;
  k.nw = (C(1) - tx) * (C(1) - ty);
  k.ne = tx * (C(1) - ty);
  k.sw = (C(1) - tx) * ty;
  k.se = tx * ty;
  return k;
}

// round half to even, as PyTorch's nearest grid mode (std::nearbyint under the default rounding mode)
template <typename C>
REEL_HOST_DEVICE inline int64_t round_even(C x) {
  return static_cast<int64_t>(std::nearbyint(x));
}

}  // namespace reel::resample
