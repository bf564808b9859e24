// reel/test/test_data_loader.cpp — make_data_loader and StatelessDataLoader: order per sampler, drop_last,
// identical batches with and without worker threads, the bounded number of requests in flight, enforce_ordering,
// timeout, stopping mid-epoch, exceptions from workers, grad mode, option checks, pin_memory and device.
#include <reel/reel.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "tensor/error_format.h"

namespace {

using reel::Tensor;
namespace data = reel::data;
using Catch::Contains;

// n rows: data row i = [i, 10 i] (float32), target i (int64), collated by Stack<>.
auto rows(int64_t n) {
  Tensor index = reel::arange(n, reel::kInt64);
  Tensor features = reel::stack({index.to(reel::kFloat32), index.to(reel::kFloat32) * 10}, 1);
  return data::datasets::TensorPairDataset(features, index).map(data::transforms::Stack<>());
}

// A dataset that counts get() calls (over all its copies), can be slow, and throws at one index.
class ProbeDataset : public data::datasets::Dataset<ProbeDataset> {
 public:
  ProbeDataset(size_t n, size_t throw_at = SIZE_MAX, int sleep_us = 0)
      : n_(n), throw_at_(throw_at), sleep_us_(sleep_us), gets_(std::make_shared<std::atomic<int64_t>>(0)) {}
  std::optional<size_t> size() const override { return n_; }
  data::Example<> get(size_t index) override {
    gets_->fetch_add(1);
    if (sleep_us_ > 0) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us_));
    REEL_CHECK(index != throw_at_, "ProbeDataset: item {} is broken", index);
    return {reel::full({2}, static_cast<double>(index)), reel::full({}, static_cast<int64_t>(index), reel::kInt64)};
  }
  std::shared_ptr<std::atomic<int64_t>> counter() const { return gets_; }

 private:
  size_t n_, throw_at_;
  int sleep_us_;
  std::shared_ptr<std::atomic<int64_t>> gets_;
};

// The targets of every batch of one epoch.
template <typename Loader>
std::vector<std::vector<int64_t>> epoch_targets(Loader& loader) {
  std::vector<std::vector<int64_t>> out;
  for (data::Example<>& batch : loader) out.push_back(batch.target.template to_vector<int64_t>());
  return out;
}

std::vector<int64_t> flatten(const std::vector<std::vector<int64_t>>& batches) {
  std::vector<int64_t> out;
  for (const auto& b : batches) out.insert(out.end(), b.begin(), b.end());
  return out;
}

void wait_for_gets(const std::atomic<int64_t>& gets, int64_t expected) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (gets.load() < expected && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace

TEST_CASE("DataLoader with SequentialSampler gives the dataset in order", "[data][loader]") {
  auto loader = data::make_data_loader<data::samplers::SequentialSampler>(rows(10), data::DataLoaderOptions(3));
  static_assert(std::is_same_v<decltype(loader), std::unique_ptr<data::StatelessDataLoader<
                                                     decltype(rows(1)), data::samplers::SequentialSampler>>>);
  int count = 0;
  for (data::Example<>& batch : *loader) {
    const int64_t first = 3 * count;
    const int64_t n = std::min<int64_t>(3, 10 - first);
    REQUIRE(batch.data.sizes() == reel::IntList({n, 2}));
    REQUIRE(batch.data.dtype() == reel::kFloat32);
    REQUIRE(batch.target.dtype() == reel::kInt64);
    std::vector<int64_t> expected(static_cast<size_t>(n));
    std::iota(expected.begin(), expected.end(), first);
    REQUIRE(batch.target.to_vector<int64_t>() == expected);
    REQUIRE(batch.data.select(1, 1).to_vector<float>()[0] == 10.0f * static_cast<float>(first));
    ++count;
  }
  REQUIRE(count == 4);
  REQUIRE(epoch_targets(*loader).size() == 4);  // a second epoch
}

TEST_CASE("DataLoader drop_last drops the short batch", "[data][loader]") {
  using Sequential = data::samplers::SequentialSampler;
  auto loader = data::make_data_loader<Sequential>(rows(10), data::DataLoaderOptions(3).drop_last(true));
  REQUIRE(flatten(epoch_targets(*loader)) == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8});
  auto exact = data::make_data_loader<Sequential>(rows(9), data::DataLoaderOptions(3).drop_last(true));
  REQUIRE(epoch_targets(*exact).size() == 3);
  auto empty = data::make_data_loader<Sequential>(rows(2), data::DataLoaderOptions(3).drop_last(true).workers(2));
  REQUIRE(epoch_targets(*empty).empty());
}

