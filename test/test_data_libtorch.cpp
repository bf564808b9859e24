// reel/test/test_data_libtorch.cpp — the data API as LibTorch spells it: Example<>, datasets::MNIST on idx files
// the test writes, transforms (Normalize against float64 arithmetic, Stack, Lambda, TensorLambda, BatchLambda,
// Collate), .map() chains, the samplers' index sequences (LibTorch's C++ semantics), StreamDataset with
// StreamSampler, and the MNIST example's loop shape through make_data_loader.
#include <reel/reel.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <string>
#include <vector>

namespace {

using reel::Tensor;
namespace data = reel::data;
namespace fs = std::filesystem;
using Catch::Contains;

// An IDX file of uint8 values: magic 00 00 08 <ndims>, big-endian sizes, the bytes.
void write_idx(const fs::path& path, const std::vector<uint32_t>& dims, const std::vector<uint8_t>& values) {
  std::ofstream out(path, std::ios::binary);
  out.put(0).put(0).put(8).put(static_cast<char>(dims.size()));
  for (uint32_t d : dims) {
    for (int shift : {24, 16, 8, 0}) out.put(static_cast<char>((d >> shift) & 0xff));
  }
  out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size()));
}

// pixel p of image i in the files below
uint8_t pixel(size_t i, size_t p) { return static_cast<uint8_t>((i * 37 + p * 11) % 256); }

// A root with `train` and `test` images of digit-MNIST file names; labels (i * 3) % 10.
fs::path write_mnist_root(const std::string& name, size_t train, size_t test, size_t rows = 28) {
  const fs::path root = fs::temp_directory_path() / name;
  fs::create_directories(root);
  for (auto [prefix, count] : {std::pair<const char*, size_t>{"train", train}, {"t10k", test}}) {
    std::vector<uint8_t> images(count * rows * 28), labels(count);
    for (size_t i = 0; i < count; ++i) {
      for (size_t p = 0; p < rows * 28; ++p) images[i * rows * 28 + p] = pixel(i, p);
      labels[i] = static_cast<uint8_t>((i * 3) % 10);
    }
    write_idx(root / (std::string(prefix) + "-images-idx3-ubyte"),
              {static_cast<uint32_t>(count), static_cast<uint32_t>(rows), 28}, images);
    write_idx(root / (std::string(prefix) + "-labels-idx1-ubyte"), {static_cast<uint32_t>(count)}, labels);
  }
  return root;
}

// A stream of consecutive integers: get_batch(n) is the next n of them.
class Counter : public data::datasets::StreamDataset<Counter, Tensor> {
 public:
  Tensor get_batch(size_t n) override {
    Tensor out = reel::arange(next_, next_ + static_cast<int64_t>(n), 1, reel::kInt64);
    next_ += static_cast<int64_t>(n);
    return out;
  }
  std::optional<size_t> size() const override { return std::nullopt; }

 private:
  int64_t next_ = 0;
};

std::vector<size_t> drain(data::samplers::Sampler<>& sampler, size_t batch_size) {
  std::vector<size_t> out;
  while (auto batch = sampler.next(batch_size)) out.insert(out.end(), batch->begin(), batch->end());
  return out;
}

}  // namespace

TEST_CASE("Example<> and TensorExample", "[data][libtorch]") {
  data::Example<> e(reel::ones({2}), reel::zeros({}));
  static_assert(std::is_same_v<data::Example<>::DataType, Tensor>);
  REQUIRE(e.data.numel() == 2);
  data::TensorExample t = reel::ones({3});
  const Tensor& inner = t;
  REQUIRE(inner.numel() == 3);
  data::Example<std::string, int> labelled("word", 4);
  REQUIRE(labelled.target == 4);
}

