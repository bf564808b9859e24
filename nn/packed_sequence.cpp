// reel/nn/packed_sequence.cpp — PackedSequence and the packing functions of torch::nn::utils::rnn with PyTorch's
// semantics and messages: packing keeps, for each step t, the first batch_sizes[t] rows (the sequences still
// running, longest first); padding puts each step's rows back and fills the rest. Built from narrow / cat / stack /
// index_select, so autograd differentiates through data.
#include "nn/packed_sequence.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tensor/error_format.h"
#include "tensor/ops.h"

namespace reel::nn::utils::rnn {

namespace {

std::vector<int64_t> int64_values(const Tensor& t) { return t.to(Device(kCPU), kInt64).contiguous().to_vector<int64_t>(); }

std::string sizes_str(const Tensor& t) { return fmt::format("[{}]", fmt::join(t.sizes(), ", ")); }

// t's sizes after the first (t must outlive the view)
IntList trailing_of(const Tensor& t) { return IntList(t.sizes().data() + 1, t.sizes().size() - 1); }

// A (rows, trailing...) block of padding_value like `like`'s dtype and device.
Tensor padding_block(int64_t rows, IntList trailing, double padding_value, const Tensor& like) {
  std::vector<int64_t> sizes{rows};
  sizes.insert(sizes.end(), trailing.begin(), trailing.end());
  return full(sizes, padding_value, like.options());
}

}  // namespace

// out[p[i]] = i
Tensor invert_permutation(const Tensor& permutation) {
  if (!permutation.defined()) return Tensor();
  Tensor output = empty_like(permutation);
  output.scatter_(0, permutation, arange(permutation.numel(), permutation.options()));
  return output;
}

PackedSequence::PackedSequence(Tensor data, Tensor batch_sizes, Tensor sorted_indices, Tensor unsorted_indices) {
  if (!unsorted_indices.defined()) unsorted_indices = invert_permutation(sorted_indices);
  REEL_CHECK(batch_sizes.defined() && batch_sizes.device().is_cpu(),
             "PackedSequence: batch_sizes should always be on CPU. Instances of PackedSequence should never be created "
             "manually. They should be instantiated by functions like pack_sequence and pack_padded_sequences in "
             "nn::utils::rnn.");
  data_ = std::move(data);
  batch_sizes_ = std::move(batch_sizes);
  sorted_indices_ = std::move(sorted_indices);
  unsorted_indices_ = std::move(unsorted_indices);
}

PackedSequence PackedSequence::to(TensorOptions options) const {
  Tensor data = data_.to(options);
  if (data.is_same(data_)) return *this;
  auto follow = [&](const Tensor& t) { return t.defined() ? t.to(data.device()) : Tensor(); };
  return PackedSequence(data, batch_sizes_, follow(sorted_indices_), follow(unsorted_indices_));
}

PackedSequence PackedSequence::cuda() const { return to(TensorOptions(Device(kCUDA))); }
PackedSequence PackedSequence::cpu() const { return to(TensorOptions(Device(kCPU))); }

PackedSequence PackedSequence::pin_memory() const {
  auto pin = [](const Tensor& t) { return t.defined() ? t.pin_memory() : Tensor(); };
  return PackedSequence(data_.pin_memory(), batch_sizes_, pin(sorted_indices_), pin(unsorted_indices_));
}

// data = the first b_t rows of every step t of the time-major padded input, b_t = #{sequences longer than t}
PackedSequence pack_padded_sequence(Tensor input, Tensor lengths, bool batch_first, bool enforce_sorted) {
  const char* op = "pack_padded_sequence";
  input.check_defined(op);
  lengths.check_defined(op);
  REEL_CHECK(input.dim() >= 2, "{}: expected a padded input of at least 2 dims ({}), got shape {}", op,
             batch_first ? "B, T, *" : "T, B, *", sizes_str(input));
  REEL_CHECK(lengths.dim() == 1, "{}: 'lengths' argument should be a 1D tensor, got shape {}", op, sizes_str(lengths));
  REEL_CHECK(is_integral(lengths.dtype()),
             "{}: expected integer lengths, got {}", op, dtype_name(lengths.dtype()));
  std::vector<int64_t> len = int64_values(lengths);
  const int64_t batch_dim = batch_first ? 0 : 1;
  Tensor sorted_indices;
  if (!enforce_sorted) {
    std::vector<int64_t> order(len.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return len[a] > len[b]; });
    std::vector<int64_t> sorted(len.size());
    for (size_t i = 0; i < order.size(); ++i) sorted[i] = len[static_cast<size_t>(order[i])];
    len = sorted;
    sorted_indices = tensor(order, TensorOptions(kInt64).device(input.device()));
    if (static_cast<int64_t>(len.size()) == input.size(batch_dim)) input = input.index_select(batch_dim, sorted_indices);
  }
  const Tensor x = batch_first ? input.transpose(0, 1) : input;  // (T, B, *)
  const int64_t steps = x.size(0), batch = x.size(1);
  REEL_CHECK(x.numel() > 0, "{}: Cannot pack empty tensors. (input shape {})", op, sizes_str(input));
  REEL_CHECK(static_cast<int64_t>(len.size()) == batch,
             "{}: Expected `len(lengths)` to be equal to batch_size, but got {} (batch_size={})", op, len.size(),
             batch);
  REEL_CHECK(len.back() > 0,
             "{}: Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0",
             op);
  for (size_t i = 1; i < len.size(); ++i) {
    REEL_CHECK(len[i] <= len[i - 1],
               "{}: `lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
               "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement if "
               "you do not need ONNX exportability.",
               op);
  }
  REEL_CHECK(len.front() <= steps, "{}: a sequence length ({}) exceeds the padded input's {} steps (shape {})", op,
             len.front(), steps, sizes_str(input));
  std::vector<int64_t> batch_sizes;
  std::vector<Tensor> pieces;
  for (int64_t t = 0; t < len.front(); ++t) {
    int64_t b = 0;
    while (b < batch && len[static_cast<size_t>(b)] > t) ++b;
    batch_sizes.push_back(b);
    pieces.push_back(x.select(0, t).narrow(0, 0, b));
  }
  return PackedSequence(cat(pieces, 0), tensor(batch_sizes, TensorOptions(kInt64)), sorted_indices, Tensor());
}

