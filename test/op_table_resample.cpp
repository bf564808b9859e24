// reel/test/op_table_resample.cpp — op-table rows of the resampling ops (upsample, upsample_backward,
// grid_sampler_2d, grid_sampler_2d_backward) and the CTC kernels (_ctc_loss, _ctc_loss_backward).
//
// References: test/resample_reference.h (float64 loops from PyTorch's documented rules; the CTC one enumerates every
// alignment). Samples vary the modes, align_corners, given scale factors, up- and downsampling, padding modes, grids
// reaching outside [-1, 1], transposed and step-2 inputs, batch 0; the CTC rows take logits through log_softmax (the
// gradient PyTorch's CTC backward returns is the logits' one, see tensor/ops_ctc.cpp), padded and concatenated
// targets, shorter input lengths, an empty target and an impossible alignment (infinite loss).
// Sample fields: upsample: dims = output (or backward: input) size, ints = {mode, align_corners}, scalar /
// scalar2 = scale_h / scale_w when given. grid: ints = {interpolation, padding, align_corners}. CTC: dims = input
// lengths, ints = target lengths, index = blank.
#include <catch2/catch.hpp>

#include <cmath>

#include "test/op_table.h"
#include "test/resample_reference.h"
#include "tensor/ops_resample.h"

namespace reel::test {

namespace {

namespace R = resample_ref;

UpsampleAttrs upsample_attrs(const Sample& s) {
  return UpsampleAttrs{static_cast<UpsampleMode>(s.ints[0]), s.ints[1] != 0,
                       s.scalar ? s.scalar->to<double>() : 0.0, s.scalar2 ? s.scalar2->to<double>() : 0.0};
}

struct UpsampleCase {
  std::string description;
  Shape x, out;
  int mode;
  bool align;
  double sh = 0, sw = 0;
  Layout layout = Layout::Contiguous;
};
std::vector<UpsampleCase> upsample_cases() {
  return {
      {"nearest 2x3 -> 5x7", {1, 2, 2, 3}, {5, 7}, 0, false},
      {"nearest 5x6 -> 3x4 (downsampling), transposed", {2, 1, 5, 6}, {3, 4}, 0, false, 0, 0, Layout::Transposed},
      {"nearest scale 2 given", {1, 1, 3, 2}, {6, 4}, 0, false, 2.0, 2.0},
      {"bilinear 3x4 -> 5x7", {1, 2, 3, 4}, {5, 7}, 1, false},
      {"bilinear align_corners 3x4 -> 5x6", {1, 1, 3, 4}, {5, 6}, 1, true},
      {"bilinear 6x5 -> 4x3, step-2 input", {1, 2, 6, 5}, {4, 3}, 1, false, 0, 0, Layout::Strided},
      {"bilinear scale 2.5 given (5x5 from 2x2)", {1, 1, 2, 2}, {5, 5}, 1, false, 2.5, 2.5},
      {"bicubic 3x3 -> 5x6", {1, 1, 3, 3}, {5, 6}, 2, false},
      {"bicubic align_corners 4x3 -> 6x5", {1, 2, 4, 3}, {6, 5}, 2, true},
      {"linear 1x1 -> 3x2", {1, 1, 1, 1}, {3, 2}, 1, false},
      {"batch 0", {0, 2, 3, 3}, {4, 4}, 1, false},
  };
}
void set_upsample_fields(Sample& s, const UpsampleCase& k) {
  s.ints = {k.mode, k.align ? 1 : 0};
  if (k.sh > 0) s.scalar = Scalar(k.sh);
  if (k.sw > 0) s.scalar2 = Scalar(k.sw);
}

OpTestRow upsample_row() {
  OpTestRow row;
  row.op = "upsample";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const UpsampleCase& k : upsample_cases()) {
      out.push_back(make_sample(k.description, {m.make(k.x, {}, k.layout)}, dtype, device));
      set_upsample_fields(out.back(), k);
      out.back().dims = k.out;
    }
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{detail::upsample(s.inputs[0], s.dims, upsample_attrs(s))}; };
  row.reference = [](const Sample& s) {
    const UpsampleAttrs a = upsample_attrs(s);
    return std::vector<RefTensor>{R::upsample(RefTensor::of(s.inputs[0]), s.dims[0], s.dims[1], s.ints[0],
                                              a.align_corners, a.scale_h, a.scale_w)};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

OpTestRow upsample_backward_row() {
  OpTestRow row;
  row.op = "upsample_backward";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const UpsampleCase& k : upsample_cases()) {
      out.push_back(make_sample(k.description, {m.make({k.x[0], k.x[1], k.out[0], k.out[1]}, {}, k.layout)}, dtype,
                                device));
      set_upsample_fields(out.back(), k);
      out.back().dims = k.x;
    }
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{detail::upsample_backward(s.inputs[0], s.dims, upsample_attrs(s))};
  };
  row.reference = [](const Sample& s) {
    const UpsampleAttrs a = upsample_attrs(s);
    return std::vector<RefTensor>{
        R::upsample_backward(RefTensor::of(s.inputs[0]), s.dims, s.ints[0], a.align_corners, a.scale_h, a.scale_w)};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// ---- grid_sample -------------------------------------------------------------------------------------------------
struct GridCase {
  std::string description;
  Shape x, grid;
  int interp, padding;
  bool align;
  Layout layout = Layout::Contiguous;
};
std::vector<GridCase> grid_cases() {
  return {
      {"bilinear zeros", {1, 2, 3, 4}, {1, 2, 3, 2}, 0, 0, false},
      {"bilinear zeros align_corners", {2, 1, 4, 3}, {2, 3, 2, 2}, 0, 0, true},
      {"bilinear border", {1, 2, 3, 3}, {1, 2, 4, 2}, 0, 1, false},
      {"bilinear reflection", {1, 1, 4, 5}, {1, 3, 3, 2}, 0, 2, false},
      {"bilinear reflection align_corners, transposed input", {1, 2, 4, 4}, {1, 2, 2, 2}, 0, 2, true,
       Layout::Transposed},
      {"nearest zeros", {1, 2, 3, 4}, {1, 3, 2, 2}, 1, 0, false},
      {"nearest border align_corners", {1, 1, 5, 4}, {1, 2, 3, 2}, 1, 1, true},
      {"nearest reflection, step-2 input", {1, 2, 3, 4}, {1, 2, 2, 2}, 1, 2, false, Layout::Strided},
      {"batch 0", {0, 2, 3, 3}, {0, 2, 2, 2}, 0, 0, false},
  };
}

OpTestRow grid_sampler_2d_row() {
  OpTestRow row;
  row.op = "grid_sampler_2d";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const GridCase& k : grid_cases()) {
      out.push_back(make_sample(k.description, {m.make(k.x, {}, k.layout), m.make(k.grid, {-1.3, 1.3})}, dtype, device));
      out.back().ints = {k.interp, k.padding, k.align ? 1 : 0};
      out.back().smooth = k.interp == 0;  // nearest jumps between pixels: no finite differences across a jump
    }
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{grid_sampler_2d(s.inputs[0], s.inputs[1], s.ints[0], s.ints[1], s.ints[2] != 0)};
  };
  row.reference = [](const Sample& s) {
    return std::vector<RefTensor>{R::grid_sample(RefTensor::of(s.inputs[0]), RefTensor::of(s.inputs[1]),
                                                 int(s.ints[0]), int(s.ints[1]), s.ints[2] != 0)};
  };
  row.differentiable = true;
  row.grad_inputs = {0, 1};
  row.twice_differentiable = false;  // grid_sampler_2d_backward has no formula (as in PyTorch)
  return row;
}

