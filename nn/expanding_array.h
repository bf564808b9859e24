// reel/nn/expanding_array.h — ExpandingArray<D>, LibTorch's size argument of the D-dimensional layers.
//
// One number stands for all D spatial dims, a braced list or vector gives one per dim:
//   nn::Conv2dOptions(3, 8, 3)           // kernel_size (3, 3)
//   nn::Conv2dOptions(3, 8, {3, 5})      // kernel_size (3, 5)
// A list of any other length throws reel::Error. The value converts to IntList (LibTorch: IntArrayRef), so it can
// be handed to the tensor-level ops directly; is_single() says whether it was built from one number. (LibTorch's
// `*array` gives a std::array; here `vec()` gives a std::vector and `[i]` one value: <array> is kept out of the
// public headers, see test/public_headers.)
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "../tensor/error.h"
#include "../tensor/shape.h"

namespace reel {

template <size_t D>
class ExpandingArray {
 public:
  ExpandingArray(int64_t single) : single_(true) {  // NOLINT: implicit, as LibTorch's
    for (size_t i = 0; i < D; ++i) values_[i] = single;
  }
  ExpandingArray(std::initializer_list<int64_t> list) { assign(list.begin(), list.size()); }
  ExpandingArray(const std::vector<int64_t>& list) { assign(list.data(), list.size()); }  // NOLINT
  // One value (expanded, as a single number) or D values; reel's positional layer arguments arrive this way.
  ExpandingArray(IntList list) {  // NOLINT
    if (list.size() == 1) {
      *this = ExpandingArray(list[0]);
      return;
    }
    assign(list.data(), list.size());
  }

  operator IntList() const { return IntList(values_, D); }  // NOLINT: implicit, as LibTorch's IntArrayRef
  int64_t operator[](size_t i) const { return values_[i]; }
  int64_t& operator[](size_t i) { return values_[i]; }
  static constexpr size_t size() { return D; }
  const int64_t* data() const { return values_; }
  const int64_t* begin() const { return values_; }
  const int64_t* end() const { return values_ + D; }
  std::vector<int64_t> vec() const { return {values_, values_ + D}; }
  // Built from one number (PyTorch prints such a setting as that number, a list as a tuple).
  bool is_single() const { return single_; }
  bool operator==(const ExpandingArray& other) const {
    for (size_t i = 0; i < D; ++i)
      if (values_[i] != other.values_[i]) return false;
    return true;
  }

 private:
  void assign(const int64_t* data, size_t size) {
    if (size != D)
      throw_error("ExpandingArray: expected " + std::to_string(D) + " values (one per spatial dim), got a list of " +
                  std::to_string(size));
    for (size_t i = 0; i < D; ++i) values_[i] = data[i];
  }
  int64_t values_[D] = {};
  bool single_ = false;
};

}  // namespace reel
