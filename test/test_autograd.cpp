// reel/test/test_autograd.cpp — tape semantics: leaves and grads, accumulation, broadcasting, retain/create
// graph, autograd::grad, detach, grad mode, hooks, in-place checks and the errors of misuse.
#include <catch2/catch.hpp>
#include <reel/reel.h>

#include <thread>

using reel::Tensor;
namespace ag = reel::autograd;

namespace {
std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }
Tensor leaf(std::initializer_list<double> v) { return reel::tensor(v, reel::kFloat64).requires_grad_(); }
}  // namespace

TEST_CASE("leaves and grad_fn names and a first backward", "[autograd]") {
  Tensor x = leaf({1.0, 2.0, 3.0});
  REQUIRE(x.is_leaf());
  REQUIRE(x.requires_grad());
  Tensor y = x * x;
  REQUIRE_FALSE(y.is_leaf());
  REQUIRE(ag::grad_fn_name(y) == "MulBackward");
  Tensor loss = (y * 0.5).sum();
  REQUIRE(ag::grad_fn_name(loss) == "SumBackward");
  loss.backward();
  REQUIRE(values(x.grad()) == std::vector<double>{1.0, 2.0, 3.0});  // d/dx sum(x^2/2) = x
  REQUIRE_FALSE(y.grad().defined());                                 // non-leaves keep no grad by default
}

TEST_CASE("gradients accumulate across backward calls", "[autograd]") {
  Tensor x = leaf({2.0});
  (x * 3).sum().backward();
  (x * 3).sum().backward();
  REQUIRE(values(x.grad()) == std::vector<double>{6.0});
  x.mutable_grad().zero_();
  (x * x).sum().backward();
  REQUIRE(values(x.grad()) == std::vector<double>{4.0});
}

TEST_CASE("broadcast gradients are summed back to the input's shape", "[autograd]") {
  Tensor a = reel::ones({2, 3}, reel::kFloat64).requires_grad_();
  Tensor b = reel::tensor({1.0, 2.0, 3.0}, reel::kFloat64).requires_grad_();
  Tensor c = reel::full({2, 1}, 2.0, reel::kFloat64).requires_grad_();
  ((a * b) * c).sum().backward();
  REQUIRE(values(b.grad()) == std::vector<double>{4.0, 4.0, 4.0});
  REQUIRE(values(c.grad()) == std::vector<double>{6.0, 6.0});
  REQUIRE(b.grad().sizes() == reel::IntList({3}));
  REQUIRE(c.grad().sizes() == reel::IntList({2, 1}));
}

TEST_CASE("integer and bool outputs never require grad", "[autograd]") {
  Tensor x = leaf({1.0, -2.0});
  REQUIRE_FALSE((x > 0).requires_grad());
  REQUIRE_FALSE(x.argmax().requires_grad());
  REQUIRE((x * 1).requires_grad());
}

TEST_CASE("retain_graph allows a second backward - without it a clear error", "[autograd]") {
  Tensor x = leaf({1.5});
  Tensor y = (x.exp() * x).sum();
  y.backward(Tensor(), /*retain_graph=*/true);
  y.backward();
  const double e = std::exp(1.5);
  REQUIRE(values(x.grad())[0] == Approx(2 * (e + 1.5 * e)));
  REQUIRE_THROWS_WITH(y.backward(), Catch::Contains("second time"));
}

TEST_CASE("create_graph gives differentiable gradients (grad of grad)", "[autograd]") {
  Tensor x = leaf({0.5, 2.0});
  Tensor y = (x * x * x).sum();
  auto [g] = std::tuple(ag::grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true)[0]);
  REQUIRE(values(g) == std::vector<double>{0.75, 12.0});  // 3x^2
  REQUIRE(g.requires_grad());
  Tensor gg = ag::grad({g.sum()}, {x})[0];
  REQUIRE(values(gg) == std::vector<double>{3.0, 12.0});  // 6x
  REQUIRE_FALSE(x.grad().defined());                      // autograd::grad leaves .grad alone
}

TEST_CASE("autograd::grad with allow_unused and non-scalar outputs", "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  Tensor unused = leaf({5.0});
  Tensor y = x * 2;
  REQUIRE_THROWS_WITH(ag::grad({y.sum()}, {x, unused}, {}, true), Catch::Contains("allow_unused"));
  auto grads = ag::grad({y}, {x, unused}, {reel::tensor({1.0, 10.0}, reel::kFloat64)}, std::nullopt, false, true);
  REQUIRE(values(grads[0]) == std::vector<double>{2.0, 20.0});
  REQUIRE_FALSE(grads[1].defined());
}

