// reel/nn/packed_sequence.h — variable-length batches for the recurrent layers, as LibTorch spells them in
// torch::nn::utils::rnn: PackedSequence, pack_padded_sequence, pad_packed_sequence, pack_sequence, pad_sequence.
//
//   namespace rnn_utils = reel::nn::utils::rnn;
//   auto packed = rnn_utils::pack_padded_sequence(x, lengths, /*batch_first=*/true, /*enforce_sorted=*/false);
//   auto [out, state] = lstm->forward_with_packed_input(packed);     // each sequence runs its own length
//   auto [padded, out_lengths] = rnn_utils::pad_packed_sequence(out, /*batch_first=*/true);
//
// A PackedSequence holds data (R, *): the rows of every sequence step by step, step t's batch_sizes[t] rows first
// (the sequences sorted longest first, so batch_sizes is non-increasing), R = sum(batch_sizes); batch_sizes is int64
// on the CPU; sorted_indices / unsorted_indices (int64, on data's device, undefined when the batch came sorted) map
// between the caller's order and the sorted one. Everything is written with reel ops (narrow, cat, stack,
// index_select), so gradients flow through data both ways. PyTorch's checks and messages.
#pragma once

#include <optional>
#include <string_view>
#include <tuple>
#include <vector>

#include "../tensor/tensor.h"

namespace reel::nn::utils::rnn {

// The inverse of a permutation: out[permutation[i]] = i (undefined in, undefined out).
Tensor invert_permutation(const Tensor& permutation);

class PackedSequence {
 public:
  // As LibTorch's: unsorted_indices defaults to the inverse of sorted_indices; batch_sizes must be on the CPU.
  explicit PackedSequence(Tensor data, Tensor batch_sizes, Tensor sorted_indices = {}, Tensor unsorted_indices = {});

  const Tensor& data() const { return data_; }
  const Tensor& batch_sizes() const { return batch_sizes_; }
  const Tensor& sorted_indices() const { return sorted_indices_; }
  const Tensor& unsorted_indices() const { return unsorted_indices_; }

  // data converted (dtype and / or device), the indices following to data's device; batch_sizes stays on the CPU.
  // Returns *this when data needs no conversion.
  PackedSequence to(TensorOptions options) const;
  PackedSequence cuda() const;
  PackedSequence cpu() const;
  PackedSequence pin_memory() const;
  bool is_cuda() const { return data_.is_cuda(); }
  bool is_pinned() const { return data_.is_pinned(); }

 private:
  Tensor data_, batch_sizes_, sorted_indices_, unsorted_indices_;
};

// Packs a padded batch (T, B, *) (batch_first: (B, T, *)) of sequences with the given lengths (B, integer; any
// device). enforce_sorted: the lengths must be non-increasing; otherwise they are sorted here (stably) and the
// permutation kept in the result.
PackedSequence pack_padded_sequence(Tensor input, Tensor lengths, bool batch_first = false,
                                    bool enforce_sorted = true);

// The inverse: (padded (T, B, *) or batch_first (B, T, *), lengths (B, int64 on the CPU)) in the caller's order;
// T = total_length when given (at least the longest sequence), padding_value everywhere past a sequence's end.
std::tuple<Tensor, Tensor> pad_packed_sequence(const PackedSequence& sequence, bool batch_first = false,
                                               double padding_value = 0.0,
                                               std::optional<int64_t> total_length = std::nullopt);

// Stacks sequences (L_i, *) into (T, B, *) (batch_first: (B, T, *)), T = max L_i, filling with padding_value after
// each sequence ("right") or before it ("left").
Tensor pad_sequence(const std::vector<Tensor>& sequences, bool batch_first = false, double padding_value = 0.0,
                    std::string_view padding_side = "right");

// pack_padded_sequence(pad_sequence(sequences), their lengths, false, enforce_sorted).
PackedSequence pack_sequence(const std::vector<Tensor>& sequences, bool enforce_sorted = true);

}  // namespace reel::nn::utils::rnn
