// reel/test/op_table.cpp — the shared machinery of the op test table: the row registry, dtype lists,
// default tolerances and InputMaker, which builds deterministic sample inputs in every layout the rows ask
// for (contiguous, transposed, step-2 strided) on any device. The rows themselves are in op_table_*.cpp.
#include "test/op_table.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>
#include <stdexcept>

namespace reel::test {

// ---- registry ---------------------------------------------------------------------------------------------
namespace {
std::deque<OpTestRow>& registry() {
  static std::deque<OpTestRow> rows;  // a deque: registering more rows never moves the earlier ones
  return rows;
}
// A cuDNN call (ops.def family Cudnn): float32 on CUDA only, so no float64 finite-difference check on the CPU; its
// row's own check compares the backward formula's gradient with the recursion's on CUDA.
bool cudnn_op(const std::string& op) {
  for (const OpInfo& info : kOpInfos)
    if (info.name == op) return info.family == OpFamily::Cudnn;
  return false;
}
}  // namespace

RowFileRegistrar::RowFileRegistrar(void (*add_rows)(std::vector<OpTestRow>&)) {
  std::vector<OpTestRow> rows;
  add_rows(rows);
  for (OpTestRow& row : rows) {
    registry().push_back(std::move(row));
    register_row_test(registry().back());
    if (registry().back().differentiable && !cudnn_op(registry().back().op)) register_gradient_test(registry().back());
  }
}

const std::deque<OpTestRow>& op_test_rows() { return registry(); }

std::vector<const OpTestRow*> rows_for(std::string_view op) {
  std::vector<const OpTestRow*> found;
  for (const OpTestRow& row : registry())
    if (row.op == op) found.push_back(&row);
  return found;
}

// ---- dtypes and tolerances --------------------------------------------------------------------------------
bool is_signed_dtype(ScalarType t) { return t != kBool && t != kUInt8; }

Tolerance accumulation_tolerance(ScalarType dtype) {
  switch (dtype) {
    case kFloat16: return {3e-3, 3e-3};
    case kBFloat16: return {2e-2, 2e-2};
    case kFloat32: return {2e-5, 1e-4};
    case kFloat64: return {1e-10, 1e-10};
    default: return {0, 0};
  }
}

Sample make_sample(std::string description, std::vector<Tensor> inputs, ScalarType dtype, Device device,
                   int64_t dim) {
  Sample s;
  s.description = std::move(description);
  s.inputs = std::move(inputs);
  s.dtype = dtype;
  s.promoted = dtype;
  s.device = device;
  s.dim = dim;
  return s;
}

Tolerance default_tolerance(ScalarType dtype) {
  switch (dtype) {
    case kFloat16: return {2e-3, 1e-3};
    case kBFloat16: return {1.6e-2, 1e-2};
    case kFloat32: return {1e-5, 1e-6};
    case kFloat64: return {1e-9, 1e-12};
    default: return {0.0, 0.0};  // integers and bool are exact
  }
}

// ---- InputMaker -------------------------------------------------------------------------------------------
InputMaker::InputMaker(ScalarType dtype, Device device, uint64_t seed)
    : dtype_(dtype), device_(device), rng_(seed + static_cast<uint64_t>(dtype) * 7919u) {}

double InputMaker::uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }

std::vector<double> InputMaker::draw(int64_t n, ScalarType dtype, Domain domain) {
  std::vector<double> out(static_cast<size_t>(n));
  if (dtype == kBool) {
    for (double& v : out) v = domain.min_abs > 0 ? 1.0 : static_cast<double>(rng_() % 2);
    return out;
  }
  if (!is_float(dtype)) {
    int64_t lo = static_cast<int64_t>(std::ceil(domain.lo));
    const int64_t hi = static_cast<int64_t>(std::floor(domain.hi));
    if (dtype == kUInt8) lo = std::max<int64_t>(lo, 0);
    std::vector<int64_t> allowed;
    for (int64_t v = lo; v <= hi; ++v)
      if (std::fabs(static_cast<double>(v)) >= domain.min_abs) allowed.push_back(v);
    if (allowed.empty()) throw std::logic_error("InputMaker: the domain has no integers for this dtype");
    for (double& v : out) v = static_cast<double>(allowed[rng_() % allowed.size()]);
    return out;
  }
  for (double& v : out) {
    do {
      v = uniform(domain.lo, domain.hi);
    } while (std::fabs(v) < domain.min_abs);
  }
  return out;
}

