// reel/test/op_table_conv_nd.cpp — op-table rows of the composite convolutions conv3d, conv_transpose2d and
// conv_transpose1d (conv1d and conv2d are in op_table_conv.cpp).
//
// The references are direct float64 loops written from the definitions, not from reel's composition: conv3d as the
// ten-loop sum y[n,o,t,i,j] = b[o] + sum_{c,r,p,q} w[o,c,r,p,q] x[n, g C/G + c, t s - pad + r d, ...], and the
// transposed convolutions as a scatter: every input element x[n, g C/G + c, i, j] adds x w[g C/G + c, o, p, q] to
// y[n, g O/G + o, i s - pad + p d, j s - pad + q d] when that position lies inside the output, whose size is
// (H - 1) s - 2 pad + d (k - 1) + output_padding + 1 (PyTorch's formula). Samples vary stride, padding, dilation,
// groups and output_padding (also output_padding at or above the stride, under a larger dilation), use unbatched,
// transposed and step-2 inputs and batch 0; most have at most 64 elements per input, so the gradient harness checks
// them (twice differentiable: conv3d through conv2d, the transposed ones through conv2d_backward_input).
// Sample fields: index = groups; ints = conv3d {sd, sh, sw, pd, ph, pw, dd, dh, dw}; conv_transpose2d {sh, sw, ph,
// pw, oph, opw, dh, dw}; conv_transpose1d {s, pad, out_pad, d}.
#include "test/op_table.h"

namespace reel::test {

namespace {

// ---- conv3d -----------------------------------------------------------------------------------------------------
RefTensor ref_conv3d(RefTensor x, const RefTensor& w, const RefTensor* bias, const Shape& ints, int64_t groups) {
  const bool unbatched = x.dim() == 4;
  if (unbatched) x.shape.insert(x.shape.begin(), 1);
  const Shape& xs = x.shape;
  Shape ys = {xs[0], w.shape[0], 0, 0, 0};
  for (int d = 0; d < 3; ++d)
    ys[static_cast<size_t>(d + 2)] =
        (xs[d + 2] + 2 * ints[3 + d] - ints[6 + d] * (w.shape[d + 2] - 1) - 1) / ints[d] + 1;
  RefTensor y = RefTensor::filled(ys, 0.0, x.dtype);
  const int64_t cg = w.shape[1], og = w.shape[0] / groups;
  auto at5 = [](const Shape& s, int64_t a, int64_t b, int64_t c, int64_t d, int64_t e) {
    return static_cast<size_t>((((a * s[1] + b) * s[2] + c) * s[3] + d) * s[4] + e);
  };
  for (int64_t n = 0; n < ys[0]; ++n)
    for (int64_t o = 0; o < ys[1]; ++o)
      for (int64_t t = 0; t < ys[2]; ++t)
        for (int64_t i = 0; i < ys[3]; ++i)
          for (int64_t j = 0; j < ys[4]; ++j) {
            double sum = bias ? bias->values[static_cast<size_t>(o)] : 0.0;
            for (int64_t c = 0; c < cg; ++c)
              for (int64_t r = 0; r < w.shape[2]; ++r)
                for (int64_t p = 0; p < w.shape[3]; ++p)
                  for (int64_t q = 0; q < w.shape[4]; ++q) {
                    const int64_t dd = t * ints[0] - ints[3] + r * ints[6];
                    const int64_t h = i * ints[1] - ints[4] + p * ints[7];
                    const int64_t ww = j * ints[2] - ints[5] + q * ints[8];
                    if (dd < 0 || dd >= xs[2] || h < 0 || h >= xs[3] || ww < 0 || ww >= xs[4]) continue;
                    sum += w.values[at5(w.shape, o, c, r, p, q)] * x.values[at5(xs, n, (o / og) * cg + c, dd, h, ww)];
                  }
            y.values[at5(ys, n, o, t, i, j)] = sum;
          }
  if (unbatched) y.shape.erase(y.shape.begin());
  return y;
}

OpTestRow conv3d_row() {
  OpTestRow row;
  row.op = "conv3d";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, std::vector<Tensor> inputs, Shape ints, int64_t groups) {
      out.push_back(make_sample(std::move(description), std::move(inputs), dtype, device));
      out.back().ints = std::move(ints);
      out.back().index = groups;
    };
    add("[1, 2, 3, 3, 3] * [2, 2, 2, 2, 2] with bias", {m.make({1, 2, 3, 3, 3}), m.make({2, 2, 2, 2, 2}), m.make({2})},
        {1, 1, 1, 0, 0, 0, 1, 1, 1}, 1);
    add("stride (2, 1, 2), padding (1, 0, 1), dilation (1, 2, 1)", {m.make({1, 1, 4, 5, 3}), m.make({2, 1, 2, 2, 2})},
        {2, 1, 2, 1, 0, 1, 1, 2, 1}, 1);
    add("groups 2, transposed input", {m.make({1, 4, 2, 3, 3}, {}, Layout::Transposed), m.make({2, 2, 1, 2, 2})},
        {1, 1, 1, 0, 1, 0, 1, 1, 1}, 2);
    add("unbatched [2, 3, 3, 2], step-2 weight",
        {m.make({2, 3, 3, 2}), m.make({3, 2, 2, 1, 2}, {}, Layout::Strided), m.make({3})}, {1, 1, 1, 1, 0, 0, 1, 1, 1},
        1);
    add("batch 0", {m.make({0, 2, 3, 3, 3}), m.make({2, 2, 2, 2, 2})}, {1, 1, 1, 0, 0, 0, 1, 1, 1}, 1);
    add("larger [2, 4, 5, 6, 6] * [6, 2, 3, 3, 3] groups 2",
        {m.make({2, 4, 5, 6, 6}), m.make({6, 2, 3, 3, 3}), m.make({6})}, {2, 1, 1, 1, 1, 1, 1, 1, 1}, 2);
    return out;
  };
  row.run = [](const Sample& s) {
    const Tensor bias = s.inputs.size() > 2 ? s.inputs[2] : Tensor();
    const Shape& k = s.ints;
    return std::vector<Tensor>{reel::conv3d(s.inputs[0], s.inputs[1], bias, {k[0], k[1], k[2]}, {k[3], k[4], k[5]},
                                            {k[6], k[7], k[8]}, s.index)};
  };
  row.reference = [](const Sample& s) {
    const RefTensor bias = s.inputs.size() > 2 ? RefTensor::of(s.inputs[2]) : RefTensor();
    return std::vector<RefTensor>{ref_conv3d(RefTensor::of(s.inputs[0]), RefTensor::of(s.inputs[1]),
                                             s.inputs.size() > 2 ? &bias : nullptr, s.ints, s.index)};
  };
  row.tolerance = accumulation_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2};
  return row;
}

