// reel/test/test_op_gradients.cpp — gradient checks driven by the op table: one Catch test case per
// differentiable OpTestRow ("grad/<op>", tag [gradcheck]), registered with the rows (see op_table.h).
//
// For each row the harness takes the samples the row makes for float64 (or, for a row without float64, its
// first floating dtype), and for every sample that is smooth, non-empty and small:
//   * copies each floating input to float64 with the same sizes, strides and storage offset (over a float64
//     copy of its whole storage), so transposed and step-2 inputs stay non-contiguous and as_strided reads
//     the same storage; an input that overlaps itself (stride 0, e.g. expanded) becomes a contiguous copy,
//     since perturbing one of its elements would move several; an input given twice stays one tensor;
//   * marks the floating inputs listed in the row's grad_inputs as requiring grad;
//   * checks that every floating output was recorded (requires grad), then runs
//     reel::autograd::gradcheck on fn(inputs) = the row's op on the sample with those inputs.
// Samples are skipped when marked not smooth, when an input or every floating output is empty, when an
// output is not float64 (finite differences in a narrower dtype are too coarse) or not finite, or when the
// perturbed inputs or the floating outputs exceed kMaxElements (the check costs one backward pass per output
// element and two forward passes per input element). A row must keep at least one checked sample, and at
// least one with a non-contiguous perturbed input: when its own samples have none, the harness re-lays the
// inputs of a checked sample out as step-2 views and checks that too.
// gradgradcheck (second derivatives through create_graph) runs on up to two checked samples per row with at
// most kMaxGradgradElements input and output elements (one of them with a non-contiguous or broadcast input
// when the row has one); every elementwise row, the reductions, mm/bmm/addmm/matmul and softmax/log_softmax
// must have such a sample.
// Every checked sample also checks gradient accumulation (check_accumulation): two backward passes add up to the
// two gradients computed apart, .grad has the leaf's layout and its own memory, and editing it changes nothing else.
// With a CUDA device, every checked sample is also run on CUDA (the same float64 values, moved) and its analytic
// gradients for random output weights are compared with the CPU's: the backward formulas then run CUDA kernels.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "autograd/autograd.h"
#include "autograd/derivatives.h"
#include "autograd/gradcheck.h"
#include "test/op_table.h"

