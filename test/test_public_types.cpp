// reel/test/test_public_types.cpp — the small types that keep reel.h light (issue 15): reel::Callback behaves as
// the std::function it replaces in the API (copies copy the callable, empty from nullptr / a null pointer / an empty
// std::function, an empty call throws), reel::SortedMap as the std::map it replaces (key order, references that
// survive inserting and erasing other keys, at() throwing), and the safetensors metadata taken and given back both
// as a vector of pairs and as a std::map.
#include <catch2/catch.hpp>
#include <reel/reel.h>

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "test/serialize_test_utils.h"

using Catch::Matchers::Contains;

namespace {
int add_ten(int value) { return value + 10; }
}  // namespace

TEST_CASE("Callback: holds lambdas, function pointers and std::function, and copies copy the callable",
          "[public_types]") {
  reel::Callback<int(int)> lambda = [](int v) { return v + 1; };
  reel::Callback<int(int)> pointer = &add_ten;
  reel::Callback<int(int)> wrapped = std::function<int(int)>([](int v) { return v * 3; });
  CHECK(lambda(1) == 2);
  CHECK(pointer(1) == 11);
  CHECK(wrapped(2) == 6);

  int calls = 0;
  reel::Callback<void()> counter = [calls]() mutable { ++calls; };
  reel::Callback<int()> count_calls = [calls]() mutable { return ++calls; };
  reel::Callback<int()> copy = count_calls;  // the copy has its own counter, as with std::function
  CHECK(count_calls() == 1);
  CHECK(count_calls() == 2);
  CHECK(copy() == 1);
  counter();
  CHECK(calls == 0);  // the lambda's captured copy counted, not the local

  std::function<int(int)> back = lambda;  // and a Callback converts to std::function
  CHECK(back(4) == 5);
}

TEST_CASE("Callback: empty from nullptr, a null function pointer or an empty std::function, and calling one throws",
          "[public_types]") {
  int (*null_pointer)(int) = nullptr;
  const reel::Callback<int(int)> from_nullptr = nullptr;
  const reel::Callback<int(int)> from_null_pointer = null_pointer;
  const reel::Callback<int(int)> from_empty_function = std::function<int(int)>();
  const reel::Callback<int(int)> defaulted;
  for (const auto* empty : {&from_nullptr, &from_null_pointer, &from_empty_function, &defaulted}) {
    CHECK_FALSE(static_cast<bool>(*empty));
    CHECK_THROWS_WITH((*empty)(1), Contains("reel::Callback: called while empty"));
  }
  reel::Callback<int(int)> reset = &add_ten;
  reset = nullptr;
  CHECK_FALSE(static_cast<bool>(reset));
}

TEST_CASE("SortedMap: key order, stable references, at() and erase() as std::map", "[public_types]") {
  reel::SortedMap<std::string, int> map;
  int& b = map["b"];
  b = 2;
  map["d"] = 4;
  int& a = map["a"];  // inserted before b: b's reference must survive
  a = 1;
  map.emplace("c", 3);
  CHECK_FALSE(map.emplace("c", 30).second);  // present: not replaced
  CHECK(b == 2);
  std::vector<std::pair<std::string, int>> in_order;
  for (const auto& [key, value] : map) in_order.emplace_back(key, value);
  CHECK(in_order == std::vector<std::pair<std::string, int>>{{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}});

  const auto& read_only = map;
  CHECK(read_only.at("c") == 3);
  CHECK(read_only.count("z") == 0);
  CHECK(read_only.find("z") == read_only.end());
  CHECK(read_only.find("d")->second == 4);
  CHECK_THROWS_AS(read_only.at("z"), std::out_of_range);

  CHECK(map.erase("a") == 1);
  CHECK(map.erase("a") == 0);
  CHECK(b == 2);  // still valid after erasing another key
  CHECK(map.size() == 3);

  reel::SortedMap<std::string, int> copy = map;  // a deep copy
  copy["b"] = 20;
  CHECK(map.at("b") == 2);
  CHECK(copy.contains("d"));
}

TEST_CASE("safetensors metadata: a vector of pairs or a std::map, in and out", "[public_types][serialize]") {
  serialize_test::TempDir dir;
  const reel::serialize::NamedTensors tensors = {{"w", reel::ones({2})}};
  const std::string from_pairs = dir.file("pairs.safetensors");
  reel::serialize::save_safetensors(from_pairs, tensors, {{"b", "2"}, {"a", "1"}});
  const std::string from_map = dir.file("map.safetensors");
  reel::serialize::save_safetensors(from_map, tensors, std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}});
  CHECK(serialize_test::read_bytes(from_pairs) == serialize_test::read_bytes(from_map));  // keys written sorted

  reel::serialize::SafetensorsMetadata pairs;
  reel::serialize::load_safetensors(from_pairs, &pairs);
  CHECK(pairs == reel::serialize::SafetensorsMetadata{{"a", "1"}, {"b", "2"}});
  std::map<std::string, std::string> map = {{"stale", "entry"}};
  reel::serialize::load_safetensors(from_map, &map);
  CHECK(map == std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}});

  CHECK_THROWS_WITH(reel::serialize::save_safetensors(dir.file("twice.safetensors"), tensors, {{"k", "1"}, {"k", "2"}}),
                    Contains("metadata key 'k' is given twice"));
}
