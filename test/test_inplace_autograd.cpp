// reel/test/test_inplace_autograd.cpp — the traps of issue 14, each as it was found: the layout of .grad after
// a broadcast gradient, in-place writes into overlapping memory, in-place ops on non-leaves and on views of
// non-leaves (PyTorch's CopySlices), views that must follow their base's new history, writes of constants
// (fill_, zero_, random fills) that must cut history, and a saved output modified in place. Every expected value
// is worked out by hand in the comment beside it (or by the same computation written out of place). The sweeps
// over the whole op table are test_inplace_table.cpp (in-place forms) and test_op_gradients.cpp (accumulation).
#include "test/autograd_test_utils.h"

using reel::Tensor;
namespace ag = reel::autograd;

namespace {
using autograd_test::leaf;
using autograd_test::values;
auto message_of = autograd_test::error_of;
const char* kOverlap =
    "unsupported operation: more than one element of the written-to tensor refers to a single memory location. "
    "Please clone() the tensor before performing the operation.";
}  // namespace

TEST_CASE("inplace: .grad after sum() is dense with the leaf's layout and accumulates correctly", "[autograd][inplace]") {
  Tensor x = reel::tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}, reel::kFloat64).requires_grad_();
  x.sum().backward();
  CHECK(x.grad().strides() == reel::IntList({3, 1}));  // was [0, 0]: a view of one broadcast 1
  (x * x).sum().backward();                              // 1 + 2x
  CHECK(values(x.grad()) == std::vector<double>{3, 5, 7, 9, 11, 13});
  x.mutable_grad().zero_();
  (x * 2).sum().backward();  // was 6 (three rows... one cell written by each element)
  CHECK(values(x.grad()) == std::vector<double>{2, 2, 2, 2, 2, 2});

  Tensor m = reel::tensor({1.0, 2.0, 3.0, 4.0}, reel::kFloat64).requires_grad_();
  m.mean().backward();  // 1/4 each, through an expanded gradient as well
  m.mean().backward();
  CHECK(values(m.grad()) == std::vector<double>{0.5, 0.5, 0.5, 0.5});
  CHECK(m.grad().is_contiguous());
}

TEST_CASE("inplace: .grad keeps a transposed leaf's strides and never aliases the gradient fed in",
          "[autograd][inplace]") {
  Tensor base = reel::arange(6, reel::kFloat64).reshape({2, 3});
  Tensor x = base.t().detach().requires_grad_();  // [3, 2] with strides [1, 3]: dense, not row-major
  Tensor g = reel::ones({3, 2}, reel::kFloat64);
  x.backward(g);
  CHECK(x.grad().strides() == x.strides());
  x.mutable_grad().add_(1.0);
  CHECK(values(g) == std::vector<double>(6, 1.0));  // the caller's gradient tensor is untouched
  CHECK(values(x.grad()) == std::vector<double>(6, 2.0));

  Tensor step2 = reel::zeros({8}, reel::kFloat64).slice(0, 0, 8, 2).detach().requires_grad_();  // not dense
  (step2 * 3).sum().backward();
  CHECK(step2.grad().is_contiguous());
  CHECK(values(step2.grad()) == std::vector<double>(4, 3.0));
}

TEST_CASE("inplace: retain_grad keeps a dense copy of its own", "[autograd][inplace]") {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = x * 1;
  y.retain_grad();
  y.sum().backward();
  CHECK(y.grad().strides() == reel::IntList({1}));
  y.mutable_grad().mul_(5.0);
  CHECK(values(x.grad()) == std::vector<double>{1.0, 1.0});
}

TEST_CASE("inplace: writes into memory several elements share are refused", "[autograd][inplace]") {
  Tensor expanded = reel::zeros({1, 3}).expand({4, 3});
  CHECK(message_of([&] { expanded.add_(1.0); }) ==
        std::string("add_: ") + kOverlap + " (shape [4, 3], strides [0, 1])");
  CHECK(message_of([&] { expanded.copy_(reel::ones({4, 3})); }) ==
        std::string("copy_: ") + kOverlap + " (shape [4, 3], strides [0, 1])");
  CHECK(message_of([&] { expanded.fill_(2.0); }).find(kOverlap) != std::string::npos);
  CHECK(message_of([&] { expanded.mul_(reel::ones({4, 3})); }).find(kOverlap) != std::string::npos);
  CHECK(message_of([&] { expanded.exp_(); }).find(kOverlap) != std::string::npos);
  CHECK(message_of([&] { reel::uniform_(expanded, 0.0, 1.0); }).find(kOverlap) != std::string::npos);
  CHECK(message_of([&] {
          expanded.index_add_(0, reel::tensor({0}, reel::kInt64), reel::ones({1, 3}));
        }).find(kOverlap) != std::string::npos);
  CHECK(values(expanded) == std::vector<double>(12, 0.0));  // nothing was written
  reel::NoGradGuard no_grad;  // the same without grad mode
  CHECK(message_of([&] { expanded.add_(1.0); }).find(kOverlap) != std::string::npos);
  // A size-1 dim with stride 0 addresses one element: writing is fine.
  Tensor single = reel::zeros({3}).unsqueeze(0).expand({1, 3});
  single.add_(1.0);
  CHECK(values(single) == std::vector<double>(3, 1.0));
}

