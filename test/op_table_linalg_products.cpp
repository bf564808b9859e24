// reel/test/op_table_linalg_products.cpp — op-table rows of dot, vdot, mv, addmv, baddbmm, addbmm, tensordot, kron,
// trace, diagonal, diag, diag_embed, cross, linalg_cross, cdist and einsum (tensor/ops_linalg_products.cpp,
// tensor/ops_einsum.cpp, the diagonal view in tensor/views.cpp).
//
// Every reference is a float64 hand loop over the inputs' values (RefTensor), written here from the definition,
// never through a reel op. einsum's reference is a direct evaluator of the summation: every assignment of values
// to the labels, the operands' product added into the output element the output labels pick (size-1 dims
// broadcast); ellipsis equations are given to it with the "..." spelled as upper-case labels. Samples cover
// transposed and strided inputs, broadcasting, empty dims and, for the GEMM-based ops, the integer dtypes.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <map>

#include "test/einsum_reference.h"
#include "test/op_table.h"

namespace reel::test {

namespace {

const Layout T = Layout::Transposed, S = Layout::Strided;
const std::vector<ScalarType> kFloat3264 = {kFloat32, kFloat64};
const std::vector<ScalarType> kWideDtypes = {kUInt8, kInt32, kInt64, kFloat32, kFloat64};

Domain value_domain(ScalarType dtype) { return is_float(dtype) ? Domain{-2, 2} : Domain{-3, 3}; }
std::vector<RefTensor> one(RefTensor t) { return {std::move(t)}; }
std::vector<Tensor> one(Tensor t) { return {std::move(t)}; }
Scalar scale(ScalarType dtype, double floating, int64_t integer) {
  return is_float(dtype) ? Scalar(floating) : Scalar(integer);
}

// A row whose samples, run and reference are given; gradients checked on `grad_inputs` in float64.
OpTestRow make_row(std::string op, std::vector<ScalarType> dtypes, OpTestRow::SampleFn samples, OpTestRow::RunFn run,
                   OpTestRow::ReferenceFn reference, std::vector<int> grad_inputs, bool accumulates = true) {
  OpTestRow row;
  row.op = std::move(op);
  row.dtypes = std::move(dtypes);
  row.samples = std::move(samples);
  row.run = std::move(run);
  row.reference = std::move(reference);
  if (accumulates) row.tolerance = accumulation_tolerance;
  row.differentiable = !grad_inputs.empty();
  row.grad_inputs = std::move(grad_inputs);
  return row;
}

// ---- dot, vdot, mv, addmv ---------------------------------------------------------------------------------------
OpTestRow dot_like_row(std::string op) {
  auto samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain d = value_domain(dtype);
    return std::vector<Sample>{
        make_sample("[5] . [5]", {m.make({5}, d), m.make({5}, d)}, dtype, device),
        make_sample("step-2 slices", {m.make({4}, d, S), m.make({4}, d, S)}, dtype, device),
        make_sample("empty [0] . [0] gives 0", {m.make({0}, d), m.make({0}, d)}, dtype, device),
        make_sample("[33] . [33]", {m.make({33}, d), m.make({33}, d)}, dtype, device)};
  };
  const bool v = op == "vdot";
  auto run = [v](const Sample& s) {
    return one(v ? reel::vdot(s.inputs[0], s.inputs[1]) : s.inputs[0].dot(s.inputs[1]));
  };
  auto reference = [](const Sample& s) {
    const RefTensor a = RefTensor::of(s.inputs[0]), b = RefTensor::of(s.inputs[1]);
    double total = 0;
    for (int64_t i = 0; i < a.numel(); ++i) total += a.values[static_cast<size_t>(i)] * b.values[static_cast<size_t>(i)];
    return one(RefTensor({}, {total}, s.dtype));
  };
  return make_row(op, v ? kFloatDtypes : kNumericDtypes, samples, run, reference, {0, 1});
}

OpTestRow mv_row() {
  auto samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain d = value_domain(dtype);
    return std::vector<Sample>{
        make_sample("[3, 4] @ [4]", {m.make({3, 4}, d), m.make({4}, d)}, dtype, device),
        make_sample("transposed mat, strided vec", {m.make({3, 4}, d, T), m.make({4}, d, S)}, dtype, device),
        make_sample("[0, 4] @ [4]", {m.make({0, 4}, d), m.make({4}, d)}, dtype, device),
        make_sample("[3, 0] @ [0] gives zeros", {m.make({3, 0}, d), m.make({0}, d)}, dtype, device)};
  };
  auto run = [](const Sample& s) { return one(s.inputs[0].mv(s.inputs[1])); };
  auto reference = [](const Sample& s) {
    return one(ref_matmul(RefTensor::of(s.inputs[0]), RefTensor::of(s.inputs[1])));
  };
  return make_row("mv", kNumericDtypes, samples, run, reference, {0, 1});
}

