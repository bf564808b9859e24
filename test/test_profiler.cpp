// reel/test/test_profiler.cpp — the dispatch point's observer and the profiler built on it: every kernel call and
// every view op is seen once with its inputs and outputs, before and after it runs; ops a kernel runs itself are
// nested (self vs total time); scopes nest and restore the thread's observer; counts are exact.
#include <catch2/catch.hpp>
#include <reel/reel.h>

#include <map>

using reel::Tensor;

namespace {

// Counts events per op name and checks that every after() pairs with the before() just opened.
struct CountingObserver : reel::OpObserver {
  std::map<std::string, int> before_calls, after_calls, views;
  std::vector<std::string> open;
  std::vector<std::string> output_shapes;
  void before(const reel::OpEvent& e) override {
    const std::string name(reel::op_name(e.op()));
    ++before_calls[name];
    if (e.is_view()) ++views[name];
    open.push_back(name);
  }
  void after(const reel::OpEvent& e) override {
    const std::string name(reel::op_name(e.op()));
    ++after_calls[name];
    REQUIRE(!open.empty());
    CHECK(open.back() == name);
    open.pop_back();
    if (e.num_outputs() > 0 && e.output(0).defined()) output_shapes.push_back(reel::shape_str(e.output(0).sizes()));
  }
};

const reel::profiler::OpStats* find(const std::vector<reel::profiler::OpStats>& rows, const std::string& name,
                                    const std::string& shapes = "") {
  for (const auto& row : rows)
    if (row.name == name && row.input_shapes == shapes) return &row;
  return nullptr;
}

}  // namespace

TEST_CASE("profiler: an observer sees every kernel call and view once, with its metadata", "[profiler]") {
  const Tensor x = reel::randn({2, 3});
  const Tensor w = reel::randn({3});
  CountingObserver observer;
  REQUIRE(reel::current_op_observer() == nullptr);
  reel::set_op_observer(&observer);
  Tensor y = x * w;           // mul
  Tensor z = y.t();           // a view: t
  Tensor s = z.sum();         // sum
  Tensor c = reel::cat({x, y}, 0);  // cat
  REQUIRE(reel::set_op_observer(nullptr) == &observer);
  CHECK(observer.before_calls["mul"] == 1);
  CHECK(observer.after_calls["mul"] == 1);
  CHECK(observer.views["t"] == 1);
  CHECK(observer.before_calls["sum"] == 1);
  CHECK(observer.before_calls["cat"] == 1);
  CHECK(observer.open.empty());
  CHECK(std::count(observer.output_shapes.begin(), observer.output_shapes.end(), "[4, 3]") == 1);  // cat's output
  // Nothing is observed once the observer is removed.
  Tensor after = x * w;
  CHECK(observer.before_calls["mul"] == 1);
}

TEST_CASE("profiler: calls are counted exactly, forward and backward, per op and per input shapes", "[profiler]") {
  const Tensor x = reel::randn({16});
  const Tensor w = reel::randn({16}, reel::requires_grad());
  const Tensor b = reel::randn({16}, reel::requires_grad());
  reel::profiler::Profile profile(/*record_shapes=*/true);
  Tensor y = x;
  for (int step = 0; step < 10; ++step) y = reel::tanh(y * w + b);
  const int64_t forward_tanh = 10;
  y.sum().backward();
  profile.stop();
  const auto rows = profile.key_averages();
  REQUIRE(find(rows, "tanh") != nullptr);
  CHECK(find(rows, "tanh")->calls == forward_tanh);
  CHECK(find(rows, "add")->calls >= 10);
  CHECK(find(rows, "mul")->calls >= 10 + 10);  // forward, and d/dy of y * w in backward
  CHECK(find(rows, "tanh_backward")->calls == 10);
  const auto by_shape = profile.key_averages(/*group_by_input_shape=*/true);
  REQUIRE(find(by_shape, "tanh", "[[16]]") != nullptr);
  CHECK(find(by_shape, "tanh", "[[16]]")->calls == 10);
  CHECK(find(by_shape, "mul", "[[16], [16]]") != nullptr);
  for (size_t i = 1; i < rows.size(); ++i) CHECK(rows[i - 1].self_cpu_us >= rows[i].self_cpu_us);
  for (const auto& row : rows) CHECK(row.cpu_total_us >= row.self_cpu_us - 1e-9);
  const std::string table = profile.table("self_cpu_time_total", 5, /*group_by_input_shape=*/true);
  CHECK(table.find("Self CPU %") != std::string::npos);
  CHECK(table.find("# of Calls") != std::string::npos);
  CHECK(table.find("Input Shapes") != std::string::npos);
  CHECK(table.find("Self CPU time total:") != std::string::npos);
  // Stopped: later ops are not counted.
  Tensor more = reel::tanh(x);
  CHECK(find(profile.key_averages(), "tanh")->calls == forward_tanh);
  CHECK_THROWS_WITH(profile.table("no_such_key"),
                    Catch::Contains("profiler: unknown sort key 'no_such_key'"));
}

TEST_CASE("profiler: a kernel's own ops nest inside it (self vs total time), scopes nest", "[profiler]") {
  // The CPU fused RNN runs reel ops inside its kernel (tensor/rnn_generic.cpp).
  const Tensor input = reel::randn({5, 2, 4});
  const Tensor h0 = reel::zeros({1, 2, 3});
  std::vector<Tensor> params = {reel::randn({3, 4}), reel::randn({3, 3}), reel::randn({3}), reel::randn({3})};
  reel::profiler::Profile outer;
  {
    reel::profiler::Profile inner;
    REQUIRE(reel::current_op_observer() == &inner);
    auto [output, h_n] = reel::rnn_tanh(input, h0, params, /*has_biases=*/true, /*num_layers=*/1, /*dropout=*/0.0,
                                        /*train=*/false, /*bidirectional=*/false, /*batch_first=*/false);
    CHECK(output.sizes() == reel::IntList({5, 2, 3}));
    const auto rows = inner.key_averages();
    const reel::profiler::OpStats* rnn = find(rows, "fused_rnn");
    REQUIRE(rnn != nullptr);
    CHECK(rnn->calls == 1);
    CHECK(rnn->cpu_total_us > rnn->self_cpu_us);  // its steps' GEMMs and tanh ran inside it
    REQUIRE(find(rows, "tanh") != nullptr);
  }
  REQUIRE(reel::current_op_observer() == &outer);  // the inner scope restored the outer one
  const auto outer_rows = outer.key_averages();
  REQUIRE(find(outer_rows, "fused_rnn") != nullptr);  // the inner scope passed its events on
  CHECK(find(outer_rows, "fused_rnn")->calls == 1);
  outer.stop();
  CHECK(reel::current_op_observer() == nullptr);
}
