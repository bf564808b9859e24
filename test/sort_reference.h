// reel/test/sort_reference.h — float64 references for the sorting, selection and scan rows
// (test/op_table_sort.cpp, test/op_table_scan_search.cpp) and the helpers their rows share.
//
// A tensor is cut into rows along a dim on the host (plain index loops over RefTensor, independent of reel's
// kernels), each row is worked on with std::stable_sort and hand loops, and the results are put back.
#pragma once

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "test/op_table.h"

namespace reel::test {

// a < b with NaN above every number (PyTorch's sort order).
inline bool ref_less(double a, double b) { return a < b || (std::isnan(b) && !std::isnan(a)); }

// The shape without `dim` (the shape of the rows' index space).
inline Shape without_dim(const Shape& shape, int64_t dim) {
  Shape rest;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d)
    if (d != dim) rest.push_back(shape[static_cast<size_t>(d)]);
  return rest;
}

// The rows of x along dim (a 0-dim x is one row of one element).
inline std::vector<std::vector<double>> split_rows(const RefTensor& x, int64_t dim) {
  if (x.dim() == 0) return {{x.values[0]}};
  const Shape rest = without_dim(x.shape, dim);
  std::vector<std::vector<double>> rows(static_cast<size_t>(numel_of(rest)),
                                        std::vector<double>(static_cast<size_t>(x.shape[static_cast<size_t>(dim)])));
  for (const Shape& index : all_indices(x.shape)) {
    const int64_t r = ravel(without_dim(index, dim), rest);
    rows[static_cast<size_t>(r)][static_cast<size_t>(index[static_cast<size_t>(dim)])] = x.at(index);
  }
  return rows;
}

// Rows of `length` back into x's shape with dim resized to length.
inline RefTensor join_rows(const std::vector<std::vector<double>>& rows, const Shape& x_shape, int64_t dim,
                           int64_t length, ScalarType dtype) {
  if (x_shape.empty()) return RefTensor({}, {rows[0][0]}, dtype);
  Shape shape = x_shape;
  shape[static_cast<size_t>(dim)] = length;
  const Shape rest = without_dim(shape, dim);
  RefTensor out = RefTensor::filled(shape, 0, dtype);
  for (const Shape& index : all_indices(shape))
    out.at(index) = rows[static_cast<size_t>(ravel(without_dim(index, dim), rest))]
                        [static_cast<size_t>(index[static_cast<size_t>(dim)])];
  return out;
}

// One value per row, dim dropped (or kept as 1).
inline RefTensor reduced_rows(const std::vector<double>& per_row, const Shape& x_shape, int64_t dim, bool keepdim,
                              ScalarType dtype) {
  if (x_shape.empty()) return RefTensor({}, {per_row[0]}, dtype);
  Shape shape = without_dim(x_shape, dim);
  if (keepdim) shape.insert(shape.begin() + dim, 1);
  return RefTensor(shape, per_row, dtype);
}

// Positions of a row in (stable) ascending order, or descending (ties still in input order).
inline std::vector<int64_t> ref_order(const std::vector<double>& row, bool descending) {
  std::vector<int64_t> order(row.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return descending ? ref_less(row[static_cast<size_t>(b)], row[static_cast<size_t>(a)])
                      : ref_less(row[static_cast<size_t>(a)], row[static_cast<size_t>(b)]);
  });
  return order;
}

// x's elements at the indices an op returned: what each returned value must equal, whatever the tie order.
// `reduced`: the indices lack dim (unless keepdim).
inline Tensor picked(const Tensor& x, int64_t dim, const Tensor& indices, bool reduced, bool keepdim) {
  if (x.dim() == 0) return x.reshape({1}).gather(0, indices.reshape({1})).reshape(indices.sizes());
  const int64_t d = dim < 0 ? dim + x.dim() : dim;
  if (reduced && !keepdim) return x.gather(d, indices.unsqueeze(d)).squeeze(d);
  return x.gather(d, indices);
}

// Tolerance of running sums and products: the error grows with the row length.
inline Tolerance scan_tolerance(ScalarType dtype) {
  switch (dtype) {
    case kFloat16: return {5e-3, 5e-3};
    case kBFloat16: return {2e-2, 2e-2};
    case kFloat32: return {1e-5, 1e-5};
    case kFloat64: return {1e-10, 1e-12};
    default: return {0, 0};
  }
}

}  // namespace reel::test
