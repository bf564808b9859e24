// reel/test/test_libtorch_compat.cpp — the LibTorch names a ported program keeps (tensor/libtorch_compat.h):
// TORCH_CHECK / AT_ASSERT / TORCH_INTERNAL_ASSERT throw reel::Error naming the condition, the place and the
// streamed message, and pass silently when the condition holds; reel::optional is std::optional.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <type_traits>

#include "reel.h"

namespace {
std::string message_of(void (*fn)()) {
  try {
    fn();
  } catch (const reel::Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("TORCH_CHECK and AT_ASSERT throw reel::Error with the condition and the message", "[compat]") {
  CHECK(message_of([] {
          const int value = -3;
          TORCH_CHECK(value < 0, "unused ", value);
          AT_ASSERT(value == -3);
        }).empty());

  std::string text = message_of([] {
    const int value = -3;
    TORCH_CHECK(value > 0, "value must be positive, got ", value);
  });
  CHECK(text.find("TORCH_CHECK") != std::string::npos);
  CHECK(text.find("`value > 0`") != std::string::npos);
  CHECK(text.find("value must be positive, got -3") != std::string::npos);
  CHECK(text.find("test_libtorch_compat.cpp") != std::string::npos);

  text = message_of([] { AT_ASSERT(1 + 1 == 3); });
  CHECK(text.find("AT_ASSERT: `1 + 1 == 3` failed at ") != std::string::npos);
  text = message_of([] { TORCH_INTERNAL_ASSERT(false, "internal ", 7); });
  CHECK(text.find("internal 7") != std::string::npos);
}

TEST_CASE("reel::optional is std::optional", "[compat]") {
  STATIC_REQUIRE(std::is_same_v<reel::optional<size_t>, std::optional<size_t>>);
  reel::optional<size_t> none = reel::nullopt;
  CHECK_FALSE(none.has_value());
}