TEST_CASE("DataLoader's default RandomSampler: a new permutation each epoch, reproducible by manual_seed",
          "[data][loader]") {
  std::vector<int64_t> identity(100);
  std::iota(identity.begin(), identity.end(), 0);
  reel::manual_seed(3);
  auto a = data::make_data_loader(rows(100), 8);  // batch size 8, random order: LibTorch's default
  const std::vector<int64_t> a0 = flatten(epoch_targets(*a)), a1 = flatten(epoch_targets(*a));
  reel::manual_seed(3);
  auto b = data::make_data_loader(rows(100), data::DataLoaderOptions().batch_size(8).workers(2));
  const std::vector<int64_t> b0 = flatten(epoch_targets(*b)), b1 = flatten(epoch_targets(*b));
  REQUIRE(a0 == b0);  // the sampler runs on the calling thread: workers do not change the order
  REQUIRE(a1 == b1);
  REQUIRE(a0 != a1);
  REQUIRE(a0 != identity);  // unlike Python's DataLoader, whose default is sequential
  for (const auto* order : {&a0, &a1}) {
    std::vector<int64_t> sorted = *order;
    std::sort(sorted.begin(), sorted.end());
    REQUIRE(sorted == identity);
  }
  reel::manual_seed(4);
  auto c = data::make_data_loader(rows(100), 8);
  REQUIRE(flatten(epoch_targets(*c)) != a0);
}

TEST_CASE("DataLoader with a seeded RandomSampler replays its epochs", "[data][loader]") {
  auto sampler = data::samplers::RandomSampler(100).seed(42);
  auto a = data::make_data_loader(rows(100), sampler, 8);
  auto b = data::make_data_loader(rows(100), sampler, data::DataLoaderOptions(8).workers(3));
  const std::vector<int64_t> a0 = flatten(epoch_targets(*a)), a1 = flatten(epoch_targets(*a));
  REQUIRE(flatten(epoch_targets(*b)) == a0);
  REQUIRE(flatten(epoch_targets(*b)) == a1);
  REQUIRE(a0 != a1);
  REQUIRE(a->sampler().epoch() == 2);
  a->sampler().set_epoch(0);  // resuming replays the shuffles
  REQUIRE(flatten(epoch_targets(*a)) == a0);
  auto other = data::make_data_loader(rows(100), data::samplers::RandomSampler(100).seed(43), 8);
  REQUIRE(flatten(epoch_targets(*other)) != a0);
  // reel's own generator: the same orders on every platform (first items of seed 42, epoch 0).
  REQUIRE(std::vector<int64_t>(a0.begin(), a0.begin() + 6) == std::vector<int64_t>{17, 38, 50, 51, 13, 40});
}

TEST_CASE("DataLoader gives the same batches with 0, 2 and 3 workers", "[data][loader]") {
  for (size_t max_jobs : {1, 2, 6}) {
    const auto sampler = data::samplers::RandomSampler(50).seed(5);
    auto serial = data::make_data_loader(rows(50), sampler, 7);
    auto two = data::make_data_loader(rows(50), sampler, data::DataLoaderOptions(7).workers(2).max_jobs(max_jobs));
    auto three = data::make_data_loader(rows(50), sampler, data::DataLoaderOptions(7).num_workers(3));
    for (int epoch = 0; epoch < 3; ++epoch) {
      std::vector<std::vector<float>> serial_data, two_data;
      std::vector<std::vector<int64_t>> serial_targets, two_targets;
      for (data::Example<>& batch : *serial) {
        serial_data.push_back(batch.data.to_vector<float>());
        serial_targets.push_back(batch.target.to_vector<int64_t>());
      }
      for (const data::Example<>& batch : *two) {
        two_data.push_back(batch.data.to_vector<float>());
        two_targets.push_back(batch.target.to_vector<int64_t>());
      }
      REQUIRE(serial_targets.size() == 8);
      REQUIRE(two_targets == serial_targets);
      REQUIRE(epoch_targets(*three) == serial_targets);
      REQUIRE(two_data == serial_data);
    }
  }
}

TEST_CASE("DataLoader without enforce_ordering gives every batch once", "[data][loader]") {
  auto loader = data::make_data_loader<data::samplers::SequentialSampler>(
      rows(40), data::DataLoaderOptions(3).workers(3).enforce_ordering(false));
  std::vector<int64_t> seen = flatten(epoch_targets(*loader));
  std::sort(seen.begin(), seen.end());
  std::vector<int64_t> identity(40);
  std::iota(identity.begin(), identity.end(), 0);
  REQUIRE(seen == identity);
}

