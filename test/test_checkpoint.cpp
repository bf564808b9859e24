// reel/test/test_checkpoint.cpp — reel::save / reel::load (nn/checkpoint.h): round trips of modules, tensors,
// tensor lists, optimizers and schedulers (values bit for bit, dtypes, devices), a module file written by Python's
// safetensors (test/fixtures/torch/make_torch_checkpoint.py) loaded and run against PyTorch's output, the errors
// (wrong kind of file, wrong optimizer or scheduler class, mismatched keys and shapes, truncated files), reel::str,
// and the resume recipe of docs/checkpoints.md: N epochs straight equal N/2, save, rebuild, load, N/2 more.
#include <reel/reel.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>

#include "serialize_test_utils.h"

using Catch::Contains;
using reel::Tensor;
using serialize_test::TempDir;

namespace {

struct NetImpl : reel::nn::Module {
  NetImpl(int64_t in = 3, int64_t hidden = 4, int64_t out = 2) {
    fc1 = register_module("fc1", reel::nn::Linear(in, hidden));
    fc2 = register_module("fc2", reel::nn::Linear(hidden, out));
    scale = register_buffer("scale", reel::full({out}, 1.5));
  }
  Tensor forward(const Tensor& x) { return fc2(reel::relu(fc1(x))); }
  reel::nn::Linear fc1{nullptr}, fc2{nullptr};
  Tensor scale;
};
REEL_MODULE(Net);

// PyTorch's Net of make_torch_checkpoint.py: the same layers without the buffer.
struct TorchNetImpl : reel::nn::Module {
  TorchNetImpl() {
    fc1 = register_module("fc1", reel::nn::Linear(3, 4));
    fc2 = register_module("fc2", reel::nn::Linear(4, 2));
  }
  Tensor forward(const Tensor& x) { return fc2(reel::relu(fc1(x))); }
  reel::nn::Linear fc1{nullptr}, fc2{nullptr};
};
REEL_MODULE(TorchNet);

// Same dtype, shape and bytes.
bool identical(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || !(a.sizes() == b.sizes())) return false;
  const Tensor ca = a.detach().cpu().contiguous(), cb = b.detach().cpu().contiguous();
  return std::memcmp(ca.data_ptr(), cb.data_ptr(), static_cast<size_t>(ca.numel()) * ca.element_size()) == 0;
}

bool identical(const reel::nn::NamedTensors& a, const reel::nn::NamedTensors& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].first != b[i].first || !identical(a[i].second, b[i].second)) return false;
  return true;
}

}  // namespace

TEST_CASE("reel::save / reel::load round-trip a module in place", "[checkpoint]") {
  TempDir dir;
  reel::manual_seed(1);
  Net saved;
  saved->scale.fill_(2.5);
  reel::save(saved, dir.file("net.safetensors"));
  Net loaded;  // other random weights
  REQUIRE_FALSE(identical(saved->state_dict(), loaded->state_dict()));
  Tensor weight = loaded->fc1->weight;  // handles held elsewhere see the loaded values
  reel::load(loaded, dir.file("net.safetensors"));
  CHECK(identical(saved->state_dict(), loaded->state_dict()));
  CHECK(identical(weight, saved->fc1->weight));
  CHECK(loaded->fc1->weight.requires_grad());

  SECTION("shared_ptr and Module& spellings") {
    auto impl = std::make_shared<NetImpl>();
    reel::load(impl, dir.file("net.safetensors"));
    CHECK(identical(impl->state_dict(), saved->state_dict()));
    reel::save(impl, dir.file("impl.safetensors"));
    NetImpl plain;
    reel::load(static_cast<reel::nn::Module&>(plain), dir.file("impl.safetensors"));
    CHECK(identical(plain.state_dict(), saved->state_dict()));
  }
  SECTION("values are cast to the module's dtype") {
    Net wide;
    wide->to(reel::kFloat64);
    reel::load(wide, dir.file("net.safetensors"));
    CHECK(wide->fc2->weight.dtype() == reel::kFloat64);
    CHECK(identical(wide->fc2->weight.to(reel::kFloat32), saved->fc2->weight));
    reel::save(wide, dir.file("wide.safetensors"));  // saved as float64: PyTorch sees the module's dtype
    auto raw = reel::serialize::load_safetensors(dir.file("wide.safetensors"));
    CHECK(raw[0].second.dtype() == reel::kFloat64);
  }
  SECTION("the file is a PyTorch state dict with reel's kind marker") {
    std::map<std::string, std::string> metadata;
    auto raw = reel::serialize::load_safetensors(dir.file("net.safetensors"), &metadata);
    CHECK(metadata.at("reel.kind") == "module");
    CHECK(metadata.at("reel.type") == "Net");
    std::vector<std::string> keys;
    for (auto& [name, value] : raw) keys.push_back(name);
    std::sort(keys.begin(), keys.end());
    CHECK(keys == std::vector<std::string>{"fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight", "scale"});
  }
}

