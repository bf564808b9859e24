// test/fuzz/fuzz_idx.cpp — libFuzzer target: the fuzzer's bytes as an IDX file (the MNIST format), plain or gzip.
//
// Feeds read_idx and read_maybe_gzip: the gzip member header (flags, extra field, name, comment, header CRC),
// the deflate stream (nn/inflate.cpp), the CRC-32/length trailer, then the IDX magic, type code, dimension
// count, big-endian sizes and the data that must fill the rest exactly. Seeds: test/fuzz/corpus/fuzz_idx
// (small IDX files, plain and gzip-compressed with Python's gzip module).
// Checks: read_idx's element count times the element size plus the IDX header equals the decompressed size.
#include <cstdint>

#include "fuzz_input.h"
#include "data/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const reel_fuzz::ScratchFile file("idx", ".idx");
  file.write(data, size);
  int64_t decompressed_size = -1;
  reel_fuzz::expect_only_reel_errors([&] {
    const std::vector<uint8_t> bytes = reel::data::read_maybe_gzip(file.path());
    REEL_FUZZ_REQUIRE(size < 2 || data[0] != 0x1f || data[1] != 0x8b ? bytes.size() == size : true,
                      "a file without the gzip magic changed size: %zu -> %zu", size, bytes.size());
    decompressed_size = static_cast<int64_t>(bytes.size());
  });
  reel_fuzz::expect_only_reel_errors([&] {
    const reel::Tensor tensor = reel::data::read_idx(file.path());
    REEL_FUZZ_REQUIRE(decompressed_size >= 0, "read_idx accepted a file read_maybe_gzip refused");
    const int64_t header = 4 + 4 * tensor.dim();
    REEL_FUZZ_REQUIRE(header + tensor.nbytes() == decompressed_size, "IDX of %lld bytes gave %lld data bytes",
                      static_cast<long long>(decompressed_size), static_cast<long long>(tensor.nbytes()));
  });
  return 0;
}
