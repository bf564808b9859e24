// reel/cpu/copy.cpp — strided copy with dtype conversion, and fill, on the CPU.
#include <type_traits>

#include "cpu/kernels.h"
#include "tensor/dispatch.h"

namespace reel::cpu {

namespace {

// Converts one element; bool targets get (x != 0), 16-bit floats go through float.
template <typename Dst, typename Src>
inline Dst convert(Src value) {
  if constexpr (std::is_same_v<Dst, Src>) {
    return value;
  } else if constexpr (std::is_same_v<Dst, bool>) {
    return static_cast<compute_t<Src>>(value) != compute_t<Src>(0);
  } else {
    return static_cast<Dst>(static_cast<compute_t<Dst>>(static_cast<compute_t<Src>>(value)));
  }
}

// dst[i] = cast(src[i]); operands: dst, src.
void copy_kernel(const KernelArgs& args) {
  const TensorIter& iter = *args.iter;
  REEL_CHECK(args.outputs->is_cpu() && args.inputs->is_cpu(), "copy_: CPU kernel asked to copy {} -> {}",
             args.inputs->device().str(), args.outputs->device().str());
  dispatch_dtype(iter.dtype(0), "copy_", [&]<typename Dst>() {
    dispatch_dtype(iter.dtype(1), "copy_", [&]<typename Src>() {
      iter.for_each([](char** data, const int64_t* strides, int64_t n) {
        if (strides[0] == sizeof(Dst) && strides[1] == sizeof(Src)) {
          auto* out = reinterpret_cast<Dst*>(data[0]);
          const auto* in = reinterpret_cast<const Src*>(data[1]);
          for (int64_t i = 0; i < n; ++i) out[i] = convert<Dst>(in[i]);
          return;
        }
        char* out = data[0];
        const char* in = data[1];
        for (int64_t i = 0; i < n; ++i, out += strides[0], in += strides[1])
          *reinterpret_cast<Dst*>(out) = convert<Dst>(*reinterpret_cast<const Src*>(in));
      });
    });
  });
}

// y[i] = value; attrs: FillAttrs.
void fill_kernel(const KernelArgs& args) {
  const TensorIter& iter = *args.iter;
  dispatch_dtype(iter.dtype(0), "fill_", [&]<typename T>() {
    const T value = args.attrs->get<FillAttrs>().value.to<T>();
    iter.for_each([value](char** data, const int64_t* strides, int64_t n) {
      if (strides[0] == sizeof(T)) {
        auto* out = reinterpret_cast<T*>(data[0]);
        for (int64_t i = 0; i < n; ++i) out[i] = value;
        return;
      }
      char* out = data[0];
      for (int64_t i = 0; i < n; ++i, out += strides[0]) *reinterpret_cast<T*>(out) = value;
    });
  });
}

}  // namespace

void register_copy_kernels() {
  register_kernel(OpId::copy, kCPU, &copy_kernel);
  register_kernel(OpId::clone, kCPU, &copy_kernel);  // clone is a copy into a fresh tensor, seen under its name
  register_kernel(OpId::fill, kCPU, &fill_kernel);
}

}  // namespace reel::cpu
