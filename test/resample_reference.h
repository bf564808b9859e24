// reel/test/resample_reference.h — float64 references for interpolate, grid_sample and CTC, written from PyTorch's
// documented rules independently of tensor/resample_math.h, for test/test_resample.cpp and
// test/op_table_resample.cpp.
//
//   upsample     per axis a weight matrix W[dst][src]: nearest src = min(floor(dst * step), in - 1); linear
//                src = align ? dst (in - 1) / (out - 1) : max((dst + 0.5) step - 0.5, 0), weights (1 - t, t) on
//                floor(src) and the next pixel (the last one repeats); bicubic Keys' kernel with a = -0.75 on the
//                four pixels around floor(src), indices clamped. step = 1 / scale when a scale is given, else
//                in / out. y = W_h x W_w^T per plane; the backward is W_h^T g W_w.
//   grid_sample  x = ((g + 1) W - 1) / 2 (align: (g + 1) (W - 1) / 2); border clamps into [0, W - 1];
//                reflection mirrors about -0.5 and W - 0.5 (align: 0 and W - 1), then clamps; zeros pads
//                with 0. Bilinear mixes the four neighbours, nearest rounds half to even.
//   ctc          every path over the classes of length T_b that collapses (merge repeats, drop blanks) to the
//                target, enumerated: p = sum of prod_t e^lp; nll = -ln p; the occupancy gamma[t][c] = sum over
//                those paths with path_t = c of P(path) / p.
#pragma once

#include <cmath>
#include <functional>
#include <vector>

#include "test/reference.h"

namespace reel::test::resample_ref {

using Matrix = std::vector<std::vector<double>>;  // [dst][src]

inline double keys_cubic(double x) {
  const double a = -0.75;
  x = std::fabs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

// mode 0 nearest, 1 linear, 2 bicubic; scale <= 0: none given
inline Matrix axis_weights(int mode, int64_t in, int64_t out, bool align, double scale) {
  Matrix w(static_cast<size_t>(out), std::vector<double>(static_cast<size_t>(in), 0.0));
  const double step = (mode != 0 && align) ? (out > 1 ? double(in - 1) / double(out - 1) : 0.0)
                                           : (scale > 0 ? 1.0 / scale : double(in) / double(out));
  for (int64_t d = 0; d < out; ++d) {
    auto& row = w[static_cast<size_t>(d)];
    if (mode == 0) {
      row[static_cast<size_t>(std::min<int64_t>(int64_t(std::floor(d * step)), in - 1))] += 1;
      continue;
    }
    double src = align ? d * step : (d + 0.5) * step - 0.5;
    if (mode == 1) {
      src = std::max(src, 0.0);
      const int64_t i0 = int64_t(std::floor(src)), i1 = std::min(i0 + 1, in - 1);
      const double t = src - double(i0);
      row[static_cast<size_t>(i0)] += 1 - t;
      row[static_cast<size_t>(i1)] += t;
      continue;
    }
    const int64_t f = int64_t(std::floor(src));
    for (int64_t k = -1; k <= 2; ++k) {
      const int64_t idx = std::clamp<int64_t>(f + k, 0, in - 1);
      row[static_cast<size_t>(idx)] += keys_cubic(src - double(f + k));
    }
  }
  return w;
}

// y[n, c] = Wh x[n, c] Ww^T on (N, C, H, W)
inline RefTensor upsample(const RefTensor& x, int64_t oh, int64_t ow, int mode, bool align, double sh, double sw) {
  const int64_t planes = x.shape[0] * x.shape[1], h = x.shape[2], w = x.shape[3];
  const Matrix wh = axis_weights(mode, h, oh, align, sh), ww = axis_weights(mode, w, ow, align, sw);
  RefTensor y = RefTensor::filled({x.shape[0], x.shape[1], oh, ow}, 0.0, x.dtype);
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        double s = 0;
        for (int64_t a = 0; a < h; ++a)
          for (int64_t b = 0; b < w; ++b) s += wh[i][a] * ww[j][b] * x.values[size_t((p * h + a) * w + b)];
        y.values[size_t((p * oh + i) * ow + j)] = s;
      }
  return y;
}

// dx[n, c] = Wh^T g[n, c] Ww for dx of input_size (N, C, H, W)
inline RefTensor upsample_backward(const RefTensor& g, const Shape& input_size, int mode, bool align, double sh,
                                   double sw) {
  const int64_t planes = input_size[0] * input_size[1], h = input_size[2], w = input_size[3];
  const int64_t oh = g.shape[2], ow = g.shape[3];
  const Matrix wh = axis_weights(mode, h, oh, align, sh), ww = axis_weights(mode, w, ow, align, sw);
  RefTensor dx = RefTensor::filled(input_size, 0.0, g.dtype);
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j)
        for (int64_t a = 0; a < h; ++a)
          for (int64_t b = 0; b < w; ++b)
            dx.values[size_t((p * h + a) * w + b)] += wh[i][a] * ww[j][b] * g.values[size_t((p * oh + i) * ow + j)];
  return dx;
}

