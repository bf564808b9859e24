// test/fuzz/fuzz_input.h — helpers shared by reel's libFuzzer targets (test/fuzz/fuzz_*.cpp).
//
// reel's file readers take a path, so each run writes the fuzzer's bytes to one scratch file per process
// (in /dev/shm when it exists, a RAM disk, else $TMPDIR or /tmp) and hands its path to the reader:
//
//   static reel_fuzz::ScratchFile file("npy", ".npy");
//   file.write(data, size);
//   reel_fuzz::expect_only_reel_errors([&] { reel::serialize::load_npy(file.path()); });
//
// A reader may refuse bad input with reel::Error; that is the documented behaviour and is swallowed here. Any
// other exception escapes LLVMFuzzerTestOneInput, std::terminate aborts, and libFuzzer reports it as a crash,
// as it does for sanitizer reports, hangs (-timeout) and absurd allocations (-rss_limit_mb / -malloc_limit_mb).
// FieldReader decodes structured requests (sizes, strides, choices) from the fuzzer's bytes.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tensor/error.h"

namespace reel_fuzz {

// One file reused by every run of the process; removed at exit.
class ScratchFile {
 public:
  ScratchFile(const std::string& tag, const std::string& suffix) {
    std::string dir = "/dev/shm";
    if (access(dir.c_str(), W_OK) != 0) {
      const char* tmp = std::getenv("TMPDIR");
      dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    }
    path_ = dir + "/reel_fuzz_" + tag + "_" + std::to_string(getpid()) + suffix;
  }
  ~ScratchFile() { std::remove(path_.c_str()); }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  const std::string& path() const { return path_; }

  // Replaces the file's contents with `size` bytes (aborts when the scratch disk cannot hold them: that is
  // the harness failing, not reel).
  void write(const uint8_t* data, size_t size) const {
    std::FILE* out = std::fopen(path_.c_str(), "wb");
    if (out == nullptr) {
      std::perror(path_.c_str());
      std::abort();
    }
    if (size != 0 && std::fwrite(data, 1, size, out) != size) {
      std::perror(path_.c_str());
      std::abort();
    }
    std::fclose(out);
  }

 private:
  std::string path_;
};

// Runs `body`; a reel::Error (the documented answer to bad input) ends the run quietly, and its message must
// not be empty. Every other exception propagates and crashes the target, which libFuzzer records.
template <typename Body>
void expect_only_reel_errors(Body&& body) {
  try {
    body();
  } catch (const reel::Error& error) {
    if (std::strlen(error.what()) == 0) {
      std::fprintf(stderr, "reel::Error with an empty message\n");
      std::abort();
    }
  }
}

// Aborts with a message when a property the target checks does not hold (libFuzzer saves the input).
#define REEL_FUZZ_REQUIRE(condition, ...)                                                  \
  do {                                                                                     \
    if (!(condition)) {                                                                    \
      std::fprintf(stderr, "fuzz check failed: %s (%s:%d): ", #condition, __FILE__, __LINE__); \
      std::fprintf(stderr, __VA_ARGS__);                                                   \
      std::fprintf(stderr, "\n");                                                          \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)

// Reads little fields off the front of the fuzzer's bytes; past the end every field reads as zero, so any
// input decodes to some request.
class FieldReader {
 public:
  FieldReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return position_ >= size_; }
  uint8_t byte() { return position_ < size_ ? data_[position_++] : 0; }
  uint64_t u64() {
    uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value |= static_cast<uint64_t>(byte()) << (8 * i);
    return value;
  }
  // A value in [low, high] (inclusive), from one byte.
  int64_t small(int64_t low, int64_t high) { return low + static_cast<int64_t>(byte()) % (high - low + 1); }
  bool flag() { return (byte() & 1) != 0; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t position_ = 0;
};

}  // namespace reel_fuzz