namespace reel::test {

namespace {

constexpr int64_t kMaxElements = 64;         // per sample: perturbed input elements, and floating output elements
constexpr int64_t kMaxGradgradElements = 48;  // gradgradcheck: perturbed inputs plus output weights
constexpr int kGradgradSamples = 2;

// The rows that must get a gradgradcheck (every other row gets one too when it has a small enough sample).
bool requires_gradgradcheck(const OpTestRow& row) {
  static const std::set<std::string> ops = {"sum",  "prod", "amax", "amin",  "max",    "min",     "var",
                                            "norm", "mean", "std",  "logsumexp", "mm",  "bmm",     "addmm",
                                            "matmul", "softmax", "log_softmax", "where", "clamp"};
  if (ops.count(row.op)) return true;
  for (const OpInfo& info : kOpInfos) {
    if (info.name != row.op) continue;
    return info.family == OpFamily::Unary || info.family == OpFamily::Binary ||
           info.family == OpFamily::FusedBackward;
  }
  return false;
}

bool overlaps_itself(const Tensor& t) {
  for (int64_t d = 0; d < t.dim(); ++d)
    if (t.size(d) > 1 && t.stride(d) == 0) return true;
  return false;
}

// A float64 copy of `t` with t's sizes, strides and storage offset, over a float64 copy of t's whole storage.
Tensor float64_with_layout(const Tensor& t) {
  if (overlaps_itself(t)) return t.to(kFloat64).contiguous().clone();
  const int64_t elements = static_cast<int64_t>(t.storage()->nbytes) / t.element_size();
  Tensor storage = Tensor::make_view(t, {elements}, {1}, 0).to(kFloat64).clone();
  return Tensor::make_view(storage, t.sizes(), t.strides(), t.storage_offset());
}

// A float64 copy of `t` laid out as a step-2 view along its last dim of size > 1 (t itself when it has none).
Tensor step2_copy(const Tensor& t) {
  int64_t dim = t.dim() - 1;
  while (dim >= 0 && t.size(dim) <= 1) --dim;
  if (dim < 0) return t;
  DimVector base_shape(t.sizes());
  base_shape[static_cast<size_t>(dim)] *= 2;
  Tensor base = zeros(base_shape, kFloat64);
  Tensor view = base.slice(dim, 0, std::nullopt, 2);
  {
    NoGradGuard no_grad;
    view.copy_(t.detach());
  }
  return Tensor::make_view(base, view.sizes(), view.strides(), view.storage_offset());
}

std::string context(const OpTestRow& row, const Sample& sample) {
  std::ostringstream os;
  os << "op " << row.op << ", sample '" << sample.description << "' (float64 inputs: " << describe_inputs(sample)
     << ")";
  return os.str();
}

std::vector<Tensor> floating_outputs(const OpTestRow& row, const Sample& sample) {
  std::vector<Tensor> out;
  for (Tensor& t : row.run(sample))
    if (t.defined() && t.is_floating_point()) out.push_back(std::move(t));
  return out;
}

int64_t total_numel(const std::vector<Tensor>& tensors) {
  int64_t n = 0;
  for (const Tensor& t : tensors) n += t.numel();
  return n;
}

// One sample ready for gradcheck: float64 inputs, the perturbed ones requiring grad.
struct GradSample {
  Sample original;              // as the row made it
  Sample sample;
  std::vector<Tensor> checked;  // the inputs that require grad (each once)
  int64_t input_elements = 0;
  int64_t output_elements = 0;
  bool non_contiguous = false;  // a perturbed input is non-contiguous
  bool broadcast = false;       // the inputs' shapes differ
};

// Makes `sample` ready for gradcheck, or returns why it is not usable (then `ready` is left unspecified).
// `relayout` re-lays the perturbed inputs out as step-2 views.
std::string prepare(const OpTestRow& row, const Sample& sample, GradSample& ready, bool relayout = false) {
  if (!sample.smooth) return "not smooth";
  ready = GradSample{sample, sample};
  std::vector<Tensor>& inputs = ready.sample.inputs;
  std::set<size_t> perturbed;
  for (int i : row.grad_inputs) {
    const size_t k = static_cast<size_t>(i);
    if (k < inputs.size() && inputs[k].defined() && inputs[k].is_floating_point()) perturbed.insert(k);
  }
  if (perturbed.empty()) return "no floating input to perturb";
  for (const Tensor& t : inputs)
    if (t.defined() && t.numel() == 0) return "size-0 input";
  // Copy the floating inputs; an input given twice stays one tensor, other inputs sharing storage get their own.
  std::map<const TensorImpl*, Tensor> copies;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor& t = inputs[i];
    if (!t.defined() || !t.is_floating_point()) continue;
    auto it = copies.find(t.impl());
    if (it != copies.end()) {
      t = it->second;
      continue;
    }
    Tensor copy = relayout && perturbed.count(i) ? step2_copy(t.to(kFloat64)) : float64_with_layout(t);
    copies.emplace(t.impl(), copy);
    t = copy;
  }
  std::set<const TensorImpl*> seen;
  for (size_t i : perturbed) {
    Tensor& t = inputs[i];
    if (!seen.insert(t.impl()).second) continue;
    t.requires_grad_(true);
    ready.checked.push_back(t);
    ready.input_elements += t.numel();
    ready.non_contiguous = ready.non_contiguous || !t.is_contiguous();
  }
  for (const Tensor& t : inputs)
    if (t.defined() && t.sizes() != inputs[0].sizes()) ready.broadcast = true;
  if (ready.input_elements > kMaxElements) return "too large: more than " + std::to_string(kMaxElements) + " input elements";
  return "";
}

// Runs the op once; returns why the sample is not usable ("" when it is) and fails the test when an output
// that should carry a gradient does not.
std::string check_outputs(const OpTestRow& row, GradSample& ready) {
  std::vector<Tensor> outputs = floating_outputs(row, ready.sample);
  if (outputs.empty()) return "no floating output";
  ready.output_elements = total_numel(outputs);
  if (ready.output_elements == 0) return "empty outputs";
  if (ready.output_elements > kMaxElements)
    return "too large: more than " + std::to_string(kMaxElements) + " output elements";
  for (const Tensor& out : outputs) {
    if (out.dtype() != kFloat64) return "a " + std::string(dtype_name(out.dtype())) + " output";
    for (double v : out.detach().to_vector<double>())
      if (!std::isfinite(v)) return "a non-finite output";
  }
  for (size_t j = 0; j < outputs.size(); ++j) {
    if (outputs[j].requires_grad()) continue;
    INFO(context(row, ready.sample));
    FAIL_CHECK("floating output " << j << " does not require grad: the op recorded no node although input(s) "
                                     "require grad");
    return "not recorded";
  }
  return "";
}

// Outputs that share storage with an input are cloned (a differentiable copy). gradcheck perturbs an input in
// place, runs fn, and reads the output only after perturbing the input the other way: an output aliasing the
// input (a view, or add's first derivative, which is the output weight itself) would read back the second
// perturbation and give a numeric derivative of 0. Remove once autograd/gradcheck.cpp copies its outputs.
std::vector<Tensor> without_aliases(std::vector<Tensor> outputs, const std::vector<Tensor>& inputs) {
  for (Tensor& out : outputs) {
    for (const Tensor& in : inputs) {
      if (in.defined() && out.storage().get() == in.storage().get()) {
        out = out.clone();
        break;
      }
    }
  }
  return outputs;
}

autograd::GradcheckFn op_function(const OpTestRow& row, const Sample& sample) {
  return [&row, sample](const std::vector<Tensor>& inputs) {
    Sample s = sample;
    s.inputs = inputs;
    return without_aliases(floating_outputs(row, s), inputs);
  };
}

// Second derivatives as autograd::gradgradcheck checks them — gradcheck of (inputs, v) -> grad(fn(inputs),
// inputs, v, create_graph) for random output weights v — with first derivatives that alias an input cloned
// (see without_aliases).
autograd::GradcheckResult second_order_check(const autograd::GradcheckFn& fn, const std::vector<Tensor>& inputs) {
  std::vector<Tensor> all = inputs;
  for (const Tensor& out : fn(inputs)) all.push_back(randn(out.sizes(), kFloat64).requires_grad_(true));
  const size_t n_inputs = inputs.size();
  autograd::GradcheckFn first_derivative = [&fn, n_inputs](const std::vector<Tensor>& xs_and_vs) {
    const std::vector<Tensor> xs(xs_and_vs.begin(), xs_and_vs.begin() + static_cast<std::ptrdiff_t>(n_inputs));
    const std::vector<Tensor> vs(xs_and_vs.begin() + static_cast<std::ptrdiff_t>(n_inputs), xs_and_vs.end());
    std::vector<Tensor> wrt;
    for (const Tensor& x : xs)
      if (x.defined() && x.requires_grad()) wrt.push_back(x);
    std::vector<Tensor> defined;
    for (Tensor& g : autograd::grad(fn(xs), wrt, vs, /*retain_graph=*/true, /*create_graph=*/true,
                                    /*allow_unused=*/true))
      if (g.defined()) defined.push_back(std::move(g));
    return without_aliases(std::move(defined), xs_and_vs);
  };
  return autograd::gradcheck(first_derivative, all);
}

bool run_gradcheck(const OpTestRow& row, const GradSample& ready, bool second_order) {
  INFO(context(row, ready.sample));
  autograd::GradcheckResult result;
  try {
    result = second_order ? second_order_check(op_function(row, ready.sample), ready.sample.inputs)
                          : autograd::gradcheck(op_function(row, ready.sample), ready.sample.inputs);
  } catch (const std::exception& e) {
    FAIL_CHECK((second_order ? "gradgradcheck" : "gradcheck") << " threw: " << e.what());
    return false;
  }
  if (!result.ok) FAIL_CHECK((second_order ? "gradgradcheck failed: " : "gradcheck failed: ") << result.message);
  return result.ok;
}

// The sample moved to CUDA: the same float64 values with the same sizes, strides and offset over a copy of each
// input's whole storage (as_strided reads the storage); an input given twice stays one tensor. `cuda_checked` gets
// the moved counterparts of ready.checked (requiring grad).
Sample to_cuda(const GradSample& ready, std::vector<Tensor>& cuda_checked) {
  Sample on_gpu = ready.sample;
  on_gpu.device = Device(kCUDA);
  std::map<const TensorImpl*, Tensor> moved;
  for (Tensor& t : on_gpu.inputs) {
    if (!t.defined()) continue;
    auto it = moved.find(t.impl());
    if (it != moved.end()) {
      t = it->second;
      continue;
    }
    const int64_t elements = static_cast<int64_t>(t.storage()->nbytes) / t.element_size();
    Tensor storage = Tensor::make_view(t.detach(), {elements}, {1}, 0).to(Device(kCUDA));
    Tensor copy = overlaps_itself(t) ? t.detach().to(Device(kCUDA))
                                     : Tensor::make_view(storage, t.sizes(), t.strides(), t.storage_offset());
    if (t.requires_grad()) copy.requires_grad_(true);
    moved.emplace(t.impl(), copy);
    t = copy;
  }
  cuda_checked.clear();
  for (const Tensor& t : ready.checked) cuda_checked.push_back(moved.at(t.impl()));
  return on_gpu;
}

// The sample's gradients on CUDA against the CPU's: same float64 inputs (moved to the GPU), same random output
// weights, autograd::grad on both sides; gradients must agree to float64 rounding of differently ordered sums.
void compare_cuda_gradients(const OpTestRow& row, const GradSample& ready) {
  INFO(context(row, ready.sample) << ": CUDA gradients against the CPU gradients");
  try {
    const std::vector<Tensor> cpu_outputs = floating_outputs(row, ready.sample);
    std::vector<Tensor> weights, cuda_weights;
    for (const Tensor& out : cpu_outputs) {
      weights.push_back(randn(out.sizes(), kFloat64));
      cuda_weights.push_back(weights.back().to(Device(kCUDA)));
    }
    const std::vector<Tensor> cpu_grads =
        autograd::grad(cpu_outputs, ready.checked, weights, /*retain_graph=*/false, /*create_graph=*/false,
                       /*allow_unused=*/true);
    std::vector<Tensor> cuda_checked;
    const Sample on_gpu = to_cuda(ready, cuda_checked);
    const std::vector<Tensor> cuda_grads =
        autograd::grad(floating_outputs(row, on_gpu), cuda_checked, cuda_weights, /*retain_graph=*/false,
                       /*create_graph=*/false, /*allow_unused=*/true);
    REQUIRE(cuda_grads.size() == cpu_grads.size());
    for (size_t i = 0; i < cpu_grads.size(); ++i) {
      INFO("gradient of checked input " << i);
      REQUIRE(cuda_grads[i].defined() == cpu_grads[i].defined());
      if (!cpu_grads[i].defined()) continue;
      CHECK(cuda_grads[i].is_cuda());
      const std::string diff =
          compare_values(cuda_grads[i].to_vector<double>(), RefTensor::of(cpu_grads[i]), Tolerance{1e-9, 1e-9});
      if (!diff.empty()) FAIL_CHECK(diff);
    }
  } catch (const std::exception& e) {
    FAIL_CHECK("the CUDA gradient comparison threw: " << e.what());
  }
}

// ---- the accumulation property (issue 14: accumulation after sum() was silently wrong) ------------------------
// True when (sizes, strides) cover a block of memory exactly once.
bool dense_non_overlapping(const Tensor& t) {
  std::vector<std::pair<int64_t, int64_t>> dims;  // (stride, size) of the dims of size > 1
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (t.size(d) == 0) return true;
    if (t.size(d) > 1) dims.emplace_back(t.stride(d), t.size(d));
  }
  std::sort(dims.begin(), dims.end());
  int64_t expected = 1;
  for (const auto& [stride, size] : dims) {
    if (stride != expected) return false;
    expected *= size;
  }
  return true;
}

