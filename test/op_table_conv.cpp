// reel/test/op_table_conv.cpp — op-table rows of the convolution ops: conv2d, its backward primitives
// conv2d_backward_input and conv2d_backward_weight, and conv1d (the pooling rows are in op_table_pool.cpp).
//
// The references are direct loops in float64: the seven-loop convolution and its scatter (input gradient) and
// correlation (weight gradient) forms; output sizes are worked out here from PyTorch's formula, not taken from
// reel. Samples vary stride, padding, dilation and groups (depthwise too), use rectangular settings, unbatched
// inputs, transposed and step-2 inputs, batch 0, and the single-value form of the pair arguments. Most samples
// have at most 64 input and output elements, so the gradient harness (test/test_op_gradients.cpp) checks them; a
// few larger ones exercise the batch-parallel paths.
// Sample fields: ints = {stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w}, index = groups, dims =
// input_size / weight_size (backward rows), flag = pass the settings as single values (conv1d: ints = {stride,
// padding, dilation}).
#include <cmath>
#include <limits>

#include "test/op_table.h"

namespace reel::test {

namespace {

int64_t at4(const Shape& shape, int64_t a, int64_t b, int64_t c, int64_t d) {
  return ((a * shape[1] + b) * shape[2] + c) * shape[3] + d;
}

// A 3-D (unbatched) reference input seen as a batch of one.
RefTensor batched(RefTensor t) {
  if (t.dim() == 3) t.shape.insert(t.shape.begin(), 1);
  return t;
}
RefTensor unbatched_like(RefTensor out, const Tensor& input) {
  if (input.dim() == 3) out.shape.erase(out.shape.begin());
  return out;
}

// ---- convolution ------------------------------------------------------------------------------------------------
struct ConvSetting {
  int64_t stride[2], pad[2], dilation[2], groups;
};
ConvSetting conv_setting(const Sample& s) {
  return {{s.ints[0], s.ints[1]}, {s.ints[2], s.ints[3]}, {s.ints[4], s.ints[5]}, s.index};
}
int64_t conv_out(int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t dilation) {
  return (in + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
}
Shape conv_out_shape(const Shape& x, const Shape& w, const ConvSetting& c) {
  return {x[0], w[0], conv_out(x[2], w[2], c.stride[0], c.pad[0], c.dilation[0]),
          conv_out(x[3], w[3], c.stride[1], c.pad[1], c.dilation[1])};
}

// Calls f(n, o, i, j, ci, p, q, h, w) for every tap of the convolution that reads an input position inside x
// (ci is the input channel, h and w the input position).
template <typename F>
void for_each_tap(const Shape& x, const Shape& w, const ConvSetting& c, F&& f) {
  const Shape y = conv_out_shape(x, w, c);
  const int64_t cg = w[1], og = w[0] / c.groups;
  for (int64_t n = 0; n < y[0]; ++n)
    for (int64_t o = 0; o < y[1]; ++o)
      for (int64_t i = 0; i < y[2]; ++i)
        for (int64_t j = 0; j < y[3]; ++j)
          for (int64_t ch = 0; ch < cg; ++ch)
            for (int64_t p = 0; p < w[2]; ++p)
              for (int64_t q = 0; q < w[3]; ++q) {
                const int64_t h = i * c.stride[0] - c.pad[0] + p * c.dilation[0];
                const int64_t ww = j * c.stride[1] - c.pad[1] + q * c.dilation[1];
                if (h < 0 || h >= x[2] || ww < 0 || ww >= x[3]) continue;
                f(n, o, i, j, (o / og) * cg + ch, ch, p, q, h, ww);
              }
}

RefTensor ref_conv2d(const RefTensor& x, const RefTensor& w, const RefTensor* bias, const ConvSetting& c) {
  RefTensor y = RefTensor::filled(conv_out_shape(x.shape, w.shape, c), 0.0, x.dtype);
  const int64_t plane = y.shape[2] * y.shape[3];
  if (bias)
    for (int64_t k = 0; k < y.numel(); ++k)
      y.values[static_cast<size_t>(k)] = bias->values[static_cast<size_t>((k / plane) % y.shape[1])];
  for_each_tap(x.shape, w.shape, c, [&](int64_t n, int64_t o, int64_t i, int64_t j, int64_t ci, int64_t ch, int64_t p,
                                        int64_t q, int64_t h, int64_t ww) {
    y.values[at4(y.shape, n, o, i, j)] +=
        w.values[at4(w.shape, o, ch, p, q)] * x.values[at4(x.shape, n, ci, h, ww)];
  });
  return y;
}
RefTensor ref_conv_input_grad(const RefTensor& g, const RefTensor& w, const Shape& input_size, const ConvSetting& c) {
  RefTensor dx = RefTensor::filled(input_size, 0.0, g.dtype);
  for_each_tap(input_size, w.shape, c, [&](int64_t n, int64_t o, int64_t i, int64_t j, int64_t ci, int64_t ch,
                                           int64_t p, int64_t q, int64_t h, int64_t ww) {
    dx.values[at4(input_size, n, ci, h, ww)] +=
        w.values[at4(w.shape, o, ch, p, q)] * g.values[at4(g.shape, n, o, i, j)];
  });
  return dx;
}
RefTensor ref_conv_weight_grad(const RefTensor& g, const RefTensor& x, const Shape& weight_size,
                               const ConvSetting& c) {
  RefTensor dw = RefTensor::filled(weight_size, 0.0, g.dtype);
  for_each_tap(x.shape, weight_size, c, [&](int64_t n, int64_t o, int64_t i, int64_t j, int64_t ci, int64_t ch,
                                            int64_t p, int64_t q, int64_t h, int64_t ww) {
    dw.values[at4(weight_size, o, ch, p, q)] +=
        g.values[at4(g.shape, n, o, i, j)] * x.values[at4(x.shape, n, ci, h, ww)];
  });
  return dw;
}

// One convolution case; each conv row turns it into its own inputs.
struct ConvCase {
  std::string description;
  Shape x, w;
  bool bias;
  ConvSetting c;
  Layout x_layout = Layout::Contiguous, w_layout = Layout::Contiguous;
  bool single = false;  // settings equal along both dims, passed as single values
};

std::vector<ConvCase> conv_cases() {
  const Layout T = Layout::Transposed, S = Layout::Strided, C = Layout::Contiguous;
  return {
      {"[1, 2, 4, 4] * [2, 2, 2, 2] with bias", {1, 2, 4, 4}, {2, 2, 2, 2}, true, {{1, 1}, {0, 0}, {1, 1}, 1}},
      {"stride 2 padding 1", {1, 1, 5, 5}, {2, 1, 3, 3}, true, {{2, 2}, {1, 1}, {1, 1}, 1}},
      {"dilation 2 no bias", {1, 1, 5, 5}, {2, 1, 2, 2}, false, {{1, 1}, {0, 0}, {2, 2}, 1}},
      {"groups 2", {1, 2, 3, 3}, {2, 1, 2, 2}, true, {{1, 1}, {0, 0}, {1, 1}, 2}},
      {"depthwise (groups = channels)", {1, 3, 4, 4}, {3, 1, 2, 2}, false, {{1, 1}, {1, 1}, {1, 1}, 3}},
      {"transposed input, step-2 weight", {1, 2, 3, 4}, {2, 2, 2, 2}, true, {{1, 1}, {0, 0}, {1, 1}, 1}, T, S},
      {"step-2 input, transposed weight, padding 1", {1, 1, 3, 4}, {2, 1, 2, 3}, false, {{1, 1}, {1, 1}, {1, 1}, 1},
       S, T},
      {"1x1 kernel (no im2col)", {2, 3, 3, 3}, {2, 3, 1, 1}, true, {{1, 1}, {0, 0}, {1, 1}, 1}},
      {"rectangular stride, padding, dilation", {1, 1, 5, 6}, {2, 1, 3, 2}, false, {{2, 1}, {1, 0}, {1, 2}, 1}},
      {"single-value settings", {1, 1, 6, 6}, {1, 1, 3, 3}, true, {{2, 2}, {1, 1}, {1, 1}, 1}, C, C, true},
      {"batch 0", {0, 2, 4, 4}, {3, 2, 2, 2}, true, {{1, 1}, {0, 0}, {1, 1}, 1}},
      {"groups 2, stride 2 (larger)", {2, 4, 7, 7}, {6, 2, 3, 3}, true, {{2, 2}, {1, 1}, {1, 1}, 2}},
      {"batch-parallel [4, 8, 12, 12] * [16, 8, 3, 3]", {4, 8, 12, 12}, {16, 8, 3, 3}, true,
       {{1, 1}, {1, 1}, {1, 1}, 1}},
      {"batch-parallel 1x1 with stride 2", {4, 16, 9, 9}, {32, 16, 1, 1}, false, {{2, 2}, {0, 0}, {1, 1}, 1}},
  };
}

void set_conv_fields(Sample& s, const ConvCase& k) {
  s.ints = {k.c.stride[0], k.c.stride[1], k.c.pad[0], k.c.pad[1], k.c.dilation[0], k.c.dilation[1]};
  s.index = k.c.groups;
  s.flag = k.single;
}

// Runs f(stride, padding, dilation) with the sample's settings as pairs or as single values.
template <typename F>
Tensor with_settings(const Sample& s, F&& f) {
  if (s.flag) return f(IntList(s.ints[0]), IntList(s.ints[2]), IntList(s.ints[4]));
  return f(IntList({s.ints[0], s.ints[1]}), IntList({s.ints[2], s.ints[3]}), IntList({s.ints[4], s.ints[5]}));
}

OpTestRow conv2d_row() {
  OpTestRow row;
  row.op = "conv2d";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const ConvCase& k : conv_cases()) {
      std::vector<Tensor> inputs = {m.make(k.x, {}, k.x_layout), m.make(k.w, {}, k.w_layout)};
      if (k.bias) inputs.push_back(m.make({k.w[0]}));
      out.push_back(make_sample(k.description, std::move(inputs), dtype, device));
      set_conv_fields(out.back(), k);
    }
    ConvCase unbatched{"unbatched [2, 4, 4] input", {2, 4, 4}, {2, 2, 2, 2}, true, {{1, 1}, {1, 1}, {1, 1}, 1}};
    out.push_back(make_sample(unbatched.description, {m.make(unbatched.x), m.make(unbatched.w), m.make({2})}, dtype,
                              device));
    set_conv_fields(out.back(), unbatched);
    return out;
  };
  row.run = [](const Sample& s) {
    const Tensor bias = s.inputs.size() > 2 ? s.inputs[2] : Tensor();
    return std::vector<Tensor>{with_settings(s, [&](IntList stride, IntList padding, IntList dilation) {
      return reel::conv2d(s.inputs[0], s.inputs[1], bias, stride, padding, dilation, s.index);
    })};
  };
  row.reference = [](const Sample& s) {
    const RefTensor bias = s.inputs.size() > 2 ? RefTensor::of(s.inputs[2]) : RefTensor();
    const RefTensor y = ref_conv2d(batched(RefTensor::of(s.inputs[0])), RefTensor::of(s.inputs[1]),
                                   s.inputs.size() > 2 ? &bias : nullptr, conv_setting(s));
    return std::vector<RefTensor>{unbatched_like(y, s.inputs[0])};
  };
  row.tolerance = accumulation_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2};
  return row;
}

