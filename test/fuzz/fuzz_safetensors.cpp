// test/fuzz/fuzz_safetensors.cpp — libFuzzer target: the fuzzer's bytes as a .safetensors file.
//
// Feeds load_safetensors: the 8-byte header length, the JSON header (reel's own JSON parser: strings, escapes,
// UTF-8, numbers, nesting depth), dtypes, shapes, data offsets (overlaps, gaps, out of range) and
// "__metadata__". Seeds: test/fuzz/corpus/fuzz_safetensors (files the Python safetensors package and reel wrote).
// A file that loads must survive a round trip: save_safetensors of what was loaded, loaded again, gives the same
// names, dtypes, shapes, bytes and metadata.
#include <cstdint>
#include <cstring>
#include <map>
#include <string>

#include "fuzz_input.h"
#include "nn/serialize.h"

namespace {

bool same_tensor(const reel::Tensor& a, const reel::Tensor& b) {
  if (a.dtype() != b.dtype() || !(a.sizes() == b.sizes())) return false;
  if (a.numel() == 0) return true;
  return std::memcmp(a.contiguous().data_ptr(), b.contiguous().data_ptr(), static_cast<size_t>(a.nbytes())) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const reel_fuzz::ScratchFile file("safetensors", ".safetensors");
  static const reel_fuzz::ScratchFile resaved("safetensors_resaved", ".safetensors");
  file.write(data, size);
  reel_fuzz::expect_only_reel_errors([&] {
    std::map<std::string, std::string> metadata;
    const reel::serialize::NamedTensors tensors = reel::serialize::load_safetensors(file.path(), &metadata);
    uint64_t total_bytes = 0;
    for (const auto& [name, tensor] : tensors) total_bytes += static_cast<uint64_t>(tensor.nbytes());
    REEL_FUZZ_REQUIRE(total_bytes + 8 <= size, "%llu data bytes from a file of %zu bytes",
                      static_cast<unsigned long long>(total_bytes), size);

    // Whatever loaded must save (names and metadata were validated on the way in) and load back unchanged.
    reel::serialize::save_safetensors(resaved.path(), tensors, metadata);
    std::map<std::string, std::string> metadata_again;
    const reel::serialize::NamedTensors again = reel::serialize::load_safetensors(resaved.path(), &metadata_again);
    REEL_FUZZ_REQUIRE(metadata_again == metadata, "metadata changed in a round trip");
    REEL_FUZZ_REQUIRE(again.size() == tensors.size(), "%zu tensors became %zu", tensors.size(), again.size());
    // save orders by alignment then name, so match by name.
    std::map<std::string, const reel::Tensor*> by_name;
    for (const auto& [name, tensor] : again) by_name[name] = &tensor;
    for (const auto& [name, tensor] : tensors) {
      const auto found = by_name.find(name);
      REEL_FUZZ_REQUIRE(found != by_name.end(), "tensor '%s' lost in a round trip", name.c_str());
      REEL_FUZZ_REQUIRE(same_tensor(tensor, *found->second), "tensor '%s' changed in a round trip", name.c_str());
    }
  });
  return 0;
}
