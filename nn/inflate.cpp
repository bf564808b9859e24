// reel/nn/inflate.cpp — a raw deflate (RFC 1951) decoder for the compressed members of .npz archives
// (numpy.savez_compressed).
//
// Why not zlib: reel's installed CMake package would have to find it for every downstream static link, and
// it is needed for one rarely used path (reading compressed .npz; reel writes stored members). The decoder
// is small and strict, in the manner of zlib's reference decoder `puff`: canonical Huffman codes from code
// lengths (over-subscribed or incomplete codes are refused, except a single-code distance tree), stored,
// fixed and dynamic blocks, and every read of input and every back-reference bounds-checked. Decoding uses
// a 10-bit lookup table for short codes and a bit-at-a-time canonical walk for longer ones.
//
// The output must come to exactly the size the archive declares. It grows only as bytes are really
// produced, never past the declared size, so a lying size cannot force an allocation by itself.
#include <array>
#include <cstring>

#include "serialize_internal.h"

namespace reel::serialize::detail {

namespace {

constexpr int kMaxCodeBits = 15;
constexpr int kFastBits = 10;
constexpr int kMaxLiteralCodes = 288;
constexpr int kMaxDistanceCodes = 30;

struct Huffman {
  std::array<uint16_t, kMaxCodeBits + 1> count{};   // number of codes of each length
  std::array<uint16_t, kMaxLiteralCodes> symbol{};  // symbols in canonical order (by length, then value)
  std::array<uint16_t, 1u << kFastBits> fast{};     // reversed code -> (symbol << 4) | length; 0: slow path

