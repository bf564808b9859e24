// reel/tensor/ops_pool_nd.cpp — the 1-D and 3-D pooling ops and max_unpool2d, composites of the 2-D pooling ops
// (tensor/ops_conv.cpp), so CPU and CUDA run the same kernels and autograd differentiates through them:
//   1-D       the 2-D op over (N, C, 1, L) with a (1, k) window (indices h W + w with h = 0 are the positions l);
//   3-D       a box max or mean is separable: the 2-D op over (H, W) of the (N, C D, H, W) view, then the 2-D op with
//             a (kD, 1) window over depth of the (N, C, D, oH oW) view. Window sizes and divisors are per-dim
//             products (PyTorch's rules: padding counted or not, ceil mode), and the first maximum in (d, h, w)
//             order wins as in PyTorch; the 3-D index d H W + h W + w is put together from the two stages' indices.
//   max_unpool2d  a scatter of each plane's values to their flat indices in a zero plane.
// avg_pool3d's divisor_override (and avg_pool2d's, in ops_conv.cpp) scales the padded-window mean by the window
// size over the divisor.
#include <vector>

#include "tensor/error_format.h"
#include "tensor/ops.h"

namespace reel {

namespace {

// One value for all `count` spatial dims, or one per dim (an empty stride: the kernel).
std::vector<int64_t> spatial_arg(const char* op, const char* name, IntList values, size_t count) {
  REEL_CHECK(values.size() == 1 || values.size() == count, "{}: {} must be one value or {}, got {}", op, name, count,
             shape_str(values));
  return values.size() == 1 ? std::vector<int64_t>(count, values[0]) : values.vec();
}

void check_pool_input(const char* op, const Tensor& input, int64_t spatial) {
  input.check_defined(op);
  REEL_CHECK(input.dim() == spatial + 1 || input.dim() == spatial + 2,
             "{}: expected a {}-D (unbatched) or {}-D (batched) input, but got input of size {}", op, spatial + 1,
             spatial + 2, shape_str(input.sizes()));
  REEL_CHECK(input.is_floating_point(), "{}: expected a floating-point input, got {} of shape {}", op,
             dtype_name(input.dtype()), shape_str(input.sizes()));
}

// The sizes as (N, C, D, H, W) of a batched or unbatched 3-D pooling input.
struct Volume {
  int64_t n, c, d, h, w;
};
Volume volume_of(const Tensor& x) { return {x.size(0), x.size(1), x.size(2), x.size(3), x.size(4)}; }

// The window size along one dim of every output position with the padding counted (PyTorch's avg pooling divisor
// with count_include_pad): min(i s - pad + k, in + pad) - (i s - pad).
std::vector<double> padded_window_sizes(int64_t in, int64_t out, int64_t k, int64_t s, int64_t pad) {
  std::vector<double> sizes(static_cast<size_t>(out));
  for (int64_t i = 0; i < out; ++i) {
    const int64_t start = i * s - pad;
    sizes[static_cast<size_t>(i)] = static_cast<double>(std::min(start + k, in + pad) - start);
  }
  return sizes;
}

}  // namespace

// ---- 1-D -------------------------------------------------------------------------------------------------------
std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input, IntList kernel_size, IntList stride,
                                                   IntList padding, IntList dilation, bool ceil_mode) {
  const char* op = "max_pool1d";
  check_pool_input(op, input, 1);
  const int64_t k = spatial_arg(op, "kernel_size", kernel_size, 1)[0];
  const int64_t s = stride.empty() ? k : spatial_arg(op, "stride", stride, 1)[0];
  const int64_t p = spatial_arg(op, "padding", padding, 1)[0], d = spatial_arg(op, "dilation", dilation, 1)[0];
  auto [values, indices] = max_pool2d_with_indices(input.unsqueeze(-2), {1, k}, {1, s}, {0, p}, {1, d}, ceil_mode);
  return {values.squeeze(-2), indices.squeeze(-2)};
}

Tensor max_pool1d(const Tensor& input, IntList kernel_size, IntList stride, IntList padding, IntList dilation,
                  bool ceil_mode) {
  return std::get<0>(max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode));
}

Tensor avg_pool1d(const Tensor& input, IntList kernel_size, IntList stride, IntList padding, bool ceil_mode,
                  bool count_include_pad) {
  const char* op = "avg_pool1d";
  check_pool_input(op, input, 1);
  const int64_t k = spatial_arg(op, "kernel_size", kernel_size, 1)[0];
  const int64_t s = stride.empty() ? k : spatial_arg(op, "stride", stride, 1)[0];
  const int64_t p = spatial_arg(op, "padding", padding, 1)[0];
  return avg_pool2d(input.unsqueeze(-2), {1, k}, {1, s}, {0, p}, ceil_mode, count_include_pad).squeeze(-2);
}

Tensor adaptive_avg_pool1d(const Tensor& input, IntList output_size) {
  const char* op = "adaptive_avg_pool1d";
  check_pool_input(op, input, 1);
  const int64_t size = spatial_arg(op, "output_size", output_size, 1)[0];
  return adaptive_avg_pool2d(input.unsqueeze(-2), {1, size}).squeeze(-2);
}

