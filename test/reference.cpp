// reel/test/reference.cpp — the naive float64 oracle (see reference.h): index arithmetic, broadcasting,
// dtype casts, reductions, and the references of the data-moving and linear-algebra ops.
//
// Every function walks multi-indices with plain loops. Nothing here calls a reel op other than reading a
// tensor's sizes and values.
#include "test/reference.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace reel::test {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void require(bool condition, const std::string& what) {
  if (!condition) throw std::logic_error("reference: " + what);
}

// Rounds to a binary float with `mantissa_bits` explicit bits, smallest normal exponent `min_exponent`,
// largest finite value `max_finite`: round to nearest even, gradual underflow, overflow to inf.
double round_binary(double value, int mantissa_bits, int min_exponent, double max_finite) {
  if (!std::isfinite(value) || value == 0.0) return value;
  int exponent = 0;
  std::frexp(value, &exponent);  // value = m * 2^exponent with 0.5 <= |m| < 1
  int lead = std::max(exponent - 1, min_exponent);
  double quantum = std::ldexp(1.0, lead - mantissa_bits);
  double rounded = std::nearbyint(value / quantum) * quantum;
  return std::fabs(rounded) > max_finite ? std::copysign(kInf, value) : rounded;
}
}  // namespace

// ---- RefTensor --------------------------------------------------------------------------------------------
RefTensor::RefTensor(Shape sizes, std::vector<double> data, ScalarType type)
    : shape(std::move(sizes)), values(std::move(data)), dtype(type) {
  require(static_cast<int64_t>(values.size()) == numel_of(shape), "values do not match shape " + shape_text(shape));
}

RefTensor RefTensor::filled(Shape sizes, double value, ScalarType type) {
  const int64_t n = numel_of(sizes);
  return RefTensor(std::move(sizes), std::vector<double>(static_cast<size_t>(n), value), type);
}

RefTensor RefTensor::of(const Tensor& t) { return RefTensor(t.sizes().vec(), t.to_vector<double>(), t.dtype()); }

double RefTensor::at(const Shape& index) const { return values[static_cast<size_t>(ravel(index, shape))]; }
double& RefTensor::at(const Shape& index) { return values[static_cast<size_t>(ravel(index, shape))]; }

// ---- index arithmetic -------------------------------------------------------------------------------------
int64_t numel_of(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

Shape unravel(int64_t flat, const Shape& shape) {
  Shape index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return index;
}

int64_t ravel(const Shape& index, const Shape& shape) {
  require(index.size() == shape.size(), "index rank differs from shape " + shape_text(shape));
  int64_t flat = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    require(index[d] >= 0 && index[d] < shape[d], "index out of range for shape " + shape_text(shape));
    flat = flat * shape[d] + index[d];
  }
  return flat;
}

std::vector<Shape> all_indices(const Shape& shape) {
  std::vector<Shape> out;
  const int64_t n = numel_of(shape);
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out.push_back(unravel(i, shape));
  return out;
}

int64_t wrap(int64_t dim, int64_t rank) {
  const int64_t range = std::max<int64_t>(rank, 1);
  require(dim >= -range && dim < range, "dim out of range");
  return dim < 0 ? dim + range : dim;
}