// padded[t, n] = data[offset_t + n] for n < b_t, else padding_value
std::tuple<Tensor, Tensor> pad_packed_sequence(const PackedSequence& sequence, bool batch_first, double padding_value,
                                               std::optional<int64_t> total_length) {
  const char* op = "pad_packed_sequence";
  const Tensor& data = sequence.data();
  data.check_defined(op);
  REEL_CHECK(data.dim() >= 1, "{}: expected packed data of at least 1 dim, got a scalar", op);
  const std::vector<int64_t> batch_sizes = int64_values(sequence.batch_sizes());
  int64_t max_seq_length = static_cast<int64_t>(batch_sizes.size());
  if (total_length) {
    REEL_CHECK(*total_length >= max_seq_length,
               "{}: Expected total_length to be at least the length of the longest sequence in input, but got "
               "total_length={} and max sequence length being {}",
               op, *total_length, max_seq_length);
    max_seq_length = *total_length;
  }
  REEL_CHECK(!batch_sizes.empty(), "{}: the packed sequence has no steps (empty batch_sizes)", op);
  const int64_t batch = batch_sizes[0];
  int64_t rows = 0;
  for (int64_t b : batch_sizes) rows += b;
  REEL_CHECK(rows == data.size(0), "{}: batch_sizes sum to {} rows, but data has shape {}", op, rows, sizes_str(data));
  const IntList trailing = trailing_of(data);
  std::vector<Tensor> steps;
  int64_t offset = 0;
  for (int64_t t = 0; t < max_seq_length; ++t) {
    const int64_t b = t < static_cast<int64_t>(batch_sizes.size()) ? batch_sizes[static_cast<size_t>(t)] : 0;
    Tensor rows_t = data.narrow(0, offset, b);
    if (b < batch) rows_t = cat({rows_t, padding_block(batch - b, trailing, padding_value, data)}, 0);
    steps.push_back(rows_t);
    offset += b;
  }
  Tensor padded = stack(steps, 0);  // (T, B, *)
  std::vector<int64_t> lengths(static_cast<size_t>(batch), 0);
  for (int64_t b : batch_sizes)
    for (int64_t n = 0; n < b; ++n) ++lengths[static_cast<size_t>(n)];
  Tensor out_lengths = tensor(lengths, TensorOptions(kInt64));
  if (batch_first) padded = padded.transpose(0, 1);
  const Tensor& unsorted = sequence.unsorted_indices();
  if (unsorted.defined()) {
    padded = padded.index_select(batch_first ? 0 : 1, unsorted);
    out_lengths = out_lengths.index_select(0, unsorted.cpu());
  }
  return {padded, out_lengths};
}

// out[:, i] = sequences[i] then padding (right), or padding then sequences[i] (left)
Tensor pad_sequence(const std::vector<Tensor>& sequences, bool batch_first, double padding_value,
                    std::string_view padding_side) {
  const char* op = "pad_sequence";
  REEL_CHECK(!sequences.empty(), "{}: received an empty list of sequences", op);
  REEL_CHECK(padding_side == "left" || padding_side == "right",
             "{}: Expected padding_side to be one of left or right, but got {}.", op, padding_side);
  const Tensor& first = sequences[0];
  first.check_defined(op);
  int64_t longest = 0;
  for (size_t i = 0; i < sequences.size(); ++i) {
    const Tensor& s = sequences[i];
    s.check_defined(op);
    REEL_CHECK(s.dim() >= 1, "{}: sequences[{}] is a scalar; each sequence needs a length dim (L, *)", op, i);
    REEL_CHECK(trailing_of(s) == trailing_of(first),
               "{}: sequences[{}] has shape {}, whose trailing dims differ from sequences[0]'s {}", op, i,
               sizes_str(s), sizes_str(first));
    REEL_CHECK(s.device() == first.device(), "{}: sequences[{}] is on {}, sequences[0] on {}", op, i,
               s.device().str(), first.device().str());
    longest = std::max(longest, s.size(0));
  }
  const IntList trailing = trailing_of(first);
  std::vector<Tensor> columns;
  for (const Tensor& s : sequences) {
    Tensor column = s.to(first.dtype());
    const int64_t missing = longest - s.size(0);
    if (missing > 0) {
      const Tensor pad = padding_block(missing, trailing, padding_value, column);
      column = padding_side == "right" ? cat({column, pad}, 0) : cat({pad, column}, 0);
    }
    columns.push_back(column);
  }
  return stack(columns, batch_first ? 0 : 1);
}

PackedSequence pack_sequence(const std::vector<Tensor>& sequences, bool enforce_sorted) {
  std::vector<int64_t> lengths;
  for (const Tensor& s : sequences) {
    s.check_defined("pack_sequence");
    REEL_CHECK(s.dim() >= 1, "pack_sequence: each sequence needs a length dim (L, *), got a scalar");
    lengths.push_back(s.size(0));
  }
  return pack_padded_sequence(pad_sequence(sequences), tensor(lengths, TensorOptions(kInt64)), false, enforce_sorted);
}

}  // namespace reel::nn::utils::rnn
