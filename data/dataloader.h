// reel/data/dataloader.h — make_data_loader and StatelessDataLoader, as LibTorch spells them.
//
//   auto train = reel::data::datasets::MNIST(root).map(reel::data::transforms::Stack<>());
//   auto loader = reel::data::make_data_loader(std::move(train),
//                                              reel::data::DataLoaderOptions().batch_size(64).workers(2));
//   for (reel::data::Example<>& batch : *loader) { ... batch.data [64,1,28,28], batch.target [64] ... }
//
// make_data_loader<Sampler = samplers::RandomSampler>(dataset, options) returns a
// std::unique_ptr<StatelessDataLoader<Dataset, Sampler>>; the sampler is Sampler(dataset.size().value()).
// THE DEFAULT ORDER IS RANDOM, as in LibTorch (Python's DataLoader defaults to sequential): pass
// samplers::SequentialSampler for the file order. make_data_loader(dataset, sampler, options) takes a sampler
// made by hand (e.g. samplers::RandomSampler(n).seed(0) for orders independent of the global generator).
//
// Semantics: each begin() starts an epoch (the sampler's reset()), the iterator hands out the batches until
// the sampler is used up; with drop_last a last short batch is dropped. With workers = 0 the calling thread
// builds each batch (dataset.get_batch(indices)) when the iterator advances. With workers = W > 0, W threads
// each own a copy of the dataset and build batches ahead: at most max_jobs (default 2 W) requests are in flight;
// with enforce_ordering (the default) the batches come out in the sampler's order, otherwise as they are done.
// Batches are built with grad mode off. An exception thrown while building a batch (by the dataset, a transform,
// the collation) is rethrown, as the same object, when the iterator reaches that batch; the iterator then
// compares equal to end(), and a caller that catches it may ++ it to go on with the next batch. With
// timeout(ms), waiting longer than that for a batch throws reel::Error. Destroying the loader stops the
// workers (each finishes at most the batch in hand) and joins them. The loader must outlive its iterators.
// A new begin() while an iterator of the last epoch is not at its end drops the rest of that epoch (LibTorch
// refuses with an error when workers > 0); the old iterator then throws if advanced.
//
// reel's additions to DataLoaderOptions: num_workers (= workers), prefetch_factor (max_jobs defaults to
// prefetch_factor * workers), pin_memory (copies each batch's tensors into page-locked memory on the worker,
// when CUDA is available) and device (moves each batch's tensors there with non_blocking as it is handed out).
// Both need to see the tensors inside a batch: Tensor, Example<...>, and std::vector, std::pair and std::tuple
// of those are known; for an own batch type, define `void for_each_tensor(MyBatch&, const
// reel::data::TensorVisitor&)` in its namespace.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../nn/arg.h"
#include "../tensor/callback.h"
#include "../tensor/device.h"
#include "../tensor/grad_mode.h"
#include "datasets.h"
#include "samplers.h"
#include "transforms.h"

namespace reel::data {

struct DataLoaderOptions {
  DataLoaderOptions() = default;
  DataLoaderOptions(size_t batch_size) : batch_size_(batch_size) {}  // NOLINT: implicit as LibTorch's
  REEL_ARG(size_t, batch_size) = 1;
  REEL_ARG(size_t, workers) = 0;                                  // threads building batches; 0: the caller's
  REEL_ARG(std::optional<size_t>, max_jobs);                      // requests in flight (default prefetch * workers)
  REEL_ARG(bool, enforce_ordering) = true;
  REEL_ARG(bool, drop_last) = false;
  // reel's additions
  REEL_ARG(size_t, prefetch_factor) = 2;
  REEL_ARG(bool, pin_memory) = false;
  REEL_ARG(std::optional<Device>, device);

 public:
  DataLoaderOptions& num_workers(size_t workers) { return this->workers(workers); }  // Python's spelling
  size_t num_workers() const { return workers_; }

