// reel/data/datasets.h — datasets as LibTorch spells them: Example<Data, Target>, the CRTP bases BatchDataset,
// Dataset and StreamDataset, MapDataset with member .map(transform), SharedBatchDataset, TensorDataset.
//
//   auto train = reel::data::datasets::MNIST(root)                                  // data/mnist.h
//                    .map(reel::data::transforms::Normalize<>(0.1307, 0.3081))      // data/transforms.h
//                    .map(reel::data::transforms::Stack<>());
//   train.size().value();                                                           // 60000
//   auto loader = reel::data::make_data_loader(std::move(train), 64);               // data/dataloader.h
//
// A dataset is a value: .map() and make_data_loader() move (or copy) it, and a loader with workers keeps one
// copy per worker thread, so a dataset should hold its data in Tensors (copies share the storage) or in a
// shared_ptr (SharedBatchDataset wraps one). get() / get_batch() are not const, as in LibTorch; each worker
// calls them on its own copy. A SharedBatchDataset's workers share one object: its get_batch must then be
// safe to call from several threads at once.
//
// Difference from LibTorch: the batch request of Dataset is a std::vector<size_t> (LibTorch's is
// c10::ArrayRef<size_t>, a view of the same indices). Stateful datasets (ChunkDataset, optional batches) are
// not provided.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "../tensor/error.h"
#include "../tensor/ops.h"
#include "../tensor/tensor.h"

namespace reel::data {

// ---- Example ---------------------------------------------------------------------------------------------------
// One sample (or, after collation, one batch): an input and its target. Example<> is {Tensor, Tensor}.
template <typename Data = Tensor, typename Target = Tensor>
struct Example {
  using DataType = Data;
  using TargetType = Target;
  Example() = default;
  Example(Data data_, Target target_) : data(std::move(data_)), target(std::move(target_)) {}
  Data data;
  Target target;
};

namespace example {
using NoTarget = void;
}  // namespace example

// An Example without a target (unlabelled data): converts to and from its Data.
template <typename Data>
struct Example<Data, example::NoTarget> {
  using DataType = Data;
  using TargetType = example::NoTarget;
  Example() = default;
  Example(Data data_) : data(std::move(data_)) {}  // NOLINT: implicit as LibTorch's
  operator Data&() { return data; }                // NOLINT
  operator const Data&() const { return data; }    // NOLINT
  Data data;
};
using TensorExample = Example<Tensor, example::NoTarget>;

namespace datasets {

template <typename Source, typename Transform>
class MapDataset;
template <typename Source, typename Transform>
MapDataset<Source, Transform> map(Source dataset, Transform transform);

// ---- the bases -------------------------------------------------------------------------------------------------
// A dataset that answers a whole batch request at once (LibTorch's BatchDataset). Self is the derived class
// (CRTP), so that .map() returns a MapDataset of the derived type.
template <typename Self, typename Batch = std::vector<Example<>>, typename BatchRequest = std::vector<size_t>>
class BatchDataset {
 public:
  using SelfType = Self;
  using BatchType = Batch;
  using BatchRequestType = BatchRequest;
  static constexpr bool is_stateful = false;

  virtual ~BatchDataset() = default;
  virtual Batch get_batch(BatchRequest request) = 0;
  // The number of examples, or nothing for a stream of unknown length.
  virtual std::optional<size_t> size() const = 0;