TEST_CASE("datasets::MNIST reads the idx files", "[data][libtorch][mnist]") {
  const fs::path root = write_mnist_root("reel_mnist_small", 5, 3);
  data::datasets::MNIST train(root.string());
  data::datasets::MNIST test(root.string(), data::datasets::MNIST::Mode::kTest);
  REQUIRE(train.size().value() == 5);
  REQUIRE(test.size().value() == 3);
  REQUIRE(train.is_train());
  REQUIRE_FALSE(test.is_train());
  REQUIRE(train.images().sizes() == reel::IntList({5, 1, 28, 28}));
  REQUIRE(train.images().dtype() == reel::kFloat32);
  REQUIRE(train.targets().dtype() == reel::kInt64);
  REQUIRE(train.targets().to_vector<int64_t>() == std::vector<int64_t>{0, 3, 6, 9, 2});
  data::Example<> item = train.get(3);
  REQUIRE(item.data.sizes() == reel::IntList({1, 28, 28}));
  REQUIRE(item.target.item<int64_t>() == 9);
  const std::vector<float> pixels = item.data.to_vector<float>();
  for (size_t p : {0, 1, 500, 783}) REQUIRE(pixels[p] == static_cast<float>(pixel(3, p)) / 255.0f);
  REQUIRE_THROWS_WITH(train.get(5), Contains("index 5 is out of range for 5 images"));
  fs::remove_all(root);
}

TEST_CASE("datasets::MNIST refuses missing and malformed files", "[data][libtorch][mnist]") {
  REQUIRE_THROWS_WITH(data::datasets::MNIST("/no/such/dir"),
                      Contains("no 'train-images-idx3-ubyte' or 'train-images-idx3-ubyte.gz' in '/no/such/dir'"));
  const fs::path bad_rows = write_mnist_root("reel_mnist_rows", 2, 2, /*rows=*/27);
  REQUIRE_THROWS_WITH(data::datasets::MNIST(bad_rows.string()),
                      Contains("must hold uint8 images [N, 28, 28], it holds uint8 [2, 27, 28]"));
  fs::remove_all(bad_rows);
  const fs::path root = write_mnist_root("reel_mnist_labels", 3, 2);
  write_idx(root / "train-labels-idx1-ubyte", {2}, {1, 2});
  REQUIRE_THROWS_WITH(data::datasets::MNIST(root.string()), Contains("has 2 labels but") && Contains("has 3 images"));
  write_idx(root / "train-labels-idx1-ubyte", {3}, {1, 12, 2});
  REQUIRE_THROWS_WITH(data::datasets::MNIST(root.string()), Contains("label 12 of item 1 is not a class 0..9"));
  fs::remove_all(root);
}

TEST_CASE("datasets::MNIST reads Fashion-MNIST's gzip files", "[data][libtorch][mnist]") {
  if (!data::FashionMNIST::exists()) {
    WARN("dataset-fashion-mnist is not installed: MNIST on its gzip files is not checked");
    return;
  }
  data::datasets::MNIST test(data::FashionMNIST::default_root(), data::datasets::MNIST::Mode::kTest);
  REQUIRE(test.size().value() == 10000);
  REQUIRE(test.targets().narrow(0, 0, 4).to_vector<int64_t>() == std::vector<int64_t>{9, 2, 1, 1});
}

TEST_CASE("transforms::Normalize per scalar and per channel", "[data][libtorch][transforms]") {
  Tensor image = reel::rand({3, 2, 2});
  data::transforms::Normalize<> scalar(0.1307, 0.3081);
  Tensor out = scalar(image);
  const std::vector<float> in = image.to_vector<float>(), got = out.to_vector<float>();
  for (size_t i = 0; i < in.size(); ++i) {
    REQUIRE(got[i] == Approx((static_cast<double>(in[i]) - 0.1307) / 0.3081).epsilon(1e-6).margin(1e-6));
  }
  data::transforms::Normalize<> channels({0.5, 0.25, 0.0}, {0.5, 2.0, 4.0});
  const std::vector<double> mean = {0.5, 0.25, 0.0}, stddev = {0.5, 2.0, 4.0};
  const std::vector<float> got_c = channels(image).to_vector<float>();
  for (size_t i = 0; i < in.size(); ++i) {
    const size_t c = i / 4;
    REQUIRE(got_c[i] == Approx((static_cast<double>(in[i]) - mean[c]) / stddev[c]).epsilon(1e-6).margin(1e-6));
  }
  // As a Transform of Examples: the target passes through.
  data::Example<> example = channels.apply({image, reel::full({}, int64_t{7}, reel::kInt64)});
  REQUIRE(example.target.item<int64_t>() == 7);
  REQUIRE(example.data.to_vector<float>() == got_c);
  REQUIRE_THROWS_WITH(data::transforms::Normalize<>({0.5, 0.5}, {1.0, 1.0, 1.0}),
                      Contains("mean has 2 values but stddev has 3"));
}

