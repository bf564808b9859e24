// reel/tensor/device.h — where a tensor lives: a device type (CPU or CUDA) and, for CUDA, an index.
// `Device` converts implicitly from a DeviceType so `x.to(reel::kCUDA)` reads as in LibTorch.
#pragma once

#include <cstdint>
#include <string>

namespace reel {

enum class DeviceType : int8_t { CPU = 0, CUDA = 1 };
inline constexpr int kNumDeviceTypes = 2;
inline constexpr DeviceType kCPU = DeviceType::CPU;
inline constexpr DeviceType kCUDA = DeviceType::CUDA;

struct Device {
  DeviceType type = DeviceType::CPU;
  int8_t index = 0;

  constexpr Device() = default;
  constexpr Device(DeviceType device_type, int device_index = 0)  // NOLINT: implicit on purpose
      : type(device_type), index(static_cast<int8_t>(device_index)) {}
  // Parses "cpu", "cuda", "cuda:1"; throws reel::Error otherwise.
  explicit Device(const std::string& spec);

  constexpr bool is_cpu() const { return type == DeviceType::CPU; }
  constexpr bool is_cuda() const { return type == DeviceType::CUDA; }
  constexpr bool operator==(const Device&) const = default;
  std::string str() const;  // "cpu" or "cuda:0"
};

}  // namespace reel

namespace reel::cuda {
// Number of CUDA devices visible to this process (0 in a build without CUDA or on a machine without a GPU).
int device_count();
inline bool is_available() { return device_count() > 0; }
// The hook a CUDA backend installs to answer device_count (internal).
void set_device_count_hook(int (*hook)());
}  // namespace reel::cuda
