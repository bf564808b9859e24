// reel/cuda/elementwise.cu — every elementwise op on CUDA: each ops.def unary, parameterised unary, binary and
// fused-backward row instantiated with its functor from tensor/scalar_math.h, plus where, clamp (scalar and tensor
// bounds), lerp, addcmul and addcdiv. Mirrors cpu/elementwise.cpp.
//
// The front door (tensor/ops_elementwise.cpp) has cast the inputs to one compute dtype T and built the
// TensorIter, and passes the output in args.outputs; a kernel makes the output's device current, switches on T
// and hands a device functor to launch_elementwise (cuda/launch.cuh).
// 16-bit floats are loaded as stored, computed in float (compute_t<T>) and rounded back on the store, exactly
// as the CPU does, so both backends agree to the last bit wherever the device math library does.
#include <type_traits>

#include "cuda/kernels.h"
#include "cuda/launch.cuh"
#include "tensor/dispatch.h"
#include "tensor/scalar_math.h"

namespace reel::cuda {

namespace {

// out = f(x) computed in compute_t<T>; Out is T or bool. f holds a parameterised row's parameters (else nothing).
template <typename F, typename T, typename Out>
struct UnaryOp {
  F f;
  __device__ Out operator()(T x) const { return static_cast<Out>(f(static_cast<compute_t<T>>(x))); }
};

// out = F(a, b) computed in compute_t<T>; Out is T or bool.
template <typename F, typename T, typename Out>
struct BinaryOp {
  __device__ Out operator()(T a, T b) const {
    return static_cast<Out>(F{}(static_cast<compute_t<T>>(a), static_cast<compute_t<T>>(b)));
  }
};

// y = c ? a : b (values copied as stored, no conversion).
template <typename T>
struct WhereOp {
  __device__ T operator()(bool c, T a, T b) const { return c ? a : b; }
};

// y = x + value * a * b (addcmul) or x + value * a / b (addcdiv), in the compute type.
template <typename T, bool Divide>
struct PointwiseOp {
  using C = compute_t<T>;
  C value;
  __device__ T operator()(T x, T a, T b) const {
    const C ca = static_cast<C>(a), cb = static_cast<C>(b);
    return static_cast<T>(static_cast<C>(x) + value * (Divide ? ca / cb : ca * cb));
  }
};

// y = min(max(x, lo), hi) with NaN propagated; either bound may be absent.
template <typename T>
struct ClampOp {
  using C = compute_t<T>;
  bool has_min;
  bool has_max;
  C lo;
  C hi;
  __device__ T operator()(T value) const {
    C x = static_cast<C>(value);
    if (math::is_nan(x)) return static_cast<T>(x);
    if (has_min && x < lo) x = lo;
    if (has_max && x > hi) x = hi;
    return static_cast<T>(x);
  }
};

// y = min(max(x, lo), hi) with tensor bounds (math::clamp_both), in the compute type.
template <typename T>
struct ClampTensorOp {
  __device__ T operator()(T x, T lo, T hi) const {
    using C = compute_t<T>;
    return static_cast<T>(math::clamp_both(static_cast<C>(x), static_cast<C>(lo), static_cast<C>(hi)));
  }
};

// y = start + weight (end - start) from the nearer end (math::lerp), in the compute type.
template <typename T>
struct LerpOp {
  __device__ T operator()(T start, T end, T weight) const {
    using C = compute_t<T>;
    return static_cast<T>(math::lerp(static_cast<C>(start), static_cast<C>(end), static_cast<C>(weight)));
  }
};

// The Bitwise rows take integers and bool, the Integer rows (shifts) integers only.
template <ResultRule Rule, typename T>
constexpr bool accepts_integral() {
  return std::is_integral_v<T> && (Rule == ResultRule::Bitwise || !std::is_same_v<T, bool>);
}

// Makes the output's device current, so the launch runs where the data lives (the front door put the output
// in args.outputs).
void use_output_device(const KernelArgs& args) {
  REEL_CHECK(args.outputs != nullptr && args.num_outputs >= 1,
             "{}: the CUDA elementwise kernel was called without its output tensor", op_name(args.op));
  set_current_device(args.outputs[0].device());
}

template <typename T, typename Out, typename F>
void unary_launch(const TensorIter& iter, F f) {
  launch_elementwise<Out, T>(iter, UnaryOp<F, T, Out>{f});
}

template <typename T, typename Out, typename F>
void binary_launch(const TensorIter& iter) {
  launch_elementwise<Out, T, T>(iter, BinaryOp<F, T, Out>{});
}

// Runs functor f of a unary row on the dtypes its result rule allows (the front door guarantees the rest).
template <ResultRule Rule, typename F>
void run_unary(const KernelArgs& args, F f) {
  use_output_device(args);
  const TensorIter& iter = *args.iter;
  const char* name = op_name(args.op).data();
  if constexpr (Rule == ResultRule::Float || Rule == ResultRule::FloatOnly) {
    dispatch_floating(iter.dtype(1), name, [&]<typename T>() { unary_launch<T, T>(iter, f); });
  } else if constexpr (Rule == ResultRule::Bool) {
    dispatch_dtype(iter.dtype(1), name, [&]<typename T>() { unary_launch<T, bool>(iter, f); });
  } else if constexpr (Rule == ResultRule::Bitwise || Rule == ResultRule::Integer) {
    dispatch_dtype(iter.dtype(1), name, [&]<typename T>() {
      if constexpr (accepts_integral<Rule, T>()) unary_launch<T, T>(iter, f);
      else throw_unsupported_dtype(name, dtype_of_v<T>);
    });
  } else {
    dispatch_dtype(iter.dtype(1), name, [&]<typename T>() {
      // Numeric rows refuse bool; Same rows (nan_to_num) pass it through
      if constexpr (std::is_same_v<T, bool> && Rule == ResultRule::Numeric) throw_unsupported_dtype(name, kBool);
      else unary_launch<T, T>(iter, f);
    });
  }
}

template <typename F, ResultRule Rule>
void unary_kernel(const KernelArgs& args) { run_unary<Rule>(args, F{}); }

// A parameterised row: its functor built on the host from the call's parameters (the attrs' ElementwiseParams),
// passed by value to the device.
template <typename F, ResultRule Rule>
void unary_param_kernel(const KernelArgs& args) { run_unary<Rule>(args, F(args.attrs->get<ElementwiseParams>().p)); }

template <typename F, ResultRule Rule>
void binary_kernel(const KernelArgs& args) {
  use_output_device(args);
  const TensorIter& iter = *args.iter;
  const char* name = op_name(args.op).data();
  dispatch_dtype(iter.dtype(1), name, [&]<typename T>() {
    if constexpr (Rule == ResultRule::Bool) {
      binary_launch<T, bool, F>(iter);
    } else if constexpr (Rule == ResultRule::Div || Rule == ResultRule::Float || Rule == ResultRule::FloatOnly) {
      if constexpr (std::is_floating_point_v<compute_t<T>>) binary_launch<T, T, F>(iter);
      else throw_unsupported_dtype(name, dtype_of_v<T>);
    } else if constexpr (Rule == ResultRule::Bitwise || Rule == ResultRule::Integer) {
      if constexpr (accepts_integral<Rule, T>()) binary_launch<T, T, F>(iter);
      else throw_unsupported_dtype(name, dtype_of_v<T>);
    } else {
      binary_launch<T, T, F>(iter);
    }
  });
}

// y = c ? a : b; operands: out, condition (bool), a, b.
void where_kernel(const KernelArgs& args) {
  use_output_device(args);
  const TensorIter& iter = *args.iter;
  dispatch_dtype(iter.dtype(0), "where", [&]<typename T>() { launch_elementwise<T, bool, T, T>(iter, WhereOp<T>{}); });
}

// y = min(max(x, lo), hi), NaN propagates. attrs: ClampAttrs.
void clamp_kernel(const KernelArgs& args) {
  use_output_device(args);
  const TensorIter& iter = *args.iter;
  const ClampAttrs& bounds = args.attrs->get<ClampAttrs>();
  dispatch_dtype(iter.dtype(0), "clamp", [&]<typename T>() {
    using C = compute_t<T>;
    ClampOp<T> op;
    op.has_min = bounds.min.has_value();
    op.has_max = bounds.max.has_value();
    op.lo = op.has_min ? static_cast<C>(bounds.min->to<T>()) : C(0);
    op.hi = op.has_max ? static_cast<C>(bounds.max->to<T>()) : C(0);
    launch_elementwise<T, T>(iter, op);
  });
}

// y = min(max(x, lo), hi) with tensor bounds; operands: out, x, lo, hi (one dtype).
void clamp_tensor_kernel(const KernelArgs& args) {
  use_output_device(args);
  const TensorIter& iter = *args.iter;
  dispatch_dtype(iter.dtype(0), "clamp",
                 [&]<typename T>() { launch_elementwise<T, T, T, T>(iter, ClampTensorOp<T>{}); });
}

// y = lerp(start, end, weight); operands: out, start, end, weight (one floating dtype).
void lerp_kernel(const KernelArgs& args) {
  use_output_device(args);
  const TensorIter& iter = *args.iter;
  dispatch_floating(iter.dtype(0), "lerp", [&]<typename T>() { launch_elementwise<T, T, T, T>(iter, LerpOp<T>{}); });
}

// y = x + value * t1 (*) t2; operands: out, x, t1, t2 (one dtype).
template <bool Divide>
void pointwise_kernel(const KernelArgs& args) {
  use_output_device(args);
  const TensorIter& iter = *args.iter;
  const char* name = Divide ? "addcdiv" : "addcmul";
  dispatch_dtype(iter.dtype(0), name, [&]<typename T>() {
    if constexpr (std::is_same_v<T, bool>) {
      throw_unsupported_dtype(name, kBool);
    } else {
      PointwiseOp<T, Divide> op;
      op.value = static_cast<compute_t<T>>(args.attrs->get<AddcAttrs>().value.to<T>());
      launch_elementwise<T, T, T, T>(iter, op);
    }
  });
}

}  // namespace

void register_elementwise_kernels() {
#define REEL_UNARY_OP(name, functor, result, math) \
  register_kernel(OpId::name, kCUDA, &unary_kernel<functor, ResultRule::result>);
#define REEL_UNARY_PARAM_OP(name, functor, result, params, args, in_place, math) \
  register_kernel(OpId::name, kCUDA, &unary_param_kernel<functor, ResultRule::result>);
#define REEL_BINARY_OP(name, functor, result, math) \
  register_kernel(OpId::name, kCUDA, &binary_kernel<functor, ResultRule::result>);
#define REEL_FUSED_BACKWARD_OP(name, functor, math) \
  register_kernel(OpId::name, kCUDA, &binary_kernel<functor, ResultRule::Same>);
#include "tensor/ops.def"
  register_kernel(OpId::where, kCUDA, &where_kernel);
  register_kernel(OpId::clamp, kCUDA, &clamp_kernel);
  register_kernel(OpId::clamp_tensor, kCUDA, &clamp_tensor_kernel);
  register_kernel(OpId::lerp, kCUDA, &lerp_kernel);
  register_kernel(OpId::addcmul, kCUDA, &pointwise_kernel<false>);
  register_kernel(OpId::addcdiv, kCUDA, &pointwise_kernel<true>);
}

}  // namespace reel::cuda