TEST_CASE("transforms::Stack, Lambda, TensorLambda, BatchLambda and Collate", "[data][libtorch][transforms]") {
  std::vector<data::Example<>> examples;
  for (int64_t i = 0; i < 3; ++i) examples.push_back({reel::full({2, 2}, static_cast<double>(i)), reel::full({}, i, reel::kInt64)});
  data::Example<> batch = data::transforms::Stack<>().apply_batch(examples);
  REQUIRE(batch.data.sizes() == reel::IntList({3, 2, 2}));
  REQUIRE(batch.data.select(0, 2).sum().item<float>() == 8.0f);
  REQUIRE(batch.target.to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2});
  data::TensorExample stacked =
      data::transforms::Stack<data::TensorExample>().apply_batch({reel::ones({2}), reel::zeros({2})});
  REQUIRE(stacked.data.to_vector<float>() == std::vector<float>{1, 1, 0, 0});
  examples[1].data = reel::zeros({3});
  REQUIRE_THROWS_WITH(data::transforms::Stack<>().apply_batch(examples),
                      Contains("collate: data of item 1 has shape [3] but item 0 has shape [2, 2]"));

  data::transforms::Lambda<data::Example<>> twice([](data::Example<> e) {
    e.target = e.target * 2;
    return e;
  });
  REQUIRE(twice.apply({reel::ones({1}), reel::full({}, int64_t{4}, reel::kInt64)}).target.item<int64_t>() == 8);
  data::transforms::TensorLambda<> negate([](Tensor x) { return -x; });
  REQUIRE(negate(reel::ones({2})).to_vector<float>() == std::vector<float>{-1, -1});
  data::transforms::BatchLambda<std::vector<data::Example<>>, size_t> count(
      [](std::vector<data::Example<>> b) { return b.size(); });
  REQUIRE(count.apply_batch(std::vector<data::Example<>>(4)) == 4);
  data::transforms::Collate<data::Example<>> first([](std::vector<data::Example<>> b) { return b.front(); });
  REQUIRE(first.apply_batch({{reel::ones({1}), reel::zeros({})}}).data.item<float>() == 1.0f);
}

TEST_CASE("datasets .map() chains and TensorDataset", "[data][libtorch][transforms]") {
  const fs::path root = write_mnist_root("reel_mnist_map", 4, 1);
  auto dataset = data::datasets::MNIST(root.string())
                     .map(data::transforms::Normalize<>(0.5, 0.25))
                     .map(data::transforms::Stack<>());
  REQUIRE(dataset.size().value() == 4);
  data::Example<> batch = dataset.get_batch({3, 1});
  REQUIRE(batch.data.sizes() == reel::IntList({2, 1, 28, 28}));
  REQUIRE(batch.target.to_vector<int64_t>() == std::vector<int64_t>{9, 3});
  REQUIRE(batch.data.select(0, 0).flatten().to_vector<float>()[10] ==
          Approx((pixel(3, 10) / 255.0 - 0.5) / 0.25).epsilon(1e-6).margin(1e-6));
  fs::remove_all(root);

  data::datasets::TensorDataset rows(reel::arange(6, reel::kFloat32).reshape({3, 2}));
  REQUIRE(rows.size().value() == 3);
  REQUIRE(rows.get(1).data.to_vector<float>() == std::vector<float>{2, 3});
  auto stacked = rows.map(data::transforms::Stack<data::TensorExample>());
  REQUIRE(stacked.get_batch({2, 0}).data.to_vector<float>() == std::vector<float>{4, 5, 0, 1});
  data::datasets::TensorDataset from_list({reel::ones({2}), reel::zeros({2})});
  REQUIRE(from_list.tensor.sizes() == reel::IntList({2, 2}));
  auto shared = data::datasets::make_shared_dataset<data::datasets::TensorDataset>(reel::ones({4, 1}));
  REQUIRE(shared.size().value() == 4);
  REQUIRE(shared->tensor.size(0) == 4);
}

