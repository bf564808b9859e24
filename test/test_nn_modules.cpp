// reel/test/test_nn_modules.cpp — the Module machinery as users see it through real layers: registration and
// dotted names, buffers, children and modules, train/eval propagation, dtype moves that keep handles valid,
// zero_grad, apply, state dicts with strict errors, PyTorch's printed module tree, and the containers
// Sequential, ModuleList and ModuleDict.
#include <reel/reel.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

namespace nn = reel::nn;
using reel::Tensor;

namespace {

// A small model with parameters, buffers, a nested container and a parameterless child.
struct NetImpl : nn::Module {
  NetImpl() {
    features = register_module("features", nn::Sequential(nn::Conv2d(1, 4, 3, 1, 1), nn::BatchNorm2d(4), nn::ReLU()));
    pool = register_module("pool", nn::AdaptiveAvgPool2d(1));
    head = register_module("head", nn::Linear(4, 2));
  }
  Tensor forward(const Tensor& x) { return head(pool(features(x)).flatten(1)); }
  nn::Sequential features{nullptr};
  nn::AdaptiveAvgPool2d pool{nullptr};
  nn::Linear head{nullptr};
};
REEL_MODULE(Net);

std::vector<std::string> names_of(const nn::NamedTensors& named) {
  std::vector<std::string> names;
  for (const auto& entry : named) names.push_back(entry.first);
  return names;
}

bool same_values(const Tensor& a, const Tensor& b) { return a.to_vector<double>() == b.to_vector<double>(); }

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const reel::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("nn modules register parameters with dotted names in registration order", "[nn]") {
  Net net;
  const std::vector<std::string> expected{"features.0.weight", "features.0.bias", "features.1.weight",
                                          "features.1.bias", "head.weight", "head.bias"};
  CHECK(names_of(net->named_parameters()) == expected);
  CHECK(net->parameters().size() == 6);
  for (const Tensor& p : net->parameters()) CHECK(p.requires_grad());
  CHECK(net->named_parameters(false).empty());
  CHECK(names_of(net->head->named_parameters()) == std::vector<std::string>{"weight", "bias"});
  CHECK(net->head->weight.is_same(net->named_parameters()[4].second));
  nn::Linear no_bias(3, 2, false);
  CHECK(names_of(no_bias->named_parameters()) == std::vector<std::string>{"weight"});
  CHECK_FALSE(no_bias->bias.defined());
}

TEST_CASE("nn modules list buffers children and modules", "[nn]") {
  Net net;
  CHECK(names_of(net->named_buffers()) == std::vector<std::string>{"features.1.running_mean", "features.1.running_var",
                                                                    "features.1.num_batches_tracked"});
  CHECK(net->buffers().size() == 3);
  for (const Tensor& b : net->buffers()) CHECK_FALSE(b.requires_grad());
  const auto children = net->named_children();
  REQUIRE(children.size() == 3);
  CHECK(children[0].first == "features");
  CHECK(children[2].second.get() == net->head.get());
  std::vector<std::string> module_names;
  for (const auto& [name, module] : net->named_modules()) module_names.push_back(name);
  CHECK(module_names ==
        std::vector<std::string>{"", "features", "features.0", "features.1", "features.2", "pool", "head"});
  CHECK(net->modules().size() == 7);
  CHECK(net->modules(false).size() == 6);
  CHECK(net->modules()[0].get() == net.get());
  CHECK(net->children()[0]->type_name() == "Sequential");
}

TEST_CASE("nn modules propagate train and eval to every descendant", "[nn]") {
  Net net;
  for (const auto& m : net->modules()) CHECK(m->is_training());
  net->eval();
  for (const auto& m : net->modules()) CHECK_FALSE(m->is_training());
  net->train();
  for (const auto& m : net->modules()) CHECK(m->is_training());
  net->features->train(false);
  CHECK(net->is_training());
  CHECK_FALSE(net->features[1]->is_training());
}

TEST_CASE("nn module to dtype converts in place and keeps held handles valid", "[nn]") {
  reel::manual_seed(1);
  Net net;
  const Tensor weight_handle = net->head->weight;
  const std::vector<double> before = weight_handle.to_vector<double>();
  net->to(reel::kFloat64);
  CHECK(weight_handle.dtype() == reel::kFloat64);
  CHECK(net->head->weight.dtype() == reel::kFloat64);
  CHECK(weight_handle.requires_grad());
  CHECK(weight_handle.is_leaf());
  CHECK(weight_handle.to_vector<double>() == before);  // float32 values are exact in float64
  const auto& bn = net->features->at<nn::BatchNorm2dImpl>(1);
  CHECK(bn.running_mean.dtype() == reel::kFloat64);
  CHECK(bn.num_batches_tracked.dtype() == reel::kInt64);
  const Tensor x = reel::randn({2, 1, 5, 5}, reel::kFloat64);
  const Tensor y = net(x);
  CHECK(y.dtype() == reel::kFloat64);
  CHECK(y.sizes() == reel::IntList{2, 2});
  y.sum().backward();
  CHECK(weight_handle.grad().dtype() == reel::kFloat64);
  net->to(reel::kFloat32);
  CHECK(weight_handle.dtype() == reel::kFloat32);
  CHECK(weight_handle.grad().dtype() == reel::kFloat32);
}

TEST_CASE("nn module zero_grad clears or zeroes gradients", "[nn]") {
  nn::Linear fc(3, 2);
  fc(reel::randn({4, 3})).sum().backward();
  REQUIRE(fc->weight.grad().defined());
  fc->zero_grad(false);
  REQUIRE(fc->weight.grad().defined());
  CHECK(fc->weight.grad().abs().sum().item<double>() == 0.0);
  fc(reel::randn({4, 3})).sum().backward();
  fc->zero_grad();
  CHECK_FALSE(fc->weight.grad().defined());
  CHECK_FALSE(fc->bias.grad().defined());
}

TEST_CASE("nn module apply visits every module", "[nn]") {
  Net net;
  std::vector<std::string> visited;
  net->apply([&](nn::Module& m) { visited.push_back(m.type_name()); });
  CHECK(visited ==
        std::vector<std::string>{"Net", "Sequential", "Conv2d", "BatchNorm2d", "ReLU", "AdaptiveAvgPool2d", "Linear"});
  // The usual use: re-initialise every Linear.
  net->apply([](nn::Module& m) {
    if (auto* linear = dynamic_cast<nn::LinearImpl*>(&m)) nn::init::zeros_(linear->weight);
  });
  CHECK(net->head->weight.abs().sum().item<double>() == 0.0);
}

TEST_CASE("nn state_dict round trips and load_state_dict reports every problem", "[nn]") {
  reel::manual_seed(2);
  Net source, target;
  source->train();
  source(reel::randn({3, 1, 4, 4}));  // moves the running stats away from their initial values
  const nn::NamedTensors state = source->state_dict();
  CHECK(names_of(state).size() == 9);
  // PyTorch's order: each module's parameters then buffers, module by module (the head comes last).
  CHECK(state[6].first == "features.1.num_batches_tracked");
  CHECK(state.back().first == "head.bias");
  target->load_state_dict(state);
  for (size_t i = 0; i < state.size(); ++i) CHECK(same_values(target->state_dict()[i].second, state[i].second));
  CHECK(target->features->at<nn::BatchNorm2dImpl>(1).num_batches_tracked.item<int64_t>() == 1);

  nn::NamedTensors broken = state;
  broken.erase(broken.begin());                               // missing features.0.weight
  broken.emplace_back("extra.weight", reel::zeros({1}));        // unexpected
  broken[2].second = reel::zeros({7});                          // features.1.bias of the wrong shape
  const std::string message = error_of([&] { target->load_state_dict(broken); });
  CHECK_THAT(message, Catch::Contains("Missing keys: features.0.weight"));
  CHECK_THAT(message, Catch::Contains("Unexpected keys: extra.weight"));
  CHECK_THAT(message, Catch::Contains("features.1.bias"));
  CHECK_THAT(message, Catch::Contains("size mismatch"));

  nn::NamedTensors partial = state;
  partial.erase(partial.begin());
  partial.emplace_back("extra.weight", reel::zeros({1}));
  CHECK_NOTHROW(target->load_state_dict(partial, /*strict=*/false));
  partial[2].second = reel::zeros({7});
  CHECK_THROWS_AS(target->load_state_dict(partial, false), reel::Error);  // shapes are checked even when not strict
}

TEST_CASE("nn module tree prints as PyTorch prints it", "[nn]") {
  Net net;
  CHECK(net->str() ==
        "Net(\n"
        "  (features): Sequential(\n"
        "    (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
        "    (1): BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
        "    (2): ReLU()\n"
        "  )\n"
        "  (pool): AdaptiveAvgPool2d(output_size=1)\n"
        "  (head): Linear(in_features=4, out_features=2, bias=True)\n"
        ")");
  std::ostringstream os;
  os << nn::Linear(784, 10, false);
  CHECK(os.str() == "Linear(in_features=784, out_features=10, bias=False)");
}

TEST_CASE("nn layers print their options in PyTorch's words", "[nn]") {
  CHECK(nn::Bilinear(3, 4, 5)->str() == "Bilinear(in1_features=3, in2_features=4, out_features=5, bias=True)");
  CHECK(nn::Embedding(10, 3)->str() == "Embedding(10, 3)");
  CHECK(nn::Embedding(10, 3, -1)->str() == "Embedding(10, 3, padding_idx=9)");
  CHECK(nn::Dropout()->str() == "Dropout(p=0.5, inplace=False)");
  CHECK(nn::Dropout(0.1)->str() == "Dropout(p=0.1, inplace=False)");
  CHECK(nn::LayerNorm(10)->str() == "LayerNorm((10,), eps=1e-05, elementwise_affine=True)");
  CHECK(nn::LayerNorm(std::vector<int64_t>{3, 4}, 1e-6, false)->str() ==
        "LayerNorm((3, 4), eps=1e-06, elementwise_affine=False)");
  CHECK(nn::BatchNorm1d(16, 1e-3, std::nullopt, false, false)->str() ==
        "BatchNorm1d(16, eps=0.001, momentum=None, affine=False, track_running_stats=False)");
  CHECK(nn::Flatten()->str() == "Flatten(start_dim=1, end_dim=-1)");
  CHECK(nn::Identity()->str() == "Identity()");
  CHECK(nn::ReLU()->str() == "ReLU()");
  CHECK(nn::LeakyReLU()->str() == "LeakyReLU(negative_slope=0.01)");
  CHECK(nn::LeakyReLU(0.2)->str() == "LeakyReLU(negative_slope=0.2)");
  CHECK(nn::ELU()->str() == "ELU(alpha=1.0)");
  CHECK(nn::GELU()->str() == "GELU(approximate='none')");
  CHECK(nn::GELU("tanh")->str() == "GELU(approximate='tanh')");
  CHECK(nn::SiLU()->str() == "SiLU()");
  CHECK(nn::Tanh()->str() == "Tanh()");
  CHECK(nn::Sigmoid()->str() == "Sigmoid()");
  CHECK(nn::Softmax(1)->str() == "Softmax(dim=1)");
  CHECK(nn::LogSoftmax(-1)->str() == "LogSoftmax(dim=-1)");
  CHECK(nn::Conv1d(2, 4, 3)->str() == "Conv1d(2, 4, kernel_size=(3,), stride=(1,))");
  CHECK(nn::Conv2d(4, 8, {3, 5}, 2, {1, 2}, 1, 2, false)->str() ==
        "Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 2), groups=2, bias=False)");
  CHECK(nn::Conv2d(1, 1, 3, 1, 0, 2)->str() == "Conv2d(1, 1, kernel_size=(3, 3), stride=(1, 1), dilation=(2, 2))");
  CHECK(nn::MaxPool2d(2)->str() == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
  CHECK(nn::MaxPool2d({3, 3}, {2, 1}, 1, 1, true)->str() ==
        "MaxPool2d(kernel_size=(3, 3), stride=(2, 1), padding=1, dilation=1, ceil_mode=True)");
  CHECK(nn::AvgPool2d(2)->str() == "AvgPool2d(kernel_size=2, stride=2, padding=0)");
  CHECK(nn::AdaptiveAvgPool2d({7, 7})->str() == "AdaptiveAvgPool2d(output_size=(7, 7))");
}

TEST_CASE("nn layers reject bad arguments naming the layer", "[nn]") {
  CHECK_THAT(error_of([] { nn::Linear(-1, 2); }), Catch::StartsWith("Linear:"));
  CHECK_THAT(error_of([] { nn::Embedding(5, 2, 5); }), Catch::StartsWith("Embedding:"));
  CHECK_THAT(error_of([] { nn::Dropout(1.5); }), Catch::StartsWith("Dropout:"));
  CHECK_THAT(error_of([] { nn::Conv2d(3, 4, 3, 1, 0, 1, 2); }), Catch::Contains("divisible by groups"));
  CHECK_THAT(error_of([] { nn::Conv2d(3, 4, std::vector<int64_t>{3, 3, 3}); }), Catch::StartsWith("Conv2d:"));
  CHECK_THAT(error_of([] { nn::MaxPool2d(0); }), Catch::StartsWith("MaxPool2d:"));
  CHECK_THAT(error_of([] { nn::GELU("fast"); }), Catch::StartsWith("GELU:"));
  CHECK_THAT(error_of([] { nn::BatchNorm2d(3)(reel::randn({2, 3, 4})); }), Catch::StartsWith("BatchNorm2d:"));
  CHECK_THAT(error_of([] { nn::BatchNorm1d(3)(reel::randn({2, 4})); }), Catch::StartsWith("BatchNorm1d:"));
  CHECK_THAT(error_of([] { nn::Linear(3, 2)(reel::randn({4, 5})); }), Catch::StartsWith("linear:"));
  nn::Linear empty{nullptr};
  CHECK(empty.is_empty());
  CHECK_THROWS_AS(empty->forward(reel::randn({1, 3})), reel::Error);
}

TEST_CASE("nn Sequential chains its children and indexes them", "[nn]") {
  reel::manual_seed(3);
  nn::Linear first(4, 8);
  auto second = std::make_shared<nn::LinearImpl>(8, 3);
  nn::Sequential seq(first, nn::ReLU(), second);
  CHECK(seq->size() == 3);
  const Tensor x = reel::randn({5, 4});
  const Tensor expected = second->forward(reel::relu(first(x)));
  CHECK(same_values(seq(x), expected));
  CHECK(seq[0].get() == first.get());
  CHECK(seq[-1].get() == second.get());
  CHECK(seq->ptr<nn::LinearImpl>(2) == second);
  CHECK(seq->at<nn::LinearImpl>(0).out_features == 8);
  CHECK_THAT(error_of([&] { seq->at<nn::LinearImpl>(1); }), Catch::Contains("is a ReLU"));
  CHECK_THAT(error_of([&] { seq[3]; }), Catch::Contains("out of range"));
  CHECK(names_of(seq->named_parameters()) ==
        std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  int count = 0;
  for (const auto& child : *seq) count += child != nullptr;
  CHECK(count == 3);

  seq->push_back(nn::Tanh());
  seq->push_back("scale", nn::Identity());
  CHECK(seq->named_children().back().first == "scale");
  CHECK(same_values(seq(x), reel::tanh(expected)));

  nn::Sequential copy = seq;  // copies the handle: the same module
  nn::Sequential direct(seq);
  CHECK(copy.get() == seq.get());
  CHECK(direct.get() == seq.get());
  nn::Sequential empty;
  CHECK(empty->is_empty());
  CHECK(empty(x).is_same(x));
}

TEST_CASE("nn Sequential takes named children and nests", "[nn]") {
  nn::Sequential named({{"fc", nn::Linear(3, 3)}, {"act", nn::GELU()}});
  CHECK(names_of(named->named_parameters()) == std::vector<std::string>{"fc.weight", "fc.bias"});
  nn::Sequential outer(named, nn::Sequential(nn::Linear(3, 1)));
  CHECK(names_of(outer->named_parameters()) ==
        std::vector<std::string>{"0.fc.weight", "0.fc.bias", "1.0.weight", "1.0.bias"});
  CHECK(outer(reel::randn({2, 3})).sizes() == reel::IntList{2, 1});
  CHECK_THROWS_AS(nn::Sequential({{"a.b", nn::ReLU()}}), reel::Error);
  CHECK_THROWS_AS(nn::Sequential({{"a", nn::ReLU()}, {"a", nn::Tanh()}}), reel::Error);
}

TEST_CASE("nn ModuleList holds modules by position", "[nn]") {
  nn::ModuleList list(nn::Linear(2, 2), nn::Bilinear(2, 2, 1));
  list->push_back(nn::Dropout());
  list->push_back(std::make_shared<nn::ReLUImpl>());
  CHECK(list->size() == 4);
  CHECK(list[1]->type_name() == "Bilinear");
  CHECK(list->at<nn::DropoutImpl>(2).p == 0.5);
  std::vector<std::string> types;
  for (const auto& module : *list) types.push_back(module->type_name());
  CHECK(types == std::vector<std::string>{"Linear", "Bilinear", "Dropout", "ReLU"});
  CHECK(names_of(list->named_parameters()) ==
        std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias"});
  nn::ModuleList more{nn::Tanh()};
  list->extend(*more);
  CHECK(list->size() == 5);
  CHECK(list[4].get() == more[0].get());
  nn::ModuleList same(list);
  CHECK(same.get() == list.get());
  CHECK(list->str() ==
        "ModuleList(\n"
        "  (0): Linear(in_features=2, out_features=2, bias=True)\n"
        "  (1): Bilinear(in1_features=2, in2_features=2, out_features=1, bias=True)\n"
        "  (2): Dropout(p=0.5, inplace=False)\n"
        "  (3): ReLU()\n"
        "  (4): Tanh()\n"
        ")");
}

TEST_CASE("nn ModuleDict keeps insertion order and replaces in place", "[nn]") {
  nn::ModuleDict dict({{"encoder", nn::Linear(4, 3)}, {"act", nn::ReLU()}});
  dict->insert("decoder", nn::Linear(3, 4));
  CHECK(dict->keys() == std::vector<std::string>{"encoder", "act", "decoder"});
  CHECK(dict->contains("act"));
  CHECK_FALSE(dict->contains("missing"));
  CHECK(dict["decoder"]->type_name() == "Linear");
  CHECK(dict->at<nn::LinearImpl>("encoder").in_features == 4);
  CHECK_THAT(error_of([&] { dict["missing"]; }), Catch::Contains("keys: encoder, act, decoder"));
  dict->insert("act", nn::Tanh());
  CHECK(dict->keys() == std::vector<std::string>{"encoder", "act", "decoder"});
  CHECK(dict["act"]->type_name() == "Tanh");
  CHECK(dict->named_children()[1].second->type_name() == "Tanh");
  dict->update({{"extra", nn::Identity()}});
  CHECK(dict->size() == 4);
  CHECK(dict->values().size() == 4);
  std::vector<std::string> keys;
  for (const auto& [key, module] : *dict) keys.push_back(key);
  CHECK(keys == dict->keys());
  CHECK(names_of(dict->named_parameters()) ==
        std::vector<std::string>{"encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"});
}
