// reel/test/test_data_loader.cpp — datasets and the DataLoader: order, shuffling per seed and epoch, drop_last,
// collate, identical batches with and without worker threads, the bounded prefetch, stopping mid-epoch,
// exceptions from workers, pin_memory and device.
#include <reel/reel.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <numeric>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tensor/error_format.h"

namespace {

using reel::Tensor;
namespace data = reel::data;
using Catch::Contains;

// n rows: data row i = [i, 10 i] (float32), target i (int64).
std::shared_ptr<data::TensorDataset> rows(int64_t n) {
  Tensor index = reel::arange(n, reel::kInt64);
  Tensor features = reel::stack({index.to(reel::kFloat32), index.to(reel::kFloat32) * 10}, 1);
  return std::make_shared<data::TensorDataset>(features, index);
}

// A dataset that counts get() calls, can be slow, and throws at one index.
class ProbeDataset : public data::Dataset<data::Example> {
 public:
  ProbeDataset(int64_t n, int64_t throw_at = -1, int sleep_us = 0) : n_(n), throw_at_(throw_at), sleep_us_(sleep_us) {}
  int64_t size() const override { return n_; }
  data::Example get(int64_t index) const override {
    gets_.fetch_add(1);
    if (sleep_us_ > 0) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us_));
    REEL_CHECK(index != throw_at_, "ProbeDataset: item {} is broken", index);
    return {reel::full({2}, static_cast<double>(index)), reel::full({}, index, reel::kInt64)};
  }
  int64_t gets() const { return gets_.load(); }

 private:
  int64_t n_, throw_at_;
  int sleep_us_;
  mutable std::atomic<int64_t> gets_{0};
};

// The targets of every batch of one epoch.
template <typename Loader>
std::vector<std::vector<int64_t>> epoch_targets(Loader& loader) {
  std::vector<std::vector<int64_t>> out;
  for (data::Example& batch : loader) out.push_back(batch.target.template to_vector<int64_t>());
  return out;
}

std::vector<int64_t> flatten(const std::vector<std::vector<int64_t>>& batches) {
  std::vector<int64_t> out;
  for (const auto& b : batches) out.insert(out.end(), b.begin(), b.end());
  return out;
}

}  // namespace

TEST_CASE("DataLoader without shuffle gives the dataset in order", "[data][loader]") {
  auto loader = data::make_data_loader(rows(10), data::DataLoaderOptions(3));
  REQUIRE(loader.size() == 4);
  int count = 0;
  for (data::Example& batch : loader) {
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
  REQUIRE(loader.epoch() == 1);
}

TEST_CASE("DataLoader drop_last drops the short batch", "[data][loader]") {
  auto loader = data::make_data_loader(rows(10), data::DataLoaderOptions(3).drop_last(true));
  REQUIRE(loader.size() == 3);
  REQUIRE(flatten(epoch_targets(loader)) == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8});
  auto exact = data::make_data_loader(rows(9), data::DataLoaderOptions(3).drop_last(true));
  REQUIRE(epoch_targets(exact).size() == 3);
  auto empty = data::make_data_loader(rows(2), data::DataLoaderOptions(3).drop_last(true).num_workers(2));
  REQUIRE(empty.size() == 0);
  REQUIRE(epoch_targets(empty).empty());
}

TEST_CASE("DataLoader shuffle is deterministic per seed and new each epoch", "[data][loader]") {
  const auto options = data::DataLoaderOptions(8).shuffle(true).seed(42);
  auto a = data::make_data_loader(rows(100), options);
  auto b = data::make_data_loader(rows(100), options);
  const std::vector<int64_t> a0 = flatten(epoch_targets(a)), a1 = flatten(epoch_targets(a));
  const std::vector<int64_t> b0 = flatten(epoch_targets(b)), b1 = flatten(epoch_targets(b));
  REQUIRE(a0 == b0);
  REQUIRE(a1 == b1);
  REQUIRE(a0 != a1);
  std::vector<int64_t> identity(100);
  std::iota(identity.begin(), identity.end(), 0);
  REQUIRE(a0 != identity);
  for (const auto* order : {&a0, &a1}) {  // each epoch is a permutation
    std::vector<int64_t> sorted = *order;
    std::sort(sorted.begin(), sorted.end());
    REQUIRE(sorted == identity);
  }
  a.set_epoch(0);  // resuming replays the shuffles
  REQUIRE(flatten(epoch_targets(a)) == a0);
  auto other = data::make_data_loader(rows(100), data::DataLoaderOptions(8).shuffle(true).seed(43));
  REQUIRE(flatten(epoch_targets(other)) != a0);
  // The shuffle is reel's own generator: the same orders on every platform (first items of seed 42, epoch 0).
  REQUIRE(std::vector<int64_t>(a0.begin(), a0.begin() + 6) == std::vector<int64_t>{17, 38, 50, 51, 13, 40});
}

