// reel/test/op_table_creation.cpp — op-table rows of the creation ops (arange, linspace, eye) and of the
// random ops (uniform, normal, randint).
//
// Creation rows have no tensor inputs: the sample carries the arguments (Sample::scalar/scalar2/scalar3 are
// start/end/step, Sample::flag says whether a dtype is passed or must be inferred) and the reference is the
// closed form. Random rows cannot have an exact reference; their `check` tests what a correct generator must
// satisfy with overwhelming probability at the fixed seeds used here: range, moments, that every value of a
// small integer range occurs, that a strided in-place fill touches only its view, and that manual_seed makes
// the stream repeat while consecutive draws differ.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>

#include "test/op_table.h"

namespace reel::test {

namespace {

Sample creation_sample(std::string description, ScalarType dtype, Device device, bool dtype_given = true) {
  Sample s;
  s.description = std::move(description);
  s.dtype = dtype;
  s.promoted = dtype;
  s.device = device;
  s.flag = dtype_given;
  return s;
}

TensorOptions options_of(const Sample& s) {
  return s.flag ? TensorOptions(s.dtype).device(s.device) : TensorOptions(s.device);
}

// ---- arange / linspace / eye --------------------------------------------------------------------------------
OpTestRow arange_row() {
  OpTestRow row;
  row.op = "arange";
  row.dtypes = kNumericDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    std::vector<Sample> out;
    auto add = [&](std::string description, Scalar start, Scalar end, Scalar step, bool dtype_given = true) {
      out.push_back(creation_sample(std::move(description), dtype, device, dtype_given));
      out.back().scalar = start;
      out.back().scalar2 = end;
      out.back().scalar3 = step;
    };
    add("arange(5)", 0, 5, 1);
    add("arange(1, 7, 2)", 1, 7, 2);
    add("arange(6, 0, -2)", 6, 0, -2);
    add("arange(3, 3) is empty", 3, 3, 1);
    if (dtype != kUInt8 && dtype != kInt8) add("arange(0, 1000) (several threads)", 0, 1000, 1);
    if (is_float(dtype)) {
      add("arange(0.0, 1.0, 0.25)", 0.0, 1.0, 0.25);
      add("arange(-1.0, 1.0, 0.3)", -1.0, 1.0, 0.3);
    }
    if (dtype == kInt64) add("integer arguments infer int64", 0, 4, 1, false);
    if (dtype == kFloat32) add("floating arguments infer float32", 0.0, 2.0, 0.5, false);
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::arange(*s.scalar, *s.scalar2, *s.scalar3, options_of(s))}; };
  row.reference = [](const Sample& s) {
    const double start = s.scalar->to_double(), end = s.scalar2->to_double(), step = s.scalar3->to_double();
    const int64_t n = static_cast<int64_t>(std::ceil((end - start) / step));
    std::vector<double> values;
    for (int64_t i = 0; i < n; ++i) values.push_back(start + static_cast<double>(i) * step);
    return std::vector<RefTensor>{RefTensor({n}, values, s.dtype)};
  };
  return row;
}

// Sample::index is the number of steps.
OpTestRow linspace_row() {
  OpTestRow row;
  row.op = "linspace";
  row.dtypes = kNumericDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    std::vector<Sample> out;
    auto add = [&](std::string description, double start, double end, int64_t steps, bool dtype_given = true) {
      out.push_back(creation_sample(std::move(description), dtype, device, dtype_given));
      out.back().scalar = Scalar(start);
      out.back().scalar2 = Scalar(end);
      out.back().index = steps;
    };
    add("linspace(0, 12, 5)", 0, 12, 5);
    add("linspace(10, 0, 6) (decreasing)", 10, 0, 6);
    add("one step gives start", 3, 9, 1);
    add("zero steps is empty", 0, 1, 0);
    if (dtype != kUInt8 && dtype != kInt8) add("linspace(0, 999, 1000) (several threads)", 0, 999, 1000);
    if (is_float(dtype)) add("linspace(-2, 2, 4)", -2, 2, 4);
    if (dtype == kFloat32) add("no dtype gives float32", 0, 1, 5, false);
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::linspace(*s.scalar, *s.scalar2, s.index, options_of(s))}; };
  row.reference = [](const Sample& s) {
    const double start = s.scalar->to_double(), end = s.scalar2->to_double();
    const int64_t steps = s.index;
    std::vector<double> values;
    for (int64_t i = 0; i < steps; ++i)
      values.push_back(steps == 1 ? start : start + static_cast<double>(i) * (end - start) / static_cast<double>(steps - 1));
    return std::vector<RefTensor>{RefTensor({steps}, values, s.dtype)};
  };
  return row;
}