TEST_CASE("non-scalar backward needs a gradient - shapes must match", "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = x * 2;
  REQUIRE_THROWS_WITH(y.backward(), Catch::Contains("one-element") && Catch::Contains("[2]"));
  REQUIRE_THROWS_WITH(y.backward(reel::ones({3}, reel::kFloat64)), Catch::Contains("[3]"));
  y.backward(reel::tensor({1.0, -1.0}, reel::kFloat64));
  REQUIRE(values(x.grad()) == std::vector<double>{2.0, -2.0});
}

TEST_CASE("backward on a tensor that does not require grad throws", "[autograd]") {
  Tensor x = reel::tensor({1.0, 2.0});
  REQUIRE_THROWS_WITH(x.sum().backward(), Catch::Contains("does not require grad"));
}

TEST_CASE("detach and detach_ and requires_grad_ on non-leaves", "[autograd]") {
  Tensor x = leaf({3.0});
  Tensor y = x * 2;
  Tensor d = y.detach();
  REQUIRE_FALSE(d.requires_grad());
  REQUIRE(d.is_leaf());
  REQUIRE(d.data_ptr() == y.data_ptr());  // same storage
  REQUIRE_THROWS_WITH(y.requires_grad_(false), Catch::Contains("leaf"));
  Tensor z = x * 3;
  z.detach_();
  REQUIRE_FALSE(z.requires_grad());
  REQUIRE(z.is_leaf());
  REQUIRE_THROWS_WITH(reel::tensor({1, 2}).requires_grad_(), Catch::Contains("floating"));
}

TEST_CASE("retain_grad keeps a non-leaf's gradient", "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = x * 3;
  y.retain_grad();
  REQUIRE(y.retains_grad());
  (y * y).sum().backward();
  REQUIRE(values(y.grad()) == std::vector<double>{6.0, 12.0});  // 2y
  REQUIRE(values(x.grad()) == std::vector<double>{18.0, 36.0});
}

TEST_CASE("grad mode: NoGradGuard and EnableGradGuard and thread-local", "[autograd]") {
  Tensor x = leaf({1.0});
  REQUIRE(reel::is_grad_enabled());
  {
    reel::NoGradGuard no_grad;
    REQUIRE_FALSE(reel::is_grad_enabled());
    REQUIRE_FALSE((x * 2).requires_grad());
    {
      reel::EnableGradGuard enable;
      REQUIRE((x * 2).requires_grad());
    }
    bool other_thread_enabled = false;
    std::thread([&] { other_thread_enabled = reel::is_grad_enabled(); }).join();
    REQUIRE(other_thread_enabled);
  }
  REQUIRE(reel::is_grad_enabled());
}

TEST_CASE("tensor hooks see and may replace gradients - handles remove them", "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  std::vector<double> seen;
  unsigned observe = x.register_hook([&](const Tensor& g) { seen = values(g); });
  Tensor y = x * 2;
  unsigned doubler = y.register_hook([](const Tensor& g) { return g * 2; });
  y.sum().backward();
  REQUIRE(seen == std::vector<double>{4.0, 4.0});
  REQUIRE(values(x.grad()) == std::vector<double>{4.0, 4.0});
  x.remove_hook(observe);
  y.remove_hook(doubler);
  seen.clear();
  x.mutable_grad() = Tensor();
  (x * 2).sum().backward();
  REQUIRE(seen.empty());
  REQUIRE(values(x.grad()) == std::vector<double>{2.0, 2.0});
}

TEST_CASE("in-place ops: version counter and leaf check and history", "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  REQUIRE_THROWS_WITH(x.add_(1.0), Catch::Contains("leaf") && Catch::Contains("add_"));
  {
    reel::NoGradGuard no_grad;
    x.add_(1.0);  // allowed without grad mode (optimizer steps)
  }
  REQUIRE(values(x) == std::vector<double>{2.0, 3.0});

  Tensor y = x.exp();  // saves its output
  y.mul_(2.0);         // modifies the saved output
  REQUIRE_THROWS_WITH(y.sum().backward(), Catch::Contains("ExpBackward") && Catch::Contains("in-place"));

  Tensor z = x * 3;
  z.add_(1.0);  // add needs nothing saved: fine
  z.mul_(2.0);  // multiplying by a constant needs nothing saved either
  REQUIRE(ag::grad_fn_name(z) == "MulBackward");
  z.sum().backward();
  REQUIRE(values(x.grad()) == std::vector<double>{6.0, 6.0});
}

