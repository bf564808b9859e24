// reel/data/dataset.h — map-style datasets: the Dataset interface, Example, TensorDataset, map().
//
// As in PyTorch, a dataset is anything with a length and random access by index; the DataLoader
// (data/dataloader.h) draws indices, asks the dataset for items and collates them into batches.
//
//   auto train = std::make_shared<reel::data::TensorDataset>(images, labels);   // rows of two tensors
//   auto scaled = reel::data::map(train, [](reel::data::Example e) { e.data = e.data / 255; return e; });
//
// Thread safety: a DataLoader with num_workers > 0 calls get() from several threads at once, so get() must
// not change shared state (it is const for that reason). Tensors may be handed between threads: their
// reference counts are atomic (tensor/storage.h) and the object pools accept blocks freed by another thread
// (tensor/pool.h). The loader builds batches with grad mode off.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "../tensor/error.h"
#include "../tensor/ops.h"
#include "../tensor/tensor.h"

namespace reel::data {

// One sample: an input and its target (LibTorch's torch::data::Example). A batch of Examples collates into
// an Example whose tensors have a leading batch dimension.
struct Example {
  Tensor data;
  Tensor target;
};

template <typename Item = Example>
class Dataset {
 public:
  using ItemType = Item;
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  // The item at `index`, 0 <= index < size(). Called from worker threads: must be safe to call concurrently.
  virtual Item get(int64_t index) const = 0;
};

// Rows of two tensors that share their first dimension: get(i) is {data[i], target[i]} (views, no copy).
// PyTorch's TensorDataset(data, target).
class TensorDataset : public Dataset<Example> {
 public:
  TensorDataset(Tensor data, Tensor target);
  int64_t size() const override { return data_.size(0); }
  Example get(int64_t index) const override;
  const Tensor& data() const { return data_; }
  const Tensor& target() const { return target_; }

 private:
  Tensor data_;
  Tensor target_;
};

// A dataset whose items are `transform(source.get(i))`, computed on demand (in the loader's workers).
// The transform is called concurrently from several threads and must not mutate shared state.
template <typename Source, typename Transform>
class MapDataset
    : public Dataset<std::invoke_result_t<const Transform&, typename Source::ItemType>> {
 public:
  using ItemType = std::invoke_result_t<const Transform&, typename Source::ItemType>;
  MapDataset(std::shared_ptr<const Source> source, Transform transform)
      : source_(std::move(source)), transform_(std::move(transform)) {
    if (source_ == nullptr) throw_error("data::map: the source dataset is null");
  }
  int64_t size() const override { return source_->size(); }
  ItemType get(int64_t index) const override { return transform_(source_->get(index)); }
  const Source& source() const { return *source_; }

 private:
  std::shared_ptr<const Source> source_;
  Transform transform_;
};

// map(dataset, transform): a shared MapDataset over `source`. `source` may be a shared_ptr or a dataset
// value (moved into a shared_ptr).
template <typename Source, typename Transform>
std::shared_ptr<MapDataset<Source, Transform>> map(std::shared_ptr<Source> source, Transform transform) {
  return std::make_shared<MapDataset<Source, Transform>>(std::shared_ptr<const Source>(std::move(source)),
                                                         std::move(transform));
}
template <typename Source, typename Transform,
          typename = std::enable_if_t<std::is_base_of_v<Dataset<typename Source::ItemType>, Source>>>
std::shared_ptr<MapDataset<Source, Transform>> map(Source source, Transform transform) {
  return map(std::make_shared<Source>(std::move(source)), std::move(transform));
}

// ---- collation --------------------------------------------------------------------------------------------
// The default collate functions (PyTorch's default_collate for these item types): tensors are stacked along
// a new first dimension; an Example collates field by field. Every item must have the same shape and dtype;
// otherwise the reel::Error names the first item that differs.
Tensor collate(const std::vector<Tensor>& items);
Example collate(const std::vector<Example>& items);
std::vector<Tensor> collate(const std::vector<std::vector<Tensor>>& items);  // field by field

}  // namespace reel::data
