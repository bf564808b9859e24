// reel/cuda/copy.cu — copy_ and fill_ for tensors that touch a CUDA device.
//
// copy_ (dst[i] = cast(src[i]), src broadcast to dst's shape; the cast rules are cpu/copy.cpp's `convert`):
//   device -> same device    one strided elementwise kernel (launch_elementwise), or cudaMemcpyAsync when both
//                            are dense with one dtype and shape;
//   host -> device           cudaMemcpyAsync of the dense host data (made dense on the host first if needed)
//                            straight into dst, or into a dense device temporary that a kernel then casts,
//                            broadcasts and scatters into dst;
//   device -> host           a kernel first makes a dense device tensor of dst's dtype and shape if src is not
//                            one, then cudaMemcpyAsync into dst (or into a dense host temporary copied into dst);
//   device -> other device   staged dense on the source device, cudaMemcpyPeerAsync, synchronous.
// Every transfer runs on the current stream of the CUDA side's device. With non_blocking (CopyAttrs) and a
// pinned host tensor used directly by the transfer, the call returns at once (PyTorch semantics: the host data
// may be read or written later, until the stream gets there); otherwise the stream is synchronised before
// returning, so the host memory is safe to touch. Temporaries on the device are freed to the caching
// allocator, whose blocks are reused only on the same stream, so freeing them early is safe.
// fill_: y[i] = value, one kernel per dtype.
#include <type_traits>

#include "cuda/allocator.h"
#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/launch.cuh"
#include "cuda/stream.h"
#include "tensor/dispatch.h"
#include "tensor/grad_mode.h"

