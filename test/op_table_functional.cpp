// reel/test/op_table_functional.cpp — op-table rows of the nn::functional composites issue 16 added beside the losses:
// glu, prelu, rrelu, gumbel_softmax, pairwise_distance, pixel_shuffle / pixel_unshuffle, interpolate, grid_sample and
// affine_grid. They are Composite rows of tensor/ops.def (written with other ops); the rows bring them under the
// table-wide sweeps (every floating dtype, transposed and step-2 inputs, empty batches, gradcheck, CUDA against CPU).
//
// References: float64 loops from PyTorch's documented definitions, restated at each row; interpolate and
// grid_sample use test/resample_reference.h (the same references the resampling kernels' rows use). The random ones
// (rrelu training, gumbel_softmax) are checked by their laws instead (bounds, sums, one-hot) and run under a fixed
// manual_seed so the finite differences of the gradcheck see the same noise on every call.
// Sample fields: glu: dim; prelu: none; rrelu: flag = training, scalar / scalar2 = lower / upper; gumbel_softmax:
// scalar = tau, flag = hard, dim; pairwise_distance: scalar = p, keepdim; pixel_(un)shuffle: index = factor;
// interpolate: dims = size (empty: scale factors scalar / scalar2), ints = {mode (0 nearest, 1 linear, 2 bicubic),
// align_corners (0 no, 1 yes, 2 not given)}; grid_sample: ints = {interp, padding, align}; affine_grid: dims = size,
// flag = align_corners.
#include <catch2/catch.hpp>

#include <cmath>

#include "test/op_table.h"
#include "test/resample_reference.h"

namespace reel::test {

namespace {

namespace F = nn::functional;
namespace R = resample_ref;

// A composite rounds after each of its ops: in the 16-bit floats the error is a few of their ulps per op.
Tolerance composite_tolerance(ScalarType dtype) {
  switch (dtype) {
    case kFloat16: return {1e-2, 1e-2};
    case kBFloat16: return {6e-2, 6e-2};
    case kFloat32: return {2e-5, 2e-5};
    default: return {1e-9, 1e-11};
  }
}

double sigmoid_ref(double x) { return 1 / (1 + std::exp(-x)); }

// ---- glu: y = a sigmoid(b) over the halves of dim ------------------------------------------------------------------
OpTestRow glu_row() {
  OpTestRow row;
  row.op = "glu";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    return std::vector<Sample>{
        make_sample("[3, 4] dim -1", {m.make({3, 4})}, dtype, device, -1),
        make_sample("[4, 3] transposed, dim 0", {m.make({4, 3}, {}, Layout::Transposed)}, dtype, device, 0),
        make_sample("[2, 6, 2] step-2, dim 1", {m.make({2, 6, 2}, {}, Layout::Strided)}, dtype, device, 1),
        make_sample("[0, 4] dim 1", {m.make({0, 4})}, dtype, device, 1),
    };
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{F::glu(s.inputs[0], s.dim)}; };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    const int64_t d = wrap(s.dim, x.dim()), half = x.shape[size_t(d)] / 2;
    const RefTensor a = ref_slice(x, d, 0, half, 1), b = ref_slice(x, d, half, 2 * half, 1);
    return std::vector<RefTensor>{map_binary(a, b, [](double u, double v) { return u * sigmoid_ref(v); }, x.dtype)};
  };
  row.tolerance = composite_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- prelu: y = x > 0 ? x : w x, w one value or one per channel (dim 1) ----------------------------------------------
OpTestRow prelu_row() {
  OpTestRow row;
  row.op = "prelu";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain x = {-2, 2, 0.05};  // away from the kink at 0
    return std::vector<Sample>{
        make_sample("[2, 3, 4] one weight per channel", {m.make({2, 3, 4}, x), m.make({3}, {0.1, 0.5})}, dtype, device),
        make_sample("[4, 3] transposed, one weight", {m.make({4, 3}, x, Layout::Transposed), m.make({1}, {0.1, 0.5})},
                    dtype, device),
        make_sample("[3, 2, 4] step-2, weight per channel", {m.make({3, 2, 4}, x, Layout::Strided), m.make({2})},
                    dtype, device),
        make_sample("[5] 1-D, 0-dim weight", {m.make({5}, x), m.make({}, {0.1, 0.5})}, dtype, device),
        make_sample("[0, 3] empty", {m.make({0, 3}, x), m.make({3})}, dtype, device),
    };
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{F::prelu(s.inputs[0], s.inputs[1])}; };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]), w = RefTensor::of(s.inputs[1]);
    RefTensor y = RefTensor::filled(x.shape, 0.0, x.dtype);
    for (size_t i = 0; i < y.values.size(); ++i) {
      const Shape at = unravel(int64_t(i), x.shape);
      const double slope = w.numel() == 1 ? w.values[0] : w.values[size_t(at[1])];
      y.values[i] = x.values[i] > 0 ? x.values[i] : slope * x.values[i];
    }
    return std::vector<RefTensor>{y};
  };
  row.tolerance = composite_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1};
  return row;
}