TEST_CASE("SequentialSampler and RandomSampler index sequences", "[data][libtorch][samplers]") {
  data::samplers::SequentialSampler sequential(5);
  REQUIRE(sequential.next(2).value() == std::vector<size_t>{0, 1});
  REQUIRE(sequential.next(2).value() == std::vector<size_t>{2, 3});
  REQUIRE(sequential.next(2).value() == std::vector<size_t>{4});
  REQUIRE_FALSE(sequential.next(2).has_value());
  REQUIRE(sequential.index() == 5);
  sequential.reset(3);
  REQUIRE(drain(sequential, 10) == std::vector<size_t>{0, 1, 2});

  reel::manual_seed(11);
  data::samplers::RandomSampler random(10);
  random.reset();
  const std::vector<size_t> first = drain(random, 3);
  random.reset();
  const std::vector<size_t> second = drain(random, 4);
  std::vector<size_t> sorted = first;
  std::sort(sorted.begin(), sorted.end());
  std::vector<size_t> identity(10);
  std::iota(identity.begin(), identity.end(), size_t{0});
  REQUIRE(sorted == identity);
  REQUIRE(first != second);
  reel::manual_seed(11);
  data::samplers::RandomSampler again(10);
  again.reset();
  REQUIRE(drain(again, 3) == first);  // the global generator decides
  random.reset(4);
  REQUIRE(drain(random, 10).size() == 4);
  data::samplers::RandomSampler narrow(5, reel::kInt32);
  REQUIRE(drain(narrow, 2).size() == 5);
  REQUIRE_THROWS_WITH(data::samplers::RandomSampler(5, reel::kFloat32), Contains("index_dtype must be an integer"));
}

TEST_CASE("DistributedSequentialSampler partitions as LibTorch", "[data][libtorch][samplers]") {
  // 10 examples over 3 replicas: ceil(10 / 3) = 4 each, the list padded with its first indices.
  const std::vector<std::vector<size_t>> with_duplicates = {{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 0, 1}};
  for (size_t rank = 0; rank < 3; ++rank) {
    data::samplers::DistributedSequentialSampler sampler(10, 3, rank);
    REQUIRE(drain(sampler, 3) == with_duplicates[rank]);
    sampler.reset();
    REQUIRE(drain(sampler, 10) == with_duplicates[rank]);
  }
  // Without duplicates: floor(10 / 3) = 3 each, index 9 left out.
  data::samplers::DistributedSequentialSampler last(10, 3, 2, /*allow_duplicates=*/false);
  REQUIRE(drain(last, 2) == std::vector<size_t>{6, 7, 8});
  REQUIRE_THROWS_WITH(data::samplers::DistributedSequentialSampler(10, 3, 3), Contains("rank 3 is out of range for 3"));
  REQUIRE_THROWS_WITH(data::samplers::DistributedSequentialSampler(10, 0, 0), Contains("num_replicas must be at least 1"));
}

