// reel/data/dataloader.h — DataLoader: batches from a dataset, optionally shuffled, prepared by worker threads.
//
//   auto train = std::make_shared<reel::data::FashionMNIST>(root, reel::data::Split::train);
//   auto loader = reel::data::make_data_loader(
//       train, reel::data::DataLoaderOptions(128).shuffle(true).seed(1).num_workers(2));
//   for (int epoch = 0; epoch < 10; ++epoch)
//     for (reel::data::Example& batch : loader) { ... batch.data [128,1,28,28], batch.target [128] ... }
//
// PyTorch's semantics: each begin() starts one epoch; with shuffle the order of epoch e is a permutation
// drawn from (seed, e), so the same seed gives the same orders and every epoch a new one; drop_last drops
// a last short batch. With num_workers = 0 batches are built on the calling thread when it advances; with
// num_workers = W > 0, W threads build batches ahead (batch k by worker k mod W), each keeping at most
// prefetch_factor finished batches, and the iterator hands them out in order. Batches are built with grad
// mode off. An exception thrown while building batch k (by the dataset's get, the transform or collate) is
// rethrown, as the same object, when the iterator reaches batch k (the iterator then compares equal to end();
// a caller that catches it may still ++ it to go on with batch k + 1). Destroying the iterator mid-epoch stops
// its workers (each finishes at most the batch in hand) and joins them. An iterator owns everything its
// epoch needs, so it stays valid when the DataLoader is destroyed first.
//
// pin_memory: when true and reel::cuda::is_available(), every tensor of a batch is copied into page-locked
// host memory (Tensor::pin_memory) on the thread that built it. device: when set, the iterator moves every
// tensor of each batch there with to(device, /*non_blocking=*/true) as it hands the batch out. Both need to
// see the tensors inside a batch: Tensor, Example, and std::vector, std::pair and std::tuple of those are known
// (other values in a pair or tuple are left alone); for an own batch type, define
// `void for_each_tensor(MyBatch&, const reel::data::TensorVisitor&)` in its namespace.
#pragma once

#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../tensor/callback.h"
#include "../nn/arg.h"
#include "../tensor/device.h"
#include "../tensor/grad_mode.h"
#include "dataset.h"

namespace reel::data {

struct DataLoaderOptions {
  DataLoaderOptions(int64_t batch_size = 1) : batch_size_(batch_size) {}  // NOLINT: implicit on purpose
  REEL_ARG(int64_t, batch_size);
  REEL_ARG(bool, shuffle) = false;
  REEL_ARG(uint64_t, seed) = 0;       // the shuffle's seed
  REEL_ARG(bool, drop_last) = false;  // drop the last batch when it is short
  REEL_ARG(int, num_workers) = 0;     // threads building batches ahead; 0: on the calling thread
  REEL_ARG(int, prefetch_factor) = 2; // finished batches each worker may hold
  REEL_ARG(bool, pin_memory) = false;
  REEL_ARG(std::optional<Device>, device);
};

// ---- the tensors inside a batch (for pin_memory and device) ---------------------------------------------------
using TensorVisitor = Callback<void(Tensor&)>;

// Whether T is a Tensor, an Example, or a std::vector / pair / tuple holding them (a pair or tuple may also hold
// other values, which are skipped).
template <typename T>
struct HoldsTensors : std::false_type {};
template <>
struct HoldsTensors<Tensor> : std::true_type {};
template <>
struct HoldsTensors<Example> : std::true_type {};
template <typename T>
struct HoldsTensors<std::vector<T>> : HoldsTensors<T> {};
template <typename A, typename B>
struct HoldsTensors<std::pair<A, B>> : std::bool_constant<HoldsTensors<A>::value || HoldsTensors<B>::value> {};
template <typename... T>
struct HoldsTensors<std::tuple<T...>> : std::bool_constant<(HoldsTensors<T>::value || ...)> {};

void for_each_tensor(Tensor& tensor, const TensorVisitor& visit);  // skips undefined tensors
void for_each_tensor(Example& example, const TensorVisitor& visit);
template <typename T>
  requires HoldsTensors<T>::value
void for_each_tensor(std::vector<T>& items, const TensorVisitor& visit);
template <typename A, typename B>
  requires HoldsTensors<std::pair<A, B>>::value
void for_each_tensor(std::pair<A, B>& pair, const TensorVisitor& visit);
template <typename... T>
  requires HoldsTensors<std::tuple<T...>>::value
void for_each_tensor(std::tuple<T...>& tuple, const TensorVisitor& visit);

namespace detail {
template <typename Part>
void visit_part(Part& part, const TensorVisitor& visit) {
  if constexpr (HoldsTensors<Part>::value) for_each_tensor(part, visit);
}
}  // namespace detail

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

// A batch type whose tensors the loader can reach: the types above, or an own type with a for_each_tensor
// overload found by argument-dependent lookup.
template <typename Batch>
concept TensorVisitable = HoldsTensors<Batch>::value ||
                          requires(Batch& batch, const TensorVisitor& visit) { for_each_tensor(batch, visit); };

// ---- pieces without templates (dataloader.cpp) ------------------------------------------------------------
namespace detail {
// Checks the options against a dataset of `dataset_size` items; errors name the bad value.
void check_options(const DataLoaderOptions& options, int64_t dataset_size, bool batch_is_visitable);
// Batches per epoch: ceil(n / batch_size), or floor with drop_last.
int64_t batch_count(int64_t dataset_size, int64_t batch_size, bool drop_last);
// The dataset indices of one epoch: 0..n-1, or with shuffle a permutation that depends only on (seed, epoch).
std::vector<int64_t> epoch_order(int64_t dataset_size, bool shuffle, uint64_t seed, int64_t epoch);
// Whether pin_memory applies now (asked and a CUDA device present).
bool pinning_enabled(const DataLoaderOptions& options);
Tensor pin(const Tensor& tensor);
}  // namespace detail

// ---- one epoch: the workers and their queues ------------------------------------------------------------
namespace detail {

// The worker threads of one epoch, without templates (dataloader.cpp): W threads build batches 0..n-1 ahead
// (batch k by worker k mod W, each keeping at most `prefetch` finished batches) through `build`, which returns
// the batch type-erased; take(k) waits for batch k in order and rethrows, as the same object, what building it
// threw. Destroying the workers stops them (each finishes at most the batch in hand) and joins them; the
// batches nobody took are released on the destroying thread.
class BatchWorkers {
 public:
  using Build = Callback<std::shared_ptr<void>(int64_t k)>;
  BatchWorkers(int workers, int prefetch, int64_t batches, Build build);
  ~BatchWorkers();
  BatchWorkers(const BatchWorkers&) = delete;
  BatchWorkers& operator=(const BatchWorkers&) = delete;
  std::shared_ptr<void> take(int64_t k);