OpTestRow grid_sampler_2d_backward_row() {
  OpTestRow row;
  row.op = "grid_sampler_2d_backward";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    for (const GridCase& k : grid_cases()) {
      const Shape g{k.x[0], k.x[1], k.grid[1], k.grid[2]};
      out.push_back(make_sample(k.description, {m.make(g), m.make(k.x, {}, k.layout), m.make(k.grid, {-1.3, 1.3})},
                                dtype, device));
      out.back().ints = {k.interp, k.padding, k.align ? 1 : 0};
    }
    return out;
  };
  row.run = [](const Sample& s) {
    auto [dx, dgrid] = grid_sampler_2d_backward(s.inputs[0], s.inputs[1], s.inputs[2], s.ints[0], s.ints[1],
                                                s.ints[2] != 0);
    return std::vector<Tensor>{dx, dgrid};
  };
  row.reference = [](const Sample& s) {
    auto [dx, dgrid] = R::grid_sample_backward(RefTensor::of(s.inputs[0]), RefTensor::of(s.inputs[1]),
                                               RefTensor::of(s.inputs[2]), int(s.ints[0]), int(s.ints[1]),
                                               s.ints[2] != 0);
    return std::vector<RefTensor>{dx, dgrid};
  };
  // dgrid's reference is a central difference (step 1e-6) of the float64 reference: about 1e-9 of noise
  row.tolerance = [](ScalarType t) {
    Tolerance tol = default_tolerance(t);
    tol.atol = std::max(tol.atol, 1e-7);
    return tol;
  };
  return row;
}

