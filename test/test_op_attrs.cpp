// reel/test/test_op_attrs.cpp — each op hands its kernel (and its autograd node) the typed attribute struct its
// family documents in tensor/op_attrs.h, holding the values the call was given.
//
// An op observer (tensor/observer.h) copies the OpAttrs of every kernel call it sees (event_attrs, tensor/dispatch.h);
// the checks then read the family struct back with get<T>() and compare its fields with the call's arguments.
// View ops run no kernel: their records are read from the output's grad_fn node. get<T>() on another family must
// throw reel::Error, not hand back garbage.
#include <catch2/catch.hpp>

#include <optional>
#include <vector>

#include "autograd/node.h"
#include "tensor/dispatch.h"
#include "tensor/ops.h"

namespace reel::test {

namespace {

// The attributes of every kernel call of one op seen while installed (nullopt for a call that passed none).
struct AttrsRecorder final : OpObserver {
  explicit AttrsRecorder(OpId op) : op(op), replaced(set_op_observer(this)) {}
  ~AttrsRecorder() override { set_op_observer(replaced); }
  AttrsRecorder(const AttrsRecorder&) = delete;
  AttrsRecorder& operator=(const AttrsRecorder&) = delete;

  void before(const OpEvent& event) override {
    if (event.op() != op || event.is_view()) return;
    const OpAttrs* attrs = event_attrs(event);
    calls.push_back(attrs ? std::optional<OpAttrs>(*attrs) : std::nullopt);
  }
  void after(const OpEvent&) override {}

  // The one call's attributes; fails the test when the op ran its kernel other than once or passed none.
  const OpAttrs& only() const {
    REQUIRE(calls.size() == 1);
    REQUIRE(calls[0].has_value());
    return *calls[0];
  }