// Sample::scalar is beta, scalar2 alpha (1 when absent); beta 0 ignores self (its NaN does not propagate).
double beta_of(const Sample& s) { return s.scalar ? s.scalar->to_double() : 1.0; }
double alpha_of(const Sample& s) { return s.scalar2 ? s.scalar2->to_double() : 1.0; }
RefTensor scaled_sum(const Sample& s, const RefTensor& self, const RefTensor& product) {
  const double beta = beta_of(s), alpha = alpha_of(s);
  return map_binary(self, product, [=](double c, double p) { return (beta == 0 ? 0.0 : beta * c) + alpha * p; },
                    s.dtype);
}

OpTestRow addmv_row() {
  auto samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain d = value_domain(dtype);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor self, Tensor mat, Tensor vec, std::optional<Scalar> beta,
                   std::optional<Scalar> alpha) {
      out.push_back(make_sample(std::move(description), {self, mat, vec}, dtype, device));
      out.back().scalar = beta;
      out.back().scalar2 = alpha;
      return &out.back();
    };
    add("self [3]", m.make({3}, d), m.make({3, 4}, d), m.make({4}, d), std::nullopt, std::nullopt);
    add("self [1] broadcast, beta and alpha", m.make({1}, d), m.make({3, 4}, d, T), m.make({4}, d),
        scale(dtype, 0.5, 2), scale(dtype, -1.5, 3));
    add("0-dim self, strided vec", m.make({}, d), m.make({3, 4}, d), m.make({4}, d, S), std::nullopt, std::nullopt);
    add("inner size 0 gives beta * self", m.make({3}, d), m.make({3, 0}, d), m.make({0}, d), scale(dtype, 2.0, 2),
        std::nullopt);
    if (is_float(dtype)) {
      const double nan = std::numeric_limits<double>::quiet_NaN();
      add("beta 0 ignores NaN in self", m.values({2}, {nan, 1}), m.make({2, 3}, d), m.make({3}, d), Scalar(0.0),
          Scalar(2.0))->smooth = false;
    }
    return out;
  };
  auto run = [](const Sample& s) {
    return one(s.inputs[0].addmv(s.inputs[1], s.inputs[2], s.scalar.value_or(1), s.scalar2.value_or(1)));
  };
  auto reference = [](const Sample& s) {
    return one(scaled_sum(s, RefTensor::of(s.inputs[0]),
                          ref_matmul(RefTensor::of(s.inputs[1]), RefTensor::of(s.inputs[2]))));
  };
  return make_row("addmv", kNumericDtypes, samples, run, reference, {0, 1, 2});
}

