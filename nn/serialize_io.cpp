// reel/nn/serialize_io.cpp — the file plumbing of nn/serialize.h: error messages that name the file, bounded
// reads (pread, every range checked against the file's size), atomic writes (temporary file, fsync, rename,
// directory fsync), tensor allocation from validated shapes, UTF-8 validation and CRC-32.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>

#include "../tensor/error_format.h"
#include "serialize_internal.h"

namespace reel::serialize::detail {

static_assert(std::endian::native == std::endian::little,
              "reel's file formats store little-endian data and are read by copying bytes; a big-endian host "
              "would need byte swaps here");

// ---- errors ---------------------------------------------------------------------------------------------
void FileContext::fail(const std::string& problem) const {
  if (member.empty()) throw Error(fmt::format("{}: '{}': {}", op, path, problem));
  throw Error(fmt::format("{}: '{}': member {}: {}", op, path, quoted(member), problem));
}

void FileContext::fail_errno(const std::string& problem, int errno_value) const {
  fail(fmt::format("{}: {}", problem, std::strerror(errno_value)));
}

// ---- reading --------------------------------------------------------------------------------------------
FileReader::FileReader(const FileContext& context) : context_(context) {
  do {
    fd_ = ::open(context.path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd_ < 0 && errno == EINTR);
  if (fd_ < 0) context.fail_errno("cannot open the file", errno);
  struct stat info {};
  if (::fstat(fd_, &info) != 0) {
    const int saved = errno;
    ::close(fd_);
    fd_ = -1;
    context.fail_errno("cannot stat the file", saved);
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    context.fail(S_ISDIR(info.st_mode) ? "is a directory, not a file" : "is not a regular file");
  }
  size_ = static_cast<uint64_t>(info.st_size);
}

FileReader::~FileReader() {
  if (fd_ >= 0) ::close(fd_);
}

void FileReader::read(uint64_t offset, void* destination, uint64_t n) {
  if (offset > size_ || n > size_ - offset) {
    context_.fail(
        fmt::format("a read of {} bytes at offset {} runs past the end of the file ({} bytes)", n, offset, size_));
  }
  auto* out = static_cast<uint8_t*>(destination);
  while (n > 0) {
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, uint64_t{1} << 30));
    const ssize_t got = ::pread(fd_, out, chunk, static_cast<off_t>(offset));
    if (got < 0) {
      if (errno == EINTR) continue;
      context_.fail_errno(fmt::format("reading {} bytes at offset {} failed", chunk, offset), errno);
    }
    if (got == 0)
      context_.fail(fmt::format("the file ended at offset {} while being read (was it truncated?)", offset));
    out += got;
    offset += static_cast<uint64_t>(got);
    n -= static_cast<uint64_t>(got);
  }
}

void MemorySource::read(uint64_t offset, void* destination, uint64_t n) {
  if (offset > bytes_.size() || n > bytes_.size() - offset) {
    context_.fail(fmt::format("a read of {} bytes at offset {} runs past the end of the data ({} bytes)", n, offset,
                              bytes_.size()));
  }
  if (n > 0) std::memcpy(destination, bytes_.data() + offset, n);
}

// ---- atomic writes --------------------------------------------------------------------------------------
namespace {
constexpr size_t kWriteBufferBytes = size_t{1} << 20;
std::atomic<uint64_t> temp_file_counter{0};

std::string directory_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}
}  // namespace

AtomicFileWriter::AtomicFileWriter(const FileContext& context) : context_(context) {
  if (context.path.empty()) context.fail("the path is empty");
  temp_path_ = fmt::format("{}.tmp.{}.{}", context.path, static_cast<long>(::getpid()), temp_file_counter++);
  do {
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  } while (fd_ < 0 && errno == EINTR);
  if (fd_ < 0) context.fail_errno(fmt::format("cannot create the temporary file '{}'", temp_path_), errno);
  // A replaced file keeps its permissions, as it would when overwritten in place.
  struct stat previous {};
  if (::stat(context.path.c_str(), &previous) == 0 && S_ISREG(previous.st_mode)) {
    (void)::fchmod(fd_, previous.st_mode & 07777);
  }
  buffer_.reserve(kWriteBufferBytes);
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

void AtomicFileWriter::write_to_fd(const uint8_t* data, uint64_t n) {
  while (n > 0) {
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, uint64_t{1} << 30));
    const ssize_t written = ::write(fd_, data, chunk);
    if (written < 0) {
      if (errno == EINTR) continue;
      context_.fail_errno(fmt::format("writing the temporary file '{}' failed", temp_path_), errno);
    }
    data += written;
    n -= static_cast<uint64_t>(written);
  }
}

void AtomicFileWriter::flush_buffer() {
  if (buffer_.empty()) return;
  write_to_fd(buffer_.data(), buffer_.size());
  buffer_.clear();
}

void AtomicFileWriter::write(const void* data, uint64_t n) {
  if (n == 0) return;
  const auto* bytes = static_cast<const uint8_t*>(data);
  if (n <= kWriteBufferBytes - buffer_.size()) {
    buffer_.insert(buffer_.end(), bytes, bytes + n);
  } else {
    flush_buffer();
    if (n < kWriteBufferBytes) {
      buffer_.insert(buffer_.end(), bytes, bytes + n);
    } else {
      write_to_fd(bytes, n);
    }
  }
  position_ += n;
}

