// Tests of nn/serialize.h on hostile files (issue 8): truncated files, headers that lie about lengths,
// offsets and sizes, overlapping data, unknown and unsupported dtypes, absurd shapes, malformed JSON and
// Python literals, names that are not UTF-8, wrong magic, broken zip structures and corrupt deflate streams.
// Each case is its own SECTION and requires a reel::Error whose message names the file and the problem.
// The deflate decoder is also run on zlib's own streams (test/fixtures/deflate_cases.bin).
#include "nn/serialize_internal.h"
#include "serialize_test_utils.h"

using Catch::Contains;
using reel::Tensor;
using namespace reel::serialize;
using namespace serialize_test;

namespace {

std::string safetensors_image(const std::string& header, const std::string& data) {
  return le_bytes(header.size(), 8) + header + data;
}

std::string npy_image(const std::string& dict, const std::string& data, int major = 1) {
  std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  out += le_bytes(dict.size(), major == 1 ? 2 : 4) + dict + data;
  return out;
}

uint32_t crc_of(const std::string& bytes) { return detail::crc32_update(0, bytes.data(), bytes.size()); }

// A classic (non-zip64) zip archive; `central_at[i]` is where member i's central directory entry starts, so
// tests can patch fields: +10 method, +16 CRC, +20 compressed size, +24 size, +42 local header offset.
struct ZipMember {
  std::string name;
  std::string data;  // as stored in the archive (compressed when method is 8)
  uint16_t method = 0;
  uint64_t size = 0;  // uncompressed size; data.size() when 0 and stored
  uint32_t crc = 0;   // CRC-32 of the uncompressed data; computed from data when 0 and stored
  uint16_t flags = 0;
};
struct Zip {
  std::string bytes;
  std::vector<size_t> local_at;
  std::vector<size_t> central_at;
  size_t end_at = 0;
};

Zip build_zip(const std::vector<ZipMember>& members) {
  Zip zip;
  std::string central;
  for (const ZipMember& m : members) {
    const uint64_t size = m.size != 0 || m.method != 0 ? m.size : m.data.size();
    const uint32_t crc = m.crc != 0 || m.method != 0 ? m.crc : crc_of(m.data);
    zip.local_at.push_back(zip.bytes.size());
    const std::string common = le_bytes(20, 2) + le_bytes(m.flags, 2) + le_bytes(m.method, 2) + le_bytes(0, 4) +
                               le_bytes(crc, 4) + le_bytes(m.data.size(), 4) + le_bytes(size, 4) +
                               le_bytes(m.name.size(), 2) + le_bytes(0, 2);
    zip.bytes += le_bytes(0x04034b50, 4) + common + m.name + m.data;
    central += le_bytes(0x02014b50, 4) + le_bytes(20, 2) + common + le_bytes(0, 10) + le_bytes(zip.local_at.back(), 4) +
               m.name;
  }
  const size_t directory_offset = zip.bytes.size();
  size_t p = directory_offset;
  for (const ZipMember& m : members) {
    zip.central_at.push_back(p);
    p += 46 + m.name.size();
  }
  zip.bytes += central;
  zip.end_at = zip.bytes.size();
  zip.bytes += le_bytes(0x06054b50, 4) + le_bytes(0, 4) + le_bytes(members.size(), 2) + le_bytes(members.size(), 2) +
               le_bytes(central.size(), 4) + le_bytes(directory_offset, 4) + le_bytes(0, 2);
  return zip;
}

void patch(std::string& bytes, size_t at, uint64_t value, int count) {
  bytes.replace(at, count, le_bytes(value, count));
}

std::string npy_bytes_of(const Tensor& tensor) {
  TempDir dir;
  save_npy(dir.file("t.npy"), tensor);
  return read_bytes(dir.file("t.npy"));
}

}  // namespace

