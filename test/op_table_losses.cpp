// reel/test/op_table_losses.cpp — op-table rows of the losses issue 16 added to nn::functional (huber,
// hinge_embedding, soft_margin, cosine_embedding, triplet_margin, multi_margin, multilabel_margin, poisson_nll,
// gaussian_nll) and of the top-level ctc_loss. They are Composite rows of tensor/ops.def: the losses are written
// with other ops, and the rows bring them under the table-wide sweeps (every floating dtype, transposed and step-2
// inputs, empty batches, gradcheck and gradgradcheck, CUDA against the CPU).
//
// References: float64 loops written from PyTorch's documented formulas (torch.nn.functional's docs and
// aten/src/ATen/native/Loss.cpp), one per loss below; the CTC one enumerates every alignment
// (test/resample_reference.h). Sample fields: ints[0] = reduction (0 none, 1 mean, 2 sum: at::Reduction's values),
// further ints per row (said at each); scalar = margin / delta / eps where the loss has one. The mean of an empty
// set of losses is NaN, as in PyTorch.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "test/op_table.h"
#include "test/resample_reference.h"

namespace reel::test {

namespace {

namespace F = nn::functional;

nn::Reduction reduction_of(const Sample& s) { return static_cast<nn::Reduction>(s.ints.at(0)); }

// The per-element (or per-sample) losses reduced as the sample asks.
RefTensor ref_reduce(const RefTensor& losses, const Sample& s) {
  const int64_t r = s.ints.at(0);
  if (r == 0) return losses;
  double total = 0;
  for (double v : losses.values) total += v;
  if (r == 1) total = losses.values.empty() ? NAN : total / static_cast<double>(losses.numel());
  return RefTensor({}, {total}, losses.dtype);
}

// A composite rounds after each of its ops: in the 16-bit floats the error is a few of their ulps per op.
Tolerance composite_tolerance(ScalarType dtype) {
  switch (dtype) {
    case kFloat16: return {1e-2, 1e-2};
    case kBFloat16: return {6e-2, 6e-2};
    case kFloat32: return {2e-5, 2e-5};
    default: return {1e-9, 1e-11};
  }
}

// Labels in {1, -1}.
Tensor signs(InputMaker& m, const Shape& shape, Layout layout = Layout::Contiguous) {
  std::vector<double> v(static_cast<size_t>(numel_of(shape)));
  for (double& x : v) x = m.uniform(0, 1) < 0.5 ? -1.0 : 1.0;
  return m.values(shape, v, std::nullopt, layout);
}

Sample with_ints(Sample s, Shape ints, std::optional<Scalar> scalar = std::nullopt) {
  s.ints = std::move(ints);
  s.scalar = scalar;
  return s;
}

// ---- elementwise losses of (input, target) of one shape -------------------------------------------------------
// kind: 0 huber, 1 hinge_embedding, 2 soft_margin, 3 poisson_nll. ints = {reduction, flag a, flag b}
// (poisson: log_input, full); scalar = delta (huber) or margin (hinge).
double elementwise_loss(int kind, double x, double y, const Sample& s) {
  switch (kind) {
    case 0: {
      const double delta = s.scalar ? s.scalar->to<double>() : 1.0, z = std::fabs(x - y);
      return z < delta ? 0.5 * z * z : delta * (z - 0.5 * delta);
    }
    case 1: {
      const double margin = s.scalar ? s.scalar->to<double>() : 1.0;
      return (y != 1.0 ? std::max(0.0, margin - x) : 0.0) + (y != -1.0 ? x : 0.0);
    }
    case 2: return std::log1p(std::exp(-y * x));
    default: {
      const bool log_input = s.ints.at(1) != 0, full = s.ints.at(2) != 0;
      double l = log_input ? std::exp(x) - y * x : x - y * std::log(x + 1e-8);
      if (full && y > 1) l += y * std::log(y) - y + 0.5 * std::log(2 * std::numbers::pi * y);
      return l;
    }
  }
}

OpTestRow elementwise_loss_row(std::string op, int kind) {
  OpTestRow row;
  row.op = std::move(op);
  row.dtypes = kFloatDtypes;
  row.samples = [kind](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain x_domain = kind == 3 ? Domain{0.25, 2.0} : Domain{-2.0, 2.0};
    auto target = [&](const Shape& shape, Layout layout) {
      if (kind == 1) return signs(m, shape, layout);
      return m.make(shape, kind == 3 ? Domain{0.0, 3.0} : Domain{-2.0, 2.0}, layout);
    };
    std::vector<Sample> out;
    const Shape extra = kind == 3 ? Shape{1, 0} : Shape{0, 0};
    auto add = [&](std::string text, const Shape& shape, Layout lx, Layout ly, int64_t reduction,
                   std::optional<Scalar> scalar, Shape flags) {
      Sample s = make_sample(std::move(text), {m.make(shape, x_domain, lx), target(shape, ly)}, dtype, device);
      Shape ints = {reduction};
      ints.insert(ints.end(), flags.begin(), flags.end());
      out.push_back(with_ints(std::move(s), ints, scalar));
    };
    add("[3, 4] mean", {3, 4}, Layout::Contiguous, Layout::Contiguous, 1, std::nullopt, extra);
    add("[4, 3] transposed input, sum", {4, 3}, Layout::Transposed, Layout::Contiguous, 2, std::nullopt, extra);
    add("[2, 5] step-2 target, none", {2, 5}, Layout::Contiguous, Layout::Strided, 0,
        kind <= 1 ? std::optional<Scalar>(Scalar(0.7)) : std::nullopt, kind == 3 ? Shape{0, 1} : extra);
    add("0-dim, none", {}, Layout::Contiguous, Layout::Contiguous, 0, std::nullopt, kind == 3 ? Shape{1, 1} : extra);
    add("[0, 3] mean (NaN)", {0, 3}, Layout::Contiguous, Layout::Contiguous, 1, std::nullopt, extra);
    add("[0] sum", {0}, Layout::Contiguous, Layout::Contiguous, 2, std::nullopt, extra);
    return out;
  };
  row.run = [kind](const Sample& s) {
    const Tensor &x = s.inputs[0], &y = s.inputs[1];
    const nn::Reduction r = reduction_of(s);
    switch (kind) {
      case 0: return std::vector<Tensor>{F::huber_loss(x, y, r, s.scalar ? s.scalar->to<double>() : 1.0)};
      case 1: return std::vector<Tensor>{F::hinge_embedding_loss(x, y, s.scalar ? s.scalar->to<double>() : 1.0, r)};
      case 2: return std::vector<Tensor>{F::soft_margin_loss(x, y, r)};
      default: return std::vector<Tensor>{F::poisson_nll_loss(x, y, s.ints[1] != 0, s.ints[2] != 0, 1e-8, r)};
    }
  };
  row.reference = [kind](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]), y = RefTensor::of(s.inputs[1]);
    RefTensor l = RefTensor::filled(x.shape, 0.0, x.dtype);
    for (size_t i = 0; i < l.values.size(); ++i) l.values[i] = elementwise_loss(kind, x.values[i], y.values[i], s);
    return std::vector<RefTensor>{ref_reduce(l, s)};
  };
  row.tolerance = composite_tolerance;
  row.differentiable = true;
  row.grad_inputs = kind == 0 ? std::vector<int>{0, 1} : std::vector<int>{0};
  return row;
}

