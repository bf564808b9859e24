// reel/test/op_table_ctc.cpp — the op-table row of cuDNN's CTC (_cudnn_ctc_loss, ops.def family Cudnn).
//
// On CUDA in a build that links cuDNN, the row runs the op on log_softmax outputs and compares both outputs — the
// negative log likelihood and the gradient cuDNN computes in the forward — with the float64 reference of
// test/resample_reference.h, which enumerates every alignment: nll = -ln p(target), grad = e^lp - occupancy for
// every frame; an impossible alignment gives an infinite nll and NaN gradients, as the recursion does.
// Its check then runs the backward formula (weights per sample, with and without zero_infinity) and compares it with
// _ctc_loss_backward's gradient. Elsewhere (the CPU, a build without cuDNN) the row checks that the op refuses with a
// reel::Error naming it, and returns nothing. Samples: distinct and repeated labels, transposed log_probs, an empty
// target, an impossible alignment, batch 0 (every input length T: the op takes no other). Sample fields: dims =
// input lengths, ints = target lengths; targets are int32 on the CPU on every device, as cuDNN's CTC takes them.
// Not gradchecked by finite differences (float32 only; test/op_table.cpp registers no [gradcheck] case for it).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "autograd/autograd.h"
#include "test/op_table.h"
#include "test/resample_reference.h"

