// reel/data/dataloader.cpp — the parts of datasets and the DataLoader that need no templates: TensorDataset,
// the default collate functions, option checks, the epoch's index order (the shuffle), pinning, and the worker
// threads that build an epoch's batches ahead (BatchWorkers: per-worker queues of type-erased batches).
//
// The shuffle is a Fisher-Yates pass driven by splitmix64, seeded from (seed, epoch) alone, with unbiased
// bounded draws (Lemire's multiply-and-reject). It is reel's own generator, so the orders are the same on every
// platform and compiler, but they are not the orders of PyTorch's RandomSampler.
#include "dataloader.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>

#include "../tensor/error_format.h"
#include "../tensor/shape.h"

namespace reel::data {

// ---- TensorDataset ------------------------------------------------------------------------------------------
TensorDataset::TensorDataset(Tensor data, Tensor target) : data_(std::move(data)), target_(std::move(target)) {
  REEL_CHECK(data_.defined() && target_.defined(), "TensorDataset: data and target must be defined tensors");
  REEL_CHECK(data_.dim() >= 1 && target_.dim() >= 1,
             "TensorDataset: data and target need a first (row) dimension, got shapes {} and {}",
             shape_str(data_.sizes()), shape_str(target_.sizes()));
  REEL_CHECK(data_.size(0) == target_.size(0),
             "TensorDataset: data and target must have the same number of rows, got shapes {} and {}",
             shape_str(data_.sizes()), shape_str(target_.sizes()));
}

Example TensorDataset::get(int64_t index) const {
  REEL_CHECK(index >= 0 && index < size(), "TensorDataset: index {} is out of range for {} rows", index, size());
  return Example{data_.select(0, index), target_.select(0, index)};
}

// ---- collate -------------------------------------------------------------------------------------------------
namespace {

// Every item defined and of item 0's shape, dtype and device; `what` names the field for Examples.
void check_stackable(const std::vector<Tensor>& items, const char* what) {
  REEL_CHECK(!items.empty(), "collate: no items to stack");
  const Tensor& first = items.front();
  for (size_t i = 0; i < items.size(); ++i) {
    const Tensor& item = items[i];
    REEL_CHECK(item.defined(), "collate: {}item {} is an undefined tensor", what, i);
    REEL_CHECK(item.sizes() == first.sizes(), "collate: {}item {} has shape {} but item 0 has shape {}", what, i,
               shape_str(item.sizes()), shape_str(first.sizes()));
    REEL_CHECK(item.dtype() == first.dtype(), "collate: {}item {} has dtype {} but item 0 has dtype {}", what, i,
               dtype_name(item.dtype()), dtype_name(first.dtype()));
    REEL_CHECK(item.device() == first.device(), "collate: {}item {} is on {} but item 0 is on {}", what, i,
               item.device().str(), first.device().str());
  }
}

Tensor stack_checked(const std::vector<Tensor>& items, const char* what) {
  check_stackable(items, what);
  return reel::stack(items, 0);
}

}  // namespace

Tensor collate(const std::vector<Tensor>& items) { return stack_checked(items, ""); }

Example collate(const std::vector<Example>& items) {
  REEL_CHECK(!items.empty(), "collate: no items to stack");
  std::vector<Tensor> data, target;
  data.reserve(items.size());
  target.reserve(items.size());
  for (const Example& item : items) {
    data.push_back(item.data);
    target.push_back(item.target);
  }
  Example batch;
  batch.data = stack_checked(data, "data of ");
  // Examples without targets (unlabelled data) collate to an undefined target.
  const bool no_targets = std::all_of(target.begin(), target.end(), [](const Tensor& t) { return !t.defined(); });
  if (!no_targets) batch.target = stack_checked(target, "target of ");
  return batch;
}

std::vector<Tensor> collate(const std::vector<std::vector<Tensor>>& items) {
  REEL_CHECK(!items.empty(), "collate: no items to stack");
  const size_t fields = items.front().size();
  std::vector<Tensor> batch;
  batch.reserve(fields);
  for (size_t f = 0; f < fields; ++f) {
    std::vector<Tensor> column;
    column.reserve(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      REEL_CHECK(items[i].size() == fields, "collate: item {} has {} tensors but item 0 has {}", i, items[i].size(),
                 fields);
      column.push_back(items[i][f]);
    }
    const std::string what = "field " + std::to_string(f) + " of ";
    batch.push_back(stack_checked(column, what.c_str()));
  }
  return batch;
}

// ---- the tensors of a batch ------------------------------------------------------------------------------------
void for_each_tensor(Tensor& tensor, const TensorVisitor& visit) {
  if (tensor.defined()) visit(tensor);
}

void for_each_tensor(Example& example, const TensorVisitor& visit) {
  for_each_tensor(example.data, visit);
  for_each_tensor(example.target, visit);
}

// ---- options and the epoch's order -----------------------------------------------------------------------------
namespace detail {

void check_options(const DataLoaderOptions& options, int64_t dataset_size, bool batch_is_visitable) {
  REEL_CHECK(options.batch_size() >= 1, "DataLoader: batch_size must be at least 1, got {}", options.batch_size());
  REEL_CHECK(options.num_workers() >= 0, "DataLoader: num_workers must be at least 0, got {}", options.num_workers());
  REEL_CHECK(options.num_workers() <= 256, "DataLoader: num_workers must be at most 256, got {}",
             options.num_workers());
  REEL_CHECK(options.prefetch_factor() >= 1, "DataLoader: prefetch_factor must be at least 1, got {}",
             options.prefetch_factor());
  REEL_CHECK(dataset_size >= 0, "DataLoader: the dataset reports a negative size {}", dataset_size);
  REEL_CHECK(batch_is_visitable || (!options.pin_memory() && !options.device()),
             "DataLoader: pin_memory and device need to see the tensors of a batch; this batch type has no "
             "for_each_tensor overload (see data/dataloader.h)");
}

int64_t batch_count(int64_t dataset_size, int64_t batch_size, bool drop_last) {
  if (drop_last) return dataset_size / batch_size;
  return (dataset_size + batch_size - 1) / batch_size;
}

namespace {

// splitmix64 (Steele, Lea and Flood 2014): a full-period 64-bit generator with well-mixed outputs.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t state) : state_(state) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound), bound >= 1, without modulo bias (Lemire 2019).
  uint64_t below(uint64_t bound) {
    __uint128_t product = static_cast<__uint128_t>(next()) * bound;
    uint64_t low = static_cast<uint64_t>(product);
    if (low < bound) {
      const uint64_t threshold = (0 - bound) % bound;
      while (low < threshold) {
        product = static_cast<__uint128_t>(next()) * bound;
        low = static_cast<uint64_t>(product);
      }
    }
    return static_cast<uint64_t>(product >> 64);
  }