// .grad after a backward: the leaf's shape, dense with the leaf's strides (or row-major when the leaf is not dense),
// no broadcast dims, and memory of its own (not shared with the leaf, the sample's inputs, outputs or weights).
void check_grad_layout(const Tensor& leaf, const std::vector<Tensor>& others) {
  const Tensor& grad = leaf.grad();
  if (!grad.defined()) return;
  REQUIRE(grad.sizes() == leaf.sizes());
  CHECK(dense_non_overlapping(grad));
  for (int64_t d = 0; d < grad.dim(); ++d) {
    INFO("dim " << d << " of .grad " << shape_str(grad.sizes()) << " strides " << shape_str(grad.strides())
                << ", leaf strides " << shape_str(leaf.strides()));
    if (grad.size(d) > 1)
      CHECK(grad.stride(d) == (dense_non_overlapping(leaf) ? leaf.stride(d) : contiguous_strides(grad.sizes())[d]));
  }
  CHECK(grad.storage().use_count() == 1);
  for (const Tensor& t : others)
    if (t.defined()) CHECK(grad.storage().get() != t.storage().get());
}

std::vector<Tensor> clones(const std::vector<Tensor>& tensors) {
  std::vector<Tensor> out;
  for (const Tensor& t : tensors) out.push_back(t.defined() ? t.detach().clone() : Tensor());
  return out;
}

