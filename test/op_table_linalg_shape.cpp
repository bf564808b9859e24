// reel/test/op_table_linalg_shape.cpp — op-table rows of the linear-algebra ops (mm, bmm, addmm, matmul,
// outer) and of the shape ops that move data (cat, stack, flip, repeat, tril, triu).
//
// GEMM samples include transposed operands (the kernels pass them as flags instead of copying), a zero-stride
// expanded operand, empty inner and outer sizes, and sizes large enough to cross the blocked kernels' tile
// edges. matmul covers every rank combination of PyTorch's rules, including broadcast batch dims.
#include <algorithm>
#include <cmath>
#include <limits>

#include "test/op_table.h"

namespace reel::test {

namespace {

Domain value_domain(ScalarType dtype) { return is_float(dtype) ? Domain{-2, 2} : Domain{-3, 3}; }

// A [rows, cols] view with stride 0 along dim 0 (every row is the same storage): what expand makes.
Tensor expanded_rows(InputMaker& m, int64_t rows, int64_t cols, Domain domain) {
  Tensor row = m.make({cols}, domain);
  return Tensor::make_view(row, {rows, cols}, {0, 1}, row.storage_offset());
}

// ---- mm / bmm / addmm / matmul / outer --------------------------------------------------------------------
OpTestRow mm_row() {
  OpTestRow row;
  row.op = "mm";
  row.dtypes = kNumericDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain d = value_domain(dtype);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor a, Tensor b) {
      out.push_back(make_sample(std::move(description), {std::move(a), std::move(b)}, dtype, device));
    };
    add("[3, 4] @ [4, 5]", m.make({3, 4}, d), m.make({4, 5}, d));
    add("transposed a, step-2 slice b", m.make({3, 4}, d, Layout::Transposed), m.make({4, 5}, d, Layout::Strided));
    add("both transposed", m.make({3, 4}, d, Layout::Transposed), m.make({4, 5}, d, Layout::Transposed));
    add("expanded (stride 0) b", m.make({3, 4}, d), expanded_rows(m, 4, 5, d));
    add("empty inner size [2, 0] @ [0, 3] gives zeros", m.make({2, 0}, d), m.make({0, 3}, d));
    add("empty outer size [0, 4] @ [4, 5]", m.make({0, 4}, d), m.make({4, 5}, d));
    add("[1, 1] @ [1, 1]", m.make({1, 1}, d), m.make({1, 1}, d));
    add("[33, 65] @ [65, 17] (crosses tile edges)", m.make({33, 65}, d), m.make({65, 17}, d));
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::mm(s.inputs[0], s.inputs[1])}; };
  row.reference = [](const Sample& s) {
    return std::vector<RefTensor>{ref_matmul(RefTensor::of(s.inputs[0]), RefTensor::of(s.inputs[1]))};
  };
  row.tolerance = accumulation_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1};
  return row;
}

OpTestRow bmm_row() {
  OpTestRow row;
  row.op = "bmm";
  row.dtypes = kNumericDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain d = value_domain(dtype);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor a, Tensor b) {
      out.push_back(make_sample(std::move(description), {std::move(a), std::move(b)}, dtype, device));
    };
    add("[2, 3, 4] @ [2, 4, 5]", m.make({2, 3, 4}, d), m.make({2, 4, 5}, d));
    add("transposed matrices", m.make({2, 3, 4}, d, Layout::Transposed), m.make({2, 4, 5}, d, Layout::Transposed));
    add("step-2 slice a", m.make({2, 3, 4}, d, Layout::Strided), m.make({2, 4, 5}, d));
    add("batch 0", m.make({0, 3, 4}, d), m.make({0, 4, 5}, d));
    add("inner size 0 gives zeros", m.make({2, 3, 0}, d), m.make({2, 0, 5}, d));
    add("[3, 17, 33] @ [3, 33, 9]", m.make({3, 17, 33}, d), m.make({3, 33, 9}, d));
    add("small [2, 2, 3] @ transposed [2, 3, 2] (small enough for gradgradcheck)", m.make({2, 2, 3}, d),
        m.make({2, 3, 2}, d, Layout::Transposed));
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::bmm(s.inputs[0], s.inputs[1])}; };
  row.reference = [](const Sample& s) {
    return std::vector<RefTensor>{ref_matmul(RefTensor::of(s.inputs[0]), RefTensor::of(s.inputs[1]))};
  };
  row.tolerance = accumulation_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1};
  return row;
}

