// reel/cpu/elementwise.cpp — every elementwise op on the CPU: one generic strided loop per arity,
// instantiated once per ops.def row with that row's functor from tensor/scalar_math.h (a parameterised row's functor
// built from the call's ElementwiseParams); plus where, clamp (scalar and tensor bounds), lerp, addcmul and addcdiv.
//
// The front door (tensor/ops_elementwise.cpp) has already cast the inputs to one compute dtype T, so a
// kernel only switches on T. 16-bit floats are loaded as float, computed, and rounded back.
// Contiguous runs get a plain indexed loop the compiler can vectorise; strided runs step by byte strides.
#include <type_traits>

#include "cpu/kernels.h"
#include "cpu/vec_math.h"
#include "tensor/dispatch.h"
#include "tensor/scalar_math.h"

namespace reel::cpu {

namespace {

template <typename T>
inline compute_t<T> load(const char* p) {
  return static_cast<compute_t<T>>(*reinterpret_cast<const T*>(p));
}

// Vectorised float32 versions of the hottest functors (cpu/vec_math.h); null where there is none.
template <typename F> struct VecUnary { static constexpr bool available = false; };
template <> struct VecUnary<ExpFn> {
  static constexpr bool available = true;
  static void run(const float* in, float* out, int64_t n) { vec::exp_f32(in, out, n); }
};
template <> struct VecUnary<TanhFn> {
  static constexpr bool available = true;
  static void run(const float* in, float* out, int64_t n) { vec::tanh_f32(in, out, n); }
};
template <> struct VecUnary<SigmoidFn> {
  static constexpr bool available = true;
  static void run(const float* in, float* out, int64_t n) { vec::sigmoid_f32(in, out, n); }
};

// out[i] = f(in[i]); Out is T or bool.
template <typename T, typename Out, typename F>
void unary_loop(const TensorIter& iter, F f) {
  iter.for_each([f](char** data, const int64_t* strides, int64_t n) {
    if (strides[0] == sizeof(Out) && strides[1] == sizeof(T)) {
      auto* out = reinterpret_cast<Out*>(data[0]);
      const auto* in = reinterpret_cast<const T*>(data[1]);
      if constexpr (std::is_same_v<T, float> && std::is_same_v<Out, float> && VecUnary<F>::available) {
        VecUnary<F>::run(in, out, n);
        return;
      }
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<Out>(f(static_cast<compute_t<T>>(in[i])));
      return;
    }
    char* out = data[0];
    const char* in = data[1];
    for (int64_t i = 0; i < n; ++i, out += strides[0], in += strides[1])
      *reinterpret_cast<Out*>(out) = static_cast<Out>(f(load<T>(in)));
  });
}

// out[i] = f(a[i], b[i]); either input may be a broadcast scalar (stride 0).
template <typename T, typename Out, typename F>
void binary_loop(const TensorIter& iter, F f) {
  iter.for_each([f](char** data, const int64_t* strides, int64_t n) {
    auto* out_dense = reinterpret_cast<Out*>(data[0]);
    const auto* a = reinterpret_cast<const T*>(data[1]);
    const auto* b = reinterpret_cast<const T*>(data[2]);
    if (strides[0] == sizeof(Out)) {
      if (strides[1] == sizeof(T) && strides[2] == sizeof(T)) {
        for (int64_t i = 0; i < n; ++i)
          out_dense[i] = static_cast<Out>(f(static_cast<compute_t<T>>(a[i]), static_cast<compute_t<T>>(b[i])));
        return;
      }
      if (strides[1] == sizeof(T) && strides[2] == 0) {
        const compute_t<T> scalar = static_cast<compute_t<T>>(b[0]);
        for (int64_t i = 0; i < n; ++i) out_dense[i] = static_cast<Out>(f(static_cast<compute_t<T>>(a[i]), scalar));
        return;
      }
      if (strides[1] == 0 && strides[2] == sizeof(T)) {
        const compute_t<T> scalar = static_cast<compute_t<T>>(a[0]);
        for (int64_t i = 0; i < n; ++i) out_dense[i] = static_cast<Out>(f(scalar, static_cast<compute_t<T>>(b[i])));
        return;
      }
    }
    char* out = data[0];
    const char* pa = data[1];
    const char* pb = data[2];
    for (int64_t i = 0; i < n; ++i, out += strides[0], pa += strides[1], pb += strides[2])
      *reinterpret_cast<Out*>(out) = static_cast<Out>(f(load<T>(pa), load<T>(pb)));
  });
}

// The Bitwise rows take integers and bool, the Integer rows (shifts) integers only.
template <ResultRule Rule, typename T>
constexpr bool accepts_integral() {
  return std::is_integral_v<T> && (Rule == ResultRule::Bitwise || !std::is_same_v<T, bool>);
}

// Runs functor f of a unary row on the dtypes its result rule allows (the front door guarantees the rest).
template <ResultRule Rule, typename F>
void run_unary(const KernelArgs& args, F f) {
  const TensorIter& iter = *args.iter;
  const std::string_view name = op_name(args.op);
  if constexpr (Rule == ResultRule::Float || Rule == ResultRule::FloatOnly) {
    dispatch_floating(iter.dtype(1), name, [&]<typename T>() { unary_loop<T, T>(iter, f); });
  } else if constexpr (Rule == ResultRule::Bool) {
    dispatch_dtype(iter.dtype(1), name, [&]<typename T>() { unary_loop<T, bool>(iter, f); });
  } else if constexpr (Rule == ResultRule::Bitwise || Rule == ResultRule::Integer) {
    dispatch_dtype(iter.dtype(1), name, [&]<typename T>() {
      if constexpr (accepts_integral<Rule, T>()) unary_loop<T, T>(iter, f);
      else throw_unsupported_dtype(name, dtype_of_v<T>);
    });
  } else {
    dispatch_dtype(iter.dtype(1), name, [&]<typename T>() {
      // Numeric rows refuse bool; Same rows (nan_to_num) pass it through
      if constexpr (std::is_same_v<T, bool> && Rule == ResultRule::Numeric) throw_unsupported_dtype(name, kBool);
      else unary_loop<T, T>(iter, f);
    });
  }
}

template <typename F, ResultRule Rule>
void unary_kernel(const KernelArgs& args) { run_unary<Rule>(args, F{}); }

// A parameterised row: its functor built from the call's parameters (args.attrs->get<ElementwiseParams>()).
template <typename F, ResultRule Rule>
void unary_param_kernel(const KernelArgs& args) { run_unary<Rule>(args, F(args.attrs->get<ElementwiseParams>().p)); }

template <typename F, ResultRule Rule>
void binary_kernel(const KernelArgs& args) {
  const TensorIter& iter = *args.iter;
  const std::string_view name = op_name(args.op);
  dispatch_dtype(iter.dtype(1), name, [&]<typename T>() {
    if constexpr (Rule == ResultRule::Bool) {
      binary_loop<T, bool>(iter, F{});
    } else if constexpr (Rule == ResultRule::Div || Rule == ResultRule::Float || Rule == ResultRule::FloatOnly) {
      if constexpr (std::is_floating_point_v<compute_t<T>>) binary_loop<T, T>(iter, F{});
      else throw_unsupported_dtype(name, dtype_of_v<T>);
    } else if constexpr (Rule == ResultRule::Bitwise || Rule == ResultRule::Integer) {
      if constexpr (accepts_integral<Rule, T>()) binary_loop<T, T>(iter, F{});
      else throw_unsupported_dtype(name, dtype_of_v<T>);
    } else {
      binary_loop<T, T>(iter, F{});
    }
  });
}

// y = c ? a : b; operands: out, condition (bool), a, b.
void where_kernel(const KernelArgs& args) {
  const TensorIter& iter = *args.iter;
  dispatch_dtype(iter.dtype(0), "where", [&]<typename T>() {
    iter.for_each([](char** data, const int64_t* strides, int64_t n) {
      char* out = data[0];
      const char* c = data[1];
      const char* a = data[2];
      const char* b = data[3];
      for (int64_t i = 0; i < n; ++i, out += strides[0], c += strides[1], a += strides[2], b += strides[3])
        *reinterpret_cast<T*>(out) = *reinterpret_cast<const bool*>(c) ? *reinterpret_cast<const T*>(a)
                                                                       : *reinterpret_cast<const T*>(b);
    });
  });
}

// y = min(max(x, lo), hi), NaN propagates. attrs: ClampAttrs.
void clamp_kernel(const KernelArgs& args) {
  const TensorIter& iter = *args.iter;
  const ClampAttrs& bounds = args.attrs->get<ClampAttrs>();
  dispatch_dtype(iter.dtype(0), "clamp", [&]<typename T>() {
    using C = compute_t<T>;
    const bool has_min = bounds.min.has_value(), has_max = bounds.max.has_value();
    const C lo = has_min ? static_cast<C>(bounds.min->to<T>()) : C(0);
    const C hi = has_max ? static_cast<C>(bounds.max->to<T>()) : C(0);
    unary_loop<T, T>(iter, [=](C x) {
      if (math::is_nan(x)) return x;
      if (has_min && x < lo) x = lo;
      if (has_max && x > hi) x = hi;
      return x;
    });
  });
}

// y = min(max(x, lo), hi) with tensor bounds, NaN if any of the three is NaN; operands: out, x, lo, hi.
void clamp_tensor_kernel(const KernelArgs& args) {
  const TensorIter& iter = *args.iter;
  dispatch_dtype(iter.dtype(0), "clamp", [&]<typename T>() {
    iter.for_each([](char** data, const int64_t* strides, int64_t n) {
      char *out = data[0], *x = data[1], *lo = data[2], *hi = data[3];
      for (int64_t i = 0; i < n; ++i, out += strides[0], x += strides[1], lo += strides[2], hi += strides[3])
        *reinterpret_cast<T*>(out) = static_cast<T>(math::clamp_both(load<T>(x), load<T>(lo), load<T>(hi)));
    });
  });
}

// y = lerp(start, end, weight); operands: out, start, end, weight (one floating dtype).
void lerp_kernel(const KernelArgs& args) {
  const TensorIter& iter = *args.iter;
  dispatch_floating(iter.dtype(0), "lerp", [&]<typename T>() {
    iter.for_each([](char** data, const int64_t* strides, int64_t n) {
      char *out = data[0], *s = data[1], *e = data[2], *w = data[3];
      for (int64_t i = 0; i < n; ++i, out += strides[0], s += strides[1], e += strides[2], w += strides[3])
        *reinterpret_cast<T*>(out) = static_cast<T>(math::lerp(load<T>(s), load<T>(e), load<T>(w)));
    });
  });
}

// y = x + value * t1 (*) t2, (*) = Combine (multiplies or divides) in the compute type; operands: out, x, t1, t2.
template <bool Divide>
void pointwise_kernel(const KernelArgs& args) {
  const TensorIter& iter = *args.iter;
  const char* name = Divide ? "addcdiv" : "addcmul";
  dispatch_dtype(iter.dtype(0), name, [&]<typename T>() {
    if constexpr (std::is_same_v<T, bool>) {
      throw_unsupported_dtype(name, kBool);
    } else {
      using C = compute_t<T>;
      // captured by value: a value read through a reference could alias the output, which stops vectorising
      const C scale = static_cast<C>(args.attrs->get<AddcAttrs>().value.to<T>());
      iter.for_each([value = scale](char** data, const int64_t* strides, int64_t n) {
        auto combine = [value](C x, C a, C b) { return Divide ? x + value * (a / b) : x + value * (a * b); };
        constexpr int64_t size = sizeof(T);
        if (strides[0] == size && strides[1] == size && strides[2] == size && strides[3] == size) {
          T* out = reinterpret_cast<T*>(data[0]);
          const T* x = reinterpret_cast<const T*>(data[1]);
          const T* a = reinterpret_cast<const T*>(data[2]);
          const T* b = reinterpret_cast<const T*>(data[3]);
          if (data[0] == data[1]) {  // in place (out is x): no dependence between iterations, whatever GCC assumes
#pragma GCC ivdep
            for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(combine(C(x[i]), C(a[i]), C(b[i])));
            return;
          }
          for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(combine(C(x[i]), C(a[i]), C(b[i])));
          return;
        }
        char *out = data[0], *x = data[1], *a = data[2], *b = data[3];
        for (int64_t i = 0; i < n; ++i, out += strides[0], x += strides[1], a += strides[2], b += strides[3])
          *reinterpret_cast<T*>(out) =
              static_cast<T>(combine(C(*reinterpret_cast<const T*>(x)), C(*reinterpret_cast<const T*>(a)),
                                     C(*reinterpret_cast<const T*>(b))));
      });
    }
  });
}

}  // namespace

void register_elementwise_kernels() {
#define REEL_UNARY_OP(name, functor, result, math) \
  register_kernel(OpId::name, kCPU, &unary_kernel<functor, ResultRule::result>);
#define REEL_UNARY_PARAM_OP(name, functor, result, params, args, in_place, math) \
  register_kernel(OpId::name, kCPU, &unary_param_kernel<functor, ResultRule::result>);
#define REEL_BINARY_OP(name, functor, result, math) \
  register_kernel(OpId::name, kCPU, &binary_kernel<functor, ResultRule::result>);
#define REEL_FUSED_BACKWARD_OP(name, functor, math) \
  register_kernel(OpId::name, kCPU, &binary_kernel<functor, ResultRule::Same>);
#include "tensor/ops.def"
  register_kernel(OpId::where, kCPU, &where_kernel);
  register_kernel(OpId::clamp, kCPU, &clamp_kernel);
  register_kernel(OpId::clamp_tensor, kCPU, &clamp_tensor_kernel);
  register_kernel(OpId::lerp, kCPU, &lerp_kernel);
  register_kernel(OpId::addcmul, kCPU, &pointwise_kernel<false>);
  register_kernel(OpId::addcdiv, kCPU, &pointwise_kernel<true>);
}

}  // namespace reel::cpu