// ---- cosine_embedding_loss: inputs (N, D) or (D), target (N) or (); scalar = margin -------------------------------
OpTestRow cosine_embedding_loss_row() {
  OpTestRow row;
  row.op = "cosine_embedding_loss";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string text, Shape shape, Layout layout, int64_t reduction, double margin) {
      const Shape t_shape = shape.size() == 2 ? Shape{shape[0]} : Shape{};
      out.push_back(with_ints(make_sample(std::move(text), {m.make(shape, {}, layout), m.make(shape), signs(m, t_shape)},
                                          dtype, device),
                              {reduction}, Scalar(margin)));
    };
    add("[4, 3] mean", {4, 3}, Layout::Contiguous, 1, 0.0);
    add("[3, 5] transposed input1, margin 0.2, none", {3, 5}, Layout::Transposed, 0, 0.2);
    add("[3, 4] step-2 input1, margin -0.3, sum", {3, 4}, Layout::Strided, 2, -0.3);
    add("[5] one pair, none", {5}, Layout::Contiguous, 0, 0.1);
    add("[0, 3] mean (NaN)", {0, 3}, Layout::Contiguous, 1, 0.0);
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{F::cosine_embedding_loss(s.inputs[0], s.inputs[1], s.inputs[2],
                                                        s.scalar->to<double>(), reduction_of(s))};
  };
  row.reference = [](const Sample& s) {
    const RefTensor a = RefTensor::of(s.inputs[0]), b = RefTensor::of(s.inputs[1]), y = RefTensor::of(s.inputs[2]);
    const int64_t d = a.shape.back(), n = a.numel() / std::max<int64_t>(d, 1);
    const int64_t rows = a.dim() == 2 ? a.shape[0] : 1;
    RefTensor l = RefTensor::filled(y.shape, 0.0, a.dtype);
    for (int64_t r = 0; r < rows && n > 0; ++r) {
      double ab = 0, aa = 0, bb = 0;
      for (int64_t k = 0; k < d; ++k) {
        const double u = a.values[size_t(r * d + k)], v = b.values[size_t(r * d + k)];
        ab += u * v, aa += u * u, bb += v * v;
      }
      const double cos = ab / std::sqrt((aa + 1e-12) * (bb + 1e-12));
      const double label = y.values[size_t(r)];
      l.values[size_t(r)] = label == 1 ? 1 - cos : std::max(0.0, cos - s.scalar->to<double>());
    }
    return std::vector<RefTensor>{ref_reduce(l, s)};
  };
  row.tolerance = composite_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1};
  return row;
}

