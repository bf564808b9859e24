// reel/test/op_table_norm.cpp — op-table rows of the fused batch normalization ops: native_batch_norm (training
// mode: batch statistics) and native_batch_norm_backward.
//
// The references are plain float64 loops written out here: per channel c of an (N, C, ...) input, over the
// M = N * spatial values x[n, c, s],
//   mean_c = sum x / M, var_c = sum (x - mean_c)^2 / M, invstd_c = 1 / sqrt(var_c + eps),
//   y = (x - mean_c) invstd_c w_c + b_c                                        (w = 1, b = 0 when undefined)
//   x^ = (x - mean_c) invstd_c, db_c = sum g, dw_c = sum g x^, dx = w_c invstd_c (g - db_c / M - x^ dw_c / M).
// Samples: (N, C), (N, C, L), (N, C, H, W), undefined weight and/or bias, a transposed input, a step-2 weight, a mean
// far from zero (the two-pass variance must not cancel), eps 0 and 0.5, no channels (size 0), and a larger input for
// the CUDA comparison (cuDNN there by default). The backward rows get save_mean / save_invstd computed in float64
// on the host from the sample's x, as a forward would have saved them (cuDNN treats them as a cache of the forward),
// plus a batch-0 sample whose gradients are dx empty, dw = db = 0.
// Sample fields: inputs = {x, weight, bias} or {grad, x, save_mean, save_invstd, weight}, leaving out an undefined
// weight or bias (index bit 1: the weight is given, bit 2: the bias is given), scalar = eps.
#include <catch2/catch.hpp>

#include <cmath>

#include "test/op_table.h"