// ---- transposed convolution ---------------------------------------------------------------------------------------
// The scatter over a batched (N, C, H, W) x and (C, O/G, kH, kW) w; s = {sh, sw, ph, pw, oph, opw, dh, dw}.
RefTensor ref_conv_transpose2d(const RefTensor& x, const RefTensor& w, const RefTensor* bias, const Shape& s,
                               int64_t groups) {
  const Shape& xs = x.shape;
  const int64_t og = w.shape[1], cg = xs[1] / groups;
  Shape ys = {xs[0], og * groups, 0, 0};
  for (int d = 0; d < 2; ++d)
    ys[static_cast<size_t>(d + 2)] =
        (xs[d + 2] - 1) * s[d] - 2 * s[2 + d] + s[6 + d] * (w.shape[d + 2] - 1) + s[4 + d] + 1;
  RefTensor y = RefTensor::filled(ys, 0.0, x.dtype);
  auto at4 = [](const Shape& sh, int64_t a, int64_t b, int64_t c, int64_t d) {
    return static_cast<size_t>(((a * sh[1] + b) * sh[2] + c) * sh[3] + d);
  };
  if (bias)
    for (size_t k = 0; k < y.values.size(); ++k)
      y.values[k] = bias->values[static_cast<size_t>((static_cast<int64_t>(k) / (ys[2] * ys[3])) % ys[1])];
  for (int64_t n = 0; n < xs[0]; ++n)
    for (int64_t c = 0; c < xs[1]; ++c)
      for (int64_t i = 0; i < xs[2]; ++i)
        for (int64_t j = 0; j < xs[3]; ++j)
          for (int64_t o = 0; o < og; ++o)
            for (int64_t p = 0; p < w.shape[2]; ++p)
              for (int64_t q = 0; q < w.shape[3]; ++q) {
                const int64_t h = i * s[0] - s[2] + p * s[6], ww = j * s[1] - s[3] + q * s[7];
                if (h < 0 || h >= ys[2] || ww < 0 || ww >= ys[3]) continue;
                y.values[at4(ys, n, (c / cg) * og + o, h, ww)] +=
                    x.values[at4(xs, n, c, i, j)] * w.values[at4(w.shape, c, o, p, q)];
              }
  return y;
}

