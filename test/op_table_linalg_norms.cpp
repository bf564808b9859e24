// reel/test/op_table_linalg_norms.cpp — op-table rows of cdist, linalg_vector_norm, linalg_matrix_norm and
// linalg_norm.
//
// References are hand loops: the p-norm of each pair of rows for cdist (p = 0, 1, 2, inf and a general p; batch dims
// broadcast; the matrix-product path for p = 2 forced and taken for more than 25 rows), and for the norms the
// |x|^ord sums, counts and extremes over the chosen dims, matrix norms as column / row sums of |x|. The norms take
// floating inputs only, as PyTorch's do.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "test/op_table.h"

namespace reel::test {

namespace {

const Layout T = Layout::Transposed, S = Layout::Strided;
const double kInf = std::numeric_limits<double>::infinity();
const std::vector<ScalarType> kFloat3264 = {kFloat32, kFloat64};

// ||v||_p of a list: p = 0 counts nonzeros, +-inf is max / min |v_i|.
double p_norm(const std::vector<double>& v, double p) {
  if (p == 0) {
    double count = 0;
    for (double x : v) count += x != 0;
    return count;
  }
  if (std::isinf(p)) {
    double extreme = p > 0 ? 0 : kInf;
    for (double x : v) extreme = p > 0 ? std::max(extreme, std::fabs(x)) : std::min(extreme, std::fabs(x));
    return extreme;
  }
  double total = 0;
  for (double x : v) total += std::pow(std::fabs(x), p);
  return std::pow(total, 1 / p);
}

// ---- cdist: Sample::scalar is p, index the compute mode (-1: none given) ---------------------------------------
OpTestRow cdist_row() {
  OpTestRow row;
  row.op = "cdist";
  row.dtypes = kFloat3264;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor a, Tensor b, double p, int64_t mode) {
      out.push_back(make_sample(std::move(description), {a, b}, dtype, device));
      out.back().scalar = Scalar(p);
      out.back().index = mode;
    };
    add("[4, 3] to [5, 3], p = 2", m.make({4, 3}), m.make({5, 3}), 2, -1);
    add("p = 1, transposed x1", m.make({4, 3}, {}, T), m.make({5, 3}), 1, -1);
    add("p = 0", m.make({3, 2}), m.make({2, 2}), 0, -1);
    add("p = inf, strided x2", m.make({3, 4}), m.make({2, 4}, {}, S), kInf, -1);
    add("p = 1.5, batch dims broadcast [2, 1, 3, 2] to [3, 4, 2]", m.make({2, 1, 3, 2}), m.make({3, 4, 2}), 1.5, -1);
    add("p = 2 by matrix products (mode 1), batched", m.make({2, 3, 4}), m.make({2, 5, 4}), 2, 1);
    add("p = 2, 26 rows take the matrix products", m.make({26, 3}), m.make({4, 3}), 2, -1);
    add("p = 2, 26 rows, mode 2 never uses them", m.make({26, 3}), m.make({4, 3}), 2, 2);
    add("no columns: every distance is 0", m.make({3, 0}), m.make({2, 0}), 2, -1);
    add("no rows in x1", m.make({0, 3}), m.make({2, 3}), 1, -1);
    return out;
  };
  row.run = [](const Sample& s) {
    const std::optional<int64_t> mode = s.index < 0 ? std::nullopt : std::optional<int64_t>(s.index);
    return std::vector<Tensor>{reel::cdist(s.inputs[0], s.inputs[1], s.scalar->to_double(), mode)};
  };
  row.reference = [](const Sample& s) {
    const RefTensor a = RefTensor::of(s.inputs[0]), b = RefTensor::of(s.inputs[1]);
    const Shape batch = broadcast(Shape(a.shape.begin(), a.shape.end() - 2), Shape(b.shape.begin(), b.shape.end() - 2));
    const int64_t rows1 = a.shape[a.shape.size() - 2], rows2 = b.shape[b.shape.size() - 2], cols = a.shape.back();
    Shape out_shape = batch;
    out_shape.push_back(rows1);
    out_shape.push_back(rows2);
    RefTensor out = RefTensor::filled(out_shape, 0.0, s.dtype);
    for (const Shape& index : all_indices(out_shape)) {
      std::vector<double> diff;
      for (int64_t c = 0; c < cols; ++c) {
        Shape ia(index.begin(), index.end() - 2), ib(index.begin(), index.end() - 2);
        ia.push_back(index[index.size() - 2]);
        ia.push_back(c);
        ib.push_back(index.back());
        ib.push_back(c);
        diff.push_back(broadcast_at(a, ia) - broadcast_at(b, ib));
      }
      out.at(index) = p_norm(diff, s.scalar->to_double());
    }
    return std::vector<RefTensor>{out};
  };
  row.tolerance = accumulation_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1};
  return row;
}

