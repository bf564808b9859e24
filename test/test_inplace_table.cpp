// reel/test/test_inplace_table.cpp — every in-place op, generated from the op table (tensor/ops.def gives the
// elementwise `name_` methods; the other in-place forms are listed beside it), put through the five situations
// in which an in-place op can silently go wrong (Note [In-place ops and autograd]):
//   overlap      the target has several elements at one memory location (an expand): refused, nothing written;
//   leaf view    the target is a view of a leaf that requires grad: refused, as in PyTorch;
//   view         the target is a view of a non-leaf: values and gradients (for the base's inputs, the op's other
//                operands, and the view itself read afterwards) equal those of the same computation written out
//                of place (the view's region recomputed with the out-of-place op and put back with cat);
//   non-leaf     the target is a non-leaf: values and gradients equal the out-of-place op's;
//   saved        a node saved the target (y * y) before the write: its backward refuses to run, also when the
//                write went through a view.
// Runs on the CPU and, when one is present, on CUDA.
#include <cmath>
#include <functional>

#include "test/autograd_test_utils.h"

using reel::Tensor;

namespace {

using Others = std::vector<Tensor>;
using autograd_test::error_of;

struct InPlaceOp {
  std::string name;
  // The tensor operands besides self, for a self of shape [4, 2] (floating ones will require grad).
  std::function<Others(reel::TensorOptions)> make_others;
  std::function<void(Tensor& self, const Others& others)> apply;
  // The same op out of place; empty for random fills, whose reference is the values they wrote.
  std::function<Tensor(const Tensor& self, const Others& others)> reference;
};

// Values in [0.5, 1.5] (every op's domain: log, sqrt, pow and division stay finite), deterministic.
Tensor positive(reel::IntList sizes, reel::TensorOptions options, double phase) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  Tensor flat = reel::arange(n, reel::kFloat64);
  return ((flat * 0.37 + phase).sin() * 0.5 + 1.0).reshape(sizes).to(options.dtype()).to(options.device());
}

Others no_others(reel::TensorOptions) { return {}; }
Others one_like_self(reel::TensorOptions o) { return {positive({4, 2}, o, 0.3)}; }

// The table runs on float64 targets: the bitwise rows (integer and bool dtypes only) are left out here and their
// in-place forms checked in test/test_pointwise_math.cpp.
bool takes_float(reel::ResultRule rule) {
  return rule != reel::ResultRule::Bitwise && rule != reel::ResultRule::Integer;
}

