// reel/test/test_autobatch_sweep.cpp — automatic batching swept over the op table: every row of test/op_table*.cpp,
// for the float32, float64 and int64 dtypes it lists, runs each sample three times inside one autobatch::Scope — on
// the sample, on a twin whose inputs hold the same values reversed (same shapes: the same signature, other values,
// so a batching rule that mixes rows or shifts a dim wrongly shows), and on the sample again — and the results must
// equal the same three calls made eagerly. So every op family either batches correctly or runs one by one
// correctly; autobatch::Stats shows which (the test checks that the sweep really batched ops). Random rows compare
// under the same seed: their draws run in program order inside a scope too.
#include <reel/reel.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "test/op_table.h"

namespace {

using reel::Tensor;
using reel::test::OpTestRow;
using reel::test::Sample;

// The same values in reverse order, same shape, dtype and device (a fresh contiguous tensor).
Tensor reversed_twin(const Tensor& t) {
  if (!t.defined() || t.is_sparse() || t.numel() < 2) return t.defined() && !t.is_sparse() ? t.clone() : t;
  reel::NoGradGuard no_grad;
  return t.reshape({-1}).flip({0}).reshape(t.sizes()).clone();
}

Sample twin_of(const Sample& sample) {
  Sample twin = sample;
  for (Tensor& input : twin.inputs) input = reversed_twin(input);
  return twin;
}

Sample clone_of(const Sample& sample) {
  Sample copy = sample;
  for (Tensor& input : copy.inputs)
    if (input.defined() && !input.is_sparse()) input = input.clone();
  return copy;
}

// Runs `row` on each sample; false when the eager call refuses one of them (then the sample is skipped).
bool run_all(const OpTestRow& row, const std::vector<Sample>& samples, std::vector<std::vector<Tensor>>& outputs,
             std::string& error) {
  try {
    for (const Sample& s : samples) outputs.push_back(row.run(s));
    return true;
  } catch (const reel::Error& e) {
    error = e.what();
    return false;
  }
}

// "" when equal (integers and bool exactly, floats within rounding of a different summation order), else why not.
std::string compare(const Tensor& eager, const Tensor& batched) {
  if (eager.defined() != batched.defined()) return "defined in one run only";
  if (!eager.defined()) return "";
  if (eager.is_sparse() || batched.is_sparse()) return compare(eager.to_dense(), batched.to_dense());
  if (eager.sizes() != batched.sizes()) return "shapes differ";
  if (eager.dtype() != batched.dtype()) return "dtypes differ";
  if (eager.numel() == 0) return "";
  const std::vector<double> a = eager.detach().to(reel::kCPU).to(reel::kFloat64).contiguous().to_vector<double>();
  const std::vector<double> b = batched.detach().to(reel::kCPU).to(reel::kFloat64).contiguous().to_vector<double>();
  const bool floating = eager.is_floating_point();
  const double rtol = eager.dtype() == reel::kFloat64 ? 1e-9 : 1e-4;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) && std::isnan(b[i])) continue;
    const bool same =
        floating ? (a[i] == b[i] || std::fabs(a[i] - b[i]) <= rtol * (1 + std::fabs(a[i]))) : a[i] == b[i];
    if (!same) {
      return "element " + std::to_string(i) + ": eager " + std::to_string(a[i]) + ", batched " +
             std::to_string(b[i]);
    }
  }
  return "";
}

}  // namespace

TEST_CASE("autobatch: every op-table row gives the eager values inside a scope", "[autobatch][autobatch_sweep]") {
  const reel::Device cpu(reel::kCPU);
  int64_t compared = 0, batched_ops = 0;
  for (const OpTestRow& row : reel::test::op_test_rows()) {
    for (reel::ScalarType dtype : {reel::kFloat32, reel::kFloat64, reel::kInt64}) {
      bool listed = false;
      for (reel::ScalarType d : row.dtypes) listed |= d == dtype;
      if (!listed) continue;
      std::vector<Sample> samples;
      try {
        samples = row.samples(dtype, cpu);
      } catch (const reel::Error&) {
        continue;
      }
      for (const Sample& sample : samples) {
        INFO("row " << row.op << ", dtype " << reel::dtype_name(dtype) << ", sample " << sample.description << ": "
                    << reel::test::describe_inputs(sample));
        // three calls: the sample, its reversed twin, the sample again (fresh copies each time: in-place rows)
        auto calls = [&] { return std::vector<Sample>{clone_of(sample), twin_of(sample), clone_of(sample)}; };
        std::vector<std::vector<Tensor>> eager, batched;
        std::string eager_error, batched_error;
        reel::manual_seed(17);
        if (!run_all(row, calls(), eager, eager_error)) continue;
        reel::manual_seed(17);
        bool batched_ok = false;
        {
          reel::autobatch::Scope scope;
          batched_ok = run_all(row, calls(), batched, batched_error);
          if (batched_ok) {
            try {
              scope.flush();
            } catch (const reel::Error& e) {
              batched_ok = false;
              batched_error = e.what();
            }
          }
          batched_ops += scope.stats().ops_batched;
        }
        INFO("batched run's error: " << batched_error);
        REQUIRE(batched_ok);
        REQUIRE(eager.size() == batched.size());
        for (size_t c = 0; c < eager.size(); ++c) {
          REQUIRE(eager[c].size() == batched[c].size());
          for (size_t o = 0; o < eager[c].size(); ++o) {
            INFO("call " << c << ", output " << o);
            CHECK(compare(eager[c][o], batched[c][o]) == "");
            ++compared;
          }
        }
      }
    }
  }
  CHECK(compared > 1000);
  CHECK(batched_ops > 1000);  // the sweep exercised the batching rules, not only one-by-one runs
}