// ---- vector_norm: Sample::scalar is ord, dims the dims (flag: dim = nullopt), keepdim; scalar2: a dtype ------------
OpTestRow vector_norm_row() {
  OpTestRow row;
  row.op = "linalg_vector_norm";
  row.dtypes = kFloatDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor x, double ord, std::optional<Shape> dims, bool keepdim) {
      out.push_back(make_sample(std::move(description), {x}, dtype, device));
      out.back().scalar = Scalar(ord);
      out.back().flag = !dims;
      out.back().dims = dims.value_or(Shape{});
      out.back().keepdim = keepdim;
      return &out.back();
    };
    add("ord 2 over everything", m.make({3, 4}), 2, std::nullopt, false);
    add("ord 1 over dim 1, keepdim, transposed", m.make({3, 4}, {}, T), 1, Shape{1}, true);
    add("ord inf over dims (0, 2)", m.make({2, 3, 4}), kInf, Shape{0, 2}, false);
    add("ord -inf over dim -1, strided", m.make({3, 4}, {}, S), -kInf, Shape{-1}, false);
    add("ord 0 counts nonzeros", m.values({2, 3}, {0, 1, -2, 0, 0, 3}), 0, Shape{1}, false)->smooth = false;
    add("ord 3 keepdim", m.make({2, 3}), 3, std::nullopt, true);
    add("ord 2 of an empty tensor is 0", m.make({0, 3}), 2, std::nullopt, false);
    add("ord -1 over dim 0", m.make({3, 2}, Domain{0.5, 2}), -1, Shape{0}, false);
    if (dtype == kFloat32) add("computed in float64 (dtype)", m.make({3, 4}), 2, Shape{1}, false)->scalar2 = Scalar(1);
    return out;
  };
  row.run = [](const Sample& s) {
    const std::optional<ScalarType> dtype = s.scalar2 ? std::optional<ScalarType>(kFloat64) : std::nullopt;
    const std::optional<IntList> dims = s.flag ? std::nullopt : std::optional<IntList>(IntList(s.dims));
    return std::vector<Tensor>{linalg::vector_norm(s.inputs[0], *s.scalar, dims, s.keepdim, dtype)};
  };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    const double ord = s.scalar->to_double();
    return std::vector<RefTensor>{reduce(x, s.dims, s.keepdim, s.scalar2 ? kFloat64 : s.dtype,
                                         [ord](const std::vector<double>& v) { return p_norm(v, ord); })};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// |x| summed over one dim then the extreme over the other (matrix norms 1, -1, inf, -inf), or "fro".
RefTensor ref_matrix_norm(const RefTensor& x, double ord, bool fro, int64_t d0, int64_t d1, bool keepdim,
                          ScalarType out) {
  if (fro) return reduce(x, {d0, d1}, keepdim, out, [](const std::vector<double>& v) { return p_norm(v, 2); });
  const bool columns = std::fabs(ord) == 1;
  const int64_t summed = columns ? d0 : d1, extreme = columns ? d1 : d0;
  const RefTensor abs_x = map_unary(x, [](double v) { return std::fabs(v); }, kFloat64);
  const RefTensor sums = reduce(abs_x, {summed}, true, kFloat64, ref_sum);
  RefTensor y = reduce(sums, {extreme}, true, out, ord > 0 ? ref_max : ref_min);
  if (keepdim) return y;
  return reduce(y, {d0, d1}, false, out, ref_sum);  // drops the two size-1 dims
}

// ---- matrix_norm and norm: Sample::scalar is ord (flag: "fro"), dims the two dims (empty: defaults) -------------
OpTestRow matrix_norm_row(std::string op) {
  const bool dispatching = op == "linalg_norm";
  OpTestRow row;
  row.op = op;
  row.dtypes = kFloat3264;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor x, double ord, bool fro, Shape dims, bool keepdim) {
      out.push_back(make_sample(std::move(description), {x}, dtype, device));
      out.back().scalar = Scalar(ord);
      out.back().flag = fro;
      out.back().dims = std::move(dims);
      out.back().keepdim = keepdim;
    };
    add("'fro' of [3, 4]", m.make({3, 4}), 0, true, {}, false);
    add("ord 1 of transposed [3, 4]", m.make({3, 4}, {}, T), 1, false, {}, false);
    add("ord -1, batch [2, 3, 4]", m.make({2, 3, 4}), -1, false, {-2, -1}, false);
    add("ord inf over dims (0, 2), keepdim", m.make({2, 3, 4}), kInf, false, {0, 2}, true);
    add("ord -inf over dims (1, 0), strided", m.make({3, 4}, {}, S), -kInf, false, {1, 0}, false);
    add("'fro' over dims (2, 0), keepdim", m.make({2, 3, 4}), 0, true, {2, 0}, true);
    add("'fro' of an empty [0, 3] is 0", m.make({0, 3}), 0, true, {}, false);
    return out;
  };
  row.run = [dispatching](const Sample& s) {
    const Tensor& x = s.inputs[0];
    const Shape dims = s.dims.empty() ? Shape{-2, -1} : s.dims;  // owned: an IntList of a braced list would dangle
    if (dispatching) {
      // linalg::norm reaches the matrix norm through two dims, or through a 2-D input with none.
      const std::optional<IntList> dim = s.dims.empty() ? std::nullopt : std::optional<IntList>(IntList(dims));
      return std::vector<Tensor>{s.flag ? linalg::norm(x, "fro", dim, s.keepdim)
                                        : linalg::norm(x, *s.scalar, dim, s.keepdim)};
    }
    return std::vector<Tensor>{s.flag ? linalg::matrix_norm(x, "fro", dims, s.keepdim)
                                      : linalg::matrix_norm(x, *s.scalar, dims, s.keepdim)};
  };
  row.reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    const int64_t d0 = wrap(s.dims.empty() ? -2 : s.dims[0], x.dim()), d1 = wrap(s.dims.empty() ? -1 : s.dims[1], x.dim());
    return std::vector<RefTensor>{ref_matrix_norm(x, s.scalar->to_double(), s.flag, d0, d1, s.keepdim, s.dtype)};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

void add_linalg_norm_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(cdist_row());
  rows.push_back(vector_norm_row());
  rows.push_back(matrix_norm_row("linalg_matrix_norm"));
  rows.push_back(matrix_norm_row("linalg_norm"));
}
REEL_OP_TABLE_ROWS(add_linalg_norm_rows);

}  // namespace

}  // namespace reel::test
