// reel/tensor/shape.h — sizes and strides: DimVector (a small vector, inline up to 6 dims, so the
// common case never touches the heap) and IntList (a non-owning view that also accepts `{2, 3}`).
// Plus the shape arithmetic every op needs: numel with overflow checks, contiguous strides,
// broadcasting and dim wrapping.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace reel {

// A non-owning list of int64 (sizes, strides, dims). Like c10::IntArrayRef: it can be built from a braced
// list, a std::vector, a DimVector or a single integer. It must not outlive what it views.
class IntList {
 public:
  constexpr IntList() = default;
  constexpr IntList(const int64_t* data, size_t size) : data_(data), size_(size) {}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
  // Views the braced list for the duration of the full expression (the call it is an argument of).
  IntList(std::initializer_list<int64_t> values) : data_(values.begin()), size_(values.size()) {}
#pragma GCC diagnostic pop
  IntList(const std::vector<int64_t>& values) : data_(values.data()), size_(values.size()) {}
  IntList(const int64_t& single) : data_(&single), size_(1) {}  // NOLINT: implicit like IntArrayRef

  constexpr const int64_t* data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr const int64_t* begin() const { return data_; }
  constexpr const int64_t* end() const { return data_ + size_; }
  constexpr int64_t operator[](size_t i) const { return data_[i]; }
  constexpr int64_t back() const { return data_[size_ - 1]; }
  std::vector<int64_t> vec() const { return {begin(), end()}; }
  bool operator==(IntList other) const { return std::equal(begin(), end(), other.begin(), other.end()); }

 private:
  const int64_t* data_ = nullptr;
  size_t size_ = 0;
};

// Small vector of int64 with 6 inline slots; grows onto the heap beyond that.
class DimVector {
 public:
  static constexpr size_t kInline = 6;

  DimVector() = default;
  explicit DimVector(size_t size, int64_t value = 0) { assign(size, value); }
  DimVector(IntList values) { assign(values.begin(), values.end()); }  // NOLINT: implicit
  DimVector(std::initializer_list<int64_t> values) { assign(values.begin(), values.end()); }
  DimVector(const DimVector& other) { assign(other.begin(), other.end()); }
  DimVector(DimVector&& other) noexcept { move_from(other); }
  DimVector& operator=(const DimVector& other) {
    if (this != &other) assign(other.begin(), other.end());
    return *this;
  }
  DimVector& operator=(DimVector&& other) noexcept {
    if (this != &other) {
      release();
      move_from(other);
    }
    return *this;
  }
  ~DimVector() { release(); }

  // The loops below run over local copies of the pointer and the count: written through data_, a member count
  // would be reloaded every iteration (the stores may alias it), and a shape is copied for every tensor made.
  void assign(size_t size, int64_t value) {
    reserve(size);
    int64_t* out = data_;
    for (size_t i = 0; i < size; ++i) out[i] = value;
    size_ = size;
  }
  void assign(const int64_t* first, const int64_t* last) {
    const size_t size = static_cast<size_t>(last - first);
    reserve(size);
    int64_t* out = data_;
    for (size_t i = 0; i < size; ++i) out[i] = first[i];
    size_ = size;
  }
  void resize(size_t size, int64_t value = 0) {
    reserve(size);
    int64_t* out = data_;
    for (size_t i = size_; i < size; ++i) out[i] = value;
    size_ = size;
  }
  void reserve(size_t capacity) {
    if (capacity <= capacity_) return;
    auto* grown = new int64_t[capacity];
    const int64_t* old = data_;
    const size_t size = size_;
    for (size_t i = 0; i < size; ++i) grown[i] = old[i];
    release();
    data_ = grown;
    capacity_ = capacity;
  }
  void push_back(int64_t value) {
    if (size_ == capacity_) reserve(capacity_ * 2);
    data_[size_++] = value;
  }
  void insert(size_t position, int64_t value) {
    push_back(0);
    for (size_t i = size_ - 1; i > position; --i) data_[i] = data_[i - 1];
    data_[position] = value;
  }
  void erase(size_t position) {
    for (size_t i = position; i + 1 < size_; ++i) data_[i] = data_[i + 1];
    --size_;
  }
  void clear() { size_ = 0; }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int64_t* data() { return data_; }
  const int64_t* data() const { return data_; }
  int64_t* begin() { return data_; }
  int64_t* end() { return data_ + size_; }
  const int64_t* begin() const { return data_; }
  const int64_t* end() const { return data_ + size_; }
  int64_t& operator[](size_t i) { return data_[i]; }
  int64_t operator[](size_t i) const { return data_[i]; }
  int64_t& back() { return data_[size_ - 1]; }
  operator IntList() const { return IntList(data_, size_); }  // NOLINT: implicit on purpose
  std::vector<int64_t> vec() const { return {begin(), end()}; }
  bool operator==(const DimVector& other) const { return IntList(*this) == IntList(other); }

 private:
  void release() {
    if (data_ != inline_) delete[] data_;
    data_ = inline_;
    capacity_ = kInline;
  }
  void move_from(DimVector& other) {
    if (other.data_ == other.inline_) {
      data_ = inline_;
      capacity_ = kInline;
      const size_t size = other.size_;
      for (size_t i = 0; i < size; ++i) inline_[i] = other.inline_[i];
    } else {
      data_ = other.data_;
      capacity_ = other.capacity_;
      other.data_ = other.inline_;
      other.capacity_ = kInline;
    }
    size_ = other.size_;
    other.size_ = 0;
  }

  int64_t inline_[kInline];  // only [0, size_) is ever read: left uninitialised (zeroing it cost W1 ~5 ns per tensor)
  int64_t* data_ = inline_;
  size_t size_ = 0;
  size_t capacity_ = kInline;
};

// "[2, 3]"
std::string shape_str(IntList sizes);
// Throws reel::Error naming `op` when a tensor of these sizes and strides has several elements at one memory
// location (a size > 1 dim with stride 0, e.g. from expand): writing into it would be ill-defined.
void check_no_internal_overlap(IntList sizes, IntList strides, std::string_view op, bool in_place_suffix = false);

// Product of sizes; throws reel::Error naming `op` on a negative size or int64 overflow.
int64_t checked_numel(IntList sizes, const char* op);
// Row-major strides for `sizes`.
DimVector contiguous_strides(IntList sizes);
// NumPy broadcasting of two shapes; throws reel::Error naming `op` and both shapes when they do not match.
DimVector broadcast_shapes(IntList a, IntList b, const char* op);
// Wraps a possibly negative dim into [0, ndim); throws reel::Error naming `op` when out of range.
// A 0-dim tensor accepts dims -1 and 0, as in PyTorch.
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);
// Same, with the tensor's shape shown in the error.
int64_t wrap_dim(int64_t dim, IntList sizes, const char* op);

}  // namespace reel