// ---- triplet_margin_loss: (N, D) or (D) triplets; ints = {reduction, p, swap}, scalar = margin -------------------
double ref_distance(const RefTensor& a, const RefTensor& b, int64_t row, int64_t d, double p) {
  double s = 0;
  for (int64_t k = 0; k < d; ++k)
    s += std::pow(std::fabs(a.values[size_t(row * d + k)] - b.values[size_t(row * d + k)] + 1e-6), p);
  return std::pow(s, 1.0 / p);
}

OpTestRow triplet_margin_loss_row() {
  OpTestRow row;
  row.op = "triplet_margin_loss";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string text, Shape shape, Layout layout, Shape ints, double margin) {
      out.push_back(with_ints(
          make_sample(std::move(text), {m.make(shape), m.make(shape, {}, layout), m.make(shape)}, dtype, device),
          std::move(ints), Scalar(margin)));
    };
    add("[4, 3] p 2, mean", {4, 3}, Layout::Contiguous, {1, 2, 0}, 1.0);
    add("[3, 5] transposed positive, p 1, swap, none", {3, 5}, Layout::Transposed, {0, 1, 1}, 0.5);
    add("[3, 4] step-2 positive, p 3, margin 2, sum", {3, 4}, Layout::Strided, {2, 3, 0}, 2.0);
    add("[4] one triplet, swap, none", {4}, Layout::Contiguous, {0, 2, 1}, 1.5);
    add("[0, 3] mean (NaN)", {0, 3}, Layout::Contiguous, {1, 2, 0}, 1.0);
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{F::triplet_margin_loss(s.inputs[0], s.inputs[1], s.inputs[2], s.scalar->to<double>(),
                                                      static_cast<double>(s.ints[1]), 1e-6, s.ints[2] != 0,
                                                      reduction_of(s))};
  };
  row.reference = [](const Sample& s) {
    const RefTensor a = RefTensor::of(s.inputs[0]), p = RefTensor::of(s.inputs[1]), n = RefTensor::of(s.inputs[2]);
    const int64_t d = a.shape.back(), rows = a.dim() == 2 ? a.shape[0] : 1;
    const double order = static_cast<double>(s.ints[1]);
    RefTensor l = RefTensor::filled(a.dim() == 2 ? Shape{rows} : Shape{}, 0.0, a.dtype);
    for (int64_t r = 0; r < rows; ++r) {
      double d_neg = ref_distance(a, n, r, d, order);
      if (s.ints[2] != 0) d_neg = std::min(d_neg, ref_distance(p, n, r, d, order));
      l.values[size_t(r)] = std::max(0.0, s.scalar->to<double>() + ref_distance(a, p, r, d, order) - d_neg);
    }
    return std::vector<RefTensor>{ref_reduce(l, s)};
  };
  row.tolerance = composite_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2};
  return row;
}

