// reel/test/einsum_reference.h — a float64 reference for Einstein summations, evaluated directly.
//
// ref_einsum("ij,jk->ik", {a, b}, dtype): every assignment of values to the labels, the operands' product added into
// the output element the output labels pick. Letters only and an explicit "->" (spell "..." as upper-case labels);
// a label of size 1 in one operand broadcasts against the others. Defined in test/op_table_linalg_products.cpp.
#pragma once

#include <string>
#include <vector>

#include "test/reference.h"

namespace reel::test {

RefTensor ref_einsum(const std::string& equation, const std::vector<RefTensor>& xs, ScalarType out_dtype);

}  // namespace reel::test