namespace reel::cuda {

namespace {

// Converts one element exactly as cpu/copy.cpp does: bool targets get (x != 0), 16-bit floats go through float.
template <typename Dst, typename Src>
REEL_HOST_DEVICE inline Dst convert(Src value) {
  if constexpr (std::is_same_v<Dst, Src>) {
    return value;
  } else if constexpr (std::is_same_v<Dst, bool>) {
    return static_cast<compute_t<Src>>(value) != compute_t<Src>(0);
  } else {
    return static_cast<Dst>(static_cast<compute_t<Dst>>(static_cast<compute_t<Src>>(value)));
  }
}

// y = cast<Dst>(x)
template <typename Dst, typename Src>
struct ConvertFn {
  REEL_HOST_DEVICE Dst operator()(Src value) const { return convert<Dst>(value); }
};

// y = value
template <typename T>
struct FillFn {
  T value;
  REEL_HOST_DEVICE T operator()() const { return value; }
};

bool same_shape(const Tensor& a, const Tensor& b) { return a.sizes() == b.sizes(); }

// True when src can be moved to dst byte for byte: same dtype and shape, both dense.
bool bytewise_copyable(const Tensor& dst, const Tensor& src) {
  return dst.dtype() == src.dtype() && same_shape(dst, src) && dst.is_contiguous() && src.is_contiguous();
}

// dst[i] = cast(src[i]) with both on the current device; src broadcasts to dst.
void copy_on_device(Tensor& dst, const Tensor& src) {
  cudaStream_t stream = current_raw_stream();
  if (bytewise_copyable(dst, src)) {
    if (dst.data_ptr() == src.data_ptr()) return;  // x.copy_(x)
    REEL_CUDA_CHECK(cudaMemcpyAsync(dst.data_ptr(), src.data_ptr(), static_cast<size_t>(dst.nbytes()),
                                    cudaMemcpyDeviceToDevice, stream));
    return;
  }
  const Tensor* operands[] = {&dst, &src};
  TensorIter iter(operands, 2);
  dispatch_dtype(dst.dtype(), "copy_", [&]<typename Dst>() {
    dispatch_dtype(src.dtype(), "copy_", [&]<typename Src>() { launch_elementwise<Dst, Src>(iter, ConvertFn<Dst, Src>{}); });
  });
}

// dst[i] = cast(src[i]) with both on the host, through the CPU kernel.
void copy_on_host(Tensor& dst, const Tensor& src) {
  const Tensor* operands[] = {&dst, &src};
  TensorIter iter(operands, 2);
  KernelArgs args;
  args.op = OpId::copy;
  args.iter = &iter;
  args.inputs = &src;
  args.num_inputs = 1;
  args.outputs = &dst;
  args.num_outputs = 1;
  get_kernel(OpId::copy, Device(kCPU))(args);
}

Tensor temporary(IntList sizes, ScalarType dtype, Device device) { return Tensor::make(sizes, dtype, device, "copy_"); }

// Waits for the transfer unless the caller asked not to and the host side is pinned memory the transfer uses
// directly; then records the use so the pinned block is not reused before the transfer has finished.
void finish_transfer(cudaStream_t stream, const Tensor& host, bool non_blocking) {
  if (non_blocking && is_pinned(host)) {
    record_pinned_use(host, stream);
    return;
  }
  REEL_CUDA_CHECK(cudaStreamSynchronize(stream));
}

// dst (CUDA) <- src (CPU).
void copy_host_to_device(Tensor& dst, const Tensor& src, bool non_blocking) {
  set_current_device(dst.device());
  cudaStream_t stream = current_raw_stream();
  const Tensor host = src.contiguous();  // src's dtype and shape; itself when already dense
  const bool direct = bytewise_copyable(dst, host);
  Tensor landing = direct ? dst : temporary(host.sizes(), host.dtype(), dst.device());
  REEL_CUDA_CHECK(cudaMemcpyAsync(landing.data_ptr(), host.data_ptr(), static_cast<size_t>(host.nbytes()),
                                  cudaMemcpyHostToDevice, stream));
  if (!direct) copy_on_device(dst, landing);
  finish_transfer(stream, host, non_blocking);
}

// dst (CPU) <- src (CUDA).
void copy_device_to_host(Tensor& dst, const Tensor& src, bool non_blocking) {
  set_current_device(src.device());
  cudaStream_t stream = current_raw_stream();
  Tensor dense = src;  // src cast and broadcast to dst's dtype and shape, dense, on the device
  if (!(src.is_contiguous() && src.dtype() == dst.dtype() && same_shape(src, dst))) {
    dense = temporary(dst.sizes(), dst.dtype(), src.device());
    copy_on_device(dense, src);
  }
  const bool direct = dst.is_contiguous();
  Tensor host = direct ? dst : temporary(dst.sizes(), dst.dtype(), Device(kCPU));
  REEL_CUDA_CHECK(cudaMemcpyAsync(host.data_ptr(), dense.data_ptr(), static_cast<size_t>(host.nbytes()),
                                  cudaMemcpyDeviceToHost, stream));
  if (direct) {
    finish_transfer(stream, dst, non_blocking);
    return;
  }
  REEL_CUDA_CHECK(cudaStreamSynchronize(stream));
  copy_on_host(dst, host);
}

// dst (cuda:j) <- src (cuda:i), i != j. Synchronous: both devices' current streams are waited for.
void copy_between_devices(Tensor& dst, const Tensor& src) {
  set_current_device(src.device());
  Tensor from = src;
  if (!(src.is_contiguous() && src.dtype() == dst.dtype() && same_shape(src, dst))) {
    from = temporary(dst.sizes(), dst.dtype(), src.device());
    copy_on_device(from, src);
  }
  REEL_CUDA_CHECK(cudaStreamSynchronize(current_raw_stream()));  // `from` is ready
  set_current_device(dst.device());
  cudaStream_t stream = current_raw_stream();
  Tensor to = dst.is_contiguous() ? dst : temporary(dst.sizes(), dst.dtype(), dst.device());
  REEL_CUDA_CHECK(cudaMemcpyPeerAsync(to.data_ptr(), dst.device().index, from.data_ptr(), src.device().index,
                                      static_cast<size_t>(to.nbytes()), stream));
  if (!dst.is_contiguous()) copy_on_device(dst, to);
  REEL_CUDA_CHECK(cudaStreamSynchronize(stream));  // `from` may be reused on the source stream once we return
}

// dst[i] = cast(src[i]); operands: dst, src; attrs: CopyAttrs (optional: none means blocking).
void copy_kernel(const KernelArgs& args) {
  NoGradGuard no_grad;  // staging copies are plumbing, never recorded
  const Tensor& src = *args.inputs;
  Tensor& dst = *args.outputs;
  const bool non_blocking = args.attrs != nullptr && args.attrs->get<CopyAttrs>().non_blocking;
  if (src.is_cuda() && dst.is_cuda()) {
    if (src.device() == dst.device()) {
      set_current_device(dst.device());
      copy_on_device(dst, src);
    } else {
      copy_between_devices(dst, src);
    }
  } else if (dst.is_cuda()) {
    copy_host_to_device(dst, src, non_blocking);
  } else {
    copy_device_to_host(dst, src, non_blocking);
  }
}

// y[i] = value; attrs: FillAttrs; outputs[0] is the tensor.
void fill_kernel(const KernelArgs& args) {
  set_current_device(args.outputs->device());
  const TensorIter& iter = *args.iter;
  const Scalar value = args.attrs->get<FillAttrs>().value;
  dispatch_dtype(iter.dtype(0), "fill_", [&]<typename T>() { launch_elementwise<T>(iter, FillFn<T>{value.to<T>()}); });
}

}  // namespace

void register_copy_kernels() {
  register_kernel(OpId::copy, kCUDA, &copy_kernel);
  register_kernel(OpId::clone, kCUDA, &copy_kernel);  // clone is a copy into a fresh tensor, seen under its name
  register_kernel(OpId::fill, kCUDA, &fill_kernel);
}

}  // namespace reel::cuda