  // A MapDataset applying `transform` (a transforms::BatchTransform) to every batch of a copy of this dataset
  // (of this dataset itself, moved, when called on an rvalue).
  template <typename TransformType>
  MapDataset<Self, TransformType> map(TransformType transform) & {
    return datasets::map(static_cast<Self&>(*this), std::move(transform));
  }
  template <typename TransformType>
  MapDataset<Self, TransformType> map(TransformType transform) && {
    return datasets::map(std::move(static_cast<Self&>(*this)), std::move(transform));
  }
};

// A map-style dataset (LibTorch's Dataset): get(index) is one example; a batch is the vector of the examples
// at the requested indices.
template <typename Self, typename SingleExample = Example<>>
class Dataset : public BatchDataset<Self, std::vector<SingleExample>> {
 public:
  using ExampleType = SingleExample;
  virtual ExampleType get(size_t index) = 0;
  std::vector<ExampleType> get_batch(std::vector<size_t> indices) override {
    std::vector<ExampleType> batch;
    batch.reserve(indices.size());
    for (const size_t index : indices) batch.push_back(get(index));
    return batch;
  }
};

// A dataset asked only for how many examples it should produce next (samplers::StreamSampler's BatchSize).
template <typename Self, typename Batch = std::vector<Example<>>>
using StreamDataset = BatchDataset<Self, Batch, /*BatchRequest=*/size_t>;

// ---- MapDataset ------------------------------------------------------------------------------------------------
// get_batch(request) = transform.apply_batch(source.get_batch(request)).
template <typename Source, typename Transform>
class MapDataset : public BatchDataset<MapDataset<Source, Transform>, typename Transform::OutputBatchType,
                                       typename Source::BatchRequestType> {
 public:
  using DatasetType = Source;
  using TransformType = Transform;
  using BatchRequestType = typename Source::BatchRequestType;
  using OutputBatchType = typename Transform::OutputBatchType;

  MapDataset(DatasetType dataset, TransformType transform)
      : dataset_(std::move(dataset)), transform_(std::move(transform)) {}
  OutputBatchType get_batch(BatchRequestType request) override {
    return transform_.apply_batch(dataset_.get_batch(std::move(request)));
  }
  std::optional<size_t> size() const noexcept override { return dataset_.size(); }
  const Source& dataset() noexcept { return dataset_; }
  const Transform& transform() noexcept { return transform_; }

 private:
  Source dataset_;
  Transform transform_;
};

template <typename Source, typename Transform>
MapDataset<Source, Transform> map(Source dataset, Transform transform) {
  static_assert(std::is_same_v<typename Source::BatchType, typename Transform::InputBatchType>,
                "data::datasets::map: the dataset's BatchType is not the transform's InputBatchType (a per-example "
                "transform such as Normalize<> takes std::vector<Example<>>; put it before Stack<>)");
  return {std::move(dataset), std::move(transform)};
}

// ---- SharedBatchDataset ----------------------------------------------------------------------------------------
// A dataset held by a shared_ptr: copies (one per loader worker) share the one underlying object.
template <typename Underlying>
class SharedBatchDataset : public BatchDataset<SharedBatchDataset<Underlying>, typename Underlying::BatchType,
                                               typename Underlying::BatchRequestType> {
 public:
  using BatchType = typename Underlying::BatchType;
  using BatchRequestType = typename Underlying::BatchRequestType;

  SharedBatchDataset(std::shared_ptr<Underlying> dataset)  // NOLINT: implicit as LibTorch's
      : dataset_(std::move(dataset)) {
    if (dataset_ == nullptr) throw_error("data::datasets::SharedBatchDataset: the dataset is null");
  }
  BatchType get_batch(BatchRequestType request) override { return dataset_->get_batch(std::move(request)); }
  std::optional<size_t> size() const override { return dataset_->size(); }
  Underlying& operator*() { return *dataset_; }
  const Underlying& operator*() const { return *dataset_; }
  Underlying* operator->() { return dataset_.get(); }
  const Underlying* operator->() const { return dataset_.get(); }

 private:
  std::shared_ptr<Underlying> dataset_;
};

// make_shared_dataset<D>(args...): a SharedBatchDataset over a new D(args...).
template <typename Underlying, typename... Args>
SharedBatchDataset<Underlying> make_shared_dataset(Args&&... args) {
  return std::make_shared<Underlying>(std::forward<Args>(args)...);
}

// ---- tensors ---------------------------------------------------------------------------------------------------
// The rows of one tensor, without targets (LibTorch's TensorDataset): get(i) = tensor[i] (a view).
struct TensorDataset : public Dataset<TensorDataset, TensorExample> {
  explicit TensorDataset(const std::vector<Tensor>& tensors);  // stacked along a new first dimension
  explicit TensorDataset(Tensor tensor);
  TensorExample get(size_t index) override;
  std::optional<size_t> size() const override { return static_cast<size_t>(tensor.size(0)); }
  Tensor tensor;
};

// reel: rows of two tensors that share their first dimension (Python's TensorDataset(data, target)):
// get(i) = {data[i], target[i]} (views, no copy).
class TensorPairDataset : public Dataset<TensorPairDataset> {
 public:
  TensorPairDataset(Tensor data, Tensor target);
  Example<> get(size_t index) override;
  std::optional<size_t> size() const override { return static_cast<size_t>(data_.size(0)); }
  const Tensor& data() const { return data_; }
  const Tensor& target() const { return target_; }

 private:
  Tensor data_;
  Tensor target_;
};

}  // namespace datasets

// LibTorch exports these two into torch::data.
using datasets::BatchDataset;
using datasets::Dataset;

// ---- collation -------------------------------------------------------------------------------------------------
// Stacks items along a new first dimension; every item must have item 0's shape, dtype and device, otherwise
// the reel::Error names the first item that differs. transforms::Stack<> collates with these.
Tensor collate(const std::vector<Tensor>& items);
// Field by field; Examples whose targets are all undefined collate to an undefined target.
Example<> collate(const std::vector<Example<>>& items);
std::vector<Tensor> collate(const std::vector<std::vector<Tensor>>& items);  // field by field

}  // namespace reel::data
