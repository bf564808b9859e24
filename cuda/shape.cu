// reel/cuda/shape.cu — CUDA kernels of the shape ops that move data: cat, flip, tril and triu (the CPU
// versions are cpu/shape.cpp; the front door is tensor/ops_shape.cpp, which has checked the arguments and
// allocated a contiguous output on the inputs' device).
//   cat        a contiguous input of the output's dtype is one 2-D strided copy (cudaMemcpy2DAsync: `outer`
//              rows of extent*inner elements into rows of the output); a strided one is copied by an
//              index-mapping kernel; an input of another dtype is first converted by the copy kernel.
//   flip       one thread per output element, reading the input backwards along the flipped dims.
//   tril/triu  one thread per output element: the kept part is copied, the rest zeroed.
// All of them only move elements (zero is all-zero bits in every dtype), so they switch on the element size.
#include "cuda/kernels.h"
#include "cuda/shape_layout.cuh"
#include "tensor/dispatch.h"

namespace reel::cuda {

namespace {

// cudaMemcpy2D refuses pitches of 2 GiB and more; wider rows go through the element kernel.
constexpr size_t kMaxCopyPitch = size_t{1} << 31;

// ---- kernels -----------------------------------------------------------------------------------------------------

// cat of one strided input: out[o, position + k, r] = in[o, k, r] (input element e = (o, k, r) row-major,
// block = extent * inner elements per outer index).
template <typename Bits>
__global__ void cat_strided_input(const Bits* in, StridedLayout in_layout, Bits* out, int64_t numel, int64_t block,
                                  int64_t out_row, int64_t out_start) {
  for (int64_t e = first_element(); e < numel; e += element_step()) {
    const int64_t o = e / block, rest = e % block;
    out[o * out_row + out_start + rest] = in[strided_offset(e, in_layout)];
  }
}

// y[..., i, ...] = x[..., n-1-i, ...] on each flipped dim. in_layout has the flipped dims' strides negated and
// `in` points at the element the first output element reads.
template <typename Bits>
__global__ void flip_elements(const Bits* in, StridedLayout in_layout, Bits* out, int64_t numel) {
  for (int64_t e = first_element(); e < numel; e += element_step())
    out[e] = in[strided_offset(e, in_layout)];
}

// tril: y[i,j] = j - i <= k ? x[i,j] : 0;  triu: y[i,j] = j - i >= k ? x[i,j] : 0 (on the last two dims).
template <typename Bits>
__global__ void triangle_elements(const Bits* in, StridedLayout in_layout, Bits* out, int64_t numel, int64_t rows,
                                  int64_t cols, int64_t diagonal, bool lower) {
  for (int64_t e = first_element(); e < numel; e += element_step()) {
    const int64_t j = e % cols, i = (e / cols) % rows;
    const bool keep = lower ? j - i <= diagonal : j - i >= diagonal;
    out[e] = keep ? in[strided_offset(e, in_layout)] : Bits{0};
  }
}

// ---- cat: y = concatenation of the inputs along dim ---------------------------------------------------------------
// inputs: the tensors to join (same rank, matching sizes except along attrs.dim, any dtype that promotes to the
// output's); outputs: y, contiguous.
void cat_kernel(const KernelArgs& args) {
  Tensor& out = args.outputs[0];
  set_current_device(out.device());
  const cudaStream_t stream = current_raw_stream();
  const int64_t dim = args.attrs->dim;
  const IntList out_sizes = out.sizes();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= out_sizes[d];
  for (size_t d = static_cast<size_t>(dim) + 1; d < out_sizes.size(); ++d) inner *= out_sizes[d];
  const int64_t out_row = out.size(dim) * inner;  // elements per outer index
  const int64_t element = out.element_size();
  char* out_data = static_cast<char*>(out.data_ptr());

  int64_t position = 0;  // where along dim the next input starts
  for (int i = 0; i < args.num_inputs; ++i) {
    const Tensor& original = args.inputs[i];
    const int64_t extent = original.dim() == out.dim() ? original.size(dim) : 0;
    if (original.numel() == 0) {
      position += extent;
      continue;
    }
    // Promotion: the copy kernel converts the input to the output's dtype first.
    const Tensor input = original.dtype() == out.dtype() ? original : original.to(out.dtype());
    const int64_t block = extent * inner;  // elements of this input per outer index
    char* target = out_data + position * inner * element;
    const size_t block_bytes = static_cast<size_t>(block * element);
    const size_t out_row_bytes = static_cast<size_t>(out_row * element);
    if (input.is_contiguous() && outer == 1) {
      REEL_CUDA_CHECK(cudaMemcpyAsync(target, input.data_ptr(), block_bytes, cudaMemcpyDeviceToDevice, stream));
    } else if (input.is_contiguous() && out_row_bytes < kMaxCopyPitch) {
      REEL_CUDA_CHECK(cudaMemcpy2DAsync(target, out_row_bytes, input.data_ptr(), block_bytes, block_bytes,
                                        static_cast<size_t>(outer), cudaMemcpyDeviceToDevice, stream));
    } else {
      const StridedLayout layout = make_layout(input, "cat");
      dispatch_element_size(element, [&]<typename Bits>() {
        cat_strided_input<Bits><<<blocks_for(input.numel()), kThreadsPerBlock, 0, stream>>>(
            static_cast<const Bits*>(input.data_ptr()), layout, static_cast<Bits*>(out.data_ptr()), input.numel(),
            block, out_row, position * inner);
        check_launch("cat_strided_input");
      });
    }
    position += extent;
  }
}

// ---- flip: y[..., i, ...] = x[..., n-1-i, ...] on each flipped dim --------------------------------------------------
// inputs: x (any strides); outputs: y, contiguous, x's shape; attrs.dims: the (wrapped, distinct) dims to flip.
// Reading x from the last element of each flipped dim with that dim's stride negated walks it backwards.
void flip_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  Tensor& out = args.outputs[0];
  if (x.numel() == 0) return;
  set_current_device(out.device());
  StridedLayout layout = make_layout(x, "flip");
  int64_t start = 0;
  for (int64_t d : args.attrs->dims) {
    start += (layout.sizes[d] - 1) * layout.strides[d];
    layout.strides[d] = -layout.strides[d];
  }
  dispatch_element_size(x.element_size(), [&]<typename Bits>() {
    flip_elements<Bits><<<blocks_for(x.numel()), kThreadsPerBlock, 0, current_raw_stream()>>>(
        static_cast<const Bits*>(x.data_ptr()) + start, layout, static_cast<Bits*>(out.data_ptr()), x.numel());
    check_launch("flip_elements");
  });
}

// ---- tril / triu ---------------------------------------------------------------------------------------------------
// inputs: x (>= 2-D, any strides); outputs: y, contiguous; attrs: DiagonalAttrs.
void triangle_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  Tensor& out = args.outputs[0];
  if (out.numel() == 0) return;
  set_current_device(out.device());
  const bool lower = args.op == OpId::tril;
  const char* name = lower ? "tril" : "triu";
  const StridedLayout layout = make_layout(x, name);
  const int64_t rows = x.size(-2), cols = x.size(-1);
  dispatch_element_size(x.element_size(), [&]<typename Bits>() {
    triangle_elements<Bits><<<blocks_for(out.numel()), kThreadsPerBlock, 0, current_raw_stream()>>>(
        static_cast<const Bits*>(x.data_ptr()), layout, static_cast<Bits*>(out.data_ptr()), out.numel(), rows, cols,
        args.attrs->get<DiagonalAttrs>().diagonal, lower);
    check_launch("triangle_elements");
  });
}

}  // namespace

void register_shape_kernels() {
  register_kernel(OpId::cat, kCUDA, &cat_kernel);
  register_kernel(OpId::flip, kCUDA, &flip_kernel);
  register_kernel(OpId::tril, kCUDA, &triangle_kernel);
  register_kernel(OpId::triu, kCUDA, &triangle_kernel);
}

}  // namespace reel::cuda