void check_same(const std::vector<Tensor>& got, const std::vector<Tensor>& expected, const char* what) {
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO(what << " " << i);
    REQUIRE(got[i].defined() == expected[i].defined());
    if (!got[i].defined()) continue;
    const std::string diff = compare_values(got[i].to_vector<double>(), RefTensor::of(expected[i]), Tolerance{0, 0});
    if (!diff.empty()) FAIL_CHECK(diff);
  }
}

// For the sample's leaves: two backward passes (fresh forwards, random output weights) accumulate into .grad the
// sum of the two gradients autograd::grad computes apart; after each pass .grad has the leaf's layout and memory of
// its own; an in-place edit of one .grad changes nothing else (inputs, outputs, weights, other leaves' .grad).
void check_accumulation(const OpTestRow& row, const Sample& sample, const std::vector<Tensor>& leaves) {
  INFO(context(row, sample) << ": gradient accumulation over two backward passes on " << sample.device.str());
  try {
    for (const Tensor& leaf : leaves) const_cast<Tensor&>(leaf).mutable_grad() = Tensor();
    std::vector<Tensor> apart_sum(leaves.size());
    for (int pass = 0; pass < 2; ++pass) {
      INFO("pass " << pass);
      const std::vector<Tensor> outputs = floating_outputs(row, sample);
      std::vector<Tensor> weights;
      for (const Tensor& out : outputs) weights.push_back(randn(out.sizes(), kFloat64).to(out.device()));
      const std::vector<Tensor> apart = autograd::grad(outputs, leaves, weights, /*retain_graph=*/true,
                                                       /*create_graph=*/false, /*allow_unused=*/true);
      for (size_t i = 0; i < leaves.size(); ++i) {
        if (!apart[i].defined()) continue;
        apart_sum[i] = apart_sum[i].defined() ? apart_sum[i] + apart[i] : apart[i].clone();
      }
      autograd::backward(outputs, weights);
      std::vector<Tensor> everything = sample.inputs;
      everything.insert(everything.end(), outputs.begin(), outputs.end());
      everything.insert(everything.end(), weights.begin(), weights.end());
      for (const Tensor& leaf : leaves) check_grad_layout(leaf, everything);
      if (pass == 1) break;
      // Edit the first .grad in place; nothing else may change. Then put it back.
      if (!leaves[0].grad().defined()) continue;
      const std::vector<Tensor> before = clones(everything);
      std::vector<Tensor> grads_before;
      for (const Tensor& leaf : leaves) grads_before.push_back(leaf.grad().defined() ? leaf.grad().clone() : Tensor());
      Tensor& edited = const_cast<Tensor&>(leaves[0]).mutable_grad();
      edited.add_(1000.0);
      check_same(clones(everything), before, "input, output or weight after editing .grad");
      for (size_t i = 1; i < leaves.size(); ++i) {
        if (leaves[i].impl() == leaves[0].impl()) continue;
        check_same({leaves[i].grad()}, {grads_before[i]}, "another leaf's .grad after editing the first .grad");
      }
      edited.copy_(grads_before[0]);
    }
    for (size_t i = 0; i < leaves.size(); ++i) {
      INFO("leaf " << i);
      REQUIRE(leaves[i].grad().defined() == apart_sum[i].defined());
      if (!apart_sum[i].defined()) continue;
      const std::string diff = compare_values(leaves[i].grad().to_vector<double>(), RefTensor::of(apart_sum[i]),
                                              Tolerance{1e-12, 1e-12});
      if (!diff.empty()) FAIL_CHECK(diff);
    }
    for (const Tensor& leaf : leaves) const_cast<Tensor&>(leaf).mutable_grad() = Tensor();
  } catch (const std::exception& e) {
    FAIL_CHECK("the accumulation check threw: " << e.what());
  }
}