// ---- multi_margin_loss: input (N, C) or (C), int64 target; ints = {reduction, p}, scalar = margin; a fourth input
// (C) is the class weight ------------------------------------------------------------------------------------------
OpTestRow multi_margin_loss_row() {
  OpTestRow row;
  row.op = "multi_margin_loss";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string text, Shape shape, Layout layout, Shape ints, double margin, bool weighted) {
      const int64_t classes = shape.back();
      const Shape t_shape = shape.size() == 2 ? Shape{shape[0]} : Shape{};
      std::vector<Tensor> in = {m.make(shape, {}, layout), m.indices(t_shape, classes)};
      if (weighted) in.push_back(m.make({classes}, {0.5, 2.0}));
      out.push_back(with_ints(make_sample(std::move(text), in, dtype, device), std::move(ints), Scalar(margin)));
    };
    add("[4, 3] p 1, mean", {4, 3}, Layout::Contiguous, {1, 1}, 1.0, false);
    add("[3, 5] transposed, p 2, weight, none", {3, 5}, Layout::Transposed, {0, 2}, 0.5, true);
    add("[3, 4] step-2, p 1, margin 2, weight, sum", {3, 4}, Layout::Strided, {2, 1}, 2.0, true);
    add("[5] one sample, 0-dim target, none", {5}, Layout::Contiguous, {0, 1}, 1.0, false);
    add("[0, 3] mean (NaN)", {0, 3}, Layout::Contiguous, {1, 1}, 1.0, false);
    return out;
  };
  row.run = [](const Sample& s) {
    const Tensor weight = s.inputs.size() > 2 ? s.inputs[2] : Tensor();
    return std::vector<Tensor>{
        F::multi_margin_loss(s.inputs[0], s.inputs[1], s.ints[1], s.scalar->to<double>(), weight, reduction_of(s))};
  };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]), y = RefTensor::of(s.inputs[1]);
    const int64_t c = x.shape.back(), rows = x.dim() == 2 ? x.shape[0] : 1;
    RefTensor l = RefTensor::filled(y.shape, 0.0, x.dtype);
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t label = static_cast<int64_t>(y.values[size_t(r)]);
      const double w = s.inputs.size() > 2 ? RefTensor::of(s.inputs[2]).values[size_t(label)] : 1.0;
      double total = 0;
      for (int64_t i = 0; i < c; ++i) {
        if (i == label) continue;
        const double z = std::max(0.0, s.scalar->to<double>() - x.values[size_t(r * c + label)] + x.values[size_t(r * c + i)]);
        total += w * (s.ints[1] == 2 ? z * z : z);
      }
      l.values[size_t(r)] = total / static_cast<double>(c);
    }
    return std::vector<RefTensor>{ref_reduce(l, s)};
  };
  row.tolerance = composite_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- multilabel_margin_loss: input (N, C) or (C), int64 target of its shape, labels up to the first -1 -------------