namespace reel::test {

namespace {

namespace R = resample_ref;

// Whether the op can run on this sample's device: CUDA in a build linking cuDNN.
bool cudnn_runs(const Sample& s) { return s.device.is_cuda() && cuda::cudnn_is_available(); }

struct CudnnCtcCase {
  std::string description;
  int64_t frames, batch, classes;
  Shape input_lengths, target_lengths;
  std::vector<int64_t> targets;  // concatenated
  Layout layout = Layout::Contiguous;
};

std::vector<CudnnCtcCase> cudnn_ctc_cases() {
  return {
      {"two samples, distinct labels", 4, 2, 4, {4, 4}, {2, 1}, {1, 2, 3}},
      {"repeated label, transposed log_probs", 4, 2, 3, {4, 4}, {2, 2}, {1, 1, 2, 1}, Layout::Transposed},
      {"three samples, longer input", 5, 3, 3, {5, 5, 5}, {2, 1, 3}, {2, 1, 2, 1, 2, 2}},
      {"empty target", 3, 1, 3, {3}, {0}, {}},
      {"impossible alignment (a repeated label needs 3 frames)", 2, 1, 3, {2}, {2}, {1, 1}},
      {"batch 0", 3, 0, 3, {}, {}, {}},
  };
}

std::vector<Sample> cudnn_ctc_samples(ScalarType dtype, Device device) {
  InputMaker m(dtype, device);
  std::vector<Sample> out;
  for (const CudnnCtcCase& k : cudnn_ctc_cases()) {
    const Tensor targets = k.targets.empty() ? zeros({0}, TensorOptions(kInt32))
                                             : tensor(k.targets, TensorOptions(kInt64)).to(kInt32);
    out.push_back(make_sample(k.description, {m.make({k.frames, k.batch, k.classes}, {-2, 2}, k.layout), targets},
                              dtype, device));
    out.back().dims = k.input_lengths;
    out.back().ints = k.target_lengths;
    out.back().smooth = k.description.find("impossible") == std::string::npos;
  }
  return out;
}

// log_softmax of the sample's logits, laid out as the logits are (a transposed sample stays non-contiguous).
Tensor log_probs_of(const Sample& s) {
  const Tensor lp = log_softmax(s.inputs[0], 2);
  return s.inputs[0].is_contiguous() ? lp : lp.transpose(0, 1).contiguous().transpose(0, 1);
}

// The b-th run of the concatenated targets.
std::vector<int64_t> target_of(const Sample& s, int64_t b) {
  const RefTensor t = RefTensor::of(s.inputs[1]);
  int64_t start = 0;
  for (int64_t i = 0; i < b; ++i) start += s.ints[size_t(i)];
  std::vector<int64_t> out;
  for (int64_t k = 0; k < s.ints[size_t(b)]; ++k) out.push_back(int64_t(t.values[size_t(start + k)]));
  return out;
}

// log_softmax over the classes of the (T, N, C) logits, in float64
std::function<double(int64_t, int64_t)> ref_log_probs(const RefTensor& logits, int64_t b) {
  const int64_t n = logits.shape[1], c = logits.shape[2];
  return [=](int64_t t, int64_t k) {
    double m = -INFINITY, sum = 0;
    for (int64_t j = 0; j < c; ++j) m = std::max(m, logits.values[size_t((t * n + b) * c + j)]);
    for (int64_t j = 0; j < c; ++j) sum += std::exp(logits.values[size_t((t * n + b) * c + j)] - m);
    return logits.values[size_t((t * n + b) * c + k)] - m - std::log(sum);
  };
}

// The recursion's (nll, weights_b (e^lp - occupancy)) for the sample: what the cuDNN path must reproduce.
std::tuple<Tensor, Tensor> ctc_reference_gradient(const Sample& s, const Tensor& lp, const Tensor& weights) {
  const Tensor targets = s.inputs[1].to(kInt64);
  auto [nll, log_alpha] = _ctc_loss(lp.detach(), targets, s.dims, s.ints, 0, false);
  return {nll, _ctc_loss_backward(weights, lp.detach(), targets, s.dims, s.ints, nll, log_alpha, 0, false)};
}

OpTestRow cudnn_ctc_loss_row() {
  OpTestRow row;
  row.op = "_cudnn_ctc_loss";
  row.dtypes = {kFloat32};
  row.samples = cudnn_ctc_samples;
  row.run = [](const Sample& s) -> std::vector<Tensor> {
    if (!cudnn_runs(s)) return {};  // the check below asserts the refusal
    auto [nll, grad] = _cudnn_ctc_loss(log_probs_of(s), s.inputs[1], s.dims, s.ints, 0, true, false);
    return {nll, grad};
  };
  row.reference = [](const Sample& s) -> std::vector<RefTensor> {
    if (!cudnn_runs(s)) return {};
    const RefTensor logits = RefTensor::of(s.inputs[0]);
    const int64_t frames = logits.shape[0], batch = logits.shape[1], classes = logits.shape[2];
    RefTensor nll = RefTensor::filled({batch}, 0.0, kFloat32);
    RefTensor grad = RefTensor::filled(logits.shape, 0.0, kFloat32);
    for (int64_t b = 0; b < batch; ++b) {
      const auto lp = ref_log_probs(logits, b);
      const int64_t tb = s.dims[size_t(b)];
      const R::CtcSampleRef r = R::ctc_sample(lp, tb, classes, target_of(s, b), 0);
      nll.values[size_t(b)] = r.nll;
      for (int64_t t = 0; t < std::min(tb, frames); ++t)
        for (int64_t c = 0; c < classes; ++c)
          grad.values[size_t((t * batch + b) * classes + c)] =
              std::isinf(r.nll) ? NAN : std::exp(lp(t, c)) - r.gamma[size_t(t)][size_t(c)];
    }
    return {nll, grad};
  };
  // cuDNN sums alignments its own way: float32 agreement a little looser than the recursion's
  row.tolerance = [](ScalarType) { return Tolerance{1e-4, 1e-5}; };
  row.check = [](const Sample& s, const std::vector<Tensor>&) {
    if (!cudnn_runs(s)) {
      CHECK_THROWS_WITH(_cudnn_ctc_loss(log_probs_of(s), s.inputs[1], s.dims, s.ints, 0, true, false),
                        Catch::Contains("_cudnn_ctc_loss") &&
                            (Catch::Contains("CUDA tensor") || Catch::Contains("does not link cuDNN")));
      return;
    }
    // the backward formula: d lp = w_b grad, and with zero_infinity 0 for the impossible sample
    const int64_t batch = s.inputs[0].size(1);
    std::vector<double> w;
    for (int64_t b = 0; b < batch; ++b) w.push_back(1.0 + 0.5 * double(b));
    const Tensor weights = tensor(w, TensorOptions(kFloat32));
    const Tensor lp = log_probs_of(s).detach();
    auto [ref_nll, ref_grad] = ctc_reference_gradient(s, lp, weights.to(s.device));
    for (bool zero_infinity : {false, true}) {
      INFO("zero_infinity " << zero_infinity);
      const Tensor leaf = lp.clone().requires_grad_(true);
      const Tensor nll = std::get<0>(_cudnn_ctc_loss(leaf, s.inputs[1], s.dims, s.ints, 0, true, zero_infinity));
      if (batch == 0) continue;
      CHECK(nll.requires_grad());
      autograd::backward({nll}, {weights.to(s.device)});
      Tensor expected = ref_grad;
      if (zero_infinity)
        expected = where(eq(ref_nll, std::numeric_limits<double>::infinity()).reshape({1, batch, 1}), Scalar(0.0),
                         ref_grad);
      const std::string diff =
          compare_values(leaf.grad().to_vector<double>(), RefTensor::of(expected), Tolerance{1e-4, 1e-5});
      if (!diff.empty()) FAIL_CHECK("gradient through the backward formula: " << diff);
    }
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  row.twice_differentiable = false;  // the formula refuses create_graph, as _ctc_loss's does
  return row;
}

void add_cudnn_ctc_rows(std::vector<OpTestRow>& rows) { rows.push_back(cudnn_ctc_loss_row()); }

}  // namespace

REEL_OP_TABLE_ROWS(add_cudnn_ctc_rows);

}  // namespace reel::test