// Sample::dims is (n, m).
OpTestRow eye_row() {
  OpTestRow row;
  row.op = "eye";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    std::vector<Sample> out;
    for (const Shape& nm : std::vector<Shape>{{3, 3}, {2, 4}, {4, 2}, {1, 1}, {0, 0}, {0, 3}, {200, 300}}) {
      out.push_back(creation_sample("eye(" + std::to_string(nm[0]) + ", " + std::to_string(nm[1]) + ")", dtype, device));
      out.back().dims = nm;
    }
    return out;
  };
  row.run = [](const Sample& s) {
    if (s.dims[0] == s.dims[1]) return std::vector<Tensor>{reel::eye(s.dims[0], options_of(s))};
    return std::vector<Tensor>{reel::eye(s.dims[0], s.dims[1], options_of(s))};
  };
  row.reference = [](const Sample& s) {
    RefTensor out = RefTensor::filled(s.dims, 0.0, s.dtype);
    for (int64_t i = 0; i < std::min(s.dims[0], s.dims[1]); ++i) out.at({i, i}) = 1.0;
    return std::vector<RefTensor>{out};
  };
  return row;
}

// ---- random ops -------------------------------------------------------------------------------------------------
// Every random sample is one of these; the row's run returns the tensors the check needs.
enum class RandomCase : int64_t {
  Statistics,     // one large draw: range and moments
  StridedInPlace, // uniform_/normal_ into a step-2 slice: outputs (the base after, the base before)
  Reproducible,   // outputs (after manual_seed(s), after manual_seed(s) again, the next draw)
  Shapes,         // size-0 and 0-dim draws: outputs (empty, 0-dim)
};

Sample random_sample(std::string description, RandomCase kind, ScalarType dtype, Device device) {
  Sample s = creation_sample(std::move(description), dtype, device);
  s.index = static_cast<int64_t>(kind);
  return s;
}

std::vector<double> values_of(const Tensor& t) { return t.to_vector<double>(); }

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double std_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

void check_device_and_dtype(const Sample& s, const std::vector<Tensor>& outputs) {
  for (const Tensor& t : outputs) {
    CHECK(dtype_name(t.dtype()) == dtype_name(s.dtype));
    CHECK(t.device() == s.device);
  }
}

// The parts every random row shares: reproducibility, shapes and, for in-place fills, that only the view changed.
void check_common(const Sample& s, const std::vector<Tensor>& outputs) {
  check_device_and_dtype(s, outputs);
  switch (static_cast<RandomCase>(s.index)) {
    case RandomCase::Reproducible:
      REQUIRE(outputs.size() == 3);
      CHECK(values_of(outputs[0]) == values_of(outputs[1]));
      CHECK(values_of(outputs[0]) != values_of(outputs[2]));
      break;
    case RandomCase::Shapes:
      REQUIRE(outputs.size() == 2);
      CHECK(shape_text(outputs[0].sizes().vec()) == "[0, 3]");
      CHECK(outputs[1].dim() == 0);
      break;
    case RandomCase::StridedInPlace: {
      REQUIRE(outputs.size() >= 2);
      const std::vector<double> after = values_of(outputs[0]), before = values_of(outputs[1]);
      REQUIRE(after.size() == before.size());
      int64_t changed_inside = 0, changed_outside = 0;
      for (size_t i = 0; i < after.size(); ++i) {
        const bool in_view = (i % 41) % 2 == 1;  // the view: the odd columns of a [60, 41] base
        if (after[i] != before[i]) ++(in_view ? changed_inside : changed_outside);
      }
      CHECK(changed_outside == 0);
      CHECK(changed_inside == 60 * 20);  // old values lie in [100, 200], far from every new one
      break;
    }
    case RandomCase::Statistics: break;
  }
}