// ---- rrelu: eval y = leaky_relu(x, (lower + upper) / 2); training y = x >= 0 ? x : a x, a in [lower, upper] -------
OpTestRow rrelu_row() {
  OpTestRow row;
  row.op = "rrelu";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain x = {-2, 2, 0.05};
    std::vector<Sample> out = {
        make_sample("[3, 4] eval, default bounds", {m.make({3, 4}, x)}, dtype, device),
        make_sample("[4, 3] transposed, training", {m.make({4, 3}, x, Layout::Transposed)}, dtype, device),
        make_sample("[2, 6] step-2, training, bounds 0.2 0.6", {m.make({2, 6}, x, Layout::Strided)}, dtype, device),
        make_sample("[0, 3] training", {m.make({0, 3}, x)}, dtype, device),
    };
    for (size_t i = 0; i < out.size(); ++i) {
      out[i].flag = i > 0;
      out[i].scalar = Scalar(i == 2 ? 0.2 : 1.0 / 8.0);
      out[i].scalar2 = Scalar(i == 2 ? 0.6 : 1.0 / 3.0);
    }
    return out;
  };
  row.run = [](const Sample& s) {
    manual_seed(1234);
    return std::vector<Tensor>{F::rrelu(s.inputs[0], s.scalar->to<double>(), s.scalar2->to<double>(), s.flag)};
  };
  row.check = [](const Sample& s, const std::vector<Tensor>& outputs) {
    const RefTensor x = RefTensor::of(s.inputs[0]), y = RefTensor::of(outputs.at(0));
    REQUIRE(y.shape == x.shape);
    const double lo = s.scalar->to<double>(), hi = s.scalar2->to<double>();
    const Tolerance tol = composite_tolerance(s.dtype);
    for (size_t i = 0; i < x.values.size(); ++i) {
      const double v = x.values[i];
      if (v >= 0 || !s.flag) {
        const double expected = v >= 0 ? v : v * (lo + hi) / 2;
        CHECK(std::fabs(y.values[i] - expected) <= tol.atol + tol.rtol * std::fabs(expected));
      } else {
        const double slope = y.values[i] / v;
        CHECK(slope >= lo - tol.rtol - tol.atol);
        CHECK(slope <= hi + tol.rtol + tol.atol);
      }
    }
    // the same seed draws the same slopes
    manual_seed(1234);
    CHECK(equal(F::rrelu(s.inputs[0], lo, hi, s.flag), outputs.at(0)));
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- gumbel_softmax: soft y sums to 1 along dim with entries in [0, 1]; hard y is the one-hot of the soft argmax --
OpTestRow gumbel_softmax_row() {
  OpTestRow row;
  row.op = "gumbel_softmax";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out = {
        make_sample("[3, 4] tau 1, dim -1", {m.make({3, 4})}, dtype, device, -1),
        make_sample("[4, 3] transposed, tau 0.5, dim 0", {m.make({4, 3}, {}, Layout::Transposed)}, dtype, device, 0),
        make_sample("[2, 5] step-2, hard", {m.make({2, 5}, {}, Layout::Strided)}, dtype, device, -1),
        make_sample("[0, 3] empty", {m.make({0, 3})}, dtype, device, -1),
    };
    for (size_t i = 0; i < out.size(); ++i) out[i].scalar = Scalar(i == 1 ? 0.5 : 1.0);
    out[2].flag = true;
    out[2].smooth = false;  // the hard one-hot is piecewise constant: its forward has no finite differences to match
    return out;
  };
  row.run = [](const Sample& s) {
    manual_seed(99);
    return std::vector<Tensor>{F::gumbel_softmax(s.inputs[0], s.scalar->to<double>(), s.flag, s.dim)};
  };
  row.check = [](const Sample& s, const std::vector<Tensor>& outputs) {
    const Tensor& y = outputs.at(0);
    REQUIRE(y.sizes() == s.inputs[0].sizes());
    CHECK(y.dtype() == s.inputs[0].dtype());
    if (y.numel() == 0) return;
    const Tolerance tol = composite_tolerance(s.dtype);
    const RefTensor sums = RefTensor::of(y.to(kFloat64).sum({s.dim}));
    for (double v : sums.values) CHECK(std::fabs(v - 1) <= 4 * tol.atol);
    const RefTensor values = RefTensor::of(y);
    for (double v : values.values) {
      CHECK(v >= -tol.atol);
      CHECK(v <= 1 + tol.atol);
      if (s.flag) CHECK((std::fabs(v) <= tol.atol || std::fabs(v - 1) <= tol.atol));  // one_hot - y + y, rounded
    }
    manual_seed(99);
    CHECK(equal(F::gumbel_softmax(s.inputs[0], s.scalar->to<double>(), s.flag, s.dim), y));
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- pairwise_distance: y = (sum_k |x1_k - x2_k + eps|^p)^(1/p) over the last dim, broadcast --------------------
OpTestRow pairwise_distance_row() {
  OpTestRow row;
  row.op = "pairwise_distance";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out = {
        make_sample("[3, 4] p 2", {m.make({3, 4}), m.make({3, 4})}, dtype, device),
        make_sample("[4, 3] transposed x1, p 1, keepdim", {m.make({4, 3}, {}, Layout::Transposed), m.make({4, 3})},
                    dtype, device),
        make_sample("[2, 5] step-2 x2 broadcast against [5], p 3", {m.make({5}), m.make({2, 5}, {}, Layout::Strided)},
                    dtype, device),
        make_sample("[0, 3] empty", {m.make({0, 3}), m.make({0, 3})}, dtype, device),
    };
    const double p[] = {2.0, 1.0, 3.0, 2.0};
    for (size_t i = 0; i < out.size(); ++i) out[i].scalar = Scalar(p[i]);
    out[1].keepdim = true;
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{F::pairwise_distance(s.inputs[0], s.inputs[1], s.scalar->to<double>(), 1e-6, s.keepdim)};
  };
  row.reference = [](const Sample& s) {
    const RefTensor a = RefTensor::of(s.inputs[0]), b = RefTensor::of(s.inputs[1]);
    const Shape shape = broadcast(a.shape, b.shape);
    const double p = s.scalar->to<double>();
    const RefTensor d = map_binary(a, b, [p](double u, double v) { return std::pow(std::fabs(u - v + 1e-6), p); },
                                   a.dtype);
    const int64_t last = static_cast<int64_t>(shape.size()) - 1;
    const RefTensor total = reduce(d, {last}, s.keepdim, a.dtype, ref_sum);
    return std::vector<RefTensor>{map_unary(total, [p](double v) { return std::pow(v, 1.0 / p); }, a.dtype)};
  };
  row.tolerance = composite_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1};
  return row;
}