// ---- baddbmm, addbmm ----------------------------------------------------------------------------------------
OpTestRow batched_add_row(std::string op) {
  const bool summed = op == "addbmm";
  auto samples = [summed](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain d = value_domain(dtype);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor self, Tensor b1, Tensor b2, std::optional<Scalar> beta,
                   std::optional<Scalar> alpha) {
      out.push_back(make_sample(std::move(description), {self, b1, b2}, dtype, device));
      out.back().scalar = beta;
      out.back().scalar2 = alpha;
      return &out.back();
    };
    const Shape full = summed ? Shape{2, 3} : Shape{2, 2, 3};
    add("self of the product's shape", m.make(full, d), m.make({2, 2, 4}, d), m.make({2, 4, 3}, d), std::nullopt,
        std::nullopt);
    add("self [3] broadcast, beta and alpha, transposed batch1", m.make({3}, d), m.make({2, 2, 4}, d, T),
        m.make({2, 4, 3}, d), scale(dtype, 0.5, 2), scale(dtype, -1.5, 3));
    add("strided batch2, alpha 2", m.make(full, d), m.make({2, 2, 4}, d), m.make({2, 4, 3}, d, S), std::nullopt,
        scale(dtype, 2.0, 2));
    add("batch 0", m.make({2, 3}, d), m.make({0, 2, 4}, d), m.make({0, 4, 3}, d), scale(dtype, 3.0, 3), std::nullopt);
    add("inner size 0", m.make({1}, d), m.make({2, 2, 0}, d), m.make({2, 0, 3}, d), std::nullopt, std::nullopt);
    if (is_float(dtype)) {
      const double nan = std::numeric_limits<double>::quiet_NaN();
      add("beta 0 ignores NaN in self", m.values({1}, {nan}), m.make({2, 2, 4}, d), m.make({2, 4, 3}, d), Scalar(0.0),
          Scalar(1.0))->smooth = false;
    }
    return out;
  };
  auto run = [summed](const Sample& s) {
    const Scalar beta = s.scalar.value_or(1), alpha = s.scalar2.value_or(1);
    return one(summed ? s.inputs[0].addbmm(s.inputs[1], s.inputs[2], beta, alpha)
                      : reel::baddbmm(s.inputs[0], s.inputs[1], s.inputs[2], beta, alpha));
  };
  auto reference = [summed](const Sample& s) {
    const RefTensor a = RefTensor::of(s.inputs[1]), b = RefTensor::of(s.inputs[2]);
    const int64_t batch = a.shape[0], n = a.shape[1], k = a.shape[2], m = b.shape[2];
    RefTensor product = RefTensor::filled(summed ? Shape{n, m} : Shape{batch, n, m}, 0.0, kFloat64);
    for (int64_t p = 0; p < batch; ++p)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < m; ++j)
          for (int64_t q = 0; q < k; ++q)
            product.at(summed ? Shape{i, j} : Shape{p, i, j}) += a.at({p, i, q}) * b.at({p, q, j});
    return one(scaled_sum(s, RefTensor::of(s.inputs[0]), product));
  };
  // baddbmm rounds three times (bmm, alpha, the sum): the 16-bit floats would need looser tolerances than a GEMM's.
  return make_row(op, summed ? kNumericDtypes : kWideDtypes, samples, run, reference, {0, 1, 2});
}

// ---- tensordot: Sample::dims and ints are the paired dims of a and b ----------------------------------------
OpTestRow tensordot_row() {
  auto samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain d = value_domain(dtype);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor a, Tensor b, Shape dims_a, Shape dims_b) {
      out.push_back(make_sample(std::move(description), {a, b}, dtype, device));
      out.back().dims = std::move(dims_a);
      out.back().ints = std::move(dims_b);
    };
    add("[2, 3, 4] x [4, 3, 5] over (1, 2) / (1, 0)", m.make({2, 3, 4}, d), m.make({4, 3, 5}, d), {1, 2}, {1, 0});
    add("no paired dims: outer product", m.make({2, 3}, d), m.make({2}, d), {}, {});
    add("negative dims, transposed a", m.make({3, 4}, d, T), m.make({4, 2}, d), {-1}, {0});
    add("size 1 on b's side sums a's dim", m.make({2, 3}, d), m.make({1, 4}, d), {1}, {0});
    add("empty contracted dim", m.make({2, 0}, d), m.make({0, 3}, d, S), {1}, {0});
    return out;
  };
  auto run = [](const Sample& s) { return one(reel::tensordot(s.inputs[0], s.inputs[1], s.dims, s.ints)); };
  auto reference = [](const Sample& s) {
    // As an einsum: a's labels a.., b's the paired a-labels or their own, the output the free labels in order.
    const RefTensor a = RefTensor::of(s.inputs[0]), b = RefTensor::of(s.inputs[1]);
    std::string ta, tb, to;
    for (int64_t i = 0; i < a.dim(); ++i) ta.push_back(static_cast<char>('a' + i));
    for (int64_t i = 0; i < b.dim(); ++i) tb.push_back(static_cast<char>('n' + i));
    std::vector<bool> paired_a(static_cast<size_t>(a.dim())), paired_b(static_cast<size_t>(b.dim()));
    for (size_t i = 0; i < s.dims.size(); ++i) {
      const int64_t da = wrap(s.dims[i], a.dim()), db = wrap(s.ints[i], b.dim());
      tb[static_cast<size_t>(db)] = ta[static_cast<size_t>(da)];
      paired_a[static_cast<size_t>(da)] = paired_b[static_cast<size_t>(db)] = true;
    }
    for (int64_t i = 0; i < a.dim(); ++i)
      if (!paired_a[static_cast<size_t>(i)]) to.push_back(ta[static_cast<size_t>(i)]);
    for (int64_t i = 0; i < b.dim(); ++i)
      if (!paired_b[static_cast<size_t>(i)]) to.push_back(tb[static_cast<size_t>(i)]);
    return one(ref_einsum(ta + "," + tb + "->" + to, {a, b}, s.dtype));
  };
  return make_row("tensordot", kWideDtypes, samples, run, reference, {0, 1});
}