TEST_CASE("reel::load reads a module state dict written by Python's safetensors", "[checkpoint]") {
  const std::string dir = std::string(REEL_SOURCE_DIR) + "/test/fixtures/torch/";
  TorchNet net;
  reel::load(net, dir + "net.safetensors");
  auto io = reel::serialize::load_safetensors(dir + "net_io.safetensors");
  Tensor x, y;
  for (auto& [name, value] : io) (name == "x" ? x : y) = value;
  reel::NoGradGuard no_grad;
  const Tensor got = net(x);
  REQUIRE(got.sizes() == y.sizes());
  CHECK(reel::allclose(got, y, 1e-6, 1e-6));
  // and the same file refuses a module with other shapes or keys, naming them
  Net other(3, 5, 2);
  CHECK_THROWS_WITH(reel::load(other, dir + "net.safetensors"),
                    Contains("fc1.weight: checkpoint shape [4, 3] vs model shape [5, 3]") && Contains("scale"));
}

TEST_CASE("reel::save / reel::load round-trip tensors and tensor lists", "[checkpoint]") {
  TempDir dir;
  const Tensor f = reel::arange(12, reel::kFloat64).reshape({3, 4}).t();  // not contiguous
  reel::save(f, dir.file("f.safetensors"));
  Tensor back;
  reel::load(back, dir.file("f.safetensors"));
  CHECK(identical(back, f.contiguous()));
  CHECK(back.device() == reel::Device(reel::kCPU));
  reel::load(back, dir.file("f.safetensors"), reel::Device(reel::kCPU));
  CHECK(identical(back, f.contiguous()));

  std::vector<Tensor> list;
  for (int i = 0; i < 12; ++i) list.push_back(reel::full({i % 3 + 1}, i, reel::kInt64));  // "10" sorts before "2"
  list.push_back(reel::tensor(std::vector<int64_t>{1, 0, 1}).to(reel::kBool));
  list.push_back(reel::zeros({0, 3}));
  reel::save(list, dir.file("list.safetensors"));
  std::vector<Tensor> loaded{reel::ones({1})};
  reel::load(loaded, dir.file("list.safetensors"));
  REQUIRE(loaded.size() == list.size());
  for (size_t i = 0; i < list.size(); ++i) CHECK(identical(loaded[i], list[i]));

  std::vector<Tensor> none;
  reel::save(none, dir.file("none.safetensors"));
  reel::load(loaded, dir.file("none.safetensors"));
  CHECK(loaded.empty());
  CHECK_THROWS_WITH(reel::save(std::vector<Tensor>{f, Tensor()}, dir.file("bad.safetensors")),
                    Contains("tensor 1 is undefined"));
}

