// reel/tensor/options.h — TensorOptions: dtype, device and requires_grad for creation functions,
// with LibTorch's builder style: `reel::zeros({2, 3}, reel::dtype(reel::kFloat64).device(reel::kCPU))`.
// A bare ScalarType or Device converts to options, so `reel::ones({3}, reel::kInt64)` works too.
#pragma once

#include "device.h"
#include "dtype.h"

namespace reel {

struct TensorOptions {
  ScalarType dtype_ = kFloat32;
  Device device_ = Device(kCPU);
  bool requires_grad_ = false;
  bool has_dtype_ = false;
  bool has_device_ = false;  // the *_like functions keep the model tensor's device unless one is given

  TensorOptions() = default;
  TensorOptions(ScalarType t) : dtype_(t), has_dtype_(true) {}    // NOLINT: implicit on purpose
  TensorOptions(Device d) : device_(d), has_device_(true) {}        // NOLINT
  TensorOptions(DeviceType d) : device_(d), has_device_(true) {}    // NOLINT

  TensorOptions dtype(ScalarType t) const {
    TensorOptions o = *this;
    o.dtype_ = t;
    o.has_dtype_ = true;
    return o;
  }
  TensorOptions device(Device d) const {
    TensorOptions o = *this;
    o.device_ = d;
    o.has_device_ = true;
    return o;
  }
  TensorOptions requires_grad(bool on) const {
    TensorOptions o = *this;
    o.requires_grad_ = on;
    return o;
  }
  ScalarType dtype() const { return dtype_; }
  Device device() const { return device_; }
  bool requires_grad() const { return requires_grad_; }
  bool has_dtype() const { return has_dtype_; }
  bool has_device() const { return has_device_; }
};

inline TensorOptions dtype(ScalarType t) { return TensorOptions().dtype(t); }
inline TensorOptions device(Device d) { return TensorOptions().device(d); }
inline TensorOptions requires_grad(bool on = true) { return TensorOptions().requires_grad(on); }

}  // namespace reel