OpTestRow conv_transpose2d_row() {
  OpTestRow row;
  row.op = "conv_transpose2d";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, std::vector<Tensor> inputs, Shape ints, int64_t groups) {
      out.push_back(make_sample(std::move(description), std::move(inputs), dtype, device));
      out.back().ints = std::move(ints);
      out.back().index = groups;
    };
    add("[1, 2, 3, 3] * [2, 2, 2, 2] with bias", {m.make({1, 2, 3, 3}), m.make({2, 2, 2, 2}), m.make({2})},
        {1, 1, 0, 0, 0, 0, 1, 1}, 1);
    add("stride 2, padding 1, output_padding 1", {m.make({1, 2, 3, 2}), m.make({2, 1, 3, 3})}, {2, 2, 1, 1, 1, 1, 1, 1},
        1);
    add("stride (2, 3), dilation (1, 2), output_padding (1, 2), groups 2",
        {m.make({1, 4, 2, 2}), m.make({4, 1, 2, 2}), m.make({2})}, {2, 3, 1, 0, 1, 2, 1, 2}, 2);
    add("output_padding 1 >= stride 1 under dilation 2", {m.make({1, 1, 3, 2}), m.make({1, 2, 2, 2})},
        {1, 1, 0, 0, 1, 1, 2, 2}, 1);
    add("unbatched [2, 3, 3], transposed input",
        {m.make({2, 3, 3}, {}, Layout::Transposed), m.make({2, 2, 2, 2}), m.make({2})}, {1, 1, 1, 1, 0, 0, 1, 1}, 1);
    add("step-2 weight, DCGAN-like (N, C, 1, 1) input",
        {m.make({2, 3, 1, 1}), m.make({3, 2, 3, 3}, {}, Layout::Strided)}, {1, 1, 0, 0, 0, 0, 1, 1}, 1);
    add("batch 0", {m.make({0, 2, 3, 3}), m.make({2, 3, 2, 2}), m.make({3})}, {2, 2, 0, 0, 0, 0, 1, 1}, 1);
    add("larger [4, 8, 6, 6] * [8, 4, 4, 4] stride 2 padding 1", {m.make({4, 8, 6, 6}), m.make({8, 4, 4, 4})},
        {2, 2, 1, 1, 0, 0, 1, 1}, 1);
    return out;
  };
  row.run = [](const Sample& s) {
    const Tensor bias = s.inputs.size() > 2 ? s.inputs[2] : Tensor();
    const Shape& k = s.ints;
    return std::vector<Tensor>{reel::conv_transpose2d(s.inputs[0], s.inputs[1], bias, {k[0], k[1]}, {k[2], k[3]},
                                                      {k[4], k[5]}, s.index, {k[6], k[7]})};
  };
  row.reference = [](const Sample& s) {
    RefTensor x = RefTensor::of(s.inputs[0]);
    const bool unbatched = x.dim() == 3;
    if (unbatched) x.shape.insert(x.shape.begin(), 1);
    const RefTensor bias = s.inputs.size() > 2 ? RefTensor::of(s.inputs[2]) : RefTensor();
    RefTensor y =
        ref_conv_transpose2d(x, RefTensor::of(s.inputs[1]), s.inputs.size() > 2 ? &bias : nullptr, s.ints, s.index);
    if (unbatched) y.shape.erase(y.shape.begin());
    return std::vector<RefTensor>{y};
  };
  row.tolerance = accumulation_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2};
  return row;
}

OpTestRow conv_transpose1d_row() {
  OpTestRow row;
  row.op = "conv_transpose1d";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, std::vector<Tensor> inputs, Shape ints, int64_t groups) {
      out.push_back(make_sample(std::move(description), std::move(inputs), dtype, device));
      out.back().ints = std::move(ints);
      out.back().index = groups;
    };
    add("[2, 2, 5] * [2, 3, 3] with bias", {m.make({2, 2, 5}), m.make({2, 3, 3}), m.make({3})}, {1, 0, 0, 1}, 1);
    add("stride 2 padding 1 output_padding 1 dilation 2", {m.make({1, 2, 4}), m.make({2, 2, 2})}, {2, 1, 1, 2}, 1);
    add("groups 2, step-2 input", {m.make({1, 4, 3}, {}, Layout::Strided), m.make({4, 1, 3}), m.make({2})},
        {3, 0, 2, 1}, 2);
    add("unbatched [3, 4]", {m.make({3, 4}), m.make({3, 2, 2})}, {1, 1, 0, 1}, 1);
    add("batch 0", {m.make({0, 2, 5}), m.make({2, 2, 2})}, {1, 0, 0, 1}, 1);
    return out;
  };
  row.run = [](const Sample& s) {
    const Tensor bias = s.inputs.size() > 2 ? s.inputs[2] : Tensor();
    return std::vector<Tensor>{
        reel::conv_transpose1d(s.inputs[0], s.inputs[1], bias, s.ints[0], s.ints[1], s.ints[2], s.index, s.ints[3])};
  };
  row.reference = [](const Sample& s) {
    RefTensor x = RefTensor::of(s.inputs[0]), w = RefTensor::of(s.inputs[1]);
    const bool unbatched = x.dim() == 2;
    if (unbatched) x.shape.insert(x.shape.begin(), 1);
    x.shape.insert(x.shape.begin() + 2, 1);
    w.shape.insert(w.shape.begin() + 2, 1);
    const RefTensor bias = s.inputs.size() > 2 ? RefTensor::of(s.inputs[2]) : RefTensor();
    const Shape settings = {1, s.ints[0], 0, s.ints[1], 0, s.ints[2], 1, s.ints[3]};
    RefTensor y = ref_conv_transpose2d(x, w, s.inputs.size() > 2 ? &bias : nullptr, settings, s.index);
    y.shape.erase(y.shape.begin() + 2);
    if (unbatched) y.shape.erase(y.shape.begin());
    return std::vector<RefTensor>{y};
  };
  row.tolerance = accumulation_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2};
  return row;
}

void add_conv_nd_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(conv3d_row());
  rows.push_back(conv_transpose2d_row());
  rows.push_back(conv_transpose1d_row());
}

}  // namespace

REEL_OP_TABLE_ROWS(add_conv_nd_rows);

}  // namespace reel::test