// ---- grid_sample -------------------------------------------------------------------------------------------------
// The source coordinate of grid value g along `size` pixels (padding 0 zeros, 1 border, 2 reflection).
inline double grid_source(double g, int64_t size, int padding, bool align) {
  double x = align ? (g + 1) / 2 * double(size - 1) : ((g + 1) * double(size) - 1) / 2;
  if (padding == 0) return x;
  if (padding == 2) {
    const double lo = align ? 0.0 : -0.5, hi = align ? double(size - 1) : double(size) - 0.5;
    const double span = hi - lo;
    if (span <= 0) {
      x = 0;
    } else {
      // mirror: period 2 span
      double t = std::fmod(std::fabs(x - lo), 2 * span);
      x = lo + (t <= span ? t : 2 * span - t);
    }
  }
  return std::clamp(x, 0.0, double(size - 1));
}

// (flat index within the plane, weight) taps of one grid point
inline std::vector<std::pair<int64_t, double>> grid_taps(double gx, double gy, int64_t h, int64_t w, int interp,
                                                         int padding, bool align) {
  const double x = grid_source(gx, w, padding, align), y = grid_source(gy, h, padding, align);
  std::vector<std::pair<int64_t, double>> taps;
  auto add = [&](int64_t yy, int64_t xx, double weight) {
    if (yy >= 0 && yy < h && xx >= 0 && xx < w) taps.push_back({yy * w + xx, weight});
  };
  if (interp == 1) {
    add(int64_t(std::nearbyint(y)), int64_t(std::nearbyint(x)), 1.0);
    return taps;
  }
  const double fx = std::floor(x), fy = std::floor(y), tx = x - fx, ty = y - fy;
  const int64_t x0 = int64_t(fx), y0 = int64_t(fy);
  add(y0, x0, (1 - tx) * (1 - ty));
  add(y0, x0 + 1, tx * (1 - ty));
  add(y0 + 1, x0, (1 - tx) * ty);
  add(y0 + 1, x0 + 1, tx * ty);
  return taps;
}

// y (N, C, oH, oW) from x (N, C, H, W) and grid (N, oH, oW, 2)
inline RefTensor grid_sample(const RefTensor& x, const RefTensor& grid, int interp, int padding, bool align) {
  const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], oh = grid.shape[1], ow = grid.shape[2];
  RefTensor y = RefTensor::filled({n, c, oh, ow}, 0.0, x.dtype);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t pos = 0; pos < oh * ow; ++pos) {
      const size_t gi = size_t((b * oh * ow + pos) * 2);
      const auto taps = grid_taps(grid.values[gi], grid.values[gi + 1], h, w, interp, padding, align);
      for (int64_t ch = 0; ch < c; ++ch) {
        double s = 0;
        for (auto [idx, weight] : taps) s += weight * x.values[size_t((b * c + ch) * h * w + idx)];
        y.values[size_t((b * c + ch) * oh * ow + pos)] = s;
      }
    }
  return y;
}

