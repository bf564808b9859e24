// reel/nn/functional_image.cpp — image and distance functions: pixel_shuffle / pixel_unshuffle (reshape + permute),
// pairwise_distance (a norm), affine_grid (a batched product with the base grid), and F::interpolate /
// F::grid_sample, which check PyTorch's argument rules and call the resampling ops of tensor/ops_resample.cpp.
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "nn/functional.h"
#include "tensor/error_format.h"

namespace reel {

// y[*, c, h r + i, w r + j] = x[*, c r^2 + i r + j, h, w]
Tensor pixel_shuffle(const Tensor& self, int64_t upscale_factor) {
  self.check_defined("pixel_shuffle");
  REEL_CHECK(self.dim() >= 3, "pixel_shuffle: expected an input of at least 3 dims (*, C, H, W), got shape {}",
             shape_str(self.sizes()));
  REEL_CHECK(upscale_factor > 0, "pixel_shuffle: upscale_factor must be greater than 0, got {}", upscale_factor);
  const int64_t r = upscale_factor, c = self.size(-3), h = self.size(-2), w = self.size(-1);
  REEL_CHECK(c % (r * r) == 0,
             "pixel_shuffle: expects its input's 'channel' dimension to be divisible by the square of upscale_factor, "
             "but input.size(-3)={} is not divisible by {} (input shape {})",
             c, r * r, shape_str(self.sizes()));
  const DimVector batch(IntList(self.sizes().begin(), static_cast<size_t>(self.dim() - 3)));
  const int64_t b = static_cast<int64_t>(batch.size());
  DimVector split = batch;
  for (int64_t s : {c / (r * r), r, r, h, w}) split.push_back(s);
  DimVector order;
  for (int64_t i = 0; i < b; ++i) order.push_back(i);
  for (int64_t i : {0, 3, 1, 4, 2}) order.push_back(b + i);
  DimVector out = batch;
  for (int64_t s : {c / (r * r), h * r, w * r}) out.push_back(s);
  return self.reshape(split).permute(order).reshape(out);
}

// y[*, c r^2 + i r + j, h, w] = x[*, c, h r + i, w r + j]
Tensor pixel_unshuffle(const Tensor& self, int64_t downscale_factor) {
  self.check_defined("pixel_unshuffle");
  REEL_CHECK(self.dim() >= 3, "pixel_unshuffle: expected an input of at least 3 dims (*, C, H, W), got shape {}",
             shape_str(self.sizes()));
  REEL_CHECK(downscale_factor > 0, "pixel_unshuffle: downscale_factor must be greater than 0, got {}",
             downscale_factor);
  const int64_t r = downscale_factor, c = self.size(-3), h = self.size(-2), w = self.size(-1);
  REEL_CHECK(h % r == 0 && w % r == 0,
             "pixel_unshuffle: expects height and width to be divisible by downscale_factor {}, got input shape {}", r,
             shape_str(self.sizes()));
  const DimVector batch(IntList(self.sizes().begin(), static_cast<size_t>(self.dim() - 3)));
  const int64_t b = static_cast<int64_t>(batch.size());
  DimVector split = batch;
  for (int64_t s : {c, h / r, r, w / r, r}) split.push_back(s);
  DimVector order;
  for (int64_t i = 0; i < b; ++i) order.push_back(i);
  for (int64_t i : {0, 2, 4, 1, 3}) order.push_back(b + i);
  DimVector out = batch;
  for (int64_t s : {c * r * r, h / r, w / r}) out.push_back(s);
  return self.reshape(split).permute(order).reshape(out);
}

// y = ||x1 - x2 + eps||_p over the last dim of the broadcast shape
Tensor pairwise_distance(const Tensor& x1, const Tensor& x2, double p, double eps, bool keepdim) {
  x1.check_defined("pairwise_distance");
  x2.check_defined("pairwise_distance");
  REEL_CHECK(x1.is_floating_point() && x2.is_floating_point(),
             "pairwise_distance: expected floating-point inputs, got {} and {}", dtype_name(x1.dtype()),
             dtype_name(x2.dtype()));
  const int64_t rank = std::max(x1.dim(), x2.dim());
  const Tensor diff = x1 - x2 + eps;
  if (rank == 0) return abs(diff);  // one value: its |.| is every p-norm but p = 0
  return norm(diff, Scalar(p), {rank - 1}, keepdim);
}

// grid[n, h, w, :] = theta[n] (x_w, y_h, 1)
Tensor affine_grid_generator(const Tensor& theta, IntList size, bool align_corners) {
  theta.check_defined("affine_grid");
  REEL_CHECK(theta.is_floating_point(), "affine_grid: expected a floating-point theta, got {}",
             dtype_name(theta.dtype()));
  REEL_CHECK(size.size() == 4,
             "affine_grid: only 2-d grids are supported: size must be (N, C, H, W), got {} (5-d volumetric grids are "
             "not in reel)",
             shape_str(size));
  REEL_CHECK(theta.dim() == 3 && theta.size(0) == size[0] && theta.size(1) == 2 && theta.size(2) == 3,
             "affine_grid: expected a theta of shape (N, 2, 3) = ({}, 2, 3) for size {}, got {}", size[0],
             shape_str(size), shape_str(theta.sizes()));
  const int64_t h = size[2], w = size[3];
  REEL_CHECK(h > 0 && w > 0 && size[0] >= 0, "affine_grid: size {} must have positive H and W", shape_str(size));
  const TensorOptions options = TensorOptions(theta.dtype()).device(theta.device());
  // PyTorch's linspace_from_neg_one: steps points over [-1, 1], shrunk by (steps - 1) / steps without align_corners
  auto axis = [&](int64_t steps) {
    if (steps <= 1) return zeros({steps}, options);
    Tensor range = linspace(-1.0, 1.0, steps, options);
    if (!align_corners) range = range * (static_cast<double>(steps - 1) / static_cast<double>(steps));
    return range;
  };
  const Tensor xs = axis(w).reshape({1, w, 1}).expand({h, w, 1});
  const Tensor ys = axis(h).reshape({h, 1, 1}).expand({h, w, 1});
  const Tensor base = cat({xs, ys, ones({h, w, 1}, options)}, 2).reshape({1, h * w, 3});
  return matmul(base, theta.transpose(1, 2)).reshape({size[0], h, w, 2});
}

}  // namespace reel

