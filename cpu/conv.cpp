// reel/cpu/conv.cpp — CPU kernels of conv2d and its two backward primitives, by im2col + GEMM.
//
// For one sample and one group, im2col lays the input windows out as a matrix col[C/G * kH * kW, oH * oW] (row
// (c, p, q) holds x[c, i s - pad + p d, j s - pad + q d] for every output position (i, j), zero in the padding).
// Then, with the group's weight W[O/G, C/G * kH * kW] (the weight tensor's rows as stored):
//   forward          y = W @ col (+ bias, preloaded into y)
//   backward input   col = W^T @ g, then col2im adds every column entry back onto the input position it came from
//   backward weight  dW += g @ col^T, summed over the samples
// A 1x1 kernel with stride 1 and no padding needs no im2col: the input planes already are col.
// GEMMs: float32 through oneDNN's sgemm, float64 through reel's blocked GEMM (cpu/gemm.h); float16 and bfloat16 are
// computed in float32 and rounded once. Threads: with at least as many samples as threads, the batch is split into
// one chunk per thread, each with its own col buffer and single-threaded GEMMs (the weight gradient sums per-chunk
// partials in chunk order, so results do not depend on timing); otherwise samples run in turn and each GEMM uses
// every thread. The front door (tensor/ops_conv.cpp) has checked shapes and allocated the contiguous output.
#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "cpu/gemm.h"
#include "cpu/kernels.h"
#include "tensor/conv_params.h"
#include "tensor/dispatch.h"
#include "tensor/parallel.h"

namespace reel::cpu {

namespace {

// Below this many multiply-adds in all, a convolution stays on one thread.
constexpr int64_t kParallelWork = int64_t{1} << 16;

// Sizes of one convolution: input (N, C, H, W), weight (O, C/G, kH, kW), output (N, O, oH, oW).
struct ConvGeometry {
  int64_t batch, channels, height, width;
  int64_t out_channels, kernel_h, kernel_w, out_h, out_w;
  ConvParams p;

  // Per kernel column q: the output columns [lo, hi) whose input column j s - pad + q d lies inside the input
  // (worked out once: the divisions would otherwise dominate im2col on small planes).
  std::vector<int64_t> valid_lo, valid_hi;

  ConvGeometry(IntList input, IntList weight, IntList output, const OpAttrs& attrs)
      : batch(input[0]), channels(input[1]), height(input[2]), width(input[3]), out_channels(weight[0]),
        kernel_h(weight[2]), kernel_w(weight[3]), out_h(output[2]), out_w(output[3]), p(attrs.get<ConvParams>()) {
    for (int64_t q = 0; q < kernel_w; ++q) {
      const int64_t offset = q * p.dilation[1] - p.padding[1], stride = p.stride[1];
      int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
      int64_t hi = width - offset > 0 ? (width - offset + stride - 1) / stride : 0;
      lo = std::min(lo, out_w);
      valid_lo.push_back(lo);
      valid_hi.push_back(std::clamp(hi, lo, out_w));
    }
  }