// ---- pixel_shuffle / pixel_unshuffle: y[c, h r + i, w r + j] = x[c r^2 + i r + j, h, w] and its inverse ----------
RefTensor ref_pixel_shuffle(const RefTensor& x, int64_t r, bool shuffle) {
  const size_t n = x.shape.size();
  Shape out_shape = x.shape;
  if (shuffle) {
    out_shape[n - 3] /= r * r, out_shape[n - 2] *= r, out_shape[n - 1] *= r;
  } else {
    out_shape[n - 3] *= r * r, out_shape[n - 2] /= r, out_shape[n - 1] /= r;
  }
  RefTensor y = RefTensor::filled(out_shape, 0.0, x.dtype);
  const Shape& big = shuffle ? out_shape : x.shape;  // (.., C, H r, W r)
  for (const Shape& at : all_indices(big)) {
    Shape small = at;
    const int64_t c = at[n - 3], h = at[n - 2], w = at[n - 1];
    small[n - 3] = c * r * r + (h % r) * r + (w % r), small[n - 2] = h / r, small[n - 1] = w / r;
    if (shuffle) {
      y.at(at) = x.at(small);
    } else {
      y.at(small) = x.at(at);
    }
  }
  return y;
}

OpTestRow pixel_shuffle_row(bool shuffle) {
  OpTestRow row;
  row.op = shuffle ? "pixel_shuffle" : "pixel_unshuffle";
  row.dtypes = kAllDtypes;
  row.samples = [shuffle](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    auto shape = [shuffle](Shape s, int64_t r) {  // s = the (.., C, H, W) of the small side
      const size_t n = s.size();
      if (!shuffle) s[n - 3] /= r * r, s[n - 2] *= r, s[n - 1] *= r;
      return s;
    };
    std::vector<Sample> out = {
        make_sample("factor 2", {m.make(shape({1, 8, 2, 3}, 2))}, dtype, device),
        make_sample("factor 3, 3-D, transposed", {m.make(shape({9, 2, 2}, 3), {}, Layout::Transposed)}, dtype, device),
        make_sample("factor 2, 5-D, step-2", {m.make(shape({2, 1, 4, 2, 2}, 2), {}, Layout::Strided)}, dtype, device),
        make_sample("factor 1", {m.make(shape({1, 3, 2, 2}, 1))}, dtype, device),
        make_sample("batch 0", {m.make(shape({0, 4, 2, 2}, 2))}, dtype, device),
    };
    const int64_t factor[] = {2, 3, 2, 1, 2};
    for (size_t i = 0; i < out.size(); ++i) out[i].index = factor[i];
    return out;
  };
  row.run = [shuffle](const Sample& s) {
    return std::vector<Tensor>{shuffle ? F::pixel_shuffle(s.inputs[0], s.index) : F::pixel_unshuffle(s.inputs[0], s.index)};
  };
  row.reference = [shuffle](const Sample& s) {
    return std::vector<RefTensor>{ref_pixel_shuffle(RefTensor::of(s.inputs[0]), s.index, shuffle)};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- interpolate: resample_ref::upsample at the size the options give --------------------------------------------
OpTestRow interpolate_row() {
  OpTestRow row;
  row.op = "interpolate";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string text, Shape x, Shape size, int mode, int align, double sh, double sw,
                   Layout layout = Layout::Contiguous) {
      out.push_back(make_sample(std::move(text), {m.make(x, {}, layout)}, dtype, device));
      out.back().dims = std::move(size);
      out.back().ints = {mode, align};
      if (sh > 0) out.back().scalar = Scalar(sh), out.back().scalar2 = Scalar(sw);
    };
    add("nearest to size", {1, 2, 3, 4}, {5, 7}, 0, 2, 0, 0);
    add("nearest scale 2 x 1.5, transposed", {2, 1, 3, 4}, {}, 0, 2, 2.0, 1.5, Layout::Transposed);
    add("bilinear to size", {1, 2, 3, 4}, {5, 6}, 1, 2, 0, 0);
    add("bilinear align_corners, step-2", {1, 1, 4, 3}, {6, 5}, 1, 1, 0, 0, Layout::Strided);
    add("bilinear scale 2.5", {1, 1, 2, 2}, {}, 1, 0, 2.5, 2.5);
    add("bicubic to size", {1, 1, 3, 3}, {5, 6}, 2, 2, 0, 0);
    add("bicubic align_corners downsampling", {1, 2, 5, 6}, {3, 4}, 2, 1, 0, 0);
    add("linear 3-D input", {2, 2, 4}, {7}, 1, 2, 0, 0);
    add("nearest 3-D input, scale 2", {1, 2, 3}, {}, 0, 2, 2.0, 2.0);
    add("batch 0", {0, 2, 3, 3}, {4, 4}, 1, 2, 0, 0);
    return out;
  };
  row.run = [](const Sample& s) {
    const bool one_d = s.inputs[0].dim() == 3;
    const int mode = static_cast<int>(s.ints[0]);
    F::InterpolateFuncOptions o;
    o.mode(mode == 0 ? "nearest" : mode == 2 ? "bicubic" : one_d ? "linear" : "bilinear");
    if (s.ints[1] != 2) o.align_corners(s.ints[1] == 1);
    if (s.dims.empty()) {
      o.scale_factor(one_d ? std::vector<double>{s.scalar->to<double>()}
                           : std::vector<double>{s.scalar->to<double>(), s.scalar2->to<double>()});
    } else {
      o.size(std::vector<int64_t>(s.dims.begin(), s.dims.end()));
    }
    return std::vector<Tensor>{F::interpolate(s.inputs[0], o)};
  };
  row.reference = [](const Sample& s) {
    RefTensor x = RefTensor::of(s.inputs[0]);
    const bool one_d = x.dim() == 3;
    if (one_d) x = ref_reshape(x, {x.shape[0], x.shape[1], 1, x.shape[2]});
    const double sh = s.scalar ? s.scalar->to<double>() : 0, sw = s.scalar2 ? s.scalar2->to<double>() : 0;
    int64_t oh = 1, ow = 0;
    if (s.dims.empty()) {
      ow = int64_t(std::floor(double(x.shape[3]) * (one_d ? sh : sw)));
      if (!one_d) oh = int64_t(std::floor(double(x.shape[2]) * sh));
    } else {
      ow = s.dims.back();
      if (!one_d) oh = s.dims[0];
    }
    RefTensor y = R::upsample(x, oh, ow, static_cast<int>(s.ints[0]), s.ints[1] == 1, one_d ? 0.0 : sh,
                              one_d ? sh : sw);
    if (one_d) y = ref_reshape(y, {y.shape[0], y.shape[1], y.shape[3]});
    return std::vector<RefTensor>{y};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- grid_sample: resample_ref::grid_sample with the modes the strings name ---------------------------------------
OpTestRow grid_sample_row() {
  OpTestRow row;
  row.op = "grid_sample";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string text, Shape x, Shape grid, Shape ints, Layout layout = Layout::Contiguous) {
      out.push_back(make_sample(std::move(text), {m.make(x, {}, layout), m.make(grid, {-1.2, 1.2})}, dtype, device));
      out.back().ints = std::move(ints);
    };
    add("bilinear zeros (defaults)", {1, 2, 3, 4}, {1, 2, 3, 2}, {0, 0, 0});
    add("bilinear border align_corners, transposed", {2, 1, 4, 3}, {2, 3, 2, 2}, {0, 1, 1}, Layout::Transposed);
    add("bilinear reflection, step-2", {1, 2, 3, 4}, {1, 2, 2, 2}, {0, 2, 0}, Layout::Strided);
    add("nearest border", {1, 1, 4, 5}, {1, 3, 2, 2}, {1, 1, 0});
    add("batch 0", {0, 2, 3, 3}, {0, 2, 2, 2}, {0, 0, 0});
    out[3].smooth = false;  // nearest: the gradient in the grid is 0 but the forward jumps
    return out;
  };
  row.run = [](const Sample& s) {
    const char* padding[] = {"zeros", "border", "reflection"};
    F::GridSampleFuncOptions o;
    o.mode(s.ints[0] == 0 ? "bilinear" : "nearest").padding_mode(padding[s.ints[1]]);
    if (s.ints[2] != 0) o.align_corners(true);
    return std::vector<Tensor>{F::grid_sample(s.inputs[0], s.inputs[1], o)};
  };
  row.reference = [](const Sample& s) {
    return std::vector<RefTensor>{R::grid_sample(RefTensor::of(s.inputs[0]), RefTensor::of(s.inputs[1]),
                                                 static_cast<int>(s.ints[0]), static_cast<int>(s.ints[1]),
                                                 s.ints[2] != 0)};
  };
  row.tolerance = composite_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1};
  row.twice_differentiable = false;  // grid_sampler_2d_backward has no formula (as in PyTorch)
  return row;
}

