// reel/cpu/shape.cpp — CPU kernels of the shape ops that move data: cat, flip, tril and triu.
//
// The front door (tensor/ops_shape.cpp) has checked the arguments and allocated a contiguous output.
//   cat        contiguous inputs of the output's dtype are copied as blocks with memcpy; any other input
//              (strided, or of a dtype that needs casting) is copied by the strided copy kernel into the
//              slice of the output it belongs to.
//   flip       one pass per output row, reading the input backwards along the flipped dims.
//   tril/triu  one pass per row: the kept part is copied, the rest zeroed.
// flip, tril and triu only move elements (and zero is all-zero bits for every dtype), so they switch on the
// element size, not the dtype.
#include <algorithm>
#include <cstring>

#include "cpu/kernels.h"
#include "tensor/dispatch.h"
#include "tensor/parallel.h"

namespace reel::cpu {

namespace {

constexpr int64_t kCopyGrainBytes = int64_t{1} << 16;  // bytes below which a copy loop stays on one thread

// Calls fn.template operator()<U>() with an unsigned integer type of `bytes` bytes: data-movement kernels
// copy elements as raw bits.
template <typename Fn>
void dispatch_element_size(int64_t bytes, Fn&& fn) {
  switch (bytes) {
    case 1: fn.template operator()<uint8_t>(); return;
    case 2: fn.template operator()<uint16_t>(); return;
    case 4: fn.template operator()<uint32_t>(); return;
    case 8: fn.template operator()<uint64_t>(); return;
    default: REEL_CHECK(false, "element size {} is not supported", bytes);
  }
}

int64_t product(IntList sizes, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end; ++i) n *= sizes[i];
  return n;
}

// A view of `base` with the given sizes and strides, starting `element_offset` elements after base's start.
Tensor view_at(const Tensor& base, IntList sizes, IntList strides, int64_t element_offset) {
  return Tensor::make_view(base, sizes, strides, base.storage_offset() + element_offset);
}

// ---- cat: y = concatenation of the inputs along dim ---------------------------------------------------------------
// inputs: the tensors to join (same rank, matching sizes except along attrs.dim); outputs: y, contiguous.
void cat_kernel(const KernelArgs& args) {
  Tensor& out = args.outputs[0];
  const int64_t dim = args.attrs->dim;
  const size_t rank = out.sizes().size();
  const int64_t outer = product(out.sizes(), 0, static_cast<size_t>(dim));
  const int64_t inner = product(out.sizes(), static_cast<size_t>(dim) + 1, rank);  // elements per step along dim
  const int64_t out_row = out.size(dim) * inner;                                   // elements per outer index
  const int64_t element = out.element_size();
  char* out_data = static_cast<char*>(out.data_ptr());

  int64_t position = 0;  // where along dim the next input starts
  for (int i = 0; i < args.num_inputs; ++i) {
    const Tensor& input = args.inputs[i];
    const int64_t extent = input.dim() == static_cast<int64_t>(rank) ? input.size(dim) : 0;
    if (input.numel() == 0) {
      position += extent;
      continue;
    }
    if (input.is_contiguous() && input.dtype() == out.dtype()) {
      const int64_t block_bytes = extent * inner * element;
      const char* source = static_cast<const char*>(input.data_ptr());
      char* target = out_data + position * inner * element;
      const int64_t grain = std::max<int64_t>(1, kCopyGrainBytes / std::max<int64_t>(1, block_bytes));
      parallel_for(0, outer, grain, [&](int64_t begin, int64_t end) {
        for (int64_t o = begin; o < end; ++o)
          std::memcpy(target + o * out_row * element, source + o * block_bytes, static_cast<size_t>(block_bytes));
      });
    } else {
      Tensor slice = view_at(out, input.sizes(), out.strides(), position * out.stride(dim));
      slice.copy_(input);
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
  const DimVector sizes = x.dim() == 0 ? DimVector{1} : DimVector(x.sizes());
  DimVector strides = x.dim() == 0 ? DimVector{1} : DimVector(x.strides());
  int64_t start = 0;
  for (int64_t d : args.attrs->dims) {
    start += (sizes[d] - 1) * strides[d];
    strides[d] = -strides[d];
  }
  const int64_t last = static_cast<int64_t>(sizes.size()) - 1;
  const int64_t length = sizes[last], step = strides[last];
  dispatch_element_size(x.element_size(), [&]<typename Bits>() {
    const Bits* in = static_cast<const Bits*>(x.data_ptr()) + start;
    Bits* y = static_cast<Bits*>(out.data_ptr());
    const int64_t grain = std::max<int64_t>(1, kCopyGrainBytes / std::max<int64_t>(1, length * x.element_size()));
    parallel_for(0, x.numel() / length, grain, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        int64_t offset = 0;  // unravel the row over every dim but the last
        for (int64_t d = last - 1, rest = row; d >= 0; --d) {
          offset += (rest % sizes[d]) * strides[d];
          rest /= sizes[d];
        }
        const Bits* in_row = in + offset;
        Bits* out_row = y + row * length;
        for (int64_t j = 0; j < length; ++j) out_row[j] = in_row[j * step];
      }
    });
  });
}

// ---- tril / triu ---------------------------------------------------------------------------------------------------
// tril: y[i,j] = j - i <= k ? x[i,j] : 0;  triu: y[i,j] = j - i >= k ? x[i,j] : 0 (on the last two dims).
// inputs: x (>= 2-D, any strides); outputs: y, contiguous; attrs: DiagonalAttrs.
void triangle_kernel(const KernelArgs& args) {
  const Tensor& x = args.inputs[0];
  Tensor& out = args.outputs[0];
  if (out.numel() == 0) return;
  const bool lower = args.op == OpId::tril;
  const int64_t diagonal = args.attrs->get<DiagonalAttrs>().diagonal;
  const int64_t nd = x.dim();
  const int64_t rows = x.size(nd - 2), cols = x.size(nd - 1);
  const int64_t row_stride = x.stride(nd - 2), col_stride = x.stride(nd - 1);
  const DimVector batch_sizes(IntList(x.sizes().data(), static_cast<size_t>(nd - 2)));
  const DimVector batch_strides(IntList(x.strides().data(), static_cast<size_t>(nd - 2)));

  dispatch_element_size(x.element_size(), [&]<typename Bits>() {
    const Bits* in = static_cast<const Bits*>(x.data_ptr());
    Bits* y = static_cast<Bits*>(out.data_ptr());
    const int64_t grain = std::max<int64_t>(1, kCopyGrainBytes / std::max<int64_t>(1, cols * x.element_size()));
    parallel_for(0, out.numel() / cols, grain, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t matrix = r / rows, i = r % rows;
        // Offset of this matrix in x: unravel the batch index over the batch dims.
        int64_t in_offset = i * row_stride;
        for (int64_t d = nd - 3, rest = matrix; d >= 0; --d) {
          in_offset += (rest % batch_sizes[d]) * batch_strides[d];
          rest /= batch_sizes[d];
        }
        const Bits* in_row = in + in_offset;
        Bits* out_row = y + r * cols;
        // Kept columns: tril keeps j <= i + k, triu keeps j >= i + k.
        const int64_t split = std::clamp<int64_t>(lower ? i + diagonal + 1 : i + diagonal, 0, cols);
        const int64_t keep_begin = lower ? 0 : split, keep_end = lower ? split : cols;
        for (int64_t j = 0; j < keep_begin; ++j) out_row[j] = 0;
        for (int64_t j = keep_begin; j < keep_end; ++j) out_row[j] = in_row[j * col_stride];
        for (int64_t j = keep_end; j < cols; ++j) out_row[j] = 0;
      }
    });
  });
}

}  // namespace

void register_shape_kernels() {
  register_kernel(OpId::cat, kCPU, &cat_kernel);
  register_kernel(OpId::flip, kCPU, &flip_kernel);
  register_kernel(OpId::tril, kCPU, &triangle_kernel);
  register_kernel(OpId::triu, kCPU, &triangle_kernel);
}

}  // namespace reel::cpu
