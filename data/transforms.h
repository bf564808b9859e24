// reel/data/transforms.h — transforms for datasets' .map(), as LibTorch spells them: BatchTransform, Transform,
// Lambda, BatchLambda, Collation / Collate, TensorTransform, TensorLambda, Normalize and Stack.
//
//   dataset.map(reel::data::transforms::Normalize<>(0.1307, 0.3081))   // per example: (x - mean) / stddev
//          .map(reel::data::transforms::Stack<>());                    // a vector of Examples -> one batch
//
// A transform is a value copied into the MapDataset (and with it into every loader worker); apply_batch is
// called from the worker that owns that copy.
#pragma once

#include <type_traits>
#include <utility>
#include <vector>

#include "../tensor/callback.h"
#include "datasets.h"

namespace reel::data::transforms {

namespace detail {  // Normalize's checks (dataloader.cpp)
Tensor normalize_column(const std::vector<double>& values, const char* what);  // float32 [C, 1, 1]
void check_normalize_sizes(size_t means, size_t stddevs);
void check_normalize_input(const Tensor& input, int64_t channels);
}  // namespace detail

// Maps a whole batch to another batch.
template <typename InputBatch, typename OutputBatch>
class BatchTransform {
 public:
  using InputBatchType = InputBatch;
  using OutputBatchType = OutputBatch;
  virtual ~BatchTransform() = default;
  virtual OutputBatch apply_batch(InputBatch input_batch) = 0;
};

// Maps every example of a batch (a std::vector) on its own: apply_batch(b)[i] = apply(b[i]).
template <typename Input, typename Output>
class Transform : public BatchTransform<std::vector<Input>, std::vector<Output>> {
 public:
  using InputType = Input;
  using OutputType = Output;
  virtual OutputType apply(InputType input) = 0;
  std::vector<Output> apply_batch(std::vector<Input> input_batch) override {
    std::vector<Output> output_batch;
    output_batch.reserve(input_batch.size());
    for (auto&& input : input_batch) output_batch.push_back(apply(std::move(input)));
    return output_batch;
  }
};

// A BatchTransform from a function of the whole batch.
template <typename Input, typename Output = Input>
class BatchLambda : public BatchTransform<Input, Output> {
 public:
  using typename BatchTransform<Input, Output>::InputBatchType;
  using typename BatchTransform<Input, Output>::OutputBatchType;
  using FunctionType = Callback<OutputBatchType(InputBatchType)>;  // LibTorch: std::function
  // Any callable FunctionType holds (LibTorch takes a std::function; reel's Callback avoids <functional>).
  template <typename F>
    requires(!std::is_same_v<std::decay_t<F>, BatchLambda> && std::is_constructible_v<FunctionType, F>)
  explicit BatchLambda(F&& function) : function_(std::forward<F>(function)) {
    if (!function_) throw_error("data::transforms::BatchLambda: the function is empty");
  }
  OutputBatchType apply_batch(InputBatchType input_batch) override { return function_(std::move(input_batch)); }

 private:
  FunctionType function_;
};

// A Transform from a function of one example.
template <typename Input, typename Output = Input>
class Lambda : public Transform<Input, Output> {
 public:
  using typename Transform<Input, Output>::InputType;
  using typename Transform<Input, Output>::OutputType;
  using FunctionType = Callback<Output(Input)>;  // LibTorch: std::function
  // Any callable FunctionType holds (LibTorch takes a std::function; reel's Callback avoids <functional>).
  template <typename F>
    requires(!std::is_same_v<std::decay_t<F>, Lambda> && std::is_constructible_v<FunctionType, F>)
  explicit Lambda(F&& function) : function_(std::forward<F>(function)) {
    if (!function_) throw_error("data::transforms::Lambda: the function is empty");
  }
  OutputType apply(InputType input) override { return function_(std::move(input)); }

 private:
  FunctionType function_;
};

// A collation turns a batch of examples (by default a std::vector<T>) into one T.
template <typename T, typename BatchType = std::vector<T>>
using Collation = BatchTransform<BatchType, T>;
template <typename T, typename BatchType = std::vector<T>>
using Collate = BatchLambda<BatchType, T>;

// A Transform of an Example's data tensor; the target passes through unchanged.
template <typename Target = Tensor>
class TensorTransform : public Transform<Example<Tensor, Target>, Example<Tensor, Target>> {
 public:
  using E = Example<Tensor, Target>;
  using typename Transform<E, E>::InputType;
  using typename Transform<E, E>::OutputType;
  virtual Tensor operator()(Tensor input) = 0;
  OutputType apply(InputType input) override {
    input.data = (*this)(std::move(input.data));
    return input;
  }
};

template <typename Target = Tensor>
class TensorLambda : public TensorTransform<Target> {
 public:
  using FunctionType = Callback<Tensor(Tensor)>;  // LibTorch: std::function
  // Any callable FunctionType holds (LibTorch takes a std::function; reel's Callback avoids <functional>).
  template <typename F>
    requires(!std::is_same_v<std::decay_t<F>, TensorLambda> && std::is_constructible_v<FunctionType, F>)
  explicit TensorLambda(F&& function) : function_(std::forward<F>(function)) {
    if (!function_) throw_error("data::transforms::TensorLambda: the function is empty");
  }
  Tensor operator()(Tensor input) override { return function_(std::move(input)); }

 private:
  FunctionType function_;
};

// Normalize: out[c] = (in[c] - mean[c]) / stddev[c]; mean and stddev are float32 [C, 1, 1] (C = 1 for the
// scalar form) broadcast against the data ([C, H, W], or any shape whose last three dims broadcast with them).
template <typename Target = Tensor>
struct Normalize : public TensorTransform<Target> {
  Normalize(double mean_, double stddev_) : Normalize(std::vector<double>{mean_}, std::vector<double>{stddev_}) {}
  Normalize(const std::vector<double>& mean_, const std::vector<double>& stddev_)
      : mean(detail::normalize_column(mean_, "mean")), stddev(detail::normalize_column(stddev_, "stddev")) {
    detail::check_normalize_sizes(mean_.size(), stddev_.size());
  }
  Tensor operator()(Tensor input) override {
    detail::check_normalize_input(input, mean.size(0));
    return input.sub(mean).div(stddev);
  }
  Tensor mean, stddev;
};

// Stack<>: a std::vector of Examples -> one Example whose data and target are stacked along a new first dim.
template <typename T = Example<>>
struct Stack;

template <>
struct Stack<Example<>> : public Collation<Example<>> {
  Example<> apply_batch(std::vector<Example<>> examples) override { return data::collate(examples); }
};

template <>
struct Stack<TensorExample> : public Collation<TensorExample> {
  TensorExample apply_batch(std::vector<TensorExample> examples) override {
    std::vector<Tensor> data;
    data.reserve(examples.size());
    for (auto& example : examples) data.push_back(std::move(example.data));
    return data::collate(data);
  }
};

}  // namespace reel::data::transforms
