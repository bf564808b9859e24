// reel/tensor/print.cpp — printing tensors in PyTorch's style (torch/_tensor_str.py, default options: precision
// 4, line width 80, summarised beyond 1000 elements with 3 edge items per dim), dtype names without "torch.":
//   tensor([[ 1.0000, -2.5000],
//           [ 3.0000,  4.0000]], dtype=float64, requires_grad=True)
// One formatter, built from every value shown, picks integer, fixed or scientific notation and a common width;
// values are read straight from the (host copy of the) strided tensor. A sparse tensor prints its indices and values
// as PyTorch prints a sparse COO tensor (layout named without "torch.", like the dtypes).
#include "tensor/print.h"

#include <algorithm>
#include <cmath>

#include "tensor/dispatch.h"
#include "tensor/grad_mode.h"

namespace reel {

namespace {

constexpr int kPrecision = 4;
constexpr int64_t kLineWidth = 80;
constexpr int64_t kThreshold = 1000;  // more elements than this are summarised
constexpr int64_t kEdgeItems = 3;

// A host tensor being printed: where its elements are and whether it is summarised.
struct Source {
  const char* data = nullptr;  // first element
  ScalarType dtype = kFloat32;
  DimVector sizes;
  DimVector strides;  // elements
  bool summarize = false;

  bool floating() const { return is_floating_point(dtype); }
  double real_at(const char* p) const {
    return dispatch_dtype(dtype, "print", [&]<typename T>() {
      return static_cast<double>(static_cast<compute_t<T>>(*reinterpret_cast<const T*>(p)));
    });
  }
  int64_t integer_at(const char* p) const {
    return dispatch_dtype(dtype, "print", [&]<typename T>() -> int64_t {
      if constexpr (std::is_integral_v<T>) return static_cast<int64_t>(*reinterpret_cast<const T*>(p));
      else return static_cast<int64_t>(static_cast<compute_t<T>>(*reinterpret_cast<const T*>(p)));
    });
  }
  // The indices of dim d that are shown: all, or the first and last kEdgeItems with "..." between.
  bool elided(int64_t d) const { return summarize && sizes[d] > 2 * kEdgeItems; }
  const char* at(const char* base, int64_t d, int64_t index) const {
    return base + index * strides[d] * element_size(dtype);
  }
  template <typename F>
  void for_each_shown_index(int64_t d, F&& f) const {
    if (!elided(d)) {
      for (int64_t i = 0; i < sizes[d]; ++i) f(i);
      return;
    }
    for (int64_t i = 0; i < kEdgeItems; ++i) f(i);
    for (int64_t i = sizes[d] - kEdgeItems; i < sizes[d]; ++i) f(i);
  }
  // Calls leaf(pointer) for every element that is shown, in row-major order.
  template <typename F>
  void for_each_shown(const char* base, int64_t d, F&& leaf) const {
    if (d == static_cast<int64_t>(sizes.size())) {
      leaf(base);
      return;
    }
    for_each_shown_index(d, [&](int64_t i) { for_each_shown(at(base, d, i), d + 1, leaf); });
  }
};

std::string python_float(double value, char style, int precision) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return style == 'e' ? fmt::format("{:.{}e}", value, precision) : fmt::format("{:.{}f}", value, precision);
}

// PyTorch's _Formatter: one notation and one width for all shown values.
class Formatter {
 public:
  explicit Formatter(const Source& source) : source_(source) {
    if (!source.floating()) {
      source.for_each_shown(source.data, 0, [&](const char* p) { width_ = std::max(width_, plain(p).size()); });
      return;
    }
    std::vector<double> finite_nonzero;
    source.for_each_shown(source.data, 0, [&](const char* p) {
      const double v = source.real_at(p);
      if (std::isfinite(v) && v != 0.0) finite_nonzero.push_back(v);
    });
    if (finite_nonzero.empty()) return;
    double min_abs = std::abs(finite_nonzero[0]), max_abs = min_abs;
    for (double v : finite_nonzero) {
      min_abs = std::min(min_abs, std::abs(v));
      max_abs = std::max(max_abs, std::abs(v));
      if (v != std::ceil(v)) int_mode_ = false;
    }
    const bool wide_range = max_abs / min_abs > 1000.0 || max_abs > 1.0e8;
    sci_mode_ = int_mode_ ? wide_range : wide_range || min_abs < 1.0e-4;
    for (double v : finite_nonzero) {
      if (sci_mode_) width_ = std::max(width_, python_float(v, 'e', kPrecision).size());
      else if (int_mode_) width_ = std::max(width_, python_float(v, 'f', 0).size() + 1);  // + the "."
      else width_ = std::max(width_, python_float(v, 'f', kPrecision).size());
    }
  }

