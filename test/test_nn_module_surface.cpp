// reel/test/test_nn_module_surface.cpp — the Module surface as LibTorch spells it: clone() through
// nn::Cloneable (built-in layers, containers, user modules with and without reset()), as<T>(), the OrderedDict
// that named_parameters() and friends return, AnyModule / AnyValue, nn::Functional, Sequential over modules of
// other signatures, and operator<< for sizes.
#include <reel/reel.h>

#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace nn = reel::nn;
using reel::Tensor;

namespace {

// Every parameter and buffer of `a` and `b`: same names, equal values, distinct storage.
void check_deep_copy(const nn::Module& a, const nn::Module& b) {
  const auto sa = a.state_dict(), sb = b.state_dict();
  REQUIRE(sa.size() == sb.size());
  for (size_t i = 0; i < sa.size(); ++i) {
    INFO(sa[i].first);
    CHECK(sa[i].first == sb[i].first);
    CHECK(sa[i].second.equal(sb[i].second));
    CHECK(sa[i].second.data_ptr() != sb[i].second.data_ptr());
    CHECK(sa[i].second.requires_grad() == sb[i].second.requires_grad());
  }
}

// A user module written as in LibTorch: its constructor calls reset(), which registers everything.
struct TwoLayerImpl : nn::Cloneable<TwoLayerImpl> {
  explicit TwoLayerImpl(int64_t n_) : n(n_) { reset(); }
  void reset() override {
    fc1 = register_module("fc1", nn::Linear(n, 2 * n));
    fc2 = register_module("fc2", nn::Linear(2 * n, n));
    scale = register_parameter("scale", reel::ones({n}));
    steps = register_buffer("steps", reel::zeros({1}, reel::kLong));
  }
  Tensor forward(const Tensor& x) { return fc2(reel::relu(fc1(x))) * scale; }
  int64_t n;
  double note = 0.0;  // a plain member: the copy-constructing clone keeps it
  nn::Linear fc1{nullptr}, fc2{nullptr};
  Tensor scale, steps;
};
REEL_MODULE(TwoLayer);

// A user module without reset(): cloned by rebuilding it from its holder's arguments.
struct PlainImpl : nn::Cloneable<PlainImpl> {
  PlainImpl(int64_t in, int64_t out) : fc(register_module("fc", nn::Linear(in, out))) {}
  Tensor forward(const Tensor& x) { return fc(x); }
  nn::Linear fc;
};
REEL_MODULE(Plain);

// A module that is not Cloneable.
struct NotCloneableImpl : nn::Module {
  NotCloneableImpl() { w = register_parameter("w", reel::ones({2})); }
  Tensor forward(const Tensor& x) { return x * w; }
  Tensor w;
};
REEL_MODULE(NotCloneable);

}  // namespace

TEST_CASE("clone deep-copies Sequential(Linear, ReLU, LSTM, BatchNorm1d)", "[nn][clone]") {
  reel::manual_seed(5);
  nn::Sequential net(nn::Linear(3, 4), nn::ReLU(), nn::LSTM(nn::LSTMOptions(4, 5).num_layers(2)),
                     nn::BatchNorm1d(5));
  net->at<nn::LinearImpl>(0).bias.requires_grad_(false);  // a frozen parameter stays frozen in the copy
  net->eval();
  auto copy = std::dynamic_pointer_cast<nn::SequentialImpl>(net->clone());
  REQUIRE(copy != nullptr);
  check_deep_copy(*net, *copy);
  CHECK_FALSE(copy->at<nn::LinearImpl>(0).bias.requires_grad());
  CHECK_FALSE(copy->is_training());
  CHECK_FALSE((*copy)[3]->is_training());
  CHECK(copy->str() == net->str());

  // the copy's member handles point at its own tensors: LSTM's all_weights, Linear's weight, BatchNorm's buffers
  auto& lstm = copy->at<nn::LSTMImpl>(2);
  CHECK(lstm.all_weights[0][0].is_same(lstm.named_parameters()["weight_ih_l0"]));
  CHECK_FALSE(lstm.all_weights[0][0].is_same(net->at<nn::LSTMImpl>(2).all_weights[0][0]));
  CHECK(copy->at<nn::LinearImpl>(0).weight.is_same(copy->named_parameters()["0.weight"]));
  CHECK(copy->at<nn::BatchNorm1dImpl>(3).running_mean.is_same(copy->named_buffers()["3.running_mean"]));

  // same outputs: a chain through the LSTM's (output, state) tuple, read back as the tuple
  const Tensor x = reel::randn({6, 2, 3});
  using LSTMOut = std::tuple<Tensor, nn::LSTMState>;
  nn::Sequential front(net->ptr<nn::LinearImpl>(0), net->ptr<nn::ReLUImpl>(1), net->ptr<nn::LSTMImpl>(2));
  nn::Sequential front_copy(copy->ptr<nn::LinearImpl>(0), copy->ptr<nn::ReLUImpl>(1), copy->ptr<nn::LSTMImpl>(2));
  CHECK(std::get<0>(front->forward<LSTMOut>(x)).equal(std::get<0>(front_copy->forward<LSTMOut>(x))));

  // training the copy does not move the original
  const Tensor before = net->at<nn::LinearImpl>(0).weight.clone();
  copy->train();
  reel::optim::SGD sgd(copy->parameters(), reel::optim::SGDOptions(0.1));
  std::get<0>(front_copy->forward<LSTMOut>(x)).sum().backward();
  sgd.step();
  CHECK(net->at<nn::LinearImpl>(0).weight.equal(before));
  CHECK_FALSE(copy->at<nn::LinearImpl>(0).weight.equal(before));
  CHECK_FALSE(net->at<nn::LinearImpl>(0).weight.grad().defined());
}