  // Builds the code from `lengths[0..n)`. Returns 0 for a complete code, > 0 for an incomplete one and < 0
  // for an over-subscribed one (which cannot be decoded).
  int build(const uint8_t* lengths, int n) {
    count.fill(0);
    fast.fill(0);
    for (int s = 0; s < n; ++s) ++count[lengths[s]];
    if (count[0] == n) return 0;
    int left = 1;
    for (int len = 1; len <= kMaxCodeBits; ++len) {
      left <<= 1;
      left -= count[len];
      if (left < 0) return left;
    }
    std::array<uint16_t, kMaxCodeBits + 2> offsets{};
    for (int len = 1; len <= kMaxCodeBits; ++len) offsets[len + 1] = static_cast<uint16_t>(offsets[len] + count[len]);
    for (int s = 0; s < n; ++s) {
      if (lengths[s] != 0) symbol[offsets[lengths[s]]++] = static_cast<uint16_t>(s);
    }
    // The fast table: canonical codes are consecutive within a length; the stream sends them MSB first.
    uint32_t code = 0;
    int index = 0;
    for (int len = 1; len <= kMaxCodeBits; ++len) {
      for (int k = 0; k < count[len]; ++k, ++code, ++index) {
        if (len > kFastBits) continue;
        uint32_t reversed = 0;
        for (int b = 0; b < len; ++b) reversed |= ((code >> b) & 1u) << (len - 1 - b);
        for (uint32_t e = reversed; e < (1u << kFastBits); e += 1u << len) {
          fast[e] = static_cast<uint16_t>((symbol[index] << 4) | len);
        }
      }
      code <<= 1;
    }
    return left;
  }
};

constexpr std::array<uint16_t, 29> kLengthBase = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                                  31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr std::array<uint8_t, 29> kLengthExtra = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                  2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr std::array<uint16_t, 30> kDistanceBase = {1,    2,    3,    4,    5,    7,    9,    13,    17,    25,
                                                    33,   49,   65,   97,   129,  193,  257,  385,   513,   769,
                                                    1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr std::array<uint8_t, 30> kDistanceExtra = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                                    6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

struct FixedCodes {
  Huffman literal;
  Huffman distance;
  FixedCodes() {
    std::array<uint8_t, kMaxLiteralCodes> lengths{};
    for (int s = 0; s < kMaxLiteralCodes; ++s) lengths[s] = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
    literal.build(lengths.data(), kMaxLiteralCodes);
    lengths.fill(5);
    distance.build(lengths.data(), kMaxDistanceCodes);
  }
};

class Inflater {
 public:
  Inflater(const uint8_t* input, size_t input_size, uint64_t expected, const FileContext& context)
      : input_(input), input_size_(input_size), expected_(expected), context_(context) {}

  std::vector<uint8_t> run() {
    bool last = false;
    while (!last) {
      last = bits(1) == 1;
      const uint32_t type = bits(2);
      if (type == 0) {
        stored_block();
      } else if (type == 1) {
        static const FixedCodes fixed;
        codes(fixed.literal, fixed.distance);
      } else if (type == 2) {
        dynamic_block();
      } else {
        fail("a block of the reserved type 3");
      }
    }
    if (output_.size() != expected_) {
      fail(fmt::format("the data decompresses to {} bytes, but the archive declares {}", output_.size(), expected_));
    }
    return std::move(output_);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { context_.fail("bad deflate data: " + what); }

  void refill() {
    while (bit_count_ <= 56 && position_ < input_size_) {
      bit_buffer_ |= static_cast<uint64_t>(input_[position_++]) << bit_count_;
      bit_count_ += 8;
    }
  }

  uint32_t bits(int n) {
    if (bit_count_ < n) refill();
    if (bit_count_ < n) fail("the compressed data ends early");
    const auto value = static_cast<uint32_t>(bit_buffer_ & ((uint64_t{1} << n) - 1));
    bit_buffer_ >>= n;
    bit_count_ -= n;
    return value;
  }

  int decode(const Huffman& code) {
    if (bit_count_ < kFastBits) refill();
    const uint16_t entry = code.fast[bit_buffer_ & ((1u << kFastBits) - 1)];
    const int length = entry & 15;
    if (entry != 0 && length <= bit_count_) {
      bit_buffer_ >>= length;
      bit_count_ -= length;
      return entry >> 4;
    }
    // Canonical decoding one bit at a time (codes longer than the table, or input running out).
    int first = 0;
    int index = 0;
    int value = 0;
    for (int len = 1; len <= kMaxCodeBits; ++len) {
      value |= static_cast<int>(bits(1));
      const int count = code.count[len];
      if (value - count < first) return code.symbol[index + (value - first)];
      index += count;
      first += count;
      first <<= 1;
      value <<= 1;
    }
    fail("an invalid Huffman code");
  }

  void reserve_for(uint64_t extra) {
    if (extra > expected_ - output_.size()) {
      fail(fmt::format("the data decompresses to more than the {} bytes the archive declares", expected_));
    }
    const uint64_t needed = output_.size() + extra;
    if (needed <= output_.capacity()) return;
    const uint64_t grown = std::max<uint64_t>(needed, std::max<uint64_t>(output_.capacity() * 2, 1u << 16));
    output_.reserve(static_cast<size_t>(std::min<uint64_t>(grown, expected_)));
  }

  void stored_block() {
    // Give back the whole bytes still in the bit buffer, then read byte-aligned.
    bit_buffer_ = 0;
    position_ -= static_cast<size_t>(bit_count_ / 8);
    bit_count_ = 0;
    if (input_size_ - position_ < 4) fail("the compressed data ends inside a stored block's length");
    const uint16_t length = load_le16(input_ + position_);
    const uint16_t complement = load_le16(input_ + position_ + 2);
    position_ += 4;
    if (static_cast<uint16_t>(~complement) != length) fail("a stored block's length check fails");
    if (input_size_ - position_ < length) fail("the compressed data ends inside a stored block");
    reserve_for(length);
    output_.insert(output_.end(), input_ + position_, input_ + position_ + length);
    position_ += length;
  }

  void dynamic_block() {
    const int literal_count = static_cast<int>(bits(5)) + 257;
    const int distance_count = static_cast<int>(bits(5)) + 1;
    const int length_code_count = static_cast<int>(bits(4)) + 4;
    if (literal_count > 286 || distance_count > kMaxDistanceCodes) fail("a dynamic block with too many codes");
    static constexpr std::array<uint8_t, 19> kOrder = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                                       11, 4,  12, 3, 13, 2, 14, 1, 15};
    std::array<uint8_t, kMaxLiteralCodes + kMaxDistanceCodes> lengths{};
    for (int i = 0; i < length_code_count; ++i) lengths[kOrder[i]] = static_cast<uint8_t>(bits(3));
    Huffman length_code;
    if (length_code.build(lengths.data(), 19) != 0) fail("an incomplete code-length code");

    const int total = literal_count + distance_count;
    lengths.fill(0);
    int index = 0;
    while (index < total) {
      int symbol = decode(length_code);
      if (symbol < 16) {
        lengths[index++] = static_cast<uint8_t>(symbol);
        continue;
      }
      uint8_t repeated = 0;
      int times;
      if (symbol == 16) {
        if (index == 0) fail("a repeat with no previous code length");
        repeated = lengths[index - 1];
        times = 3 + static_cast<int>(bits(2));
      } else if (symbol == 17) {
        times = 3 + static_cast<int>(bits(3));
      } else {
        times = 11 + static_cast<int>(bits(7));
      }
      if (index + times > total) fail("code lengths repeat past the end of the table");
      while (times-- > 0) lengths[index++] = repeated;
    }
    if (lengths[256] == 0) fail("a dynamic block without an end-of-block code");
    Huffman literal;
    Huffman distance;
    const int literal_left = literal.build(lengths.data(), literal_count);
    if (literal_left < 0 || (literal_left > 0 && literal_count - literal.count[0] != 1)) {
      fail("an over-subscribed or incomplete literal/length code");
    }
    const int distance_left = distance.build(lengths.data() + literal_count, distance_count);
    if (distance_left < 0 || (distance_left > 0 && distance_count - distance.count[0] != 1)) {
      fail("an over-subscribed or incomplete distance code");
    }
    codes(literal, distance);
  }

  void codes(const Huffman& literal, const Huffman& distance) {
    while (true) {
      int symbol = decode(literal);
      if (symbol < 256) {
        reserve_for(1);
        output_.push_back(static_cast<uint8_t>(symbol));
        continue;
      }
      if (symbol == 256) return;
      symbol -= 257;
      if (symbol >= 29) fail("an invalid length symbol");
      const uint32_t length = kLengthBase[symbol] + bits(kLengthExtra[symbol]);
      const int distance_symbol = decode(distance);
      if (distance_symbol >= kMaxDistanceCodes) fail("an invalid distance symbol");
      const uint32_t back = kDistanceBase[distance_symbol] + bits(kDistanceExtra[distance_symbol]);
      if (back > output_.size()) fail("a back-reference before the start of the data");
      reserve_for(length);
      const size_t start = output_.size();
      output_.resize(start + length);
      uint8_t* out = output_.data() + start;
      const uint8_t* from = out - back;
      for (uint32_t i = 0; i < length; ++i) out[i] = from[i];  // overlapping copies repeat, as deflate intends
    }
  }

  const uint8_t* input_;
  size_t input_size_;
  size_t position_ = 0;
  uint64_t bit_buffer_ = 0;
  int bit_count_ = 0;
  uint64_t expected_;
  const FileContext& context_;
  std::vector<uint8_t> output_;
};

}  // namespace

std::vector<uint8_t> inflate(const uint8_t* input, size_t input_size, uint64_t expected_size,
                             const FileContext& context) {
  return Inflater(input, input_size, expected_size, context).run();
}

}  // namespace reel::serialize::detail
