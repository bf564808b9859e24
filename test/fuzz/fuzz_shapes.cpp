// test/fuzz/fuzz_shapes.cpp — libFuzzer target: shape arithmetic, views and broadcasting against a naive reference.
//
// The fuzzer's bytes decode (reel_fuzz::FieldReader) into a small int64 tensor of arange values and a chain of
// requests: view, reshape, permute, expand, slice, narrow, select, transpose, unsqueeze/squeeze, flatten,
// as_strided, a broadcast add, broadcast_shapes on raw sizes, and empty() on raw sizes. Sizes, strides, dims and
// offsets come from the bytes too, from small values up to values whose products overflow 64 bits.
//
// The reference written here keeps the current tensor as its sizes and its values in row-major order. Each
// request is decided by naive rules (the element-count product in 128-bit arithmetic, NumPy's broadcast rule,
// Python's slice clamping, "a view exists iff the row-major element offsets are an affine function of the new
// index", found by probing and then checking every element) and reel must agree: throw reel::Error exactly when
// the reference says the request is invalid, otherwise return the reference's sizes, and values that, read
// through the naive strided formula storage[offset + sum_k i_k * stride_k] (every index bounds-checked against
// the storage), equal the reference's. Tensors stay at most kMaxElements elements; a valid request whose result
// would be larger is checked for its shape only (views) or not made (allocations).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_input.h"
#include "tensor/ops.h"
#include "tensor/tensor.h"