TEST_CASE("inplace: mul_, div_, pow_, clamp_ on a non-leaf differentiate as PyTorch does", "[autograd][inplace]") {
  Tensor x = leaf({1.0, 2.0, 3.0});
  Tensor t = leaf({4.0, 5.0, 6.0});
  Tensor y = x * 1;
  y.mul_(t);  // y = x t: dx = t, dt = x (needs y's old value, which the write overwrote)
  y.sum().backward();
  CHECK(values(x.grad()) == std::vector<double>{4, 5, 6});
  CHECK(values(t.grad()) == std::vector<double>{1, 2, 3});

  Tensor a = leaf({1.0, 2.0});
  Tensor b = leaf({4.0, 8.0});
  Tensor z = a * 2;  // [2, 4]
  z /= b;            // z = 2a / b: da = 2 / b, db = -2a / b^2
  z.sum().backward();
  CHECK(values(a.grad()) == std::vector<double>{0.5, 0.25});
  CHECK(values(b.grad()) == std::vector<double>{-2.0 / 16, -4.0 / 64});

  Tensor p = leaf({2.0, 3.0});
  Tensor e = leaf({2.0, 3.0});
  Tensor w = p * 1;
  w.pow_(e);  // w = p^e: dp = e p^(e-1) = [4, 27], de = p^e ln p = [4 ln 2, 27 ln 3]
  w.sum().backward();
  CHECK(values(p.grad()) == std::vector<double>{4.0, 27.0});
  CHECK(values(e.grad())[0] == Approx(4 * std::log(2.0)));
  CHECK(values(e.grad())[1] == Approx(27 * std::log(3.0)));

  Tensor c = leaf({-1.0, 0.5, 2.0});
  Tensor v = c * 1;
  v.clamp_(0.0, 1.0);  // gradient 1 inside [0, 1], 0 outside
  v.sum().backward();
  CHECK(values(c.grad()) == std::vector<double>{0.0, 1.0, 0.0});
}

TEST_CASE("inplace: writes through a view of a non-leaf rewrite the base's history", "[autograd][inplace]") {
  Tensor x = leaf({1.0, 2.0, 3.0, 4.0});
  Tensor y = x * 1;
  y.narrow(0, 1, 2).mul_(3);  // y = [x0, 3 x1, 3 x2, x3]
  CHECK(ag::grad_fn_name(y) == "CopySlices");
  (y * y).sum().backward();   // 2 y dy/dx = [2, 2*6*3, 2*9*3, 8]
  CHECK(values(x.grad()) == std::vector<double>{2, 36, 54, 8});

  // h[t] = f(h[t-1]) into a buffer that did not require grad: RNN code's pattern.
  Tensor w = leaf({1.0, 2.0});
  Tensor h = reel::zeros({3, 2}, reel::kFloat64);
  h.select(0, 0).copy_(w);
  for (int64_t step = 1; step < 3; ++step) h.select(0, step).copy_(h.select(0, step - 1) * 2);
  CHECK(values(h) == std::vector<double>{1, 2, 2, 4, 4, 8});
  h.sum().backward();  // h = [w, 2w, 4w]: dw = 7
  CHECK(values(w.grad()) == std::vector<double>{7, 7});

  // The slice copy_ of the issue, and a constant written over part of a non-leaf.
  Tensor s = leaf({1.0, 1.0, 1.0});
  Tensor u = s * 5;
  Tensor source = leaf({2.0});
  u.slice(0, 2, 3).copy_(source);
  u.narrow(0, 0, 1).fill_(7.0);
  (u * reel::tensor({10.0, 20.0, 30.0}, reel::kFloat64)).sum().backward();
  CHECK(values(s.grad()) == std::vector<double>{0, 100, 0});  // only u[1] = 5 s[1] still depends on s
  CHECK(values(source.grad()) == std::vector<double>{30});
}

TEST_CASE("inplace: views follow a base whose history changed after they were made", "[autograd][inplace]") {
  Tensor x = leaf({1.0, 2.0, 3.0});
  Tensor y = x * 1;
  Tensor v = y.narrow(0, 0, 2);
  y.mul_(2);  // v's values are now 2 x[0:2]
  v.sum().backward();
  CHECK(values(x.grad()) == std::vector<double>{2, 2, 0});  // was [1, 1, 0]

  Tensor w = leaf({1.0, 2.0});
  Tensor h = reel::zeros({2, 2}, reel::kFloat64);
  Tensor first_row = h.select(0, 0);  // made before the write through another view
  CHECK_FALSE(first_row.requires_grad());
  h.select(0, 0).copy_(w);
  CHECK(first_row.requires_grad());
  (first_row * 3).sum().backward();
  CHECK(values(w.grad()) == std::vector<double>{3, 3});
}

