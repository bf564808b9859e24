// samples/tour.cpp — a short tour of reel's tensor API, printing each result: creation, dtypes, views,
// broadcasting, reductions, matmul, indexing, random numbers with manual_seed, and the reel::Error that a
// misuse throws. Every call here has the same name and meaning as in PyTorch / LibTorch.
//
//   build/samples/tour
#include <reel/reel.h>

#include <iostream>
#include <string>

namespace {

void section(const std::string& title) { std::cout << "\n==== " << title << " ====\n"; }

void creation() {
  section("creation");
  std::cout << "zeros({2, 3}) =\n" << reel::zeros({2, 3}) << "\n";
  std::cout << "arange(0, 10, 3) =\n" << reel::arange(0, 10, 3) << "\n";
  std::cout << "linspace(0, 1, 5) =\n" << reel::linspace(0, 1, 5) << "\n";
  std::cout << "eye(3) =\n" << reel::eye(3) << "\n";
  std::cout << "tensor({{1, 2}, {3, 4}}) =\n" << reel::tensor({{1.0, 2.0}, {3.0, 4.0}}) << "\n";
}

void dtypes() {
  section("dtypes and promotion");
  const reel::Tensor counts = reel::arange(4);  // int64, like torch.arange(4)
  std::cout << "arange(4).dtype() = " << counts.dtype() << "\n";
  std::cout << "arange(4).to(kFloat64) =\n" << counts.to(reel::kFloat64) << "\n";
  std::cout << "int64 tensor * 0.5 promotes to " << (counts * 0.5).dtype() << ":\n" << counts * 0.5 << "\n";
  std::cout << "full({2}, true) has dtype " << reel::full({2}, true).dtype() << "\n";
}

void views() {
  section("views share storage");
  reel::Tensor base = reel::arange(12, reel::kFloat32).reshape({3, 4});
  std::cout << "base = arange(12).reshape({3, 4}) =\n" << base << "\n";
  const reel::Tensor transposed = base.t();
  std::cout << "base.t() is_contiguous: " << std::boolalpha << transposed.is_contiguous() << "\n";
  std::cout << "base.slice(1, 0, 4, 2) (every other column) =\n" << base.slice(1, 0, 4, 2) << "\n";
  std::cout << "base[1] =\n" << base[1] << "\n";
  reel::Tensor row = base.select(0, 2);
  row.fill_(-1);  // writes through the view into base
  std::cout << "after base.select(0, 2).fill_(-1), base =\n" << base << "\n";
  std::cout << "base.unsqueeze(0).sizes() has " << base.unsqueeze(0).dim() << " dims\n";
}

void broadcasting() {
  section("broadcasting arithmetic");
  const reel::Tensor column = reel::tensor({1.0, 2.0, 3.0}).unsqueeze(1);  // [3, 1]
  const reel::Tensor row = reel::tensor({10.0, 20.0, 30.0, 40.0});         // [4]
  std::cout << "[3, 1] * [4] + 0.5 =\n" << column * row + 0.5 << "\n";
  std::cout << "tanh(row / 20 - 1) =\n" << reel::tanh(row / 20 - 1) << "\n";
  std::cout << "row > 25 =\n" << (row > 25) << "\n";
}

void reductions() {
  section("reductions");
  const reel::Tensor x = reel::tensor({{1.0, 5.0, 2.0}, {4.0, 3.0, 6.0}});
  std::cout << "x =\n" << x << "\n";
  std::cout << "x.sum() =\n" << x.sum() << "\n";
  std::cout << "x.sum({1}, /*keepdim=*/true) =\n" << x.sum({1}, true) << "\n";
  std::cout << "x.mean({0}) =\n" << x.mean({0}) << "\n";
  auto [values, indices] = x.max(1);
  std::cout << "x.max(1): values =\n" << values << "\nindices =\n" << indices << "\n";
  std::cout << "x.std() = " << x.std().item<float>() << "\n";
  std::cout << "logsumexp(x, {1}) =\n" << reel::logsumexp(x, {1}) << "\n";
}

void linear_algebra() {
  section("matmul");
  const reel::Tensor a = reel::arange(6, reel::kFloat32).reshape({2, 3});
  const reel::Tensor b = reel::ones({3, 2});
  std::cout << "[2, 3] matmul [3, 2] =\n" << a.matmul(b) << "\n";
  const reel::Tensor batched = reel::ones({4, 2, 3}).matmul(reel::ones({3, 5}));  // [3, 5] broadcasts
  std::cout << "[4, 2, 3] matmul [3, 5] gives " << batched.size(0) << " matrices of " << batched.size(1) << " x "
            << batched.size(2) << "\n";
  std::cout << "matrix @ vector =\n" << a.matmul(reel::tensor({1.0, 0.0, -1.0})) << "\n";
}

void indexing() {
  section("indexing and joining");
  const reel::Tensor table = reel::arange(10, reel::kFloat32).reshape({5, 2});
  const reel::Tensor index = reel::tensor({4, 0, 2}, reel::kInt64);
  std::cout << "index_select(table, 0, {4, 0, 2}) =\n" << table.index_select(0, index) << "\n";
  std::cout << "one_hot({4, 0, 2}, 5) =\n" << reel::one_hot(index, 5) << "\n";
  std::cout << "cat({ones({1, 2}), zeros({1, 2})}, 0) =\n"
            << reel::cat({reel::ones({1, 2}), reel::zeros({1, 2})}, 0) << "\n";
  std::cout << "softmax({1, 2, 3}, 0) =\n" << reel::softmax(reel::tensor({1.0, 2.0, 3.0}), 0) << "\n";
}

void random_numbers() {
  section("random numbers with manual_seed");
  reel::manual_seed(42);
  const reel::Tensor first = reel::randn({2, 3});
  reel::manual_seed(42);
  const reel::Tensor again = reel::randn({2, 3});
  std::cout << "manual_seed(42); randn({2, 3}) =\n" << first << "\n";
  std::cout << "the same seed gives the same values: " << std::boolalpha << (first == again).all().item<bool>()
            << "\n";
  std::cout << "randint(0, 10, {6}) =\n" << reel::randint(0, 10, {6}) << "\n";
}

void errors() {
  section("errors are reel::Error exceptions");
  try {
    reel::matmul(reel::ones({2, 3}), reel::ones({4, 5}));
  } catch (const reel::Error& e) {
    std::cout << "matmul([2, 3], [4, 5]) threw: " << e.what() << "\n";
  }
  try {
    reel::ones({2, 3}) + reel::ones({4});
  } catch (const reel::Error& e) {
    std::cout << "[2, 3] + [4] threw: " << e.what() << "\n";
  }
}

}  // namespace

int main() {
  try {
    reel::set_num_threads(2);
    creation();
    dtypes();
    views();
    broadcasting();
    reductions();
    linear_algebra();
    indexing();
    random_numbers();
    errors();
  } catch (const reel::Error& e) {  // only the `errors` section expects one
    std::cout << std::flush;
    std::cerr << "tour: unexpected reel::Error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
