// reel/test/test_einsum.cpp — einsum beyond the op-table row (test/op_table_linalg_einsum.cpp): that the contraction
// runs as bmm (an op observer counts the ops an equation dispatches), the implicit output's order, integer operands,
// gradients of a three-operand equation, and every kind of malformed equation as a reel::Error naming it.
#include <catch2/catch.hpp>

#include "tensor/dispatch.h"
#include "test/autograd_test_utils.h"
#include "test/einsum_reference.h"

namespace reel::test {

namespace {

using autograd_test::random_leaf;

// Counts the kernel events of each op while alive.
struct OpCounter final : OpObserver {
  int counts[kNumOps] = {};
  OpObserver* replaced = nullptr;
  OpCounter() { replaced = set_op_observer(this); }
  ~OpCounter() override { set_op_observer(replaced); }
  void before(const OpEvent& event) override {
    if (!event.is_view()) ++counts[static_cast<int>(event.op())];
  }
  void after(const OpEvent&) override {}
  int operator[](OpId op) const { return counts[static_cast<int>(op)]; }
};

RefTensor einsum_reference(const std::string& equation, const std::vector<Tensor>& xs) {
  std::vector<RefTensor> refs;
  for (const Tensor& x : xs) refs.push_back(RefTensor::of(x));
  return ref_einsum(equation, refs, xs[0].dtype());
}

void require_matches(const Tensor& got, const RefTensor& expected) {
  REQUIRE(Shape(got.sizes().begin(), got.sizes().end()) == expected.shape);
  const std::vector<double> values = got.to_vector<double>();
  for (size_t i = 0; i < values.size(); ++i) REQUIRE(values[i] == Approx(expected.values[i]).margin(1e-9));
}

}  // namespace

TEST_CASE("einsum: a pair contraction is one bmm, not an elementwise product", "[einsum]") {
  const Tensor a = randn({4, 3, 5}, kFloat64), b = randn({4, 5, 2}, kFloat64);
  OpCounter ops;
  const Tensor y = einsum("bij,bjk->bik", {a, b});
  CHECK(ops[OpId::bmm] == 1);
  CHECK(ops[OpId::mul] == 0);
  require_matches(y, einsum_reference("bij,bjk->bik", {a, b}));
}

TEST_CASE("einsum: three operands contract left to right, one bmm per pair", "[einsum]") {
  const Tensor a = randn({2, 3}, kFloat64), b = randn({3, 4}, kFloat64), c = randn({4, 5}, kFloat64);
  OpCounter ops;
  const Tensor y = einsum("ij,jk,kl->il", {a, b, c});
  CHECK(ops[OpId::bmm] == 2);
  require_matches(y, einsum_reference("ij,jk,kl->il", {a, b, c}));
}

TEST_CASE("einsum: implicit output is the once-seen labels in ASCII order, upper case first", "[einsum]") {
  const Tensor x = randn({2, 3}, kFloat64);
  require_matches(einsum("ba", {x}), einsum_reference("ba->ab", {x}));
  const Tensor u = randn({2, 3}, kFloat64), v = randn({3, 4}, kFloat64);
  const Tensor y = einsum("bZ,Zc", {u, v});  // b, c once: output "bc"
  require_matches(y, einsum_reference("bZ,Zc->bc", {u, v}));
  const Tensor w = einsum("zA,zb", {u, randn({2, 4}, kFloat64)});  // A before b
  CHECK(w.sizes() == IntList{3, 4});
  // "..." dims lead an implicit output, the once-seen labels follow.
  const Tensor e = randn({2, 3, 4}, kFloat64);
  require_matches(einsum("i...", {e}), einsum_reference("iAB->ABi", {e}));
}

TEST_CASE("einsum: ellipsis dims missing from an explicit output are summed, batch dims broadcast", "[einsum]") {
  const Tensor x = randn({2, 3, 4}, kFloat64);
  require_matches(einsum("...ij->ij", {x}), einsum_reference("Aij->ij", {x}));
  const Tensor a = randn({5, 1, 2, 3}, kFloat64), b = randn({4, 3, 2}, kFloat64);
  require_matches(einsum("...ij,...jk->...ik", {a, b}), einsum_reference("ABij,Bjk->ABik", {a, b}));
  CHECK(einsum("...ij,...jk->...ik", {a, b}).sizes() == IntList{5, 4, 2, 2});
}

TEST_CASE("einsum: integer operands on the CPU keep their dtype", "[einsum]") {
  const Tensor a = tensor<int64_t>({{1, 2}, {3, 4}}, kInt64), b = tensor<int64_t>({{5, 6}, {7, 8}}, kInt64);
  const Tensor y = einsum("ij,jk->ik", {a, b});
  CHECK(y.dtype() == kInt64);
  CHECK(y.to_vector<int64_t>() == std::vector<int64_t>{19, 22, 43, 50});
  CHECK(einsum("ii", {a}).item<int64_t>() == 5);
}

TEST_CASE("einsum: gradients of a three-operand equation with a diagonal and an ellipsis", "[einsum][autograd]") {
  const Tensor a = random_leaf({2, 3, 3}), b = random_leaf({3, 4}), c = random_leaf({2, 4});
  auto fn = [](const std::vector<Tensor>& in) { return einsum("...ii,ij,...j->...i", {in[0], in[1], in[2]}); };
  const std::vector<Tensor> inputs{a, b, c};
  REQUIRE_GRADCHECK(fn, inputs);
  const auto second = autograd::gradgradcheck(fn, inputs);
  INFO(second.message);
  REQUIRE(second.ok);
}

TEST_CASE("einsum: malformed equations throw reel::Error naming the equation", "[einsum][errors]") {
  using Catch::Matchers::Contains;
  const Tensor m = ones({2, 3}), v = ones({3}), sq = ones({3, 3});
  REQUIRE_THROWS_WITH(einsum("ij,jk->ii", {m, ones({3, 2})}), Contains("einsum()") && Contains("appears more than once"));
  REQUIRE_THROWS_WITH(einsum("ij->k", {m}), Contains("output subscript k does not appear"));
  REQUIRE_THROWS_WITH(einsum("ij,j", {m}), Contains("2 operand terms but 1 tensors") && Contains("ij,j"));
  REQUIRE_THROWS_WITH(einsum("i", {m, v}), Contains("1 operand terms but 2 tensors"));
  REQUIRE_THROWS_WITH(einsum("ijk", {m}), Contains("does not match the number of dimensions (2)") && Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(einsum("ijk...", {m}), Contains("is more than the number of dimensions"));
  REQUIRE_THROWS_WITH(einsum("i1", {m}), Contains("invalid subscript '1'"));
  REQUIRE_THROWS_WITH(einsum("i..j", {m}), Contains("not part of any ellipsis"));
  REQUIRE_THROWS_WITH(einsum("...i...", {m}), Contains("ellipsis was already found"));
  REQUIRE_THROWS_WITH(einsum("ij->i->j", {m}), Contains("\"->\" only once"));
  REQUIRE_THROWS_WITH(einsum("ii", {m}), Contains("subscript i is repeated for operand 0") && Contains("2 != 3"));
  REQUIRE_THROWS_WITH(einsum("ij,ij->", {m, sq}), Contains("do not broadcast") && Contains("ij,ij->"));
  REQUIRE_THROWS_WITH(einsum("ij,jk", {m, ones({3, 2}, kFloat64)}), Contains("same dtype"));
  REQUIRE_THROWS_WITH(einsum("i,i", {ones({2}, kBool), ones({2}, kBool)}), Contains("bool"));
  REQUIRE_THROWS_WITH(einsum("", std::vector<Tensor>{}), Contains("at least one operand"));
  REQUIRE_THROWS_AS(einsum("ij,jk->ik", {m, m}), Error);
}

}  // namespace reel::test

namespace reel::test {

// A contraction path (opt_einsum's format: pairs of positions in the list of operands left, each product appended
// at its end) changes the order of the bmm's, never the value: against the float64 reference and the left-to-right
// default, with gradients through the reordered contraction.
TEST_CASE("einsum: a contraction path reorders the pairwise products, same values and gradients", "[einsum]") {
  const Tensor a = random_leaf({2, 3}), b = random_leaf({3, 4}), c = random_leaf({4, 5}), d = random_leaf({5, 2});
  const std::string eq = "ij,jk,kl,lm->im";
  const Tensor plain = einsum(eq, {a, b, c, d});
  const RefTensor expected = einsum_reference(eq, {a, b, c, d});
  const Tensor g = randn(plain.sizes(), kFloat64);
  const std::vector<Tensor> want = autograd::grad({plain}, {a, b, c, d}, {g});
  // (c, d) first, then (a, b), then the two products; and (b, c) first
  for (const std::vector<int64_t>& path : {std::vector<int64_t>{2, 3, 0, 1, 0, 1}, std::vector<int64_t>{1, 2, 0, 2, 0, 1},
                                           std::vector<int64_t>{3, 2, 1, 0, 1, 0}}) {
    OpCounter ops;
    const Tensor y = einsum(eq, {a, b, c, d}, IntList(path));
    CHECK(ops[OpId::bmm] == 3);
    require_matches(y, expected);
    const std::vector<Tensor> got = autograd::grad({y}, {a, b, c, d}, {g});
    for (size_t i = 0; i < 4; ++i) CHECK(allclose(got[i], want[i], 1e-12, 1e-12));
  }
  // a summed label only one operand has, a batch label and an output label shared by the pair the path takes last
  const Tensor x = random_leaf({2, 3, 4}), w = random_leaf({4, 6}), v = random_leaf({2, 6, 5});
  require_matches(einsum("bij,jk,bkl->bl", {x, w, v}, IntList({1, 2, 0, 1})),
                  einsum_reference("bij,jk,bkl->bl", {x, w, v}));
  // one operand: an empty path
  require_matches(einsum("ii->i", {b.narrow(1, 0, 3)}, IntList(std::vector<int64_t>{})),
                  einsum_reference("ii->i", {b.narrow(1, 0, 3)}));
}

TEST_CASE("einsum: a malformed contraction path throws reel::Error naming it", "[einsum][errors]") {
  const Tensor a = randn({2, 3}), b = randn({3, 4}), c = randn({4, 5});
  auto message = [&](std::vector<int64_t> path) {
    try {
      einsum("ij,jk,kl->il", {a, b, c}, IntList(path));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK_THAT(message({0, 1}), Catch::Contains("must hold 4 positions"));
  CHECK_THAT(message({0, 1, 0, 1, 0, 1}), Catch::Contains("must hold 4 positions"));
  CHECK_THAT(message({0, 0, 0, 1}), Catch::Contains("two different operands"));
  CHECK_THAT(message({0, 3, 0, 1}), Catch::Contains("two different operands"));
  CHECK_THAT(message({0, 1, 0, 2}), Catch::Contains("of the 2 left"));
}

}  // namespace reel::test
