// reel/test/test_autograd_memory.cpp — the tape's memory behaviour (Note [Tape ownership]): forward passes
// that are never backpropagated leave no nodes or tensors behind; backward() without retain_graph frees the
// saved tensors while the graph itself lives on, and with retain_graph keeps them; chains of a million nodes
// are destroyed, and chains of 100,000 nodes backpropagated, without recursion. Live nodes are counted with
// autograd::live_node_count(), live tensor memory with cpu::memory_stats().allocated_bytes.
#include <cmath>

#include "autograd_test_utils.h"

using reel::Tensor;
namespace ag = reel::autograd;

namespace {
int64_t allocated_bytes() { return reel::cpu::memory_stats().allocated_bytes; }
}  // namespace

TEST_CASE("a hundred thousand forward passes with grad on and no backward leave no nodes or memory behind",
          "[autograd][memory]") {
  Tensor w = reel::randn({4}).requires_grad_();
  Tensor x = reel::randn({4});
  auto forward = [&] { return ((x * w).tanh() + w * 0.5).exp().sum(); };
  { Tensor warm_up = forward(); }

  const int64_t nodes_before = ag::live_node_count();
  const int64_t bytes_before = allocated_bytes();
  int64_t nodes_during_first_pass = 0;
  for (int pass = 0; pass < 100000; ++pass) {
    Tensor loss = forward();
    if (pass == 0) {
      REQUIRE(loss.requires_grad());
      nodes_during_first_pass = ag::live_node_count();
    }
  }
  REQUIRE(nodes_during_first_pass - nodes_before >= 6);  // mul, tanh, mul, add, exp, sum: a tape was recorded
  REQUIRE(ag::live_node_count() == nodes_before);
  REQUIRE(allocated_bytes() == bytes_before);  // no saved tensor outlived its pass
  REQUIRE_FALSE(w.grad().defined());
}

TEST_CASE("saved tensors: freed by backward without retain_graph while the graph lives, kept with retain_graph",
          "[autograd][memory]") {
  constexpr int64_t n = int64_t{1} << 20;  // 1M float32: a 4 MiB intermediate
  constexpr int64_t intermediate_bytes = n * 4;
  Tensor x = reel::randn({n});
  Tensor w = reel::full({1}, 0.001, reel::kFloat32).requires_grad_();

  SECTION("without retain_graph the saved output of exp is released") {
    const int64_t base = allocated_bytes();
    const int64_t nodes_base = ag::live_node_count();
    Tensor y = (x * w).exp().sum();  // exp saves its 4 MiB output; x*w is freed at once
    const int64_t after_forward = allocated_bytes();
    const int64_t nodes_after_forward = ag::live_node_count();
    REQUIRE(after_forward - base >= intermediate_bytes);
    REQUIRE(nodes_after_forward - nodes_base >= 3);  // mul, exp, sum

    y.backward();
    REQUIRE(w.grad().defined());
    const int64_t after_backward = allocated_bytes();
    REQUIRE(y.grad_fn() != nullptr);                        // the graph object is still alive ...
    REQUIRE(ag::live_node_count() == nodes_after_forward);  // ... with all its nodes
    REQUIRE(after_backward - base < 4096);                  // ... but the intermediate is gone: left are y and w.grad
    REQUIRE_THROWS_WITH(y.backward(), Catch::Contains("second time"));
  }

  SECTION("with retain_graph the saved output stays for a second backward") {
    const int64_t base = allocated_bytes();
    Tensor y = (x * w).exp().sum();
    y.backward(Tensor(), /*retain_graph=*/true);
    REQUIRE(allocated_bytes() - base >= intermediate_bytes);
    const double first = w.grad().item<double>();
    y.backward();  // the saved output is still there
    REQUIRE(w.grad().item<double>() == Approx(2 * first));
    const int64_t after_second_backward = allocated_bytes();
    REQUIRE(after_second_backward - base < 4096);  // the second backward did not retain: freed now
  }

  SECTION("with retain_graph, dropping the output frees the saved tensors") {
    const int64_t base = allocated_bytes();
    const int64_t nodes_base = ag::live_node_count();
    Tensor y = (x * w).exp().sum();
    y.backward(Tensor(), /*retain_graph=*/true);
    REQUIRE(allocated_bytes() - base >= intermediate_bytes);
    y = Tensor();
    REQUIRE(ag::live_node_count() == nodes_base);
    REQUIRE(allocated_bytes() - base < 4096);  // w.grad only
  }
}

TEST_CASE("a chain of a million ops is destroyed without recursion", "[autograd][memory]") {
  const int64_t nodes_base = ag::live_node_count();
  const int64_t bytes_base = allocated_bytes();
  {
    // One shared factor tensor rather than `x * 1.0001`, which would save a fresh 0-dim tensor in every node:
    // the test is about the chain, and this keeps its memory to the nodes themselves.
    const Tensor factor = reel::scalar_tensor(1.0001, reel::kFloat64);
    Tensor x = reel::ones({1}, reel::kFloat64).requires_grad_();
    for (int i = 0; i < 1000000; ++i) x = x * factor;
    REQUIRE(ag::live_node_count() - nodes_base == 1000000);
  }  // the last output dies here, and with it the whole chain
  REQUIRE(ag::live_node_count() == nodes_base);
  REQUIRE(allocated_bytes() == bytes_base);
}

TEST_CASE("backward through a chain of a hundred thousand ops", "[autograd][memory]") {
  const int64_t nodes_base = ag::live_node_count();
  Tensor x0 = reel::ones({1}, reel::kFloat64).requires_grad_();
  Tensor x = x0;
  for (int i = 0; i < 100000; ++i) x = x * 1.0001;
  x.backward();
  // dx/dx0 = 1.0001^100000, computed forward and backward by the same multiplications.
  REQUIRE(x0.grad().item<double>() == Approx(std::pow(1.0001, 100000)).epsilon(1e-9));
  REQUIRE(x0.grad().item<double>() == Approx(x.item<double>()).epsilon(1e-12));
  x = Tensor();
  REQUIRE(ag::live_node_count() == nodes_base);
}