  // With workers: the longest wait for one batch, any std::chrono::duration (e.g. std::chrono::milliseconds(500)),
  // kept in whole milliseconds (rounded up). A template, so that reel.h needs no <chrono>; read it back with
  // timeout_ms() (LibTorch's getter timeout() returns std::optional<std::chrono::milliseconds>).
  template <typename Duration>
  DataLoaderOptions& timeout(const Duration& duration) {
    using Period = typename Duration::period;
    const long double ms = static_cast<long double>(duration.count()) * Period::num * 1000 / Period::den;
    const int64_t whole = static_cast<int64_t>(ms);
    timeout_ms_ = whole + (static_cast<long double>(whole) < ms ? 1 : 0);
    return *this;
  }
  const std::optional<int64_t>& timeout_ms() const { return timeout_ms_; }

 private:
  std::optional<int64_t> timeout_ms_;
};

// ---- the tensors inside a batch (for pin_memory and device) ---------------------------------------------------
using TensorVisitor = Callback<void(Tensor&)>;

template <typename T>
struct HoldsTensors : std::false_type {};
template <>
struct HoldsTensors<Tensor> : std::true_type {};
template <typename D, typename T>
struct HoldsTensors<Example<D, T>> : std::bool_constant<HoldsTensors<D>::value || HoldsTensors<T>::value> {};
template <typename D>
struct HoldsTensors<Example<D, example::NoTarget>> : HoldsTensors<D> {};
template <typename T>
struct HoldsTensors<std::vector<T>> : HoldsTensors<T> {};
template <typename A, typename B>
struct HoldsTensors<std::pair<A, B>> : std::bool_constant<HoldsTensors<A>::value || HoldsTensors<B>::value> {};
template <typename... T>
struct HoldsTensors<std::tuple<T...>> : std::bool_constant<(HoldsTensors<T>::value || ...)> {};

void for_each_tensor(Tensor& tensor, const TensorVisitor& visit);  // skips undefined tensors

namespace detail {
template <typename Part>
void visit_part(Part& part, const TensorVisitor& visit) {
  if constexpr (HoldsTensors<Part>::value) for_each_tensor(part, visit);
}
}  // namespace detail

template <typename D, typename T>
  requires HoldsTensors<Example<D, T>>::value
void for_each_tensor(Example<D, T>& example, const TensorVisitor& visit) {
  detail::visit_part(example.data, visit);
  if constexpr (!std::is_void_v<T>) detail::visit_part(example.target, visit);
}
template <typename T>
  requires HoldsTensors<T>::value
void for_each_tensor(std::vector<T>& items, const TensorVisitor& visit) {
  for (T& item : items) for_each_tensor(item, visit);
}
template <typename A, typename B>
  requires HoldsTensors<std::pair<A, B>>::value
void for_each_tensor(std::pair<A, B>& pair, const TensorVisitor& visit) {
  detail::visit_part(pair.first, visit);
  detail::visit_part(pair.second, visit);
}
template <typename... T>
  requires HoldsTensors<std::tuple<T...>>::value
void for_each_tensor(std::tuple<T...>& tuple, const TensorVisitor& visit) {
  std::apply([&](auto&... parts) { (detail::visit_part(parts, visit), ...); }, tuple);
}

template <typename Batch>
concept TensorVisitable = HoldsTensors<Batch>::value ||
                          requires(Batch& batch, const TensorVisitor& visit) { for_each_tensor(batch, visit); };

// ---- pieces without templates (dataloader.cpp) ----------------------------------------------------------------
namespace detail {

// Checks the options; errors name the bad value.
void check_options(const DataLoaderOptions& options, bool batch_is_visitable);
bool pinning_enabled(const DataLoaderOptions& options);  // asked, and a CUDA device present
Tensor pin(const Tensor& tensor);
[[noreturn]] void throw_stale_iterator();

// W threads running jobs in the order they are pushed; job(w) runs on worker w and returns the batch
// type-erased. pop() returns a finished job: the one with sequence number `wanted`, or with nullopt the first
// finished; a job's exception comes back in Result::error. Destroying the pool (or drain()) drops the queued
// jobs, lets each worker finish the job in hand, and releases all results on the calling thread.
class WorkerPool {
 public:
  using Job = Callback<std::shared_ptr<void>(size_t worker)>;
  struct Result {
    int64_t sequence = -1;
    std::shared_ptr<void> batch;
    std::exception_ptr error;
  };
  explicit WorkerPool(size_t workers);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  void push(int64_t sequence, Job job);
  Result pop(std::optional<int64_t> wanted, std::optional<int64_t> timeout_ms);
  void drain();  // waits for the jobs in hand, drops the rest and all results