TEST_CASE("addcmul_ and addcdiv_ write in place, broadcast the operands, record, and refuse what does not fit",
          "[autograd]") {
  // fast path: nothing recorded, result straight into self (the optimizers' updates)
  Tensor s = reel::tensor({1.0, 2.0, 3.0, 4.0}, reel::kFloat64).reshape({2, 2});
  const uint32_t version = s.version();
  const void* data = s.data_ptr();
  s.addcmul_(reel::tensor({2.0, 3.0}, reel::kFloat64), reel::tensor({10.0}, reel::kFloat64), 0.5);
  REQUIRE(values(s) == std::vector<double>{11.0, 17.0, 13.0, 19.0});  // s + 0.5 * [2, 3] * 10
  REQUIRE(s.data_ptr() == data);
  REQUIRE(s.version() == version + 1);
  s.addcdiv_(reel::tensor({4.0, 4.0, 4.0, 4.0}, reel::kFloat64).reshape({2, 2}), reel::tensor({2.0}, reel::kFloat64), -1);
  REQUIRE(values(s) == std::vector<double>{9.0, 15.0, 11.0, 17.0});
  // a float32 self with float64 operands: the result would be float64, which float32 keeps by rounding (PyTorch)
  Tensor f = reel::ones({2});
  f.addcmul_(reel::tensor({0.25, 0.5}, reel::kFloat64), reel::tensor({2.0, 2.0}, reel::kFloat64));
  REQUIRE(values(f) == std::vector<double>{1.5, 2.0});
  REQUIRE(f.dtype() == reel::kFloat32);
  // recorded: the gradient reaches every operand, summed over the broadcast dims
  Tensor t1 = leaf({1.0, 2.0}), t2 = leaf({3.0});
  Tensor y = reel::zeros({2}, reel::kFloat64) * 1.0;
  y.addcdiv_(t1, t2, 6.0);  // y = 6 t1 / t2
  REQUIRE(ag::grad_fn_name(y) == "AddcdivBackward");
  REQUIRE(values(y) == std::vector<double>{2.0, 4.0});
  y.sum().backward();
  REQUIRE(values(t1.grad()) == std::vector<double>{2.0, 2.0});       // 6 / t2
  REQUIRE(values(t2.grad())[0] == Approx(-6.0 * 3.0 / 9.0));         // -6 (t1_0 + t1_1) / t2^2
  // results that do not fit self's shape, leaves, bad dtypes and values
  Tensor small = reel::zeros({2}, reel::kFloat64);
  REQUIRE_THROWS_WITH(small.addcmul_(reel::ones({3, 2}, reel::kFloat64), reel::ones({2}, reel::kFloat64)),
                      Catch::Contains("addcmul_") && Catch::Contains("[3, 2]"));
  REQUIRE_THROWS_WITH(t1.addcmul_(t1, t2), Catch::Contains("leaf") && Catch::Contains("addcmul_"));
  REQUIRE_THROWS_WITH(reel::addcdiv(reel::ones({2}, reel::kInt64), reel::ones({2}, reel::kInt64),
                                    reel::ones({2}, reel::kInt64)),
                      Catch::Contains("addcdiv") && Catch::Contains("integer division"));
  REQUIRE_THROWS_WITH(reel::addcmul(reel::ones({2}, reel::kInt64), reel::ones({2}, reel::kInt64),
                                    reel::ones({2}, reel::kInt64), 0.5),
                      Catch::Contains("addcmul") && Catch::Contains("value must not be a floating point"));
  REQUIRE_THROWS_WITH(reel::addcmul(reel::ones({2}), reel::ones({3}), reel::ones({2})),
                      Catch::Contains("addcmul") && Catch::Contains("[3]"));
}

TEST_CASE("a leaf used twice gets the sum of both paths", "[autograd]") {
  Tensor x = leaf({3.0});
  Tensor y = x * x + x.sin();
  y.sum().backward();
  REQUIRE(values(x.grad())[0] == Approx(6.0 + std::cos(3.0)));
}