  int64_t groups() const { return p.groups; }
  int64_t group_channels() const { return channels / p.groups; }          // C/G
  int64_t group_out_channels() const { return out_channels / p.groups; }  // O/G
  int64_t col_rows() const { return group_channels() * kernel_h * kernel_w; }
  int64_t in_plane() const { return height * width; }
  int64_t out_plane() const { return out_h * out_w; }
  // The input planes are already the im2col matrix.
  bool pointwise() const {
    return kernel_h == 1 && kernel_w == 1 && p.stride[0] == 1 && p.stride[1] == 1 && p.padding[0] == 0 &&
           p.padding[1] == 0;
  }
  int64_t work() const { return batch * out_channels * out_plane() * col_rows(); }
};

// Rows of im2col are short (oW elements): plain loops, not calls to memmove / memset, copy and clear them. GCC
// would turn the loops back into those calls; the attribute below stops it (for im2col and col2im).
#define REEL_NO_LIBC_LOOPS __attribute__((optimize("no-tree-loop-distribute-patterns")))

// col[(c, p, q), (i, j)] = x[c, i s - pad + p d, j s - pad + q d] (0 outside) for the group's C/G planes at x.
template <typename T>
REEL_NO_LIBC_LOOPS void im2col(const T* x, const ConvGeometry& g, T* col) {
  const ConvParams& p = g.p;
  for (int64_t c = 0; c < g.group_channels(); ++c) {
    const T* plane = x + c * g.in_plane();
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        T* row = col + ((c * g.kernel_h + kh) * g.kernel_w + kw) * g.out_plane();
        const int64_t offset_w = kw * p.dilation[1] - p.padding[1];
        const int64_t lo = g.valid_lo[static_cast<size_t>(kw)], hi = g.valid_hi[static_cast<size_t>(kw)];
        for (int64_t i = 0; i < g.out_h; ++i) {
          T* dst = row + i * g.out_w;
          const int64_t h = i * p.stride[0] - p.padding[0] + kh * p.dilation[0];
          if (h < 0 || h >= g.height) {
            for (int64_t j = 0; j < g.out_w; ++j) dst[j] = T(0);
            continue;
          }
          const T* src = plane + h * g.width + offset_w;
          for (int64_t j = 0; j < lo; ++j) dst[j] = T(0);
          if (p.stride[1] == 1) {
            for (int64_t j = lo; j < hi; ++j) dst[j] = src[j];
          } else {
            for (int64_t j = lo; j < hi; ++j) dst[j] = src[j * p.stride[1]];
          }
          for (int64_t j = hi; j < g.out_w; ++j) dst[j] = T(0);
        }
      }
    }
  }
}

// dx[c, i s - pad + p d, j s - pad + q d] += col[(c, p, q), (i, j)]: the adjoint of im2col (dx pre-zeroed).
template <typename T>
REEL_NO_LIBC_LOOPS void col2im(const T* col, const ConvGeometry& g, T* dx) {
  const ConvParams& p = g.p;
  for (int64_t c = 0; c < g.group_channels(); ++c) {
    T* plane = dx + c * g.in_plane();
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const T* row = col + ((c * g.kernel_h + kh) * g.kernel_w + kw) * g.out_plane();
        const int64_t offset_w = kw * p.dilation[1] - p.padding[1];
        const int64_t lo = g.valid_lo[static_cast<size_t>(kw)], hi = g.valid_hi[static_cast<size_t>(kw)];
        for (int64_t i = 0; i < g.out_h; ++i) {
          const int64_t h = i * p.stride[0] - p.padding[0] + kh * p.dilation[0];
          if (h < 0 || h >= g.height) continue;
          const T* src = row + i * g.out_w;
          T* dst = plane + h * g.width + offset_w;
          if (p.stride[1] == 1) {
            for (int64_t j = lo; j < hi; ++j) dst[j] += src[j];
          } else {
            for (int64_t j = lo; j < hi; ++j) dst[j * p.stride[1]] += src[j];
          }
        }
      }
    }
  }
}

// Runs body(chunk, first_sample, end_sample) over the batch: one chunk per thread when there are at least as many
// samples as threads and enough work, else one chunk on the calling thread. Returns the number of chunks.
template <typename F>
int64_t for_batch_chunks(const ConvGeometry& g, F&& body) {
  const int64_t threads = in_parallel_region() ? 1 : get_num_threads();
  const int64_t chunks = threads > 1 && g.batch >= threads && g.work() >= kParallelWork ? threads : 1;
  if (chunks == 1) {
    body(int64_t{0}, int64_t{0}, g.batch);
    return 1;
  }
  parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t chunk = begin; chunk < end; ++chunk)
      body(chunk, g.batch * chunk / chunks, g.batch * (chunk + 1) / chunks);
  });
  return chunks;
}

// A scratch col matrix for one chunk (none needed for pointwise convolutions).
template <typename T>
Tensor col_buffer(const ConvGeometry& g) {
  return Tensor::make({g.pointwise() ? 0 : g.col_rows() * g.out_plane()}, dtype_of_v<T>, Device(kCPU));
}

