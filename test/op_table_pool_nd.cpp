// reel/test/op_table_pool_nd.cpp — op-table rows of the 1-D and 3-D pooling ops (max_pool1d/3d with indices,
// avg_pool1d/3d with divisor_override, adaptive_avg_pool1d/3d, adaptive_max_pool1d), the kernel op
// adaptive_max_pool2d and max_unpool2d (the 2-D pooling rows are in op_table_pool.cpp).
//
// One float64 reference for any number of spatial dims, written from PyTorch's window rules (not from reel's
// separable composition): each output position visits its whole window in row-major order; max takes the first
// maximum, a NaN beats everything, the index is the flat position in the input's spatial block; avg divides the sum
// over the window clipped to the input by the product of the per-dim sizes clipped to the padded input
// (count_include_pad) or to the input, or by divisor_override; adaptive windows are [floor(i in / out),
// ceil((i + 1) in / out)) per dim. Output sizes come from the floor / ceil formula (a ceil-mode window must start
// inside the input or its left padding). Samples vary kernel, stride (and its default), padding, dilation,
// ceil_mode and count_include_pad, with unbatched, transposed and step-2 inputs and batch 0.
// Sample fields: ints = {kernel..., stride... (empty: the default), padding..., dilation...} one per spatial dim
// (avg rows: no dilation), flag = ceil_mode, keepdim = count_include_pad, index = divisor_override (0: none),
// dims = output_size (adaptive and unpool rows).
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "test/op_table.h"

