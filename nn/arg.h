// reel/nn/arg.h — REEL_ARG, the option-struct field macro (LibTorch's TORCH_ARG).
//
// `REEL_ARG(double, beta) = 1.0;` inside an options struct declares a private field `beta_` with its default,
// a chainable setter `beta(value)` returning the struct, and a getter `beta()`, so options read as in LibTorch:
//   reel::optim::SGDOptions(0.1).momentum(0.9).nesterov(true)
#pragma once

#include <utility>

#ifndef REEL_ARG
#define REEL_ARG(T, name)                                  \
 public:                                                   \
  auto& name(const T& new_##name) {                        \
    this->name##_ = new_##name;                            \
    return *this;                                          \
  }                                                        \
  auto& name(T&& new_##name) {                             \
    this->name##_ = std::move(new_##name);                 \
    return *this;                                          \
  }                                                        \
  const T& name() const noexcept { return this->name##_; } \
  T& name() noexcept { return this->name##_; }             \
                                                           \
 private:                                                  \
  T name##_
#endif