std::string shape_text(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// ---- broadcasting -----------------------------------------------------------------------------------------
Shape broadcast(const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    require(da == db || da == 1 || db == 1, "shapes do not broadcast: " + shape_text(a) + " " + shape_text(b));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

double broadcast_at(const RefTensor& t, const Shape& out_index) {
  const size_t lead = out_index.size() - t.shape.size();
  Shape index(t.shape.size());
  for (size_t d = 0; d < t.shape.size(); ++d) index[d] = t.shape[d] == 1 ? 0 : out_index[lead + d];
  return t.at(index);
}

RefTensor map_unary(const RefTensor& x, const std::function<double(double)>& f, ScalarType out) {
  std::vector<double> values;
  values.reserve(x.values.size());
  for (double v : x.values) values.push_back(f(v));
  return RefTensor(x.shape, std::move(values), out);
}

RefTensor map_binary(const RefTensor& a, const RefTensor& b, const std::function<double(double, double)>& f,
                     ScalarType out) {
  const Shape shape = broadcast(a.shape, b.shape);
  std::vector<double> values;
  for (const Shape& index : all_indices(shape)) values.push_back(f(broadcast_at(a, index), broadcast_at(b, index)));
  return RefTensor(shape, std::move(values), out);
}

RefTensor map_ternary(const RefTensor& a, const RefTensor& b, const RefTensor& c,
                      const std::function<double(double, double, double)>& f, ScalarType out) {
  const Shape shape = broadcast(broadcast(a.shape, b.shape), c.shape);
  std::vector<double> values;
  for (const Shape& index : all_indices(shape))
    values.push_back(f(broadcast_at(a, index), broadcast_at(b, index), broadcast_at(c, index)));
  return RefTensor(shape, std::move(values), out);
}

// ---- dtypes -----------------------------------------------------------------------------------------------
bool is_float(ScalarType t) { return t == kFloat16 || t == kBFloat16 || t == kFloat32 || t == kFloat64; }

ScalarType promote(ScalarType a, ScalarType b) {
  auto rank = [](ScalarType t) {
    switch (t) {
      case kBool: return 0;
      case kUInt8: return 1;
      case kInt8: return 1;
      case kInt16: return 2;
      case kInt32: return 3;
      case kInt64: return 4;
      case kFloat16: return 5;
      case kBFloat16: return 5;
      case kFloat32: return 6;
      case kFloat64: return 7;
    }
    return -1;
  };
  if (a == b) return a;
  if (rank(a) == 1 && rank(b) == 1) return kInt16;    // uint8 with int8
  if (rank(a) == 5 && rank(b) == 5) return kFloat32;  // float16 with bfloat16
  return rank(a) > rank(b) ? a : b;
}

// Two's-complement wrap of trunc(value) into a signed integer type with `range` values.
double wrap_signed(double value, double range) {
  double wrapped = std::fmod(std::trunc(value), range);
  if (wrapped >= range / 2) wrapped -= range;
  if (wrapped < -range / 2) wrapped += range;
  return wrapped;
}

double cast_value(double value, ScalarType dtype) {
  switch (dtype) {
    case kBool: return value != 0.0 ? 1.0 : 0.0;
    case kUInt8: {
      const double wrapped = std::fmod(std::trunc(value), 256.0);
      return wrapped < 0 ? wrapped + 256.0 : wrapped;
    }
    case kInt8: return wrap_signed(value, 256.0);
    case kInt16: return wrap_signed(value, 65536.0);
    case kInt32: {
      double wrapped = std::fmod(std::trunc(value), 4294967296.0);
      if (wrapped >= 2147483648.0) wrapped -= 4294967296.0;
      if (wrapped < -2147483648.0) wrapped += 4294967296.0;
      return wrapped;
    }
    case kInt64: return std::trunc(value);
    case kFloat16: return round_binary(value, 10, -14, 65504.0);
    case kBFloat16: return round_binary(value, 7, -126, 3.38953138925153547590470800371487866880e38);
    case kFloat32: return round_binary(value, 23, -126, FLT_MAX);
    case kFloat64: return value;
  }
  return value;
}

RefTensor cast(const RefTensor& x, ScalarType dtype) {
  return map_unary(x, [dtype](double v) { return cast_value(v, dtype); }, dtype);
}

// ---- reductions -------------------------------------------------------------------------------------------
Reduction group_reduction(const RefTensor& x, const Shape& dims, bool keepdim) {
  const int64_t rank = x.dim();
  std::vector<bool> reduced(static_cast<size_t>(rank), dims.empty());
  for (int64_t d : dims) {
    const int64_t w = wrap(d, rank);
    if (rank > 0) reduced[static_cast<size_t>(w)] = true;
  }
  Reduction r;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[static_cast<size_t>(d)]) r.out_shape.push_back(x.shape[static_cast<size_t>(d)]);
    else if (keepdim) r.out_shape.push_back(1);
  }
  r.groups.resize(static_cast<size_t>(numel_of(r.out_shape)));
  for (const Shape& index : all_indices(x.shape)) {
    Shape out_index;
    for (int64_t d = 0; d < rank; ++d) {
      if (!reduced[static_cast<size_t>(d)]) out_index.push_back(index[static_cast<size_t>(d)]);
      else if (keepdim) out_index.push_back(0);
    }
    r.groups[static_cast<size_t>(ravel(out_index, r.out_shape))].push_back(x.at(index));
  }
  return r;
}

RefTensor reduce(const RefTensor& x, const Shape& dims, bool keepdim, ScalarType out,
                 const std::function<double(const std::vector<double>&)>& f) {
  Reduction r = group_reduction(x, dims, keepdim);
  std::vector<double> values;
  for (const auto& group : r.groups) values.push_back(f(group));
  return RefTensor(r.out_shape, std::move(values), out);
}