// ---- saved outputs written in place (issue 14 item 7) --------------------------------------------------------
// Each floating output of the op is written in place (add_(0): same values, a new version) before backward. The
// backward must refuse exactly when the op's node saved that output's memory; and an op whose formula reads its
// output (the derivative table's output_needed_by, for the inputs that require grad) must have saved it.
void check_saved_output_versions(const OpTestRow& row, const Sample& sample) {
  INFO(context(row, sample) << ": outputs written in place before backward");
  int op = -1;
  for (int i = 0; i < kNumOps; ++i)
    if (kOpInfos[i].name == row.op) op = i;
  REQUIRE(op >= 0);
  const autograd::Derivative& derivative = autograd::derivative_for(static_cast<OpId>(op));
  if (derivative.fn == nullptr) return;  // a composite: its pieces are ops of their own rows
  const size_t num_outputs = floating_outputs(row, sample).size();
  for (size_t j = 0; j < num_outputs; ++j) {
    INFO("output " << j);
    std::vector<Tensor> outputs = floating_outputs(row, sample);
    bool views_an_input = false;  // a view of a leaf: writing into it is refused (test_inplace_table.cpp)
    for (const Tensor& in : sample.inputs)
      views_an_input = views_an_input || (in.defined() && in.storage().get() == outputs[j].storage().get());
    if (views_an_input) continue;
    autograd::Node* node = outputs[j].grad_fn();
    REQUIRE(node != nullptr);
    bool saved = false;
    for (const autograd::SavedTensor& s : node->saved)
      saved = saved || (s.tensor.defined() && s.tensor.storage().get() == outputs[j].storage().get());
    uint32_t needing_inputs = 0;
    for (size_t i = 0; i < node->next_edges.size() && i < 8; ++i)
      if (node->next_edges[i].is_valid()) needing_inputs |= 1u << i;
    if ((derivative.output_needed_by & needing_inputs) != 0 && num_outputs == 1) CHECK(saved);
    outputs[j].add_(0.0);
    std::vector<Tensor> weights;
    for (const Tensor& out : outputs) weights.push_back(ones_like(out));
    std::string message;
    try {
      autograd::backward(outputs, weights);
    } catch (const Error& e) {
      message = e.what();
    }
    if (saved) {
      CHECK(message.find("has been modified by an in-place operation") != std::string::npos);
    } else {
      CHECK(message == "");
    }
  }
}

