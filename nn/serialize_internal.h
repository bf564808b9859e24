// reel/nn/serialize_internal.h — the pieces shared by the file-format readers and writers of serialize.h
// (safetensors.cpp, npy.cpp, npz.cpp): error context, bounded file reads, atomic writes, UTF-8 checks, the
// small JSON parser and writer of the safetensors header, CRC-32, and the deflate decoder of .npz members.
//
// Not part of the public API. Everything that reads outside input takes explicit sizes and checks them
// before touching memory: a reader never trusts a length it has not compared with what is really there.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../tensor/error_format.h"
#include "../tensor/tensor.h"

namespace reel::serialize::detail {

// Where an error happened: "load_npz: 'model.npz': member 'w.npy': <problem>".
struct FileContext {
  const char* op;
  std::string path;
  std::string member;  // the archive member being read, or empty

  [[noreturn]] void fail(const std::string& problem) const;
  // Same, with ": <strerror(errno_value)>" appended.
  [[noreturn]] void fail_errno(const std::string& problem, int errno_value) const;
};

// Random access to a byte range: a whole file, part of one, or memory. read() copies exactly `n` bytes at
// `offset`; the range is re-checked against size() so a bad caller gets an error, not an overrun.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  virtual void read(uint64_t offset, void* destination, uint64_t n) = 0;
};

// A regular file opened for reading (pread, so reads never move a shared cursor).
class FileReader final : public ByteSource {
 public:
  explicit FileReader(const FileContext& context);
  ~FileReader() override;
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;
  uint64_t size() const override { return size_; }
  void read(uint64_t offset, void* destination, uint64_t n) override;

 private:
  const FileContext& context_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// Bytes already in memory (a decompressed archive member).
class MemorySource final : public ByteSource {
 public:
  MemorySource(const FileContext& context, const std::vector<uint8_t>& bytes) : context_(context), bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  void read(uint64_t offset, void* destination, uint64_t n) override;

 private:
  const FileContext& context_;
  const std::vector<uint8_t>& bytes_;
};

// A new file written under a temporary name and renamed over `path` by commit(). Until commit() succeeds the
// previous file at `path` is untouched; the destructor of an uncommitted writer removes the temporary.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(const FileContext& context);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  void write(const void* data, uint64_t n);
  void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }
  uint64_t position() const { return position_; }
  void commit();  // flush, fsync, close, rename over path, fsync the directory

 private:
  void flush_buffer();
  void write_to_fd(const uint8_t* data, uint64_t n);

  const FileContext& context_;
  std::string temp_path_;
  int fd_ = -1;
  bool committed_ = false;
  uint64_t position_ = 0;
  std::vector<uint8_t> buffer_;
};

// ---- tensors --------------------------------------------------------------------------------------------
// The tensor's bytes, contiguous and on the CPU (the tensor itself when it already is).
Tensor contiguous_cpu(const Tensor& tensor);
// Allocates a CPU tensor of `sizes` (validated non-negative, product within int64) and reads its bytes from
// `source` at `offset`. Booleans other than 0 and 1 are normalised to 1.
Tensor read_tensor(ByteSource& source, uint64_t offset, const std::vector<int64_t>& sizes, ScalarType dtype,
                   const FileContext& context);
// Product of `sizes` times `element_size` in bytes, or an error naming `what` when it does not fit in 63
// bits. Zero-sized dims do not hide an overflow of the others.
uint64_t checked_nbytes(const std::vector<int64_t>& sizes, int64_t element_size, const FileContext& context,
                        const std::string& what);
inline constexpr size_t kMaxDims = 64;

// ---- .npy (shared by npy.cpp and npz.cpp) ------------------------------------------------------------------
// The complete .npy header (magic, version, length, dict, padding) numpy.save writes for a C-ordered array
// of this dtype and shape. bfloat16, which NumPy lacks, is an error naming `what`.
std::string npy_header(ScalarType dtype, IntList sizes, const FileContext& context, const std::string& what);
// Parses a whole .npy image from `source` (header, then exactly the data it declares) into a CPU tensor.
Tensor read_npy(ByteSource& source, const FileContext& context);

// ---- text -----------------------------------------------------------------------------------------------
// The offset of the first byte that breaks UTF-8 (overlong forms, surrogates and code points past U+10FFFF
// are invalid), or npos when the whole text is valid.
size_t find_invalid_utf8(std::string_view text);
// `text` in single quotes with non-printable bytes as \xNN, for error messages.
std::string quoted(std::string_view text);

// ---- JSON (the safetensors header) ---------------------------------------------------------------------
struct JsonValue {
  enum class Kind : uint8_t { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  std::string text;  // String: the decoded UTF-8 text; Number: the literal as written
  std::vector<JsonValue> items;
  std::vector<std::pair<std::string, JsonValue>> members;  // in file order; duplicates are kept
  // Declared here, defined in serialize_json.cpp: clang before 16 instantiates the implicit ones while
  // JsonValue is still incomplete (the pair in `members`) and fails with libstdc++'s C++20 vector.
  JsonValue();
  JsonValue(const JsonValue&);
  JsonValue(JsonValue&&) noexcept;
  JsonValue& operator=(const JsonValue&);
  JsonValue& operator=(JsonValue&&) noexcept;
  ~JsonValue();
};
inline constexpr int kMaxJsonDepth = 64;
// Parses one JSON value filling the whole text (surrounding whitespace allowed). Errors say "bad JSON
// header: <what> at byte <n>" through `context`. Strings must decode to valid UTF-8 (no lone surrogates).
JsonValue parse_json(std::string_view text, const FileContext& context);
// The value of a number literal that is a plain non-negative integer within uint64, else false.
bool json_to_uint64(const JsonValue& value, uint64_t* out);
// Appends `text` as a JSON string the way serde_json writes it (the Python library's serializer):
// `"` and `\` escaped, \b \f \n \r \t, other control bytes as \u00XX, everything else verbatim.
void append_json_string(std::string& out, std::string_view text);
const char* json_kind_name(JsonValue::Kind kind);

// ---- zip support ---------------------------------------------------------------------------------------
// CRC-32 (ISO-HDLC, as zip and zlib use), continuing from `crc` (0 to start).
uint32_t crc32_update(uint32_t crc, const void* data, size_t n);
// Decodes a raw deflate stream (RFC 1951) that must produce exactly `expected_size` bytes. The output grows
// as data is really decoded, so a member that lies about its size cannot make it allocate beyond what its
// compressed bytes produce.
std::vector<uint8_t> inflate(const uint8_t* input, size_t input_size, uint64_t expected_size,
                             const FileContext& context);

// Little-endian fields of the binary formats.
inline uint16_t load_le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline uint32_t load_le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}
inline uint64_t load_le64(const uint8_t* p) {
  return static_cast<uint64_t>(load_le32(p)) | (static_cast<uint64_t>(load_le32(p + 4)) << 32);
}
inline void append_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xffu));
}

}  // namespace reel::serialize::detail
