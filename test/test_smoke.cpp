#include <catch2/catch.hpp>
#include <reel/reel.h>

TEST_CASE("smoke: elementwise add broadcast") {
  auto a = reel::tensor({1.0, 2.0, 3.0});
  auto b = reel::full({2, 1}, 10.0);
  auto c = a + b;
  REQUIRE(c.sizes() == reel::IntList({2, 3}));
  auto v = c.to_vector<float>();
  REQUIRE(v == std::vector<float>({11, 12, 13, 11, 12, 13}));
  auto d = reel::exp(reel::tensor({0, 1}));
  REQUIRE(d.dtype() == reel::kFloat32);
  REQUIRE(d.to_vector<float>()[1] == Approx(2.718281828));
}