 private:
  struct Shared;  // the queues, the lock and the threads
  std::unique_ptr<Shared> shared_;
};

template <typename Item, typename Batch>
class EpochRun {
 public:
  using Collate = Callback<Batch(std::vector<Item>)>;

  EpochRun(std::shared_ptr<const Dataset<Item>> dataset, Collate collate, DataLoaderOptions options, int64_t epoch)
      : dataset_(std::move(dataset)),
        collate_(std::move(collate)),
        options_(std::move(options)),
        pin_(pinning_enabled(options_)),
        order_(epoch_order(dataset_->size(), options_.shuffle(), options_.seed(), epoch)),
        batches_(detail::batch_count(dataset_->size(), options_.batch_size(), options_.drop_last())) {
    const int workers = options_.num_workers();
    if (workers == 0 || batches_ == 0) return;
    workers_ = std::make_unique<BatchWorkers>(workers, options_.prefetch_factor(), batches_,
                                              [this](int64_t k) -> std::shared_ptr<void> {
                                                return std::make_shared<Batch>(build(k));
                                              });
  }
  EpochRun(const EpochRun&) = delete;
  EpochRun& operator=(const EpochRun&) = delete;

  // The next batch of the epoch, or nothing at its end. Rethrows what building that batch threw.
  std::optional<Batch> next() {
    if (next_ >= batches_) return std::nullopt;
    const int64_t k = next_++;
    std::optional<Batch> batch;
    if (!workers_) batch.emplace(build(k));
    else batch.emplace(std::move(*static_cast<Batch*>(workers_->take(k).get())));
    if (options_.device()) {
      const Device device = *options_.device();
      for_each_batch_tensor(*batch, [device](Tensor& t) { t = t.to(device, /*non_blocking=*/true); });
    }
    return batch;
  }
  int64_t batches() const { return batches_; }

 private:
  template <typename Fn>
  static void for_each_batch_tensor(Batch& batch, Fn&& fn) {
    if constexpr (TensorVisitable<Batch>) for_each_tensor(batch, TensorVisitor(std::forward<Fn>(fn)));
  }

  Batch build(int64_t k) const {
    NoGradGuard no_grad;
    const int64_t batch_size = options_.batch_size();
    const int64_t begin = k * batch_size;
    const int64_t items_left = static_cast<int64_t>(order_.size()) - begin;
    const int64_t end = begin + (items_left < batch_size ? items_left : batch_size);
    std::vector<Item> items;
    items.reserve(static_cast<size_t>(end - begin));
    for (int64_t i = begin; i < end; ++i) items.push_back(dataset_->get(order_[static_cast<size_t>(i)]));
    Batch batch = collate_(std::move(items));
    if (pin_) for_each_batch_tensor(batch, [](Tensor& t) { t = pin(t); });
    return batch;
  }

