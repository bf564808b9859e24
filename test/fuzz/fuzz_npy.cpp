// test/fuzz/fuzz_npy.cpp — libFuzzer target: the fuzzer's bytes as a NumPy .npy file for load_npy.
//
// Feeds: magic, version 1/2/3 header lengths, the Python-dict header (descr, fortran_order, shape), and the
// data that must fill the rest exactly. Seeds: test/fuzz/corpus/fuzz_npy (files numpy.save wrote).
// A successful load is checked for consistency: the tensor's byte count plus the header equals the file size.
//
//   build-fuzz/test/fuzz/fuzz_npy -max_total_time=60 corpus_copy/      (scripts/fuzz.sh does this)
#include <cstdint>

#include "fuzz_input.h"
#include "nn/serialize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const reel_fuzz::ScratchFile file("npy", ".npy");
  file.write(data, size);
  reel_fuzz::expect_only_reel_errors([&] {
    reel::Tensor tensor = reel::serialize::load_npy(file.path());
    REEL_FUZZ_REQUIRE(tensor.is_contiguous(), "load_npy returned a non-contiguous tensor");
    const uint64_t data_bytes = static_cast<uint64_t>(tensor.numel()) * tensor.element_size();
    REEL_FUZZ_REQUIRE(data_bytes <= size, "tensor of %llu bytes from a file of %zu bytes",
                      static_cast<unsigned long long>(data_bytes), size);
  });
  return 0;
}