std::vector<InPlaceOp> in_place_ops() {
  std::vector<InPlaceOp> ops;
#define REEL_UNARY_OP(name, functor, result, math)                                                 \
  if (takes_float(reel::ResultRule::result))                                                       \
  ops.push_back({#name "_", no_others, [](Tensor& self, const Others&) { self.name##_(); },        \
                 [](const Tensor& self, const Others&) { return reel::name(self); }});
#define REEL_BINARY_OP(name, functor, result, math)                                                \
  if (takes_float(reel::ResultRule::result)) {                                                     \
  ops.push_back({#name "_(Tensor)", one_like_self,                                                 \
                 [](Tensor& self, const Others& o) { self.name##_(o[0]); },                        \
                 [](const Tensor& self, const Others& o) { return reel::name(self, o[0]); }});      \
  ops.push_back({#name "_(broadcast Tensor)",                                                      \
                 [](reel::TensorOptions opt) { return Others{positive({2}, opt, 1.1)}; },           \
                 [](Tensor& self, const Others& o) { self.name##_(o[0]); },                        \
                 [](const Tensor& self, const Others& o) { return reel::name(self, o[0]); }});      \
  ops.push_back({#name "_(Scalar)", no_others, [](Tensor& self, const Others&) { self.name##_(1.25); }, \
                 [](const Tensor& self, const Others&) { return reel::name(self, 1.25); }});      \
  }
#include "tensor/ops.def"

  auto mask = [](reel::TensorOptions o) {
    return reel::tensor({true, false, false, true, true, true, false, false}).reshape({4, 2}).to(o.device());
  };
  ops.push_back({"add_(Tensor, alpha)", one_like_self, [](Tensor& s, const Others& o) { s.add_(o[0], 2.0); },
                 [](const Tensor& s, const Others& o) { return reel::add(s, o[0], 2.0); }});
  ops.push_back({"sub_(Tensor, alpha)", one_like_self, [](Tensor& s, const Others& o) { s.sub_(o[0], 0.5); },
                 [](const Tensor& s, const Others& o) { return reel::sub(s, o[0], 0.5); }});
  ops.push_back({"copy_", [](reel::TensorOptions o) { return Others{positive({2}, o, 0.7)}; },
                 [](Tensor& s, const Others& o) { s.copy_(o[0]); },
                 [](const Tensor& s, const Others& o) { return o[0].expand(s.sizes()) * 1; }});
  ops.push_back({"fill_", no_others, [](Tensor& s, const Others&) { s.fill_(1.5); },
                 [](const Tensor& s, const Others&) { return reel::full(s.sizes(), 1.5, s.options()); }});
  ops.push_back({"zero_", no_others, [](Tensor& s, const Others&) { s.zero_(); },
                 [](const Tensor& s, const Others&) { return reel::zeros(s.sizes(), s.options()); }});
  ops.push_back({"clamp_", no_others, [](Tensor& s, const Others&) { s.clamp_(0.7, 1.2); },
                 [](const Tensor& s, const Others&) { return reel::clamp(s, 0.7, 1.2); }});
  ops.push_back({"masked_fill_", [mask](reel::TensorOptions o) { return Others{mask(o)}; },
                 [](Tensor& s, const Others& o) { s.masked_fill_(o[0], 0.25); },
                 [](const Tensor& s, const Others& o) { return reel::masked_fill(s, o[0], 0.25); }});
  auto two_like_self = [](reel::TensorOptions o) { return Others{positive({4, 2}, o, 0.9), positive({4, 2}, o, 2.0)}; };
  ops.push_back({"addcmul_", two_like_self, [](Tensor& s, const Others& o) { s.addcmul_(o[0], o[1], 0.5); },
                 [](const Tensor& s, const Others& o) { return reel::addcmul(s, o[0], o[1], 0.5); }});
  ops.push_back({"addcdiv_", two_like_self, [](Tensor& s, const Others& o) { s.addcdiv_(o[0], o[1], 0.5); },
                 [](const Tensor& s, const Others& o) { return reel::addcdiv(s, o[0], o[1], 0.5); }});
  ops.push_back({"index_add_",
                 [](reel::TensorOptions o) {
                   return Others{reel::tensor({3, 0}, reel::kInt64).to(o.device()), positive({2, 2}, o, 1.4)};
                 },
                 [](Tensor& s, const Others& o) { s.index_add_(0, o[0], o[1], 1.5); },
                 [](const Tensor& s, const Others& o) { return reel::index_add(s, 0, o[0], o[1], 1.5); }});
  auto column_index = [](reel::TensorOptions o) {
    return Others{reel::tensor({1, 0, 1, 1}, reel::kInt64).reshape({4, 1}).to(o.device()), positive({4, 1}, o, 0.2)};
  };
  ops.push_back({"scatter_", column_index, [](Tensor& s, const Others& o) { s.scatter_(1, o[0], o[1]); },
                 [](const Tensor& s, const Others& o) { return reel::scatter(s, 1, o[0], o[1]); }});
  ops.push_back({"scatter_add_", column_index, [](Tensor& s, const Others& o) { s.scatter_add_(1, o[0], o[1]); },
                 [](const Tensor& s, const Others& o) { return reel::scatter_add(s, 1, o[0], o[1]); }});
  // ---- advanced indexing (tensor/indexing.cpp, ops_advanced_index.cpp, ops_scatter_reduce.cpp) ----
  auto rows_index = [](reel::TensorOptions o) {
    return Others{reel::tensor({3, 0}, reel::kInt64).to(o.device()), positive({2, 2}, o, 1.1)};
  };
  ops.push_back({"index_put_({Tensor, Slice}, v)", rows_index,
                 [](Tensor& s, const Others& o) { s.index_put_({o[0], reel::indexing::Slice()}, o[1]); },
                 [](const Tensor& s, const Others& o) { return reel::index_put(s, {o[0]}, o[1]); }});
  ops.push_back({"index_put_(accumulate)",
                 [](reel::TensorOptions o) {
                   return Others{reel::tensor({1, 1, 2}, reel::kInt64).to(o.device()), positive({3, 2}, o, 0.3)};
                 },
                 [](Tensor& s, const Others& o) { reel::index_put_(s, {o[0]}, o[1], true); },
                 [](const Tensor& s, const Others& o) { return reel::index_put(s, {o[0]}, o[1], true); }});
  ops.push_back({"masked_scatter_", [mask](reel::TensorOptions o) { return Others{mask(o), positive({6}, o, 0.4)}; },
                 [](Tensor& s, const Others& o) { s.masked_scatter_(o[0], o[1]); },
                 [](const Tensor& s, const Others& o) { return reel::masked_scatter(s, o[0], o[1]); }});
  ops.push_back({"index_fill_", [](reel::TensorOptions o) { return Others{reel::tensor({2}, reel::kInt64).to(o.device())}; },
                 [](Tensor& s, const Others& o) { s.index_fill_(0, o[0], 0.5); },
                 [](const Tensor& s, const Others& o) { return reel::index_fill(s, 0, o[0], 0.5); }});
  ops.push_back({"index_copy_", rows_index, [](Tensor& s, const Others& o) { s.index_copy_(0, o[0], o[1]); },
                 [](const Tensor& s, const Others& o) { return reel::index_copy(s, 0, o[0], o[1]); }});
  ops.push_back({"scatter_reduce_(amax)", column_index,
                 [](Tensor& s, const Others& o) { s.scatter_reduce_(1, o[0], o[1], "amax"); },
                 [](const Tensor& s, const Others& o) { return reel::scatter_reduce(s, 1, o[0], o[1], "amax"); }});
  ops.push_back({"addmm_",
                 [](reel::TensorOptions o) { return Others{positive({4, 3}, o, 0.5), positive({3, 2}, o, 1.7)}; },
                 [](Tensor& s, const Others& o) { s.addmm_(o[0], o[1], 0.5, 2.0); },
                 [](const Tensor& s, const Others& o) { return reel::addmm(s, o[0], o[1], 0.5, 2.0); }});
  // the pointwise-math forms with tensor operands (test/test_pointwise_math.cpp has their values)
  ops.push_back({"clamp_(Tensor, Tensor)",
                 [](reel::TensorOptions o) {
                   return Others{positive({4, 2}, o, 0.9) + 0.5, positive({2}, o, 2.0) + 1.0};
                 },
                 [](Tensor& s, const Others& o) { s.clamp_(o[0], o[1]); },
                 [](const Tensor& s, const Others& o) { return reel::clamp(s, o[0], o[1]); }});
  ops.push_back({"lerp_(Tensor, Tensor)", two_like_self, [](Tensor& s, const Others& o) { s.lerp_(o[0], o[1]); },
                 [](const Tensor& s, const Others& o) { return reel::lerp(s, o[0], o[1]); }});
  ops.push_back({"masked_fill_(mask, Tensor)",
                 [mask](reel::TensorOptions o) { return Others{mask(o), reel::scalar_tensor(0.25, o)}; },
                 [](Tensor& s, const Others& o) { s.masked_fill_(o[0], o[1]); },
                 [](const Tensor& s, const Others& o) { return reel::masked_fill(s, o[0], o[1]); }});
  ops.push_back({"div_(Tensor, floor)", one_like_self, [](Tensor& s, const Others& o) { s.div_(o[0], "floor"); },
                 [](const Tensor& s, const Others& o) { return reel::div(s, o[0], "floor"); }});
  ops.push_back({"uniform_", no_others, [](Tensor& s, const Others&) { reel::uniform_(s, 0.5, 1.5); }, nullptr});
  ops.push_back({"normal_", no_others, [](Tensor& s, const Others&) { reel::normal_(s, 1.0, 0.1); }, nullptr});
  return ops;
}

std::vector<reel::Device> devices() {
  std::vector<reel::Device> out = {reel::Device(reel::kCPU)};
  if (reel::cuda::is_available()) out.emplace_back(reel::kCUDA);
  return out;
}

// The op's other operands with the floating ones requiring grad (leaves).
Others leaves_of(const InPlaceOp& op, reel::TensorOptions options) {
  Others others = op.make_others(options);
  for (Tensor& t : others)
    if (t.is_floating_point()) t = t.detach().requires_grad_();
  return others;
}

void check_close(const Tensor& got, const Tensor& expected, const std::string& what) {
  INFO(what);
  REQUIRE(got.defined() == expected.defined());
  if (!got.defined()) return;
  REQUIRE(got.sizes() == expected.sizes());
  const std::vector<double> g = got.to_vector<double>();
  const std::vector<double> e = expected.to_vector<double>();
  for (size_t i = 0; i < g.size(); ++i) {
    INFO("element " << i << ": got " << g[i] << ", expected " << e[i]);
    // NaN matches NaN: ops such as asin_ and erfinv_ are outside their domain on some of the table's values
    if (std::isnan(e[i]) && std::isnan(g[i])) continue;
    CHECK(std::abs(g[i] - e[i]) <= 1e-12 * (1.0 + std::abs(e[i])));
  }
}

// Gradients of `loss` for `x` and each floating operand (undefined where no gradient reaches it).
std::vector<Tensor> gradients(const Tensor& loss, const Tensor& x, const Others& others) {
  std::vector<Tensor> wrt = {x};
  for (const Tensor& t : others)
    if (t.requires_grad()) wrt.push_back(t);
  if (!loss.requires_grad()) return std::vector<Tensor>(wrt.size());
  return reel::autograd::grad({loss}, wrt, {}, /*retain_graph=*/false, /*create_graph=*/false,
                              /*allow_unused=*/true);
}

void compare_gradients(const std::vector<Tensor>& got, const std::vector<Tensor>& expected) {
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    // An undefined gradient and a zero one mean the same here.
    Tensor g = got[i].defined() ? got[i] : (expected[i].defined() ? reel::zeros_like(expected[i]) : Tensor());
    Tensor e = expected[i].defined() ? expected[i] : (g.defined() ? reel::zeros_like(g) : Tensor());
    check_close(g, e, "gradient " + std::to_string(i) + " (0: the base's input, then the op's floating operands)");
  }
}

}  // namespace

