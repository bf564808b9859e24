// reel/test/test_autograd_spellings.cpp — LibTorch's autograd spellings: grad_fn()->name() against the names
// PyTorch 2.15 printed for the same calls (`y.grad_fn.name()`, recorded below), a custom Function's node named by
// its bare class name, saved_data as IValues (toDouble, toInt, ...), autograd::variable_list, GradcheckResult
// used as a bool, and Tensor::_version(). The custom functions are those of pytorch/examples' cpp/autograd.
#include <reel/reel.h>

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

using namespace reel::autograd;  // as the LibTorch example does
using Catch::Contains;
using reel::Tensor;

// At global scope, as in the example, so that the node's name is the bare class name (LibTorch reports the
// demangled type name, namespaces included).
class LinearFunction : public Function<LinearFunction> {
 public:
  static Tensor forward(AutogradContext* ctx, Tensor input, Tensor weight, Tensor bias = Tensor()) {
    ctx->save_for_backward({input, weight, bias});
    Tensor output = input.mm(weight.t());
    if (bias.defined()) output += bias.unsqueeze(0).expand_as(output);
    return output;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    variable_list saved = ctx->get_saved_variables();
    const Tensor& grad_output = grad_outputs[0];
    Tensor grad_bias = saved[2].defined() ? grad_output.sum(0) : Tensor();
    return {grad_output.mm(saved[1]), grad_output.t().mm(saved[0]), grad_bias};
  }
};

class MulConstant : public Function<MulConstant> {
 public:
  static Tensor forward(AutogradContext* ctx, Tensor tensor, double constant) {
    ctx->saved_data["constant"] = constant;
    ctx->saved_data["calls"] = 1;
    ctx->saved_data["sizes"] = tensor.sizes();
    ctx->saved_data["tag"] = "mul";
    ctx->saved_data["flag"] = true;
    ctx->saved_data["input"] = tensor;
    return tensor * constant;
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    CHECK(ctx->saved_data["constant"].isDouble());
    CHECK(ctx->saved_data["calls"].toInt() == 1);
    CHECK(ctx->saved_data["sizes"].toIntVector() == std::vector<int64_t>{2});
    CHECK(ctx->saved_data["tag"].toStringRef() == "mul");
    CHECK(ctx->saved_data["flag"].toBool());
    CHECK(ctx->saved_data["input"].toTensor().sizes() == reel::IntList{2});
    return {grad_outputs[0] * ctx->saved_data["constant"].toDouble(), Tensor()};
  }
};

TEST_CASE("grad_fn()->name() gives PyTorch's node names", "[autograd][spellings]") {
  reel::manual_seed(0);
  Tensor x = reel::randn({3, 4}).requires_grad_();
  Tensor y = reel::randn({3, 4}).requires_grad_();
  Tensor m = reel::randn({4, 5}).requires_grad_();
  Tensor b = reel::randn({5}).requires_grad_();
  Tensor v = reel::randn({4}).requires_grad_();
  // label, the call, and what LibTorch 2.15 printed for it (C++ y.grad_fn()->name(); Python differs where a Scalar
  // operand or norm picks another C++ overload: Python prints AddBackward0 for x + 1)
  const std::vector<std::tuple<const char*, std::function<Tensor()>, const char*>> cases = {
      {"x + y", [&] { return x + y; }, "AddBackward0"},
      {"x + 1", [&] { return x + 1; }, "AddBackward1"},
      {"x - y", [&] { return x - y; }, "SubBackward0"},
      {"x - 1", [&] { return x - 1; }, "SubBackward1"},
      {"1 + x", [&] { return 1 + x; }, "AddBackward1"},
      {"1 - x", [&] { return 1 - x; }, "SubBackward0"},
      {"2 * x", [&] { return 2 * x; }, "MulBackward1"},
      {"2 / x", [&] { return 2 / x; }, "DivBackward0"},
      {"x.norm(2, 1)", [&] { return x.norm(2, 1); }, "NormBackward1"},
      {"x * y", [&] { return x * y; }, "MulBackward0"},
      {"x * 2", [&] { return x * 2; }, "MulBackward1"},
      {"x / y", [&] { return x / y; }, "DivBackward0"},
      {"x / 2", [&] { return x / 2; }, "DivBackward1"},
      {"x.pow(2)", [&] { return x.pow(2); }, "PowBackward0"},
      {"x.pow(y)", [&] { return x.pow(y); }, "PowBackward1"},
      {"x.square()", [&] { return x.square(); }, "PowBackward0"},
      {"x.sum()", [&] { return x.sum(); }, "SumBackward0"},
      {"x.sum(0)", [&] { return x.sum(0); }, "SumBackward1"},
      {"x.mean()", [&] { return x.mean(); }, "MeanBackward0"},
      {"x.mean(1)", [&] { return x.mean(1); }, "MeanBackward1"},
      {"x.mm(m)", [&] { return x.mm(m); }, "MmBackward0"},
      {"x.matmul(m)", [&] { return x.matmul(m); }, "MmBackward0"},
      {"addmm(b, x, m)", [&] { return reel::addmm(b, x, m); }, "AddmmBackward0"},
      {"x.exp()", [&] { return x.exp(); }, "ExpBackward0"},
      {"v.expand({3, 4})", [&] { return v.expand({3, 4}); }, "ExpandBackward0"},
      {"x.view({12})", [&] { return x.view({12}); }, "ViewBackward0"},
      {"x.reshape({12})", [&] { return x.reshape({12}); }, "ViewBackward0"},
      {"x.t()", [&] { return x.t(); }, "TBackward0"},
      {"x.transpose(0, 1)", [&] { return x.transpose(0, 1); }, "TransposeBackward0"},
      {"x.permute({1, 0})", [&] { return x.permute({1, 0}); }, "PermuteBackward0"},
      {"x.unsqueeze(0)", [&] { return x.unsqueeze(0); }, "UnsqueezeBackward0"},
      {"x.select(0, 0)", [&] { return x.select(0, 0); }, "SelectBackward0"},
      {"x.slice(0, 1)", [&] { return x.slice(0, 1); }, "SliceBackward0"},
      {"cat({x, y})", [&] { return reel::cat({x, y}); }, "CatBackward0"},
      {"x.max(1)", [&] { return std::get<0>(x.max(1)); }, "MaxBackward0"},
      {"x.amax(1)", [&] { return x.amax(1); }, "AmaxBackward0"},
      {"x.clamp(-1, 1)", [&] { return x.clamp(-1, 1); }, "ClampBackward1"},
      {"x.var()", [&] { return x.var(); }, "VarBackward0"},
      {"x.norm()", [&] { return x.norm(); }, "NormBackward0"},
      {"x.clone()", [&] { return x.clone(); }, "CloneBackward0"},
      {"x.to(kFloat64)", [&] { return x.to(reel::kFloat64); }, "ToCopyBackward0"},
      {"x.relu()", [&] { return x.relu(); }, "ReluBackward0"},
      {"x.sigmoid()", [&] { return x.sigmoid(); }, "SigmoidBackward0"},
      {"x.tanh()", [&] { return x.tanh(); }, "TanhBackward0"},
      {"-x", [&] { return -x; }, "NegBackward0"},
      {"x.softmax(1)", [&] { return x.softmax(1); }, "SoftmaxBackward0"},
      {"x.log_softmax(1)", [&] { return x.log_softmax(1); }, "LogSoftmaxBackward0"},
      {"where(x > 0, x, y)", [&] { return reel::where(x > 0, x, y); }, "WhereBackward0"},
      {"x.prod()", [&] { return x.prod(); }, "ProdBackward0"},
      {"x.abs()", [&] { return x.abs(); }, "AbsBackward0"},
  };
  for (const auto& [label, call, expected] : cases) {
    INFO(label);
    const Tensor out = call();
    REQUIRE(out.grad_fn() != nullptr);
    CHECK(out.grad_fn()->name() == expected);
  }
  // reel's own names stay what node_name / grad_fn_name report
  CHECK(grad_fn_name(x * y) == "MulBackward");
}