double ref_sum(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

double ref_prod(const std::vector<double>& v) {
  double p = 1;
  for (double x : v) p *= x;
  return p;
}

double ref_max(const std::vector<double>& v) {
  require(!v.empty(), "max of nothing");
  double m = -kInf;
  for (double x : v) {
    if (std::isnan(x)) return kNaN;
    m = std::max(m, x);
  }
  return m;
}

double ref_min(const std::vector<double>& v) {
  require(!v.empty(), "min of nothing");
  double m = kInf;
  for (double x : v) {
    if (std::isnan(x)) return kNaN;
    m = std::min(m, x);
  }
  return m;
}

int64_t ref_argmax(const std::vector<double>& v) {
  require(!v.empty(), "argmax of nothing");
  size_t best = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (std::isnan(v[i])) return static_cast<int64_t>(i);
    if (v[i] > v[best]) best = i;
  }
  return static_cast<int64_t>(best);
}

int64_t ref_argmin(const std::vector<double>& v) {
  require(!v.empty(), "argmin of nothing");
  size_t best = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (std::isnan(v[i])) return static_cast<int64_t>(i);
    if (v[i] < v[best]) best = i;
  }
  return static_cast<int64_t>(best);
}

double ref_var(const std::vector<double>& v, int64_t correction) {
  const double n = static_cast<double>(v.size());
  const double mean = ref_sum(v) / n;
  double squares = 0;
  for (double x : v) squares += (x - mean) * (x - mean);
  return squares / std::max(0.0, n - static_cast<double>(correction));
}

double ref_logsumexp(const std::vector<double>& v) {
  if (v.empty()) return -kInf;
  double m = -kInf;
  for (double x : v) m = std::max(m, x);
  if (std::isinf(m)) return m;  // all -inf gives -inf; any +inf gives +inf
  double s = 0;
  for (double x : v) s += std::exp(x - m);
  return m + std::log(s);
}

double ref_norm(const std::vector<double>& v, double p) {
  if (std::isinf(p)) {
    double m = 0;
    for (double x : v) m = std::max(m, std::fabs(x));
    return m;
  }
  double s = 0;
  for (double x : v) s += std::pow(std::fabs(x), p);
  return std::pow(s, 1.0 / p);
}

// ---- softmax and matmul -----------------------------------------------------------------------------------
RefTensor ref_softmax(const RefTensor& x, int64_t dim, bool log) {
  if (x.dim() == 0) return RefTensor({}, {log ? 0.0 : 1.0}, x.dtype);
  const int64_t d = wrap(dim, x.dim());
  RefTensor out = x;
  const int64_t n = x.shape[static_cast<size_t>(d)];
  for (const Shape& index : all_indices(x.shape)) {
    if (index[static_cast<size_t>(d)] != 0) continue;  // one pass per line along dim
    std::vector<double> line;
    Shape at = index;
    for (int64_t i = 0; i < n; ++i) {
      at[static_cast<size_t>(d)] = i;
      line.push_back(x.at(at));
    }
    const double lse = ref_logsumexp(line);
    for (int64_t i = 0; i < n; ++i) {
      at[static_cast<size_t>(d)] = i;
      out.at(at) = log ? line[static_cast<size_t>(i)] - lse : std::exp(line[static_cast<size_t>(i)] - lse);
    }
  }
  return out;
}

RefTensor ref_matmul(const RefTensor& a_in, const RefTensor& b_in) {
  require(a_in.dim() >= 1 && b_in.dim() >= 1, "matmul of a 0-dim tensor");
  Shape a_shape = a_in.shape, b_shape = b_in.shape;
  const bool a_vector = a_shape.size() == 1, b_vector = b_shape.size() == 1;
  if (a_vector) a_shape.insert(a_shape.begin(), 1);
  if (b_vector) b_shape.push_back(1);
  const RefTensor a(a_shape, a_in.values, a_in.dtype), b(b_shape, b_in.values, b_in.dtype);
  const int64_t m = a_shape[a_shape.size() - 2], k = a_shape.back(), n = b_shape.back();
  require(b_shape[b_shape.size() - 2] == k, "matmul inner dims differ");
  const Shape a_batch(a_shape.begin(), a_shape.end() - 2), b_batch(b_shape.begin(), b_shape.end() - 2);
  Shape out_shape = broadcast(a_batch, b_batch);
  const size_t batch_rank = out_shape.size();
  out_shape.push_back(m);
  out_shape.push_back(n);
  RefTensor out = RefTensor::filled(out_shape, 0.0, promote(a_in.dtype, b_in.dtype));
  for (const Shape& index : all_indices(out_shape)) {
    const Shape batch(index.begin(), index.begin() + static_cast<std::ptrdiff_t>(batch_rank));
    Shape ai = batch, bi = batch;
    ai.push_back(index[batch_rank]);
    ai.push_back(0);
    bi.push_back(0);
    bi.push_back(index[batch_rank + 1]);
    double s = 0;
    for (int64_t kk = 0; kk < k; ++kk) {
      ai.back() = kk;
      bi[batch_rank] = kk;
      s += broadcast_at(a, ai) * broadcast_at(b, bi);
    }
    out.at(index) = s;
  }
  if (a_vector) out.shape.erase(out.shape.end() - 2);
  if (b_vector) out.shape.pop_back();
  return out;
}

