// reel/tensor/ops_resample.cpp — front doors of the resampling ops: upsample (nearest / linear / bilinear / bicubic,
// LibTorch's upsample_* spellings) and grid_sampler_2d, with their backward primitives.
//
// Kernels: cpu/resample.cpp, cuda/resample.cu; coordinate rules: tensor/resample_math.h. The kernel ops are 4-D:
// 1-d inputs (N, C, W) travel as (N, C, 1, W). The backward primitives compute float16 / bfloat16 in float32 (their
// kernels add many taps into one element) and round the result once.
#include "tensor/ops_resample.h"

#include <cmath>

#include "tensor/error_format.h"
#include "tensor/op_call.h"

namespace reel {

namespace {

void check_floating_input(const char* op, const Tensor& t, const char* name) {
  t.check_defined(op);
  REEL_CHECK(is_floating_point(t.dtype()), "{}: expected a floating-point {}, got {} (shape {})", op, name,
             dtype_name(t.dtype()), shape_str(t.sizes()));
}

bool is_16_bit(ScalarType t) { return t == kFloat16 || t == kBFloat16; }

// The checks PyTorch makes of an upsample call: input rank, non-empty non-batch dims, positive sizes.
void check_upsample(const char* op, const Tensor& input, int64_t spatial, IntList output_size) {
  check_floating_input(op, input, "input");
  REEL_CHECK(input.dim() == 2 + spatial, "{}: expected a {}-D input (N, C, {}), got shape {}", op, 2 + spatial,
             spatial == 1 ? "W" : "H, W", shape_str(input.sizes()));
  REEL_CHECK(static_cast<int64_t>(output_size.size()) == spatial, "{}: output_size must have {} element(s), got {}",
             op, spatial, shape_str(output_size));
  bool positive = true;
  for (int64_t d = 2; d < input.dim(); ++d) positive = positive && input.size(d) > 0;
  for (int64_t s : output_size) positive = positive && s > 0;
  REEL_CHECK(positive && input.size(1) > 0,
             "{}: input and output sizes should be greater than 0, but got input {} and output_size {}", op,
             shape_str(input.sizes()), shape_str(output_size));
}

double scale_or_none(std::optional<double> scale) { return scale.has_value() ? *scale : 0.0; }

Tensor upsample_1d(const char* op, const Tensor& input, IntList output_size, UpsampleMode mode, bool align_corners,
                   std::optional<double> scales) {
  check_upsample(op, input, 1, output_size);
  const UpsampleAttrs attrs{mode, align_corners, 0.0, scale_or_none(scales)};
  return detail::upsample(input.unsqueeze(2), {1, output_size[0]}, attrs).squeeze(2);
}

Tensor upsample_2d(const char* op, const Tensor& input, IntList output_size, UpsampleMode mode, bool align_corners,
                   std::optional<double> scales_h, std::optional<double> scales_w) {
  check_upsample(op, input, 2, output_size);
  const UpsampleAttrs attrs{mode, align_corners, scale_or_none(scales_h), scale_or_none(scales_w)};
  return detail::upsample(input, output_size, attrs);
}

void check_grid_sampler(const char* op, const Tensor& input, const Tensor& grid, int64_t interpolation_mode,
                        int64_t padding_mode) {
  check_floating_input(op, input, "input");
  check_floating_input(op, grid, "grid");
  REEL_CHECK(input.device() == grid.device(), "{}: input and grid must be on one device, got {} and {}", op,
             input.device().str(), grid.device().str());
  REEL_CHECK(input.dtype() == grid.dtype(), "{}: input and grid must have the same dtype, got {} and {}", op,
             dtype_name(input.dtype()), dtype_name(grid.dtype()));
  REEL_CHECK(input.dim() == 4 && grid.dim() == 4 && grid.size(3) == 2,
             "{}: expected a 4-D input (N, C, H, W) and a grid (N, H_out, W_out, 2), got input {} and grid {} "
             "(5-D volumetric sampling is not in reel)",
             op, shape_str(input.sizes()), shape_str(grid.sizes()));
  REEL_CHECK(input.size(0) == grid.size(0), "{}: input and grid must have the same batch size, got input {} and grid {}",
             op, shape_str(input.sizes()), shape_str(grid.sizes()));
  REEL_CHECK(input.size(2) > 0 && input.size(3) > 0, "{}: expected an input with non-empty spatial dims, got {}", op,
             shape_str(input.sizes()));
  REEL_CHECK(interpolation_mode == 0 || interpolation_mode == 1,
             "{}: interpolation_mode must be 0 (bilinear) or 1 (nearest), got {} (bicubic is not in reel)", op,
             interpolation_mode);
  REEL_CHECK(padding_mode >= 0 && padding_mode <= 2,
             "{}: padding_mode must be 0 (zeros), 1 (border) or 2 (reflection), got {}", op, padding_mode);
}

}  // namespace

namespace detail {

// y = upsample(x): the kernel op on (N, C, H, W)
Tensor upsample(const Tensor& input, IntList output_size, const UpsampleAttrs& attrs) {
  const char* op = "upsample";
  check_floating_input(op, input, "input");
  OpAttrs op_attrs;
  op_attrs.set(attrs);
  Tensor out;
  run_op(OpId::upsample, &op_attrs, input,
         {&out, {{{input.size(0), input.size(1), output_size[0], output_size[1]}, input.dtype(), input.device()}}},
         {.allocating = op});
  return out;
}

// dx = the taps' adjoint applied to g
Tensor upsample_backward(const Tensor& grad_output, IntList input_size, const UpsampleAttrs& attrs) {
  const char* op = "upsample_backward";
  check_floating_input(op, grad_output, "grad_output");
  REEL_CHECK(grad_output.dim() == 4 && input_size.size() == 4 && grad_output.size(0) == input_size[0] &&
                 grad_output.size(1) == input_size[1],
             "{}: grad_output {} does not match input_size {} in batch and channels", op,
             shape_str(grad_output.sizes()), shape_str(input_size));
  if (is_16_bit(grad_output.dtype()))
    return upsample_backward(grad_output.to(kFloat32), input_size, attrs).to(grad_output.dtype());
  OpAttrs op_attrs;
  op_attrs.set(attrs);
  Tensor out;
  run_op(OpId::upsample_backward, &op_attrs, grad_output,
         {&out, {{input_size, grad_output.dtype(), grad_output.device()}}}, {.allocating = op});
  return out;
}

}  // namespace detail

// y[n, c, j] = x[n, c, min(floor(j step), W - 1)]
Tensor upsample_nearest1d(const Tensor& input, IntList output_size, std::optional<double> scales) {
  return upsample_1d("upsample_nearest1d", input, output_size, UpsampleMode::Nearest, false, scales);
}
// y[n, c, i, j] = x[n, c, min(floor(i step_h), H - 1), min(floor(j step_w), W - 1)]
Tensor upsample_nearest2d(const Tensor& input, IntList output_size, std::optional<double> scales_h,
                          std::optional<double> scales_w) {
  return upsample_2d("upsample_nearest2d", input, output_size, UpsampleMode::Nearest, false, scales_h, scales_w);
}
// y[n, c, j] = (1 - t) x[i0] + t x[i1] at the linear source coordinate of j
Tensor upsample_linear1d(const Tensor& input, IntList output_size, bool align_corners, std::optional<double> scales) {
  return upsample_1d("upsample_linear1d", input, output_size, UpsampleMode::Linear, align_corners, scales);
}
// y = the linear interpolation along H of the linear interpolations along W
Tensor upsample_bilinear2d(const Tensor& input, IntList output_size, bool align_corners,
                           std::optional<double> scales_h, std::optional<double> scales_w) {
  return upsample_2d("upsample_bilinear2d", input, output_size, UpsampleMode::Linear, align_corners, scales_h,
                     scales_w);
}
// y = sum of 4 x 4 taps weighted by the cubic convolution kernel (A = -0.75), edges replicated
Tensor upsample_bicubic2d(const Tensor& input, IntList output_size, bool align_corners, std::optional<double> scales_h,
                          std::optional<double> scales_w) {
  return upsample_2d("upsample_bicubic2d", input, output_size, UpsampleMode::Bicubic, align_corners, scales_h,
                     scales_w);
}

// y[n, c, i, j] = input[n, c] sampled at grid[n, i, j]
Tensor grid_sampler_2d(const Tensor& input, const Tensor& grid, int64_t interpolation_mode, int64_t padding_mode,
                       bool align_corners) {
  const char* op = "grid_sampler_2d";
  check_grid_sampler(op, input, grid, interpolation_mode, padding_mode);
  OpAttrs attrs;
  attrs.set(GridSampleAttrs{interpolation_mode, padding_mode, align_corners});
  const Tensor inputs[] = {input, grid};
  Tensor out;
  run_op(OpId::grid_sampler_2d, &attrs, inputs,
         {&out, {{{input.size(0), input.size(1), grid.size(1), grid.size(2)}, input.dtype(), input.device()}}},
         {.allocating = op});
  return out;
}

// torch::grid_sampler picks the 2-d sampler for 4-D inputs (reel has no 3-d one).
Tensor grid_sampler(const Tensor& input, const Tensor& grid, int64_t interpolation_mode, int64_t padding_mode,
                    bool align_corners) {
  return grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners);
}