OpTestRow conv2d_backward_input_row() {
  OpTestRow row;
  row.op = "conv2d_backward_input";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const ConvCase& k : conv_cases()) {
      const Shape y = conv_out_shape(k.x, k.w, k.c);
      out.push_back(make_sample(k.description, {m.make(y, {}, k.x_layout), m.make(k.w, {}, k.w_layout)}, dtype,
                                device));
      set_conv_fields(out.back(), k);
      out.back().dims = k.x;
    }
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{with_settings(s, [&](IntList stride, IntList padding, IntList dilation) {
      return reel::conv2d_backward_input(s.inputs[0], s.inputs[1], s.dims, stride, padding, dilation, s.index);
    })};
  };
  row.reference = [](const Sample& s) {
    return std::vector<RefTensor>{
        ref_conv_input_grad(RefTensor::of(s.inputs[0]), RefTensor::of(s.inputs[1]), s.dims, conv_setting(s))};
  };
  row.tolerance = accumulation_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1};
  return row;
}

OpTestRow conv2d_backward_weight_row() {
  OpTestRow row;
  row.op = "conv2d_backward_weight";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const ConvCase& k : conv_cases()) {
      const Shape y = conv_out_shape(k.x, k.w, k.c);
      out.push_back(make_sample(k.description, {m.make(y, {}, k.w_layout), m.make(k.x, {}, k.x_layout)}, dtype,
                                device));
      set_conv_fields(out.back(), k);
      out.back().dims = k.w;
    }
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{with_settings(s, [&](IntList stride, IntList padding, IntList dilation) {
      return reel::conv2d_backward_weight(s.inputs[0], s.inputs[1], s.dims, stride, padding, dilation, s.index);
    })};
  };
  row.reference = [](const Sample& s) {
    return std::vector<RefTensor>{
        ref_conv_weight_grad(RefTensor::of(s.inputs[0]), RefTensor::of(s.inputs[1]), s.dims, conv_setting(s))};
  };
  row.tolerance = accumulation_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1};
  return row;
}

