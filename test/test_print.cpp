// Tests of printing (tensor/print.cpp): the expected strings are what PyTorch prints for the same tensors
// (torch/_tensor_str.py, default print options), with "torch." dropped from dtype names: fixed, integer and
// scientific notation, common widths, line wrapping, summarisation, suffixes, empty and 0-dim tensors.
#include <catch2/catch.hpp>
#include <reel/reel.h>
#include <reel/tensor/format.h>

#include <cmath>
#include <sstream>
#include <string>

using reel::Tensor;

namespace {
const double kNan = std::nan("");
const double kInf = INFINITY;
}  // namespace

TEST_CASE("print: fixed notation with a common width", "[print]") {
  Tensor m = reel::tensor({{1.0, -2.5}, {3.0, 4.0}});
  REQUIRE(m.str() ==
          "tensor([[ 1.0000, -2.5000],\n"
          "        [ 3.0000,  4.0000]])");
  REQUIRE(reel::tensor({0.1, 22.25}).str() == "tensor([ 0.1000, 22.2500])");
  REQUIRE(reel::tensor({1.5, 2.0}, reel::kFloat64).str() == "tensor([1.5000, 2.0000], dtype=float64)");
  REQUIRE(reel::tensor({1.5, 2.0}, reel::kFloat16).str() == "tensor([1.5000, 2.0000], dtype=float16)");
  REQUIRE(reel::tensor({0.5, -0.25}, reel::kBFloat16).str() == "tensor([ 0.5000, -0.2500], dtype=bfloat16)");
}

TEST_CASE("print: integer-valued floats end in a dot", "[print]") {
  REQUIRE(reel::tensor({1.0, 2.0, 3.0}).str() == "tensor([1., 2., 3.])");
  REQUIRE(reel::tensor({-1.0, 20.0}).str() == "tensor([-1., 20.])");
  REQUIRE(reel::zeros({2}).str() == "tensor([0., 0.])");
  REQUIRE(reel::tensor({1.0, kNan}).str() == "tensor([1., nan])");
}

TEST_CASE("print: scientific notation when the range calls for it", "[print]") {
  REQUIRE(reel::tensor({1e-5, 1.0}).str() == "tensor([1.0000e-05, 1.0000e+00])");
  REQUIRE(reel::tensor({-1e-5, 1.0}).str() == "tensor([-1.0000e-05,  1.0000e+00])");
  REQUIRE(reel::tensor({1.0, 10000.0}).str() == "tensor([1.0000e+00, 1.0000e+04])");  // ratio > 1000
  REQUIRE(reel::tensor({1e10, 1.0}).str() == "tensor([1.0000e+10, 1.0000e+00])");      // max > 1e8
  REQUIRE(reel::tensor({0.5, 123.25}).str() == "tensor([  0.5000, 123.2500])");          // ratio < 1000
  REQUIRE(reel::tensor({kNan, 1.5, kInf}).str() == "tensor([   nan, 1.5000,    inf])");
  REQUIRE(reel::tensor({-kInf, 0.0}).str() == "tensor([-inf, 0.])");
}

TEST_CASE("print: integers and bools", "[print]") {
  REQUIRE(reel::tensor({1, 2, 3}, reel::kInt64).str() == "tensor([1, 2, 3])");
  REQUIRE(reel::tensor({-1, 2}, reel::kInt64).str() == "tensor([-1,  2])");
  REQUIRE(reel::tensor({1, 2, 3}, reel::kInt32).str() == "tensor([1, 2, 3], dtype=int32)");
  REQUIRE(reel::tensor({1, 200}, reel::kUInt8).str() == "tensor([  1, 200], dtype=uint8)");
  REQUIRE(reel::tensor({true, false}).str() == "tensor([ True, False])");
  REQUIRE(reel::arange(8).view({2, 2, 2}).str() ==
          "tensor([[[0, 1],\n"
          "         [2, 3]],\n"
          "\n"
          "        [[4, 5],\n"
          "         [6, 7]]])");
}