namespace reel::test {

namespace {

// An (N, C, ...) shape as (N, C, S).
struct ChannelShape {
  int64_t n, c, s;
  explicit ChannelShape(const Shape& shape) : n(shape[0]), c(shape[1]), s(1) {
    for (size_t d = 2; d < shape.size(); ++d) s *= shape[d];
  }
  int64_t m() const { return n * s; }
  size_t at(int64_t row, int64_t channel, int64_t i) const { return static_cast<size_t>((row * c + channel) * s + i); }
};

// The optional inputs of a sample (undefined when left out).
Tensor forward_weight(const Sample& s) { return (s.index & 1) ? s.inputs[1] : Tensor(); }
Tensor forward_bias(const Sample& s) { return (s.index & 2) ? s.inputs[(s.index & 1) ? 2 : 1] : Tensor(); }
Tensor backward_weight(const Sample& s) { return (s.index & 1) ? s.inputs[4] : Tensor(); }

double per_channel(const Tensor& t, int64_t c, double fallback) {
  return t.defined() ? t.to_vector<double>()[static_cast<size_t>(c)] : fallback;
}

struct Statistics {
  std::vector<double> mean, invstd;
};

// mean_c and invstd_c = 1 / sqrt(biased var_c + eps) of x's values, two passes in double.
Statistics ref_statistics(const RefTensor& x, double eps) {
  const ChannelShape l(x.shape);
  Statistics st;
  st.mean.assign(static_cast<size_t>(l.c), 0.0);
  st.invstd.assign(static_cast<size_t>(l.c), 0.0);
  for (int64_t c = 0; c < l.c; ++c) {
    double sum = 0, sq = 0;
    for (int64_t n = 0; n < l.n; ++n)
      for (int64_t i = 0; i < l.s; ++i) sum += x.values[l.at(n, c, i)];
    const double mean = sum / static_cast<double>(l.m());
    for (int64_t n = 0; n < l.n; ++n)
      for (int64_t i = 0; i < l.s; ++i) sq += (x.values[l.at(n, c, i)] - mean) * (x.values[l.at(n, c, i)] - mean);
    st.mean[static_cast<size_t>(c)] = mean;
    st.invstd[static_cast<size_t>(c)] = 1.0 / std::sqrt(sq / static_cast<double>(l.m()) + eps);
  }
  return st;
}

Tolerance norm_tolerance(ScalarType dtype) { return accumulation_tolerance(dtype); }

// ---- native_batch_norm -----------------------------------------------------------------------------------------
OpTestRow native_batch_norm_row() {
  OpTestRow row;
  row.op = "native_batch_norm";
  row.dtypes = {kFloat32, kFloat64};
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain weights{0.5, 2.0};
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor x, bool weight, bool bias, double eps = 1e-5,
                   Layout weight_layout = Layout::Contiguous) {
      const Shape channels{x.size(1)};
      std::vector<Tensor> inputs{std::move(x)};
      if (weight) inputs.push_back(m.make(channels, weights, weight_layout));
      if (bias) inputs.push_back(m.make(channels));
      out.push_back(make_sample(std::move(description), std::move(inputs), dtype, device));
      out.back().scalar = Scalar(eps);
      out.back().index = (weight ? 1 : 0) | (bias ? 2 : 0);
    };
    add("(N, C) [4, 3]", m.make({4, 3}), true, true);
    add("(N, C, L) [2, 3, 5]", m.make({2, 3, 5}), true, true);
    add("(N, C, H, W) [2, 3, 2, 3]", m.make({2, 3, 2, 3}), true, true);
    add("undefined weight and bias [3, 2, 4]", m.make({3, 2, 4}), false, false);
    add("undefined bias, step-2 weight [2, 4, 3]", m.make({2, 4, 3}), true, false, 1e-5, Layout::Strided);
    add("transposed input [2, 4, 3]", m.make({2, 4, 3}, {}, Layout::Transposed), true, true);
    // float64: sum x^2 / M - mean^2 would lose about 8 digits here; float32 keeps to an offset cuDNN's float
    // arithmetic handles. Finite differences at 1e4 lose digits too: not for the gradient check.
    add("mean far from zero [3, 2, 4]", m.make({3, 2, 4}) + (dtype == kFloat64 ? 1e4 : 10.0), true, true);
    out.back().smooth = dtype != kFloat64;
    add("eps 0 [4, 2, 2]", m.make({4, 2, 2}), true, true, 0.0);
    add("eps 0.5 [2, 3, 3]", m.make({2, 3, 3}), true, true, 0.5);
    add("no channels [4, 0, 3]", m.make({4, 0, 3}), true, true);
    add("larger [8, 16, 6, 6]", m.make({8, 16, 6, 6}), true, true);
    add("larger (N, C) [64, 5]", m.make({64, 5}), true, true);
    return out;
  };
  row.run = [](const Sample& s) {
    auto [y, mean, invstd] =
        reel::native_batch_norm(s.inputs[0], forward_weight(s), forward_bias(s), s.scalar->to_double());
    return std::vector<Tensor>{y, mean, invstd};
  };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    const ChannelShape l(x.shape);
    const Statistics st = ref_statistics(x, s.scalar->to_double());
    RefTensor y = RefTensor::filled(x.shape, 0.0, x.dtype);
    for (int64_t c = 0; c < l.c; ++c) {
      const double w = per_channel(forward_weight(s), c, 1.0), b = per_channel(forward_bias(s), c, 0.0);
      const double mean = st.mean[static_cast<size_t>(c)], invstd = st.invstd[static_cast<size_t>(c)];
      for (int64_t n = 0; n < l.n; ++n)
        for (int64_t i = 0; i < l.s; ++i) y.values[l.at(n, c, i)] = (x.values[l.at(n, c, i)] - mean) * invstd * w + b;
    }
    return std::vector<RefTensor>{y, RefTensor({l.c}, st.mean, x.dtype), RefTensor({l.c}, st.invstd, x.dtype)};
  };
  row.tolerance = norm_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2};
  return row;
}

