// reel/cpu/norm.cpp — CPU kernels of the fused batch normalization ops (training mode: batch statistics).
//
// The front doors (tensor/ops_norm.cpp) hand over contiguous float32 / float64 inputs, viewed here as (N, C, S)
// with S the product of dims 2.. (1 for a 2-D input), and freshly allocated contiguous outputs. Per channel c the
// M = N S values x[n, c, s] sit in N rows of S contiguous elements, C S apart.
//   native_batch_norm           two passes in double: mean_c = sum x / M, then var_c = sum (x - mean_c)^2 / M
//                               (no cancellation, unlike sum x^2 - M mean^2); invstd_c = 1 / sqrt(var_c + eps);
//                               a third pass writes y = (x - mean_c) (invstd_c w_c) + b_c, computed in double.
//   native_batch_norm_backward  one pass in double for db_c = sum g and s_c = sum g (x - mean_c), dw_c = s_c invstd_c;
//                               a second writes dx = w_c invstd_c (g - db_c / M - (x - mean_c) invstd_c dw_c / M).
// Channels are independent, so the kernels run in parallel over blocks of channels (reel's parallel_for). Within a
// block the loops go row by row (n), then channel, then the S contiguous elements, so a 2-D (N, C) input is read
// along its rows too. Each channel's sums run in a fixed order with four interleaved accumulators (faster than one
// dependency chain, and the same result for any number of threads).
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "cpu/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/parallel.h"