TEST_CASE("DataLoader gives the same batches with 0 and 2 workers", "[data][loader]") {
  for (int prefetch : {1, 2}) {
    const auto options = data::DataLoaderOptions(7).shuffle(true).seed(5).prefetch_factor(prefetch);
    auto serial = data::make_data_loader(rows(50), options);
    auto two = data::make_data_loader(rows(50), data::DataLoaderOptions(options).num_workers(2));
    auto three = data::make_data_loader(rows(50), data::DataLoaderOptions(options).num_workers(3));
    for (int epoch = 0; epoch < 3; ++epoch) {
      std::vector<std::vector<float>> serial_data, two_data;
      std::vector<std::vector<int64_t>> serial_targets, two_targets, three_targets;
      for (data::Example& batch : serial) {
        serial_data.push_back(batch.data.to_vector<float>());
        serial_targets.push_back(batch.target.to_vector<int64_t>());
      }
      for (data::Example& batch : two) {
        two_data.push_back(batch.data.to_vector<float>());
        two_targets.push_back(batch.target.to_vector<int64_t>());
      }
      three_targets = epoch_targets(three);
      REQUIRE(serial_targets.size() == 8);
      REQUIRE(two_targets == serial_targets);
      REQUIRE(three_targets == serial_targets);
      REQUIRE(two_data == serial_data);
    }
  }
}

