// reel/nn/init.cpp — torch.nn.init in reel: gains, fans, and the in-place fills (uniform, normal, constant,
// Xavier, Kaiming, orthogonal). The orthogonal fill runs its own Householder QR in float64.
#include "nn/init.h"

#include <cmath>
#include <vector>

#include "tensor/error_format.h"
#include "tensor/grad_mode.h"
#include "tensor/ops.h"

namespace reel::nn::init {

namespace {

// The fan a Kaiming init scales by: fan_in or fan_out.
int64_t fan_for_mode(const Tensor& tensor, std::string_view mode, const char* op) {
  REEL_CHECK(mode == "fan_in" || mode == "fan_out", "{}: mode '{}' not supported, please use one of fan_in, fan_out",
             op, mode);
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  return mode == "fan_in" ? fan_in : fan_out;
}

// Reduced QR of the row-major m x n matrix `a` (m >= n) by Householder reflections: returns Q (m x n, row-major)
// with its columns multiplied by sign(R_kk), i.e. the Q of the unique QR whose R has a positive diagonal.
std::vector<double> orthonormal_columns(std::vector<double> a, int64_t m, int64_t n) {
  auto at = [n](std::vector<double>& mat, int64_t i, int64_t j) -> double& { return mat[static_cast<size_t>(i * n + j)]; };
  std::vector<std::vector<double>> reflectors(static_cast<size_t>(n));
  std::vector<double> r_diagonal(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) {
    // v = x - alpha e1 with alpha = -sign(x0) ||x|| maps x = a[k:, k] onto alpha e1 without cancellation.
    double norm_x = 0;
    for (int64_t i = k; i < m; ++i) norm_x += at(a, i, k) * at(a, i, k);
    norm_x = std::sqrt(norm_x);
    const double alpha = at(a, k, k) > 0 ? -norm_x : norm_x;
    r_diagonal[static_cast<size_t>(k)] = alpha;
    std::vector<double>& v = reflectors[static_cast<size_t>(k)];
    v.assign(static_cast<size_t>(m - k), 0.0);
    for (int64_t i = k; i < m; ++i) v[static_cast<size_t>(i - k)] = at(a, i, k);
    v[0] -= alpha;
    double norm_v = 0;
    for (double e : v) norm_v += e * e;
    norm_v = std::sqrt(norm_v);
    if (norm_v == 0) {  // the column is already zero below the diagonal: no reflection
      v.clear();
      continue;
    }
    for (double& e : v) e /= norm_v;
    // A[k:, k:] -= 2 v (v^T A[k:, k:])
    for (int64_t j = k; j < n; ++j) {
      double dot = 0;
      for (int64_t i = k; i < m; ++i) dot += v[static_cast<size_t>(i - k)] * at(a, i, j);
      for (int64_t i = k; i < m; ++i) at(a, i, j) -= 2 * dot * v[static_cast<size_t>(i - k)];
    }
  }
  // Q = H_0 H_1 ... H_{n-1} I[:, :n], applied right to left.
  std::vector<double> q(static_cast<size_t>(m * n), 0.0);
  for (int64_t k = 0; k < n; ++k) at(q, k, k) = 1.0;
  for (int64_t k = n - 1; k >= 0; --k) {
    const std::vector<double>& v = reflectors[static_cast<size_t>(k)];
    if (v.empty()) continue;
    for (int64_t j = 0; j < n; ++j) {
      double dot = 0;
      for (int64_t i = k; i < m; ++i) dot += v[static_cast<size_t>(i - k)] * at(q, i, j);
      for (int64_t i = k; i < m; ++i) at(q, i, j) -= 2 * dot * v[static_cast<size_t>(i - k)];
    }
  }
  for (int64_t j = 0; j < n; ++j) {
    const double d = r_diagonal[static_cast<size_t>(j)];
    const double sign = static_cast<double>((d > 0) - (d < 0));
    for (int64_t i = 0; i < m; ++i) at(q, i, j) *= sign;
  }
  return q;
}

}  // namespace

// gain(nonlinearity, param) as torch.nn.init.calculate_gain
double calculate_gain(std::string_view nonlinearity, std::optional<double> param) {
  if (nonlinearity == "linear" || nonlinearity == "conv1d" || nonlinearity == "conv2d" ||
      nonlinearity == "conv3d" || nonlinearity == "conv_transpose1d" || nonlinearity == "conv_transpose2d" ||
      nonlinearity == "conv_transpose3d" || nonlinearity == "sigmoid")
    return 1.0;
  if (nonlinearity == "tanh") return 5.0 / 3.0;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") {
    const double slope = param.value_or(0.01);
    REEL_CHECK(std::isfinite(slope), "calculate_gain: negative_slope {} is not a valid number", slope);
    return std::sqrt(2.0 / (1.0 + slope * slope));
  }
  if (nonlinearity == "selu") return 3.0 / 4.0;
  throw Error(fmt::format("calculate_gain: unsupported nonlinearity '{}'", nonlinearity));
}