 private:
  struct Shared;
  std::unique_ptr<Shared> shared_;
};

template <typename T>
size_t request_size(const T& request) {
  return request.size();
}
inline size_t request_size(size_t request) { return request; }

}  // namespace detail

// ---- the loader ------------------------------------------------------------------------------------------------
template <typename Dataset, typename Sampler>
class StatelessDataLoader {
 public:
  using BatchType = typename Dataset::BatchType;
  using BatchRequestType = typename Sampler::BatchRequestType;

  // Iterates one epoch; compares equal to end() (a default-made Iterator) once the epoch is used up.
  class Iterator {
   public:
    using value_type = BatchType;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    Iterator(StatelessDataLoader* loader, uint64_t generation) : loader_(loader), generation_(generation) {
      advance();
    }
    Iterator(Iterator&&) noexcept = default;
    Iterator& operator=(Iterator&&) noexcept = default;

    BatchType& operator*() { return *current_; }
    BatchType* operator->() { return &*current_; }
    Iterator& operator++() {
      advance();
      return *this;
    }
    bool operator==(const Iterator& other) const {
      return at_end() ? other.at_end() : (this == &other);
    }

   private:
    bool at_end() const { return !current_.has_value(); }
    void advance() {
      current_.reset();
      if (loader_ == nullptr) return;
      if (loader_->generation_ != generation_) detail::throw_stale_iterator();
      current_ = loader_->next();
      if (!current_) loader_ = nullptr;
    }
    StatelessDataLoader* loader_ = nullptr;
    uint64_t generation_ = 0;
    std::optional<BatchType> current_;
  };

  StatelessDataLoader(Dataset dataset, Sampler sampler, DataLoaderOptions options)
      : options_(std::move(options)), sampler_(std::move(sampler)), pin_(detail::pinning_enabled(options_)) {
    detail::check_options(options_, TensorVisitable<BatchType>);
    max_jobs_ = options_.max_jobs().value_or(options_.prefetch_factor() * options_.workers());
    if (options_.workers() == 0) {
      main_dataset_.emplace(std::move(dataset));
      return;
    }
    worker_datasets_.reserve(options_.workers());
    for (size_t w = 0; w + 1 < options_.workers(); ++w) worker_datasets_.push_back(dataset);
    worker_datasets_.push_back(std::move(dataset));
    pool_ = std::make_unique<detail::WorkerPool>(options_.workers());
  }
  StatelessDataLoader(const StatelessDataLoader&) = delete;
  StatelessDataLoader& operator=(const StatelessDataLoader&) = delete;
  ~StatelessDataLoader() { pool_.reset(); }  // stop the workers before the datasets they use go

  // Starts an epoch: resets the sampler and (with workers) sends the first requests.
  Iterator begin() {
    if (pool_) pool_->drain();
    ++generation_;
    sampler_.reset(std::nullopt);
    sampler_done_ = false;
    next_sequence_ = 0;
    next_wanted_ = 0;
    in_flight_ = 0;
    prefetch();
    return Iterator(this, generation_);
  }
  Iterator end() { return Iterator(); }

  const DataLoaderOptions& options() const noexcept { return options_; }
  // reel: the sampler (e.g. to set_epoch or read its index()); change it only between epochs.
  Sampler& sampler() noexcept { return sampler_; }