// y = beta * self + alpha * mat1 @ mat2; Sample::scalar is beta, scalar2 alpha (both 1 when absent).
// With beta == 0, self is ignored (NaN in it does not propagate), as in PyTorch.
OpTestRow addmm_row() {
  OpTestRow row;
  row.op = "addmm";
  row.dtypes = kNumericDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain d = value_domain(dtype);
    const bool fl = is_float(dtype);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor self, Tensor a, Tensor b, std::optional<Scalar> beta,
                   std::optional<Scalar> alpha) {
      out.push_back(make_sample(std::move(description), {std::move(self), std::move(a), std::move(b)}, dtype, device));
      out.back().scalar = beta;
      out.back().scalar2 = alpha;
      return &out.back();
    };
    add("self [3, 5]", m.make({3, 5}, d), m.make({3, 4}, d), m.make({4, 5}, d), std::nullopt, std::nullopt);
    add("self [5] broadcast, beta and alpha", m.make({5}, d), m.make({3, 4}, d), m.make({4, 5}, d),
        fl ? Scalar(0.5) : Scalar(2), fl ? Scalar(-1.5) : Scalar(3));
    add("self [3, 1] broadcast, transposed mats", m.make({3, 1}, d), m.make({3, 4}, d, Layout::Transposed),
        m.make({4, 5}, d, Layout::Transposed), std::nullopt, std::nullopt);
    add("step-2 slice self", m.make({3, 5}, d, Layout::Strided), m.make({3, 4}, d), m.make({4, 5}, d), std::nullopt,
        std::nullopt);
    add("inner size 0 gives beta * self", m.make({3, 5}, d), m.make({3, 0}, d), m.make({0, 5}, d),
        fl ? Scalar(2.0) : Scalar(2), std::nullopt);
    add("small: self [2] broadcast, transposed mat1, beta and alpha (small enough for gradgradcheck)",
        m.make({2}, d), m.make({2, 3}, d, Layout::Transposed), m.make({3, 2}, d), fl ? Scalar(0.5) : Scalar(2),
        fl ? Scalar(-1.5) : Scalar(3));
    add("[33, 17] + [33, 65] @ [65, 17]", m.make({33, 17}, d), m.make({33, 65}, d), m.make({65, 17}, d),
        std::nullopt, std::nullopt);
    if (fl) {
      const double nan = std::numeric_limits<double>::quiet_NaN();
      add("beta 0 ignores NaN in self", m.values({2, 2}, {nan, 1, 2, nan}), m.make({2, 3}, d), m.make({3, 2}, d),
          Scalar(0.0), Scalar(1.0))
          ->smooth = false;
    }
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{reel::addmm(s.inputs[0], s.inputs[1], s.inputs[2], s.scalar.value_or(Scalar(1)),
                                           s.scalar2.value_or(Scalar(1)))};
  };
  row.reference = [](const Sample& s) {
    const double beta = s.scalar ? s.scalar->to_double() : 1.0;
    const double alpha = s.scalar2 ? s.scalar2->to_double() : 1.0;
    const RefTensor product = ref_matmul(RefTensor::of(s.inputs[1]), RefTensor::of(s.inputs[2]));
    const RefTensor self = RefTensor::of(s.inputs[0]);
    auto f = [beta, alpha](double c, double p) { return (beta == 0 ? 0.0 : beta * c) + alpha * p; };
    return std::vector<RefTensor>{map_binary(self, product, f, s.dtype)};
  };
  row.tolerance = accumulation_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2};
  return row;
}