namespace {

using Sizes = std::vector<int64_t>;
using reel::Tensor;
using reel_fuzz::FieldReader;

constexpr int64_t kMaxElements = 4096;
constexpr int64_t kMaxDims = 8;

// The current tensor as the reference sees it.
struct Reference {
  Sizes sizes;
  std::vector<int64_t> values;  // row-major; empty when the shape is too large to materialise
  bool materialised = true;
};

// Product of sizes, PyTorch's rule: a running product that must stay within int64 at every step (so a 0 makes
// the rest harmless only when it comes first); nullopt for a negative size or an overflow.
std::optional<int64_t> reference_numel(const Sizes& sizes) {
  for (int64_t s : sizes) {
    if (s < 0) return std::nullopt;
  }
  __int128 product = 1;
  for (int64_t s : sizes) {
    product *= s;
    if (product > INT64_MAX) return std::nullopt;
  }
  return static_cast<int64_t>(product);
}

// Whether the row-major strides of `sizes` leave int64 (only possible with no elements: [0, 2^62, 2^62]); PyTorch
// refuses to make such a tensor ("Stride calculation overflowed"), and so does reel.
bool contiguous_strides_overflow(const Sizes& sizes) {
  __int128 running = 1;
  for (size_t k = sizes.size(); k-- > 1;) {
    running *= std::max<int64_t>(sizes[k], 1);
    if (running > INT64_MAX) return true;
  }
  return false;
}

// Row-major multi-index of flat position `flat`.
Sizes unravel(int64_t flat, const Sizes& sizes) {
  Sizes index(sizes.size());
  for (size_t k = sizes.size(); k-- > 0;) {
    index[k] = flat % sizes[k];
    flat /= sizes[k];
  }
  return index;
}

int64_t ravel(const Sizes& index, const Sizes& sizes) {
  int64_t flat = 0;
  for (size_t k = 0; k < sizes.size(); ++k) flat = flat * sizes[k] + index[k];
  return flat;
}

// The values of `t` in row-major order, each read through the naive strided formula from its storage.
std::vector<int64_t> read_strided(const Tensor& t) {
  const int64_t count = t.numel();
  const Sizes sizes = t.sizes().vec();
  const Sizes strides = t.strides().vec();
  const auto* storage = static_cast<const int64_t*>(t.storage()->data);
  const int64_t storage_elements = static_cast<int64_t>(t.storage()->nbytes / sizeof(int64_t));
  std::vector<int64_t> values(static_cast<size_t>(count));
  for (int64_t flat = 0; flat < count; ++flat) {
    const Sizes index = unravel(flat, sizes);
    __int128 at = t.storage_offset();
    for (size_t k = 0; k < index.size(); ++k) at += static_cast<__int128>(index[k]) * strides[k];
    REEL_FUZZ_REQUIRE(at >= 0 && at < storage_elements, "element %lld lies at %lld outside a storage of %lld",
                      static_cast<long long>(flat), static_cast<long long>(at), static_cast<long long>(storage_elements));
    values[static_cast<size_t>(flat)] = storage[static_cast<size_t>(at)];
  }
  return values;
}

// reel's result against the reference: shape always; values through strides and through contiguous().
void check_against(const Tensor& t, const Reference& ref, const char* what) {
  REEL_FUZZ_REQUIRE(t.sizes() == reel::IntList(ref.sizes), "%s: shape differs from the reference", what);
  const std::optional<int64_t> numel = reference_numel(ref.sizes);
  REEL_FUZZ_REQUIRE(numel && t.numel() == *numel, "%s: numel %lld differs from the reference", what,
                    static_cast<long long>(t.numel()));
  if (!ref.materialised) return;
  REEL_FUZZ_REQUIRE(read_strided(t) == ref.values, "%s: values read through the strides differ", what);
  REEL_FUZZ_REQUIRE(t.contiguous().to_vector<int64_t>() == ref.values, "%s: contiguous() values differ", what);
}

std::string shape_text(const Sizes& sizes) { return reel::shape_str(sizes); }

// Runs a request reel must refuse with reel::Error; `request` describes it in the failure message.
template <typename Body>
void expect_error(const char* what, Body&& body, const std::string& request = "") {
  try {
    body();
  } catch (const reel::Error&) {
    return;
  }
  REEL_FUZZ_REQUIRE(false, "%s: reel accepted a request the reference refuses %s", what, request.c_str());
}

// A size: mostly small, sometimes 0 or -1, sometimes huge (products of a few overflow int64).
int64_t decode_size(FieldReader& in) {
  const uint8_t kind = in.byte();
  if (kind < 200) return kind % 5;
  if (kind < 215) return -1;
  if (kind < 225) return -static_cast<int64_t>(in.byte()) - 2;
  if (kind < 240) return int64_t{1} << in.small(16, 62);
  return static_cast<int64_t>(in.u64() & 0x7fffffffffffffffULL);
}

Sizes decode_shape(FieldReader& in, int64_t max_dims) {
  Sizes sizes(static_cast<size_t>(in.small(0, max_dims)));
  for (int64_t& s : sizes) s = decode_size(in);
  return sizes;
}

// A dim argument: mostly within [-ndim, ndim), sometimes out of range.
int64_t decode_dim(FieldReader& in, int64_t ndim) {
  const uint8_t kind = in.byte();
  if (kind < 240) return static_cast<int64_t>(kind % (2 * std::max<int64_t>(ndim, 1))) - ndim;
  return static_cast<int64_t>(in.u64());
}

// A position argument (start, end, index, offset): small signed, or anything.
int64_t decode_position(FieldReader& in) {
  const uint8_t kind = in.byte();
  if (kind < 240) return static_cast<int64_t>(kind % 13) - 6;
  return static_cast<int64_t>(in.u64());
}

std::optional<int64_t> wrap(int64_t dim, int64_t ndim) {
  const int64_t n = std::max<int64_t>(ndim, 1);  // 0-dim tensors accept -1 and 0
  if (dim < -n || dim >= n) return std::nullopt;
  return dim < 0 ? dim + n : dim;
}

// ---- view and reshape -----------------------------------------------------------------------------------------
// The sizes view/reshape produce from `requested` (one -1 inferred), or nullopt when PyTorch refuses them.
std::optional<Sizes> infer_shape(const Sizes& requested, int64_t numel) {
  std::optional<size_t> infer_at;
  Sizes known;
  for (size_t i = 0; i < requested.size(); ++i) {
    if (requested[i] == -1) {
      if (infer_at) return std::nullopt;
      infer_at = i;
    } else if (requested[i] < 0) {
      return std::nullopt;
    } else {
      known.push_back(requested[i]);
    }
  }
  const std::optional<int64_t> product = reference_numel(known);
  if (!product) return std::nullopt;
  Sizes result = requested;
  if (infer_at) {
    if (*product == 0 || numel % *product != 0) return std::nullopt;
    result[*infer_at] = numel / *product;
  } else if (*product != numel) {
    return std::nullopt;
  }
  return result;
}

// Whether memory laid out as `t` can be viewed with `new_sizes` without copying: the offset of the element at
// row-major position f must be offset0 + sum_k index_k(f) * s_k for some strides s. The strides are probed at
// the unit index of each dim and then checked for every element.
bool view_exists(const Tensor& t, const Sizes& new_sizes) {
  const int64_t count = t.numel();
  if (count == 0) return true;
  const Sizes old_sizes = t.sizes().vec();
  const Sizes old_strides = t.strides().vec();
  auto offset_of = [&](int64_t flat) {
    const Sizes index = unravel(flat, old_sizes);
    __int128 at = 0;
    for (size_t k = 0; k < index.size(); ++k) at += static_cast<__int128>(index[k]) * old_strides[k];
    return at;
  };
  std::vector<__int128> strides(new_sizes.size(), 0);
  int64_t after = 1;
  for (size_t k = new_sizes.size(); k-- > 0;) {
    if (new_sizes[k] > 1) strides[k] = offset_of(after) - offset_of(0);
    after *= new_sizes[k];
  }
  for (int64_t flat = 0; flat < count; ++flat) {
    const Sizes index = unravel(flat, new_sizes);
    __int128 at = 0;
    for (size_t k = 0; k < index.size(); ++k) at += index[k] * strides[k];
    if (at != offset_of(flat) - offset_of(0)) return false;
  }
  return true;
}

void request_view_or_reshape(Tensor& cur, Reference& ref, FieldReader& in, bool is_view) {
  const Sizes requested = decode_shape(in, kMaxDims);
  const char* what = is_view ? "view" : "reshape";
  if (!ref.materialised) return;  // too many elements for the element-by-element view check
  const std::optional<Sizes> shape = infer_shape(requested, cur.numel());
  // A view of an empty tensor gets row-major strides unless the shape stays the same.
  const bool strides_overflow = shape && cur.numel() == 0 && *shape != ref.sizes && contiguous_strides_overflow(*shape);
  if (!shape || strides_overflow || (is_view && !view_exists(cur, *shape))) {
    expect_error(what, [&] { is_view ? cur.view(requested) : cur.reshape(requested); },
                 shape_text(ref.sizes) + " strides " + shape_text(cur.strides().vec()) + " to " + shape_text(requested));
    return;
  }
  Tensor out = is_view ? cur.view(requested) : cur.reshape(requested);
  if (is_view || view_exists(cur, *shape)) {
    REEL_FUZZ_REQUIRE(out.storage().get() == cur.storage().get(), "%s: a viewable request copied", what);
  }
  ref.sizes = *shape;
  check_against(out, ref, what);
  cur = out;
}

// ---- permutations, transposes, squeezes ------------------------------------------------------------------------
void request_permute(Tensor& cur, Reference& ref, FieldReader& in) {
  const int64_t ndim = cur.dim();
  Sizes dims(static_cast<size_t>(in.flag() ? ndim : in.small(0, kMaxDims)));
  for (int64_t& d : dims) d = decode_dim(in, ndim);
  bool valid = static_cast<int64_t>(dims.size()) == ndim;
  std::vector<bool> seen(static_cast<size_t>(ndim), false);
  Sizes order;
  for (int64_t d : dims) {
    const std::optional<int64_t> w = ndim == 0 ? std::nullopt : wrap(d, ndim);
    if (!w || seen[static_cast<size_t>(*w)]) {
      valid = false;
      break;
    }
    seen[static_cast<size_t>(*w)] = true;
    order.push_back(*w);
  }
  if (!valid) {
    expect_error("permute", [&] { cur.permute(dims); });
    return;
  }
  Reference next;
  for (int64_t d : order) next.sizes.push_back(ref.sizes[static_cast<size_t>(d)]);
  if (!reference_numel(next.sizes)) {  // an empty tensor whose 0 moves behind sizes that overflow, as in PyTorch
    expect_error("permute", [&] { cur.permute(dims); }, shape_text(next.sizes));
    return;
  }
  next.materialised = ref.materialised;
  if (ref.materialised) {
    next.values.resize(ref.values.size());
    for (size_t flat = 0; flat < next.values.size(); ++flat) {
      const Sizes index = unravel(static_cast<int64_t>(flat), next.sizes);
      Sizes source(index.size());
      for (size_t k = 0; k < order.size(); ++k) source[static_cast<size_t>(order[k])] = index[k];
      next.values[flat] = ref.values[static_cast<size_t>(ravel(source, ref.sizes))];
    }
  }
  cur = cur.permute(dims);
  ref = next;
  check_against(cur, ref, "permute");
}

void request_transpose(Tensor& cur, Reference& ref, FieldReader& in) {
  const int64_t ndim = cur.dim();
  const int64_t d0 = decode_dim(in, ndim);
  const int64_t d1 = decode_dim(in, ndim);
  const std::optional<int64_t> w0 = wrap(d0, ndim), w1 = wrap(d1, ndim);
  if (!w0 || !w1) {
    expect_error("transpose", [&] { cur.transpose(d0, d1); });
    return;
  }
  if (ndim == 0) {  // a 0-dim tensor transposes to itself
    cur = cur.transpose(d0, d1);
    check_against(cur, ref, "transpose");
    return;
  }
  // As a permutation that swaps the two dims.
  Sizes order(static_cast<size_t>(ndim));
  for (int64_t k = 0; k < ndim; ++k) order[static_cast<size_t>(k)] = k;
  std::swap(order[static_cast<size_t>(*w0)], order[static_cast<size_t>(*w1)]);
  Reference next;
  for (int64_t d : order) next.sizes.push_back(ref.sizes[static_cast<size_t>(d)]);
  if (!reference_numel(next.sizes)) {  // see request_permute
    expect_error("transpose", [&] { cur.transpose(d0, d1); }, shape_text(next.sizes));
    return;
  }
  next.materialised = ref.materialised;
  if (ref.materialised) {
    next.values.resize(ref.values.size());
    for (size_t flat = 0; flat < next.values.size(); ++flat) {
      Sizes index = unravel(static_cast<int64_t>(flat), next.sizes);
      std::swap(index[static_cast<size_t>(*w0)], index[static_cast<size_t>(*w1)]);
      next.values[flat] = ref.values[static_cast<size_t>(ravel(index, ref.sizes))];
    }
  }
  cur = cur.transpose(d0, d1);
  ref = next;
  check_against(cur, ref, "transpose");
}

void request_squeeze_or_unsqueeze(Tensor& cur, Reference& ref, FieldReader& in) {
  const int64_t ndim = cur.dim();
  if (in.flag()) {
    const int64_t dim = decode_dim(in, ndim + 1);
    const std::optional<int64_t> w = wrap(dim, ndim + 1);
    if (!w || ndim >= kMaxDims) {
      if (!w) expect_error("unsqueeze", [&] { cur.unsqueeze(dim); });
      return;
    }
    ref.sizes.insert(ref.sizes.begin() + *w, 1);
    cur = cur.unsqueeze(dim);
    check_against(cur, ref, "unsqueeze");
    return;
  }
  const int64_t dim = decode_dim(in, ndim);
  const std::optional<int64_t> w = wrap(dim, ndim);
  if (!w) {
    expect_error("squeeze", [&] { cur.squeeze(dim); });
    return;
  }
  if (ndim > 0 && ref.sizes[static_cast<size_t>(*w)] == 1) ref.sizes.erase(ref.sizes.begin() + *w);
  cur = cur.squeeze(dim);
  check_against(cur, ref, "squeeze");
}

void request_flatten(Tensor& cur, Reference& ref, FieldReader& in) {
  if (!ref.materialised) return;  // flatten may copy, and a copy that large is not the point here
  const int64_t ndim = cur.dim();
  const int64_t start = decode_dim(in, ndim);
  const int64_t end = decode_dim(in, ndim);
  const std::optional<int64_t> ws = wrap(start, ndim), we = wrap(end, ndim);
  if (!ws || !we || *ws > *we) {
    expect_error("flatten", [&] { cur.flatten(start, end); });
    return;
  }
  Sizes sizes;
  if (ndim == 0) {
    sizes = {1};
  } else {
    for (int64_t k = 0; k < *ws; ++k) sizes.push_back(ref.sizes[static_cast<size_t>(k)]);
    const std::optional<int64_t> merged =
        reference_numel(Sizes(ref.sizes.begin() + *ws, ref.sizes.begin() + *we + 1));
    sizes.push_back(merged.value_or(0));
    for (int64_t k = *we + 1; k < ndim; ++k) sizes.push_back(ref.sizes[static_cast<size_t>(k)]);
    // An empty tensor's merged dims may overflow; an empty tensor reshaped gets row-major strides, which may too.
    if (!merged || (*ws != *we && cur.numel() == 0 && contiguous_strides_overflow(sizes))) {
      expect_error("flatten", [&] { cur.flatten(start, end); }, shape_text(ref.sizes));
      return;
    }
  }
  ref.sizes = sizes;
  cur = cur.flatten(start, end);
  check_against(cur, ref, "flatten");
}

// ---- expand ------------------------------------------------------------------------------------------------------
void request_expand(Tensor& cur, Reference& ref, FieldReader& in) {
  const int64_t ndim = cur.dim();
  Sizes target(static_cast<size_t>(ndim + in.small(0, 3)));
  for (int64_t& s : target) s = in.small(0, 3) == 0 ? decode_size(in) : -1;
  const int64_t lead = static_cast<int64_t>(target.size()) - ndim;
  Sizes sizes(target.size());
  bool valid = true;
  for (int64_t k = 0; k < static_cast<int64_t>(target.size()); ++k) {
    const int64_t want = target[static_cast<size_t>(k)];
    if (k < lead) {
      valid = valid && want >= 0;
      sizes[static_cast<size_t>(k)] = want;
      continue;
    }
    const int64_t have = ref.sizes[static_cast<size_t>(k - lead)];
    if (want == -1) {
      sizes[static_cast<size_t>(k)] = have;
    } else if (want < 0 || (have != 1 && want != have)) {
      valid = false;
    } else {
      sizes[static_cast<size_t>(k)] = want;
    }
  }
  const std::optional<int64_t> numel = valid ? reference_numel(sizes) : std::nullopt;
  if (!numel) {
    expect_error("expand", [&] { cur.expand(target); }, shape_text(ref.sizes) + " to " + shape_text(target));
    return;
  }
  Reference next;
  next.sizes = sizes;
  next.materialised = ref.materialised && *numel <= kMaxElements;
  if (next.materialised) {
    next.values.resize(static_cast<size_t>(*numel));
    for (int64_t flat = 0; flat < *numel; ++flat) {
      const Sizes index = unravel(flat, sizes);
      Sizes source(static_cast<size_t>(ndim));
      for (int64_t k = 0; k < ndim; ++k) {
        source[static_cast<size_t>(k)] = ref.sizes[static_cast<size_t>(k)] == 1 ? 0 : index[static_cast<size_t>(k + lead)];
      }
      next.values[static_cast<size_t>(flat)] = ref.values[static_cast<size_t>(ravel(source, ref.sizes))];
    }
  }
  cur = cur.expand(target);
  ref = next;
  check_against(cur, ref, "expand");
}

// ---- slicing -----------------------------------------------------------------------------------------------------
// Keeps the positions first, first + step, ... (`count` of them) of dim d.
Reference take_along(const Reference& ref, int64_t d, int64_t first, int64_t step, int64_t count, bool drop_dim) {
  Reference next;
  next.sizes = ref.sizes;
  next.sizes[static_cast<size_t>(d)] = count;
  next.materialised = ref.materialised;
  if (ref.materialised) {
    const std::optional<int64_t> numel = reference_numel(next.sizes);  // at most the input's count
    REEL_FUZZ_REQUIRE(numel.has_value(), "slicing made an invalid shape %s", shape_text(next.sizes).c_str());
    next.values.resize(static_cast<size_t>(*numel));
    for (int64_t flat = 0; flat < *numel; ++flat) {
      Sizes index = unravel(flat, next.sizes);
      index[static_cast<size_t>(d)] = first + index[static_cast<size_t>(d)] * step;
      next.values[static_cast<size_t>(flat)] = ref.values[static_cast<size_t>(ravel(index, ref.sizes))];
    }
  }
  if (drop_dim) next.sizes.erase(next.sizes.begin() + d);
  return next;
}

void request_slice(Tensor& cur, Reference& ref, FieldReader& in) {
  const int64_t ndim = cur.dim();
  const int64_t dim = decode_dim(in, ndim);
  const uint8_t choice = in.byte() % 3;
  const int64_t a = decode_position(in);
  const int64_t b = decode_position(in);
  const std::optional<int64_t> w = ndim == 0 ? std::nullopt : wrap(dim, ndim);
  const int64_t size = w ? ref.sizes[static_cast<size_t>(*w)] : 0;
  if (choice == 0) {  // slice(dim, start, end, step) with Python's clamping
    const int64_t step = in.byte() < 230 ? in.small(-1, 4) : static_cast<int64_t>(in.u64());
    if (!w || step <= 0) {
      expect_error("slice", [&] { cur.slice(dim, a, b, step); });
      return;
    }
    auto clamp = [&](int64_t i) { return i < 0 ? std::max<int64_t>(0, i < -size ? 0 : i + size) : std::min(i, size); };
    const int64_t first = clamp(a), span = std::max<int64_t>(clamp(b) - first, 0);
    ref = take_along(ref, *w, first, step, span / step + (span % step != 0 ? 1 : 0), false);
    cur = cur.slice(dim, a, b, step);
    check_against(cur, ref, "slice");
  } else if (choice == 1) {  // narrow(dim, start, length)
    const int64_t start = a < -size || a > size ? a : (a < 0 ? a + size : a);
    if (!w || a < -size || a > size || b < 0 || start > size - b) {
      expect_error("narrow", [&] { cur.narrow(dim, a, b); });
      return;
    }
    ref = take_along(ref, *w, start, 1, b, false);
    cur = cur.narrow(dim, a, b);
    check_against(cur, ref, "narrow");
  } else {  // select(dim, index)
    if (!w || a < -size || a >= size) {
      expect_error("select", [&] { cur.select(dim, a); });
      return;
    }
    ref = take_along(ref, *w, a < 0 ? a + size : a, 1, 1, true);
    cur = cur.select(dim, a);
    check_against(cur, ref, "select");
  }
}

// ---- as_strided on the arange storage ------------------------------------------------------------------------------
void request_as_strided(const Tensor& base, Tensor& cur, Reference& ref, FieldReader& in) {
  const Sizes sizes = decode_shape(in, 5);
  Sizes strides(in.flag() ? sizes.size() : static_cast<size_t>(in.small(0, 5)));
  for (int64_t& s : strides) s = in.byte() < 230 ? in.small(-1, 6) : static_cast<int64_t>(in.u64() >> in.small(0, 63));
  const int64_t offset = decode_position(in);
  const int64_t storage_elements = base.numel();
  const std::optional<int64_t> numel = sizes.size() == strides.size() ? reference_numel(sizes) : std::nullopt;
  bool valid = numel.has_value() && offset >= 0;
  __int128 last = offset;
  for (size_t k = 0; valid && k < sizes.size(); ++k) {
    valid = strides[k] >= 0;
    if (*numel > 0) last += static_cast<__int128>(sizes[k] - 1) * strides[k];
  }
  valid = valid && (*numel == 0 || last < storage_elements);
  if (!valid) {
    expect_error("as_strided", [&] { base.as_strided(sizes, strides, offset); },
                 shape_text(sizes) + " " + shape_text(strides) + " offset " + std::to_string(offset));
    return;
  }
  Reference next;
  next.sizes = sizes;
  next.materialised = *numel <= kMaxElements;
  if (next.materialised) {
    next.values.resize(static_cast<size_t>(*numel));
    for (int64_t flat = 0; flat < *numel; ++flat) {
      const Sizes index = unravel(flat, sizes);
      int64_t at = offset;
      for (size_t k = 0; k < sizes.size(); ++k) at += index[k] * strides[k];
      next.values[static_cast<size_t>(flat)] = at;  // the storage holds arange values: storage[i] == i
    }
  }
  cur = base.as_strided(sizes, strides, offset);
  ref = next;
  check_against(cur, ref, "as_strided");
}

// ---- broadcasting and allocation ------------------------------------------------------------------------------------
std::optional<Sizes> reference_broadcast(const Sizes& a, const Sizes& b) {
  const size_t n = std::max(a.size(), b.size());
  Sizes out(n);
  for (size_t k = 0; k < n; ++k) {
    const int64_t x = k + a.size() >= n ? a[k + a.size() - n] : 1;
    const int64_t y = k + b.size() >= n ? b[k + b.size() - n] : 1;
    if (x != y && x != 1 && y != 1) return std::nullopt;
    out[k] = x == 1 ? y : x;
  }
  return out;
}

void request_broadcast(Tensor& cur, Reference& ref, FieldReader& in) {
  // broadcast_shapes alone, on raw non-negative sizes (huge ones included).
  Sizes raw_a = decode_shape(in, kMaxDims), raw_b = decode_shape(in, kMaxDims);
  for (int64_t& s : raw_a) s = s < 0 ? 1 : s;
  for (int64_t& s : raw_b) s = s < 0 ? 1 : s;
  const std::optional<Sizes> expected = reference_broadcast(raw_a, raw_b);
  if (!expected) {
    expect_error("broadcast_shapes", [&] { reel::broadcast_shapes(raw_a, raw_b, "fuzz"); });
  } else {
    const reel::DimVector got = reel::broadcast_shapes(raw_a, raw_b, "fuzz");
    REEL_FUZZ_REQUIRE(reel::IntList(got) == reel::IntList(*expected), "broadcast_shapes differs from the rule");
  }
  // cur + other, other a small arange tensor of a decoded shape.
  Sizes other_sizes = decode_shape(in, 4);
  for (int64_t& s : other_sizes) s = s < 0 || s > 4 ? 1 : s;
  const std::optional<Sizes> out_sizes = reference_broadcast(ref.sizes, other_sizes);
  const int64_t other_numel = *reference_numel(other_sizes);
  const Tensor other = reel::arange(other_numel, reel::kInt64).mul(1000).reshape(other_sizes);
  if (!out_sizes) {
    expect_error("add", [&] { reel::add(cur, other); });
    return;
  }
  const std::optional<int64_t> numel = reference_numel(*out_sizes);
  if (!ref.materialised || !numel || *numel > kMaxElements) return;  // too large to compute
  if (contiguous_strides_overflow(*out_sizes)) {
    expect_error("add", [&] { reel::add(cur, other); });
    return;
  }
  Reference next;
  next.sizes = *out_sizes;
  next.values.resize(static_cast<size_t>(*numel));
  const size_t n = out_sizes->size();
  for (int64_t flat = 0; flat < *numel; ++flat) {
    const Sizes index = unravel(flat, *out_sizes);
    auto source = [&](const Sizes& sizes) {
      Sizes s(sizes.size());
      for (size_t k = 0; k < sizes.size(); ++k) s[k] = sizes[k] == 1 ? 0 : index[k + n - sizes.size()];
      return ravel(s, sizes);
    };
    next.values[static_cast<size_t>(flat)] =
        ref.values[static_cast<size_t>(source(ref.sizes))] + 1000 * source(other_sizes);
  }
  cur = reel::add(cur, other);
  ref = next;
  check_against(cur, ref, "add");
}

void request_empty(FieldReader& in) {
  const Sizes sizes = decode_shape(in, kMaxDims);
  const std::optional<int64_t> numel = reference_numel(sizes);
  const bool bytes_overflow = numel && static_cast<__int128>(*numel) * 8 > INT64_MAX;
  if (!numel || bytes_overflow || contiguous_strides_overflow(sizes)) {
    expect_error("empty", [&] { reel::empty(sizes, reel::kInt64); }, shape_text(sizes));
    return;
  }
  if (*numel > kMaxElements) return;  // valid, but a real allocation of that size is not the point here
  const Tensor t = reel::zeros(sizes, reel::kInt64);
  REEL_FUZZ_REQUIRE(t.numel() == *numel && t.sizes() == reel::IntList(sizes), "zeros: wrong shape");
  REEL_FUZZ_REQUIRE(t.strides() == reel::IntList(reel::contiguous_strides(sizes)), "zeros: not contiguous");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FieldReader in(data, size);
  // The starting tensor: arange values in a storage of 1..kMaxElements elements, viewed with a decoded shape
  // of the same count (dims of 1..6 elements).
  Sizes start_sizes(static_cast<size_t>(in.small(0, 4)));
  for (int64_t& s : start_sizes) s = in.small(0, 6);
  const int64_t count = *reference_numel(start_sizes);
  const Tensor base = reel::arange(std::max<int64_t>(count, 1), reel::kInt64);
  Tensor cur = base.narrow(0, 0, count).view(start_sizes);
  Reference ref;
  ref.sizes = start_sizes;
  for (int64_t i = 0; i < count; ++i) ref.values.push_back(i);
  check_against(cur, ref, "start");

  // A reel::Error escaping a request the reference accepts is a finding too: nothing catches it here.
  for (int step = 0; step < 8 && !in.empty(); ++step) {
    switch (in.byte() % 12) {
      case 0: request_view_or_reshape(cur, ref, in, true); break;
      case 1: request_view_or_reshape(cur, ref, in, false); break;
      case 2: request_permute(cur, ref, in); break;
      case 3: request_transpose(cur, ref, in); break;
      case 4: request_squeeze_or_unsqueeze(cur, ref, in); break;
      case 5: request_flatten(cur, ref, in); break;
      case 6: request_expand(cur, ref, in); break;
      case 7: case 8: request_slice(cur, ref, in); break;
      case 9: request_as_strided(base, cur, ref, in); break;
      case 10: request_broadcast(cur, ref, in); break;
      default: request_empty(in); break;
    }
  }
  return 0;
}