TEST_CASE("inplace table: every in-place op refuses an overlapping target and writes nothing", "[inplace][table]") {
  for (reel::Device device : devices()) {
    const reel::TensorOptions options = reel::TensorOptions(reel::kFloat64).device(device);
    for (const InPlaceOp& op : in_place_ops()) {
      INFO(op.name << " on " << device.str());
      Tensor storage = reel::zeros({1, 2}, options);
      Tensor target = storage.expand({4, 2});
      const Others others = op.make_others(options);
      const std::string message = error_of([&] { op.apply(target, others); });
      CHECK(message.find("more than one element of the written-to tensor refers to a single memory location") !=
            std::string::npos);
      CHECK(storage.to_vector<double>() == std::vector<double>{0, 0});
    }
  }
}

TEST_CASE("inplace table: every in-place op refuses a view of a leaf that requires grad", "[inplace][table]") {
  for (reel::Device device : devices()) {
    const reel::TensorOptions options = reel::TensorOptions(reel::kFloat64).device(device);
    for (const InPlaceOp& op : in_place_ops()) {
      INFO(op.name << " on " << device.str());
      Tensor x = positive({4, 3}, options, 0.0).requires_grad_();
      Tensor view = x.narrow(1, 1, 2);
      const Others others = op.make_others(options);
      CHECK(error_of([&] { op.apply(view, others); }).find("a view of a leaf Variable that requires grad") !=
            std::string::npos);
    }
  }
}