TEST_CASE("reel::load names both kinds when a file holds another kind of object", "[checkpoint]") {
  TempDir dir;
  Net net;
  reel::save(net, dir.file("net.safetensors"));
  reel::save(reel::ones({2}), dir.file("t.safetensors"));
  reel::optim::SGD sgd(net->parameters(), 0.1);
  reel::save(sgd, dir.file("sgd.safetensors"));
  CHECK_THROWS_WITH(reel::load(net, dir.file("t.safetensors")),
                    Contains("reel::load(module)") && Contains("holds a saved tensor, not a saved module"));
  Tensor t;
  CHECK_THROWS_WITH(reel::load(t, dir.file("net.safetensors")), Contains("holds a saved module, not a saved tensor"));
  CHECK_THROWS_WITH(reel::load(sgd, dir.file("net.safetensors")), Contains("not a saved optimizer"));
  CHECK_THROWS_WITH(reel::load(t, dir.file("sgd.safetensors")), Contains("holds a saved optimizer"));
  reel::optim::Adam adam(net->parameters(), 1e-3);
  CHECK_THROWS_WITH(reel::load(adam, dir.file("sgd.safetensors")), Contains("the state of a SGD, not of a Adam"));
  reel::optim::StepLR step(sgd, 2);
  reel::optim::ExponentialLR exponential(adam, 0.9);
  reel::save(step, dir.file("step.safetensors"));
  CHECK_THROWS_WITH(reel::load(exponential, dir.file("step.safetensors")),
                    Contains("the state of a StepLR, not of a ExponentialLR"));
  const std::string python_file = std::string(REEL_SOURCE_DIR) + "/test/fixtures/torch/net.safetensors";
  CHECK_THROWS_WITH(reel::load(t, python_file), Contains("without reel's kind marker"));
}

TEST_CASE("reel::load refuses truncated and missing files", "[checkpoint]") {
  TempDir dir;
  Net net;
  reel::save(net, dir.file("net.safetensors"));
  const std::string bytes = serialize_test::read_bytes(dir.file("net.safetensors"));
  for (size_t keep : {size_t{0}, size_t{7}, size_t{40}, bytes.size() - 1}) {
    serialize_test::write_bytes(dir.file("cut.safetensors"), bytes.substr(0, keep));
    CHECK_THROWS_AS(reel::load(net, dir.file("cut.safetensors")), reel::Error);
  }
  CHECK_THROWS_AS(reel::load(net, dir.file("absent.safetensors")), reel::Error);
  // a failed load leaves the module as it was
  Net fresh;
  const auto before = fresh->state_dict();
  CHECK_THROWS(reel::load(fresh, dir.file("cut.safetensors")));
  CHECK(identical(before, fresh->state_dict()));
}

TEST_CASE("reel::save / reel::load round-trip an optimizer and a scheduler", "[checkpoint]") {
  TempDir dir;
  reel::manual_seed(3);
  Net net;
  reel::optim::Adam adam(net->parameters(), reel::optim::AdamOptions(1e-2).amsgrad(true));
  reel::optim::CosineAnnealingLR cosine(adam, 5, 1e-4);
  const Tensor x = reel::randn({6, 3});
  for (int i = 0; i < 3; ++i) {
    adam.zero_grad();
    net(x).pow(2).sum().backward();
    adam.step();
    cosine.step();
  }
  reel::save(adam, dir.file("adam.safetensors"));
  reel::save(cosine, dir.file("cosine.safetensors"));
  Net other;
  reel::optim::Adam restored(other->parameters(), 1e-2);
  reel::optim::CosineAnnealingLR restored_cosine(restored, 7);
  reel::load(restored, dir.file("adam.safetensors"));
  reel::load(restored_cosine, dir.file("cosine.safetensors"));
  CHECK(identical(adam.state_dict(), restored.state_dict()));
  CHECK(identical(cosine.state_dict(), restored_cosine.state_dict()));
  CHECK(restored_cosine.last_epoch() == 3);
  CHECK(restored_cosine.get_last_lr() == cosine.get_last_lr());
  CHECK(static_cast<reel::optim::AdamOptions&>(restored.param_groups()[0].options()).amsgrad());
}

TEST_CASE("reel::str concatenates with operator<<", "[checkpoint]") {
  CHECK(reel::str("dcgan-checkpoint-", 3, ".pt") == "dcgan-checkpoint-3.pt");
  CHECK(reel::str() == "");
  CHECK(reel::str(1.5, ' ', reel::Device(reel::kCPU)) == "1.5 cpu");
}