OpTestRow multilabel_margin_loss_row() {
  OpTestRow row;
  row.op = "multilabel_margin_loss";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string text, Shape shape, std::vector<double> labels, Layout layout, int64_t reduction) {
      out.push_back(with_ints(
          make_sample(std::move(text), {m.make(shape, {}, layout), m.values(shape, labels, kInt64)}, dtype, device),
          {reduction}));
    };
    add("[2, 4] mean", {2, 4}, {3, 0, -1, 1, 1, 2, 3, -1}, Layout::Contiguous, 1);
    add("[3, 3] transposed, a repeated label, none", {3, 3}, {0, 0, -1, 2, -1, 1, 1, 2, 0}, Layout::Transposed, 0);
    add("[2, 5] step-2, sum", {2, 5}, {4, -1, 0, 0, 0, 0, 1, 2, 3, -1}, Layout::Strided, 2);
    add("[4] one sample, none", {4}, {2, 1, -1, 3}, Layout::Contiguous, 0);
    add("[0, 3] mean (NaN)", {0, 3}, {}, Layout::Contiguous, 1);
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{F::multilabel_margin_loss(s.inputs[0], s.inputs[1], reduction_of(s))};
  };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]), y = RefTensor::of(s.inputs[1]);
    const int64_t c = x.shape.back(), rows = x.dim() == 2 ? x.shape[0] : 1;
    RefTensor l = RefTensor::filled(x.dim() == 2 ? Shape{rows} : Shape{}, 0.0, x.dtype);
    for (int64_t r = 0; r < rows; ++r) {
      std::vector<int64_t> labels;
      for (int64_t j = 0; j < c && y.values[size_t(r * c + j)] >= 0; ++j)
        labels.push_back(static_cast<int64_t>(y.values[size_t(r * c + j)]));
      double total = 0;
      for (int64_t label : labels)
        for (int64_t i = 0; i < c; ++i)
          if (std::find(labels.begin(), labels.end(), i) == labels.end())
            total += std::max(0.0, 1 - (x.values[size_t(r * c + label)] - x.values[size_t(r * c + i)]));
      l.values[size_t(r)] = total / static_cast<double>(c);
    }
    return std::vector<RefTensor>{ref_reduce(l, s)};
  };
  row.tolerance = composite_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- gaussian_nll_loss: (input, target, var); var of the input's shape, without its last dim, or last dim 1;
// ints = {reduction, full}, scalar = eps -------------------------------------------------------------------------
OpTestRow gaussian_nll_loss_row() {
  OpTestRow row;
  row.op = "gaussian_nll_loss";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string text, Shape shape, Shape var_shape, Layout layout, Shape ints, double eps) {
      out.push_back(with_ints(make_sample(std::move(text),
                                          {m.make(shape, {}, layout), m.make(shape), m.make(var_shape, {0.3, 2.0})},
                                          dtype, device),
                              std::move(ints), Scalar(eps)));
    };
    add("[3, 4] var of the input's shape, mean", {3, 4}, {3, 4}, Layout::Contiguous, {1, 0}, 1e-6);
    add("[4, 3] transposed, var [4], full, none", {4, 3}, {4}, Layout::Transposed, {0, 1}, 1e-6);
    add("[2, 5] step-2, var [2, 1], sum", {2, 5}, {2, 1}, Layout::Strided, {2, 0}, 1e-6);
    add("[0, 3] mean (NaN)", {0, 3}, {0, 3}, Layout::Contiguous, {1, 0}, 1e-6);
    Sample clamped = make_sample("var below eps is clamped, none",
                                 {m.make({2, 2}), m.make({2, 2}), m.values({2, 2}, {0.01, 0.5, 0.02, 1.5})}, dtype,
                                 device);
    out.push_back(with_ints(std::move(clamped), {0, 0}, Scalar(0.1)));
    out.back().smooth = false;  // the clamp's kink
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{F::gaussian_nll_loss(s.inputs[0], s.inputs[1], s.inputs[2], s.ints[1] != 0,
                                                    s.scalar->to<double>(), reduction_of(s))};
  };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]), y = RefTensor::of(s.inputs[1]), v = RefTensor::of(s.inputs[2]);
    const int64_t d = x.shape.back();
    const bool per_row = v.numel() != x.numel();  // one variance per row of the last dim
    RefTensor l = RefTensor::filled(x.shape, 0.0, x.dtype);
    for (size_t i = 0; i < l.values.size(); ++i) {
      const double var = std::max(v.values[per_row ? i / size_t(d) : i], s.scalar->to<double>());
      const double diff = x.values[i] - y.values[i];
      l.values[i] = 0.5 * (std::log(var) + diff * diff / var) + (s.ints[1] ? 0.5 * std::log(2 * std::numbers::pi) : 0.0);
    }
    return std::vector<RefTensor>{ref_reduce(l, s)};
  };
  row.tolerance = composite_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2};
  return row;
}

