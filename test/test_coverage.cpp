// reel/test/test_coverage.cpp — the op table (tensor/ops.def) against the test table and the kernel table.
//
// Fails when an op in ops.def has no OpTestRow, when a row names an op that ops.def does not have, when an
// op that should run a kernel has none registered for the CPU (or, with a GPU present, for CUDA), when a
// composite op has a kernel after all, and when a row's samples miss the input kinds every op must be tried
// on (non-contiguous, size-0, 0-dim, broadcast); and it checks the backward formulas against the rows.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <sstream>

#include "autograd/derivatives.h"
#include "tensor/dispatch.h"
#include "test/op_table.h"

namespace reel::test {

namespace {

// Every op outside the Composite and View families runs a kernel of its own (clone the copy kernel, linear a
// device-generic one made of addmm), so the observer sees it under its own name (test/test_dispatch_coverage.cpp).
// The Cudnn family (cuDNN calls, PyTorch's _cudnn_* ops) has CUDA kernels only, in builds that link cuDNN.
bool needs_kernel(const OpInfo& info) {
  return info.family != OpFamily::Composite && info.family != OpFamily::View;
}
bool needs_cpu_kernel(const OpInfo& info) { return needs_kernel(info) && info.family != OpFamily::Cudnn; }
bool needs_cuda_kernel(const OpInfo& info) {
  return needs_kernel(info) && (info.family != OpFamily::Cudnn || cuda::cudnn_is_available());
}

std::string list(const std::vector<std::string>& names) {
  std::ostringstream os;
  for (size_t i = 0; i < names.size(); ++i) os << (i ? ", " : "") << names[i];
  return os.str();
}

}  // namespace

TEST_CASE("coverage: every op in ops.def has an op-table row", "[coverage]") {
  std::vector<std::string> missing;
  for (const OpInfo& info : kOpInfos)
    if (rows_for(info.name).empty()) missing.push_back(std::string(info.name));
  INFO(missing.size() << " of " << kNumOps << " ops have no row in test/op_table_*.cpp: " << list(missing));
  CHECK(missing.empty());
}

TEST_CASE("coverage: every op-table row names an op of ops.def", "[coverage]") {
  std::set<std::string> known;
  for (const OpInfo& info : kOpInfos) known.insert(std::string(info.name));
  std::vector<std::string> unknown;
  for (const OpTestRow& row : op_test_rows())
    if (known.count(row.op) == 0) unknown.push_back(row.op);
  INFO("rows naming no op of tensor/ops.def: " << list(unknown));
  CHECK(unknown.empty());
}

TEST_CASE("coverage: every op that runs a kernel has a CPU kernel, and composites and cuDNN ops have none",
          "[coverage]") {
  std::vector<std::string> without_kernel, composite_with_kernel;
  for (const OpInfo& info : kOpInfos) {
    const OpId op = static_cast<OpId>(&info - kOpInfos);
    const bool has_kernel = find_kernel(op, kCPU) != nullptr;
    if (needs_cpu_kernel(info) && !has_kernel) without_kernel.push_back(std::string(info.name));
    if ((info.family == OpFamily::Composite || info.family == OpFamily::Cudnn) && has_kernel)
      composite_with_kernel.push_back(std::string(info.name));
  }
  {
    INFO("ops without a CPU kernel (tensor/ops.def family is not Composite, View or Cudnn): " << list(without_kernel));
    CHECK(without_kernel.empty());
  }
  INFO("Composite ops are written with other ops and Cudnn ops are cuDNN calls, yet these have a CPU kernel: "
       << list(composite_with_kernel));
  CHECK(composite_with_kernel.empty());
}

TEST_CASE("coverage: every op that runs a kernel has a CUDA kernel", "[coverage][cuda]") {
  if (!cuda::is_available()) {
    WARN("no CUDA device: CUDA kernel coverage not checked");
    return;
  }
  std::vector<std::string> without_kernel;
  for (const OpInfo& info : kOpInfos) {
    const OpId op = static_cast<OpId>(&info - kOpInfos);
    if (needs_cuda_kernel(info) && find_kernel(op, kCUDA) == nullptr) without_kernel.push_back(std::string(info.name));
  }
  INFO("ops without a CUDA kernel: " << list(without_kernel));
  CHECK(without_kernel.empty());
}

TEST_CASE("coverage: every row is complete", "[coverage]") {
  for (const OpTestRow& row : op_test_rows()) {
    INFO("row " << row.op);
    CHECK(!row.dtypes.empty());
    CHECK(std::set<ScalarType>(row.dtypes.begin(), row.dtypes.end()).size() == row.dtypes.size());
    CHECK(static_cast<bool>(row.samples));
    CHECK(static_cast<bool>(row.run));
    CHECK((row.reference || row.check));
    CHECK(row.differentiable == !row.grad_inputs.empty());
  }
}

// A row is differentiable exactly when its op has a backward formula (autograd/derivatives_*.cpp), with one
// exception: an op written with other ops differentiates through their formulas and needs none of its own —
// every Composite op (mean, matmul, stack, ...) and the View ops without a formula (narrow records slice,
// contiguous a clone). Their rows say `differentiable` when their floating outputs carry gradients; the
// [gradcheck] tests (test/test_op_gradients.cpp) then fail if an output of such a row does not require grad or
// its gradient is wrong. Elsewhere an op with a formula but a non-differentiable row would never be gradchecked,
// and a differentiable row without a formula records nothing (its outputs never require grad): both fail here.
TEST_CASE("coverage: a row is differentiable exactly when its op has a backward formula", "[coverage]") {
  std::vector<std::string> formula_not_differentiable, differentiable_without_formula;
  for (const OpInfo& info : kOpInfos) {
    const OpId op = static_cast<OpId>(&info - kOpInfos);
    const bool has_formula = autograd::derivative_for(op).fn != nullptr;
    const bool through_parts = info.family == OpFamily::Composite || info.family == OpFamily::View;
    for (const OpTestRow* row : rows_for(info.name)) {
      if (has_formula && !row->differentiable) formula_not_differentiable.push_back(row->op);
      if (!has_formula && row->differentiable && !through_parts) differentiable_without_formula.push_back(row->op);
    }
  }
  {
    INFO("ops with a backward formula whose op-table row is not marked differentiable (set differentiable and "
         "grad_inputs, and mark samples on kinks smooth = false): "
         << list(formula_not_differentiable));
    CHECK(formula_not_differentiable.empty());
  }
  INFO("ops whose row is marked differentiable but that have no backward formula in autograd/derivatives_*.cpp "
       "(nor are Composite or View ops, which differentiate through the ops they call): "
       << list(differentiable_without_formula));
  CHECK(differentiable_without_formula.empty());
}

// Each formula's facts (the OpDerivative after it in autograd/derivatives_*.cpp) name its node, as PyTorch's
// grad_fn names read: "<Op>Backward", the node name grad_fn()->name() shows.
TEST_CASE("coverage: every backward formula names its node", "[coverage]") {
  std::vector<std::string> unnamed;
  for (const OpInfo& info : kOpInfos) {
    const autograd::Derivative& derivative = autograd::derivative_for(static_cast<OpId>(&info - kOpInfos));
    if (derivative.fn == nullptr) continue;
    const std::string_view name = derivative.name;
    if (name.size() <= 8 || name.substr(name.size() - 8) != "Backward") unnamed.push_back(std::string(info.name));
  }
  INFO("ops whose formula's facts give no \"...Backward\" node name: " << list(unnamed));
  CHECK(unnamed.empty());
}

// The input kinds a row's samples must include, by family: every op that takes tensors gets a non-contiguous
// and a size-0 input; elementwise, reduction and softmax ops also a 0-dim one; ops with several broadcasting
// inputs a pair of different shapes.
TEST_CASE("coverage: every row's samples include non-contiguous, size-0, 0-dim and broadcast inputs", "[coverage]") {
  std::map<std::string, OpFamily> family;
  for (const OpInfo& info : kOpInfos) family[std::string(info.name)] = info.family;
  // fill writes into views the row makes inside run (its input is the contiguous tensor under them); chunk and
  // split leave size-0 out because PyTorch's answer for a size-0 dim has changed between versions.
  const std::set<std::string> no_strided_input = {"fill"};
  const std::set<std::string> no_size_zero = {"chunk", "split", "fill"};
  for (const OpTestRow& row : op_test_rows()) {
    const auto it = family.find(row.op);
    if (it == family.end() || it->second == OpFamily::Creation || it->second == OpFamily::Random) continue;
    std::vector<Sample> samples;
    try {
      samples = row.samples(row.dtypes.front(), Device(kCPU));
    } catch (const std::exception& e) {
      FAIL_CHECK("row " << row.op << ": making the samples threw: " << e.what());
      continue;
    }
    bool strided = false, empty = false, zero_dim = false, broadcast = false;
    size_t most_inputs = 0;
    for (const Sample& s : samples) {
      most_inputs = std::max(most_inputs, s.inputs.size());
      for (const Tensor& t : s.inputs) {
        strided = strided || !t.is_contiguous();
        empty = empty || t.numel() == 0;
        zero_dim = zero_dim || t.dim() == 0;
        if (t.sizes() != s.inputs[0].sizes()) broadcast = true;
      }
    }
    if (most_inputs == 0) continue;  // a creation-like composite (randperm): no tensor input to vary
    INFO("row " << row.op);
    if (!no_strided_input.count(row.op)) CHECK(strided);
    if (!no_size_zero.count(row.op)) CHECK(empty);
    const OpFamily f = it->second;
    const bool elementwise = f == OpFamily::Unary || f == OpFamily::Binary || f == OpFamily::Ternary;
    if (elementwise || f == OpFamily::Reduce || f == OpFamily::Softmax) CHECK(zero_dim);
    if ((f == OpFamily::Binary || f == OpFamily::Ternary) && most_inputs >= 2) CHECK(broadcast);
  }
}

}  // namespace reel::test