TEST_CASE("clone of user modules: LibTorch's reset() protocol, rebuild from the holder, and the error", "[nn][clone]") {
  reel::manual_seed(6);
  TwoLayer net(3);
  net->note = 2.5;
  {
    reel::NoGradGuard no_grad;
    net->scale.fill_(3.0);
    net->steps.fill_(7);
  }
  auto copy = std::dynamic_pointer_cast<TwoLayerImpl>(net->clone());
  REQUIRE(copy != nullptr);
  check_deep_copy(*net, *copy);
  CHECK(copy->note == 2.5);
  CHECK(copy->n == 3);
  CHECK(copy->fc1.get() != net->fc1.get());
  CHECK(copy->fc1->weight.is_same(copy->named_parameters()["fc1.weight"]));
  CHECK(copy->scale.is_same(copy->named_parameters()["scale"]));
  CHECK(copy->steps.item<int64_t>() == 7);
  const Tensor x = reel::randn({2, 3});
  CHECK(copy->forward(x).equal(net->forward(x)));
  {
    reel::NoGradGuard no_grad;
    copy->fc2->bias.add_(1.0);
  }
  CHECK_FALSE(copy->forward(x).equal(net->forward(x)));

  Plain plain(3, 2);
  auto plain_copy = std::dynamic_pointer_cast<PlainImpl>(plain->clone());
  REQUIRE(plain_copy != nullptr);
  check_deep_copy(*plain, *plain_copy);
  CHECK(plain_copy->fc->weight.is_same(plain_copy->named_parameters()["fc.weight"]));
  CHECK(plain_copy->forward(x).equal(plain->forward(x)));

  // a registration added after construction cannot be rebuilt: an error, not a silently different copy
  plain->register_parameter("extra", reel::ones({1}));
  CHECK_THROWS_WITH(plain->clone(), Catch::Contains("extra"));

  NotCloneable plain_module;
  CHECK_THROWS_WITH(plain_module->clone(), Catch::Contains("Cloneable<NotCloneableImpl>"));
  // ... also inside a container
  nn::Sequential holder(nn::Linear(2, 2), plain_module);
  CHECK_THROWS_WITH(holder->clone(), Catch::Contains("Cloneable"));
}

TEST_CASE("clone of ModuleList, ModuleDict, Functional, attention and a direct Impl", "[nn][clone]") {
  nn::ModuleList list(nn::Linear(2, 3), nn::Tanh());
  auto list_copy = std::dynamic_pointer_cast<nn::ModuleListImpl>(list->clone());
  REQUIRE(list_copy != nullptr);
  check_deep_copy(*list, *list_copy);
  CHECK(list_copy->size() == 2);
  // clone(device): the copy's tensors on that device (the CPU here; the GPU tests move whole models)
  auto on_cpu = list->clone(reel::Device(reel::kCPU));
  check_deep_copy(*list, *on_cpu);
  for (const Tensor& p : on_cpu->parameters()) CHECK(p.device() == reel::Device(reel::kCPU));

  nn::ModuleDict dict({{"a", nn::Linear(2, 2)}, {"b", nn::GELU()}});
  auto dict_copy = std::dynamic_pointer_cast<nn::ModuleDictImpl>(dict->clone());
  REQUIRE(dict_copy != nullptr);
  CHECK(dict_copy->keys() == std::vector<std::string>{"a", "b"});
  check_deep_copy(*dict, *dict_copy);

  nn::Functional leaky(reel::leaky_relu, 0.2);
  auto leaky_copy = std::dynamic_pointer_cast<nn::FunctionalImpl>(leaky->clone());
  REQUIRE(leaky_copy != nullptr);
  const Tensor x = reel::tensor({-1.0, 2.0});
  CHECK(leaky_copy->forward(x).allclose(reel::tensor({-0.2, 2.0})));

  nn::MultiheadAttention mha(nn::MultiheadAttentionOptions(4, 2).add_bias_kv(true));
  auto mha_copy = std::dynamic_pointer_cast<nn::MultiheadAttentionImpl>(mha->clone());
  REQUIRE(mha_copy != nullptr);
  check_deep_copy(*mha, *mha_copy);
  CHECK(mha_copy->bias_k.is_same(mha_copy->named_parameters()["bias_k"]));

  // an Impl made without a holder has no recorded arguments: the error says what to do
  auto direct = std::make_shared<nn::LinearImpl>(2, 2);
  CHECK_THROWS_WITH(direct->clone(), Catch::Contains("holder"));
}