TEST_CASE("inplace table: through a view of a non-leaf, values and gradients equal the out-of-place computation",
          "[inplace][table]") {
  for (reel::Device device : devices()) {
    const reel::TensorOptions options = reel::TensorOptions(reel::kFloat64).device(device);
    const Tensor w = positive({4, 3}, options, 3.0);      // weights of the base in the loss
    const Tensor w_view = positive({4, 2}, options, 4.0);  // weights of the view read after the write
    for (const InPlaceOp& op : in_place_ops()) {
      INFO(op.name << " on " << device.str());
      Tensor x = positive({4, 3}, options, 0.0).requires_grad_();
      const Others others = leaves_of(op, options);
      Tensor y = x * 2;
      Tensor view = y.narrow(1, 1, 2);  // [4, 2], strides [3, 1]
      op.apply(view, others);
      const Tensor written = view.detach().clone();
      const Tensor loss = (y * w).sum() + (view * w_view).sum();
      const std::vector<Tensor> got = gradients(loss, x, others);

      Tensor x2 = x.detach().clone().requires_grad_();
      Tensor y2 = x2 * 2;
      const Tensor region = op.reference ? op.reference(y2.narrow(1, 1, 2), others).to(reel::kFloat64) : written;
      const Tensor y2_new = reel::cat({y2.narrow(1, 0, 1), region}, 1);
      check_close(y.detach(), y2_new.detach(), "values of the base");
      const Tensor reference_loss = (y2_new * w).sum() + (region * w_view).sum();
      std::vector<Tensor> expected = gradients(reference_loss, x2, others);
      compare_gradients(got, expected);
    }
  }
}