TEST_CASE("DataLoader workers prefetch at most prefetch_factor batches each", "[data][loader]") {
  auto dataset = std::make_shared<ProbeDataset>(400);
  auto loader = data::make_data_loader(dataset, data::DataLoaderOptions(4).num_workers(2).prefetch_factor(3));
  auto it = loader.begin();  // batch 0 handed out; the workers fill their queues to 3 batches each
  const int64_t expected = 4 * (1 + 2 * 3);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (dataset->gets() < expected && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(dataset->gets() == expected);
  ++it;  // one batch taken: its worker builds exactly one more
  const int64_t after = expected + 4;
  while (dataset->gets() < after && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(dataset->gets() == after);
  REQUIRE(it->target.to_vector<int64_t>() == std::vector<int64_t>{4, 5, 6, 7});
}

TEST_CASE("DataLoader stops its workers when destroyed mid-epoch", "[data][loader]") {
  auto dataset = std::make_shared<ProbeDataset>(100000, -1, 200);  // 0.2 ms per item: an epoch takes ~20 s
  const auto start = std::chrono::steady_clock::now();
  {
    auto loader = data::make_data_loader(dataset, data::DataLoaderOptions(10).num_workers(2));
    int taken = 0;
    for (data::Example& batch : loader) {
      REQUIRE(batch.target.numel() == 10);
      if (++taken == 3) break;  // leaves the loop: the iterator (and its workers) is destroyed here
    }
    auto it = loader.begin();  // a second epoch, abandoned with the loader still alive
    REQUIRE(it != loader.end());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(seconds < 5.0);
  REQUIRE(dataset.use_count() == 1);  // nothing else holds the dataset: workers and queues are gone
  const int64_t gets = dataset->gets();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(dataset->gets() == gets);  // no thread still working
  // At most: batches handed out + 2 queues of prefetch 2 + the batch each worker had in hand, per epoch.
  REQUIRE(gets <= 10 * ((3 + 2 * 2 + 2) + (1 + 2 * 2 + 2)));
}

TEST_CASE("DataLoader iterator outlives its loader", "[data][loader]") {
  auto dataset = rows(20);
  std::optional<data::DataLoader<>::Iterator> it;
  {
    auto loader = data::make_data_loader(dataset, data::DataLoaderOptions(5).num_workers(2));
    it.emplace(loader.begin());
  }
  std::vector<int64_t> seen;
  for (; *it != std::default_sentinel; ++*it) {
    for (int64_t t : (**it).target.to_vector<int64_t>()) seen.push_back(t);
  }
  REQUIRE(seen.size() == 20);
  REQUIRE(seen.back() == 19);
}

TEST_CASE("DataLoader rethrows a worker exception at its batch", "[data][loader]") {
  for (int workers : {0, 2}) {
    CAPTURE(workers);
    auto dataset = std::make_shared<ProbeDataset>(20, /*throw_at=*/7);
    auto loader = data::make_data_loader(dataset, data::DataLoaderOptions(2).num_workers(workers));
    std::vector<int64_t> seen;
    std::string error;
    auto it = loader.begin();
    while (true) {
      try {
        if (it == loader.end()) break;
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
  // In a plain range-for the exception leaves the loop; the workers are stopped and joined.
  auto dataset = std::make_shared<ProbeDataset>(1000, /*throw_at=*/3);
  auto loader = data::make_data_loader(dataset, data::DataLoaderOptions(2).num_workers(2));
  REQUIRE_THROWS_WITH(epoch_targets(loader), "ProbeDataset: item 3 is broken");
  REQUIRE(dataset.use_count() == 2);  // this test's handle and the loader's
}

TEST_CASE("DataLoader with map custom collate and non-tensor items", "[data][loader]") {
  auto scaled = data::map(rows(6), [](data::Example e) {
    e.data = e.data * 2;
    return e;
  });
  auto loader = data::make_data_loader(scaled, data::DataLoaderOptions(4).num_workers(1));
  std::vector<float> firsts;
  for (data::Example& batch : loader) firsts.push_back(batch.data.select(1, 1).to_vector<float>()[0]);
  REQUIRE(firsts == std::vector<float>{0.0f, 80.0f});

  // A collate into another batch type: the sum of the targets and the batch's size.
  auto sums = data::make_data_loader(rows(6), data::DataLoaderOptions(4).num_workers(2),
                                     [](std::vector<data::Example> items) {
                                       int64_t total = 0;
                                       for (const data::Example& e : items) total += e.target.item<int64_t>();
                                       return std::pair<int64_t, size_t>(total, items.size());
                                     });
  std::vector<std::pair<int64_t, size_t>> got;
  for (auto& batch : sums) got.push_back(batch);
  REQUIRE(got == std::vector<std::pair<int64_t, size_t>>{{6, 4}, {9, 2}});

  // Items collate() does not know (trees, strings) arrive as a std::vector of the items.
  auto words = data::map(rows(5), [](data::Example e) { return std::to_string(e.target.item<int64_t>()); });
  auto word_loader = data::make_data_loader(words, data::DataLoaderOptions(2));
  static_assert(std::is_same_v<decltype(word_loader)::BatchType, std::vector<std::string>>);
  std::vector<std::string> joined;
  for (std::vector<std::string>& batch : word_loader) joined.push_back(batch.front() + "-" + batch.back());
  REQUIRE(joined == std::vector<std::string>{"0-1", "2-3", "4-4"});
  REQUIRE_THROWS_WITH(data::make_data_loader(words, data::DataLoaderOptions(2).device(reel::Device(reel::kCPU))),
                      Contains("pin_memory and device need to see the tensors of a batch"));
}

TEST_CASE("DataLoader builds batches with grad mode off", "[data][loader]") {
  Tensor features = reel::rand({6, 3}).requires_grad_();
  auto dataset = std::make_shared<data::TensorDataset>(features, reel::arange(6, reel::kInt64));
  for (int workers : {0, 2}) {
    auto loader = data::make_data_loader(dataset, data::DataLoaderOptions(3).num_workers(workers));
    for (data::Example& batch : loader) REQUIRE_FALSE(batch.data.requires_grad());
    REQUIRE(reel::is_grad_enabled());
  }
}

TEST_CASE("DataLoader options are checked", "[data][loader]") {
  REQUIRE_THROWS_WITH(data::make_data_loader(rows(4), data::DataLoaderOptions(0)),
                      "DataLoader: batch_size must be at least 1, got 0");
  REQUIRE_THROWS_WITH(data::make_data_loader(rows(4), data::DataLoaderOptions(2).num_workers(-1)),
                      "DataLoader: num_workers must be at least 0, got -1");
  REQUIRE_THROWS_WITH(data::make_data_loader(rows(4), data::DataLoaderOptions(2).prefetch_factor(0)),
                      "DataLoader: prefetch_factor must be at least 1, got 0");
  REQUIRE_THROWS_WITH(data::TensorDataset(reel::zeros({3, 2}), reel::zeros({4})),
                      Contains("same number of rows, got shapes [3, 2] and [4]"));
  REQUIRE_THROWS_WITH(data::collate(std::vector<Tensor>{reel::zeros({2}), reel::zeros({3})}),
                      "collate: item 1 has shape [3] but item 0 has shape [2]");
}

TEST_CASE("DataLoader pin_memory and device", "[data][loader]") {
  for (int workers : {0, 2}) {
    auto loader = data::make_data_loader(
        rows(10), data::DataLoaderOptions(4).num_workers(workers).pin_memory(true).device(reel::Device(reel::kCPU)));
    std::vector<int64_t> seen;
    for (data::Example& batch : loader) {
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
  auto loader = data::make_data_loader(
      rows(10), data::DataLoaderOptions(4).num_workers(2).pin_memory(true).device(reel::Device(reel::kCUDA)));
  std::vector<int64_t> seen;
  for (data::Example& batch : loader) {
    REQUIRE(batch.data.is_cuda());
    REQUIRE(batch.target.is_cuda());
    for (int64_t t : batch.target.to_vector<int64_t>()) seen.push_back(t);
  }
  REQUIRE(seen == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}