// ---- CTC -----------------------------------------------------------------------------------------------------------
struct CtcCase {
  std::string description;
  int64_t frames, batch, classes;
  Shape input_lengths, target_lengths;
  std::vector<int64_t> targets;  // padded (batch, S) when padded, else concatenated
  bool padded;
  int64_t blank = 0;
  Layout layout = Layout::Contiguous;
};
std::vector<CtcCase> ctc_cases() {
  return {
      {"padded targets", 4, 2, 3, {4, 4}, {2, 1}, {1, 2, 2, 0}, true},
      {"concatenated targets, shorter input", 5, 2, 3, {5, 3}, {2, 2}, {1, 1, 2, 1}, false},
      {"blank 2, transposed logits", 4, 2, 3, {4, 4}, {1, 2}, {0, 0, 1, 0}, true, 2, Layout::Transposed},
      {"empty target", 3, 1, 3, {3}, {0}, {1}, true},
      {"impossible alignment (a repeated label needs 3 frames)", 2, 1, 3, {2}, {2}, {1, 1}, true},
      {"batch 0", 3, 0, 3, {}, {}, {}, false},
  };
}

Tensor ctc_targets(const CtcCase& k, Device device) {
  Tensor t = tensor(k.targets, TensorOptions(kInt64));
  if (k.padded && k.batch > 0) t = t.reshape({k.batch, static_cast<int64_t>(k.targets.size()) / k.batch});
  if (k.targets.empty()) t = zeros({0}, TensorOptions(kInt64));
  return t.to(device);
}

// The target of sample b: padded row b or the b-th run of the concatenation.
std::vector<int64_t> target_of(const Sample& s, const Tensor& targets, int64_t b) {
  const RefTensor t = RefTensor::of(targets);
  int64_t start = 0;
  if (t.dim() == 2) {
    start = b * t.shape[1];
  } else {
    for (int64_t i = 0; i < b; ++i) start += s.ints[size_t(i)];
  }
  std::vector<int64_t> out;
  for (int64_t k = 0; k < s.ints[size_t(b)]; ++k) out.push_back(int64_t(t.values[size_t(start + k)]));
  return out;
}

// log_softmax over classes of the (T, N, C) logits, in float64
std::function<double(int64_t, int64_t)> ref_log_probs(const RefTensor& logits, int64_t b) {
  const int64_t n = logits.shape[1], c = logits.shape[2];
  return [=](int64_t t, int64_t k) {
    double m = -INFINITY, s = 0;
    for (int64_t j = 0; j < c; ++j) m = std::max(m, logits.values[size_t((t * n + b) * c + j)]);
    for (int64_t j = 0; j < c; ++j) s += std::exp(logits.values[size_t((t * n + b) * c + j)] - m);
    return logits.values[size_t((t * n + b) * c + k)] - m - std::log(s);
  };
}

std::vector<Sample> ctc_samples(ScalarType dtype, Device device, bool with_grad) {
  InputMaker m(dtype, device);
  std::vector<Sample> out;
  for (const CtcCase& k : ctc_cases()) {
    std::vector<Tensor> inputs = {m.make({k.frames, k.batch, k.classes}, {-2, 2}, k.layout), ctc_targets(k, device)};
    if (with_grad) inputs.insert(inputs.begin(), m.make({k.batch}, {0.5, 1.5}));
    out.push_back(make_sample(k.description, inputs, dtype, device));
    out.back().dims = k.input_lengths;
    out.back().ints = k.target_lengths;
    out.back().index = k.blank;
    out.back().smooth = k.description.find("impossible") == std::string::npos;
  }
  return out;
}

