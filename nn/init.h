// reel/nn/init.h — reel::nn::init: PyTorch's torch.nn.init, filling tensors in place.
//
// Each function runs under NoGradGuard (so it works on parameters that require grad), draws from the default
// generator (reel::manual_seed makes it repeatable), writes into the tensor's own storage (every handle to it
// sees the new values) and returns the tensor. Fans follow PyTorch's _calculate_fan_in_and_fan_out:
// fan_in = size(1) * receptive field, fan_out = size(0) * receptive field, receptive field = product of dims 2...
//
//   reel::nn::init::kaiming_normal_(conv->weight, 0.0, "fan_out", "relu");
//   reel::nn::init::zeros_(conv->bias);
#pragma once

#include <optional>
#include <string_view>
#include <utility>

#include "../tensor/tensor.h"

namespace reel::nn::init {

// The recommended gain for a nonlinearity: linear, conv*, sigmoid -> 1; tanh -> 5/3; relu -> sqrt 2;
// leaky_relu -> sqrt(2 / (1 + slope^2)) (slope = param, default 0.01); selu -> 3/4.
double calculate_gain(std::string_view nonlinearity, std::optional<double> param = std::nullopt);
// (fan_in, fan_out) of a weight of 2 or more dims.
std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor);

// x ~ U(low, high)
Tensor uniform_(Tensor tensor, double low = 0.0, double high = 1.0);
// x ~ N(mean, std^2)
Tensor normal_(Tensor tensor, double mean = 0.0, double std = 1.0);
// x = value
Tensor constant_(Tensor tensor, double value);
Tensor zeros_(Tensor tensor);
Tensor ones_(Tensor tensor);
// x ~ U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))
Tensor xavier_uniform_(Tensor tensor, double gain = 1.0);
// x ~ N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))
Tensor xavier_normal_(Tensor tensor, double gain = 1.0);
// x ~ U(-b, b), b = calculate_gain(nonlinearity, a) * sqrt(3 / fan), fan = fan_in or fan_out per mode
Tensor kaiming_uniform_(Tensor tensor, double a = 0.0, std::string_view mode = "fan_in",
                        std::string_view nonlinearity = "leaky_relu");
// x ~ N(0, std^2), std = calculate_gain(nonlinearity, a) / sqrt(fan)
Tensor kaiming_normal_(Tensor tensor, double a = 0.0, std::string_view mode = "fan_in",
                       std::string_view nonlinearity = "leaky_relu");
// x = gain * Q, Q from the QR decomposition of a N(0, 1) matrix (rows = size(0), cols = the rest), signs fixed
// by diag(R) so Q is uniformly distributed; rows (or columns, whichever are fewer) come out orthonormal.
Tensor orthogonal_(Tensor tensor, double gain = 1.0);

}  // namespace reel::nn::init
