// reel/test/op_table_linalg_einsum.cpp — op-table rows of einsum, cross and linalg_cross.
//
// einsum's samples are a table of equations (Sample::index picks one) covering each rule: matrix products,
// diagonals from repeated labels, transposes, full and partial sums, outer products, "..." with broadcast batch
// dims, implicit outputs (ASCII order, upper case first), three operands and empty dims. The reference is the
// direct evaluator of test/einsum_reference.h, given each equation with its "..." spelled as labels. cross is
// checked against the component formula written out by hand.
#include <catch2/catch.hpp>

#include "test/einsum_reference.h"
#include "test/op_table.h"

namespace reel::test {

namespace {

const Layout T = Layout::Transposed, S = Layout::Strided;

struct EinsumCase {
  const char* equation;
  std::vector<Shape> shapes;
  const char* reference;  // the same sum with explicit output and "..." spelled as labels
  std::vector<Layout> layouts = {};
};

const std::vector<EinsumCase>& einsum_cases() {
  static const std::vector<EinsumCase> cases = {
      {"ij,jk->ik", {{3, 4}, {4, 5}}, "ij,jk->ik", {T, Layout::Contiguous}},
      {"ii->i", {{4, 4}}, "ii->i"},
      {"ii", {{4, 4}}, "ii->", {T}},
      {"ij->ji", {{3, 4}}, "ij->ji", {S}},
      {"bij,bjk->bik", {{2, 3, 4}, {2, 4, 5}}, "bij,bjk->bik"},
      {"i,j->ij", {{3}, {4}}, "i,j->ij"},
      {"...ij,...jk->...ik", {{2, 1, 3, 4}, {3, 4, 2}}, "ABij,Bjk->ABik"},
      {"ijk->", {{2, 3, 4}}, "ijk->"},
      {"ij,ij->", {{3, 4}, {3, 4}}, "ij,ij->", {Layout::Contiguous, T}},
      {"ij,jk,kl->il", {{2, 3}, {3, 4}, {4, 2}}, "ij,jk,kl->il"},
      {"bn,anm,bm->ba", {{2, 3}, {4, 3, 5}, {2, 5}}, "bn,anm,bm->ba"},
      {"iij->j", {{3, 3, 2}}, "iij->j"},
      {"ij,kj", {{2, 3}, {4, 3}}, "ij,kj->ik"},
      {"Za,ab", {{2, 3}, {3, 4}}, "Za,ab->Zb"},
      {"i...->...", {{3, 2, 2}}, "iAB->AB"},
      {"...ii->...i", {{2, 3, 3}}, "Aii->Ai"},
      {"ab,ba", {{3, 4}, {4, 3}}, "ab,ba->"},
      {"i,i,i->", {{5}, {5}, {5}}, "i,i,i->"},
      {"ij,j", {{3, 4}, {4}}, "ij,j->i", {Layout::Contiguous, S}},
      {"ij,jk->ik", {{2, 0}, {0, 3}}, "ij,jk->ik"},
      {"bij,bjk->bik", {{0, 2, 3}, {0, 3, 2}}, "bij,bjk->bik"},
      {"i,->i", {{3}, {}}, "i,->i"},
      {"ij,kl->jk", {{2, 3}, {4, 2}}, "ij,kl->jk"},
      {"i j , j k -> i k", {{2, 3}, {3, 2}}, "ij,jk->ik"},
  };
  return cases;
}

OpTestRow einsum_row() {
  OpTestRow row;
  row.op = "einsum";
  row.dtypes = {kInt32, kInt64, kFloat32, kFloat64};
  row.samples = [](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain d = is_float(dtype) ? Domain{-2, 2} : Domain{-3, 3};
    std::vector<Sample> out;
    for (size_t c = 0; c < einsum_cases().size(); ++c) {
      const EinsumCase& e = einsum_cases()[c];
      std::vector<Tensor> inputs;
      for (size_t i = 0; i < e.shapes.size(); ++i)
        inputs.push_back(m.make(e.shapes[i], d, i < e.layouts.size() ? e.layouts[i] : Layout::Contiguous));
      out.push_back(make_sample(e.equation, inputs, dtype, device));
      out.back().index = static_cast<int64_t>(c);
    }
    return out;
  };
  row.run = [](const Sample& s) {
    return std::vector<Tensor>{reel::einsum(einsum_cases()[static_cast<size_t>(s.index)].equation, s.inputs)};
  };
  row.reference = [](const Sample& s) {
    std::vector<RefTensor> refs;
    for (const Tensor& t : s.inputs) refs.push_back(RefTensor::of(t));
    return std::vector<RefTensor>{ref_einsum(einsum_cases()[static_cast<size_t>(s.index)].reference, refs, s.dtype)};
  };
  row.tolerance = accumulation_tolerance;
  row.differentiable = true;
  row.grad_inputs = {0, 1, 2};
  return row;
}

// ---- cross: Sample::dim is the dim (flag: none given, torch::cross's first dim of size 3) -----------------------
OpTestRow cross_row(std::string op) {
  const bool linalg = op == "linalg_cross";
  OpTestRow row;
  row.op = op;
  row.dtypes = {kInt32, kInt64, kFloat32, kFloat64};
  row.samples = [linalg](ScalarType dtype, Device device) {
    InputMaker m(dtype, device);
    const Domain d = is_float(dtype) ? Domain{-2, 2} : Domain{-3, 3};
    std::vector<Sample> out;
    auto add = [&](std::string description, Tensor a, Tensor b, int64_t dim, bool no_dim) {
      out.push_back(make_sample(std::move(description), {a, b}, dtype, device, dim));
      out.back().flag = no_dim;
    };
    add("[4, 3] x [4, 3] along -1", m.make({4, 3}, d), m.make({4, 3}, d), -1, linalg);
    add("[3, 2] x transposed [3, 2] along 0", m.make({3, 2}, d), m.make({3, 2}, d, T), 0, false);
    add("broadcast [1, 3] x [2, 3], strided", m.make({1, 3}, d, S), m.make({2, 3}, d), 1, false);
    add("[0, 3] x [0, 3]", m.make({0, 3}, d), m.make({0, 3}, d), 1, false);
    if (!linalg) add("no dim: the first of size 3, [2, 3, 3]", m.make({2, 3, 3}, d), m.make({2, 3, 3}, d), 1, true);
    return out;
  };
  row.run = [linalg](const Sample& s) {
    const Tensor& a = s.inputs[0];
    const Tensor& b = s.inputs[1];
    if (linalg) return std::vector<Tensor>{s.flag ? linalg::cross(a, b) : linalg::cross(a, b, s.dim)};
    return std::vector<Tensor>{s.flag ? a.cross(b) : reel::cross(a, b, s.dim)};
  };
  row.reference = [](const Sample& s) {
    const RefTensor a = RefTensor::of(s.inputs[0]), b = RefTensor::of(s.inputs[1]);
    const Shape shape = broadcast(a.shape, b.shape);
    const int64_t d = wrap(s.dim, static_cast<int64_t>(shape.size()));
    RefTensor out = RefTensor::filled(shape, 0.0, s.dtype);
    for (const Shape& index : all_indices(shape)) {
      auto component = [&](const RefTensor& t, int64_t k) {
        Shape at = index;
        at[static_cast<size_t>(d)] = k;
        return broadcast_at(t, at);
      };
      const int64_t i = index[static_cast<size_t>(d)], j = (i + 1) % 3, k = (i + 2) % 3;
      out.at(index) = component(a, j) * component(b, k) - component(a, k) * component(b, j);
    }
    return std::vector<RefTensor>{out};
  };
  row.differentiable = true;
  row.grad_inputs = {0, 1};
  return row;
}

void add_linalg_einsum_rows(std::vector<OpTestRow>& rows) {
  rows.push_back(einsum_row());
  rows.push_back(cross_row("cross"));
  rows.push_back(cross_row("linalg_cross"));
}
REEL_OP_TABLE_ROWS(add_linalg_einsum_rows);

}  // namespace

}  // namespace reel::test