namespace reel::nn::functional {

// F::interpolate: the checks and size rules of torch.nn.functional.interpolate, then the upsample_* op
Tensor interpolate(const Tensor& input, const InterpolateFuncOptions& options) {
  const char* op = "interpolate";
  input.check_defined(op);
  const std::string& mode = options.mode();
  const bool linear_like = mode == "linear" || mode == "bilinear" || mode == "bicubic";
  REEL_CHECK(mode == "nearest" || linear_like,
             "interpolate: mode must be \"nearest\", \"linear\", \"bilinear\" or \"bicubic\", got \"{}\" (area, "
             "trilinear and nearest-exact are not in reel)",
             mode);
  REEL_CHECK(!options.antialias(),
             "interpolate: antialias=true is not implemented in reel (mode \"{}\", input shape {})", mode,
             shape_str(input.sizes()));
  REEL_CHECK(!(mode == "nearest" && options.align_corners().has_value()),
             "interpolate: align_corners option can only be set with the interpolating modes: linear | bilinear | "
             "bicubic | trilinear");
  REEL_CHECK(input.dim() == 3 || input.dim() == 4,
             "interpolate: expected a 3-D (N, C, W) or 4-D (N, C, H, W) input, got shape {}",
             shape_str(input.sizes()));
  const int64_t spatial = input.dim() - 2;
  REEL_CHECK(!(mode == "linear" && spatial != 1), "interpolate: got {}D input, but linear mode needs 3D input",
             input.dim());
  REEL_CHECK(!((mode == "bilinear" || mode == "bicubic") && spatial != 2),
             "interpolate: got {}D input, but {} mode needs 4D input", input.dim(), mode);
  REEL_CHECK(options.size().has_value() != options.scale_factor().has_value(),
             "interpolate: {} (input shape {})",
             options.size().has_value() ? "only one of size or scale_factor should be defined"
                                        : "either size or scale_factor should be defined",
             shape_str(input.sizes()));
  DimVector out_size;
  std::vector<std::optional<double>> scales(static_cast<size_t>(spatial));
  if (options.size().has_value()) {
    const std::vector<int64_t>& size = *options.size();
    REEL_CHECK(static_cast<int64_t>(size.size()) == spatial || size.size() == 1,
               "interpolate: input of shape {} has {} spatial dims, but size {} has {} values", shape_str(input.sizes()),
               spatial, fmt::format("{}", size), size.size());
    for (int64_t d = 0; d < spatial; ++d) out_size.push_back(size[size.size() == 1 ? 0 : static_cast<size_t>(d)]);
  } else {
    const std::vector<double>& factors = *options.scale_factor();
    REEL_CHECK(static_cast<int64_t>(factors.size()) == spatial || factors.size() == 1,
               "interpolate: input of shape {} has {} spatial dims, but scale_factor {} has {} values",
               shape_str(input.sizes()), spatial, fmt::format("{}", factors), factors.size());
    const bool recompute = options.recompute_scale_factor().value_or(false);
    for (int64_t d = 0; d < spatial; ++d) {
      const double f = factors[factors.size() == 1 ? 0 : static_cast<size_t>(d)];
      REEL_CHECK(f > 0 && std::isfinite(f), "interpolate: scale_factor must be positive and finite, got {}", f);
      out_size.push_back(static_cast<int64_t>(std::floor(static_cast<double>(input.size(2 + d)) * f)));
      if (!recompute) scales[static_cast<size_t>(d)] = f;
    }
  }
  const bool align = options.align_corners().value_or(false);
  if (spatial == 1) {
    return mode == "nearest" ? upsample_nearest1d(input, out_size, scales[0])
                             : upsample_linear1d(input, out_size, align, scales[0]);
  }
  if (mode == "nearest") return upsample_nearest2d(input, out_size, scales[0], scales[1]);
  if (mode == "bilinear") return upsample_bilinear2d(input, out_size, align, scales[0], scales[1]);
  return upsample_bicubic2d(input, out_size, align, scales[0], scales[1]);
}

// F::grid_sample: mode and padding names to PyTorch's codes, then grid_sampler_2d
Tensor grid_sample(const Tensor& input, const Tensor& grid, const GridSampleFuncOptions& options) {
  const std::string& mode = options.mode();
  const std::string& padding = options.padding_mode();
  REEL_CHECK(mode == "bilinear" || mode == "nearest",
             "grid_sample: mode must be \"bilinear\" or \"nearest\", got \"{}\" (bicubic is not in reel)", mode);
  REEL_CHECK(padding == "zeros" || padding == "border" || padding == "reflection",
             "grid_sample: padding_mode must be \"zeros\", \"border\" or \"reflection\", got \"{}\"", padding);
  const int64_t mode_code = mode == "bilinear" ? 0 : 1;
  const int64_t padding_code = padding == "zeros" ? 0 : padding == "border" ? 1 : 2;
  return grid_sampler(input, grid, mode_code, padding_code, options.align_corners().value_or(false));
}

Tensor affine_grid(const Tensor& theta, IntList size, bool align_corners) {
  return affine_grid_generator(theta, size, align_corners);
}

}  // namespace reel::nn::functional