OpTestRow ctc_loss_row() {
  OpTestRow row;
  row.op = "_ctc_loss";
  row.dtypes = {kFloat32, kFloat64};
  row.samples = [](ScalarType dtype, Device device) { return ctc_samples(dtype, device, false); };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{
        std::get<0>(_ctc_loss(log_softmax(s.inputs[0], 2), s.inputs[1], s.dims, s.ints, s.index))};
  };
  row.reference = [](const Sample& s) {
    const RefTensor logits = RefTensor::of(s.inputs[0]);
    const int64_t batch = logits.shape[1];
    RefTensor nll = RefTensor::filled({batch}, 0.0, logits.dtype);
    for (int64_t b = 0; b < batch; ++b)
      nll.values[size_t(b)] = R::ctc_sample(ref_log_probs(logits, b), s.dims[size_t(b)], logits.shape[2],
                                            target_of(s, s.inputs[1], b), s.index).nll;
    return std::vector<RefTensor>{nll};
  };
  // log_alpha: (N, T, 2 max target + 1), and -nll is the log-sum-exp of the last frame's two end states
  row.check = [](const Sample& s, const std::vector<Tensor>&) {
    const Tensor lp = log_softmax(s.inputs[0], 2);
    auto [nll, log_alpha] = _ctc_loss(lp, s.inputs[1], s.dims, s.ints, s.index);
    int64_t longest = 0;
    for (int64_t l : s.ints) longest = std::max(longest, l);
    CHECK(log_alpha.sizes() == IntList({lp.size(1), lp.size(0), 2 * longest + 1}));
    const RefTensor alpha = RefTensor::of(log_alpha), loss = RefTensor::of(nll);
    for (int64_t b = 0; b < lp.size(1); ++b) {
      const int64_t t = s.dims[size_t(b)] - 1, last = 2 * s.ints[size_t(b)];
      const double a = alpha.at({b, t, last}), c = last > 0 ? alpha.at({b, t, last - 1}) : -INFINITY;
      const double m = std::max(a, c);
      const double total = std::isinf(m) ? m : m + std::log(std::exp(a - m) + std::exp(c - m));
      if (std::isinf(total)) {
        CHECK(loss.values[size_t(b)] == -total);  // an impossible alignment: both infinite
      } else {
        CHECK(std::fabs(-total - loss.values[size_t(b)]) <= 1e-4 * (1 + std::fabs(total)));
      }
    }
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  row.twice_differentiable = false;  // _ctc_loss_backward has no formula (as in PyTorch)
  return row;
}

OpTestRow ctc_loss_backward_row() {
  OpTestRow row;
  row.op = "_ctc_loss_backward";
  row.dtypes = {kFloat32, kFloat64};
  row.samples = [](ScalarType dtype, Device device) { return ctc_samples(dtype, device, true); };
  row.run = [](const Sample& s) {
    const Tensor lp = log_softmax(s.inputs[1], 2);
    auto [nll, log_alpha] = _ctc_loss(lp, s.inputs[2], s.dims, s.ints, s.index);
    return std::vector<Tensor>{
        _ctc_loss_backward(s.inputs[0], lp, s.inputs[2], s.dims, s.ints, nll, log_alpha, s.index)};
  };
  // g_b (e^lp - gamma) for t < T_b, 0 after; gamma the alignments' occupancy
  row.reference = [](const Sample& s) {
    const RefTensor g = RefTensor::of(s.inputs[0]), logits = RefTensor::of(s.inputs[1]);
    const int64_t frames = logits.shape[0], batch = logits.shape[1], classes = logits.shape[2];
    RefTensor out = RefTensor::filled(logits.shape, 0.0, logits.dtype);
    for (int64_t b = 0; b < batch; ++b) {
      const auto lp = ref_log_probs(logits, b);
      const int64_t tb = s.dims[size_t(b)];
      const R::CtcSampleRef r = R::ctc_sample(lp, tb, classes, target_of(s, s.inputs[2], b), s.index);
      for (int64_t t = 0; t < std::min(tb, frames); ++t)
        for (int64_t c = 0; c < classes; ++c)
          out.values[size_t((t * batch + b) * classes + c)] =
              g.values[size_t(b)] * (std::exp(lp(t, c)) - (std::isinf(r.nll) ? NAN : r.gamma[size_t(t)][size_t(c)]));
    }
    return std::vector<RefTensor>{out};
  };
  return row;
}

void add_resample_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(upsample_row());
  rows.push_back(upsample_backward_row());
  rows.push_back(grid_sampler_2d_row());
  rows.push_back(grid_sampler_2d_backward_row());
  rows.push_back(ctc_loss_row());
  rows.push_back(ctc_loss_backward_row());
}

}  // namespace

REEL_OP_TABLE_ROWS(add_resample_rows);

}  // namespace reel::test