  size_t width() const { return width_; }

  // The value at p, right-aligned to the common width.
  std::string format(const char* p) const {
    std::string text;
    if (!source_.floating()) {
      text = plain(p);
    } else {
      const double v = source_.real_at(p);
      if (sci_mode_) {
        text = python_float(v, 'e', kPrecision);
      } else if (int_mode_) {
        text = python_float(v, 'f', 0);
        if (std::isfinite(v)) text += '.';
      } else {
        text = python_float(v, 'f', kPrecision);
      }
    }
    if (text.size() < width_) text.insert(0, width_ - text.size(), ' ');
    return text;
  }

 private:
  std::string plain(const char* p) const {
    if (source_.dtype == kBool) return *reinterpret_cast<const bool*>(p) ? "True" : "False";
    return std::to_string(source_.integer_at(p));
  }

  const Source& source_;
  bool int_mode_ = true;
  bool sci_mode_ = false;
  size_t width_ = 1;
};

// "[" + separator.join(parts) + "]"
std::string bracket(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out(1, '[');
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.append(separator);
    out.append(parts[i]);
  }
  out.push_back(']');
  return out;
}

// _tensor_str_with_formatter: the nested brackets of dims d.. of the sub-tensor at base.
std::string body(const Source& source, const Formatter& formatter, const char* base, int64_t d, int64_t indent) {
  const int64_t ndim_left = static_cast<int64_t>(source.sizes.size()) - d;
  if (ndim_left == 0) return formatter.format(base);
  std::vector<std::string> parts;
  int64_t shown = 0;
  source.for_each_shown_index(d, [&](int64_t i) {
    if (source.elided(d) && shown == kEdgeItems) parts.push_back(ndim_left == 1 ? " ..." : "...");
    const char* p = source.at(base, d, i);
    parts.push_back(ndim_left == 1 ? formatter.format(p) : body(source, formatter, p, d + 1, indent + 1));
    ++shown;
  });
  if (ndim_left > 1) {
    std::string separator(1, ',');
    separator.append(static_cast<size_t>(ndim_left - 1), '\n');
    separator.append(static_cast<size_t>(indent + 1), ' ');
    return bracket(parts, separator);
  }
  // A vector wraps its elements into lines that fit the line width.
  const int64_t element_length = static_cast<int64_t>(formatter.width()) + 2;
  const int64_t per_line = std::max<int64_t>(1, (kLineWidth - indent) / element_length);
  std::string line_break(",\n");
  line_break.append(static_cast<size_t>(indent + 1), ' ');
  std::string out(1, '[');
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.append(i % static_cast<size_t>(per_line) == 0 ? line_break : std::string(", "));
    out.append(parts[i]);
  }
  out.push_back(']');
  return out;
}

std::string python_tuple(IntList sizes) {
  std::string out = "(";
  for (size_t i = 0; i < sizes.size(); ++i) out += (i > 0 ? ", " : "") + std::to_string(sizes[i]);
  return out + (sizes.size() == 1 ? ",)" : ")");
}

// _add_suffixes: ", suffix" on the last line while it fits in the line width, else on a new line (the first one
// always on a new line with force_newline, as for sparse tensors).
std::string add_suffixes(std::string text, const std::vector<std::string>& suffixes, int64_t indent,
                         bool force_newline = false) {
  const size_t newline = text.rfind('\n');
  // Python's len(s) - s.rfind("\n") + 1, where rfind gives -1 when there is no newline.
  int64_t last_line = static_cast<int64_t>(text.size()) -
                      (newline == std::string::npos ? -1 : static_cast<int64_t>(newline)) + 1;
  for (const std::string& suffix : suffixes) {
    const auto length = static_cast<int64_t>(suffix.size());
    if (force_newline || last_line + length + 2 > kLineWidth) {
      text += ",\n" + std::string(static_cast<size_t>(indent), ' ') + suffix;
      last_line = indent + length;
      force_newline = false;
    } else {
      text += ", " + suffix;
      last_line += length + 2;
    }
  }
  return text + ")";
}