TEST_CASE("DistributedRandomSampler: disjoint blocks of one shuffle per epoch", "[data][libtorch][samplers]") {
  for (bool duplicates : {true, false}) {
    CAPTURE(duplicates);
    std::multiset<size_t> all;
    std::vector<std::vector<size_t>> per_rank;
    for (size_t rank = 0; rank < 3; ++rank) {
      data::samplers::DistributedRandomSampler sampler(10, 3, rank, duplicates);
      sampler.set_epoch(5);
      sampler.reset();
      per_rank.push_back(drain(sampler, 3));
      REQUIRE(per_rank.back().size() == (duplicates ? 4u : 3u));
      all.insert(per_rank.back().begin(), per_rank.back().end());
      sampler.reset();
      REQUIRE(drain(sampler, 4) == per_rank.back());  // same epoch, same order
      sampler.set_epoch(6);
      sampler.reset();
      REQUIRE(drain(sampler, 4) != per_rank.back());
    }
    if (duplicates) {
      // the padded list 0..9, 0, 1, shuffled: every index once, 0 and 1 twice
      for (size_t i = 0; i < 10; ++i) REQUIRE(all.count(i) == (i < 2 ? 2u : 1u));
    } else {
      // the list 0..8 (the last index left out), shuffled and split
      for (size_t i = 0; i < 9; ++i) REQUIRE(all.count(i) == 1u);
      REQUIRE(all.count(9) == 0u);
    }
  }
  data::samplers::DistributedRandomSampler one(6);
  std::vector<size_t> order = drain(one, 4);
  std::sort(order.begin(), order.end());
  REQUIRE(order == std::vector<size_t>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("StreamSampler with a StreamDataset through the loader", "[data][libtorch][samplers]") {
  data::samplers::StreamSampler sampler(10);
  std::vector<size_t> sizes;
  while (auto request = sampler.next(4)) sizes.push_back(request->size());
  REQUIRE(sizes == std::vector<size_t>{4, 4, 2});
  REQUIRE_THROWS_WITH(data::make_data_loader(Counter(), 4), Contains("the dataset has no size()"));
  auto loader = data::make_data_loader(Counter(), data::samplers::StreamSampler(10), 4);
  std::vector<int64_t> seen;
  for (Tensor& batch : *loader) {
    for (int64_t v : batch.to_vector<int64_t>()) seen.push_back(v);
  }
  REQUIRE(seen == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST_CASE("The MNIST example's loader loop", "[data][libtorch][loader]") {
  const fs::path root = write_mnist_root("reel_mnist_loop", 10, 7);
  auto train_dataset = data::datasets::MNIST(root.string())
                           .map(data::transforms::Normalize<>(0.1307, 0.3081))
                           .map(data::transforms::Stack<>());
  const size_t train_dataset_size = train_dataset.size().value();
  auto train_loader =
      data::make_data_loader<data::samplers::SequentialSampler>(std::move(train_dataset), 4);
  auto test_dataset = data::datasets::MNIST(root.string(), data::datasets::MNIST::Mode::kTest)
                          .map(data::transforms::Normalize<>(0.1307, 0.3081))
                          .map(data::transforms::Stack<>());
  auto test_loader = data::make_data_loader(std::move(test_dataset), data::DataLoaderOptions().batch_size(3).workers(2));
  size_t seen = 0;
  std::vector<int64_t> targets;
  for (auto& batch : *train_loader) {
    seen += static_cast<size_t>(batch.data.size(0));
    for (int64_t t : batch.target.to_vector<int64_t>()) targets.push_back(t);
  }
  REQUIRE(seen == train_dataset_size);
  REQUIRE(targets == std::vector<int64_t>{0, 3, 6, 9, 2, 5, 8, 1, 4, 7});
  std::multiset<int64_t> test_targets;
  for (const data::Example<>& batch : *test_loader) {
    REQUIRE(batch.data.size(1) == 1);
    for (int64_t t : batch.target.to_vector<int64_t>()) test_targets.insert(t);
  }
  REQUIRE(test_targets == std::multiset<int64_t>{0, 3, 6, 9, 2, 5, 8});
  fs::remove_all(root);
}
