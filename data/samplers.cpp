// reel/data/samplers.cpp — the samplers of data/samplers.h: the index order of each epoch and its batching.
//
// RandomSampler's seeded mode is a Fisher-Yates pass driven by splitmix64, seeded from (seed, epoch) alone, with
// unbiased bounded draws (Lemire's multiply-and-reject): reel's own generator, so the orders are the same on
// every platform and compiler. DistributedRandomSampler follows LibTorch: std::shuffle with std::mt19937(epoch)
// over the padded index list.
#include "samplers.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "../tensor/error_format.h"
#include "../tensor/ops.h"

namespace reel::data::samplers {

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

// A permutation of 0..size-1 that depends only on (seed, epoch).
std::vector<int64_t> seeded_permutation(size_t size, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(size);
  std::iota(order.begin(), order.end(), int64_t{0});
  // One generator per (seed, epoch): the seed is mixed once so that nearby seeds and epochs give unrelated streams.
  SplitMix64 mixer(seed);
  SplitMix64 rng(mixer.next() ^ (static_cast<uint64_t>(epoch) * 0xd1342543de82ef95ULL));
  for (size_t i = size; i > 1; --i) {
    const size_t j = static_cast<size_t>(rng.below(i));
    std::swap(order[i - 1], order[j]);
  }
  return order;
}

// indices[begin, begin + count) as size_t (any integer dtype).
std::vector<size_t> take_indices(const Tensor& indices, size_t begin, size_t count) {
  const std::vector<int64_t> values = indices.narrow(0, static_cast<int64_t>(begin), static_cast<int64_t>(count))
                                          .to(kInt64)
                                          .to_vector<int64_t>();
  return std::vector<size_t>(values.begin(), values.end());
}

}  // namespace

namespace detail {
void check_replicas(size_t num_replicas, size_t rank) {
  REEL_CHECK(num_replicas >= 1, "data::samplers::DistributedSampler: num_replicas must be at least 1, got {}",
             num_replicas);
  REEL_CHECK(rank < num_replicas, "data::samplers::DistributedSampler: rank {} is out of range for {} replicas", rank,
             num_replicas);
}
}  // namespace detail

// ---- RandomSampler ---------------------------------------------------------------------------------------------
RandomSampler::RandomSampler(int64_t size, ScalarType index_dtype) {
  REEL_CHECK(size >= 0, "data::samplers::RandomSampler: size must be at least 0, got {}", size);
  REEL_CHECK(is_integral(index_dtype), "data::samplers::RandomSampler: index_dtype must be an integer type, got {}",
             dtype_name(index_dtype));
  indices_ = randperm(size, index_dtype);
}

void RandomSampler::draw(size_t size) {
  const ScalarType dtype = indices_.dtype();
  if (seed_) {
    indices_ = tensor(seeded_permutation(size, *seed_, epoch_), kInt64).to(dtype);
  } else {
    indices_ = randperm(static_cast<int64_t>(size), dtype);
  }
  index_ = 0;
}

void RandomSampler::reset(std::optional<size_t> new_size) {
  draw(new_size.value_or(static_cast<size_t>(indices_.numel())));
  if (seed_) ++epoch_;
}

std::optional<std::vector<size_t>> RandomSampler::next(size_t batch_size) {
  const size_t total = static_cast<size_t>(indices_.numel());
  const size_t remaining = total - index_;
  if (remaining == 0) return std::nullopt;
  const size_t count = std::min(batch_size, remaining);
  std::vector<size_t> batch = take_indices(indices_, index_, count);
  index_ += count;
  return batch;
}

RandomSampler& RandomSampler::seed(uint64_t seed) {
  seed_ = seed;
  epoch_ = 0;
  draw(static_cast<size_t>(indices_.numel()));
  return *this;
}

void RandomSampler::set_epoch(int64_t epoch) {
  REEL_CHECK(seed_.has_value(), "data::samplers::RandomSampler: set_epoch needs seed() first (without a seed the "
                                "orders come from the global generator)");
  REEL_CHECK(epoch >= 0, "data::samplers::RandomSampler: epoch must be at least 0, got {}", epoch);
  epoch_ = epoch;
}

// ---- SequentialSampler -----------------------------------------------------------------------------------------
SequentialSampler::SequentialSampler(size_t size) : size_(size) {}