 private:
  // The sampler's next request, or nothing at the end of the epoch (a short last one with drop_last).
  std::optional<BatchRequestType> next_request() {
    if (sampler_done_) return std::nullopt;
    std::optional<BatchRequestType> request = sampler_.next(options_.batch_size());
    if (!request || (options_.drop_last() && detail::request_size(*request) < options_.batch_size())) {
      sampler_done_ = true;
      return std::nullopt;
    }
    return request;
  }

  BatchType build(Dataset& dataset, BatchRequestType request) const {
    NoGradGuard no_grad;
    BatchType batch = dataset.get_batch(std::move(request));
    if (pin_) for_each_batch_tensor(batch, [](Tensor& t) { t = detail::pin(t); });
    return batch;
  }

  template <typename Fn>
  static void for_each_batch_tensor(BatchType& batch, Fn&& fn) {
    if constexpr (TensorVisitable<BatchType>) for_each_tensor(batch, TensorVisitor(std::forward<Fn>(fn)));
  }

  void prefetch() {
    if (!pool_) return;
    while (in_flight_ < max_jobs_) {
      std::optional<BatchRequestType> request = next_request();
      if (!request) return;
      pool_->push(next_sequence_++, [this, request = std::move(*request)](size_t worker) -> std::shared_ptr<void> {
        return std::make_shared<BatchType>(build(worker_datasets_[worker], request));
      });
      ++in_flight_;
    }
  }

  std::optional<BatchType> next() {
    std::optional<BatchType> batch;
    if (!pool_) {
      std::optional<BatchRequestType> request = next_request();
      if (!request) return std::nullopt;
      batch.emplace(build(*main_dataset_, std::move(*request)));
    } else {
      if (in_flight_ == 0) return std::nullopt;
      detail::WorkerPool::Result result =
          pool_->pop(options_.enforce_ordering() ? std::optional<int64_t>(next_wanted_) : std::nullopt,
                     options_.timeout_ms());
      ++next_wanted_;
      --in_flight_;
      prefetch();
      if (result.error) std::rethrow_exception(result.error);
      batch.emplace(std::move(*static_cast<BatchType*>(result.batch.get())));
    }
    if (options_.device()) {
      const Device device = *options_.device();
      for_each_batch_tensor(*batch, [device](Tensor& t) { t = t.to(device, /*non_blocking=*/true); });
    }
    return batch;
  }

  DataLoaderOptions options_;
  Sampler sampler_;
  bool pin_;
  size_t max_jobs_ = 0;
  std::optional<Dataset> main_dataset_;   // workers == 0
  std::vector<Dataset> worker_datasets_;  // one per worker
  uint64_t generation_ = 0;               // epochs begun
  bool sampler_done_ = true;
  int64_t next_sequence_ = 0;             // of the next request sent
  int64_t next_wanted_ = 0;               // of the next batch handed out (enforce_ordering)
  size_t in_flight_ = 0;
  std::unique_ptr<detail::WorkerPool> pool_;  // last: its threads use the members above
};

// ---- make_data_loader ------------------------------------------------------------------------------------------
template <typename Dataset, typename Sampler>
  requires(!Dataset::is_stateful && requires { typename Sampler::BatchRequestType; })
std::unique_ptr<StatelessDataLoader<Dataset, Sampler>> make_data_loader(Dataset dataset, Sampler sampler,
                                                                       DataLoaderOptions options = {}) {
  return std::make_unique<StatelessDataLoader<Dataset, Sampler>>(std::move(dataset), std::move(sampler),
                                                                 std::move(options));
}

template <typename Sampler = samplers::RandomSampler, typename Dataset>
  requires(!Dataset::is_stateful && std::is_constructible_v<Sampler, size_t>)
std::unique_ptr<StatelessDataLoader<Dataset, Sampler>> make_data_loader(Dataset dataset,
                                                                       DataLoaderOptions options = {}) {
  const std::optional<size_t> size = dataset.size();
  if (!size) {
    throw_error("data::make_data_loader: the dataset has no size() (a stream): pass a sampler, e.g. "
                "samplers::StreamSampler(epoch_size)");
  }
  return make_data_loader(std::move(dataset), Sampler(*size), std::move(options));
}

}  // namespace reel::data