void AtomicFileWriter::commit() {
  flush_buffer();
  if (::fsync(fd_) != 0) context_.fail_errno(fmt::format("fsync of '{}' failed", temp_path_), errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) context_.fail_errno(fmt::format("closing '{}' failed", temp_path_), errno);
  if (::rename(temp_path_.c_str(), context_.path.c_str()) != 0) {
    context_.fail_errno(fmt::format("renaming the temporary file '{}' over it failed", temp_path_), errno);
  }
  committed_ = true;
  // Make the rename itself durable. Best effort: some file systems refuse fsync on a directory, and the new
  // file is complete under its name either way.
  const int dir = ::open(directory_of(context_.path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
}

// ---- tensors --------------------------------------------------------------------------------------------
Tensor contiguous_cpu(const Tensor& tensor) {
  Tensor cpu = tensor.is_cpu() ? tensor : tensor.cpu();
  return cpu.is_contiguous() ? cpu : cpu.contiguous();
}

uint64_t checked_nbytes(const std::vector<int64_t>& sizes, int64_t element_size, const FileContext& context,
                        const std::string& what) {
  if (sizes.size() > kMaxDims)
    context.fail(fmt::format("{} has {} dims; at most {} are supported", what, sizes.size(), kMaxDims));
  int64_t nonzero_product = element_size;
  bool has_zero = false;
  for (int64_t size : sizes) {
    if (size < 0) context.fail(fmt::format("{} has a negative size {}", what, size));
    if (size == 0) {
      has_zero = true;
      continue;
    }
    if (__builtin_mul_overflow(nonzero_product, size, &nonzero_product)) {
      context.fail(fmt::format("{} has shape {}, whose byte count overflows 64 bits", what, shape_str(sizes)));
    }
  }
  return has_zero ? 0 : static_cast<uint64_t>(nonzero_product);
}

Tensor read_tensor(ByteSource& source, uint64_t offset, const std::vector<int64_t>& sizes, ScalarType dtype,
                   const FileContext& context) {
  const uint64_t nbytes = checked_nbytes(sizes, element_size(dtype), context, "the tensor");
  if (offset > source.size() || nbytes > source.size() - offset) {
    context.fail(fmt::format("the tensor's {} bytes at offset {} run past the end of the data ({} bytes)", nbytes,
                             offset, source.size()));
  }
  Tensor tensor = Tensor::make(sizes, dtype, Device(kCPU), context.op);
  if (nbytes == 0) return tensor;
  auto* data = static_cast<uint8_t*>(tensor.data_ptr());
  source.read(offset, data, nbytes);
  if (dtype == kBool) {
    for (uint64_t i = 0; i < nbytes; ++i) data[i] = data[i] != 0 ? 1 : 0;
  }
  return tensor;
}

// ---- text -----------------------------------------------------------------------------------------------
size_t find_invalid_utf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const uint8_t lead = bytes[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    uint32_t code;
    uint32_t minimum;
    if ((lead & 0xe0) == 0xc0) {
      length = 2, code = lead & 0x1fu, minimum = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
      length = 3, code = lead & 0x0fu, minimum = 0x800;
    } else if ((lead & 0xf8) == 0xf0) {
      length = 4, code = lead & 0x07u, minimum = 0x10000;
    } else {
      return i;
    }
    if (n - i < length) return i;
    for (size_t k = 1; k < length; ++k) {
      if ((bytes[i + k] & 0xc0) != 0x80) return i;
      code = (code << 6) | (bytes[i + k] & 0x3fu);
    }
    if (code < minimum || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += length;
  }
  return std::string_view::npos;
}

std::string quoted(std::string_view text) {
  constexpr size_t kShown = 120;
  const bool valid = find_invalid_utf8(text) == std::string_view::npos;
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < kShown; ++i) {
    const auto byte = static_cast<uint8_t>(text[i]);
    if (byte < 0x20 || byte == 0x7f || byte == '\\' || (byte >= 0x80 && !valid)) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out.push_back(static_cast<char>(byte));
    }
  }
  if (text.size() > kShown) out += "...";
  out.push_back('\'');
  return out;
}

// ---- CRC-32 (slice-by-8) --------------------------------------------------------------------------------
namespace {
using CrcTables = std::array<std::array<uint32_t, 256>, 8>;

constexpr CrcTables make_crc_tables() {
  CrcTables tables{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    tables[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (size_t t = 1; t < 8; ++t) tables[t][i] = (tables[t - 1][i] >> 8) ^ tables[0][tables[t - 1][i] & 0xffu];
  }
  return tables;
}
constexpr CrcTables kCrcTables = make_crc_tables();
}  // namespace

uint32_t crc32_update(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t c = ~crc;
  while (n >= 8) {
    const uint32_t low = c ^ load_le32(p);
    const uint32_t high = load_le32(p + 4);
    c = kCrcTables[7][low & 0xffu] ^ kCrcTables[6][(low >> 8) & 0xffu] ^ kCrcTables[5][(low >> 16) & 0xffu] ^
        kCrcTables[4][low >> 24] ^ kCrcTables[3][high & 0xffu] ^ kCrcTables[2][(high >> 8) & 0xffu] ^
        kCrcTables[1][(high >> 16) & 0xffu] ^ kCrcTables[0][high >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = kCrcTables[0][(c ^ *p++) & 0xffu] ^ (c >> 8);
  return ~c;
}

}  // namespace reel::serialize::detail