TEST_CASE("as<T>() with Impl and holder types", "[nn][module_surface]") {
  nn::Sequential net(nn::Linear(2, 3), nn::ReLU());
  std::shared_ptr<nn::Module> first = net[0];
  nn::LinearImpl* by_holder = first->as<nn::Linear>();
  nn::LinearImpl* by_impl = first->as<nn::LinearImpl>();
  REQUIRE(by_holder != nullptr);
  CHECK(by_holder == by_impl);
  CHECK(by_holder->out_features == 3);
  CHECK(first->as<nn::ReLU>() == nullptr);
  CHECK(net[1]->as<nn::ReLUImpl>() != nullptr);
  const nn::Module& constant = *first;
  CHECK(constant.as<nn::Linear>() == by_impl);
}

TEST_CASE("named_parameters and friends return LibTorch's OrderedDict", "[nn][module_surface]") {
  nn::Sequential net({{"fc", nn::Linear(2, 3)}, {"bn", nn::BatchNorm1d(3)}});
  const auto params = net->named_parameters();
  CHECK(params.size() == 4);
  CHECK(params.keys() == std::vector<std::string>{"fc.weight", "fc.bias", "bn.weight", "bn.bias"});
  CHECK(params["fc.weight"].is_same(net->at<nn::LinearImpl>(0).weight));
  CHECK(params[1].key() == "fc.bias");
  CHECK(params[1].value().is_same(net->at<nn::LinearImpl>(0).bias));
  CHECK(params.contains("bn.bias"));
  CHECK_FALSE(params.contains("bn.running_mean"));
  CHECK(params.find("nope") == nullptr);
  CHECK(params.find("bn.weight")->is_same(net->at<nn::BatchNorm1dImpl>(1).weight));
  CHECK_THROWS_WITH(params["fc.wieght"], Catch::Contains("fc.wieght"));
  CHECK(params.values().size() == 4);
  std::vector<std::string> names;
  for (const auto& item : params) names.push_back(item.key());
  for (const auto& [name, tensor] : params) CHECK(tensor.defined());
  CHECK(names == params.keys());
  const nn::NamedTensors as_pairs = params;  // reel's former type
  CHECK(as_pairs[2].first == "bn.weight");

  CHECK(net->named_buffers().keys() ==
        std::vector<std::string>{"bn.running_mean", "bn.running_var", "bn.num_batches_tracked"});
  const auto children = net->named_children();
  CHECK(children.keys() == std::vector<std::string>{"fc", "bn"});
  CHECK(children["bn"]->as<nn::BatchNorm1d>() != nullptr);
  CHECK(net->named_modules().keys() == std::vector<std::string>{"", "fc", "bn"});
  CHECK(net->named_modules("net").keys() == std::vector<std::string>{"net", "net.fc", "net.bn"});
  CHECK(net->named_modules("", false).keys() == std::vector<std::string>{"fc", "bn"});

  reel::OrderedDict<std::string, int> dict;
  dict.insert("a", 1);
  dict.insert("b", 2);
  CHECK_THROWS_WITH(dict.insert("a", 3), Catch::Contains("'a' already defined"));
  dict["b"] = 5;
  CHECK(dict.values() == std::vector<int>{1, 5});
  dict.erase("a");
  CHECK(dict.keys() == std::vector<std::string>{"b"});
  CHECK_THROWS_WITH(dict.erase("a"), Catch::Contains("'a' is not defined"));
  CHECK_THROWS_WITH(dict[3], Catch::Contains("index 3"));
}

