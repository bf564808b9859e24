// reel/data/dataloader.cpp — the parts of datasets and the data loader that need no templates: TensorDataset,
// TensorPairDataset, the collation behind transforms::Stack, option checks, pinning, and the loader's worker
// threads (WorkerPool: a job queue in request order and the finished batches, type-erased).
#include "dataloader.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "../tensor/error_format.h"
#include "../tensor/shape.h"

namespace reel::data {

// ---- TensorDataset, TensorPairDataset --------------------------------------------------------------------------
namespace datasets {

TensorDataset::TensorDataset(const std::vector<Tensor>& tensors) : TensorDataset(collate(tensors)) {}

TensorDataset::TensorDataset(Tensor tensor_) : tensor(std::move(tensor_)) {
  REEL_CHECK(tensor.defined() && tensor.dim() >= 1, "data::datasets::TensorDataset: the tensor needs a first (row) "
             "dimension, got {}", tensor.defined() ? shape_str(tensor.sizes()) : std::string("an undefined tensor"));
}

TensorExample TensorDataset::get(size_t index) {
  REEL_CHECK(index < static_cast<size_t>(tensor.size(0)), "data::datasets::TensorDataset: index {} is out of range "
             "for {} rows", index, tensor.size(0));
  return tensor.select(0, static_cast<int64_t>(index));
}

TensorPairDataset::TensorPairDataset(Tensor data, Tensor target) : data_(std::move(data)), target_(std::move(target)) {
  REEL_CHECK(data_.defined() && target_.defined(), "TensorPairDataset: data and target must be defined tensors");
  REEL_CHECK(data_.dim() >= 1 && target_.dim() >= 1,
             "TensorPairDataset: data and target need a first (row) dimension, got shapes {} and {}",
             shape_str(data_.sizes()), shape_str(target_.sizes()));
  REEL_CHECK(data_.size(0) == target_.size(0),
             "TensorPairDataset: data and target must have the same number of rows, got shapes {} and {}",
             shape_str(data_.sizes()), shape_str(target_.sizes()));
}

Example<> TensorPairDataset::get(size_t index) {
  REEL_CHECK(index < static_cast<size_t>(data_.size(0)), "TensorPairDataset: index {} is out of range for {} rows",
             index, data_.size(0));
  const int64_t i = static_cast<int64_t>(index);
  return {data_.select(0, i), target_.select(0, i)};
}

}  // namespace datasets

// ---- Normalize's checks -----------------------------------------------------------------------------------------
namespace transforms::detail {

Tensor normalize_column(const std::vector<double>& values, const char* what) {
  REEL_CHECK(!values.empty(), "data::transforms::Normalize: {} is empty", what);
  return tensor(values, kFloat32).unsqueeze(1).unsqueeze(2);
}

void check_normalize_sizes(size_t means, size_t stddevs) {
  REEL_CHECK(means == stddevs || means == 1 || stddevs == 1,
             "data::transforms::Normalize: mean has {} values but stddev has {}", means, stddevs);
}

void check_normalize_input(const Tensor& input, int64_t channels) {
  REEL_CHECK(input.defined() && input.dim() >= 1,
             "data::transforms::Normalize: the data must be a tensor [C, H, W] (or broadcast with [{}, 1, 1])",
             channels);
}

}  // namespace transforms::detail

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

Example<> collate(const std::vector<Example<>>& items) {
  REEL_CHECK(!items.empty(), "collate: no items to stack");
  std::vector<Tensor> data, target;
  data.reserve(items.size());
  target.reserve(items.size());
  for (const Example<>& item : items) {
    data.push_back(item.data);
    target.push_back(item.target);
  }
  Example<> batch;
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

// ---- options -----------------------------------------------------------------------------------------------------
namespace detail {

void check_options(const DataLoaderOptions& options, bool batch_is_visitable) {
  REEL_CHECK(options.batch_size() >= 1, "DataLoader: batch_size must be at least 1, got {}", options.batch_size());
  REEL_CHECK(options.workers() <= 256, "DataLoader: workers must be at most 256, got {}", options.workers());
  REEL_CHECK(options.prefetch_factor() >= 1, "DataLoader: prefetch_factor must be at least 1, got {}",
             options.prefetch_factor());
  REEL_CHECK(options.workers() == 0 || !options.max_jobs() || *options.max_jobs() >= 1,
             "DataLoader: max_jobs must be at least 1 with {} workers, got 0", options.workers());
  REEL_CHECK(!options.timeout_ms() || *options.timeout_ms() > 0, "DataLoader: timeout must be positive, got {} ms",
             options.timeout_ms().value_or(0));
  REEL_CHECK(batch_is_visitable || (!options.pin_memory() && !options.device()),
             "DataLoader: pin_memory and device need to see the tensors of a batch; this batch type has no "
             "for_each_tensor overload (see data/dataloader.h)");
}

bool pinning_enabled(const DataLoaderOptions& options) { return options.pin_memory() && cuda::is_available(); }

Tensor pin(const Tensor& tensor) { return tensor.is_cpu() ? tensor.pin_memory() : tensor; }

void throw_stale_iterator() {
  throw_error("DataLoader: this iterator's epoch was ended by a later begin() on the same loader");
}

// ---- the worker threads --------------------------------------------------------------------------------------
struct WorkerPool::Shared {
  struct Queued {
    int64_t sequence;
    Job job;
  };

  void work(size_t w) {
    for (;;) {
      Queued queued{-1, nullptr};
      {
        std::unique_lock<std::mutex> lock(mutex);
        job_ready.wait(lock, [&] { return stop || !jobs.empty(); });
        if (stop) return;
        queued = std::move(jobs.front());
        jobs.pop_front();
        ++running;
      }
      Result result;
      result.sequence = queued.sequence;
      try {
        result.batch = queued.job(w);
      } catch (...) {
        result.error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mutex);
        --running;
        if (!discard) results.emplace(result.sequence, std::move(result));
        else dropped.push_back(std::move(result));
      }
      result_ready.notify_all();
    }
  }

  std::mutex mutex;
  std::condition_variable job_ready;     // a job was queued (or stop)
  std::condition_variable result_ready;  // a job finished
  std::deque<Queued> jobs;
  std::map<int64_t, Result> results;     // finished, by sequence number
  std::vector<Result> dropped;           // finished while draining: released by the draining thread
  size_t running = 0;
  bool stop = false;
  bool discard = false;
  std::vector<std::thread> threads;
};

WorkerPool::WorkerPool(size_t workers) : shared_(std::make_unique<Shared>()) {
  try {
    for (size_t w = 0; w < workers; ++w) shared_->threads.emplace_back([shared = shared_.get(), w] { shared->work(w); });
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      shared_->stop = true;
    }
    shared_->job_ready.notify_all();
    for (std::thread& thread : shared_->threads) thread.join();
    throw;
  }
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->stop = true;
    shared_->jobs.clear();
  }
  shared_->job_ready.notify_all();
  for (std::thread& thread : shared_->threads) {
    if (thread.joinable()) thread.join();
  }
  // The batches nobody took are released here, on the destroying thread.
  shared_->results.clear();
}