// The in-place forms fill a [60, 20] step-2 slice of a [60, 41] base.
std::vector<Tensor> strided_in_place(const Sample& s, const std::function<void(Tensor&)>& fill) {
  InputMaker m(s.dtype, s.device, 5);
  Tensor view = m.make({60, 20}, Domain{100, 200}, Layout::Strided);
  Tensor base = Tensor::make_view(view, {60 * 41}, {1}, 0);
  Tensor before = base.clone();
  fill(view);
  return {base, before, view};
}

OpTestRow random_float_row(bool normal) {
  OpTestRow row;
  row.op = normal ? "normal" : "uniform";
  row.dtypes = kFloatDtypes;
  row.samples = [normal](ScalarType dtype, Device device) {
    const std::string name = normal ? "randn" : "rand";
    return std::vector<Sample>{
        random_sample(name + " [100, 100]: range and moments", RandomCase::Statistics, dtype, device),
        random_sample(std::string(normal ? "normal_(3, 0.5)" : "uniform_(-2, 3)") + " into a step-2 slice",
                      RandomCase::StridedInPlace, dtype, device),
        random_sample("manual_seed repeats the stream", RandomCase::Reproducible, dtype, device),
        random_sample("size-0 and 0-dim", RandomCase::Shapes, dtype, device)};
  };
  row.run = [normal](const Sample& s) -> std::vector<Tensor> {
    auto draw = [&](IntList sizes) { return normal ? reel::randn(sizes, options_of(s)) : reel::rand(sizes, options_of(s)); };
    switch (static_cast<RandomCase>(s.index)) {
      case RandomCase::Statistics: return {draw({100, 100})};
      case RandomCase::StridedInPlace:
        return strided_in_place(s, [normal](Tensor& t) { normal ? reel::normal_(t, 3.0, 0.5) : reel::uniform_(t, -2.0, 3.0); });
      case RandomCase::Reproducible: {
        reel::manual_seed(1234);
        Tensor a = draw({50});
        reel::manual_seed(1234);
        Tensor b = draw({50});
        return {a, b, draw({50})};
      }
      case RandomCase::Shapes: return {draw({0, 3}), draw({})};
    }
    return {};
  };
  row.check = [normal](const Sample& s, const std::vector<Tensor>& outputs) {
    check_common(s, {outputs.begin(), outputs.begin() + std::min<size_t>(outputs.size(), 3)});
    const bool wide = s.dtype == kFloat16 || s.dtype == kBFloat16;  // rounding may reach the upper bound
    // Bounds of five standard errors (the standard error of a sample std is at most 0.75 sd / sqrt(n) for
    // these distributions), plus slack for rounding to a 16-bit float.
    auto check_values = [&](const std::vector<double>& v, double low, double high, double mean, double sd) {
      const double n = static_cast<double>(v.size());
      const double slack = wide ? 0.01 * std::max(1.0, std::fabs(mean)) : 0.0;
      if (!normal) {
        for (double x : v) {
          CHECK(x >= low);
          if (wide) CHECK(x <= high);
          else CHECK(x < high);
        }
      }
      CHECK(std::fabs(mean_of(v) - mean) < 5 * sd / std::sqrt(n) + slack);
      CHECK(std::fabs(std_of(v) - sd) < 5 * 0.75 * sd / std::sqrt(n) + slack);
      if (normal) {  // the shape of the bell: about 68.3% within one standard deviation
        const double inside = static_cast<double>(std::count_if(v.begin(), v.end(), [&](double x) {
                                return std::fabs(x - mean) < sd;
                              })) / n;
        CHECK(std::fabs(inside - 0.6827) < 5 * std::sqrt(0.6827 * 0.3173 / n) + slack);
      }
    };
    switch (static_cast<RandomCase>(s.index)) {
      case RandomCase::Statistics:
        check_values(values_of(outputs[0]), 0, 1, normal ? 0 : 0.5, normal ? 1 : std::sqrt(1.0 / 12));
        break;
      case RandomCase::StridedInPlace:
        check_values(values_of(outputs[2]), -2, 3, normal ? 3 : 0.5, normal ? 0.5 : 5 / std::sqrt(12.0));
        break;
      case RandomCase::Shapes: {
        const double v = outputs[1].item<double>();
        if (!normal) CHECK((v >= 0 && v <= 1));
        CHECK(std::isfinite(v));
        break;
      }
      default: break;
    }
  };
  return row;
}