void SequentialSampler::reset(std::optional<size_t> new_size) {
  if (new_size) size_ = *new_size;
  index_ = 0;
}

std::optional<std::vector<size_t>> SequentialSampler::next(size_t batch_size) {
  const size_t remaining = size_ - index_;
  if (remaining == 0) return std::nullopt;
  std::vector<size_t> batch(std::min(batch_size, remaining));
  std::iota(batch.begin(), batch.end(), index_);
  index_ += batch.size();
  return batch;
}

// ---- DistributedRandomSampler ----------------------------------------------------------------------------------
DistributedRandomSampler::DistributedRandomSampler(size_t size, size_t num_replicas, size_t rank,
                                                   bool allow_duplicates)
    : DistributedSampler(size, num_replicas, rank, allow_duplicates) {
  DistributedRandomSampler::reset(size_);
}

void DistributedRandomSampler::populate_indices() {
  const size_t local = local_sample_count();
  const size_t count = num_replicas_ == 1 ? size_ : local * num_replicas_;
  // 0..count-1, where the indices past the dataset's end wrap to its first ones (the duplicates that give every
  // replica the same count); without duplicates count <= size and the last size - count indices are left out.
  all_indices_.resize(count);
  std::iota(all_indices_.begin(), all_indices_.end(), size_t{0});
  for (size_t i = size_; i < count; ++i) all_indices_[i] = (i - size_) % std::max<size_t>(size_, 1);
  begin_index_ = rank_ * local;
  end_index_ = begin_index_ + local;
  sample_index_ = begin_index_;
}

void DistributedRandomSampler::reset(std::optional<size_t> new_size) {
  size_ = new_size.value_or(size_);
  populate_indices();
  std::mt19937 generator(static_cast<std::mt19937::result_type>(epoch_));
  std::shuffle(all_indices_.begin(), all_indices_.end(), generator);
  sample_index_ = begin_index_;
}

std::optional<std::vector<size_t>> DistributedRandomSampler::next(size_t batch_size) {
  if (sample_index_ == end_index_) return std::nullopt;
  const size_t end = std::min(sample_index_ + batch_size, end_index_);
  std::vector<size_t> batch(all_indices_.begin() + static_cast<std::ptrdiff_t>(sample_index_),
                            all_indices_.begin() + static_cast<std::ptrdiff_t>(end));
  sample_index_ = end;
  return batch;
}

// ---- DistributedSequentialSampler ------------------------------------------------------------------------------
DistributedSequentialSampler::DistributedSequentialSampler(size_t size, size_t num_replicas, size_t rank,
                                                           bool allow_duplicates)
    : DistributedSampler(size, num_replicas, rank, allow_duplicates) {
  populate_indices();
}

void DistributedSequentialSampler::populate_indices() {
  begin_index_ = rank_ * local_sample_count();
  end_index_ = begin_index_ + local_sample_count();
  sample_index_ = begin_index_;
}

void DistributedSequentialSampler::reset(std::optional<size_t> new_size) {
  const size_t size = new_size.value_or(size_);
  if (size != size_) {
    size_ = size;
    populate_indices();
  } else {
    sample_index_ = begin_index_;
  }
}

std::optional<std::vector<size_t>> DistributedSequentialSampler::next(size_t batch_size) {
  if (sample_index_ == end_index_) return std::nullopt;
  const size_t end = std::min(sample_index_ + batch_size, end_index_);
  std::vector<size_t> batch(end - sample_index_);
  std::iota(batch.begin(), batch.end(), sample_index_);
  // Past the dataset's end (the padding of allow_duplicates) the indices wrap to its first ones.
  if (end > size_) {
    for (size_t& index : batch) index %= size_;
  }
  sample_index_ = end;
  return batch;
}

// ---- StreamSampler ---------------------------------------------------------------------------------------------
void StreamSampler::reset(std::optional<size_t> new_size) {
  if (new_size) epoch_size_ = *new_size;
  examples_retrieved_so_far_ = 0;
}

std::optional<BatchSize> StreamSampler::next(size_t batch_size) {
  if (examples_retrieved_so_far_ == epoch_size_) return std::nullopt;
  batch_size = std::min(batch_size, epoch_size_ - examples_retrieved_so_far_);
  examples_retrieved_so_far_ += batch_size;
  return BatchSize(batch_size);
}

}  // namespace reel::data::samplers