// conv1d: ints = {stride, padding, dilation}, index = groups; inputs (x, w, bias?).
OpTestRow conv1d_row() {
  OpTestRow row;
  row.op = "conv1d";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, std::vector<Tensor> inputs, Shape ints, int64_t groups) {
      out.push_back(make_sample(std::move(description), std::move(inputs), dtype, device));
      out.back().ints = std::move(ints);
      out.back().index = groups;
    };
    add("[2, 2, 7] * [3, 2, 3] with bias", {m.make({2, 2, 7}), m.make({3, 2, 3}), m.make({3})}, {1, 0, 1}, 1);
    add("stride 2 padding 1 dilation 2", {m.make({1, 2, 9}), m.make({2, 2, 2})}, {2, 1, 2}, 1);
    add("groups 2, step-2 input", {m.make({1, 4, 6}, {}, Layout::Strided), m.make({4, 2, 2})}, {1, 1, 1}, 2);
    add("unbatched [3, 5]", {m.make({3, 5}), m.make({2, 3, 2}), m.make({2})}, {1, 0, 1}, 1);
    add("batch 0", {m.make({0, 2, 5}), m.make({3, 2, 2})}, {1, 0, 1}, 1);
    return out;
  };
  row.run = [](const Sample& s) {
    const Tensor bias = s.inputs.size() > 2 ? s.inputs[2] : Tensor();
    return std::vector<Tensor>{
        reel::conv1d(s.inputs[0], s.inputs[1], bias, s.ints[0], s.ints[1], s.ints[2], s.index)};
  };
  row.reference = [](const Sample& s) {
    RefTensor x = RefTensor::of(s.inputs[0]), w = RefTensor::of(s.inputs[1]);
    const bool unbatched = x.dim() == 2;
    if (unbatched) x.shape.insert(x.shape.begin(), 1);
    x.shape.insert(x.shape.begin() + 2, 1);
    w.shape.insert(w.shape.begin() + 2, 1);
    const RefTensor bias = s.inputs.size() > 2 ? RefTensor::of(s.inputs[2]) : RefTensor();
    const ConvSetting c{{1, s.ints[0]}, {0, s.ints[1]}, {1, s.ints[2]}, s.index};
    RefTensor y = ref_conv2d(x, w, s.inputs.size() > 2 ? &bias : nullptr, c);
    y.shape.erase(y.shape.begin() + 2);
    if (unbatched) y.shape.erase(y.shape.begin());
    return std::vector<RefTensor>{y};
  };
  row.tolerance = accumulation_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2};
  return row;
}

void add_conv_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(conv2d_row());
  rows.push_back(conv2d_backward_input_row());
  rows.push_back(conv2d_backward_weight_row());
  rows.push_back(conv1d_row());
}

}  // namespace

REEL_OP_TABLE_ROWS(add_conv_rows);

}  // namespace reel::test