void run_gradient_row(const OpTestRow& row) {
  ScalarType dtype = kFloat64;
  if (std::find(row.dtypes.begin(), row.dtypes.end(), kFloat64) == row.dtypes.end()) {
    auto it = std::find_if(row.dtypes.begin(), row.dtypes.end(), [](ScalarType t) { return is_float(t); });
    dtype = it != row.dtypes.end() ? *it : row.dtypes.front();
  }
  std::vector<Sample> samples;
  try {
    samples = row.samples(dtype, Device(kCPU));
  } catch (const std::exception& e) {
    FAIL("op " << row.op << ": making the samples threw: " << e.what());
  }
  std::map<std::string, int> skipped;  // reason -> count
  std::vector<GradSample> checked;
  int gradgrad_done = 0;
  bool gradgrad_layout_done = false;
  const bool second_order_required = requires_gradgradcheck(row);
  auto usable = [&](const Sample& sample, GradSample& ready, bool relayout) {
    std::string why;
    try {
      why = prepare(row, sample, ready, relayout);
      if (why.empty()) why = check_outputs(row, ready);
    } catch (const std::exception& e) {
      if (relayout) return false;  // the op may not take this layout (e.g. view); the caller tries another sample
      INFO(context(row, ready.sample));
      FAIL_CHECK("the op threw on float64 inputs: " << e.what());
      return false;
    }
    if (!why.empty()) ++skipped[why];
    return why.empty();
  };
  const bool with_cuda = cuda::is_available();
  auto check = [&](GradSample& ready) {
    run_gradcheck(row, ready, false);
    if (!row.mutates_inputs) {
      if (checked.empty()) check_saved_output_versions(row, ready.sample);
      check_accumulation(row, ready.sample, ready.checked);
      if (with_cuda) {
        std::vector<Tensor> cuda_checked;
        const Sample on_gpu = to_cuda(ready, cuda_checked);
        check_accumulation(row, on_gpu, cuda_checked);
      }
    }
    if (with_cuda) compare_cuda_gradients(row, ready);
    checked.push_back(ready);
    if (!row.twice_differentiable || ready.input_elements + ready.output_elements > kMaxGradgradElements) return;
    const bool layout = ready.non_contiguous || ready.broadcast;
    if (gradgrad_done == 0 || (gradgrad_done < kGradgradSamples && layout && !gradgrad_layout_done)) {
      run_gradcheck(row, ready, true);
      ++gradgrad_done;
      gradgrad_layout_done = gradgrad_layout_done || layout;
    }
  };
  for (const Sample& sample : samples) {
    GradSample ready;
    if (usable(sample, ready, false)) check(ready);
  }
  std::ostringstream why;
  for (const auto& [reason, count] : skipped) why << "\n  " << count << " x " << reason;
  INFO("op " << row.op << ": samples skipped:" << why.str());
  REQUIRE(!checked.empty());
  if (second_order_required) {
    INFO("op " << row.op << " should be gradgradchecked, but no sample has at most " << kMaxGradgradElements
                << " input and output elements");
    CHECK(gradgrad_done > 0);
  }
  const bool any_non_contiguous =
      std::any_of(checked.begin(), checked.end(), [](const GradSample& s) { return s.non_contiguous; });
  if (any_non_contiguous) return;
  // None of the row's checked samples perturbs a non-contiguous input: re-lay one out.
  for (const GradSample& done : checked) {
    GradSample ready;
    if (!usable(done.original, ready, true) || !ready.non_contiguous) continue;
    ready.sample.description += " (perturbed inputs re-laid out as step-2 views)";
    run_gradcheck(row, ready, false);
    return;
  }
  FAIL_CHECK("op " << row.op << ": no checked sample has a non-contiguous input, and none could be re-laid out");
}

class GradientTestInvoker : public Catch::ITestInvoker {
 public:
  explicit GradientTestInvoker(const OpTestRow* row) : row_(row) {}
  void invoke() const override { run_gradient_row(*row_); }

 private:
  const OpTestRow* row_;
};

}  // namespace

void register_gradient_test(const OpTestRow& row) {
  static std::vector<std::string> registered;
  std::string name = "grad/" + row.op;
  const int copies = static_cast<int>(std::count(registered.begin(), registered.end(), name));
  registered.push_back(name);
  if (copies > 0) name += " #" + std::to_string(copies + 1);
  Catch::AutoReg(new GradientTestInvoker(&row), Catch::SourceLineInfo(__FILE__, static_cast<std::size_t>(__LINE__)),
                 Catch::StringRef(), Catch::NameAndTags(Catch::StringRef(name), Catch::StringRef("[gradcheck]")));
}

}  // namespace reel::test
