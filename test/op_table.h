// reel/test/op_table.h — the op test table: one OpTestRow per public op of tensor/ops.def.
//
// A row says how to make sample inputs for a dtype and device, how to run the reel op on a sample, and what
// the answer should be: a naive float64 reference (test/reference.h) compared within per-dtype tolerances,
// and/or a custom check (random ops: statistics and reproducibility; views: storage sharing). One harness
// (test/test_ops.cpp) runs every row on every dtype it lists, on the CPU and, when present, on CUDA;
// test/test_coverage.cpp fails when an ops.def row has no OpTestRow.
//
// The same rows drive the gradient checks: `differentiable` and `grad_inputs` say which inputs a
// float64 finite-difference check may perturb, and samples whose values sit on a kink, a pole or a special
// value (NaN, inf) set `smooth = false` so the gradcheck skips them.
//
// Rows live in test/op_table_<family>.cpp; each file registers its rows with REEL_OP_TABLE_ROWS(fn).
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "test/reference.h"

namespace reel::test {

// One set of inputs for one op call, plus the op's non-tensor arguments.
struct Sample {
  std::string description;      // e.g. "broadcast [3,1,4] with [2,4]"
  std::vector<Tensor> inputs;   // tensor arguments, in the op's parameter order
  // Non-tensor arguments; each row documents which it reads.
  Shape dims;                   // reduced / permuted / flipped dims, repeats, sizes
  Shape ints;                   // further integer arguments (strides, split sizes, ...)
  int64_t dim = 0;
  int64_t index = 0;            // select index, diagonal, num_classes, start, ...
  int64_t length = 0;           // narrow length, end, ...
  int64_t step = 1;
  bool keepdim = false;
  bool flag = false;            // row-specific switch (e.g. "call the method form", "no dtype given")
  std::optional<Scalar> scalar;   // a scalar operand (tensor op scalar), min, fill value, start, ...
  std::optional<Scalar> scalar2;  // max, end, alpha, ...
  std::optional<Scalar> scalar3;  // step, beta, ...
  bool scalar_first = false;    // binary rows: Scalar op Tensor instead of Tensor op Scalar
  ScalarType dtype = kFloat32;  // the row dtype this sample was made for
  ScalarType promoted = kFloat32;  // binary rows: the common dtype the inputs promote to
  Device device;
  bool smooth = true;           // usable by a gradcheck: values away from kinks, poles, NaN and inf
};

// |got - expected| <= atol + rtol * |expected|, elementwise; NaN matches NaN and infinities match exactly.
struct Tolerance {
  double rtol = 0;
  double atol = 0;
};
// Defaults by the result's dtype: exact for integers and bool, loose for the 16-bit floats.
Tolerance default_tolerance(ScalarType dtype);
// For results that sum many products (GEMM, convolution): rounding grows with the terms, so atol is looser.
Tolerance accumulation_tolerance(ScalarType dtype);
// Empty when `got` matches `expected` value for value (NaN matches NaN, infinities exactly, after rounding the
// reference to its dtype); otherwise the count and the first few mismatches with their positions.
std::string compare_values(const std::vector<double>& got, const RefTensor& expected, Tolerance tol);

// A sample of `inputs` made for row dtype `dtype` (also its promoted dtype) on `device`, with Sample::dim = dim.
Sample make_sample(std::string description, std::vector<Tensor> inputs, ScalarType dtype, Device device,
                   int64_t dim = 0);

struct OpTestRow {
  using SampleFn = std::function<std::vector<Sample>(ScalarType dtype, Device device)>;
  using RunFn = std::function<std::vector<Tensor>(const Sample&)>;
  using ReferenceFn = std::function<std::vector<RefTensor>(const Sample&)>;
  // Extra or custom checks with Catch assertions (CHECK, REQUIRE) on the op's outputs.
  using CheckFn = std::function<void(const Sample&, const std::vector<Tensor>& outputs)>;
  using ToleranceFn = std::function<Tolerance(ScalarType result_dtype)>;