// (dx, dgrid): dx from the taps, dgrid by central differences of the reference (step 1e-6)
inline std::pair<RefTensor, RefTensor> grid_sample_backward(const RefTensor& g, const RefTensor& x,
                                                            const RefTensor& grid, int interp, int padding,
                                                            bool align) {
  const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], oh = grid.shape[1], ow = grid.shape[2];
  RefTensor dx = RefTensor::filled(x.shape, 0.0, x.dtype), dgrid = RefTensor::filled(grid.shape, 0.0, grid.dtype);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t pos = 0; pos < oh * ow; ++pos) {
      const size_t gi = size_t((b * oh * ow + pos) * 2);
      const auto taps = grid_taps(grid.values[gi], grid.values[gi + 1], h, w, interp, padding, align);
      for (int64_t ch = 0; ch < c; ++ch) {
        const double go = g.values[size_t((b * c + ch) * oh * ow + pos)];
        for (auto [idx, weight] : taps) dx.values[size_t((b * c + ch) * h * w + idx)] += weight * go;
      }
      if (interp == 1) continue;  // nearest: the grid gradient is 0
      for (int axis = 0; axis < 2; ++axis) {
        auto sample = [&](double delta) {
          double gx = grid.values[gi], gy = grid.values[gi + 1];
          (axis == 0 ? gx : gy) += delta;
          const auto t = grid_taps(gx, gy, h, w, interp, padding, align);
          double s = 0;
          for (int64_t ch = 0; ch < c; ++ch) {
            double v = 0;
            for (auto [idx, weight] : t) v += weight * x.values[size_t((b * c + ch) * h * w + idx)];
            s += v * g.values[size_t((b * c + ch) * oh * ow + pos)];
          }
          return s;
        };
        const double step = 1e-6;
        dgrid.values[gi + size_t(axis)] = (sample(step) - sample(-step)) / (2 * step);
      }
    }
  return {dx, dgrid};
}

// ---- CTC -----------------------------------------------------------------------------------------------------------
// Calls visit(path) for every path of length t over `classes` classes.
inline void each_path(int64_t t, int64_t classes, const std::function<void(const std::vector<int64_t>&)>& visit) {
  std::vector<int64_t> path(static_cast<size_t>(t), 0);
  while (true) {
    visit(path);
    int64_t k = t - 1;
    while (k >= 0 && path[size_t(k)] == classes - 1) path[size_t(k--)] = 0;
    if (k < 0) return;
    ++path[size_t(k)];
  }
}

inline std::vector<int64_t> collapse(const std::vector<int64_t>& path, int64_t blank) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < path.size(); ++i)
    if (path[i] != blank && (i == 0 || path[i] != path[i - 1])) out.push_back(path[i]);
  return out;
}

// (nll, gamma[t][c]) of one sample: lp(t, c) its log-probabilities, T_b frames.
struct CtcSampleRef {
  double nll;
  Matrix gamma;
};
inline CtcSampleRef ctc_sample(const std::function<double(int64_t, int64_t)>& lp, int64_t frames, int64_t classes,
                               const std::vector<int64_t>& target, int64_t blank) {
  double p = 0;
  Matrix occupancy(static_cast<size_t>(frames), std::vector<double>(static_cast<size_t>(classes), 0.0));
  each_path(frames, classes, [&](const std::vector<int64_t>& path) {
    if (collapse(path, blank) != target) return;
    double logp = 0;
    for (int64_t t = 0; t < frames; ++t) logp += lp(t, path[size_t(t)]);
    const double prob = std::exp(logp);
    p += prob;
    for (int64_t t = 0; t < frames; ++t) occupancy[size_t(t)][size_t(path[size_t(t)])] += prob;
  });
  if (frames == 0) p = target.empty() ? 1.0 : 0.0;
  for (auto& row : occupancy)
    for (double& v : row) v = p > 0 ? v / p : 0.0;
  return {-std::log(p), occupancy};
}

}  // namespace reel::test::resample_ref