TEST_CASE("AnyModule, AnyValue and Functional", "[nn][module_surface]") {
  nn::AnyModule any(nn::Linear(3, 2));
  const Tensor x = reel::randn({4, 3});
  nn::LinearImpl& linear = any.get<nn::LinearImpl>();
  CHECK(any.forward(x).equal(linear.forward(x)));
  nn::Linear as_holder = any.get<nn::Linear>();
  CHECK(as_holder.get() == &linear);
  CHECK(any.ptr().get() == &linear);
  CHECK(any.type_info() == typeid(nn::LinearImpl));
  CHECK_THROWS_WITH(any.get<nn::ReLUImpl>(), Catch::Contains("LinearImpl"));
  // arguments are matched by exact type; a missing one is named
  CHECK_THROWS_WITH(any.forward(1.0), Catch::Contains("argument 0"));
  CHECK_THROWS_WITH(any.forward(x, x), Catch::Contains("takes 1"));
  const nn::AnyValue value = any.any_forward(x);
  CHECK(value.type_info() == typeid(Tensor));
  CHECK(value.try_get<int>() == nullptr);
  CHECK_THROWS_WITH(value.get<int>(), Catch::Contains("reel::Tensor"));

  // trailing default arguments may be left out: MultiheadAttention with three of its seven
  nn::AnyModule attention(nn::MultiheadAttention(4, 2));
  const Tensor q = reel::randn({3, 1, 4});
  auto [out, weights] = attention.forward<std::tuple<Tensor, Tensor>>(q, q, q);
  CHECK(out.sizes() == reel::IntList{3, 1, 4});

  // a deep copy
  nn::AnyModule copy = any.clone();
  CHECK(copy.ptr() != any.ptr());
  CHECK(copy.forward(x).equal(any.forward(x)));
  CHECK(nn::AnyModule().is_empty());

  // Functional: a function, a function with a bound argument, a lambda
  nn::Functional relu(reel::relu);
  nn::Functional leaky(reel::leaky_relu, 0.2);
  nn::Functional twice([](Tensor t) { return t * 2.0; });
  const Tensor v = reel::tensor({-2.0, 3.0});
  CHECK(relu(v).equal(reel::tensor({0.0, 3.0})));
  CHECK(leaky(v).allclose(reel::tensor({-0.4, 3.0})));
  CHECK(twice(v).equal(reel::tensor({-4.0, 6.0})));
  CHECK(relu->str() == "Functional()");
}

TEST_CASE("Sequential with AnyModule, Functional and modules of other signatures", "[nn][module_surface]") {
  nn::Sequential net(nn::Linear(3, 4), nn::Functional(reel::leaky_relu, 0.2), nn::Sigmoid());
  net->push_back(nn::AnyModule(nn::Linear(4, 2)));
  net->push_back("last", nn::Functional(reel::relu));
  CHECK(net->size() == 5);
  CHECK(net->named_children().keys() == std::vector<std::string>{"0", "1", "2", "3", "last"});
  const Tensor x = reel::randn({5, 3});
  const Tensor expected = reel::relu(net->at<nn::LinearImpl>(3).forward(
      reel::sigmoid(reel::leaky_relu(net->at<nn::LinearImpl>(0).forward(x), 0.2))));
  CHECK(net(x).allclose(expected));
  CHECK(net->forward<Tensor>(x).allclose(expected));
  CHECK(net->forward<nn::AnyValue>(x).get<Tensor>().allclose(expected));

  // an LSTM's tuple, unpacked by a Functional-like module of our own
  struct FirstImpl : nn::Cloneable<FirstImpl> {
    Tensor forward(const std::tuple<Tensor, nn::LSTMState>& out) { return std::get<0>(out); }
  };
  nn::Sequential rnn(nn::LSTM(3, 4), std::make_shared<FirstImpl>(), nn::Linear(4, 1));
  const Tensor seq = reel::randn({6, 2, 3});
  const Tensor y = rnn(seq);
  CHECK(y.sizes() == reel::IntList{6, 2, 1});
  CHECK(y.allclose(rnn->at<nn::LinearImpl>(2).forward(std::get<0>(rnn->at<nn::LSTMImpl>(0).forward(seq)))));
  // the wrong type at the end is an error naming both types
  nn::Sequential tuple_out(nn::LSTM(3, 4));
  CHECK_THROWS_WITH(tuple_out(seq), Catch::Contains("not a reel::Tensor"));

  // extend and push_back(AnyModule) keep the chain
  nn::Sequential more;
  more->extend(*net);
  CHECK(more(x).allclose(expected));
}

TEST_CASE("operator<< prints sizes as LibTorch", "[nn][module_surface]") {
  std::ostringstream os;
  os << reel::zeros({2, 3}).sizes() << " " << reel::zeros({}).sizes() << " " << reel::zeros({4}).strides();
  CHECK(os.str() == "[2, 3] [] [1]");
}
