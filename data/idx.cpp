// reel/data/idx.cpp — gzip members (RFC 1952) and IDX files.
//
// The deflate decoding and the CRC-32 are the ones the .npz reader uses (nn/serialize_internal.h); this file
// adds the gzip framing around them: the 10-byte header with its optional extra field, name, comment and
// header CRC, then the deflate stream, then CRC-32 and length of the data (mod 2^32) in the 8-byte trailer.
// Every field is checked against the bytes really there before it is used.
#include "idx.h"

#include <cstring>

#include "../nn/serialize_internal.h"
#include "../tensor/shape.h"

namespace reel::data {

using serialize::detail::FileContext;

namespace {

constexpr uint8_t kGzipMagic0 = 0x1f;
constexpr uint8_t kGzipMagic1 = 0x8b;
constexpr uint8_t kGzipText = 0x01, kGzipHeaderCrc = 0x02, kGzipExtra = 0x04, kGzipName = 0x08, kGzipComment = 0x10;

std::vector<uint8_t> read_whole_file(const FileContext& context) {
  serialize::detail::FileReader reader(context);
  std::vector<uint8_t> bytes(static_cast<size_t>(reader.size()));
  reader.read(0, bytes.data(), bytes.size());
  return bytes;
}

bool is_gzip(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 2 && bytes[0] == kGzipMagic0 && bytes[1] == kGzipMagic1;
}

// The data of the single gzip member in `file`.
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& file, const FileContext& context) {
  const size_t size = file.size();
  if (size < 18) context.fail(fmt::format("a gzip file needs at least 18 bytes (header and trailer), this one has {}", size));
  if (file[2] != 8) context.fail(fmt::format("gzip compression method {} is not deflate (8)", file[2]));
  const uint8_t flags = file[3];
  if ((flags & 0xe0) != 0) context.fail(fmt::format("gzip header has reserved flag bits set (flags 0x{:02x})", flags));
  size_t position = 10;
  const size_t body_end = size - 8;  // the trailer's start
  if (flags & kGzipExtra) {
    if (body_end - position < 2) context.fail("gzip header ends inside the extra field's length");
    const size_t extra = serialize::detail::load_le16(file.data() + position);
    position += 2;
    if (body_end - position < extra) context.fail(fmt::format("gzip extra field of {} bytes runs past the data", extra));
    position += extra;
  }
  for (uint8_t field : {kGzipName, kGzipComment}) {
    if ((flags & field) == 0) continue;
    const void* end = std::memchr(file.data() + position, 0, body_end - position);
    if (end == nullptr) {
      context.fail(fmt::format("gzip header's {} has no terminating zero byte", field == kGzipName ? "file name" : "comment"));
    }
    position = static_cast<size_t>(static_cast<const uint8_t*>(end) - file.data()) + 1;
  }
  if (flags & kGzipHeaderCrc) {
    if (body_end - position < 2) context.fail("gzip header ends inside its header CRC");
    const uint16_t stored = serialize::detail::load_le16(file.data() + position);
    const uint16_t actual = static_cast<uint16_t>(serialize::detail::crc32_update(0, file.data(), position) & 0xffffu);
    if (stored != actual) {
      context.fail(fmt::format("gzip header CRC mismatch: stored 0x{:04x}, computed 0x{:04x}", stored, actual));
    }
    position += 2;
  }
  (void)kGzipText;  // FTEXT is only a hint about the content
  const uint32_t stored_crc = serialize::detail::load_le32(file.data() + body_end);
  const uint32_t stored_size = serialize::detail::load_le32(file.data() + body_end + 4);
  std::vector<uint8_t> data =
      serialize::detail::inflate(file.data() + position, body_end - position, stored_size, context);
  const uint32_t actual_crc = serialize::detail::crc32_update(0, data.data(), data.size());
  if (actual_crc != stored_crc) {
    context.fail(fmt::format("gzip CRC-32 mismatch: the trailer says 0x{:08x}, the data gives 0x{:08x}", stored_crc,
                             actual_crc));
  }
  return data;
}

std::string idx_type_name(uint8_t code) {
  switch (code) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "short";
    case 0x0C: return "int";
    case 0x0D: return "float";
    case 0x0E: return "double";
    default: return "unknown";
  }
}

