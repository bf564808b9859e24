// reel/cuda/stream.h — runtime helpers shared inside cuda/ (stream.cpp implements them): the current stream
// of any device, device-argument checking for the public API (tensor/cuda.h), and a scoped device switch.
#pragma once

#include <cuda_runtime.h>

namespace reel::cuda {

// Largest number of CUDA devices the runtime bookkeeping handles (reel::Device parses indices below 128).
inline constexpr int kMaxDevices = 128;

// The calling thread's current stream of `device` (the default stream unless set_current_stream changed it).
cudaStream_t current_raw_stream_of(int device);

// The device a public call means: -1 becomes the current device; any other value must name an existing device.
// Throws reel::Error naming `function` when no CUDA device exists or the index is out of range.
int resolve_device(int device, const char* function);

// Makes `device` current for the calling thread and restores the previous current device on destruction.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = -1;
};

}  // namespace reel::cuda