  OpId op;
  OpObserver* replaced;
  std::vector<std::optional<OpAttrs>> calls;
};

// 0, 1, 2, ... (float32) in a fresh contiguous tensor of shape (rows, cols), off the tape.
Tensor values(int64_t rows, int64_t cols) {
  return arange(0.0, static_cast<double>(rows * cols), 1.0).reshape({rows, cols}).clone();
}

}  // namespace

TEST_CASE("op attrs: elementwise ops hold ClampAttrs, AddcAttrs, ElementwiseParams or nothing", "[op_attrs]") {
  const Tensor x = values(2, 3);
  {
    AttrsRecorder seen(OpId::clamp);
    clamp(x, Scalar(-1.5), Scalar(2));
    const ClampAttrs& bounds = seen.only().get<ClampAttrs>();
    REQUIRE(bounds.min.has_value());
    REQUIRE(bounds.max.has_value());
    CHECK(bounds.min->to_double() == -1.5);
    CHECK(bounds.max->is_integral());
    CHECK(bounds.max->to_int64() == 2);
  }
  {
    AttrsRecorder seen(OpId::clamp);
    clamp(x, std::nullopt, Scalar(3.0));
    const ClampAttrs& bounds = seen.only().get<ClampAttrs>();
    CHECK_FALSE(bounds.min.has_value());
    REQUIRE(bounds.max.has_value());
    CHECK(bounds.max->to_double() == 3.0);
  }
  {
    AttrsRecorder seen(OpId::addcmul);
    addcmul(x, x, x, 0.25);
    CHECK(seen.only().get<AddcAttrs>().value.to_double() == 0.25);
  }
  {
    AttrsRecorder seen(OpId::leaky_relu);
    leaky_relu(x, 0.125);
    CHECK(seen.only().get<ElementwiseParams>()[0] == 0.125);
  }
  {
    AttrsRecorder seen(OpId::tanh);  // no attributes at all: the hot path builds no OpAttrs
    tanh(x);
    REQUIRE(seen.calls.size() == 1);
    CHECK_FALSE(seen.calls[0].has_value());
  }
  {
    Tensor y = x.clone();
    AttrsRecorder seen(OpId::fill);
    y.fill_(7);
    CHECK(seen.only().get<FillAttrs>().value.to_int64() == 7);
  }
}

TEST_CASE("op attrs: shape, index and reduction ops hold their family's struct", "[op_attrs]") {
  const Tensor x = values(3, 4);
  {
    AttrsRecorder seen(OpId::tril);
    tril(x, 1);
    CHECK(seen.only().get<DiagonalAttrs>().diagonal == 1);
  }
  {
    AttrsRecorder seen(OpId::triu);
    triu(x, -2);
    CHECK(seen.only().get<DiagonalAttrs>().diagonal == -2);
  }
  {
    AttrsRecorder seen(OpId::var);
    var(x, {1}, Scalar(0), true);
    const OpAttrs& attrs = seen.only();
    CHECK(attrs.get<VarianceAttrs>().correction == 0.0);
    CHECK(attrs.dims == DimVector{1});
    CHECK(attrs.keepdim);
  }
  {
    AttrsRecorder seen(OpId::norm);
    norm(x, 3, {0});
    CHECK(seen.only().get<NormAttrs>().p == 3.0);
  }
  {
    AttrsRecorder seen(OpId::one_hot);
    one_hot(tensor(std::vector<int64_t>{0, 2, 1}), 5);
    CHECK(seen.only().get<OneHotAttrs>().num_classes == 5);
  }
  {
    const Tensor index = tensor(std::vector<int64_t>{2, 0});
    AttrsRecorder seen(OpId::index_add);
    index_add(x, 0, index, ones({2, 4}), 3);
    const OpAttrs& attrs = seen.only();
    CHECK(attrs.get<IndexAddAttrs>().alpha.to_int64() == 3);
    CHECK(attrs.dim == 0);
  }
  {
    const Tensor index = tensor(std::vector<int64_t>{1, 0, 2}).reshape({3, 1});
    AttrsRecorder seen(OpId::scatter);
    scatter(x, 1, index, Scalar(-4.0));
    const ScatterAttrs& scatter_attrs = seen.only().get<ScatterAttrs>();
    CHECK_FALSE(scatter_attrs.has_src);
    CHECK(scatter_attrs.value.to_double() == -4.0);
  }
  {
    AttrsRecorder seen(OpId::addmm);
    addmm(zeros({3, 2}), x, ones({4, 2}), 0.5, 2.0);
    const ScaleAttrs& scale = seen.only().get<ScaleAttrs>();
    CHECK(scale.alpha.to_double() == 2.0);
    CHECK(scale.beta.to_double() == 0.5);
  }
}

TEST_CASE("op attrs: creation and random ops hold their ranges and Philox positions", "[op_attrs]") {
  {
    AttrsRecorder seen(OpId::arange);
    arange(2, 11, 3);
    const ArangeAttrs& range = seen.only().get<ArangeAttrs>();
    CHECK(range.start.to_int64() == 2);
    CHECK(range.step.to_int64() == 3);
  }
  {
    AttrsRecorder seen(OpId::linspace);
    linspace(-1.0, 4.0, 6);
    const LinspaceAttrs& range = seen.only().get<LinspaceAttrs>();
    CHECK(range.start == -1.0);
    CHECK(range.end == 4.0);
  }
  {
    manual_seed(1234);
    AttrsRecorder seen(OpId::uniform);
    rand({3});
    Tensor t = empty({5}, kFloat64);
    uniform_(t, -2.0, 3.0);
    REQUIRE(seen.calls.size() == 2);
    const UniformAttrs& first = seen.calls[0]->get<UniformAttrs>();
    const UniformAttrs& second = seen.calls[1]->get<UniformAttrs>();
    CHECK(first.low == 0.0);
    CHECK(first.high == 1.0);
    CHECK(first.philox.seed == 1234);
    CHECK(first.philox.offset == 0);
    CHECK(second.low == -2.0);
    CHECK(second.high == 3.0);
    CHECK(second.philox.seed == 1234);
    CHECK(second.philox.offset == 4);  // rand's 3 float draws, rounded up to a whole Philox block of 4
  }
  {
    AttrsRecorder seen(OpId::randint);
    randint(-3, 9, {4});
    const RandintAttrs& range = seen.only().get<RandintAttrs>();
    CHECK(range.low == -3);
    CHECK(range.high == 9);
    CHECK_FALSE(range.wide_draws);
  }
}

TEST_CASE("op attrs: conv2d holds ConvParams, pooling PoolParams", "[op_attrs]") {
  const Tensor input = ones({1, 4, 7, 7});
  {
    AttrsRecorder seen(OpId::conv2d);
    conv2d(input, ones({6, 2, 3, 3}), {}, {2, 1}, {1, 0}, {1, 2}, 2);
    const ConvParams& p = seen.only().get<ConvParams>();
    CHECK(p.stride == SpatialPair{2, 1});
    CHECK(p.padding == SpatialPair{1, 0});
    CHECK(p.dilation == SpatialPair{1, 2});
    CHECK(p.groups == 2);
  }
  {
    AttrsRecorder seen(OpId::avg_pool2d);
    avg_pool2d(input, {3, 2}, {2, 2}, {1, 1}, true, false);
    const PoolParams& p = seen.only().get<PoolParams>();
    CHECK(p.kernel == SpatialPair{3, 2});
    CHECK(p.stride == SpatialPair{2, 2});
    CHECK(p.padding == SpatialPair{1, 1});
    CHECK(p.ceil_mode);
    CHECK_FALSE(p.count_include_pad);
  }
}

TEST_CASE("op attrs: view records keep SliceAttrs, SelectAttrs and AsStridedAttrs on their nodes", "[op_attrs]") {
  Tensor x = values(6, 5);
  x.requires_grad_(true);
  {
    const Tensor y = x.slice(0, 1, 6, 2);
    REQUIRE(y.grad_fn() != nullptr);
    const OpAttrs& attrs = y.grad_fn()->attrs();
    const SliceAttrs& range = attrs.get<SliceAttrs>();
    CHECK(attrs.dim == 0);
    CHECK(range.start == 1);
    CHECK(range.end == 6);
    CHECK(range.step == 2);
  }
  {
    const Tensor y = x.select(1, -1);
    REQUIRE(y.grad_fn() != nullptr);
    CHECK(y.grad_fn()->attrs().dim == 1);
    CHECK(y.grad_fn()->attrs().get<SelectAttrs>().index == 4);  // wrapped
  }
  {
    const Tensor base = x.slice(0, 2, 6);  // starts at storage offset 10
    const Tensor y = base.as_strided({2, 2}, {1, 5}, 13);
    REQUIRE(y.grad_fn() != nullptr);
    const AsStridedAttrs& offsets = y.grad_fn()->attrs().get<AsStridedAttrs>();
    CHECK(offsets.storage_offset == 13);
    CHECK(offsets.base_offset == 10);
  }
}

TEST_CASE("op attrs: get<T>() of a family the op did not store throws reel::Error", "[op_attrs]") {
  const OpAttrs clamp_attrs = family_attrs(ClampAttrs{Scalar(0), std::nullopt});
  CHECK(clamp_attrs.holds<ClampAttrs>());
  CHECK_FALSE(clamp_attrs.holds<DiagonalAttrs>());
  CHECK_THROWS_AS(clamp_attrs.get<DiagonalAttrs>(), Error);
  CHECK_THROWS_WITH(clamp_attrs.get<ConvParams>(), Catch::Contains("FamilyAttrs"));
  const OpAttrs none{};
  CHECK(none.holds<NoFamilyAttrs>());
  CHECK_THROWS_AS(none.get<VarianceAttrs>(), Error);
  OpAttrs changed = clamp_attrs;
  changed.set(DiagonalAttrs{3});
  CHECK(changed.get<DiagonalAttrs>().diagonal == 3);
  CHECK_THROWS_AS(changed.get<ClampAttrs>(), Error);
}

}  // namespace reel::test