// ---- the resume recipe (docs/checkpoints.md) ----------------------------------------------------------------------
namespace {

// make_data_loader returns a std::unique_ptr, as LibTorch's.
template <typename L>
auto& loader_ref(L& loader) {
  if constexpr (requires { *loader; loader.get(); }) return *loader;
  else return loader;
}

struct Run {
  Net model;
  reel::optim::Adam optimizer;
  reel::optim::StepLR scheduler;
  explicit Run(uint64_t init_seed)
      : model((reel::manual_seed(init_seed), Net(3, 8, 2))),
        optimizer(model->parameters(), reel::optim::AdamOptions(0.05).betas(std::make_tuple(0.8, 0.9))),
        scheduler(optimizer, /*step_size=*/2, /*gamma=*/0.5) {}
};

// One epoch over a shuffled loader whose order depends on (seed, epoch) only.
template <typename Loader>
void train_epoch(Run& run, Loader& loader, int64_t epoch) {
  auto& batches = loader_ref(loader);
  batches.sampler().set_epoch(epoch);
  for (auto& batch : batches) {
    run.optimizer.zero_grad();
    (run.model(batch.data) - batch.target).pow(2).mean().backward();
    run.optimizer.step();
  }
  run.scheduler.step();
}

}  // namespace

TEST_CASE("an interrupted run resumed from checkpoints continues bit for bit", "[checkpoint]") {
  constexpr int64_t kEpochs = 6;  // the StepLR decays at epochs 2 and 4; the interruption is after epoch 3
  reel::manual_seed(11);
  const auto dataset = reel::data::datasets::TensorPairDataset(reel::randn({20, 3}), reel::randn({20, 2}))
                           .map(reel::data::transforms::Stack<>());
  // A shuffled order that depends on (seed, epoch) only, so a resumed run replays the remaining epochs' orders.
  const auto make_loader = [&] {
    return reel::data::make_data_loader(dataset, reel::data::samplers::RandomSampler(20).seed(5),
                                        reel::data::DataLoaderOptions(6));
  };

  Run straight(7);
  auto straight_loader = make_loader();
  for (int64_t epoch = 0; epoch < kEpochs; ++epoch) train_epoch(straight, straight_loader, epoch);

  TempDir dir;
  {
    Run first(7);
    auto loader = make_loader();
    for (int64_t epoch = 0; epoch < kEpochs / 2; ++epoch) train_epoch(first, loader, epoch);
    reel::save(first.model, dir.file("model.safetensors"));
    reel::save(first.optimizer, dir.file("optimizer.safetensors"));
    reel::save(first.scheduler, dir.file("scheduler.safetensors"));
    reel::save(reel::scalar_tensor(kEpochs / 2, reel::kInt64), dir.file("epoch.safetensors"));
  }
  // A new process: everything built as the first run built it (other random weights), then loaded.
  Run resumed(99);
  reel::load(resumed.model, dir.file("model.safetensors"));
  reel::load(resumed.optimizer, dir.file("optimizer.safetensors"));
  reel::load(resumed.scheduler, dir.file("scheduler.safetensors"));
  Tensor saved_epoch;
  reel::load(saved_epoch, dir.file("epoch.safetensors"));
  auto loader = make_loader();
  for (int64_t epoch = saved_epoch.item<int64_t>(); epoch < kEpochs; ++epoch) train_epoch(resumed, loader, epoch);

  CHECK(resumed.scheduler.last_epoch() == kEpochs);
  CHECK(resumed.optimizer.param_groups()[0].options().get_lr() ==
        straight.optimizer.param_groups()[0].options().get_lr());
  CHECK(identical(resumed.model->state_dict(), straight.model->state_dict()));
  CHECK(identical(resumed.optimizer.state_dict(), straight.optimizer.state_dict()));

  SECTION("forgetting the scheduler's state is an error, not a silently wrong schedule") {
    Run careless(99);
    reel::load(careless.model, dir.file("model.safetensors"));
    reel::load(careless.optimizer, dir.file("optimizer.safetensors"));
    auto careless_loader = make_loader();
    CHECK_THROWS_WITH(train_epoch(careless, careless_loader, kEpochs / 2), Contains("the scheduler's state was not"));
  }
}
