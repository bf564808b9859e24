// reel/test/op_table_pool.cpp — op-table rows of the pooling ops: max_pool2d (values and indices), avg_pool2d,
// adaptive_avg_pool2d and their backward primitives.
//
// The references are direct per-window loops in float64 with PyTorch's rules, written out here: output sizes from
// the floor / ceil formula (a ceil-mode window must start inside the input or its left padding); max takes the
// first maximum in row-major window order, a NaN beats everything, the index is h * W + w in the plane; avg divides
// by the window clipped to the padded input (count_include_pad) or to the input; adaptive windows are
// [floor(i H / oH), ceil((i + 1) H / oH)). Samples vary kernel, stride (and its default), padding, dilation and
// ceil_mode, with rectangular settings, unbatched inputs, transposed and step-2 inputs and batch 0; most are small
// enough for the gradient harness (test/test_op_gradients.cpp).
// Sample fields: ints = {kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w}, flag =
// ceil_mode, keepdim = count_include_pad, length = 1 when the stride is left to its default (= kernel), dims =
// input_size (backward rows) or output_size (adaptive rows), index = 1 to pass one value for the pairs.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "test/op_table.h"

namespace reel::test {

namespace {

Shape batched_shape(Shape shape) {
  if (shape.size() == 3) shape.insert(shape.begin(), 1);
  return shape;
}
RefTensor batched(RefTensor t) {
  t.shape = batched_shape(t.shape);
  return t;
}
RefTensor unbatched_like(RefTensor out, const Tensor& input) {
  if (input.dim() == 3) out.shape.erase(out.shape.begin());
  return out;
}

// ---- window rules -------------------------------------------------------------------------------------------------
struct PoolCase {
  std::string description;
  Shape x;
  int64_t kernel[2], stride[2], pad[2], dilation[2];
  bool ceil_mode = false, count_include_pad = true, default_stride = false, single = false;
  Layout layout = Layout::Contiguous;
};
PoolCase pool_case(const Sample& s) {
  PoolCase k;
  k.kernel[0] = s.ints[0], k.kernel[1] = s.ints[1], k.stride[0] = s.ints[2], k.stride[1] = s.ints[3];
  k.pad[0] = s.ints[4], k.pad[1] = s.ints[5], k.dilation[0] = s.ints[6], k.dilation[1] = s.ints[7];
  k.ceil_mode = s.flag;
  k.count_include_pad = s.keepdim;
  k.default_stride = s.length == 1;
  k.single = s.index == 1;
  return k;
}
void set_pool_fields(Sample& s, const PoolCase& k) {
  s.ints = {k.kernel[0], k.kernel[1], k.stride[0], k.stride[1], k.pad[0], k.pad[1], k.dilation[0], k.dilation[1]};
  s.flag = k.ceil_mode;
  s.keepdim = k.count_include_pad;
  s.length = k.default_stride ? 1 : 0;
  s.index = k.single ? 1 : 0;
}

int64_t pool_out(int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t dilation, bool ceil_mode) {
  const double exact = static_cast<double>(in + 2 * pad - dilation * (k - 1) - 1) / static_cast<double>(stride);
  int64_t out = static_cast<int64_t>(ceil_mode ? std::ceil(exact) : std::floor(exact)) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}
Shape pool_out_shape(const Shape& x, const PoolCase& k) {
  return {x[0], x[1], pool_out(x[2], k.kernel[0], k.stride[0], k.pad[0], k.dilation[0], k.ceil_mode),
          pool_out(x[3], k.kernel[1], k.stride[1], k.pad[1], k.dilation[1], k.ceil_mode)};
}

// The input positions (flat h * W + w) of output (i, j)'s max window, in row-major window order.
std::vector<int64_t> max_window(const Shape& x, const PoolCase& k, int64_t i, int64_t j) {
  std::vector<int64_t> positions;
  for (int64_t p = 0; p < k.kernel[0]; ++p)
    for (int64_t q = 0; q < k.kernel[1]; ++q) {
      const int64_t h = i * k.stride[0] - k.pad[0] + p * k.dilation[0];
      const int64_t w = j * k.stride[1] - k.pad[1] + q * k.dilation[1];
      if (h >= 0 && h < x[2] && w >= 0 && w < x[3]) positions.push_back(h * x[3] + w);
    }
  return positions;
}

// (values, indices) of max pooling; an empty window gives -inf and index -1.
std::vector<RefTensor> ref_max_pool(const RefTensor& x, const PoolCase& k) {
  const Shape out = pool_out_shape(x.shape, k);
  RefTensor values = RefTensor::filled(out, 0.0, x.dtype), indices = RefTensor::filled(out, 0.0, kInt64);
  const int64_t plane = x.shape[2] * x.shape[3];
  for (int64_t nc = 0; nc < out[0] * out[1]; ++nc)
    for (int64_t i = 0; i < out[2]; ++i)
      for (int64_t j = 0; j < out[3]; ++j) {
        const std::vector<int64_t> window = max_window(x.shape, k, i, j);
        double best = -std::numeric_limits<double>::infinity();
        int64_t best_at = window.empty() ? -1 : window.front();
        for (int64_t pos : window) {
          const double v = x.values[static_cast<size_t>(nc * plane + pos)];
          if (v > best || std::isnan(v)) {
            best = v;
            best_at = pos;
          }
        }
        const size_t o = static_cast<size_t>((nc * out[2] + i) * out[3] + j);
        values.values[o] = best;
        indices.values[o] = static_cast<double>(best_at);
      }
  return {values, indices};
}

// The avg window of output (i, j): clipped bounds and divisor (0 rows or columns: empty).
struct Window {
  int64_t h0, h1, w0, w1;
  double divisor;
};
Window avg_window(const Shape& x, const PoolCase& k, int64_t i, int64_t j) {
  const int64_t h0 = i * k.stride[0] - k.pad[0], w0 = j * k.stride[1] - k.pad[1];
  const int64_t h1 = std::min(h0 + k.kernel[0], x[2] + k.pad[0]), w1 = std::min(w0 + k.kernel[1], x[3] + k.pad[1]);
  Window win{std::max<int64_t>(h0, 0), std::min(h1, x[2]), std::max<int64_t>(w0, 0), std::min(w1, x[3]), 0.0};
  win.divisor = static_cast<double>(k.count_include_pad ? (h1 - h0) * (w1 - w0)
                                                        : (win.h1 - win.h0) * (win.w1 - win.w0));
  return win;
}
Window adaptive_window(const Shape& x, const Shape& out, int64_t i, int64_t j) {
  auto start = [](int64_t a, int64_t in, int64_t n) { return static_cast<int64_t>(std::floor(double(a * in) / n)); };
  auto end = [](int64_t a, int64_t in, int64_t n) { return static_cast<int64_t>(std::ceil(double((a + 1) * in) / n)); };
  Window win{start(i, x[2], out[2]), end(i, x[2], out[2]), start(j, x[3], out[3]), end(j, x[3], out[3]), 0.0};
  win.divisor = static_cast<double>((win.h1 - win.h0) * (win.w1 - win.w0));
  return win;
}

// y[nc, i, j] = window mean; dx = the adjoint (every window spreads g / divisor over its positions).
template <typename WindowFn>
RefTensor ref_window_mean(const RefTensor& x, const Shape& out, WindowFn&& window) {
  RefTensor y = RefTensor::filled(out, 0.0, x.dtype);
  for (int64_t nc = 0; nc < out[0] * out[1]; ++nc)
    for (int64_t i = 0; i < out[2]; ++i)
      for (int64_t j = 0; j < out[3]; ++j) {
        const Window win = window(i, j);
        double sum = 0.0;
        for (int64_t h = win.h0; h < win.h1; ++h)
          for (int64_t w = win.w0; w < win.w1; ++w)
            sum += x.values[static_cast<size_t>((nc * x.shape[2] + h) * x.shape[3] + w)];
        const bool empty = win.h0 >= win.h1 || win.w0 >= win.w1;
        y.values[static_cast<size_t>((nc * out[2] + i) * out[3] + j)] = empty ? 0.0 : sum / win.divisor;
      }
  return y;
}
template <typename WindowFn>
RefTensor ref_window_mean_grad(const RefTensor& g, const Shape& input_size, WindowFn&& window) {
  RefTensor dx = RefTensor::filled(input_size, 0.0, g.dtype);
  const Shape& out = g.shape;
  for (int64_t nc = 0; nc < out[0] * out[1]; ++nc)
    for (int64_t i = 0; i < out[2]; ++i)
      for (int64_t j = 0; j < out[3]; ++j) {
        const Window win = window(i, j);
        const double share = g.values[static_cast<size_t>((nc * out[2] + i) * out[3] + j)] / win.divisor;
        for (int64_t h = win.h0; h < win.h1; ++h)
          for (int64_t w = win.w0; w < win.w1; ++w)
            dx.values[static_cast<size_t>((nc * input_size[2] + h) * input_size[3] + w)] += share;
      }
  return dx;
}

// ---- cases --------------------------------------------------------------------------------------------------------
std::vector<PoolCase> max_pool_cases() {
  const Layout T = Layout::Transposed, S = Layout::Strided, C = Layout::Contiguous;
  return {
      {"kernel 2, default stride", {1, 2, 4, 4}, {2, 2}, {2, 2}, {0, 0}, {1, 1}, false, true, true},
      {"kernel 3 stride 2 padding 1", {1, 1, 5, 5}, {3, 3}, {2, 2}, {1, 1}, {1, 1}},
      {"dilation 2", {1, 1, 5, 5}, {2, 2}, {1, 1}, {0, 0}, {2, 2}},
      {"ceil_mode with a partial last window", {1, 1, 5, 5}, {2, 2}, {2, 2}, {0, 0}, {1, 1}, true},
      {"ceil_mode and padding", {1, 2, 4, 4}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, true},
      {"transposed input", {1, 2, 4, 5}, {2, 2}, {1, 1}, {0, 0}, {1, 1}, false, true, false, false, T},
      {"step-2 input, rectangular settings", {1, 1, 4, 5}, {2, 3}, {1, 2}, {1, 1}, {2, 1}, false, true, false, false,
       S},
      {"single-value settings", {1, 1, 6, 6}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, false, true, false, true, C},
      {"unbatched [2, 4, 4]", {2, 4, 4}, {2, 2}, {1, 1}, {1, 1}, {1, 1}},
      {"batch 0", {0, 2, 4, 4}, {2, 2}, {2, 2}, {0, 0}, {1, 1}},
      {"larger [2, 3, 9, 9]", {2, 3, 9, 9}, {3, 3}, {2, 2}, {1, 1}, {1, 1}},
  };
}

std::vector<PoolCase> avg_pool_cases() {
  const Layout T = Layout::Transposed, S = Layout::Strided, C = Layout::Contiguous;
  return {
      {"kernel 2, default stride", {1, 2, 4, 4}, {2, 2}, {2, 2}, {0, 0}, {1, 1}, false, true, true},
      {"padding counted", {1, 1, 5, 5}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, false, true},
      {"padding not counted", {1, 1, 5, 5}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, false, false},
      {"ceil_mode, padding counted", {1, 2, 4, 4}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, true, true},
      {"ceil_mode, padding not counted", {1, 1, 5, 5}, {2, 2}, {2, 2}, {1, 1}, {1, 1}, true, false},
      {"transposed input", {1, 2, 4, 5}, {2, 2}, {1, 1}, {0, 0}, {1, 1}, false, true, false, false, T},
      {"step-2 input, rectangular settings", {1, 1, 4, 6}, {2, 3}, {1, 2}, {1, 1}, {1, 1}, false, false, false,
       false, S},
      {"single-value settings", {1, 1, 6, 6}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, false, true, false, true, C},
      {"unbatched [2, 4, 4]", {2, 4, 4}, {2, 2}, {1, 1}, {1, 1}, {1, 1}},
      {"batch 0", {0, 2, 4, 4}, {2, 2}, {2, 2}, {0, 0}, {1, 1}},
      {"larger [2, 3, 9, 9]", {2, 3, 9, 9}, {3, 3}, {2, 2}, {1, 1}, {1, 1}},
  };
}

// Runs f(kernel, stride, padding, dilation) with the sample's settings (stride {} when left to its default).
template <typename F>
auto with_pool_settings(const Sample& s, F&& f) {
  const PoolCase k = pool_case(s);
  const Shape stride = k.default_stride ? Shape{} : k.single ? Shape{k.stride[0]} : Shape{k.stride[0], k.stride[1]};
  if (k.single) return f(IntList(k.kernel[0]), IntList(stride), IntList(k.pad[0]), IntList(k.dilation[0]));
  return f(IntList(k.kernel, 2), IntList(stride), IntList(k.pad, 2), IntList(k.dilation, 2));
}

Tensor unbatched_input(InputMaker& m, const PoolCase& k) { return m.make(k.x, {}, k.layout); }

// ---- rows ---------------------------------------------------------------------------------------------------------
OpTestRow max_pool2d_row() {
  OpTestRow row;
  row.op = "max_pool2d";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const PoolCase& k : max_pool_cases()) {
      out.push_back(make_sample(k.description, {unbatched_input(m, k)}, dtype, device));
      set_pool_fields(out.back(), k);
    }
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    const PoolCase special{
        "NaN wins, ties take the first, a window of -inf", {1, 1, 3, 4}, {2, 2}, {1, 2}, {0, 0}, {1, 1}};
    out.push_back(make_sample(special.description,
                              {m.values({1, 1, 3, 4}, {1, nan, 2, 2, 3, 1, -inf, -inf, 3, 3, -inf, -inf})}, dtype,
                              device));
    set_pool_fields(out.back(), special);
    out.back().smooth = false;
    const PoolCase empty{"a window of padding only (dilation 5)", {1, 1, 4, 4}, {2, 2}, {1, 1}, {1, 1}, {5, 5}};
    out.push_back(make_sample(empty.description, {m.make({1, 1, 4, 4})}, dtype, device));
    set_pool_fields(out.back(), empty);
    return out;
  };
  row.run = [](const Sample& s) {
    auto [values, indices] = with_pool_settings(s, [&](IntList kernel, IntList stride, IntList pad, IntList dil) {
      return reel::max_pool2d_with_indices(s.inputs[0], kernel, stride, pad, dil, s.flag);
    });
    return std::vector<Tensor>{values, indices};
  };
  row.reference = [](const Sample& s) {
    std::vector<RefTensor> out = ref_max_pool(batched(RefTensor::of(s.inputs[0])), pool_case(s));
    for (RefTensor& t : out) t = unbatched_like(t, s.inputs[0]);
    return out;
  };
  row.check = [](const Sample& s, const std::vector<Tensor>& outputs) {
    // max_pool2d gives the same values as max_pool2d_with_indices.
    const Tensor values = with_pool_settings(s, [&](IntList kernel, IntList stride, IntList pad, IntList dil) {
      return reel::max_pool2d(s.inputs[0], kernel, stride, pad, dil, s.flag);
    });
    const std::vector<double> got = values.to_vector<double>(), expected = outputs[0].to_vector<double>();
    REQUIRE(got.size() == expected.size());
    for (size_t i = 0; i < got.size(); ++i)
      CHECK((got[i] == expected[i] || (std::isnan(got[i]) && std::isnan(expected[i]))));
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

OpTestRow max_pool2d_backward_row() {
  OpTestRow row;
  row.op = "max_pool2d_backward";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Shape input_size, Shape grad_size, Layout layout) {
      const int64_t plane = input_size[2] * input_size[3];
      out.push_back(make_sample(std::move(description), {m.make(grad_size, {}, layout), m.indices(grad_size, plane)},
                                dtype, device));
      out.back().dims = std::move(input_size);
    };
    add("[1, 2, 2, 2] into [1, 2, 4, 4]", {1, 2, 4, 4}, {1, 2, 2, 2}, Layout::Contiguous);
    add("colliding indices, transposed grad", {1, 2, 3, 3}, {1, 2, 3, 4}, Layout::Transposed);
    add("step-2 grad", {2, 1, 5, 5}, {2, 1, 3, 3}, Layout::Strided);
    add("batch 0", {0, 2, 4, 4}, {0, 2, 2, 2}, Layout::Contiguous);
    add("larger", {3, 4, 8, 8}, {3, 4, 4, 4}, Layout::Contiguous);
    out.push_back(make_sample("index -1 (an empty window) adds nothing",
                              {m.make({1, 1, 1, 2}), m.values({1, 1, 1, 2}, {-1, 3}, kInt64)}, dtype, device));
    out.back().dims = {1, 1, 2, 2};
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{reel::max_pool2d_backward(s.inputs[0], s.inputs[1], s.dims)};
  };
  row.reference = [](const Sample& s) {
    const RefTensor g = RefTensor::of(s.inputs[0]), k = RefTensor::of(s.inputs[1]);
    RefTensor dx = RefTensor::filled(s.dims, 0.0, g.dtype);
    const int64_t plane = s.dims[2] * s.dims[3], out_plane = g.shape[2] * g.shape[3];
    for (int64_t e = 0; e < g.numel(); ++e) {
      const int64_t index = static_cast<int64_t>(k.values[static_cast<size_t>(e)]);
      if (index < 0) continue;
      dx.values[static_cast<size_t>((e / out_plane) * plane + index)] += g.values[static_cast<size_t>(e)];
    }
    return std::vector<RefTensor>{dx};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

OpTestRow avg_pool2d_row() {
  OpTestRow row;
  row.op = "avg_pool2d";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const PoolCase& k : avg_pool_cases()) {
      out.push_back(make_sample(k.description, {unbatched_input(m, k)}, dtype, device));
      set_pool_fields(out.back(), k);
    }
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{with_pool_settings(s, [&](IntList kernel, IntList stride, IntList pad, IntList) {
      return reel::avg_pool2d(s.inputs[0], kernel, stride, pad, s.flag, s.keepdim);
    })};
  };
  row.reference = [](const Sample& s) {
    const RefTensor x = batched(RefTensor::of(s.inputs[0]));
    const PoolCase k = pool_case(s);
    const RefTensor y = ref_window_mean(x, pool_out_shape(x.shape, k),
                                        [&](int64_t i, int64_t j) { return avg_window(x.shape, k, i, j); });
    return std::vector<RefTensor>{unbatched_like(y, s.inputs[0])};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

OpTestRow avg_pool2d_backward_row() {
  OpTestRow row;
  row.op = "avg_pool2d_backward";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const PoolCase& k : avg_pool_cases()) {
      if (k.x.size() == 3) continue;  // the backward primitive is 4-D only
      out.push_back(make_sample(k.description, {m.make(pool_out_shape(k.x, k), {}, k.layout)}, dtype, device));
      set_pool_fields(out.back(), k);
      out.back().dims = k.x;
    }
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{with_pool_settings(s, [&](IntList kernel, IntList stride, IntList pad, IntList) {
      return reel::avg_pool2d_backward(s.inputs[0], s.dims, kernel, stride, pad, s.flag, s.keepdim);
    })};
  };
  row.reference = [](const Sample& s) {
    const PoolCase k = pool_case(s);
    return std::vector<RefTensor>{ref_window_mean_grad(RefTensor::of(s.inputs[0]), s.dims, [&](int64_t i, int64_t j) {
      return avg_window(s.dims, k, i, j);
    })};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// adaptive rows: dims = output size (forward) or input size (backward); index = 1 passes one value.
OpTestRow adaptive_avg_pool2d_row() {
  OpTestRow row;
  row.op = "adaptive_avg_pool2d";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor x, Shape output_size, bool single = false) {
      out.push_back(make_sample(std::move(description), {std::move(x)}, dtype, device));
      out.back().dims = std::move(output_size);
      out.back().index = single ? 1 : 0;
    };
    add("[1, 2, 5, 7] to 3 x 4 (uneven windows)", m.make({1, 2, 5, 7}), {3, 4});
    add("to 1 x 1 (global mean)", m.make({2, 2, 3, 4}), {1, 1});
    add("larger output than input (overlapping windows)", m.make({1, 1, 3, 4}, {}, Layout::Transposed), {5, 6});
    add("single value, step-2 input", m.make({1, 2, 6, 6}, {}, Layout::Strided), {4}, true);
    add("unbatched [2, 5, 5]", m.make({2, 5, 5}), {2, 3});
    add("batch 0", m.make({0, 2, 4, 4}), {2, 2});
    add("output size 0", m.make({1, 2, 4, 4}), {0, 2});
    add("larger [3, 4, 13, 11] to 4 x 3", m.make({3, 4, 13, 11}), {4, 3});
    return out;
  };
  row.run = [](const Sample& s) {
    const IntList size = s.index == 1 ? IntList(s.dims[0]) : IntList(s.dims);
    return std::vector<Tensor>{reel::adaptive_avg_pool2d(s.inputs[0], size)};
  };
  row.reference = [](const Sample& s) {
    const RefTensor x = batched(RefTensor::of(s.inputs[0]));
    const int64_t oh = s.dims[0], ow = s.dims.size() > 1 ? s.dims[1] : s.dims[0];
    const Shape out{x.shape[0], x.shape[1], oh, ow};
    const RefTensor y =
        ref_window_mean(x, out, [&](int64_t i, int64_t j) { return adaptive_window(x.shape, out, i, j); });
    return std::vector<RefTensor>{unbatched_like(y, s.inputs[0])};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

OpTestRow adaptive_avg_pool2d_backward_row() {
  OpTestRow row;
  row.op = "adaptive_avg_pool2d_backward";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor g, Shape input_size) {
      out.push_back(make_sample(std::move(description), {std::move(g)}, dtype, device));
      out.back().dims = std::move(input_size);
    };
    add("3 x 4 back to [1, 2, 5, 7]", m.make({1, 2, 3, 4}), {1, 2, 5, 7});
    add("1 x 1 back to [2, 2, 3, 4]", m.make({2, 2, 1, 1}), {2, 2, 3, 4});
    add("5 x 6 back to [1, 1, 3, 4], transposed grad", m.make({1, 1, 5, 6}, {}, Layout::Transposed), {1, 1, 3, 4});
    add("step-2 grad", m.make({1, 2, 4, 4}, {}, Layout::Strided), {1, 2, 6, 6});
    add("batch 0", m.make({0, 2, 2, 2}), {0, 2, 4, 4});
    add("empty grad gives zeros", m.make({1, 2, 0, 2}), {1, 2, 4, 4});
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{reel::adaptive_avg_pool2d_backward(s.inputs[0], s.dims)};
  };
  row.reference = [](const Sample& s) {
    const RefTensor g = RefTensor::of(s.inputs[0]);
    return std::vector<RefTensor>{ref_window_mean_grad(
        g, s.dims, [&](int64_t i, int64_t j) { return adaptive_window(s.dims, g.shape, i, j); })};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

void add_pool_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(max_pool2d_row());
  rows.push_back(max_pool2d_backward_row());
  rows.push_back(avg_pool2d_row());
  rows.push_back(avg_pool2d_backward_row());
  rows.push_back(adaptive_avg_pool2d_row());
  rows.push_back(adaptive_avg_pool2d_backward_row());
}

}  // namespace

REEL_OP_TABLE_ROWS(add_pool_rows);

}  // namespace reel::test