// ---- kron ---------------------------------------------------------------------------------------------------
OpTestRow kron_row() {
  auto samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain d = value_domain(dtype);
    return std::vector<Sample>{
        make_sample("[2, 3] (x) [3, 2]", {m.make({2, 3}, d), m.make({3, 2}, d)}, dtype, device),
        make_sample("[2] (x) transposed [2, 3] (ranks padded)", {m.make({2}, d), m.make({2, 3}, d, T)}, dtype, device),
        make_sample("0-dim (x) [3]", {m.make({}, d), m.make({3}, d, S)}, dtype, device),
        make_sample("[0, 2] (x) [2, 2]", {m.make({0, 2}, d), m.make({2, 2}, d)}, dtype, device)};
  };
  auto run = [](const Sample& s) { return one(s.inputs[0].kron(s.inputs[1])); };
  auto reference = [](const Sample& s) {
    RefTensor a = RefTensor::of(s.inputs[0]), b = RefTensor::of(s.inputs[1]);
    while (a.dim() < b.dim()) a.shape.insert(a.shape.begin(), 1);
    while (b.dim() < a.dim()) b.shape.insert(b.shape.begin(), 1);
    Shape out_shape;
    for (int64_t i = 0; i < a.dim(); ++i) out_shape.push_back(a.shape[static_cast<size_t>(i)] * b.shape[static_cast<size_t>(i)]);
    RefTensor out = RefTensor::filled(out_shape, 0.0, s.dtype);
    for (const Shape& ia : all_indices(a.shape))
      for (const Shape& ib : all_indices(b.shape)) {
        Shape io;
        for (size_t i = 0; i < ia.size(); ++i) io.push_back(ia[i] * b.shape[i] + ib[i]);
        out.at(io) = a.at(ia) * b.at(ib);
      }
    return one(out);
  };
  return make_row("kron", kNumericDtypes, samples, run, reference, {0, 1}, false);
}

// ---- diagonal family: Sample::index is the offset, dims (when given) dim1 and dim2 ------------------------------
RefTensor ref_diagonal(const RefTensor& x, int64_t offset, int64_t dim1, int64_t dim2) {
  const int64_t d1 = wrap(dim1, x.dim()), d2 = wrap(dim2, x.dim());
  const int64_t n1 = x.shape[static_cast<size_t>(d1)], n2 = x.shape[static_cast<size_t>(d2)];
  int64_t length = 0;
  for (int64_t i = 0; i < n1; ++i)
    if (i + offset >= 0 && i + offset < n2) ++length;
  Shape out_shape;
  for (int64_t i = 0; i < x.dim(); ++i)
    if (i != d1 && i != d2) out_shape.push_back(x.shape[static_cast<size_t>(i)]);
  out_shape.push_back(length);
  RefTensor out = RefTensor::filled(out_shape, 0.0, x.dtype);
  for (const Shape& io : all_indices(out_shape)) {
    Shape ix;
    size_t k = 0;
    const int64_t t = io.back();
    const int64_t row = offset >= 0 ? t : t - offset, col = offset >= 0 ? t + offset : t;
    for (int64_t i = 0; i < x.dim(); ++i) ix.push_back(i == d1 ? row : i == d2 ? col : io[k++]);
    out.at(io) = x.at(ix);
  }
  return out;
}