std::tuple<Tensor, Tensor> adaptive_max_pool1d(const Tensor& input, IntList output_size) {
  const char* op = "adaptive_max_pool1d";
  check_pool_input(op, input, 1);
  const int64_t size = spatial_arg(op, "output_size", output_size, 1)[0];
  auto [values, indices] = adaptive_max_pool2d(input.unsqueeze(-2), {1, size});
  return {values.squeeze(-2), indices.squeeze(-2)};
}

// ---- 3-D -------------------------------------------------------------------------------------------------------
std::tuple<Tensor, Tensor> max_pool3d_with_indices(const Tensor& input, IntList kernel_size, IntList stride,
                                                   IntList padding, IntList dilation, bool ceil_mode) {
  const char* op = "max_pool3d";
  check_pool_input(op, input, 3);
  if (input.dim() == 4) {
    auto [values, indices] =
        max_pool3d_with_indices(input.unsqueeze(0), kernel_size, stride, padding, dilation, ceil_mode);
    return {values.squeeze(0), indices.squeeze(0)};
  }
  const std::vector<int64_t> k = spatial_arg(op, "kernel_size", kernel_size, 3);
  const std::vector<int64_t> s = stride.empty() ? k : spatial_arg(op, "stride", stride, 3);
  const std::vector<int64_t> p = spatial_arg(op, "padding", padding, 3), d = spatial_arg(op, "dilation", dilation, 3);
  const Volume v = volume_of(input);
  REEL_CHECK(v.c > 0 && v.d > 0 && v.h > 0 && v.w > 0,
             "{}: expected an input with non-zero channels, depth, height and width, got size {}", op,
             shape_str(input.sizes()));
  // (h, w) stage: (N, C D, H, W) -> (N, C D, oH, oW), indices h W + w
  auto [planes, plane_index] = max_pool2d_with_indices(input.reshape({v.n, v.c * v.d, v.h, v.w}), {k[1], k[2]},
                                                       {s[1], s[2]}, {p[1], p[2]}, {d[1], d[2]}, ceil_mode);
  const int64_t out_h = planes.size(2), out_w = planes.size(3), plane = out_h * out_w;
  // depth stage: (N, C, D, oH oW) -> (N, C, oD, oH oW), indices d' oH oW + (i oW + j)
  auto [values, depth_index] = max_pool2d_with_indices(planes.reshape({v.n, v.c, v.d, plane}), {k[0], 1}, {s[0], 1},
                                                       {p[0], 0}, {d[0], 1}, ceil_mode);
  const int64_t out_d = values.size(2);
  const Tensor depth = div(depth_index, plane, "floor");
  const Tensor within = plane_index.reshape({v.n, v.c, v.d, plane}).gather(2, depth);
  const Tensor indices = depth * (v.h * v.w) + within;
  return {values.reshape({v.n, v.c, out_d, out_h, out_w}), indices.reshape({v.n, v.c, out_d, out_h, out_w})};
}

Tensor max_pool3d(const Tensor& input, IntList kernel_size, IntList stride, IntList padding, IntList dilation,
                  bool ceil_mode) {
  const char* op = "max_pool3d";
  check_pool_input(op, input, 3);
  if (input.dim() == 4)
    return max_pool3d(input.unsqueeze(0), kernel_size, stride, padding, dilation, ceil_mode).squeeze(0);
  const std::vector<int64_t> k = spatial_arg(op, "kernel_size", kernel_size, 3);
  const std::vector<int64_t> s = stride.empty() ? k : spatial_arg(op, "stride", stride, 3);
  const std::vector<int64_t> p = spatial_arg(op, "padding", padding, 3), d = spatial_arg(op, "dilation", dilation, 3);
  const Volume v = volume_of(input);
  REEL_CHECK(v.c > 0 && v.d > 0 && v.h > 0 && v.w > 0,
             "{}: expected an input with non-zero channels, depth, height and width, got size {}", op,
             shape_str(input.sizes()));
  const Tensor planes = max_pool2d(input.reshape({v.n, v.c * v.d, v.h, v.w}), {k[1], k[2]}, {s[1], s[2]}, {p[1], p[2]},
                                   {d[1], d[2]}, ceil_mode);
  const int64_t out_h = planes.size(2), out_w = planes.size(3);
  const Tensor values =
      max_pool2d(planes.reshape({v.n, v.c, v.d, out_h * out_w}), {k[0], 1}, {s[0], 1}, {p[0], 0}, {d[0], 1}, ceil_mode);
  return values.reshape({v.n, v.c, values.size(2), out_h, out_w});
}