// y = x W^T + b over x's last dim; inputs x, W and b (a sample with two inputs has no bias).
OpTestRow linear_row() {
  OpTestRow row;
  row.op = "linear";
  row.dtypes = kNumericDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain d = value_domain(dtype);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor x, Tensor w, Tensor b) {
      std::vector<Tensor> inputs{std::move(x), std::move(w)};
      if (b.defined()) inputs.push_back(std::move(b));
      out.push_back(make_sample(std::move(description), std::move(inputs), dtype, device));
    };
    add("x [3, 4], W [5, 4], b [5]", m.make({3, 4}, d), m.make({5, 4}, d), m.make({5}, d));
    add("1-d x [4] (one row)", m.make({4}, d), m.make({5, 4}, d), m.make({5}, d));
    add("3-d x [2, 3, 4], no bias", m.make({2, 3, 4}, d), m.make({5, 4}, d), Tensor());
    add("transposed x, step-2 slice W, step-2 slice b", m.make({3, 4}, d, Layout::Transposed),
        m.make({5, 4}, d, Layout::Strided), m.make({5}, d, Layout::Strided));
    add("transposed W (a contiguous W^T viewed back)", m.make({2, 3}, d), m.make({2, 3}, d, Layout::Transposed),
        m.make({2}, d));
    add("in_features 0 gives the bias", m.make({3, 0}, d), m.make({5, 0}, d), m.make({5}, d));
    add("no rows [0, 4]", m.make({0, 4}, d), m.make({5, 4}, d), m.make({5}, d));
    add("[33, 65] W [17, 65] (crosses tile edges)", m.make({33, 65}, d), m.make({17, 65}, d), m.make({17}, d));
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{reel::linear(s.inputs[0], s.inputs[1], s.inputs.size() > 2 ? s.inputs[2] : Tensor())};
  };
  row.reference = [](const Sample& s) {
    const RefTensor product =
        ref_matmul(RefTensor::of(s.inputs[0]), ref_permute(RefTensor::of(s.inputs[1]), Shape{1, 0}));
    if (s.inputs.size() < 3) return std::vector<RefTensor>{product};
    return std::vector<RefTensor>{
        map_binary(product, RefTensor::of(s.inputs[2]), [](double p, double b) { return p + b; }, s.dtype)};
  };
  row.tolerance = accumulation_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2};
  return row;
}

OpTestRow matmul_row() {
  OpTestRow row;
  row.op = "matmul";
  row.dtypes = kNumericDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain d = value_domain(dtype);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor a, Tensor b) {
      out.push_back(make_sample(std::move(description), {std::move(a), std::move(b)}, dtype, device));
    };
    add("1-d . 1-d (dot, 0-dim result)", m.make({4}, d), m.make({4}, d));
    add("2-d @ 1-d (mv)", m.make({3, 4}, d), m.make({4}, d));
    add("1-d @ 2-d", m.make({4}, d), m.make({4, 5}, d));
    add("2-d @ 2-d", m.make({3, 4}, d, Layout::Transposed), m.make({4, 5}, d));
    add("3-d @ 2-d", m.make({2, 3, 4}, d), m.make({4, 5}, d, Layout::Strided));
    add("2-d @ 3-d", m.make({3, 4}, d), m.make({2, 4, 5}, d));
    add("1-d @ 3-d", m.make({4}, d), m.make({2, 4, 5}, d));
    add("3-d @ 1-d", m.make({2, 3, 4}, d), m.make({4}, d));
    add("broadcast batch [2, 1, 3, 4] @ [3, 4, 5]", m.make({2, 1, 3, 4}, d), m.make({3, 4, 5}, d));
    add("small broadcast batch [2, 1, 2, 3] @ [3, 3, 2]", m.make({2, 1, 2, 3}, d), m.make({3, 3, 2}, d));
    add("transposed batches [2, 3, 4] @ [2, 4, 5]", m.make({2, 3, 4}, d, Layout::Transposed),
        m.make({2, 4, 5}, d, Layout::Transposed));
    add("size-0 batch [0, 3, 4] @ [4, 5]", m.make({0, 3, 4}, d), m.make({4, 5}, d));
    add("empty contraction [3, 0] @ [0]", m.make({3, 0}, d), m.make({0}, d));
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::matmul(s.inputs[0], s.inputs[1])}; };
  row.reference = [](const Sample& s) {
    return std::vector<RefTensor>{ref_matmul(RefTensor::of(s.inputs[0]), RefTensor::of(s.inputs[1]))};
  };
  row.tolerance = accumulation_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1};
  return row;
}

OpTestRow outer_row() {
  OpTestRow row;
  row.op = "outer";
  row.dtypes = kNumericDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain d = value_domain(dtype);
    std::vector<Sample> out;
    out.push_back(make_sample("[3] x [4]", {m.make({3}, d), m.make({4}, d)}, dtype, device));
    out.push_back(make_sample("step-2 slices", {m.make({3}, d, Layout::Strided), m.make({5}, d, Layout::Strided)},
                              dtype, device));
    out.push_back(make_sample("size-0 [0] x [4]", {m.make({0}, d), m.make({4}, d)}, dtype, device));
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::outer(s.inputs[0], s.inputs[1])}; };
  row.reference = [](const Sample& s) {
    const RefTensor a = RefTensor::of(s.inputs[0]);
    const RefTensor b = RefTensor::of(s.inputs[1]);
    const RefTensor column({a.numel(), 1}, a.values, a.dtype);
    return std::vector<RefTensor>{map_binary(column, b, [](double x, double y) { return x * y; }, s.dtype)};
  };
  row.differentiable = true;
  row.grad_inputs = {0, 1};
  return row;
}