// ---- the three computations on contiguous float / double tensors ----------------------------------------------
// y = W @ im2col(x) + b
template <typename T>
void conv_forward(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y, const ConvGeometry& g) {
  const T* x_data = x.data_ptr<T>();
  const T* w_data = w.data_ptr<T>();
  const T* b_data = bias ? bias->data_ptr<T>() : nullptr;
  T* y_data = y.data_ptr<T>();
  const int64_t og = g.group_out_channels(), rows = g.col_rows(), plane = g.out_plane();
  for_batch_chunks(g, [&](int64_t, int64_t first, int64_t last) {
    Tensor col_tensor = col_buffer<T>(g);
    T* col = col_tensor.data_ptr<T>();
    for (int64_t n = first; n < last; ++n) {
      for (int64_t group = 0; group < g.groups(); ++group) {
        const T* xg = x_data + (n * g.channels + group * g.group_channels()) * g.in_plane();
        T* yg = y_data + (n * g.out_channels + group * og) * plane;
        if (b_data) {
          for (int64_t o = 0; o < og; ++o) std::fill(yg + o * plane, yg + (o + 1) * plane, b_data[group * og + o]);
        }
        const T* b = xg;
        if (!g.pointwise()) {
          im2col(xg, g, col);
          b = col;
        }
        gemm('N', 'N', og, plane, rows, T(1), w_data + group * og * rows, rows, b, plane, b_data ? T(1) : T(0), yg,
             plane);
      }
    }
  });
}

// dx = col2im(W^T @ g)
template <typename T>
void conv_backward_input(const Tensor& grad, const Tensor& w, Tensor& dx, const ConvGeometry& g) {
  const T* g_data = grad.data_ptr<T>();
  const T* w_data = w.data_ptr<T>();
  T* dx_data = dx.data_ptr<T>();
  const int64_t og = g.group_out_channels(), rows = g.col_rows(), plane = g.out_plane();
  for_batch_chunks(g, [&](int64_t, int64_t first, int64_t last) {
    Tensor col_tensor = col_buffer<T>(g);
    T* col = col_tensor.data_ptr<T>();
    for (int64_t n = first; n < last; ++n) {
      for (int64_t group = 0; group < g.groups(); ++group) {
        const T* gg = g_data + (n * g.out_channels + group * og) * plane;
        T* dxg = dx_data + (n * g.channels + group * g.group_channels()) * g.in_plane();
        const T* wg = w_data + group * og * rows;
        if (g.pointwise()) {
          gemm('T', 'N', rows, plane, og, T(1), wg, rows, gg, plane, T(0), dxg, plane);
          continue;
        }
        gemm('T', 'N', rows, plane, og, T(1), wg, rows, gg, plane, T(0), col, plane);
        std::fill(dxg, dxg + g.group_channels() * g.in_plane(), T(0));
        col2im(col, g, dxg);
      }
    }
  });
}

// dW = sum_n g_n @ im2col(x_n)^T, as one partial sum per chunk added up in chunk order
template <typename T>
void conv_backward_weight(const Tensor& grad, const Tensor& x, Tensor& dw, const ConvGeometry& g) {
  const T* g_data = grad.data_ptr<T>();
  const T* x_data = x.data_ptr<T>();
  const int64_t og = g.group_out_channels(), rows = g.col_rows(), plane = g.out_plane();
  const int64_t weight_numel = dw.numel();
  std::vector<Tensor> partials(static_cast<size_t>(std::max<int64_t>(1, get_num_threads())));
  const int64_t chunks = for_batch_chunks(g, [&](int64_t chunk, int64_t first, int64_t last) {
    Tensor& partial = partials[static_cast<size_t>(chunk)];
    partial = chunk == 0 ? dw : Tensor::make({weight_numel}, dtype_of_v<T>, Device(kCPU));
    T* dw_data = partial.data_ptr<T>();
    std::fill(dw_data, dw_data + weight_numel, T(0));
    Tensor col_tensor = col_buffer<T>(g);
    T* col = col_tensor.data_ptr<T>();
    for (int64_t n = first; n < last; ++n) {
      for (int64_t group = 0; group < g.groups(); ++group) {
        const T* gg = g_data + (n * g.out_channels + group * og) * plane;
        const T* xg = x_data + (n * g.channels + group * g.group_channels()) * g.in_plane();
        const T* b = xg;
        if (!g.pointwise()) {
          im2col(xg, g, col);
          b = col;
        }
        gemm('N', 'T', og, rows, plane, T(1), gg, plane, b, plane, T(1), dw_data + group * og * rows, rows);
      }
    }
  });
  T* out = dw.data_ptr<T>();
  for (int64_t chunk = 1; chunk < chunks; ++chunk) {
    const T* part = partials[static_cast<size_t>(chunk)].data_ptr<T>();
    for (int64_t i = 0; i < weight_numel; ++i) out[i] += part[i];
  }
}