// ---- shape ops --------------------------------------------------------------------------------------------
RefTensor ref_cat(const std::vector<RefTensor>& xs, int64_t dim, ScalarType out) {
  require(!xs.empty(), "cat of nothing");
  const int64_t d = wrap(dim, xs[0].dim());
  Shape shape = xs[0].shape;
  shape[static_cast<size_t>(d)] = 0;
  for (const RefTensor& x : xs) shape[static_cast<size_t>(d)] += x.shape[static_cast<size_t>(d)];
  RefTensor result = RefTensor::filled(shape, 0.0, out);
  int64_t start = 0;
  for (const RefTensor& x : xs) {
    for (const Shape& index : all_indices(x.shape)) {
      Shape target = index;
      target[static_cast<size_t>(d)] += start;
      result.at(target) = cast_value(x.at(index), out);
    }
    start += x.shape[static_cast<size_t>(d)];
  }
  return result;
}

RefTensor ref_flip(const RefTensor& x, const Shape& dims) {
  RefTensor out = x;
  for (const Shape& index : all_indices(x.shape)) {
    Shape source = index;
    for (int64_t d : dims) {
      const size_t w = static_cast<size_t>(wrap(d, x.dim()));
      source[w] = x.shape[w] - 1 - index[w];
    }
    out.at(index) = x.at(source);
  }
  return out;
}

RefTensor ref_repeat(const RefTensor& x, const Shape& repeats) {
  require(repeats.size() >= x.shape.size(), "repeat: fewer repeats than dims");
  Shape padded(repeats.size() - x.shape.size(), 1);
  padded.insert(padded.end(), x.shape.begin(), x.shape.end());
  const RefTensor source(padded, x.values, x.dtype);
  Shape shape(repeats.size());
  for (size_t d = 0; d < repeats.size(); ++d) shape[d] = padded[d] * repeats[d];
  RefTensor out = RefTensor::filled(shape, 0.0, x.dtype);
  for (const Shape& index : all_indices(shape)) {
    Shape at = index;
    for (size_t d = 0; d < at.size(); ++d) at[d] %= padded[d];
    out.at(index) = source.at(at);
  }
  return out;
}

RefTensor ref_tril(const RefTensor& x, int64_t diagonal, bool upper) {
  require(x.dim() >= 2, "tril/triu need 2 dims");
  RefTensor out = x;
  for (const Shape& index : all_indices(x.shape)) {
    const int64_t i = index[index.size() - 2], j = index.back();
    const bool keep = upper ? j - i >= diagonal : j - i <= diagonal;
    if (!keep) out.at(index) = 0.0;
  }
  return out;
}

RefTensor ref_permute(const RefTensor& x, const Shape& order) {
  Shape shape(order.size());
  for (size_t d = 0; d < order.size(); ++d) shape[d] = x.shape[static_cast<size_t>(wrap(order[d], x.dim()))];
  RefTensor out = RefTensor::filled(shape, 0.0, x.dtype);
  for (const Shape& index : all_indices(shape)) {
    Shape source(order.size());
    for (size_t d = 0; d < order.size(); ++d) source[static_cast<size_t>(wrap(order[d], x.dim()))] = index[d];
    out.at(index) = x.at(source);
  }
  return out;
}

RefTensor ref_slice(const RefTensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  const size_t d = static_cast<size_t>(wrap(dim, x.dim()));
  Shape shape = x.shape;
  shape[d] = end > start ? (end - start + step - 1) / step : 0;
  RefTensor out = RefTensor::filled(shape, 0.0, x.dtype);
  for (const Shape& index : all_indices(shape)) {
    Shape source = index;
    source[d] = start + index[d] * step;
    out.at(index) = x.at(source);
  }
  return out;
}