namespace {

// The sample with its differentiable inputs as fresh float64 leaves that require grad.
Sample with_leaves(const Sample& sample, const OpTestRow& row) {
  Sample copy = clone_of(sample);
  for (int k : row.grad_inputs) {
    if (static_cast<size_t>(k) >= copy.inputs.size()) continue;  // an optional input this sample leaves out
    Tensor& input = copy.inputs[static_cast<size_t>(k)];
    if (input.defined() && input.is_floating_point()) input = input.detach().clone().requires_grad_();
  }
  return copy;
}

// sum over the floating outputs of sum(out * (1 + position / numel)): every element gets its own weight, so a
// gradient sent to the wrong row or element shows.
Tensor weighted_sum(const std::vector<Tensor>& outputs) {
  Tensor total;
  for (const Tensor& out : outputs) {
    if (!out.defined() || out.is_sparse() || !out.is_floating_point() || !out.requires_grad() || out.numel() == 0)
      continue;
    const Tensor weights = reel::arange(out.numel(), reel::TensorOptions(out.dtype())).reshape(out.sizes()) /
                               static_cast<double>(out.numel()) + 1.0;
    const Tensor term = (out * weights).sum();
    total = total.defined() ? total + term : term;
  }
  return total;
}

}  // namespace

TEST_CASE("autobatch: every differentiable op-table row gives the eager gradients inside a scope",
          "[autobatch][autobatch_sweep]") {
  const reel::Device cpu(reel::kCPU);
  int64_t compared = 0;
  for (const OpTestRow& row : reel::test::op_test_rows()) {
    if (!row.differentiable || row.grad_inputs.empty()) continue;
    bool listed = false;
    for (reel::ScalarType d : row.dtypes) listed |= d == reel::kFloat64;
    if (!listed) continue;
    std::vector<Sample> samples;
    try {
      samples = row.samples(reel::kFloat64, cpu);
    } catch (const reel::Error&) {
      continue;
    }
    for (const Sample& sample : samples) {
      if (!sample.smooth) continue;
      INFO("row " << row.op << ", sample " << sample.description << ": " << reel::test::describe_inputs(sample));
      const std::vector<Sample> eager_calls = {with_leaves(sample, row), with_leaves(twin_of(sample), row)};
      const std::vector<Sample> batched_calls = {with_leaves(sample, row), with_leaves(twin_of(sample), row)};
      std::vector<std::vector<Tensor>> eager_out, batched_out;
      std::string error;
      reel::manual_seed(23);
      if (!run_all(row, eager_calls, eager_out, error)) continue;
      Tensor eager_loss;
      for (const auto& outs : eager_out) {
        const Tensor l = weighted_sum(outs);
        if (l.defined()) eager_loss = eager_loss.defined() ? eager_loss + l : l;
      }
      if (!eager_loss.defined()) continue;
      eager_loss.backward();
      reel::manual_seed(23);
      {
        reel::autobatch::Scope scope;
        const bool ran = run_all(row, batched_calls, batched_out, error);
        INFO("batched run's error: " << error);
        REQUIRE(ran);
        Tensor loss;
        for (const auto& outs : batched_out) {
          const Tensor l = weighted_sum(outs);
          if (l.defined()) loss = loss.defined() ? loss + l : l;
        }
        REQUIRE(loss.defined());
        loss.backward();
        CHECK(compare(eager_loss, loss) == "");
      }
      for (size_t c = 0; c < eager_calls.size(); ++c) {
        for (int k : row.grad_inputs) {
          if (static_cast<size_t>(k) >= eager_calls[c].inputs.size()) continue;
          const Tensor& a = eager_calls[c].inputs[static_cast<size_t>(k)];
          const Tensor& b = batched_calls[c].inputs[static_cast<size_t>(k)];
          if (!a.defined() || !a.requires_grad()) continue;
          INFO("call " << c << ", input " << k);
          CHECK(compare(a.grad(), b.grad()) == "");
          ++compared;
        }
      }
    }
  }
  CHECK(compared > 200);
}
