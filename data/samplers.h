// reel/data/samplers.h — the index samplers of a data loader, as LibTorch spells them: RandomSampler,
// SequentialSampler, DistributedRandomSampler, DistributedSequentialSampler and StreamSampler.
//
//   reel::data::samplers::SequentialSampler sampler(5);
//   sampler.next(2);   // {0, 1}, then {2, 3}, then {4}, then nothing; reset() starts over
//
// A sampler hands out batch requests: next(batch_size) is the next at most batch_size indices of the epoch (or,
// for StreamSampler, a BatchSize), nothing once the epoch is used up; reset(new_size) starts a new epoch,
// optionally over another dataset size. The loader calls reset() at every begin() and next() on its own
// thread only.
//
// Semantics (LibTorch's C++ samplers, which differ from Python's torch.utils.data samplers where noted):
// - RandomSampler: each reset() draws a new permutation with reel::randperm from the global generator
//   (reproducible under reel::manual_seed). reel adds seed(s): epoch e's permutation then depends on (s, e)
//   alone (reel's own splitmix64 Fisher-Yates, the same on every platform), and every reset() moves to the next
//   epoch.
// - DistributedSampler (both kinds): with allow_duplicates each replica gets ceil(size / num_replicas)
//   indices, the list being padded by repeating its first indices; without, floor(size / num_replicas).
//   Replica `rank` takes the contiguous block [rank * local, (rank + 1) * local) of the (shuffled) list —
//   Python's DistributedSampler instead takes every num_replicas-th index starting at rank.
// - DistributedRandomSampler shuffles the padded list with std::shuffle and std::mt19937(epoch): call
//   set_epoch(e) before each epoch's reset() for a new order (the same epoch gives the same order on every
//   replica, so the blocks stay disjoint).
// Sampler state is not saved with reel::save (LibTorch's Sampler::save/load are not provided).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "../tensor/dtype.h"
#include "../tensor/tensor.h"

namespace reel::data::samplers {

namespace detail {
// Throws unless num_replicas >= 1 and rank < num_replicas.
void check_replicas(size_t num_replicas, size_t rank);
}  // namespace detail

template <typename BatchRequest = std::vector<size_t>>
class Sampler {
 public:
  using BatchRequestType = BatchRequest;
  virtual ~Sampler() = default;
  // Starts a new epoch; with new_size, over a dataset of that many examples.
  virtual void reset(std::optional<size_t> new_size) = 0;
  // The next request of at most batch_size examples, or nothing at the end of the epoch.
  virtual std::optional<BatchRequest> next(size_t batch_size) = 0;
};

// A random permutation of 0..size-1 per epoch.
class RandomSampler : public Sampler<> {
 public:
  explicit RandomSampler(int64_t size, ScalarType index_dtype = kInt64);
  void reset(std::optional<size_t> new_size = std::nullopt) override;
  std::optional<std::vector<size_t>> next(size_t batch_size) override;
  size_t index() const noexcept { return index_; }  // indices handed out in this epoch

  // reel: draw the permutations from (seed, epoch) instead of the global generator. The next reset() gives
  // epoch 0's order (also held right away), the one after it epoch 1's, and so on.
  RandomSampler& seed(uint64_t seed);
  std::optional<uint64_t> seed() const { return seed_; }
  int64_t epoch() const { return epoch_; }  // reel: with seed(), the epoch the next reset() draws
  void set_epoch(int64_t epoch);            // e.g. to resume a run with the same orders

 private:
  void draw(size_t size);
  Tensor indices_;  // [size] of index_dtype
  size_t index_ = 0;
  std::optional<uint64_t> seed_;
  int64_t epoch_ = 0;
};

// 0..size-1 in order.
class SequentialSampler : public Sampler<> {
 public:
  explicit SequentialSampler(size_t size);
  void reset(std::optional<size_t> new_size = std::nullopt) override;
  std::optional<std::vector<size_t>> next(size_t batch_size) override;
  size_t index() const noexcept { return index_; }

 private:
  size_t size_;
  size_t index_ = 0;
};

// One replica's share of the dataset (see the top of the file).
template <typename BatchRequest = std::vector<size_t>>
class DistributedSampler : public Sampler<BatchRequest> {
 public:
  DistributedSampler(size_t size, size_t num_replicas = 1, size_t rank = 0, bool allow_duplicates = true)
      : size_(size), num_replicas_(num_replicas), rank_(rank), allow_duplicates_(allow_duplicates) {
    detail::check_replicas(num_replicas, rank);
  }
  void set_epoch(size_t epoch) { epoch_ = epoch; }
  size_t epoch() const { return epoch_; }

 protected:
  size_t local_sample_count() const {
    return allow_duplicates_ ? (size_ + num_replicas_ - 1) / num_replicas_ : size_ / num_replicas_;
  }

  size_t size_;
  size_t num_replicas_;
  size_t rank_;
  size_t epoch_ = 0;
  bool allow_duplicates_;
};

class DistributedRandomSampler : public DistributedSampler<> {
 public:
  DistributedRandomSampler(size_t size, size_t num_replicas = 1, size_t rank = 0, bool allow_duplicates = true);
  void reset(std::optional<size_t> new_size = std::nullopt) override;
  std::optional<std::vector<size_t>> next(size_t batch_size) override;
  size_t index() const noexcept { return sample_index_; }

 private:
  void populate_indices();
  size_t begin_index_ = 0, end_index_ = 0, sample_index_ = 0;
  std::vector<size_t> all_indices_;
};

class DistributedSequentialSampler : public DistributedSampler<> {
 public:
  DistributedSequentialSampler(size_t size, size_t num_replicas = 1, size_t rank = 0,
                               bool allow_duplicates = true);
  void reset(std::optional<size_t> new_size = std::nullopt) override;
  std::optional<std::vector<size_t>> next(size_t batch_size) override;
  size_t index() const noexcept { return sample_index_; }

 private:
  void populate_indices();
  size_t begin_index_ = 0, end_index_ = 0, sample_index_ = 0;
};

// The request of a StreamSampler: how many examples a StreamDataset should produce.
struct BatchSize {
  explicit BatchSize(size_t size) : size_(size) {}
  size_t size() const noexcept { return size_; }
  operator size_t() const noexcept { return size_; }  // NOLINT: implicit as LibTorch's
  size_t size_;
};

// epoch_size examples per epoch, asked for in batches of at most batch_size.
class StreamSampler : public Sampler<BatchSize> {
 public:
  explicit StreamSampler(size_t epoch_size) : epoch_size_(epoch_size) {}
  void reset(std::optional<size_t> new_size = std::nullopt) override;
  std::optional<BatchSize> next(size_t batch_size) override;

 private:
  size_t examples_retrieved_so_far_ = 0;
  size_t epoch_size_;
};

}  // namespace reel::data::samplers