// fan_in = size(1) * prod(size(2:)), fan_out = size(0) * prod(size(2:))
std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor) {
  tensor.check_defined("calculate_fan_in_and_fan_out");
  REEL_CHECK(tensor.dim() >= 2,
             "calculate_fan_in_and_fan_out: fan in and fan out can not be computed for a tensor with fewer than 2 "
             "dimensions (shape {})", shape_str(tensor.sizes()));
  int64_t receptive_field = 1;
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive_field *= tensor.size(d);
  return {tensor.size(1) * receptive_field, tensor.size(0) * receptive_field};
}

// x ~ U(low, high)
Tensor uniform_(Tensor tensor, double low, double high) {
  tensor.check_defined("init::uniform_");
  NoGradGuard no_grad;
  reel::uniform_(tensor, low, high);
  return tensor;
}

// x ~ N(mean, std^2)
Tensor normal_(Tensor tensor, double mean, double std) {
  tensor.check_defined("init::normal_");
  NoGradGuard no_grad;
  reel::normal_(tensor, mean, std);
  return tensor;
}

// x = value
Tensor constant_(Tensor tensor, double value) {
  tensor.check_defined("init::constant_");
  NoGradGuard no_grad;
  tensor.fill_(value);
  return tensor;
}

// x = 0
Tensor zeros_(Tensor tensor) { return constant_(std::move(tensor), 0.0); }

// x = 1
Tensor ones_(Tensor tensor) { return constant_(std::move(tensor), 1.0); }

// x ~ U(-a, a), a = gain sqrt(6 / (fan_in + fan_out))
Tensor xavier_uniform_(Tensor tensor, double gain) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  if (tensor.numel() == 0) return tensor;
  const double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return uniform_(std::move(tensor), -bound, bound);
}

// x ~ N(0, gain^2 2 / (fan_in + fan_out))
Tensor xavier_normal_(Tensor tensor, double gain) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  if (tensor.numel() == 0) return tensor;
  return normal_(std::move(tensor), 0.0, gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)));
}

// x ~ U(-b, b), b = gain sqrt(3 / fan)
Tensor kaiming_uniform_(Tensor tensor, double a, std::string_view mode, std::string_view nonlinearity) {
  const int64_t fan = fan_for_mode(tensor, mode, "kaiming_uniform_");
  if (tensor.numel() == 0) return tensor;
  const double bound = calculate_gain(nonlinearity, a) * std::sqrt(3.0 / static_cast<double>(fan));
  return uniform_(std::move(tensor), -bound, bound);
}

// x ~ N(0, (gain / sqrt(fan))^2)
Tensor kaiming_normal_(Tensor tensor, double a, std::string_view mode, std::string_view nonlinearity) {
  const int64_t fan = fan_for_mode(tensor, mode, "kaiming_normal_");
  if (tensor.numel() == 0) return tensor;
  return normal_(std::move(tensor), 0.0, calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan)));
}

// x = gain Q with Q from QR(N(0, 1) matrix), transposed when there are fewer rows than columns
Tensor orthogonal_(Tensor tensor, double gain) {
  tensor.check_defined("init::orthogonal_");
  REEL_CHECK(tensor.dim() >= 2, "orthogonal_: only tensors with 2 or more dimensions are supported, got shape {}",
             shape_str(tensor.sizes()));
  if (tensor.numel() == 0) return tensor;
  const int64_t rows = tensor.size(0);
  const int64_t cols = tensor.numel() / rows;
  const bool transposed = rows < cols;
  const int64_t tall = transposed ? cols : rows, wide = transposed ? rows : cols;
  Tensor draw = randn({rows, cols}, kFloat64);
  if (transposed) draw = draw.t();
  const std::vector<double> q = orthonormal_columns(draw.contiguous().to_vector<double>(), tall, wide);
  Tensor result = from_blob_copy(q.data(), {tall, wide});
  if (transposed) result = result.t();
  NoGradGuard no_grad;
  tensor.copy_((result * gain).contiguous().view(tensor.sizes()));
  return tensor;
}

}  // namespace reel::nn::init