OpTestRow diagonal_row() {
  auto samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor x, int64_t offset, Shape dims) {
      out.push_back(make_sample(std::move(description), {x}, dtype, device));
      out.back().index = offset;
      out.back().dims = std::move(dims);
    };
    add("[3, 4] main diagonal", m.make({3, 4}), 0, {});
    add("[3, 4] offset 2", m.make({3, 4}), 2, {});
    add("[4, 3] offset -2, transposed", m.make({4, 3}, {}, T), -2, {});
    add("[2, 3, 4] dims (2, 0) offset 1, strided", m.make({2, 3, 4}, {}, S), 1, {2, 0});
    add("offset past the edge gives length 0", m.make({3, 4}), 5, {});
    add("size-0 [0, 3]", m.make({0, 3}), 0, {});
    return out;
  };
  auto run = [](const Sample& s) {
    const int64_t d1 = s.dims.empty() ? 0 : s.dims[0], d2 = s.dims.empty() ? 1 : s.dims[1];
    return one(s.inputs[0].diagonal(s.index, d1, d2));
  };
  auto reference = [](const Sample& s) {
    const int64_t d1 = s.dims.empty() ? 0 : s.dims[0], d2 = s.dims.empty() ? 1 : s.dims[1];
    return one(ref_diagonal(RefTensor::of(s.inputs[0]), s.index, d1, d2));
  };
  OpTestRow row = make_row("diagonal", kAllDtypes, samples, run, reference, {0}, false);
  row.check = [](const Sample& s, const std::vector<Tensor>& outputs) {
    INFO("diagonal is a view: it shares the input's storage");
    CHECK(outputs[0].storage().get() == s.inputs[0].storage().get());
  };
  return row;
}

OpTestRow trace_row() {
  auto samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain d = value_domain(dtype);
    return std::vector<Sample>{make_sample("[3, 3]", {m.make({3, 3}, d)}, dtype, device),
                               make_sample("[3, 5] strided", {m.make({3, 5}, d, S)}, dtype, device),
                               make_sample("[4, 2] transposed", {m.make({4, 2}, d, T)}, dtype, device),
                               make_sample("[0, 3] gives 0", {m.make({0, 3}, d)}, dtype, device)};
  };
  auto run = [](const Sample& s) { return one(s.inputs[0].trace()); };
  auto reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    double total = 0;
    for (int64_t i = 0; i < std::min(x.shape[0], x.shape[1]); ++i) total += x.at({i, i});
    return one(RefTensor({}, {total}, is_float(s.dtype) ? s.dtype : kInt64));  // integers sum to int64
  };
  return make_row("trace", kNumericDtypes, samples, run, reference, {0});
}

// diag_embed's reference: out[..., i, j] over (dim1, dim2) is x[..., i] (i = row) on diagonal offset.
RefTensor ref_diag_embed(const RefTensor& x, int64_t offset, int64_t dim1, int64_t dim2) {
  const int64_t rank = x.dim() + 1, d1 = wrap(dim1, rank), d2 = wrap(dim2, rank);
  const int64_t n = x.shape.back(), side = n + std::abs(offset);
  Shape out_shape;
  size_t k = 0;
  for (int64_t i = 0; i < rank; ++i) out_shape.push_back(i == d1 || i == d2 ? side : x.shape[k++]);
  RefTensor out = RefTensor::filled(out_shape, 0.0, x.dtype);
  for (const Shape& io : all_indices(out_shape)) {
    const int64_t row = io[static_cast<size_t>(d1)], col = io[static_cast<size_t>(d2)];
    if (col - row != offset) continue;
    Shape ix;
    for (int64_t i = 0; i < rank; ++i)
      if (i != d1 && i != d2) ix.push_back(io[static_cast<size_t>(i)]);
    ix.push_back(offset >= 0 ? row : col);
    out.at(io) = x.at(ix);
  }
  return out;
}

OpTestRow diag_embed_row() {
  auto samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor x, int64_t offset, Shape dims) {
      out.push_back(make_sample(std::move(description), {x}, dtype, device));
      out.back().index = offset;
      out.back().dims = std::move(dims);
    };
    add("[2, 3] defaults", m.make({2, 3}), 0, {});
    add("[2, 3] offset 1 dims (0, 2)", m.make({2, 3}, {}, T), 1, {0, 2});
    add("[3] offset -2 dims (1, 0)", m.make({3}, {}, S), -2, {1, 0});
    add("[2, 0]", m.make({2, 0}), 1, {});
    return out;
  };
  auto dims_of = [](const Sample& s) { return s.dims.empty() ? Shape{-2, -1} : s.dims; };
  auto run = [dims_of](const Sample& s) {
    const Shape dims = dims_of(s);
    return one(s.inputs[0].diag_embed(s.index, dims[0], dims[1]));
  };
  auto reference = [dims_of](const Sample& s) {
    const Shape dims = dims_of(s);
    return one(ref_diag_embed(RefTensor::of(s.inputs[0]), s.index, dims[0], dims[1]));
  };
  return make_row("diag_embed", kAllDtypes, samples, run, reference, {0}, false);
}