// Big-endian values of `count` elements of `width` bytes, byte-swapped into `out` (native little-endian).
void copy_big_endian(const uint8_t* in, uint8_t* out, int64_t count, int width) {
  for (int64_t i = 0; i < count; ++i) {
    for (int b = 0; b < width; ++b) out[i * width + b] = in[i * width + (width - 1 - b)];
  }
}

Tensor parse_idx(const std::vector<uint8_t>& bytes, const FileContext& context) {
  if (bytes.size() < 4) context.fail(fmt::format("an IDX file needs a 4-byte magic number, this one has {} bytes", bytes.size()));
  if (bytes[0] != 0 || bytes[1] != 0) {
    context.fail(fmt::format("bad IDX magic number {:02x} {:02x} {:02x} {:02x}: it must start with 00 00", bytes[0],
                             bytes[1], bytes[2], bytes[3]));
  }
  const uint8_t type = bytes[2];
  ScalarType dtype;
  int width = 1;
  switch (type) {
    case 0x08: dtype = kUInt8; width = 1; break;
    case 0x0C: dtype = kInt32; width = 4; break;
    case 0x0D: dtype = kFloat32; width = 4; break;
    case 0x0E: dtype = kFloat64; width = 8; break;
    default:
      context.fail(fmt::format("IDX element type 0x{:02x} ({}) is not supported (reel reads 0x08, 0x0C, 0x0D, 0x0E)",
                               type, idx_type_name(type)));
  }
  const size_t ndims = bytes[3];
  if (bytes.size() - 4 < 4 * ndims) {
    context.fail(fmt::format("truncated IDX header: {} dimensions need {} bytes of sizes, the file has {}", ndims,
                             4 * ndims, bytes.size() - 4));
  }
  std::vector<int64_t> sizes(ndims);
  for (size_t d = 0; d < ndims; ++d) {
    const uint8_t* p = bytes.data() + 4 + 4 * d;
    sizes[d] = (int64_t{p[0]} << 24) | (int64_t{p[1]} << 16) | (int64_t{p[2]} << 8) | int64_t{p[3]};
  }
  const uint64_t nbytes = serialize::detail::checked_nbytes(sizes, width, context, "the IDX data");
  const uint64_t available = bytes.size() - 4 - 4 * ndims;
  if (available < nbytes) {
    context.fail(fmt::format("truncated IDX data: dims {} of {} need {} bytes, the file holds {}", shape_str(sizes),
                             idx_type_name(type), nbytes, available));
  }
  if (available > nbytes) {
    context.fail(fmt::format("{} bytes follow the IDX data of dims {} ({} bytes)", available - nbytes, shape_str(sizes),
                             nbytes));
  }
  Tensor out = Tensor::make(sizes, dtype, Device(kCPU), "read_idx");
  const uint8_t* data = bytes.data() + 4 + 4 * ndims;
  if (nbytes > 0) {
    if (width == 1) {
      std::memcpy(out.data_ptr(), data, nbytes);
    } else {
      copy_big_endian(data, static_cast<uint8_t*>(out.data_ptr()), out.numel(), width);
    }
  }
  return out;
}

}  // namespace

std::vector<uint8_t> read_maybe_gzip(const std::string& path) {
  const FileContext context{"read_maybe_gzip", path, ""};
  std::vector<uint8_t> bytes = read_whole_file(context);
  return is_gzip(bytes) ? gunzip(bytes, context) : bytes;
}

Tensor read_idx(const std::string& path) {
  const FileContext context{"read_idx", path, ""};
  std::vector<uint8_t> bytes = read_whole_file(context);
  if (is_gzip(bytes)) bytes = gunzip(bytes, context);
  return parse_idx(bytes, context);
}

}  // namespace reel::data