void WorkerPool::push(int64_t sequence, Job job) {
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->jobs.push_back({sequence, std::move(job)});
  }
  shared_->job_ready.notify_one();
}

WorkerPool::Result WorkerPool::pop(std::optional<int64_t> wanted, std::optional<int64_t> timeout_ms) {
  Result result;
  {
    std::unique_lock<std::mutex> lock(shared_->mutex);
    auto available = [&] {
      return wanted ? shared_->results.count(*wanted) != 0 : !shared_->results.empty();
    };
    if (timeout_ms) {
      if (!shared_->result_ready.wait_for(lock, std::chrono::milliseconds(*timeout_ms), available)) {
        throw_error(fmt::format("DataLoader: timeout: no batch within {} ms (timeout option)", *timeout_ms));
      }
    } else {
      shared_->result_ready.wait(lock, available);
    }
    auto it = wanted ? shared_->results.find(*wanted) : shared_->results.begin();
    result = std::move(it->second);
    shared_->results.erase(it);
  }
  return result;
}

void WorkerPool::drain() {
  std::map<int64_t, Result> results;
  std::vector<Result> dropped;
  {
    std::unique_lock<std::mutex> lock(shared_->mutex);
    shared_->jobs.clear();
    shared_->discard = true;
    shared_->result_ready.wait(lock, [&] { return shared_->running == 0; });
    shared_->discard = false;
    results.swap(shared_->results);
    dropped.swap(shared_->dropped);
  }
  // results and dropped are released here, outside the lock
}

}  // namespace detail

}  // namespace reel::data