  std::shared_ptr<const Dataset<Item>> dataset_;
  Collate collate_;
  DataLoaderOptions options_;
  bool pin_;
  std::vector<int64_t> order_;
  int64_t batches_;
  int64_t next_ = 0;
  std::unique_ptr<BatchWorkers> workers_;  // last: stopped and joined before the members its threads read
};

template <typename Item>
concept HasDefaultCollate = requires(const std::vector<Item>& items) { reel::data::collate(items); };

// The batch type of the default collate: the stacked item where collate() knows the item type, otherwise the
// items themselves in a std::vector (PyTorch's default_collate also leaves unknown types as a list).
template <typename Item>
struct DefaultBatch {
  using type = std::vector<Item>;
};
template <typename Item>
  requires HasDefaultCollate<Item>
struct DefaultBatch<Item> {
  using type = decltype(reel::data::collate(std::declval<const std::vector<Item>&>()));
};

// The default collate for (Item, Batch), or an empty function when Batch is not the default batch type.
template <typename Item, typename Batch>
Callback<Batch(std::vector<Item>)> default_collate() {
  if constexpr (!std::is_same_v<Batch, typename DefaultBatch<Item>::type>) {
    return nullptr;
  } else if constexpr (HasDefaultCollate<Item>) {
    return [](std::vector<Item> items) { return reel::data::collate(items); };
  } else {
    return [](std::vector<Item> items) { return items; };
  }
}

}  // namespace detail

// ---- the loader ------------------------------------------------------------------------------------------------
template <typename Item = Example, typename Batch = typename detail::DefaultBatch<Item>::type>
class DataLoader {
 public:
  using ItemType = Item;
  using BatchType = Batch;
  using Collate = Callback<Batch(std::vector<Item>)>;

  // Iterates one epoch; move-only. Compares equal to end() once the epoch's batches are used up.
  class Iterator {
   public:
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    explicit Iterator(std::unique_ptr<detail::EpochRun<Item, Batch>> run) : run_(std::move(run)) { advance(); }
    Iterator(Iterator&&) noexcept = default;
    Iterator& operator=(Iterator&&) noexcept = default;

    Batch& operator*() { return *current_; }
    Batch* operator->() { return &*current_; }
    Iterator& operator++() {
      advance();
      return *this;
    }
    bool operator==(std::default_sentinel_t) const { return !current_.has_value(); }

   private:
    void advance() {
      current_.reset();
      if (run_) current_ = run_->next();
      if (!current_) run_.reset();  // the epoch is over: stop and join the workers now
    }
    std::unique_ptr<detail::EpochRun<Item, Batch>> run_;
    std::optional<Batch> current_;
  };

  DataLoader(std::shared_ptr<const Dataset<Item>> dataset, DataLoaderOptions options, Collate collate)
      : dataset_(std::move(dataset)), options_(std::move(options)), collate_(std::move(collate)) {
    if (dataset_ == nullptr) throw_error("DataLoader: the dataset is null");
    if (!collate_) {
      throw_error("DataLoader: no collate function: the default one makes only the default batch type (stacked "
                  "Tensors or Examples, otherwise a std::vector of the items); pass one for another batch type");
    }
    detail::check_options(options_, dataset_->size(), TensorVisitable<Batch>);
  }
  // With the default collate: Tensors, Examples and vectors of Tensors are stacked (data::collate); other
  // items are passed on as a std::vector<Item>.
  DataLoader(std::shared_ptr<const Dataset<Item>> dataset, DataLoaderOptions options = {})
      : DataLoader(std::move(dataset), std::move(options), detail::default_collate<Item, Batch>()) {}

  // Starts the next epoch (epoch() counts them from 0).
  Iterator begin() {
    return Iterator(std::make_unique<detail::EpochRun<Item, Batch>>(dataset_, collate_, options_, epoch_++));
  }
  std::default_sentinel_t end() const { return std::default_sentinel; }

  int64_t size() const {  // batches per epoch, PyTorch's len(loader)
    return detail::batch_count(dataset_->size(), options_.batch_size(), options_.drop_last());
  }
  int64_t epoch() const { return epoch_; }          // the epoch the next begin() runs
  void set_epoch(int64_t epoch) { epoch_ = epoch; }  // e.g. to resume a run with the same shuffles
  const DataLoaderOptions& options() const { return options_; }
  const Dataset<Item>& dataset() const { return *dataset_; }

 private:
  std::shared_ptr<const Dataset<Item>> dataset_;
  DataLoaderOptions options_;
  Collate collate_;
  int64_t epoch_ = 0;
};

// make_data_loader(dataset, options[, collate]): the item type comes from the dataset (a shared_ptr to any
// Dataset<Item> subclass), the batch type from the collate function (default: DefaultBatch above).
template <typename D>
auto make_data_loader(std::shared_ptr<D> dataset, DataLoaderOptions options = {}) {
  using Item = typename D::ItemType;
  return DataLoader<Item>(std::shared_ptr<const Dataset<Item>>(std::move(dataset)), std::move(options));
}
template <typename D, typename CollateFn>
auto make_data_loader(std::shared_ptr<D> dataset, DataLoaderOptions options, CollateFn collate_fn) {
  using Item = typename D::ItemType;
  using Batch = std::decay_t<std::invoke_result_t<CollateFn&, std::vector<Item>>>;
  return DataLoader<Item, Batch>(std::shared_ptr<const Dataset<Item>>(std::move(dataset)), std::move(options),
                                 Callback<Batch(std::vector<Item>)>(std::move(collate_fn)));
}

}  // namespace reel::data
