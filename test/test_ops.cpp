// reel/test/test_ops.cpp — the op-table harness: one Catch test case per OpTestRow ("op/<name>", tags
// [ops][<family>]), registered when the row files register their rows (see op_table.h).
//
// For each dtype the row lists, the harness makes the samples on the CPU, runs the op, and checks every
// output's dtype, shape, device and values against the float64 reference (within the row's tolerance), runs
// the row's custom check, and checks that the op left its inputs untouched. When a CUDA device is present
// it repeats everything on CUDA and also compares CUDA outputs with the CPU ones; otherwise it warns that
// the row ran on the CPU only. Every failure message names the op, dtype, device, sample and input layouts.
#include <catch2/catch.hpp>

#include <cmath>
#include <sstream>

#include "test/op_table.h"

namespace reel::test {

namespace {

std::string family_name(OpFamily family) {
  switch (family) {
    case OpFamily::Unary: return "unary";
    case OpFamily::Binary: return "binary";
    case OpFamily::FusedBackward: return "fused-backward";
    case OpFamily::Ternary: return "ternary";
    case OpFamily::Copy: return "copy";
    case OpFamily::Reduce: return "reduce";
    case OpFamily::Linalg: return "linalg";
    case OpFamily::Shape: return "shape";
    case OpFamily::Index: return "index";
    case OpFamily::Softmax: return "softmax";
    case OpFamily::Conv: return "conv";
    case OpFamily::Pool: return "pool";
    case OpFamily::Norm: return "norm";
    case OpFamily::Rnn: return "rnn";
    case OpFamily::Random: return "random";
    case OpFamily::Creation: return "creation";
    case OpFamily::View: return "view";
    case OpFamily::Composite: return "composite";
    case OpFamily::Sort: return "sort";
    case OpFamily::Scan: return "scan";
    case OpFamily::Resample: return "resample";
    case OpFamily::Loss: return "loss";
    case OpFamily::Cudnn: return "cudnn";
    default: return "family-" + std::to_string(static_cast<int>(family));
  }
}

std::string family_of(const std::string& op) {
  for (const OpInfo& info : kOpInfos)
    if (info.name == op) return family_name(info.family);
  return "not-in-ops.def";
}

std::vector<RefTensor> snapshot(const Sample& sample) {
  std::vector<RefTensor> values;
  for (const Tensor& t : sample.inputs) values.push_back(t.defined() ? RefTensor::of(t) : RefTensor());
  return values;
}

std::string context(const OpTestRow& row, ScalarType dtype, const Sample& sample) {
  std::ostringstream os;
  os << "op " << row.op << ", dtype " << dtype_name(dtype) << ", device " << sample.device.str() << ", sample '"
     << sample.description << "' (inputs: " << describe_inputs(sample) << ")";
  return os.str();
}

// Runs one sample and checks it; returns the outputs (empty when the op threw).
std::vector<Tensor> check_sample(const OpTestRow& row, ScalarType dtype, const Sample& sample) {
  INFO(context(row, dtype, sample));
  const std::vector<RefTensor> inputs_before = snapshot(sample);
  std::vector<Tensor> outputs;
  try {
    outputs = row.run(sample);
  } catch (const std::exception& e) {
    FAIL_CHECK("the op threw: " << e.what());
    return {};
  }
  if (row.reference) {
    std::vector<RefTensor> expected;
    try {
      expected = row.reference(sample);
    } catch (const std::exception& e) {
      FAIL_CHECK("the reference threw (a bug in the test row): " << e.what());
      return outputs;
    }
    REQUIRE(outputs.size() == expected.size());
    for (size_t i = 0; i < outputs.size(); ++i) {
      INFO("output " << i);
      const Tensor& out = outputs[i];
      REQUIRE(out.defined());
      CHECK(dtype_name(out.dtype()) == dtype_name(expected[i].dtype));
      CHECK(out.device() == sample.device);
      CHECK(shape_text(out.sizes().vec()) == shape_text(expected[i].shape));
      if (out.sizes().vec() != expected[i].shape) continue;
      const Tolerance tol = row.tolerance ? row.tolerance(expected[i].dtype) : default_tolerance(expected[i].dtype);
      const std::string diff = compare_values(out.to_vector<double>(), expected[i], tol);
      if (!diff.empty()) FAIL_CHECK(diff);
    }
  }
  if (row.check) row.check(sample, outputs);
  if (!row.mutates_inputs) {
    const std::vector<RefTensor> inputs_after = snapshot(sample);
    for (size_t i = 0; i < inputs_after.size(); ++i) {
      INFO("input " << i << " was modified by the op");
      CHECK(compare_values(inputs_after[i].values, inputs_before[i], Tolerance{}) == "");
    }
  }
  return outputs;
}

void run_row(const OpTestRow& row) {
  const bool with_cuda = cuda::is_available();
  if (!with_cuda) WARN("no CUDA device: op " << row.op << " checked on the CPU only");
  for (ScalarType dtype : row.dtypes) {
    std::vector<Sample> cpu_samples;
    try {
      cpu_samples = row.samples(dtype, Device(kCPU));
    } catch (const std::exception& e) {
      FAIL_CHECK("op " << row.op << ", dtype " << dtype_name(dtype) << ": making the samples threw: " << e.what());
      continue;
    }
    CHECK(!cpu_samples.empty());
    std::vector<std::vector<Tensor>> cpu_outputs;
    for (const Sample& sample : cpu_samples) cpu_outputs.push_back(check_sample(row, dtype, sample));
    if (!with_cuda) continue;

    std::vector<Sample> cuda_samples;
    try {
      cuda_samples = row.samples(dtype, Device(kCUDA));
    } catch (const std::exception& e) {
      FAIL_CHECK("op " << row.op << ", dtype " << dtype_name(dtype) << ": making CUDA samples threw: " << e.what());
      continue;
    }
    // A row may add device-specific samples (copies between devices) after the common ones.
    CHECK(cuda_samples.size() >= cpu_samples.size());
    for (size_t s = 0; s < cuda_samples.size(); ++s) {
      std::vector<Tensor> outputs = check_sample(row, dtype, cuda_samples[s]);
      // CUDA against CPU: same inputs, so the same answers within tolerance (random rows draw
      // different streams per device, so only rows with a reference are compared).
      if (!row.reference || s >= cpu_outputs.size() || outputs.size() != cpu_outputs[s].size()) continue;
      INFO(context(row, dtype, cuda_samples[s]) << ": CUDA result against the CPU result");
      for (size_t i = 0; i < outputs.size(); ++i) {
        if (outputs[i].sizes().vec() != cpu_outputs[s][i].sizes().vec()) continue;
        const RefTensor cpu = RefTensor::of(cpu_outputs[s][i]);
        const Tolerance tol = row.tolerance ? row.tolerance(cpu.dtype) : default_tolerance(cpu.dtype);
        const std::string diff = compare_values(outputs[i].to_vector<double>(), cpu, tol);
        if (!diff.empty()) FAIL_CHECK(diff);
      }
    }
  }
}

class RowTestInvoker : public Catch::ITestInvoker {
 public:
  explicit RowTestInvoker(const OpTestRow* row) : row_(row) {}
  void invoke() const override { run_row(*row_); }

 private:
  const OpTestRow* row_;
};

}  // namespace

void register_row_test(const OpTestRow& row) {
  // Test names must be unique: a second row for the same op gets "#2" and so on.
  static std::vector<std::string> registered;
  std::string name = "op/" + row.op;
  int copies = 0;
  for (const std::string& earlier : registered)
    if (earlier.rfind(name, 0) == 0 && (earlier.size() == name.size() || earlier[name.size()] == ' ')) ++copies;
  registered.push_back(name);
  if (copies > 0) name += " #" + std::to_string(copies + 1);
  const std::string tags = "[ops][" + family_of(row.op) + "]";
  Catch::AutoReg(new RowTestInvoker(&row), Catch::SourceLineInfo(__FILE__, static_cast<std::size_t>(__LINE__)),
                 Catch::StringRef(), Catch::NameAndTags(Catch::StringRef(name), Catch::StringRef(tags)));
}

}  // namespace reel::test