TEST_CASE("custom functions: CppNode<T> names, IValue saved_data, variable_list", "[autograd][spellings]") {
  reel::manual_seed(1);
  Tensor x = reel::randn({2, 3}, reel::kFloat64).requires_grad_();
  Tensor weight = reel::randn({4, 3}, reel::kFloat64).requires_grad_();
  Tensor y = LinearFunction::apply(x, weight);
  CHECK(y.grad_fn()->name() == "reel::autograd::CppNode<LinearFunction>");  // LibTorch: torch::autograd::CppNode<...>
  y.sum().backward();
  CHECK(reel::allclose(x.grad(), reel::ones({2, 4}, reel::kFloat64).mm(weight.detach())));
  CHECK(reel::allclose(weight.grad(), reel::ones({2, 4}, reel::kFloat64).t().mm(x.detach())));

  Tensor z = reel::randn({2}).requires_grad_();
  Tensor w = MulConstant::apply(z, 5.5);
  CHECK(w.grad_fn()->name() == "reel::autograd::CppNode<MulConstant>");
  w.sum().backward();
  CHECK(reel::allclose(z.grad(), reel::full({2}, 5.5)));
}

TEST_CASE("IValue accessors refuse other kinds, as c10::IValue", "[autograd][spellings]") {
  IValue none;
  CHECK(none.isNone());
  IValue d = 2.5f;
  CHECK(d.isDouble());
  CHECK(d.toDouble() == 2.5);
  IValue i = size_t{7};
  CHECK(i.isInt());
  CHECK(i.toInt() == 7);
  CHECK_THROWS_WITH(i.toDouble(), Contains("IValue: expected Double but got Int"));
  CHECK_THROWS_WITH(d.toTensor(), Contains("expected Tensor but got Double"));
  IValue list = std::vector<double>{1.0, 2.0};
  CHECK(list.isDoubleList());
  CHECK(list.toDoubleVector() == std::vector<double>{1.0, 2.0});
  CHECK(list.tagKind() == "DoubleList");
  IValue tensors = std::vector<Tensor>{reel::ones({1}), reel::zeros({2})};
  CHECK(tensors.toTensorVector().size() == 2);
  IValue text = std::string("abc");
  CHECK(text.toString() == "abc");
  CHECK_FALSE(text.isBool());
}

TEST_CASE("GradcheckResult converts to bool and _version counts in-place writes", "[autograd][spellings]") {
  Tensor x = reel::randn({3}, reel::kFloat64).requires_grad_();
  const bool ok = gradcheck([](const std::vector<Tensor>& in) { return (in[0] * in[0]).sum(); }, {x});
  CHECK(ok);
  GradcheckResult bad;
  bad.ok = false;
  const bool failed = bad;
  CHECK_FALSE(failed);

  Tensor t = reel::zeros({3});
  const int64_t before = t._version();
  t.add_(1);
  t.mul_(2);
  CHECK(t._version() == before + 2);
  Tensor view = t.view({3});
  view.fill_(0);
  CHECK(t._version() == before + 3);  // shared with views, as LibTorch's counter
  CHECK(t._version() == static_cast<int64_t>(t.version()));
}