namespace reel::cpu {

namespace {

constexpr int64_t kGrainValues = 32768;  // values below which the channels stay on one thread

// A contiguous (N, C, ...) tensor as (N, C, S).
struct ChannelLayout {
  int64_t n, c, s;
  explicit ChannelLayout(const Tensor& x) : n(x.size(0)), c(x.size(1)), s(1) {
    for (int64_t d = 2; d < x.dim(); ++d) s *= x.size(d);
  }
  int64_t per_channel() const { return n * s; }
  int64_t offset(int64_t row, int64_t channel) const { return (row * c + channel) * s; }
};

// Runs body(c0, c1) over blocks of channels, in parallel when the channels hold enough values.
template <typename F>
void for_channel_blocks(const ChannelLayout& l, F&& body) {
  const int64_t grain = std::max<int64_t>(1, kGrainValues / std::max<int64_t>(1, l.per_channel()));
  parallel_for(0, l.c, grain, body);
}

// sum_i f(i) over [0, n) with four interleaved double accumulators.
template <typename F>
double sum4(int64_t n, F&& f) {
  double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 += f(i);
    a1 += f(i + 1);
    a2 += f(i + 2);
    a3 += f(i + 3);
  }
  for (; i < n; ++i) a0 += f(i);
  return (a0 + a1) + (a2 + a3);
}

// A per-channel value of an optional tensor: t[c], or `fallback` when t is undefined.
template <typename T>
double channel_value(const T* t, int64_t c, double fallback) {
  return t != nullptr ? static_cast<double>(t[c]) : fallback;
}

template <typename T>
const T* optional_data(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

// ---- forward -----------------------------------------------------------------------------------------------------
// mean_c = sum x / M, var_c = sum (x - mean_c)^2 / M, invstd_c = 1 / sqrt(var_c + eps),
// y = (x - mean_c) invstd_c w_c + b_c
template <typename T>
void batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y, Tensor& save_mean,
                        Tensor& save_invstd, double eps) {
  const ChannelLayout l(x);
  const T* xp = x.data_ptr<T>();
  const T* wp = optional_data<T>(weight);
  const T* bp = optional_data<T>(bias);
  T* yp = y.data_ptr<T>();
  T* mean_out = save_mean.data_ptr<T>();
  T* invstd_out = save_invstd.data_ptr<T>();
  const double inv_m = 1.0 / static_cast<double>(l.per_channel());  // the front door checked M > 1
  for_channel_blocks(l, [&](int64_t c0, int64_t c1) {
    std::vector<double> sums(static_cast<size_t>(c1 - c0), 0.0);
    for (int64_t n = 0; n < l.n; ++n)
      for (int64_t c = c0; c < c1; ++c) {
        const T* row = xp + l.offset(n, c);
        sums[static_cast<size_t>(c - c0)] += sum4(l.s, [&](int64_t i) { return static_cast<double>(row[i]); });
      }
    std::vector<double> means(sums.size()), squares(sums.size(), 0.0);
    for (size_t k = 0; k < sums.size(); ++k) means[k] = sums[k] * inv_m;
    for (int64_t n = 0; n < l.n; ++n)
      for (int64_t c = c0; c < c1; ++c) {
        const T* row = xp + l.offset(n, c);
        const double mean = means[static_cast<size_t>(c - c0)];
        squares[static_cast<size_t>(c - c0)] += sum4(l.s, [&](int64_t i) {
          const double d = static_cast<double>(row[i]) - mean;
          return d * d;
        });
      }
    std::vector<double> scales(sums.size()), shifts(sums.size());
    for (int64_t c = c0; c < c1; ++c) {
      const size_t k = static_cast<size_t>(c - c0);
      const double invstd = 1.0 / std::sqrt(squares[k] * inv_m + eps);
      mean_out[c] = static_cast<T>(means[k]);
      invstd_out[c] = static_cast<T>(invstd);
      scales[k] = invstd * channel_value(wp, c, 1.0);
      shifts[k] = channel_value(bp, c, 0.0);
    }
    for (int64_t n = 0; n < l.n; ++n)
      for (int64_t c = c0; c < c1; ++c) {
        const size_t k = static_cast<size_t>(c - c0);
        const T* in = xp + l.offset(n, c);
        T* out = yp + l.offset(n, c);
        const double mean = means[k], scale = scales[k], shift = shifts[k];
        for (int64_t i = 0; i < l.s; ++i) out[i] = static_cast<T>((static_cast<double>(in[i]) - mean) * scale + shift);
      }
  });
}

// ---- backward ----------------------------------------------------------------------------------------------------
// db = sum g, dw = invstd sum g (x - mean), dx = w invstd (g - db / M - (x - mean) invstd dw / M)
template <typename T>
void batch_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& weight, const Tensor& save_mean,
                         const Tensor& save_invstd, Tensor& dx, Tensor& dw, Tensor& db) {
  const ChannelLayout l(x);
  const T* gp = grad.data_ptr<T>();
  const T* xp = x.data_ptr<T>();
  const T* wp = optional_data<T>(weight);
  const T* mean_in = save_mean.data_ptr<T>();
  const T* invstd_in = save_invstd.data_ptr<T>();
  T* dxp = dx.data_ptr<T>();
  T* dwp = dw.data_ptr<T>();
  T* dbp = db.data_ptr<T>();
  const double inv_m = l.per_channel() > 0 ? 1.0 / static_cast<double>(l.per_channel()) : 0.0;
  for_channel_blocks(l, [&](int64_t c0, int64_t c1) {
    const size_t width = static_cast<size_t>(c1 - c0);
    std::vector<double> sum_g(width, 0.0), sum_gx(width, 0.0);
    for (int64_t n = 0; n < l.n; ++n)
      for (int64_t c = c0; c < c1; ++c) {
        const size_t k = static_cast<size_t>(c - c0);
        const T* g = gp + l.offset(n, c);
        const T* in = xp + l.offset(n, c);
        const double mean = static_cast<double>(mean_in[c]);
        sum_g[k] += sum4(l.s, [&](int64_t i) { return static_cast<double>(g[i]); });
        sum_gx[k] +=
            sum4(l.s, [&](int64_t i) { return static_cast<double>(g[i]) * (static_cast<double>(in[i]) - mean); });
      }
    std::vector<double> scale(width), g_shift(width), x_coef(width);
    for (int64_t c = c0; c < c1; ++c) {
      const size_t k = static_cast<size_t>(c - c0);
      const double invstd = static_cast<double>(invstd_in[c]);
      const double grad_weight = sum_gx[k] * invstd;
      dwp[c] = static_cast<T>(grad_weight);
      dbp[c] = static_cast<T>(sum_g[k]);
      scale[k] = channel_value(wp, c, 1.0) * invstd;
      g_shift[k] = sum_g[k] * inv_m;
      x_coef[k] = invstd * grad_weight * inv_m;
    }
    for (int64_t n = 0; n < l.n; ++n)
      for (int64_t c = c0; c < c1; ++c) {
        const size_t k = static_cast<size_t>(c - c0);
        const T* g = gp + l.offset(n, c);
        const T* in = xp + l.offset(n, c);
        T* out = dxp + l.offset(n, c);
        const double mean = static_cast<double>(mean_in[c]);
        for (int64_t i = 0; i < l.s; ++i)
          out[i] = static_cast<T>(scale[k] * (static_cast<double>(g[i]) - g_shift[k] -
                                              (static_cast<double>(in[i]) - mean) * x_coef[k]));
      }
  });
}

// inputs: x (N, C, ...), weight (C) or undefined, bias (C) or undefined; outputs: y, save_mean (C), save_invstd (C);
// attrs: EpsAttrs.
void native_batch_norm_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  const double eps = args.attrs->get<EpsAttrs>().eps;
  dispatch_floating(x.dtype(), "native_batch_norm", [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>)
      batch_norm_forward<T>(x, args.inputs[1], args.inputs[2], args.outputs[0], args.outputs[1], args.outputs[2],
                            eps);
    else
      throw_unsupported_dtype("native_batch_norm", x.dtype());
  });
}

// inputs: grad_output, x, weight (or undefined), save_mean, save_invstd; outputs: dx, dw, db.
void native_batch_norm_backward_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[1];
  dispatch_floating(x.dtype(), "native_batch_norm_backward", [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>)
      batch_norm_backward<T>(args.inputs[0], x, args.inputs[2], args.inputs[3], args.inputs[4], args.outputs[0],
                             args.outputs[1], args.outputs[2]);
    else
      throw_unsupported_dtype("native_batch_norm_backward", x.dtype());
  });
}

}  // namespace

void register_norm_kernels() {
  register_kernel(OpId::native_batch_norm, kCPU, &native_batch_norm_kernel);
  register_kernel(OpId::native_batch_norm_backward, kCPU, &native_batch_norm_backward_kernel);
}

}  // namespace reel::cpu
