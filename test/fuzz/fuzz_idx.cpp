// test/fuzz/fuzz_idx.cpp — libFuzzer target: the fuzzer's bytes as an IDX file (the MNIST format), plain or gzip.
//
// Feeds read_idx and read_maybe_gzip: the gzip member header (flags, extra field, name, comment, header CRC),
// the deflate stream (nn/inflate.cpp), the CRC-32/length trailer, then the IDX magic, type code, dimension
// count, big-endian sizes and the data that must fill the rest exactly. Seeds: test/fuzz/corpus/fuzz_idx
// (small IDX files, plain and gzip-compressed with Python's gzip module).
// Checks: read_idx's element count times the element size plus the IDX header equals the decompressed size.
// Then the same bytes go to data::datasets::MNIST as its train labels file (beside a valid file of two blank
// images): it must refuse them with a reel::Error or give two int64 targets in 0..9 and images in [0, 1].
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>

#include "fuzz_input.h"
#include "data/idx.h"
#include "data/mnist.h"

namespace {

// A scratch MNIST root holding train-images-idx3-ubyte with two blank 28 x 28 images; the labels file is the
// fuzzer's bytes.
struct MnistRoot {
  MnistRoot() {
    dir = std::filesystem::temp_directory_path() / ("reel_fuzz_mnist_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream images(dir / "train-images-idx3-ubyte", std::ios::binary);
    const unsigned char header[16] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28};
    images.write(reinterpret_cast<const char*>(header), sizeof header);
    images.write(std::string(2 * 28 * 28, '\0').data(), 2 * 28 * 28);
  }
  ~MnistRoot() { std::filesystem::remove_all(dir); }
  void write_labels(const uint8_t* data, size_t size) const {
    std::ofstream labels(dir / "train-labels-idx1-ubyte", std::ios::binary | std::ios::trunc);
    labels.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  std::filesystem::path dir;
};

}  // namespace

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
  static const MnistRoot mnist;
  mnist.write_labels(data, size);
  reel_fuzz::expect_only_reel_errors([&] {
    reel::data::datasets::MNIST dataset(mnist.dir.string());
    REEL_FUZZ_REQUIRE(dataset.size().value() == 2, "MNIST accepted %zu labels for 2 images", dataset.size().value());
    const std::vector<int64_t> targets = dataset.targets().to_vector<int64_t>();
    for (int64_t t : targets) REEL_FUZZ_REQUIRE(t >= 0 && t < 10, "MNIST accepted the label %lld", static_cast<long long>(t));
    REEL_FUZZ_REQUIRE(dataset.get(1).data.sizes() == reel::IntList({1, 28, 28}), "MNIST image of another shape");
  });
  return 0;
}