// ---- kernels --------------------------------------------------------------------------------------------------
// Runs compute<T>(contiguous inputs, output) in the output's dtype; float16 and bfloat16 go through float32.
template <typename Compute>
void run_in_compute_dtype(const KernelArgs& args, Compute&& compute) {
  Tensor& out = args.outputs[0];
  std::vector<Tensor> inputs;
  for (int i = 0; i < args.num_inputs; ++i) inputs.push_back(args.inputs[i].contiguous());
  dispatch_floating(out.dtype(), op_name(args.op), [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      compute.template operator()<T>(inputs, out);
    } else {
      for (Tensor& t : inputs) t = t.to(kFloat32);
      Tensor out32 = Tensor::make(out.sizes(), kFloat32, out.device());
      compute.template operator()<float>(inputs, out32);
      out.copy_(out32);
    }
  });
}

// inputs: x (N, C, H, W), w (O, C/G, kH, kW), optional bias (O); output y (N, O, oH, oW); attrs: ConvParams.
void conv2d_kernel(const KernelArgs& args) {
  if (args.outputs[0].numel() == 0) return;
  const ConvGeometry g(args.inputs[0].sizes(), args.inputs[1].sizes(), args.outputs[0].sizes(), *args.attrs);
  run_in_compute_dtype(args, [&]<typename T>(const std::vector<Tensor>& in, Tensor& out) {
    conv_forward<T>(in[0], in[1], in.size() > 2 ? &in[2] : nullptr, out, g);
  });
}

// inputs: grad_output (N, O, oH, oW), w (O, C/G, kH, kW); output dx (N, C, H, W); attrs: ConvParams.
void conv2d_backward_input_kernel(const KernelArgs& args) {
  Tensor& dx = args.outputs[0];
  if (dx.numel() == 0) return;
  const ConvGeometry g(dx.sizes(), args.inputs[1].sizes(), args.inputs[0].sizes(), *args.attrs);
  run_in_compute_dtype(args, [&]<typename T>(const std::vector<Tensor>& in, Tensor& out) {
    conv_backward_input<T>(in[0], in[1], out, g);
  });
}

// inputs: grad_output (N, O, oH, oW), x (N, C, H, W); output dw (O, C/G, kH, kW); attrs: ConvParams.
void conv2d_backward_weight_kernel(const KernelArgs& args) {
  Tensor& dw = args.outputs[0];
  if (dw.numel() == 0) return;
  const ConvGeometry g(args.inputs[1].sizes(), dw.sizes(), args.inputs[0].sizes(), *args.attrs);
  run_in_compute_dtype(args, [&]<typename T>(const std::vector<Tensor>& in, Tensor& out) {
    conv_backward_weight<T>(in[0], in[1], out, g);
  });
}

}  // namespace

void register_conv_kernels() {
  register_kernel(OpId::conv2d, kCPU, &conv2d_kernel);
  register_kernel(OpId::conv2d_backward_input, kCPU, &conv2d_backward_input_kernel);
  register_kernel(OpId::conv2d_backward_weight, kCPU, &conv2d_backward_weight_kernel);
}

}  // namespace reel::cpu