TEST_CASE("print: 0-dim and empty tensors", "[print]") {
  REQUIRE(reel::scalar_tensor(3.5).str() == "tensor(3.5000)");
  REQUIRE(reel::scalar_tensor(3.0).str() == "tensor(3.)");
  REQUIRE(reel::scalar_tensor(7).str() == "tensor(7.)");  // float32, as torch::scalar_tensor
  REQUIRE(reel::scalar_tensor(7, reel::kInt64).str() == "tensor(7)");
  REQUIRE(reel::scalar_tensor(true, reel::kBool).str() == "tensor(True)");
  REQUIRE(reel::scalar_tensor(2.0, reel::kFloat64).str() == "tensor(2., dtype=float64)");
  REQUIRE(reel::zeros({0}).str() == "tensor([])");
  REQUIRE(reel::zeros({0, 3}).str() == "tensor([], size=(0, 3))");
  REQUIRE(reel::zeros({0}, reel::kInt64).str() == "tensor([], dtype=int64)");
  REQUIRE(reel::zeros({2, 0}, reel::kFloat64).str() == "tensor([], size=(2, 0), dtype=float64)");
  REQUIRE(Tensor().str() == "[ Tensor (undefined) ]");
}

TEST_CASE("print: non-contiguous tensors print their logical values", "[print]") {
  Tensor t = reel::arange(6).view({2, 3}).t();
  REQUIRE(t.str() ==
          "tensor([[0, 3],\n"
          "        [1, 4],\n"
          "        [2, 5]])");
  REQUIRE(reel::scalar_tensor(1.5).expand({2}).str() == "tensor([1.5000, 1.5000])");
}

TEST_CASE("print: long rows wrap at 80 columns", "[print]") {
  REQUIRE(reel::arange(30.0).str() ==
          "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
          "        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n"
          "        28., 29.])");
  // A suffix that does not fit on the last line goes on its own line.
  REQUIRE(reel::arange(14.0, reel::kFloat64).str() ==
          "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.],\n"
          "       dtype=float64)");
}

TEST_CASE("print: more than 1000 elements are summarised", "[print]") {
  REQUIRE(reel::arange(2000).str() == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])");
  REQUIRE(reel::arange(1100).view({100, 11}).str() ==
          "tensor([[   0,    1,    2,  ...,    8,    9,   10],\n"
          "        [  11,   12,   13,  ...,   19,   20,   21],\n"
          "        [  22,   23,   24,  ...,   30,   31,   32],\n"
          "        ...,\n"
          "        [1067, 1068, 1069,  ..., 1075, 1076, 1077],\n"
          "        [1078, 1079, 1080,  ..., 1086, 1087, 1088],\n"
          "        [1089, 1090, 1091,  ..., 1097, 1098, 1099]])");
  // The formatter sees only the shown values: the hidden 1e6 does not force scientific notation.
  Tensor x = reel::ones({1001}, reel::kFloat32);
  x[500].fill_(1e6);
  REQUIRE(x.str() == "tensor([1., 1., 1.,  ..., 1., 1., 1.])");
  // 1000 elements are not summarised.
  REQUIRE(reel::zeros({1000}, reel::kInt64).str().find("...") == std::string::npos);
}

TEST_CASE("print: suffixes, operator<< and fmt", "[print]") {
  Tensor g = reel::tensor({1.0, 2.0}, reel::requires_grad());
  REQUIRE(g.str() == "tensor([1., 2.], requires_grad=True)");
  Tensor d = reel::tensor({1.0, 2.0}, reel::TensorOptions(reel::kFloat64).requires_grad(true));
  REQUIRE(d.str() == "tensor([1., 2.], dtype=float64, requires_grad=True)");
  // An op's output names its backward node instead.
  const std::string product = (g * 2).str();
  REQUIRE(product.rfind("tensor([2., 4.], grad_fn=<", 0) == 0);
  REQUIRE(product.find("Backward") != std::string::npos);
  {
    reel::NoGradGuard no_grad;
    REQUIRE((g * 2).str() == "tensor([2., 4.])");
  }
  std::ostringstream out;
  out << reel::tensor({1, 2}, reel::kInt64);
  REQUIRE(out.str() == "tensor([1, 2])");
  REQUIRE(fmt::format("{}", reel::scalar_tensor(0.25)) == "tensor(0.2500)");
  std::ostringstream meta;
  meta << reel::kFloat16 << " " << reel::Device(reel::kCUDA, 1);
  REQUIRE(meta.str() == "float16 cuda:1");
}