Tensor avg_pool3d(const Tensor& input, IntList kernel_size, IntList stride, IntList padding, bool ceil_mode,
                  bool count_include_pad, std::optional<int64_t> divisor_override) {
  const char* op = "avg_pool3d";
  check_pool_input(op, input, 3);
  if (input.dim() == 4)
    return avg_pool3d(input.unsqueeze(0), kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
        .squeeze(0);
  REEL_CHECK(!divisor_override || *divisor_override != 0, "{}: divisor must be not zero", op);
  const std::vector<int64_t> k = spatial_arg(op, "kernel_size", kernel_size, 3);
  const std::vector<int64_t> s = stride.empty() ? k : spatial_arg(op, "stride", stride, 3);
  const std::vector<int64_t> p = spatial_arg(op, "padding", padding, 3);
  const Volume v = volume_of(input);
  REEL_CHECK(v.c > 0 && v.d > 0 && v.h > 0 && v.w > 0,
             "{}: expected an input with non-zero channels, depth, height and width, got size {}", op,
             shape_str(input.sizes()));
  const bool include_pad = count_include_pad || divisor_override.has_value();
  const Tensor planes = avg_pool2d(input.reshape({v.n, v.c * v.d, v.h, v.w}), {k[1], k[2]}, {s[1], s[2]}, {p[1], p[2]},
                                   ceil_mode, include_pad);
  const int64_t out_h = planes.size(2), out_w = planes.size(3);
  const Tensor pooled = avg_pool2d(planes.reshape({v.n, v.c, v.d, out_h * out_w}), {k[0], 1}, {s[0], 1}, {p[0], 0},
                                   ceil_mode, include_pad);
  const int64_t out_d = pooled.size(2);
  Tensor out = pooled.reshape({v.n, v.c, out_d, out_h, out_w});
  if (!divisor_override) return out;
  // sum / divisor = padded-window mean * padded window size / divisor, the size a product over the three dims
  const TensorOptions options = TensorOptions().dtype(input.dtype()).device(input.device());
  const Tensor size_d = tensor(padded_window_sizes(v.d, out_d, k[0], s[0], p[0]), options).reshape({out_d, 1, 1});
  const Tensor size_h = tensor(padded_window_sizes(v.h, out_h, k[1], s[1], p[1]), options).reshape({1, out_h, 1});
  const Tensor size_w = tensor(padded_window_sizes(v.w, out_w, k[2], s[2], p[2]), options).reshape({1, 1, out_w});
  return out * (size_d * size_h * size_w / static_cast<double>(*divisor_override));
}

Tensor adaptive_avg_pool3d(const Tensor& input, IntList output_size) {
  const char* op = "adaptive_avg_pool3d";
  check_pool_input(op, input, 3);
  if (input.dim() == 4) return adaptive_avg_pool3d(input.unsqueeze(0), output_size).squeeze(0);
  const std::vector<int64_t> size = spatial_arg(op, "output_size", output_size, 3);
  const Volume v = volume_of(input);
  REEL_CHECK(v.c > 0 && v.d > 0 && v.h > 0 && v.w > 0,
             "{}: expected input to have non-zero size for non-batch dimensions, but got size {}", op,
             shape_str(input.sizes()));
  REEL_CHECK(size[0] >= 0 && size[1] >= 0 && size[2] >= 0,
             "{}: elements of output_size must be greater than or equal to 0, got {}", op, shape_str(size));
  const Tensor planes = adaptive_avg_pool2d(input.reshape({v.n, v.c * v.d, v.h, v.w}), {size[1], size[2]});
  const int64_t plane = size[1] * size[2];
  const Tensor pooled = adaptive_avg_pool2d(planes.reshape({v.n, v.c, v.d, plane}), {size[0], plane});
  return pooled.reshape({v.n, v.c, size[0], size[1], size[2]});
}

// ---- unpooling ---------------------------------------------------------------------------------------------------
Tensor max_unpool2d(const Tensor& input, const Tensor& indices, IntList output_size) {
  const char* op = "max_unpool2d";
  check_pool_input(op, input, 2);
  indices.check_defined(op);
  REEL_CHECK(indices.dtype() == kInt64 && indices.sizes() == input.sizes(),
             "{}: expected int64 indices of the input's size {}, got {} of size {}", op, shape_str(input.sizes()),
             dtype_name(indices.dtype()), shape_str(indices.sizes()));
  REEL_CHECK(indices.device() == input.device(), "{}: expected input and indices on one device, got {} and {}", op,
             input.device().str(), indices.device().str());
  REEL_CHECK(output_size.size() == 2 && output_size[0] >= 0 && output_size[1] >= 0,
             "{}: output_size must have two non-negative elements (height, width), got {}", op, shape_str(output_size));
  if (input.dim() == 3) return max_unpool2d(input.unsqueeze(0), indices.unsqueeze(0), output_size).squeeze(0);
  const int64_t n = input.size(0), c = input.size(1), plane = output_size[0] * output_size[1];
  const int64_t in_plane = input.size(2) * input.size(3);
  const Tensor flat_index = indices.reshape({n, c, in_plane});
  if (flat_index.numel() > 0) {
    const int64_t low = flat_index.min().item<int64_t>(), high = flat_index.max().item<int64_t>();
    REEL_CHECK(low >= 0 && high < plane, "{}: Found an invalid max index: {} (output volumes are of size {}x{})", op,
               low < 0 ? low : high, output_size[0], output_size[1]);
  }
  const Tensor out = zeros({n, c, plane}, input.options()).scatter(2, flat_index, input.reshape({n, c, in_plane}));
  return out.reshape({n, c, output_size[0], output_size[1]});
}

}  // namespace reel