OpTestRow diag_row() {
  auto samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor x, int64_t k) {
      out.push_back(make_sample(std::move(description), {x}, dtype, device));
      out.back().index = k;
    };
    add("1-D [3] -> [3, 3]", m.make({3}), 0);
    add("1-D [3] k = 1 -> [4, 4]", m.make({3}, {}, S), 1);
    add("1-D [2] k = -2", m.make({2}), -2);
    add("2-D [3, 4] main diagonal", m.make({3, 4}), 0);
    add("2-D [4, 3] k = -1, transposed", m.make({4, 3}, {}, T), -1);
    add("2-D [3, 4] k = 2", m.make({3, 4}), 2);
    add("1-D [0] -> [0, 0]", m.make({0}), 0);
    return out;
  };
  auto run = [](const Sample& s) { return one(s.inputs[0].diag(s.index)); };
  auto reference = [](const Sample& s) {
    const RefTensor x = RefTensor::of(s.inputs[0]);
    return one(x.dim() == 1 ? ref_diag_embed(x, s.index, 0, 1) : ref_diagonal(x, s.index, 0, 1));
  };
  OpTestRow row = make_row("diag", kAllDtypes, samples, run, reference, {0}, false);
  row.check = [](const Sample& s, const std::vector<Tensor>& outputs) {
    INFO("diag returns a new tensor, not a view of its input");
    CHECK(outputs[0].storage().get() != s.inputs[0].storage().get());
  };
  return row;
}

}  // namespace

// ---- the einsum reference: a direct evaluation of the sum over every label assignment -----------------------
RefTensor ref_einsum(const std::string& equation, const std::vector<RefTensor>& xs, ScalarType out_dtype) {
  const size_t arrow = equation.find("->");
  const std::string lhs = equation.substr(0, arrow), rhs = equation.substr(arrow + 2);
  std::vector<std::string> terms(1);
  for (char c : lhs) {
    if (c == ',') terms.emplace_back();
    else terms.back().push_back(c);
  }
  std::map<char, int64_t> sizes;  // the broadcast size of each label: its largest, or 0 when any operand has 0
  for (size_t i = 0; i < terms.size(); ++i)
    for (size_t k = 0; k < terms[i].size(); ++k) sizes[terms[i][k]] = std::max(sizes[terms[i][k]], xs[i].shape[k]);
  for (size_t i = 0; i < terms.size(); ++i)
    for (size_t k = 0; k < terms[i].size(); ++k)
      if (xs[i].shape[k] == 0) sizes[terms[i][k]] = 0;
  std::vector<char> labels;
  Shape label_sizes;
  for (const auto& [label, size] : sizes) {
    labels.push_back(label);
    label_sizes.push_back(size);
  }
  Shape out_shape;
  for (char c : rhs) out_shape.push_back(sizes.at(c));
  RefTensor out = RefTensor::filled(out_shape, 0.0, out_dtype);
  auto value_of = [&](const Shape& assignment, char label) {
    return assignment[static_cast<size_t>(std::find(labels.begin(), labels.end(), label) - labels.begin())];
  };
  for (const Shape& assignment : all_indices(label_sizes)) {
    double product = 1;
    for (size_t i = 0; i < terms.size(); ++i) {
      Shape index;
      for (size_t k = 0; k < terms[i].size(); ++k)
        index.push_back(xs[i].shape[k] == 1 ? 0 : value_of(assignment, terms[i][k]));  // size 1 broadcasts
      product *= xs[i].at(index);
    }
    Shape out_index;
    for (char c : rhs) out_index.push_back(value_of(assignment, c));
    out.at(out_index) += product;
  }
  return out;
}

void add_linalg_product_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(dot_like_row("dot"));
  rows.push_back(dot_like_row("vdot"));
  rows.push_back(mv_row());
  rows.push_back(addmv_row());
  rows.push_back(batched_add_row("baddbmm"));
  rows.push_back(batched_add_row("addbmm"));
  rows.push_back(tensordot_row());
  rows.push_back(kron_row());
  rows.push_back(diagonal_row());
  rows.push_back(trace_row());
  rows.push_back(diag_embed_row());
  rows.push_back(diag_row());
}
REEL_OP_TABLE_ROWS(add_linalg_product_rows);

}  // namespace reel::test