TEST_CASE("safetensors hostile files are refused with the file and the problem", "[serialize]") {
  TempDir dir;
  const std::string path = dir.file("hostile.safetensors");
  const std::string f32x2 = std::string(8, '\0');
  auto refused = [&](const std::string& bytes, const std::string& problem) {
    write_bytes(path, bytes);
    REQUIRE_THROWS_WITH(load_safetensors(path), Contains(path) && Contains(problem));
  };

  SECTION("missing file") {
    REQUIRE_THROWS_WITH(load_safetensors(dir.file("absent.safetensors")),
                        Contains("absent.safetensors") && Contains("cannot open the file"));
  }
  SECTION("a directory") {
    REQUIRE_THROWS_WITH(load_safetensors(dir.path().string()), Contains(dir.path().string()) && Contains("directory"));
  }
  SECTION("truncated before the header length") { refused("\x10\0\0", "too short for the 8-byte header length"); }
  SECTION("header length larger than the file") {
    refused(le_bytes(4096, 8) + "{}", "header length 4096 is larger than the rest of the file");
  }
  SECTION("header length beyond the limit") {
    refused(le_bytes(uint64_t{1} << 62, 8) + "{}", "exceeds the 100000000-byte limit");
  }
  SECTION("an npy file is not a safetensors file") { refused(npy_bytes_of(reel::ones({2})), "exceeds"); }
  SECTION("truncated data") {
    refused(safetensors_image(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", f32x2),
            "reach past the end of the data section");
  }
  SECTION("offsets past the end") {
    refused(safetensors_image(R"({"w":{"dtype":"U8","shape":[8],"data_offsets":[1000,1008]}})", f32x2),
            "tensor 'w': data_offsets [1000, 1008] reach past the end");
  }
  SECTION("begin after end") {
    refused(safetensors_image(R"({"w":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}})", f32x2),
            "data_offsets [8, 0] begin after they end");
  }
  SECTION("size not matching dtype and shape") {
    refused(safetensors_image(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", f32x2),
            "span 8 bytes, but shape [3] of F32 needs 12");
  }
  SECTION("overlapping tensor ranges") {
    refused(safetensors_image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                              R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                              f32x2),
            "tensors 'a' [0, 8] and 'b' [4, 8] have overlapping data ranges");
  }
  SECTION("a gap between tensors") {
    refused(safetensors_image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", f32x2),
            "data bytes [0, 4) before tensor 'a' belong to no tensor");
  }
  SECTION("trailing bytes") {
    refused(safetensors_image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", f32x2),
            "the tensors cover only the first 4");
  }
  SECTION("unknown dtype") {
    refused(safetensors_image(R"({"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}})", "x"), "unknown dtype 'Q7'");
  }
  SECTION("unsupported dtype from the Python library") {
    const std::string u16 = fixture("unsupported_u16.safetensors");
    REQUIRE_THROWS_WITH(load_safetensors(u16), Contains(u16) && Contains("unsupported dtype U16") && Contains("'small'"));
  }
  SECTION("a shape whose byte count overflows") {
    refused(safetensors_image(R"({"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", ""),
            "overflows 64 bits");
  }
  SECTION("a huge declared size is checked before allocating") {
    refused(
        safetensors_image(R"({"w":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,4398046511104]}})", f32x2),
        "reach past the end of the data section");
  }
  SECTION("an offset beyond 64 bits") {
    refused(safetensors_image(R"({"w":{"dtype":"U8","shape":[0],"data_offsets":[0,18446744073709551616]}})", ""),
            "data_offsets end must be a non-negative integer");
  }
  SECTION("duplicate names") {
    refused(safetensors_image(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                              R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                              f32x2),
            "duplicate tensor name 'w'");
  }
  SECTION("non-UTF-8 name") {
    refused(safetensors_image("{\"w\xff\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", f32x2),
            "not valid UTF-8 (byte 0xff at header offset 3)");
  }
  SECTION("lone surrogate escape in a name") {
    refused(safetensors_image(R"({"\ud800":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", f32x2),
            "high surrogate without its low half");
  }
  SECTION("bad JSON: trailing comma") {
    refused(safetensors_image(R"({"a":1,})", ""), "bad JSON header: expected a string key");
  }
  SECTION("bad JSON: cut short") { refused(safetensors_image(R"({"w":{"dtype":"F3)", ""), "ends inside a string"); }
  SECTION("bad JSON: leading zero") {
    refused(safetensors_image(R"({"w":{"dtype":"U8","shape":[01],"data_offsets":[0,1]}})", "x"), "leading zero");
  }
  SECTION("bad JSON: raw control character") {
    refused(safetensors_image("{\"a\x01\":{}}", ""), "raw control character");
  }
  SECTION("bad JSON: unknown escape") { refused(safetensors_image(R"({"a\q":{}})", ""), "an unknown escape"); }
  SECTION("bad JSON: nesting too deep") {
    refused(safetensors_image("{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}", ""),
            "nesting deeper than 64 levels");
  }
  SECTION("header that is not an object") { refused(safetensors_image("[1,2]   ", ""), "not a JSON object"); }
  SECTION("entry that is not an object") {
    refused(safetensors_image(R"({"w":[0,1]})", ""), "tensor 'w': its header entry is an array");
  }
  SECTION("missing field") {
    refused(safetensors_image(R"({"w":{"dtype":"F32","shape":[0]}})", ""), "lacks 'data_offsets'");
  }
  SECTION("negative shape") {
    refused(safetensors_image(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", ""),
            "a shape entry must be a non-negative integer below 2^64, not a number -1");
  }
  SECTION("fractional offset") {
    refused(safetensors_image(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0.5]}})", ""), "not a number 0.5");
  }
  SECTION("metadata that is not a string") {
    refused(safetensors_image(R"({"__metadata__":{"epoch":3}})", ""),
            "metadata entry 'epoch' is a number, not a string");
  }
}

TEST_CASE("npy hostile files are refused with the file and the problem", "[serialize]") {
  TempDir dir;
  const std::string path = dir.file("hostile.npy");
  const std::string ok_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  auto refused = [&](const std::string& bytes, const std::string& problem) {
    write_bytes(path, bytes);
    REQUIRE_THROWS_WITH(load_npy(path), Contains(path) && Contains(problem));
  };

  SECTION("wrong magic") { refused("PK\x03\x04 this is a zip, not npy", "not a .npy file: wrong magic bytes"); }
  SECTION("truncated prefix") { refused("\x93NUM", "too short for a .npy header"); }
  SECTION("header length larger than the file") {
    refused(std::string("\x93NUMPY\x01\x00\xff\x00{}", 12), "header length 255 is larger than the rest");
  }
  SECTION("header length beyond the limit") {
    refused(std::string("\x93NUMPY\x02\x00", 8) + le_bytes(uint64_t{1} << 30, 4) + "{}",
            "exceeds the 1048576-byte limit");
  }
  SECTION("unknown version") {
    refused(npy_image(ok_dict, std::string(8, '\0'), 9), "unsupported .npy format version 9.0");
  }
  SECTION("unsupported dtype uint16") {
    refused(npy_image("{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }", "abcd"), "unsupported dtype '<u2'");
  }
  SECTION("object arrays") {
    refused(npy_image("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", "12345678"),
            "unsupported dtype '|O'");
  }
  SECTION("structured dtype") {
    refused(npy_image("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", "abcd"),
            "structured dtypes are not supported");
  }
  SECTION("missing key") {
    refused(npy_image("{'descr': '<f4', 'fortran_order': False}", ""), "the key 'shape' is missing");
  }
  SECTION("unexpected key") {
    refused(npy_image("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}", "abcd"), "an unsupported value");
    refused(npy_image("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 'y'}", "abcd"), "unexpected key 'x'");
  }
  SECTION("duplicate key") {
    refused(npy_image("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': ()}", "abcd"),
            "duplicate key 'descr'");
  }
  SECTION("truncated data") {
    refused(npy_image(ok_dict, "abcd"), "shape [2] of <f4 needs 8 data bytes, but 4 follow the header (truncated?)");
  }
  SECTION("trailing bytes") { refused(npy_image(ok_dict, std::string(12, '\0')), "needs 8 data bytes, but 12 follow"); }
  SECTION("a shape whose byte count overflows") {
    refused(npy_image("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", ""),
            "overflows 64 bits");
  }
  SECTION("a huge declared size is checked before allocating") {
    refused(npy_image("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }", "abcd"),
            "needs 4398046511104 data bytes, but 4 follow");
  }
  SECTION("negative shape") {
    refused(npy_image("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", ""),
            "expected a non-negative integer");
  }
  SECTION("too many dims") {
    std::string shape = "(";
    for (int i = 0; i < 65; ++i) shape += "1, ";
    refused(npy_image("{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + "), }", "abcd"),
            "more than 64 dims");
  }
  SECTION("header that is not a dict") { refused(npy_image("[1, 2]", ""), "bad .npy header: expected '{'"); }
  SECTION("fortran_order that is not a boolean") {
    refused(npy_image("{'descr': '<f4', 'fortran_order': 'no', 'shape': (2,), }", std::string(8, '\0')),
            "'fortran_order' is not True or False");
  }
}

TEST_CASE("npz hostile archives are refused with the file and the problem", "[serialize]") {
  TempDir dir;
  const std::string path = dir.file("hostile.npz");
  const std::string good_npy = npy_bytes_of(reel::arange(6, reel::kInt64));
  auto refused = [&](const std::string& bytes, const std::string& problem) {
    write_bytes(path, bytes);
    REQUIRE_THROWS_WITH(load_npz(path), Contains(path) && Contains(problem));
  };

  SECTION("a classic zip built by hand loads") {
    write_bytes(path, build_zip({{"a.npy", good_npy}, {"b.npy", good_npy}}).bytes);
    const NamedTensors loaded = load_npz(path);
    REQUIRE(loaded.size() == 2);
    require_identical(loaded[1].second, reel::arange(6, reel::kInt64), "b");
  }
  SECTION("not a zip archive") { refused(std::string(100, 'x'), "not a zip archive"); }
  SECTION("too short") { refused("PK\x05\x06", "too short for a zip archive"); }
  SECTION("truncated archive") {
    save_npz(dir.file("good.npz"), {{"w", reel::ones({64})}});
    const std::string whole = read_bytes(dir.file("good.npz"));
    refused(whole.substr(0, whole.size() / 2), "no end record (truncated?)");
  }
  SECTION("CRC mismatch") {
    Zip zip = build_zip({{"w.npy", good_npy}});
    zip.bytes[zip.local_at[0] + 30 + 5 + good_npy.size() - 1] ^= 0x40;  // flip a bit of the last data byte
    refused(zip.bytes, "member 'w.npy': CRC-32 mismatch");
  }
  SECTION("member that is not a .npy file") {
    refused(build_zip({{"notes.txt", "hello"}}).bytes, "member 'notes.txt': is not a .npy file");
  }
  SECTION("member whose data is not npy") {
    refused(build_zip({{"w.npy", "hello world"}}).bytes, "member 'w.npy': not a .npy file: wrong magic");
  }
  SECTION("duplicate member names") {
    refused(build_zip({{"w.npy", good_npy}, {"w.npy", good_npy}}).bytes, "appears twice");
  }
  SECTION("non-UTF-8 member name") {
    refused(build_zip({{"w\xff.npy", good_npy}}).bytes, "'w\\xff.npy': the name is not valid UTF-8");
  }
  SECTION("encrypted member") {
    ZipMember member{"w.npy", good_npy};
    member.flags = 1;
    refused(build_zip({member}).bytes, "the member is encrypted");
  }
  SECTION("unsupported compression method") {
    ZipMember member{"w.npy", good_npy, 12, good_npy.size(), crc_of(good_npy)};
    refused(build_zip({member}).bytes, "compression method 12 is not supported");
  }
  SECTION("entry count that lies") {
    Zip zip = build_zip({{"w.npy", good_npy}});
    patch(zip.bytes, zip.end_at + 8, 1000, 2);
    patch(zip.bytes, zip.end_at + 10, 1000, 2);
    refused(zip.bytes, "1000 entries cannot fit in a central directory of 51 bytes");
  }
  SECTION("central directory outside the archive") {
    Zip zip = build_zip({{"w.npy", good_npy}});
    patch(zip.bytes, zip.end_at + 16, 0xfffffff0u, 4);
    refused(zip.bytes, "the central directory (51 bytes at offset 4294967280) lies outside the archive");
  }
  SECTION("local header offset outside the data") {
    Zip zip = build_zip({{"w.npy", good_npy}});
    patch(zip.bytes, zip.central_at[0] + 42, 0x7fffffff, 4);
    refused(zip.bytes, "the local header offset 2147483647 lies outside the member data");
  }
  SECTION("member data running into the central directory") {
    Zip zip = build_zip({{"w.npy", good_npy}});
    patch(zip.bytes, zip.central_at[0] + 20, 1u << 20, 4);
    patch(zip.bytes, zip.central_at[0] + 24, 1u << 20, 4);
    refused(zip.bytes, "run into the central directory");
  }
  SECTION("overlapping members") {
    Zip zip = build_zip({{"a.npy", good_npy}, {"b.npy", good_npy}, {"c.npy", good_npy}});
    const uint64_t covering = good_npy.size() + 40;  // a's data now reaches into b's local header
    patch(zip.bytes, zip.central_at[0] + 20, covering, 4);
    patch(zip.bytes, zip.central_at[0] + 24, covering, 4);
    refused(zip.bytes, "members 'a.npy' and 'b.npy' overlap");
  }
  SECTION("local header naming another member") {
    Zip zip = build_zip({{"w.npy", good_npy}});
    zip.bytes[zip.local_at[0] + 30] = 'v';
    refused(zip.bytes, "the local header names it 'v.npy'");
  }
  SECTION("stored member whose sizes disagree") {
    Zip zip = build_zip({{"w.npy", good_npy}});
    patch(zip.bytes, zip.central_at[0] + 24, 4, 4);
    refused(zip.bytes, "records a compressed size of");
  }
  SECTION("zip64 end record outside the archive") {
    save_npz(dir.file("good.npz"), {{"w", reel::ones({4})}});
    std::string bytes = read_bytes(dir.file("good.npz"));
    patch(bytes, bytes.size() - 22 - 20 + 8, uint64_t{1} << 40, 8);
    refused(bytes, "the zip64 end record offset 1099511627776 lies outside the archive");
  }
  SECTION("deflate member declaring a huge size") {
    const std::string compressed("\x03\x00", 2);  // an empty fixed-Huffman block
    ZipMember member{"w.npy", compressed, 8, 0xfffffff0u, 0x12345678};
    refused(build_zip({member}).bytes, "the data decompresses to 0 bytes, but the archive declares 4294967280");
  }
  SECTION("corrupt deflate data") {
    ZipMember member{"w.npy", "\xff\xff\xff", 8, 100, 0x12345678};
    refused(build_zip({member}).bytes, "member 'w.npy': bad deflate data: a block of the reserved type 3");
  }
}

TEST_CASE("inflate decodes the streams zlib writes", "[serialize]") {
  const std::string cases = read_bytes(fixture("deflate_cases.bin"));
  REQUIRE(cases.substr(0, 8) == "REELDEFL");
  const auto* bytes = reinterpret_cast<const uint8_t*>(cases.data());
  const uint32_t count = detail::load_le32(bytes + 8);
  REQUIRE(count == 7);
  size_t p = 12;
  const detail::FileContext context{"inflate_test", "deflate_cases.bin", {}};
  for (uint32_t i = 0; i < count; ++i) {
    INFO("case " << i);
    const uint32_t size = detail::load_le32(bytes + p);
    const uint32_t crc = detail::load_le32(bytes + p + 4);
    const uint32_t length = detail::load_le32(bytes + p + 8);
    p += 12;
    REQUIRE(p + length <= cases.size());
    const std::vector<uint8_t> out = detail::inflate(bytes + p, length, size, context);
    REQUIRE(out.size() == size);
    REQUIRE(detail::crc32_update(0, out.data(), out.size()) == crc);
    if (i == 1) REQUIRE(out == lcg_bytes(700));
    if (i > 0) {
      REQUIRE_THROWS_WITH(detail::inflate(bytes + p, length, size - 1, context),
                          Contains("deflate_cases.bin") && Contains("more than the"));
      REQUIRE_THROWS_WITH(detail::inflate(bytes + p, length / 2, size, context), Contains("bad deflate data"));
    }
    p += length;
  }
  REQUIRE(p == cases.size());
}

TEST_CASE("inflate refuses corrupt streams", "[serialize]") {
  const detail::FileContext context{"inflate_test", "corrupt.bin", {}};
  auto refused = [&](const std::string& stream, uint64_t size, const std::string& problem) {
    REQUIRE_THROWS_WITH(detail::inflate(reinterpret_cast<const uint8_t*>(stream.data()), stream.size(), size, context),
                        Contains("corrupt.bin") && Contains(problem));
  };
  SECTION("reserved block type") { refused("\x07", 1, "reserved type 3"); }
  SECTION("stored length check") {
    refused(std::string("\x01\x05\x00\x00\x00hello", 10), 5, "stored block's length check fails");
  }
  SECTION("stored block cut short") {
    refused(std::string("\x01\x05\x00\xfa\xffhel", 8), 5, "ends inside a stored block");
  }
  SECTION("back-reference before the start") {
    refused(std::string("\x03\x02\x00", 3), 3, "back-reference before the start");
  }
  SECTION("empty input") { refused("", 1, "ends early"); }
  SECTION("CRC-32 of a known string") {
    const std::string text = "123456789";
    REQUIRE(detail::crc32_update(0, text.data(), text.size()) == 0xcbf43926u);
  }
}
