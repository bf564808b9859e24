// reel/tensor/indexing.h — LibTorch's Tensor Indexing API (torch::indexing): Slice, None, Ellipsis and TensorIndex,
// the entries of x.index({...}) and x.index_put_({...}, v).
//
// Python              reel (as LibTorch)
//   x[None]             x.index({None})
//   x[...]              x.index({Ellipsis})  or  x.index({"..."})
//   x[1, 2]             x.index({1, 2})
//   x[True]             x.index({true})
//   x[1:None:2]         x.index({Slice(1, None, 2)})
//   x[mask, idx]        x.index({mask, idx})          (bool/uint8 masks, integer index tensors)
//   x[1:3] = v          x.index_put_({Slice(1, 3)}, v)
// Slices, integers, None and Ellipsis make a view (no copy; storage shared). Tensors and bools index "advanced": the
// index tensors (a mask stands for its nonzero columns and covers as many dims as it has; a bool is an index [0] or
// [] at a new dim of size 1) broadcast together to B, and B's dims replace the indexed dims when all advanced entries
// are adjacent, else they come first — PyTorch's rules. A 0-dim integer tensor selects, like an integer.
// The entries are applied by tensor/indexing.cpp; the advanced part is reel::index / reel::index_put_ (tensor/ops.h).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>

#include "tensor.h"

namespace reel::indexing {

// torch::indexing::None is std::nullopt, as in LibTorch: Slice(None, 3) and x.index({None}) both read it.
inline constexpr std::nullopt_t None = std::nullopt;

struct EllipsisIndexType final {
  EllipsisIndexType() = default;
};
inline constexpr EllipsisIndexType Ellipsis = EllipsisIndexType();

// start:stop:step. An absent start is 0, an absent stop is the end (INT64_MAX); step must be positive. Out-of-range
// bounds are clamped as in Python; negative bounds count from the end.
class Slice final {
 public:
  Slice(std::optional<int64_t> start_index = std::nullopt, std::optional<int64_t> stop_index = std::nullopt,
        std::optional<int64_t> step_index = std::nullopt);
  int64_t start() const { return start_; }
  int64_t stop() const { return stop_; }
  int64_t step() const { return step_; }

 private:
  int64_t start_;
  int64_t stop_;
  int64_t step_;
};
std::ostream& operator<<(std::ostream& stream, const Slice& slice);

enum class TensorIndexType { None, Ellipsis, SymInt, Boolean, Slice, Tensor };

// One entry of an index list: None, Ellipsis (or the string "..."), an integer, a bool, a Slice or a Tensor.
class TensorIndex final {
 public:
  TensorIndex(std::nullopt_t) : type_(TensorIndexType::None) {}                    // NOLINT: implicit on purpose
  TensorIndex(EllipsisIndexType) : type_(TensorIndexType::Ellipsis) {}             // NOLINT
  TensorIndex(const char* str);                                                    // NOLINT: must be "..."
  TensorIndex(int64_t integer) : integer_(integer), type_(TensorIndexType::SymInt) {}  // NOLINT
  TensorIndex(int integer) : TensorIndex(static_cast<int64_t>(integer)) {}        // NOLINT
  template <class T, class = std::enable_if_t<std::is_same_v<bool, T>>>
  TensorIndex(T boolean) : boolean_(boolean), type_(TensorIndexType::Boolean) {}  // NOLINT
  TensorIndex(Slice slice) : slice_(slice), type_(TensorIndexType::Slice) {}      // NOLINT
  TensorIndex(Tensor tensor) : tensor_(std::move(tensor)), type_(TensorIndexType::Tensor) {}  // NOLINT

  bool is_none() const { return type_ == TensorIndexType::None; }
  bool is_ellipsis() const { return type_ == TensorIndexType::Ellipsis; }
  bool is_integer() const { return type_ == TensorIndexType::SymInt; }
  int64_t integer() const { return integer_; }
  bool is_boolean() const { return type_ == TensorIndexType::Boolean; }
  bool boolean() const { return boolean_; }
  bool is_slice() const { return type_ == TensorIndexType::Slice; }
  const Slice& slice() const { return slice_; }
  bool is_tensor() const { return type_ == TensorIndexType::Tensor; }
  const Tensor& tensor() const { return tensor_; }

 private:
  int64_t integer_ = 0;
  bool boolean_ = false;
  Slice slice_;
  Tensor tensor_;
  TensorIndexType type_;
};
std::ostream& operator<<(std::ostream& stream, const TensorIndex& index);

}  // namespace reel::indexing