namespace reel::test {

namespace {

enum class Kind { Max, Avg, AdaptiveAvg, AdaptiveMax };

struct Window {
  Shape kernel, stride, pad, dilation, out_size;  // out_size for the adaptive kinds
  bool ceil_mode = false, count_include_pad = true;
  int64_t divisor_override = 0;
};

int64_t pooled_size(int64_t in, int64_t k, int64_t s, int64_t pad, int64_t d, bool ceil_mode) {
  const int64_t span = in + 2 * pad - d * (k - 1) - 1;
  int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (out - 1) * s >= in + pad) --out;
  return out;
}

// The pooled outputs of a batched x (N, C, spatial...): values, and for the max kinds the indices.
std::vector<RefTensor> ref_pool(RefTensor x, Kind kind, const Window& w, bool unbatched) {
  if (unbatched) x.shape.insert(x.shape.begin(), 1);
  const size_t dims = x.shape.size() - 2;
  Shape in(x.shape.begin() + 2, x.shape.end()), out(dims);
  for (size_t d = 0; d < dims; ++d)
    out[d] = kind == Kind::AdaptiveAvg || kind == Kind::AdaptiveMax
                 ? w.out_size[d]
                 : pooled_size(in[d], w.kernel[d], w.stride[d], w.pad[d], kind == Kind::Max ? w.dilation[d] : 1,
                               w.ceil_mode);
  Shape out_shape = {x.shape[0], x.shape[1]};
  out_shape.insert(out_shape.end(), out.begin(), out.end());
  RefTensor y = RefTensor::filled(out_shape, 0.0, x.dtype), k = RefTensor::filled(out_shape, 0.0, kInt64);
  int64_t in_block = 1, out_block = 1;
  for (size_t d = 0; d < dims; ++d) in_block *= in[d], out_block *= out[d];
  const int64_t planes = x.shape[0] * x.shape[1];
  for (int64_t plane = 0; plane < planes; ++plane) {
    for (int64_t o = 0; o < out_block; ++o) {
      // per dim: the window's taps (input positions, or -1 outside the input) and the divisor factors
      std::vector<std::vector<int64_t>> taps(dims);
      double padded = 1, clipped = 1;
      for (size_t d = 0, rest = static_cast<size_t>(o); d < dims; ++d) {
        size_t below = 1;
        for (size_t e = d + 1; e < dims; ++e) below *= static_cast<size_t>(out[e]);
        const int64_t i = static_cast<int64_t>(rest / below);
        rest %= below;
        if (kind == Kind::AdaptiveAvg || kind == Kind::AdaptiveMax) {
          const int64_t lo = i * in[d] / out[d], hi = ((i + 1) * in[d] + out[d] - 1) / out[d];
          for (int64_t p = lo; p < hi; ++p) taps[d].push_back(p);
          padded *= static_cast<double>(hi - lo), clipped *= static_cast<double>(hi - lo);
          continue;
        }
        const int64_t start = i * w.stride[d] - w.pad[d];
        const int64_t dil = kind == Kind::Max ? w.dilation[d] : 1;
        for (int64_t t = 0; t < w.kernel[d]; ++t) {
          const int64_t p = start + t * dil;
          taps[d].push_back(p >= 0 && p < in[d] ? p : -1);
        }
        const int64_t end = std::min(start + w.kernel[d], in[d] + w.pad[d]);
        padded *= static_cast<double>(end - start);
        clipped *= static_cast<double>(std::min(end, in[d]) - std::max<int64_t>(start, 0));
      }
      // visit the window in row-major order
      double best = -std::numeric_limits<double>::infinity(), sum = 0;
      int64_t best_index = -1;
      std::vector<size_t> at(dims, 0);
      bool done = false;
      for (size_t d = 0; d < dims; ++d) done = done || taps[d].empty();
      while (!done) {
        int64_t flat = 0;
        bool inside = true;
        for (size_t d = 0; d < dims; ++d) {
          const int64_t p = taps[d][at[d]];
          inside = inside && p >= 0;
          flat = flat * in[d] + p;
        }
        if (inside) {
          const double v = x.values[static_cast<size_t>(plane * in_block + flat)];
          sum += v;
          if (best_index < 0 || v > best || std::isnan(v)) best = v, best_index = flat;
        }
        size_t d = dims;
        while (d > 0 && ++at[d - 1] == taps[d - 1].size()) at[--d] = 0;
        done = d == 0;
      }
      const size_t slot = static_cast<size_t>(plane * out_block + o);
      if (kind == Kind::Max || kind == Kind::AdaptiveMax) {
        y.values[slot] = best;
        k.values[slot] = static_cast<double>(best_index);
      } else {
        const double divisor = w.divisor_override ? static_cast<double>(w.divisor_override)
                               : w.count_include_pad || kind == Kind::AdaptiveAvg ? padded
                                                                                  : clipped;
        y.values[slot] = sum / divisor;
      }
    }
  }
  std::vector<RefTensor> result{y};
  if (kind == Kind::Max || kind == Kind::AdaptiveMax) result.push_back(k);
  if (unbatched)
    for (RefTensor& t : result) t.shape.erase(t.shape.begin());
  return result;
}

// ints = {kernel..., stride..., padding..., dilation...} (avg rows: no dilation); an empty stride block is encoded
// by the sample's length = 1.
Window window_of(const Sample& s, size_t dims, bool with_dilation) {
  Window w;
  auto block = [&](size_t b) { return Shape(s.ints.begin() + b * dims, s.ints.begin() + (b + 1) * dims); };
  w.kernel = block(0);
  w.stride = s.length == 1 ? w.kernel : block(1);
  w.pad = block(2);
  w.dilation = with_dilation ? block(3) : Shape(dims, 1);
  w.ceil_mode = s.flag;
  w.count_include_pad = s.keepdim;
  w.divisor_override = s.index;
  w.out_size = s.dims;
  return w;
}
IntList block_arg(const Sample& s, size_t dims, size_t b) { return IntList(s.ints.data() + b * dims, dims); }
IntList stride_arg(const Sample& s, size_t dims) { return s.length == 1 ? IntList() : block_arg(s, dims, 1); }

struct PoolSample {
  std::string description;
  Shape x;
  Shape ints;
  bool ceil_mode = false, count_include_pad = true, default_stride = false;
  int64_t divisor_override = 0;
  Layout layout = Layout::Contiguous;
};

std::vector<Sample> pool_samples(ScalarType dtype, Device device, const std::vector<PoolSample>& cases) {
  InputMaker m(dtype, device);
  std::vector<Sample> out;
  for (const PoolSample& k : cases) {
    out.push_back(make_sample(k.description, {m.make(k.x, {}, k.layout)}, dtype, device));
    out.back().ints = k.ints;
    out.back().flag = k.ceil_mode;
    out.back().keepdim = k.count_include_pad;
    out.back().length = k.default_stride ? 1 : 0;
    out.back().index = k.divisor_override;
  }
  return out;
}

OpTestRow max_pool_row(const char* op, size_t dims, std::vector<PoolSample> cases) {
  OpTestRow row;
  row.op = op;
  row.dtypes = kFloatDtypes;
  row.samples = [cases](ScalarType dtype, Device device) { return pool_samples(dtype, device, cases); };
  row.run = [dims](const Sample& s) {
    auto call = dims == 1 ? &reel::max_pool1d_with_indices : &reel::max_pool3d_with_indices;
    auto [values, indices] = call(s.inputs[0], block_arg(s, dims, 0), stride_arg(s, dims), block_arg(s, dims, 2),
                                  block_arg(s, dims, 3), s.flag);
    return std::vector<Tensor>{values, indices};
  };
  row.reference = [dims](const Sample& s) {
    return ref_pool(RefTensor::of(s.inputs[0]), Kind::Max, window_of(s, dims, true),
                    s.inputs[0].dim() == static_cast<int64_t>(dims) + 1);
  };
  row.check = [dims](const Sample& s, const std::vector<Tensor>& outputs) {
    // the values-only form gives the same values
    auto call = dims == 1 ? &reel::max_pool1d : &reel::max_pool3d;
    const Tensor values = call(s.inputs[0], block_arg(s, dims, 0), stride_arg(s, dims), block_arg(s, dims, 2),
                               block_arg(s, dims, 3), s.flag);
    CHECK(values.to_vector<double>() == outputs[0].to_vector<double>());
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

OpTestRow avg_pool_row(const char* op, size_t dims, std::vector<PoolSample> cases) {
  OpTestRow row;
  row.op = op;
  row.dtypes = kFloatDtypes;
  row.samples = [cases](ScalarType dtype, Device device) { return pool_samples(dtype, device, cases); };
  row.run = [dims](const Sample& s) {
    if (dims == 1)
      return std::vector<Tensor>{
          reel::avg_pool1d(s.inputs[0], block_arg(s, 1, 0), stride_arg(s, 1), block_arg(s, 1, 2), s.flag, s.keepdim)};
    const std::optional<int64_t> divisor = s.index ? std::optional<int64_t>(s.index) : std::nullopt;
    return std::vector<Tensor>{reel::avg_pool3d(s.inputs[0], block_arg(s, 3, 0), stride_arg(s, 3), block_arg(s, 3, 2),
                                                s.flag, s.keepdim, divisor)};
  };
  row.reference = [dims](const Sample& s) {
    return ref_pool(RefTensor::of(s.inputs[0]), Kind::Avg, window_of(s, dims, false),
                    s.inputs[0].dim() == static_cast<int64_t>(dims) + 1);
  };
  row.tolerance = accumulation_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

struct AdaptiveSample {
  std::string description;
  Shape x, output_size;
  Layout layout = Layout::Contiguous;
};

OpTestRow adaptive_row(const char* op, size_t dims, Kind kind, std::vector<AdaptiveSample> cases) {
  OpTestRow row;
  row.op = op;
  row.dtypes = kFloatDtypes;
  row.samples = [cases](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const AdaptiveSample& k : cases) {
      out.push_back(make_sample(k.description, {m.make(k.x, {}, k.layout)}, dtype, device));
      out.back().dims = k.output_size;
    }
    return out;
  };
  row.run = [dims, kind](const Sample& s) {
    if (kind == Kind::AdaptiveMax) {
      auto [values, indices] =
          dims == 1 ? reel::adaptive_max_pool1d(s.inputs[0], s.dims) : reel::adaptive_max_pool2d(s.inputs[0], s.dims);
      return std::vector<Tensor>{values, indices};
    }
    return std::vector<Tensor>{dims == 1 ? reel::adaptive_avg_pool1d(s.inputs[0], s.dims)
                                         : reel::adaptive_avg_pool3d(s.inputs[0], s.dims)};
  };
  row.reference = [dims, kind](const Sample& s) {
    Window w;
    w.out_size = s.dims;
    return ref_pool(RefTensor::of(s.inputs[0]), kind, w, s.inputs[0].dim() == static_cast<int64_t>(dims) + 1);
  };
  row.tolerance = accumulation_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// max_unpool2d: inputs (x, indices); dims = output_size. The reference scatters each value to its index.
OpTestRow max_unpool2d_row() {
  OpTestRow row;
  row.op = "max_unpool2d";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    // indices from a real max pooling (distinct within each plane), and hand-written ones
    const Tensor source = m.make({2, 3, 4, 6});
    const Tensor pooled_index = std::get<1>(reel::max_pool2d_with_indices(source, 2));
    out.push_back(
        make_sample("indices of max_pool2d(2) on [2, 3, 4, 6]", {m.make({2, 3, 2, 3}), pooled_index}, dtype, device));
    out.back().dims = {4, 6};
    out.push_back(
        make_sample("unbatched, transposed values, output (3, 3)",
                    {m.make({2, 2, 2}, {}, Layout::Transposed), m.values({2, 2, 2}, {0, 4, 8, 2, 1, 3, 5, 7}, kInt64)},
                    dtype, device));
    out.back().dims = {3, 3};
    out.push_back(make_sample("batch 0", {m.make({0, 2, 2, 2}), m.indices({0, 2, 2, 2}, 16)}, dtype, device));
    out.back().dims = {4, 4};
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::max_unpool2d(s.inputs[0], s.inputs[1], s.dims)}; };
  row.reference = [](const Sample& s) {
    RefTensor x = RefTensor::of(s.inputs[0]), k = RefTensor::of(s.inputs[1]);
    Shape out_shape = x.shape;
    out_shape[out_shape.size() - 2] = s.dims[0];
    out_shape[out_shape.size() - 1] = s.dims[1];
    RefTensor y = RefTensor::filled(out_shape, 0.0, x.dtype);
    const int64_t in_plane = x.shape[x.shape.size() - 2] * x.shape.back(), out_plane = s.dims[0] * s.dims[1];
    for (size_t e = 0; e < x.values.size(); ++e) {
      const int64_t plane = static_cast<int64_t>(e) / in_plane;
      y.values[static_cast<size_t>(plane * out_plane + static_cast<int64_t>(k.values[e]))] = x.values[e];
    }
    return std::vector<RefTensor>{y};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

void add_pool_nd_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(
      max_pool_row("max_pool1d", 1,
                   {{"[2, 3, 7] kernel 3 (default stride)", {2, 3, 7}, {3, 0, 0, 1}, false, true, true},
                    {"stride 2 padding 1 dilation 2 ceil_mode", {1, 2, 8}, {3, 2, 1, 2}, true},
                    {"unbatched [3, 6], step-2 input", {3, 6}, {2, 1, 1, 1}, false, true, false, 0, Layout::Strided},
                    {"batch 0", {0, 2, 5}, {2, 2, 0, 1}}}));
  rows.push_back(avg_pool_row(
      "avg_pool1d", 1,
      {{"[2, 3, 7] kernel 3 (default stride)", {2, 3, 7}, {3, 0, 0}, false, true, true},
       {"stride 2 padding 1 ceil_mode, padding not counted", {1, 2, 8}, {3, 2, 1}, true, false},
       {"unbatched [3, 6], transposed input", {3, 6}, {2, 1, 1}, false, true, false, 0, Layout::Transposed},
       {"batch 0", {0, 2, 5}, {2, 2, 0}}}));
  rows.push_back(adaptive_row("adaptive_avg_pool1d", 1, Kind::AdaptiveAvg,
                              {{"[2, 3, 7] to 3", {2, 3, 7}, {3}},
                               {"unbatched [2, 5] to 5", {2, 5}, {5}},
                               {"step-2 [1, 2, 4] to 6 (overlapping)", {1, 2, 4}, {6}, Layout::Strided},
                               {"batch 0", {0, 2, 5}, {2}}}));
  rows.push_back(adaptive_row("adaptive_max_pool1d", 1, Kind::AdaptiveMax,
                              {{"[2, 3, 7] to 3", {2, 3, 7}, {3}},
                               {"unbatched [2, 5] to 1", {2, 5}, {1}},
                               {"transposed [2, 2, 4] to 3", {2, 2, 4}, {3}, Layout::Transposed},
                               {"batch 0", {0, 2, 5}, {2}}}));
  rows.push_back(
      adaptive_row("adaptive_max_pool2d", 2, Kind::AdaptiveMax,
                   {{"[1, 2, 4, 5] to (3, 2)", {1, 2, 4, 5}, {3, 2}},
                    {"[2, 2, 5, 7] to (2, 3)", {2, 2, 5, 7}, {2, 3}},
                    {"unbatched [2, 4, 4] to (1, 1)", {2, 4, 4}, {1, 1}},
                    {"transposed [1, 2, 3, 5] to (4, 2) (overlapping)", {1, 2, 3, 5}, {4, 2}, Layout::Transposed},
                    {"step-2 [1, 1, 6, 3] to (3, 3)", {1, 1, 6, 3}, {3, 3}, Layout::Strided},
                    {"batch 0", {0, 2, 3, 3}, {2, 2}}}));
  rows.push_back(
      max_pool_row("max_pool3d", 3,
                   {{"[1, 1, 3, 3, 4] kernel 2 stride 1", {1, 1, 3, 3, 4}, {2, 2, 2, 1, 1, 1, 0, 0, 0, 1, 1, 1}},
                    {"[1, 2, 2, 3, 3] kernel (1, 2, 2) padding (0, 1, 1) dilation (1, 2, 1)",
                     {1, 2, 2, 3, 3},
                     {1, 2, 2, 1, 1, 1, 0, 1, 1, 1, 2, 1}},
                    {"[1, 2, 4, 4, 4] kernel 2 (default stride)",
                     {1, 2, 4, 4, 4},
                     {2, 2, 2, 0, 0, 0, 0, 0, 0, 1, 1, 1},
                     false,
                     true,
                     true},
                    {"kernel (2, 3, 2), stride (1, 2, 2), padding (1, 1, 0), dilation (1, 1, 2), ceil_mode",
                     {1, 1, 3, 5, 5},
                     {2, 3, 2, 1, 2, 2, 1, 1, 0, 1, 1, 2},
                     true},
                    {"unbatched [2, 3, 4, 3], transposed input",
                     {2, 3, 4, 3},
                     {2, 2, 2, 1, 1, 1, 0, 1, 0, 1, 1, 1},
                     false,
                     true,
                     false,
                     0,
                     Layout::Transposed},
                    {"batch 0", {0, 2, 3, 3, 3}, {2, 2, 2, 1, 1, 1, 0, 0, 0, 1, 1, 1}}}));
  rows.push_back(avg_pool_row(
      "avg_pool3d", 3,
      {{"[1, 2, 4, 4, 4] kernel 2 (default stride)", {1, 2, 4, 4, 4}, {2, 2, 2, 0, 0, 0, 0, 0, 0}, false, true, true},
       {"kernel (3, 2, 3), stride (2, 1, 2), padding (1, 1, 1), ceil_mode",
        {1, 1, 4, 3, 5},
        {3, 2, 3, 2, 1, 2, 1, 1, 1},
        true},
       {"padding not counted", {1, 2, 3, 4, 3}, {2, 3, 2, 1, 2, 1, 1, 1, 1}, false, false},
       {"divisor_override 5, ceil_mode", {1, 1, 3, 4, 4}, {2, 2, 3, 2, 2, 2, 1, 0, 1}, true, true, false, 5},
       {"unbatched [2, 3, 4, 3], step-2 input",
        {2, 3, 4, 3},
        {2, 2, 2, 1, 1, 1, 0, 1, 0},
        false,
        true,
        false,
        0,
        Layout::Strided},
       {"batch 0", {0, 2, 3, 3, 3}, {2, 2, 2, 1, 1, 1, 0, 0, 0}}}));
  rows.push_back(adaptive_row(
      "adaptive_avg_pool3d", 3, Kind::AdaptiveAvg,
      {{"[1, 2, 4, 5, 6] to (2, 3, 4)", {1, 2, 4, 5, 6}, {2, 3, 4}},
       {"unbatched [2, 3, 3, 3] to (1, 1, 1)", {2, 3, 3, 3}, {1, 1, 1}},
       {"transposed [1, 1, 3, 4, 2] to (5, 3, 3) (overlapping)", {1, 1, 3, 4, 2}, {5, 3, 3}, Layout::Transposed},
       {"batch 0", {0, 2, 3, 3, 3}, {2, 2, 2}}}));
  rows.push_back(max_unpool2d_row());
}

}  // namespace

REEL_OP_TABLE_ROWS(add_pool_nd_rows);

}  // namespace reel::test