// ---- affine_grid: grid[n, h, w] = theta[n] (x_w, y_h, 1), x_w = -1 + (2 w + 1) / W (align: -1 + 2 w / (W - 1)) ----
double base_coordinate(int64_t i, int64_t steps, bool align) {
  if (steps <= 1) return 0.0;
  return align ? -1.0 + 2.0 * double(i) / double(steps - 1) : -1.0 + (2.0 * double(i) + 1.0) / double(steps);
}

OpTestRow affine_grid_row() {
  OpTestRow row;
  row.op = "affine_grid";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out = {
        make_sample("size [2, 1, 3, 4]", {m.make({2, 2, 3})}, dtype, device),
        make_sample("size [1, 3, 4, 2] align_corners, transposed theta", {m.make({1, 2, 3}, {}, Layout::Transposed)},
                    dtype, device),
        make_sample("size [2, 2, 1, 3], step-2 theta", {m.make({2, 2, 3}, {}, Layout::Strided)}, dtype, device),
        make_sample("batch 0", {m.make({0, 2, 3})}, dtype, device),
    };
    const Shape sizes[] = {{2, 1, 3, 4}, {1, 3, 4, 2}, {2, 2, 1, 3}, {0, 1, 2, 2}};
    for (size_t i = 0; i < out.size(); ++i) out[i].dims = sizes[i];
    out[1].flag = true;
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{F::affine_grid(s.inputs[0], s.dims, s.flag)}; };
  row.reference = [](const Sample& s) {
    const RefTensor theta = RefTensor::of(s.inputs[0]);
    const int64_t n = s.dims[0], h = s.dims[2], w = s.dims[3];
    RefTensor grid = RefTensor::filled({n, h, w, 2}, 0.0, theta.dtype);
    for (int64_t b = 0; b < n; ++b)
      for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < w; ++j) {
          const double base[3] = {base_coordinate(j, w, s.flag), base_coordinate(i, h, s.flag), 1.0};
          for (int64_t k = 0; k < 2; ++k) {
            double v = 0;
            for (int64_t c = 0; c < 3; ++c) v += theta.at({b, k, c}) * base[c];
            grid.at({b, i, j, k}) = v;
          }
        }
    return std::vector<RefTensor>{grid};
  };
  row.tolerance = composite_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

void add_functional_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(glu_row());
  rows.push_back(prelu_row());
  rows.push_back(rrelu_row());
  rows.push_back(gumbel_softmax_row());
  rows.push_back(pairwise_distance_row());
  rows.push_back(pixel_shuffle_row(true));
  rows.push_back(pixel_shuffle_row(false));
  rows.push_back(interpolate_row());
  rows.push_back(grid_sample_row());
  rows.push_back(affine_grid_row());
}

REEL_OP_TABLE_ROWS(add_functional_rows);

}  // namespace

}  // namespace reel::test