 private:
  uint64_t state_;
};

}  // namespace

std::vector<int64_t> epoch_order(int64_t dataset_size, bool shuffle, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(dataset_size));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (!shuffle || dataset_size < 2) return order;
  // One generator per (seed, epoch): the seed is mixed once so that nearby seeds and epochs give unrelated
  // streams.
  SplitMix64 mixer(seed);
  SplitMix64 rng(mixer.next() ^ (static_cast<uint64_t>(epoch) * 0xd1342543de82ef95ULL));
  for (int64_t i = dataset_size - 1; i > 0; --i) {
    const int64_t j = static_cast<int64_t>(rng.below(static_cast<uint64_t>(i) + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

bool pinning_enabled(const DataLoaderOptions& options) { return options.pin_memory() && cuda::is_available(); }

Tensor pin(const Tensor& tensor) { return tensor.is_cpu() ? tensor.pin_memory() : tensor; }

// ---- the worker threads --------------------------------------------------------------------------------------
struct BatchWorkers::Shared {
  // A finished batch, or what building it threw.
  struct Slot {
    std::shared_ptr<void> batch;
    std::exception_ptr error;
  };

  Shared(int prefetch_factor, int64_t batch_total, Build build_batch)
      : prefetch(prefetch_factor), batches(batch_total), build(std::move(build_batch)) {}

  void work(int w) {
    const int64_t workers = static_cast<int64_t>(queues.size());
    std::deque<Slot>& queue = queues[static_cast<size_t>(w)];
    for (int64_t k = w; k < batches; k += workers) {
      {
        std::unique_lock<std::mutex> lock(mutex);
        space.wait(lock, [&] { return stop || static_cast<int64_t>(queue.size()) < prefetch; });
        if (stop) return;
      }
      Slot slot;
      try {
        slot.batch = build(k);
      } catch (...) {
        slot.error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mutex);
        queue.push_back(std::move(slot));
      }
      ready.notify_all();
    }
  }

  void stop_and_join() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop = true;
    }
    space.notify_all();
    for (std::thread& thread : threads) {
      if (thread.joinable()) thread.join();
    }
    threads.clear();
    queues.clear();  // unread batches are released here, on the consumer's thread
  }

  const int prefetch;
  const int64_t batches;
  Build build;
  std::mutex mutex;
  std::condition_variable space;  // a worker's queue has room (or stop)
  std::condition_variable ready;  // a queue got a batch
  std::vector<std::deque<Slot>> queues;
  std::vector<std::thread> threads;
  bool stop = false;
};

BatchWorkers::BatchWorkers(int workers, int prefetch, int64_t batches, Build build)
    : shared_(std::make_unique<Shared>(prefetch, batches, std::move(build))) {
  shared_->queues.resize(static_cast<size_t>(workers));
  try {
    for (int w = 0; w < workers; ++w) shared_->threads.emplace_back([shared = shared_.get(), w] { shared->work(w); });
  } catch (...) {
    shared_->stop_and_join();
    throw;
  }
}

BatchWorkers::~BatchWorkers() { shared_->stop_and_join(); }

std::shared_ptr<void> BatchWorkers::take(int64_t k) {
  const int64_t workers = static_cast<int64_t>(shared_->queues.size());
  std::deque<Shared::Slot>& queue = shared_->queues[static_cast<size_t>(k % workers)];
  Shared::Slot slot;
  {
    std::unique_lock<std::mutex> lock(shared_->mutex);
    shared_->ready.wait(lock, [&] { return !queue.empty(); });
    slot = std::move(queue.front());
    queue.pop_front();
  }
  shared_->space.notify_all();
  if (slot.error) std::rethrow_exception(slot.error);
  return std::move(slot.batch);
}

}  // namespace detail

}  // namespace reel::data
