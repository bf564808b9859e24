// test/fuzz/fuzz_npz.cpp — libFuzzer target: the fuzzer's bytes as a NumPy .npz (zip) archive.
//
// Feeds load_npz: the end-of-central-directory search, zip64 records and extra fields, central and local
// headers, member names, stored and deflate members (reel's own inflate: block types, Huffman tables,
// back-references), CRC-32 checks, and each member's .npy image. Seeds: test/fuzz/corpus/fuzz_npz (numpy.savez
// and numpy.savez_compressed archives, and reel's). A loaded archive must round-trip through save_npz.
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_input.h"
#include "nn/serialize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const reel_fuzz::ScratchFile file("npz", ".npz");
  static const reel_fuzz::ScratchFile resaved("npz_resaved", ".npz");
  file.write(data, size);
  reel_fuzz::expect_only_reel_errors([&] {
    const reel::serialize::NamedTensors tensors = reel::serialize::load_npz(file.path());
    for (const auto& [name, tensor] : tensors) {
      REEL_FUZZ_REQUIRE(tensor.is_contiguous(), "member '%s' is not contiguous", name.c_str());
      REEL_FUZZ_REQUIRE(tensor.dtype() != reel::kBFloat16, "member '%s' is bfloat16, which npy lacks", name.c_str());
    }
    reel::serialize::save_npz(resaved.path(), tensors);
    const reel::serialize::NamedTensors again = reel::serialize::load_npz(resaved.path());
    REEL_FUZZ_REQUIRE(again.size() == tensors.size(), "%zu members became %zu", tensors.size(), again.size());
    for (size_t i = 0; i < again.size(); ++i) {
      const reel::Tensor& a = tensors[i].second;
      const reel::Tensor& b = again[i].second;
      REEL_FUZZ_REQUIRE(again[i].first == tensors[i].first, "member %zu renamed in a round trip", i);
      REEL_FUZZ_REQUIRE(a.dtype() == b.dtype() && a.sizes() == b.sizes(), "member %zu reshaped in a round trip", i);
      REEL_FUZZ_REQUIRE(a.numel() == 0 || std::memcmp(a.data_ptr(), b.data_ptr(), static_cast<size_t>(a.nbytes())) == 0,
                        "member %zu changed in a round trip", i);
    }
  });
  return 0;
}
