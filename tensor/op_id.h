// reel/tensor/op_id.h — the OpId enum and per-op facts (name, family, math), generated from ops.def.
#pragma once

#include <cstdint>
#include <string_view>

namespace reel {

enum class OpFamily : int8_t {
  Unary,
  Binary,
  FusedBackward,
  Ternary,
  Copy,
  Reduce,
  Linalg,
  Shape,
  Index,
  Softmax,
  Conv,
  Pool,
  Norm,
  Rnn,
  Random,
  Creation,
  View,
  Composite,
  Sort,  // sorting, selection, counting (tensor/ops_sort.cpp, tensor/ops_unique_search.cpp)
  Scan,  // cumulative ops along a dim (tensor/ops_scan.cpp)
  Resample,  // interpolation and grid sampling (tensor/ops_resample.cpp)
  Loss,      // loss kernels (the CTC recursion, tensor/ops_ctc.cpp)
  Cudnn,     // ops that are cuDNN calls, as PyTorch's _cudnn_* ops: a CUDA kernel in builds linking cuDNN, no CPU kernel
};

// Result dtype rule of an elementwise op (see ops.def).
enum class ResultRule : int8_t { Float, FloatOnly, Same, Numeric, Bool, Div, Bitwise, Integer, None };

// The numeric parameters of one call of a parameterised elementwise op (REEL_UNARY_PARAM_OP rows of ops.def), in
// the row's parameter order: leaky_relu's p[0] is negative_slope, hardtanh's p[0], p[1] are min_val, max_val.
// The front door fills it, OpAttrs carries it (a FamilyAttrs alternative) to the kernel (which builds the row's
// functor from it) and to the backward formula.
struct ElementwiseParams {
  static constexpr int kMax = 3;
  double p[kMax] = {0.0, 0.0, 0.0};
  constexpr double operator[](int i) const { return p[i]; }
};

enum class OpId : int16_t {
#define REEL_UNARY_OP(name, functor, result, math) name,
#define REEL_UNARY_PARAM_OP(name, functor, result, params, args, in_place, math) name,
#define REEL_BINARY_OP(name, functor, result, math) name,
#define REEL_FUSED_BACKWARD_OP(name, functor, math) name,
#define REEL_OP(name, family, math) name,
#include "ops.def"
  NumOps
};
inline constexpr int kNumOps = static_cast<int>(OpId::NumOps);

struct OpInfo {
  std::string_view name;
  OpFamily family;
  ResultRule result;
  std::string_view math;
};

inline constexpr OpInfo kOpInfos[] = {
#define REEL_UNARY_OP(name, functor, result, math) {#name, OpFamily::Unary, ResultRule::result, math},
#define REEL_UNARY_PARAM_OP(name, functor, result, params, args, in_place, math) \
  {#name, OpFamily::Unary, ResultRule::result, math},
#define REEL_BINARY_OP(name, functor, result, math) {#name, OpFamily::Binary, ResultRule::result, math},
#define REEL_FUSED_BACKWARD_OP(name, functor, math) {#name, OpFamily::FusedBackward, ResultRule::Same, math},
#define REEL_OP(name, family, math) {#name, OpFamily::family, ResultRule::None, math},
#include "ops.def"
};
static_assert(sizeof(kOpInfos) / sizeof(kOpInfos[0]) == kNumOps, "op info table out of sync with ops.def");

constexpr const OpInfo& op_info(OpId op) { return kOpInfos[static_cast<int>(op)]; }
constexpr std::string_view op_name(OpId op) { return op_info(op).name; }

}  // namespace reel