TEST_CASE("inplace table: on a non-leaf, values and gradients equal the out-of-place op's", "[inplace][table]") {
  for (reel::Device device : devices()) {
    const reel::TensorOptions options = reel::TensorOptions(reel::kFloat64).device(device);
    const Tensor w = positive({4, 2}, options, 5.0);
    for (const InPlaceOp& op : in_place_ops()) {
      INFO(op.name << " on " << device.str());
      Tensor x = positive({4, 2}, options, 0.0).requires_grad_();
      const Others others = leaves_of(op, options);
      Tensor y = x * 2;
      op.apply(y, others);
      const Tensor written = y.detach().clone();
      const std::vector<Tensor> got = gradients((y * w).sum(), x, others);

      Tensor x2 = x.detach().clone().requires_grad_();
      const Tensor expected_y = op.reference ? op.reference(x2 * 2, others).to(reel::kFloat64) : written;
      check_close(written, expected_y.detach(), "values");
      compare_gradients(got, gradients((expected_y * w).sum(), x2, others));
    }
  }
}

TEST_CASE("inplace table: a saved tensor written in place (directly or through a view) is refused at backward",
          "[inplace][table]") {
  for (reel::Device device : devices()) {
    const reel::TensorOptions options = reel::TensorOptions(reel::kFloat64).device(device);
    for (const InPlaceOp& op : in_place_ops()) {
      for (bool through_view : {false, true}) {
        INFO(op.name << " on " << device.str() << (through_view ? ", through a view" : ""));
        Tensor x = positive({4, 3}, options, 0.0).requires_grad_();
        Tensor y = x * 2;
        Tensor saved_y = y * y;  // MulBackward saves y
        Tensor target = through_view ? y.narrow(1, 1, 2) : y.narrow(1, 1, 2).contiguous();
        if (!through_view) {
          y = target;  // a non-view non-leaf of shape [4, 2], saved below
          saved_y = y * y;
        }
        const Others others = op.make_others(options);
        op.apply(target, others);
        CHECK(error_of([&] { saved_y.sum().backward(); })
                  .find("MulBackward: one of the tensors needed for gradient computation has been modified by an "
                        "in-place operation") == 0);
      }
    }
  }
}