TEST_CASE("inplace: the refusals PyTorch makes", "[autograd][inplace]") {
  Tensor x = leaf({1.0, 2.0, 3.0, 4.0});
  CHECK(message_of([&] { x.narrow(0, 1, 2).mul_(2); }) ==
        "mul_: a view of a leaf Variable that requires grad is being used in an in-place operation (view shape [2], "
        "leaf shape [4]); wrap it in NoGradGuard or write into a clone()");
  CHECK(message_of([&] { x.fill_(1.0); }).find("fill_: a leaf tensor that requires grad") == 0);
  CHECK(message_of([&] { reel::uniform_(x, 0.0, 1.0); }).find("uniform_: a leaf tensor that requires grad") == 0);
  Tensor y = x * 1;
  Tensor made_without_grad;
  {
    reel::NoGradGuard no_grad;
    made_without_grad = y.narrow(0, 1, 2);
  }
  CHECK(message_of([&] { made_without_grad.mul_(2); })
            .find("mul_: a view (shape [2]) of a tensor that requires grad was created with grad mode off") == 0);
  CHECK(message_of([&] { y.narrow(0, 0, 1).detach_(); }).find("detach_: can't detach views in-place") == 0);
  {
    reel::NoGradGuard no_grad;  // optimizer-style updates through views stay allowed
    x.narrow(0, 1, 2).mul_(2);
  }
  CHECK(values(x) == std::vector<double>{1, 4, 6, 4});
}

TEST_CASE("inplace: constant writes cut a non-leaf's history", "[autograd][inplace]") {
  for (int kind = 0; kind < 4; ++kind) {
    INFO("kind " << kind);
    Tensor x = leaf({1.0, 2.0, 3.0});
    Tensor y = x * 2;
    if (kind == 0) y.fill_(1.0);
    if (kind == 1) y.zero_();
    if (kind == 2) reel::uniform_(y, 0.0, 1.0);
    if (kind == 3) y.copy_(reel::ones({3}, reel::kFloat64));
    CHECK_FALSE(y.requires_grad());  // nothing it holds depends on x any more
    (x * 3 + y).sum().backward();    // was 3 + 2 (y's old history kept)
    CHECK(values(x.grad()) == std::vector<double>{3, 3, 3});
  }
}

TEST_CASE("inplace: a saved tensor modified in place is refused at backward", "[autograd][inplace]") {
  Tensor x = leaf({0.5, 1.0});
  Tensor y = x.sigmoid();
  y.mul_(2);
  CHECK(message_of([&] { y.sum().backward(); }) ==
        "SigmoidBackward: one of the tensors needed for gradient computation has been modified by an in-place "
        "operation: saved output 1 of shape [2] is at version 1; expected version 0");
  Tensor a = x * 1;
  Tensor b = a.exp();
  a.narrow(0, 0, 1).add_(1.0);  // through a view: the storage's version moves too
  Tensor c = a * a;
  CHECK(message_of([&] { (b + c).sum().backward(); }).empty());  // exp saved its output, not a: fine
  Tensor d = x * 1;
  Tensor e = d * d;  // saves d
  d.narrow(0, 1, 1).mul_(3);
  CHECK(message_of([&] { e.sum().backward(); }).find("MulBackward: one of the tensors needed") == 0);
}

TEST_CASE("inplace: create_graph through an in-place write on a view", "[autograd][inplace]") {
  Tensor x = leaf({1.0, 2.0, 3.0});
  Tensor y = x * x;
  y.narrow(0, 0, 1).mul_(x.narrow(0, 1, 1));  // y = [x0^2 x1, x1^2, x2^2]
  Tensor g = ag::grad({y.sum()}, {x}, {}, /*retain_graph=*/true, /*create_graph=*/true)[0];
  CHECK(values(g) == std::vector<double>{4, 5, 6});  // [2 x0 x1, x0^2 + 2 x1, 2 x2]
  g.sum().backward();                                 // d/dx (2 x0 x1 + x0^2 + 2 x1 + 2 x2)
  CHECK(values(x.grad()) == std::vector<double>{6, 4, 2});
}

TEST_CASE("inplace: a gradient crossing devices comes back on its input's device", "[autograd][inplace][cuda]") {
  if (!reel::cuda::is_available()) {
    WARN("no CUDA device: the cross-device gradient test is skipped");
    return;
  }
  Tensor x = leaf({1.0, 2.0});
  Tensor on_gpu = x.to(reel::Device(reel::kCUDA)) * 3;
  Tensor buffer = reel::zeros({2}, reel::TensorOptions(reel::kFloat64).device(reel::kCUDA));
  buffer.copy_(x);  // a CPU source copied into a CUDA tensor, recorded
  (on_gpu + buffer).sum().backward();
  CHECK(x.grad().is_cpu());
  CHECK(values(x.grad()) == std::vector<double>{4, 4});
}