// ---- cat / stack --------------------------------------------------------------------------------------------
// Sample::inputs are the joined tensors, Sample::dim the dim, Sample::promoted the result dtype.
OpTestRow cat_row(bool stack) {
  OpTestRow row;
  row.op = stack ? "stack" : "cat";
  row.dtypes = kAllDtypes;
  row.samples = [stack](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, std::vector<Tensor> inputs, int64_t dim,
                   ScalarType promoted = ScalarType::Bool, bool mixed = false) {
      out.push_back(make_sample(std::move(description), std::move(inputs), dtype, device));
      out.back().dim = dim;
      out.back().promoted = mixed ? promoted : dtype;
    };
    if (!stack) {
      add("[2, 3] and [2, 5] along dim 1", {m.make({2, 3}), m.make({2, 5})}, 1);
      add("[1, 3], [2, 3], [0, 3] along dim 0", {m.make({1, 3}), m.make({2, 3}), m.make({0, 3})}, 0);
      add("dim -1", {m.make({2, 2}), m.make({2, 1})}, -1);
      add("transposed and step-2 slice inputs", {m.make({3, 4}, Domain{}, Layout::Transposed),
                                                 m.make({3, 2}, Domain{}, Layout::Strided)}, 1);
      add("one tensor", {m.make({2, 3})}, 0);
      add("1-d", {m.make({3}), m.make({4})}, 0);
      add("3-d along the middle dim", {m.make({2, 1, 3}), m.make({2, 2, 3})}, 1);
      add("all size-0", {m.make({0, 3}), m.make({0, 3})}, 0);
      add("a legacy empty [0] tensor is skipped", {m.make({2, 3}), m.make({0})}, 0);
      add("with a float32 tensor (promotes)", {m.make({2, 3}), m.make({1, 3}, kFloat32)}, 0, promote(dtype, kFloat32),
          true);
      add("large [200, 100] twice along dim 1", {m.make({200, 100}), m.make({200, 100})}, 1);
    } else {
      add("three [2, 3] at dim 0", {m.make({2, 3}), m.make({2, 3}), m.make({2, 3})}, 0);
      add("at dim 1", {m.make({2, 3}), m.make({2, 3})}, 1);
      add("at dim 2 (new last dim)", {m.make({2, 3}), m.make({2, 3})}, 2);
      add("at dim -1", {m.make({2, 3}), m.make({2, 3})}, -1);
      add("0-dim tensors", {m.make({}), m.make({}), m.make({})}, 0);
      add("size-0 [0, 3] at dim 1", {m.make({0, 3}), m.make({0, 3})}, 1);
      add("transposed and step-2 slice inputs", {m.make({3, 4}, Domain{}, Layout::Transposed),
                                                 m.make({3, 4}, Domain{}, Layout::Strided)}, 0);
    }
    return out;
  };
  row.run = [stack](const Sample& s) {
    return std::vector<Tensor>{stack ? reel::stack(s.inputs, s.dim) : reel::cat(s.inputs, s.dim)};
  };
  row.reference = [stack](const Sample& s) {
    std::vector<RefTensor> parts;
    int64_t rank = 0;
    for (const Tensor& t : s.inputs) rank = std::max(rank, t.dim());
    for (const Tensor& t : s.inputs) {
      RefTensor part = RefTensor::of(t);
      if (!stack && rank > 1 && part.shape == Shape{0}) continue;  // PyTorch's legacy empty tensors
      if (stack) part.shape.insert(part.shape.begin() + wrap(s.dim, rank + 1), 1);
      parts.push_back(std::move(part));
    }
    return std::vector<RefTensor>{ref_cat(parts, stack ? wrap(s.dim, rank + 1) : s.dim, s.promoted)};
  };
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2};  // every joined tensor (samples join up to three)
  return row;
}