// (dx, dgrid) of grid_sampler_2d
std::tuple<Tensor, Tensor> grid_sampler_2d_backward(const Tensor& grad_output, const Tensor& input, const Tensor& grid,
                                                    int64_t interpolation_mode, int64_t padding_mode,
                                                    bool align_corners) {
  const char* op = "grid_sampler_2d_backward";
  check_grid_sampler(op, input, grid, interpolation_mode, padding_mode);
  check_floating_input(op, grad_output, "grad_output");
  const DimVector expected{input.size(0), input.size(1), grid.size(1), grid.size(2)};
  REEL_CHECK(grad_output.sizes() == IntList(expected) && grad_output.dtype() == input.dtype(),
             "{}: grad_output must be {} of shape {}, got {} of shape {}", op, dtype_name(input.dtype()),
             shape_str(expected), dtype_name(grad_output.dtype()), shape_str(grad_output.sizes()));
  if (is_16_bit(input.dtype())) {
    auto [dx, dgrid] = grid_sampler_2d_backward(grad_output.to(kFloat32), input.to(kFloat32), grid.to(kFloat32),
                                                interpolation_mode, padding_mode, align_corners);
    return {dx.to(input.dtype()), dgrid.to(input.dtype())};
  }
  OpAttrs attrs;
  attrs.set(GridSampleAttrs{interpolation_mode, padding_mode, align_corners});
  const Tensor inputs[] = {grad_output, input, grid};
  Tensor outs[2];
  run_op(OpId::grid_sampler_2d_backward, &attrs, inputs,
         {outs, {{input.sizes(), input.dtype(), input.device()}, {grid.sizes(), grid.dtype(), grid.device()}}},
         {.record = Record::no, .allocating = op});
  return {outs[0], outs[1]};
}

}  // namespace reel