// ---- native_batch_norm_backward -----------------------------------------------------------------------------------
OpTestRow native_batch_norm_backward_row() {
  OpTestRow row;
  row.op = "native_batch_norm_backward";
  row.dtypes = {kFloat32, kFloat64};
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    constexpr double eps = 1e-5;
    auto add = [&](std::string description, const Shape& shape, bool weight, Layout grad_layout = Layout::Contiguous,
                   Layout x_layout = Layout::Contiguous) {
      Tensor g = m.make(shape, {}, grad_layout);
      Tensor x = m.make(shape, {}, x_layout);
      const int64_t channels = shape[1];
      Statistics st;
      if (x.numel() > 0) {
        st = ref_statistics(RefTensor::of(x), eps);
      } else {  // no values: any statistics will do, nothing reads them
        st.mean.assign(static_cast<size_t>(channels), 0.0);
        st.invstd.assign(static_cast<size_t>(channels), 1.0);
      }
      std::vector<Tensor> inputs{g, x, m.values({channels}, st.mean), m.values({channels}, st.invstd)};
      if (weight) inputs.push_back(m.make({channels}, Domain{0.5, 2.0}));
      out.push_back(make_sample(std::move(description), std::move(inputs), dtype, device));
      out.back().scalar = Scalar(eps);
      out.back().index = weight ? 1 : 0;
    };
    add("(N, C) [4, 3]", {4, 3}, true);
    add("(N, C, L) [2, 3, 5]", {2, 3, 5}, true);
    add("(N, C, H, W) [2, 3, 2, 3], transposed grad", {2, 3, 2, 3}, true, Layout::Transposed);
    add("undefined weight, step-2 input [3, 2, 4]", {3, 2, 4}, false, Layout::Contiguous, Layout::Strided);
    add("no channels [4, 0, 3]", {4, 0, 3}, true);
    add("batch 0 [0, 3, 2]: dw = db = 0", {0, 3, 2}, true);
    add("larger [8, 16, 6, 6]", {8, 16, 6, 6}, true);
    add("larger (N, C) [64, 5]", {64, 5}, true);
    return out;
  };
  row.run = [](const Sample& s) {
    auto [dx, dw, db] = reel::native_batch_norm_backward(s.inputs[0], s.inputs[1], backward_weight(s), s.inputs[2],
                                                         s.inputs[3], s.scalar->to_double());
    return std::vector<Tensor>{dx, dw, db};
  };
  row.reference = [](const Sample& s) {
    const RefTensor g = RefTensor::of(s.inputs[0]), x = RefTensor::of(s.inputs[1]);
    const ChannelShape l(x.shape);
    RefTensor dx = RefTensor::filled(x.shape, 0.0, x.dtype);
    std::vector<double> dw(static_cast<size_t>(l.c), 0.0), db(static_cast<size_t>(l.c), 0.0);
    for (int64_t c = 0; c < l.c; ++c) {
      const double w = per_channel(backward_weight(s), c, 1.0);
      const double mean = per_channel(s.inputs[2], c, 0.0), invstd = per_channel(s.inputs[3], c, 1.0);
      double sum_g = 0, sum_gx = 0;
      for (int64_t n = 0; n < l.n; ++n)
        for (int64_t i = 0; i < l.s; ++i) {
          sum_g += g.values[l.at(n, c, i)];
          sum_gx += g.values[l.at(n, c, i)] * (x.values[l.at(n, c, i)] - mean) * invstd;
        }
      db[static_cast<size_t>(c)] = sum_g;
      dw[static_cast<size_t>(c)] = sum_gx;
      const double m = static_cast<double>(l.m());
      for (int64_t n = 0; n < l.n; ++n)
        for (int64_t i = 0; i < l.s; ++i) {
          const double normalized = (x.values[l.at(n, c, i)] - mean) * invstd;
          dx.values[l.at(n, c, i)] = w * invstd * (g.values[l.at(n, c, i)] - sum_g / m - normalized * sum_gx / m);
        }
    }
    return std::vector<RefTensor>{dx, RefTensor({l.c}, dw, x.dtype), RefTensor({l.c}, db, x.dtype)};
  };
  row.tolerance = norm_tolerance;
  return row;
}

void add_norm_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(native_batch_norm_row());
  rows.push_back(native_batch_norm_backward_row());
}

}  // namespace

REEL_OP_TABLE_ROWS(add_norm_rows);

}  // namespace reel::test