// randint(low, high, sizes): Sample::scalar, scalar2 are low and high.
OpTestRow randint_row() {
  OpTestRow row;
  row.op = "randint";
  row.dtypes = kNumericDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    std::vector<Sample> out;
    auto add = [&](std::string description, RandomCase kind, int64_t low, int64_t high, bool dtype_given = true) {
      out.push_back(random_sample(std::move(description), kind, dtype, device));
      out.back().scalar = Scalar(low);
      out.back().scalar2 = Scalar(high);
      out.back().flag = dtype_given;
    };
    add("[0, 10) x 5000: every value occurs", RandomCase::Statistics, 0, 10);
    if (is_signed_dtype(dtype)) add("[-5, 5) x 5000", RandomCase::Statistics, -5, 5);
    add("randint(3, sizes): high only", RandomCase::Statistics, 0, 3);
    add("manual_seed repeats the stream", RandomCase::Reproducible, 0, dtype == kInt8 ? 100 : 200);
    add("size-0 and 0-dim", RandomCase::Shapes, 0, 10);
    if (dtype == kInt64) add("no dtype gives int64", RandomCase::Statistics, 0, 10, false);
    return out;
  };
  row.run = [](const Sample& s) -> std::vector<Tensor> {
    const int64_t low = s.scalar->to_int64(), high = s.scalar2->to_int64();
    auto draw = [&](IntList sizes) {
      if (!s.flag) return reel::randint(low, high, sizes);  // the default options
      if (low == 0 && high == 3) return reel::randint(high, sizes, options_of(s));
      return reel::randint(low, high, sizes, options_of(s));
    };
    switch (static_cast<RandomCase>(s.index)) {
      case RandomCase::Statistics: return {draw({5000})};
      case RandomCase::Reproducible: {
        reel::manual_seed(99);
        Tensor a = draw({50});
        reel::manual_seed(99);
        Tensor b = draw({50});
        return {a, b, draw({50})};
      }
      case RandomCase::Shapes: return {draw({0, 3}), draw({})};
      default: return {};
    }
  };
  row.check = [](const Sample& s, const std::vector<Tensor>& outputs) {
    if (s.flag) check_common(s, outputs);
    else for (const Tensor& t : outputs) CHECK(dtype_name(t.dtype()) == "int64");
    const int64_t low = s.scalar->to_int64(), high = s.scalar2->to_int64();
    if (static_cast<RandomCase>(s.index) != RandomCase::Statistics) return;
    const std::vector<double> v = values_of(outputs[0]);
    std::set<double> seen;
    for (double x : v) {
      CHECK(x == std::floor(x));
      CHECK((x >= static_cast<double>(low) && x < static_cast<double>(high)));
      seen.insert(x);
    }
    CHECK(static_cast<int64_t>(seen.size()) == high - low);
    const double n = static_cast<double>(high - low);
    const double sd = std::sqrt((n * n - 1) / 12);
    CHECK(std::fabs(mean_of(v) - (low + high - 1) / 2.0) < 5 * sd / std::sqrt(static_cast<double>(v.size())));
  };
  return row;
}

void add_creation_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(arange_row());
  rows.push_back(linspace_row());
  rows.push_back(eye_row());
  rows.push_back(random_float_row(false));
  rows.push_back(random_float_row(true));
  rows.push_back(randint_row());
}

}  // namespace

REEL_OP_TABLE_ROWS(add_creation_rows);

}  // namespace reel::test
