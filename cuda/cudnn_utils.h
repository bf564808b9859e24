// reel/cuda/cudnn_utils.h — what the cuDNN callers of the CUDA backend share (internal to cuda/; only in builds
// that link cuDNN, where CMake defines REEL_WITH_CUDNN):
//   REEL_CUDNN_CHECK(call)   a failed cuDNN call becomes a reel::Error naming the call, file, line and cuDNN's text
//   cudnn_handle()           this thread's handle for the current device, bound to the current stream
//   TensorDescriptor, FilterDescriptor, ConvolutionDescriptor   owning wrappers of cuDNN's descriptors for
//                            contiguous NCHW tensors
//   cudnn_data_type(dtype)   cuDNN's name for a reel floating dtype
#pragma once

#ifdef REEL_WITH_CUDNN

#include <cudnn.h>

#include "tensor/conv_params.h"
#include "tensor/tensor.h"

namespace reel::cuda {

// Throws reel::Error "cuDNN error at file:line: call failed: <cudnnGetErrorString> (code)".
[[noreturn]] void throw_cudnn_error(cudnnStatus_t status, const char* call, const char* file, int line);

// The calling thread's cuDNN handle for the current device (created on first use), set to the current stream.
cudnnHandle_t cudnn_handle();

cudnnDataType_t cudnn_data_type(ScalarType dtype);

// A 4-D NCHW tensor descriptor of a contiguous tensor.
class TensorDescriptor {
 public:
  TensorDescriptor(ScalarType dtype, IntList sizes);
  ~TensorDescriptor();
  TensorDescriptor(const TensorDescriptor&) = delete;
  TensorDescriptor& operator=(const TensorDescriptor&) = delete;
  cudnnTensorDescriptor_t get() const { return desc_; }

 private:
  cudnnTensorDescriptor_t desc_ = nullptr;
};

// A filter descriptor (out_channels, in_channels / groups, kH, kW), NCHW.
class FilterDescriptor {
 public:
  FilterDescriptor(ScalarType dtype, IntList sizes);
  ~FilterDescriptor();
  FilterDescriptor(const FilterDescriptor&) = delete;
  FilterDescriptor& operator=(const FilterDescriptor&) = delete;
  cudnnFilterDescriptor_t get() const { return desc_; }

 private:
  cudnnFilterDescriptor_t desc_ = nullptr;
};

// A 2-D cross-correlation (PyTorch's conv2d) with reel's stride, padding, dilation and groups; computes in float for
// 16-bit floats, in the data type otherwise. The math type is set by set_math_type.
class ConvolutionDescriptor {
 public:
  ConvolutionDescriptor(ScalarType dtype, const ConvParams& params);
  ~ConvolutionDescriptor();
  ConvolutionDescriptor(const ConvolutionDescriptor&) = delete;
  ConvolutionDescriptor& operator=(const ConvolutionDescriptor&) = delete;
  void set_math_type(cudnnMathType_t math_type);
  cudnnConvolutionDescriptor_t get() const { return desc_; }

 private:
  cudnnConvolutionDescriptor_t desc_ = nullptr;
};

}  // namespace reel::cuda

#define REEL_CUDNN_CHECK(call)                                                                           \
  do {                                                                                                   \
    const cudnnStatus_t reel_cudnn_status = (call);                                                      \
    if (reel_cudnn_status != CUDNN_STATUS_SUCCESS) [[unlikely]]                                          \
      ::reel::cuda::throw_cudnn_error(reel_cudnn_status, #call, __FILE__, __LINE__);                     \
  } while (0)

#endif  // REEL_WITH_CUDNN