// ---- flip / repeat / tril / triu -----------------------------------------------------------------------------
OpTestRow flip_row() {
  OpTestRow row;
  row.op = "flip";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor x, Shape dims) {
      out.push_back(make_sample(std::move(description), {std::move(x)}, dtype, device));
      out.back().dims = std::move(dims);
    };
    add("dim 0 of [2, 3, 4]", m.make({2, 3, 4}), {0});
    add("dims 1, 2 of [2, 3, 4]", m.make({2, 3, 4}), {1, 2});
    add("dim -1", m.make({2, 3, 4}), {-1});
    add("no dims (a copy)", m.make({2, 3}), {});
    add("transposed [3, 4], both dims", m.make({3, 4}, Domain{}, Layout::Transposed), {0, 1});
    add("step-2 slice [2, 5], dim 1", m.make({2, 5}, Domain{}, Layout::Strided), {1});
    add("size-0 [0, 3]", m.make({0, 3}), {0, 1});
    add("0-dim, no dims", m.make({}), {});
    add("large [300, 200], dim 1", m.make({300, 200}), {1});
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::flip(s.inputs[0], s.dims)}; };
  row.reference = [](const Sample& s) { return std::vector<RefTensor>{ref_flip(RefTensor::of(s.inputs[0]), s.dims)}; };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

OpTestRow repeat_row() {
  OpTestRow row;
  row.op = "repeat";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor x, Shape repeats) {
      out.push_back(make_sample(std::move(description), {std::move(x)}, dtype, device));
      out.back().dims = std::move(repeats);
    };
    add("[2, 3] by (2, 2)", m.make({2, 3}), {2, 2});
    add("[2, 3] by (1, 2, 3) (new leading dim)", m.make({2, 3}), {1, 2, 3});
    add("by (1, 1) (a copy)", m.make({2, 3}), {1, 1});
    add("a zero repeat gives size 0", m.make({2, 3}), {0, 2});
    add("transposed [3, 4] by (2, 1)", m.make({3, 4}, Domain{}, Layout::Transposed), {2, 1});
    add("step-2 slice [3] by (2, 2)", m.make({3}, Domain{}, Layout::Strided), {2, 2});
    add("0-dim by (2, 3)", m.make({}), {2, 3});
    add("size-0 [0, 3] by (2, 1)", m.make({0, 3}), {2, 1});
    return out;
  };
  row.run = [](const Sample& s) { return std::vector<Tensor>{reel::repeat(s.inputs[0], s.dims)}; };
  row.reference = [](const Sample& s) {
    return std::vector<RefTensor>{ref_repeat(RefTensor::of(s.inputs[0]), s.dims)};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

// Sample::index is the diagonal.
OpTestRow triangle_row(bool upper) {
  OpTestRow row;
  row.op = upper ? "triu" : "tril";
  row.dtypes = kAllDtypes;
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor x, int64_t diagonal) {
      out.push_back(make_sample(std::move(description), {std::move(x)}, dtype, device));
      out.back().index = diagonal;
    };
    add("[3, 4]", m.make({3, 4}), 0);
    add("[4, 3], diagonal -1", m.make({4, 3}), -1);
    add("batched [2, 3, 4], diagonal 1", m.make({2, 3, 4}), 1);
    add("diagonal 5 (beyond the matrix)", m.make({3, 4}), 5);
    add("diagonal -5", m.make({3, 4}), -5);
    add("transposed [3, 4]", m.make({3, 4}, Domain{}, Layout::Transposed), 0);
    add("step-2 slice [3, 3]", m.make({3, 3}, Domain{}, Layout::Strided), 1);
    add("size-0 [0, 3]", m.make({0, 3}), 0);
    add("large [300, 200]", m.make({300, 200}), 2);
    return out;
  };
  row.run = [upper](const Sample& s) {
    return std::vector<Tensor>{upper ? reel::triu(s.inputs[0], s.index) : reel::tril(s.inputs[0], s.index)};
  };
  row.reference = [upper](const Sample& s) {
    return std::vector<RefTensor>{ref_tril(RefTensor::of(s.inputs[0]), s.index, upper)};
  };
  row.differentiable = true;
  row.grad_inputs = {0};
  return row;
}

void add_linalg_shape_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(mm_row());
  rows.push_back(bmm_row());
  rows.push_back(addmm_row());
  rows.push_back(linear_row());
  rows.push_back(matmul_row());
  rows.push_back(outer_row());
  rows.push_back(cat_row(false));
  rows.push_back(cat_row(true));
  rows.push_back(flip_row());
  rows.push_back(repeat_row());
  rows.push_back(triangle_row(false));
  rows.push_back(triangle_row(true));
}

}  // namespace

REEL_OP_TABLE_ROWS(add_linalg_shape_rows);

}  // namespace reel::test