namespace {
struct Cube : ag::Function<Cube> {
  static Tensor forward(ag::AutogradContext* ctx, Tensor x, double scale) {
    ctx->save_for_backward({x});
    ctx->saved_data["scale"] = scale;
    return x * x * x * scale;
  }
  static ag::tensor_list backward(ag::AutogradContext* ctx, ag::tensor_list grads) {
    Tensor x = ctx->get_saved_variables()[0];
    double scale = ctx->saved_data["scale"].toDouble();
    return {grads[0] * x * x * (3 * scale), Tensor()};
  }
};
}  // namespace

TEST_CASE("custom functions record like built-in ops and support create_graph and gradcheck", "[autograd]") {
  Tensor x = leaf({0.5, -1.0, 2.0});
  Tensor y = Cube::apply(x, 2.0);
  REQUIRE(ag::grad_fn_name(y).find("Cube") != std::string::npos);
  REQUIRE(values(y) == std::vector<double>{0.25, -2.0, 16.0});
  auto check = ag::gradcheck([](const std::vector<Tensor>& in) { return Cube::apply(in[0], 2.0); }, {x});
  INFO(check.message);
  REQUIRE(check);
  auto check2 = ag::gradgradcheck([](const std::vector<Tensor>& in) { return Cube::apply(in[0], 2.0); }, {x});
  INFO(check2.message);
  REQUIRE(check2);
}

TEST_CASE("gradcheck reports the worst element of a wrong gradient", "[autograd]") {
  struct WrongSquare : ag::Function<WrongSquare> {
    static Tensor forward(ag::AutogradContext* ctx, Tensor x) {
      ctx->save_for_backward({x});
      return x * x;
    }
    static ag::tensor_list backward(ag::AutogradContext* ctx, ag::tensor_list grads) {
      return {grads[0] * ctx->get_saved_variables()[0] * 3};  // should be 2x
    }
  };
  Tensor x = leaf({1.0, 2.0});
  auto result = ag::gradcheck([](const std::vector<Tensor>& in) { return WrongSquare::apply(in[0]); }, {x});
  REQUIRE_FALSE(result);
  REQUIRE_THAT(result.message, Catch::Contains("analytic") && Catch::Contains("numeric"));
}

TEST_CASE("custom functions accept temporaries as arguments", "[autograd]") {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = Cube::apply(x * 1.0, 1.0);  // the argument is an rvalue: its history must still be recorded
  REQUIRE(y.requires_grad());
  y.sum().backward();
  REQUIRE(values(x.grad()) == std::vector<double>{3.0, 12.0});
}

namespace {
// y = e^x saving its own output: the second derivative must flow through the saved output.
struct SavedExp : ag::Function<SavedExp> {
  static Tensor forward(ag::AutogradContext* ctx, Tensor x) {
    Tensor y = x.exp();
    ctx->save_for_backward({y});
    return y;
  }
  static ag::tensor_list backward(ag::AutogradContext* ctx, ag::tensor_list grads) {
    return {grads[0] * ctx->get_saved_variables()[0]};
  }
};
}  // namespace

TEST_CASE("custom functions that save their output have correct second derivatives", "[autograd]") {
  Tensor x = leaf({0.3, -0.7});
  auto result = ag::gradgradcheck([](const std::vector<Tensor>& in) { return SavedExp::apply(in[0]); }, {x});
  INFO(result.message);
  REQUIRE(result);
}

TEST_CASE("cat and stack of more inputs than the save masks cover record and differentiate", "[autograd]") {
  // Recording reads per-input bit masks; an op with 40 inputs (as a child-sum Tree-LSTM's stack of children) must
  // neither shift past a mask's width (undefined behaviour, caught by the sanitizer build) nor lose a gradient.
  std::vector<reel::Tensor> parts;
  for (int i = 0; i < 40; ++i) parts.push_back(reel::full({2}, static_cast<double>(i)).requires_grad_(true));
  reel::Tensor weights = reel::arange(80, reel::kFloat32).view({40, 2});
  (reel::stack(parts) * weights).sum().backward();
  (reel::cat(parts) * 2).sum().backward();
  for (int i = 0; i < 40; ++i) {
    const std::vector<float> grad = parts[static_cast<size_t>(i)].grad().to_vector<float>();
    REQUIRE(grad.size() == 2);
    CHECK(grad[0] == static_cast<float>(2 * i + 2));
    CHECK(grad[1] == static_cast<float>(2 * i + 1 + 2));
  }
}