Tensor InputMaker::place(const Shape& shape, const std::vector<double>& data, ScalarType dtype, Layout layout) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (layout == Layout::Transposed && rank < 2) layout = Layout::Strided;
  auto upload = [&](const Shape& base_shape, const std::vector<double>& base_data) {
    Tensor host = from_blob_copy<double>(base_data.data(), base_shape);
    return host.to(dtype).to(device_);
  };
  switch (layout) {
    case Layout::Contiguous: return upload(shape, data);
    case Layout::Transposed: {
      Shape base_shape = shape;
      std::swap(base_shape[rank - 1], base_shape[rank - 2]);
      std::vector<double> base_data(data.size());
      for (int64_t i = 0; i < static_cast<int64_t>(data.size()); ++i) {
        Shape index = unravel(i, shape);
        std::swap(index[rank - 1], index[rank - 2]);
        base_data[static_cast<size_t>(ravel(index, base_shape))] = data[static_cast<size_t>(i)];
      }
      Tensor base = upload(base_shape, base_data);
      Shape strides = base.strides().vec();
      std::swap(strides[rank - 1], strides[rank - 2]);
      return Tensor::make_view(base, shape, strides, 0);
    }
    case Layout::Strided: {
      Shape base_shape = shape;
      if (rank == 0) base_shape = {2};
      else base_shape.back() = 2 * shape.back() + 1;
      std::vector<double> base_data = draw(numel_of(base_shape), dtype, Domain{});
      // Fill the positions the view sees with `data`; the others keep their random filler values.
      Shape base_strides(base_shape.size(), 1);
      for (int64_t d = static_cast<int64_t>(base_shape.size()) - 2; d >= 0; --d)
        base_strides[d] = base_strides[d + 1] * base_shape[d + 1];
      Shape strides = rank == 0 ? Shape{} : base_strides;
      if (rank > 0) strides.back() = 2;
      for (int64_t i = 0; i < static_cast<int64_t>(data.size()); ++i) {
        const Shape index = unravel(i, shape);
        int64_t position = 1;
        for (int64_t d = 0; d < rank; ++d) position += index[d] * strides[d];
        base_data[static_cast<size_t>(position)] = data[static_cast<size_t>(i)];
      }
      Tensor base = upload(base_shape, base_data);
      return Tensor::make_view(base, shape, strides, 1);
    }
  }
  return {};
}

Tensor InputMaker::make(const Shape& shape, Domain domain, Layout layout) { return make(shape, dtype_, domain, layout); }

Tensor InputMaker::make(const Shape& shape, ScalarType dtype, Domain domain, Layout layout) {
  return place(shape, draw(numel_of(shape), dtype, domain), dtype, layout);
}

Tensor InputMaker::values(const Shape& shape, const std::vector<double>& data, std::optional<ScalarType> dtype,
                          Layout layout) {
  if (static_cast<int64_t>(data.size()) != numel_of(shape))
    throw std::logic_error("InputMaker::values: " + std::to_string(data.size()) + " values for " + shape_text(shape));
  return place(shape, data, dtype.value_or(dtype_), layout);
}

Tensor InputMaker::mask(const Shape& shape, Layout layout) { return make(shape, kBool, Domain{}, layout); }

Tensor InputMaker::indices(const Shape& shape, int64_t bound, Layout layout) {
  std::vector<double> data(static_cast<size_t>(numel_of(shape)));
  for (double& v : data) v = static_cast<double>(rng_() % static_cast<uint64_t>(bound));
  return place(shape, data, kInt64, layout);
}

Tensor InputMaker::distinct_indices(const Shape& shape, int64_t dim, int64_t bound) {
  const size_t d = static_cast<size_t>(wrap(dim, static_cast<int64_t>(shape.size())));
  if (shape[d] > bound) throw std::logic_error("distinct_indices: more indices than choices");
  std::vector<double> data(static_cast<size_t>(numel_of(shape)));
  for (const Shape& start : all_indices(shape)) {
    if (start[d] != 0) continue;
    std::vector<int64_t> choices(static_cast<size_t>(bound));
    std::iota(choices.begin(), choices.end(), 0);
    std::shuffle(choices.begin(), choices.end(), rng_);
    Shape at = start;
    for (int64_t i = 0; i < shape[d]; ++i) {
      at[d] = i;
      data[static_cast<size_t>(ravel(at, shape))] = static_cast<double>(choices[static_cast<size_t>(i)]);
    }
  }
  return place(shape, data, kInt64, Layout::Contiguous);
}

std::vector<double> special_values() {
  const double inf = std::numeric_limits<double>::infinity();
  return {std::numeric_limits<double>::quiet_NaN(), inf, -inf, 0.0, -0.0, 0.5, -0.5, 1.5, -2.5, 30.0};
}

std::string describe_inputs(const Sample& sample) {
  std::ostringstream os;
  for (size_t i = 0; i < sample.inputs.size(); ++i) {
    const Tensor& t = sample.inputs[i];
    if (i) os << ", ";
    if (!t.defined()) {
      os << "undefined";
      continue;
    }
    os << dtype_name(t.dtype()) << shape_text(t.sizes().vec());
    if (!t.is_contiguous()) os << " strides " << shape_text(t.strides().vec()) << " offset " << t.storage_offset();
    if (!t.is_cpu()) os << " on " << t.device().str();
  }
  return os.str();
}

// ---- comparing results (shared by test_ops.cpp and test_op_gradients.cpp) ---------------------------------

bool same_value(double got, double expected, Tolerance tol) {
  if (std::isnan(expected) || std::isnan(got)) return std::isnan(expected) && std::isnan(got);
  if (std::isinf(expected) || std::isinf(got)) return got == expected;
  return std::fabs(got - expected) <= tol.atol + tol.rtol * std::fabs(expected);
}

// Empty when `got` matches `expected` value for value; otherwise a description of the first mismatches.
std::string compare_values(const std::vector<double>& got, const RefTensor& expected, Tolerance tol) {
  const RefTensor rounded = cast(expected, expected.dtype);  // e.g. exp(100) in float32 is inf
  std::ostringstream os;
  os.precision(10);
  int64_t bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (same_value(got[i], rounded.values[i], tol)) continue;
    if (++bad <= 6) {
      os << "\n  at " << shape_text(unravel(static_cast<int64_t>(i), expected.shape)) << ": got " << got[i]
         << ", expected " << rounded.values[i];
    }
  }
  if (bad == 0) return "";
  std::ostringstream head;
  head.precision(10);
  head << bad << " of " << got.size() << " values differ (rtol " << tol.rtol << ", atol " << tol.atol << "):";
  return head.str() + os.str();
}

}  // namespace reel::test