// The bracketed values of a strided tensor printed at column `indent` ("[]" when empty); `suffixes` gets the
// dtype when the values do not show it.
std::string contents_of(const Tensor& t, int64_t indent, std::vector<std::string>& suffixes) {
  if (t.numel() == 0) {
    if (t.dim() != 1) suffixes.push_back("size=" + python_tuple(t.sizes()));
    if (t.dtype() != kFloat32) suffixes.push_back(fmt::format("dtype={}", dtype_name(t.dtype())));
    return "[]";
  }
  if (t.dtype() != kFloat32 && t.dtype() != kInt64 && t.dtype() != kBool)
    suffixes.push_back(fmt::format("dtype={}", dtype_name(t.dtype())));
  NoGradGuard no_grad;  // reading values for display is not part of any computation
  const Tensor host = t.is_cpu() ? t : t.to(Device(kCPU));
  Source source;
  source.data = static_cast<const char*>(host.data_ptr());
  source.dtype = host.dtype();
  source.sizes = DimVector(host.sizes());
  source.strides = DimVector(host.strides());
  source.summarize = host.numel() > kThreshold;
  const Formatter formatter(source);
  return body(source, formatter, source.data, 0, indent);
}

// PyTorch's form of a sparse COO tensor: indices and values, then size, nnz, dtype and layout on new lines.
std::string sparse_str(const Tensor& t, const std::string& prefix) {
  const auto indent = static_cast<int64_t>(prefix.size());
  const std::string indices_prefix = "indices=tensor(", values_prefix = "values=tensor(";
  std::vector<std::string> ignored, suffixes;
  const Tensor indices = t._indices(), values = t._values();
  std::string indices_str = contents_of(indices, indent + static_cast<int64_t>(indices_prefix.size()), ignored);
  if (indices.numel() == 0) indices_str += ", size=" + python_tuple(indices.sizes());
  std::string values_str = contents_of(values, indent + static_cast<int64_t>(values_prefix.size()), ignored);
  if (values.numel() == 0) values_str += ", size=" + python_tuple(values.sizes());
  if (!t.is_cpu()) suffixes.push_back(fmt::format("device='{}'", t.device().str()));
  suffixes.push_back("size=" + python_tuple(t.sizes()));
  suffixes.push_back(fmt::format("nnz={}", t._nnz()));
  if (t.dtype() != kFloat32) suffixes.push_back(fmt::format("dtype={}", dtype_name(t.dtype())));
  suffixes.push_back("layout=sparse_coo");
  const std::string text = prefix + indices_prefix + indices_str + "),\n" + std::string(static_cast<size_t>(indent), ' ') +
                           values_prefix + values_str + ")";
  return add_suffixes(text, suffixes, indent, /*force_newline=*/true);
}

}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "[ Tensor (undefined) ]";
  const std::string prefix = "tensor(";
  if (is_sparse()) return sparse_str(*this, prefix);
  const auto indent = static_cast<int64_t>(prefix.size());
  std::vector<std::string> suffixes;
  if (!is_cpu()) suffixes.push_back(fmt::format("device='{}'", device().str()));
  const std::string contents = contents_of(*this, indent, suffixes);
  // As PyTorch: an op's output names its backward node; a leaf that requires grad says so.
  if (grad_fn() != nullptr) suffixes.push_back(fmt::format("grad_fn=<{}>", grad_fn().name()));  // PyTorch's name
  else if (requires_grad()) suffixes.push_back("requires_grad=True");
  return add_suffixes(prefix + contents, suffixes, indent);
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }
std::ostream& operator<<(std::ostream& os, ScalarType t) { return os << dtype_name(t); }
std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

// [a, b, ...]
std::ostream& operator<<(std::ostream& os, IntList sizes) {
  os << '[';
  for (size_t i = 0; i < sizes.size(); ++i) os << (i == 0 ? "" : ", ") << sizes[i];
  return os << ']';
}

}  // namespace reel
