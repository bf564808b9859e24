// reel/test/reference.h — the naive float64 oracle of the op-table tests.
//
// A RefTensor is a shape, a row-major std::vector<double> and the dtype the result should have. The
// references below are written independently of reel's kernels: they read reel tensors only through
// Tensor::sizes() and Tensor::to_vector<double>(), index with plain loops, and compute in double. They
// are deliberately slow and obvious; a reference that needs cleverness is a reference that can be wrong.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <reel/reel.h>

namespace reel::test {

using Shape = std::vector<int64_t>;

struct RefTensor {
  Shape shape;
  std::vector<double> values;  // row-major
  ScalarType dtype = kFloat64;

  RefTensor() = default;
  RefTensor(Shape sizes, std::vector<double> data, ScalarType type);
  // A tensor of `sizes` filled with `value`.
  static RefTensor filled(Shape sizes, double value, ScalarType type);
  // The values of a reel tensor (any device, any layout), read through to_vector<double>().
  static RefTensor of(const Tensor& t);

  int64_t dim() const { return static_cast<int64_t>(shape.size()); }
  int64_t numel() const { return static_cast<int64_t>(values.size()); }
  double at(const Shape& index) const;
  double& at(const Shape& index);
};

// ---- index arithmetic -------------------------------------------------------------------------------------
int64_t numel_of(const Shape& shape);
Shape unravel(int64_t flat, const Shape& shape);        // row-major flat index -> multi-index
int64_t ravel(const Shape& index, const Shape& shape);  // multi-index -> row-major flat index
// Every multi-index of `shape` in row-major order (one empty index for a 0-dim shape, none for size 0).
std::vector<Shape> all_indices(const Shape& shape);
// Wraps a possibly negative dim into [0, rank) (0-dim tensors accept 0 and -1).
int64_t wrap(int64_t dim, int64_t rank);
std::string shape_text(const Shape& shape);

// ---- broadcasting -----------------------------------------------------------------------------------------
Shape broadcast(const Shape& a, const Shape& b);
// The element of `t` that lands at `out_index` when t is broadcast to a shape of rank out_index.size().
double broadcast_at(const RefTensor& t, const Shape& out_index);
RefTensor map_unary(const RefTensor& x, const std::function<double(double)>& f, ScalarType out);
RefTensor map_binary(const RefTensor& a, const RefTensor& b, const std::function<double(double, double)>& f,
                     ScalarType out);
RefTensor map_ternary(const RefTensor& a, const RefTensor& b, const RefTensor& c,
                      const std::function<double(double, double, double)>& f, ScalarType out);

// ---- dtypes -----------------------------------------------------------------------------------------------
// PyTorch's promotion of two dtypes of the same rank class: bool < uint8 < int32 < int64 < float16, bfloat16
// < float32 < float64, with float16 + bfloat16 -> float32.
ScalarType promote(ScalarType a, ScalarType b);
bool is_float(ScalarType t);
// What storing `value` into an element of `dtype` gives: integers wrap (two's complement), bool is value != 0,
// floats round to nearest even and overflow to inf. Fractional values going to an integer dtype truncate.
double cast_value(double value, ScalarType dtype);
RefTensor cast(const RefTensor& x, ScalarType dtype);

// ---- reductions -------------------------------------------------------------------------------------------
// The elements of x grouped by output position for a reduction over `dims` (empty = every dim), in row-major
// order within each group; out_shape keeps the reduced dims as 1 when keepdim.
struct Reduction {
  Shape out_shape;
  std::vector<std::vector<double>> groups;
};
Reduction group_reduction(const RefTensor& x, const Shape& dims, bool keepdim);
RefTensor reduce(const RefTensor& x, const Shape& dims, bool keepdim, ScalarType out,
                 const std::function<double(const std::vector<double>&)>& f);
double ref_sum(const std::vector<double>& v);
double ref_prod(const std::vector<double>& v);
double ref_max(const std::vector<double>& v);  // NaN if any is NaN
double ref_min(const std::vector<double>& v);
int64_t ref_argmax(const std::vector<double>& v);  // first max; a NaN counts as the max
int64_t ref_argmin(const std::vector<double>& v);
double ref_var(const std::vector<double>& v, int64_t correction);
double ref_logsumexp(const std::vector<double>& v);
double ref_norm(const std::vector<double>& v, double p);

// ---- per-op references (the data-moving and linear-algebra ops) --------------------------------------------
RefTensor ref_softmax(const RefTensor& x, int64_t dim, bool log);
RefTensor ref_matmul(const RefTensor& a, const RefTensor& b);  // PyTorch matmul rules, ranks 1..4
RefTensor ref_cat(const std::vector<RefTensor>& xs, int64_t dim, ScalarType out);
RefTensor ref_flip(const RefTensor& x, const Shape& dims);
RefTensor ref_repeat(const RefTensor& x, const Shape& repeats);
RefTensor ref_tril(const RefTensor& x, int64_t diagonal, bool upper);
RefTensor ref_permute(const RefTensor& x, const Shape& order);
RefTensor ref_slice(const RefTensor& x, int64_t dim, int64_t start, int64_t end, int64_t step);
RefTensor ref_select(const RefTensor& x, int64_t dim, int64_t index);
RefTensor ref_expand(const RefTensor& x, const Shape& sizes);
RefTensor ref_reshape(const RefTensor& x, const Shape& sizes);  // row-major order kept
RefTensor ref_index_select(const RefTensor& x, int64_t dim, const RefTensor& index);
RefTensor ref_gather(const RefTensor& x, int64_t dim, const RefTensor& index);
// scatter / scatter_add: y = x; y[.., index[p], ..] (=|+=) src[p] for every position p of index.
RefTensor ref_scatter(const RefTensor& x, int64_t dim, const RefTensor& index, const RefTensor& src, bool add);
RefTensor ref_index_add(const RefTensor& x, int64_t dim, const RefTensor& index, const RefTensor& src, double alpha);
RefTensor ref_one_hot(const RefTensor& index, int64_t num_classes);
// Reads `sizes`/`strides`/`offset` over the row-major storage `flat` (as as_strided on a contiguous base).
RefTensor ref_as_strided(const std::vector<double>& flat, const Shape& sizes, const Shape& strides, int64_t offset,
                         ScalarType dtype);

}  // namespace reel::test