// ---- ctc_loss (top level, integer reduction): logits (T, N, C) through log_softmax, int64 targets; dims = input
// lengths, ints = {reduction, zero_infinity, target lengths...} ----------------------------------------------------
OpTestRow ctc_loss_row() {
  OpTestRow row;
  row.op = "ctc_loss";
  row.dtypes = {kFloat32, kFloat64};
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string text, Shape logits, Tensor targets, Shape input_lengths, Shape ints, Layout layout) {
      out.push_back(make_sample(std::move(text), {m.make(logits, {-2, 2}, layout), targets.to(device)}, dtype, device));
      out.back().dims = std::move(input_lengths);
      out.back().ints = std::move(ints);
    };
    const TensorOptions i64(kInt64);
    add("padded targets, mean", {4, 2, 3}, tensor(std::vector<int64_t>{1, 2, 2, 0}, i64).reshape({2, 2}), {4, 4},
        {1, 0, 2, 1}, Layout::Contiguous);
    add("concatenated targets, shorter input, transposed logits, sum", {5, 2, 3},
        tensor(std::vector<int64_t>{1, 1, 2, 1}, i64), {5, 3}, {2, 0, 2, 2}, Layout::Transposed);
    add("an empty target (mean divides by 1), none", {3, 2, 3}, tensor(std::vector<int64_t>{2, 1, 1, 2}, i64).reshape({2, 2}),
        {3, 2}, {0, 0, 0, 2}, Layout::Strided);
    add("impossible alignment, zero_infinity, none", {2, 1, 3}, tensor(std::vector<int64_t>{1, 1}, i64).reshape({1, 2}),
        {2}, {0, 1, 2}, Layout::Contiguous);
    add("batch 0, sum", {3, 0, 3}, zeros({0}, i64), {}, {2, 0}, Layout::Contiguous);
    return out;
  };
  row.run = [](const Sample& s) {
    const Shape target_lengths(s.ints.begin() + 2, s.ints.end());
    return std::vector<Tensor>{
        ctc_loss(log_softmax(s.inputs[0], 2), s.inputs[1], s.dims, target_lengths, 0, s.ints[0], s.ints[1] != 0)};
  };
  row.reference = [](const Sample& s) {
    const RefTensor logits = RefTensor::of(s.inputs[0]), targets = RefTensor::of(s.inputs[1]);
    const int64_t batch = logits.shape[1], classes = logits.shape[2];
    RefTensor l = RefTensor::filled({batch}, 0.0, logits.dtype);
    int64_t start = 0;
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t length = s.ints[size_t(2 + b)];
      const int64_t first = targets.dim() == 2 ? b * targets.shape[1] : start;
      start += length;
      std::vector<int64_t> target;
      for (int64_t k = 0; k < length; ++k) target.push_back(static_cast<int64_t>(targets.values[size_t(first + k)]));
      auto lp = [&](int64_t t, int64_t c) {
        double mx = -INFINITY, sum = 0;
        for (int64_t j = 0; j < classes; ++j) mx = std::max(mx, logits.values[size_t((t * batch + b) * classes + j)]);
        for (int64_t j = 0; j < classes; ++j) sum += std::exp(logits.values[size_t((t * batch + b) * classes + j)] - mx);
        return logits.values[size_t((t * batch + b) * classes + c)] - mx - std::log(sum);
      };
      double nll = resample_ref::ctc_sample(lp, s.dims[size_t(b)], classes, target, 0).nll;
      if (std::isinf(nll) && s.ints[1] != 0) nll = 0;
      l.values[size_t(b)] = s.ints[0] == 1 ? nll / static_cast<double>(std::max<int64_t>(length, 1)) : nll;
    }
    return std::vector<RefTensor>{ref_reduce(l, s)};
  };
  row.tolerance = composite_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0};
  row.twice_differentiable = false;  // _ctc_loss_backward has no formula (as in PyTorch)
  return row;
}

void add_loss_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(elementwise_loss_row("huber_loss", 0));
  rows.push_back(elementwise_loss_row("hinge_embedding_loss", 1));
  rows.push_back(elementwise_loss_row("soft_margin_loss", 2));
  rows.push_back(elementwise_loss_row("poisson_nll_loss", 3));
  rows.push_back(cosine_embedding_loss_row());
  rows.push_back(triplet_margin_loss_row());
  rows.push_back(multi_margin_loss_row());
  rows.push_back(multilabel_margin_loss_row());
  rows.push_back(gaussian_nll_loss_row());
  rows.push_back(ctc_loss_row());
}

REEL_OP_TABLE_ROWS(add_loss_rows);

}  // namespace

}  // namespace reel::test