RefTensor ref_select(const RefTensor& x, int64_t dim, int64_t index) {
  const size_t d = static_cast<size_t>(wrap(dim, x.dim()));
  if (index < 0) index += x.shape[d];
  Shape shape = x.shape;
  shape.erase(shape.begin() + static_cast<std::ptrdiff_t>(d));
  RefTensor out = RefTensor::filled(shape, 0.0, x.dtype);
  for (const Shape& at : all_indices(shape)) {
    Shape source = at;
    source.insert(source.begin() + static_cast<std::ptrdiff_t>(d), index);
    out.at(at) = x.at(source);
  }
  return out;
}

RefTensor ref_expand(const RefTensor& x, const Shape& sizes) {
  Shape shape = sizes;
  const size_t lead = sizes.size() - x.shape.size();
  for (size_t d = 0; d < x.shape.size(); ++d)
    if (sizes[lead + d] == -1) shape[lead + d] = x.shape[d];
  RefTensor out = RefTensor::filled(shape, 0.0, x.dtype);
  for (const Shape& index : all_indices(shape)) out.at(index) = broadcast_at(x, index);
  return out;
}

RefTensor ref_reshape(const RefTensor& x, const Shape& sizes) {
  Shape shape = sizes;
  int64_t known = 1;
  int64_t inferred = -1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == -1) inferred = static_cast<int64_t>(d);
    else known *= shape[d];
  }
  if (inferred >= 0) shape[static_cast<size_t>(inferred)] = known == 0 ? 0 : x.numel() / known;
  return RefTensor(shape, x.values, x.dtype);
}

// ---- indexing ---------------------------------------------------------------------------------------------
RefTensor ref_index_select(const RefTensor& x, int64_t dim, const RefTensor& index) {
  const size_t d = static_cast<size_t>(wrap(dim, x.dim()));
  Shape shape = x.shape;
  shape[d] = index.numel();
  RefTensor out = RefTensor::filled(shape, 0.0, x.dtype);
  for (const Shape& at : all_indices(shape)) {
    Shape source = at;
    source[d] = static_cast<int64_t>(index.values[static_cast<size_t>(at[d])]);
    out.at(at) = x.at(source);
  }
  return out;
}

RefTensor ref_gather(const RefTensor& x, int64_t dim, const RefTensor& index) {
  const size_t d = static_cast<size_t>(wrap(dim, x.dim()));
  RefTensor out = RefTensor::filled(index.shape, 0.0, x.dtype);
  for (const Shape& at : all_indices(index.shape)) {
    Shape source = at;
    source[d] = static_cast<int64_t>(index.at(at));
    out.at(at) = x.at(source);
  }
  return out;
}

RefTensor ref_scatter(const RefTensor& x, int64_t dim, const RefTensor& index, const RefTensor& src, bool add) {
  const size_t d = static_cast<size_t>(wrap(dim, x.dim()));
  RefTensor out = x;
  for (const Shape& at : all_indices(index.shape)) {
    Shape target = at;
    target[d] = static_cast<int64_t>(index.at(at));
    const double value = src.dim() == 0 ? src.values[0] : src.at(at);
    out.at(target) = add ? out.at(target) + value : value;
  }
  return cast(out, x.dtype);
}

RefTensor ref_index_add(const RefTensor& x, int64_t dim, const RefTensor& index, const RefTensor& src, double alpha) {
  const size_t d = static_cast<size_t>(wrap(dim, x.dim()));
  RefTensor out = x;
  for (const Shape& at : all_indices(src.shape)) {
    Shape target = at;
    target[d] = static_cast<int64_t>(index.values[static_cast<size_t>(at[d])]);
    out.at(target) += alpha * src.at(at);
  }
  return cast(out, x.dtype);
}

RefTensor ref_one_hot(const RefTensor& index, int64_t num_classes) {
  if (num_classes < 0) {
    double m = 0;
    for (double v : index.values) m = std::max(m, v);
    num_classes = static_cast<int64_t>(m) + 1;
  }
  Shape shape = index.shape;
  shape.push_back(num_classes);
  RefTensor out = RefTensor::filled(shape, 0.0, kInt64);
  for (const Shape& at : all_indices(index.shape)) {
    Shape target = at;
    target.push_back(static_cast<int64_t>(index.at(at)));
    out.at(target) = 1.0;
  }
  return out;
}

RefTensor ref_as_strided(const std::vector<double>& flat, const Shape& sizes, const Shape& strides, int64_t offset,
                         ScalarType dtype) {
  RefTensor out = RefTensor::filled(sizes, 0.0, dtype);
  for (const Shape& index : all_indices(sizes)) {
    int64_t position = offset;
    for (size_t d = 0; d < sizes.size(); ++d) position += index[d] * strides[d];
    out.at(index) = flat[static_cast<size_t>(position)];
  }
  return out;
}

}  // namespace reel::test
