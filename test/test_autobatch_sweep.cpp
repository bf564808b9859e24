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
    const bool same = floating ? (a[i] == b[i] || std::fabs(a[i] - b[i]) <= rtol * (1 + std::fabs(a[i]))) : a[i] == b[i];
    if (!same) return "element " + std::to_string(i) + ": eager " + std::to_string(a[i]) + ", batched " + std::to_string(b[i]);
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