TEST_CASE("DataLoader keeps at most max_jobs requests in flight", "[data][loader]") {
  ProbeDataset probe(400);
  auto gets = probe.counter();
  auto loader = data::make_data_loader<data::samplers::SequentialSampler>(
      probe.map(data::transforms::Stack<>()), data::DataLoaderOptions(4).workers(2).prefetch_factor(3));
  auto it = loader->begin();  // batch 0 handed out; 2 * 3 = 6 requests in flight
  const int64_t expected = 4 * (1 + 6);
  wait_for_gets(*gets, expected);
  REQUIRE(gets->load() == expected);
  ++it;  // one batch taken: one more request
  wait_for_gets(*gets, expected + 4);
  REQUIRE(gets->load() == expected + 4);
  REQUIRE(it->target.to_vector<int64_t>() == std::vector<int64_t>{4, 5, 6, 7});
  auto one = data::make_data_loader<data::samplers::SequentialSampler>(
      probe.map(data::transforms::Stack<>()), data::DataLoaderOptions(4).workers(2).max_jobs(1));
  const int64_t before = gets->load();
  auto it1 = one->begin();
  wait_for_gets(*gets, before + 8);
  REQUIRE(gets->load() == before + 8);  // batch 0 taken, batch 1 in flight
}

TEST_CASE("DataLoader stops its workers when destroyed mid-epoch", "[data][loader]") {
  ProbeDataset probe(100000, SIZE_MAX, 200);  // 0.2 ms per item: an epoch takes ~20 s
  auto gets = probe.counter();
  const auto start = std::chrono::steady_clock::now();
  {
    auto loader = data::make_data_loader(probe.map(data::transforms::Stack<>()), data::DataLoaderOptions(10).workers(2));
    int taken = 0;
    for (data::Example<>& batch : *loader) {
      REQUIRE(batch.target.numel() == 10);
      if (++taken == 3) break;
    }
    auto it = loader->begin();  // a second epoch drops the rest of the first, then is abandoned
    REQUIRE(it != loader->end());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(seconds < 5.0);
  const int64_t after = gets->load();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(gets->load() == after);  // no thread still working
  // At most: per epoch the batches handed out + the 4 requests in flight + one in hand per worker.
  REQUIRE(after <= 10 * ((3 + 4 + 2) + (1 + 4 + 2)));
}

TEST_CASE("DataLoader iterator of an epoch ended by begin() throws", "[data][loader]") {
  auto loader = data::make_data_loader<data::samplers::SequentialSampler>(rows(20), 5);
  auto first = loader->begin();
  auto second = loader->begin();
  REQUIRE(second->target.to_vector<int64_t>()[0] == 0);
  REQUIRE_THROWS_WITH(++first, Contains("ended by a later begin()"));
}

TEST_CASE("DataLoader rethrows a worker exception at its batch", "[data][loader]") {
  for (size_t workers : {0, 2}) {
    CAPTURE(workers);
    auto loader = data::make_data_loader<data::samplers::SequentialSampler>(
        ProbeDataset(20, /*throw_at=*/7).map(data::transforms::Stack<>()), data::DataLoaderOptions(2).workers(workers));
    std::vector<int64_t> seen;
    std::string error;
    auto it = loader->begin();
    while (true) {
      try {
        if (it == loader->end()) break;
        for (int64_t t : it->target.to_vector<int64_t>()) seen.push_back(t);
        ++it;
      } catch (const reel::Error& e) {
        REQUIRE(error.empty());
        error = e.what();
        REQUIRE(seen.size() == 6);  // batches 0, 1, 2 arrived; batch 3 = items 6 and 7 failed
        ++it;                       // the caller may go on with batch 4
      }
    }
    REQUIRE(error == "ProbeDataset: item 7 is broken");
    REQUIRE(seen.size() == 18);
    REQUIRE(seen[6] == 8);
  }
  // In a plain range-for the exception leaves the loop; a new epoch works.
  auto loader = data::make_data_loader(ProbeDataset(1000, /*throw_at=*/3).map(data::transforms::Stack<>()),
                                       data::DataLoaderOptions(2).workers(2));
  REQUIRE_THROWS_WITH(epoch_targets(*loader), "ProbeDataset: item 3 is broken");
}

TEST_CASE("DataLoader timeout", "[data][loader]") {
  auto loader = data::make_data_loader(ProbeDataset(10, SIZE_MAX, 50000).map(data::transforms::Stack<>()),
                                       data::DataLoaderOptions(5).workers(1).timeout(std::chrono::milliseconds(20)));
  REQUIRE_THROWS_WITH(loader->begin(), Contains("DataLoader: timeout: no batch within 20 ms"));
}

TEST_CASE("DataLoader batches without Stack are vectors of examples", "[data][loader]") {
  auto loader = data::make_data_loader<data::samplers::SequentialSampler>(
      data::datasets::TensorPairDataset(reel::zeros({5, 2}), reel::arange(5, reel::kInt64)),
      data::DataLoaderOptions(2).workers(1));
  static_assert(std::is_same_v<decltype(loader)::element_type::BatchType, std::vector<data::Example<>>>);
  std::vector<size_t> sizes;
  for (std::vector<data::Example<>>& batch : *loader) sizes.push_back(batch.size());
  REQUIRE(sizes == std::vector<size_t>{2, 2, 1});
}

TEST_CASE("DataLoader builds batches with grad mode off", "[data][loader]") {
  Tensor features = reel::rand({6, 3}).requires_grad_();
  for (size_t workers : {0, 2}) {
    auto loader = data::make_data_loader(
        data::datasets::TensorPairDataset(features, reel::arange(6, reel::kInt64)).map(data::transforms::Stack<>()),
        data::DataLoaderOptions(3).workers(workers));
    for (data::Example<>& batch : *loader) REQUIRE_FALSE(batch.data.requires_grad());
    REQUIRE(reel::is_grad_enabled());
  }
}

TEST_CASE("DataLoader options are checked", "[data][loader]") {
  REQUIRE_THROWS_WITH(data::make_data_loader(rows(4), data::DataLoaderOptions(0)),
                      "DataLoader: batch_size must be at least 1, got 0");
  REQUIRE_THROWS_WITH(data::make_data_loader(rows(4), data::DataLoaderOptions(2).workers(1000)),
                      "DataLoader: workers must be at most 256, got 1000");
  REQUIRE_THROWS_WITH(data::make_data_loader(rows(4), data::DataLoaderOptions(2).prefetch_factor(0)),
                      "DataLoader: prefetch_factor must be at least 1, got 0");
  REQUIRE_THROWS_WITH(data::make_data_loader(rows(4), data::DataLoaderOptions(2).workers(2).max_jobs(0)),
                      "DataLoader: max_jobs must be at least 1 with 2 workers, got 0");
  REQUIRE_THROWS_WITH(data::datasets::TensorPairDataset(reel::zeros({3, 2}), reel::zeros({4})),
                      Contains("same number of rows, got shapes [3, 2] and [4]"));
  REQUIRE_THROWS_WITH(data::collate(std::vector<Tensor>{reel::zeros({2}), reel::zeros({3})}),
                      "collate: item 1 has shape [3] but item 0 has shape [2]");
  auto words = data::datasets::TensorPairDataset(reel::zeros({3, 2}), reel::zeros({3}))
                   .map(data::transforms::BatchLambda<std::vector<data::Example<>>, std::string>(
                       [](std::vector<data::Example<>> b) { return std::to_string(b.size()); }));
  REQUIRE_THROWS_WITH(data::make_data_loader(words, data::DataLoaderOptions(2).device(reel::Device(reel::kCPU))),
                      Contains("pin_memory and device need to see the tensors of a batch"));
  auto sizes = data::make_data_loader<data::samplers::SequentialSampler>(words, 2);
  std::vector<std::string> got;
  for (std::string& batch : *sizes) got.push_back(batch);
  REQUIRE(got == std::vector<std::string>{"2", "1"});
}

TEST_CASE("DataLoader pin_memory and device", "[data][loader]") {
  for (size_t workers : {0, 2}) {
    auto loader = data::make_data_loader(
        rows(10), data::DataLoaderOptions(4).workers(workers).pin_memory(true).device(reel::Device(reel::kCPU)));
    std::vector<int64_t> seen;
    for (data::Example<>& batch : *loader) {
      REQUIRE(batch.data.is_cpu());
      // Pinned only where a CUDA device exists; without one pin_memory is a no-op, as in PyTorch.
      REQUIRE(batch.data.is_pinned() == reel::cuda::is_available());
      for (int64_t t : batch.target.to_vector<int64_t>()) seen.push_back(t);
    }
    REQUIRE(seen.size() == 10);
  }
  if (!reel::cuda::is_available()) {
    WARN("no CUDA device: DataLoader device=cuda not checked");
    return;
  }
  auto loader = data::make_data_loader<data::samplers::SequentialSampler>(
      rows(10), data::DataLoaderOptions(4).workers(2).pin_memory(true).device(reel::Device(reel::kCUDA)));
  std::vector<int64_t> seen;
  for (data::Example<>& batch : *loader) {
    REQUIRE(batch.data.is_cuda());
    REQUIRE(batch.target.is_cuda());
    for (int64_t t : batch.target.to_vector<int64_t>()) seen.push_back(t);
  }
  REQUIRE(seen == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}