  std::string op;                  // exactly an ops.def name
  std::vector<ScalarType> dtypes;  // the dtypes the op supports (each runs every sample)
  SampleFn samples;
  RunFn run;
  ReferenceFn reference;           // may be empty when `check` judges the outputs alone
  CheckFn check;                   // optional
  ToleranceFn tolerance;           // optional; default_tolerance otherwise
  bool differentiable = false;
  std::vector<int> grad_inputs;    // indices into Sample::inputs that a gradcheck perturbs
  bool mutates_inputs = false;     // set for in-place rows (the harness otherwise checks inputs are untouched)
  // false where a second derivative is refused on purpose (fused_rnn, as PyTorch's cuDNN RNN): no gradgradcheck
  bool twice_differentiable = true;
};

// Every registered row, in registration order (one file's rows stay together).
const std::deque<OpTestRow>& op_test_rows();
// Rows for one op name (usually one).
std::vector<const OpTestRow*> rows_for(std::string_view op);

// Called once per row file at static-initialisation time (through REEL_OP_TABLE_ROWS); adds the rows and
// registers one Catch test case per row (test/test_ops.cpp), and one gradient test case per differentiable row
// (test/test_op_gradients.cpp) except the cuDNN ops' (family Cudnn: float32 on CUDA only, checked by their rows).
struct RowFileRegistrar {
  explicit RowFileRegistrar(void (*add_rows)(std::vector<OpTestRow>&));
};
void register_row_test(const OpTestRow& row);       // test/test_ops.cpp
void register_gradient_test(const OpTestRow& row);  // test/test_op_gradients.cpp (differentiable rows only)
#define REEL_OP_TABLE_ROWS(add_rows_function) \
  static const ::reel::test::RowFileRegistrar kRowFileRegistrar_##add_rows_function(add_rows_function)

// ---- dtype lists ------------------------------------------------------------------------------------------
// Inline, so they are initialised before the row registrars of any file that includes this header.
inline const std::vector<ScalarType> kAllDtypes = {kBool,  kUInt8,    kInt8,    kInt16,   kInt32,
                                                   kInt64, kFloat16, kBFloat16, kFloat32, kFloat64};
inline const std::vector<ScalarType> kNumericDtypes = {kUInt8,   kInt8,     kInt16,   kInt32,  kInt64,
                                                       kFloat16, kBFloat16, kFloat32, kFloat64};  // all but bool
inline const std::vector<ScalarType> kFloatDtypes = {kFloat16, kBFloat16, kFloat32, kFloat64};
inline const std::vector<ScalarType> kIntegerDtypes = {kUInt8, kInt8, kInt16, kInt32, kInt64};
bool is_signed_dtype(ScalarType t);

// ---- making inputs ----------------------------------------------------------------------------------------
// The values a generated input takes: uniform in [lo, hi] with |x| >= min_abs. Integer dtypes get the
// integers of the interval (uint8 only its non-negative part), bool gets {false, true} (only true when
// min_abs > 0).
struct Domain {
  double lo = -2.0;
  double hi = 2.0;
  double min_abs = 0.0;
};

// How a generated input is laid out in memory. All but Contiguous are views over a larger base tensor.
enum class Layout {
  Contiguous,
  Transposed,  // the last two dims are swapped in memory (needs rank >= 2; rank < 2 falls back to Strided)
  Strided,     // every other element along the last dim, starting one element in (a step-2 slice)
};

// Makes deterministic inputs: the same sequence of calls gives the same values on every device, so CPU and
// CUDA samples can be compared.
class InputMaker {
 public:
  InputMaker(ScalarType dtype, Device device, uint64_t seed = 20240611);
  ScalarType dtype() const { return dtype_; }
  Device device() const { return device_; }

  Tensor make(const Shape& shape, Domain domain = {}, Layout layout = Layout::Contiguous);
  Tensor make(const Shape& shape, ScalarType dtype, Domain domain = {}, Layout layout = Layout::Contiguous);
  // A tensor with exactly these values (row-major), cast to `dtype` and moved to the device.
  Tensor values(const Shape& shape, const std::vector<double>& data, std::optional<ScalarType> dtype = std::nullopt,
                Layout layout = Layout::Contiguous);
  // A random bool mask.
  Tensor mask(const Shape& shape, Layout layout = Layout::Contiguous);
  // Integer index tensor (int64) with values in [0, bound).
  Tensor indices(const Shape& shape, int64_t bound, Layout layout = Layout::Contiguous);
  // Each row (along `dim`) a distinct choice of index.size(dim) values from [0, bound): scatter without clashes.
  Tensor distinct_indices(const Shape& shape, int64_t dim, int64_t bound);
  std::mt19937_64& rng() { return rng_; }
  double uniform(double lo, double hi);

 private:
  std::vector<double> draw(int64_t n, ScalarType dtype, Domain domain);
  Tensor place(const Shape& shape, const std::vector<double>& data, ScalarType dtype, Layout layout);

  ScalarType dtype_;
  Device device_;
  std::mt19937_64 rng_;
};

// Special floating values every elementwise op should get right: NaN, +-inf, +-0 and a few ordinary ones.
std::vector<double> special_values();

// "float32[2, 3] strides [1, 2]" for each input: the context printed with every failure.
std::string describe_inputs(const Sample& sample);

}  // namespace reel::test
