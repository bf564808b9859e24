// reel/nn/npz.cpp — NumPy's .npz archives: save_npz / load_npz (nn/serialize.h).
//
// An .npz file is a zip archive with one "<name>.npy" member per array. Writing: stored (uncompressed)
// members with their CRC-32, dated 1980-01-01 as numpy.savez dates them (so equal inputs give equal files),
// with zip64 size fields throughout — local headers carry them as numpy's writer does, and the central
// directory and end records always use the zip64 forms, so the one code path covers archives past 4 GiB.
// Reading: the central directory is the authority (found through the end record, zip64 or not); every
// offset and size is checked against the file before use, each local header must agree on the name, member
// data may not overlap or run into the central directory, stored members are read straight into the tensor
// and deflate members are decompressed with a bounded output; both are checked against their CRC-32.
#include <algorithm>
#include <set>

#include "serialize.h"
#include "serialize_internal.h"

namespace reel::serialize {

using detail::append_le;
using detail::FileContext;
using detail::load_le16;
using detail::load_le32;
using detail::load_le64;

namespace {

constexpr uint32_t kLocalSignature = 0x04034b50;
constexpr uint32_t kCentralSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint64_t kLocalHeaderBytes = 30;
constexpr uint64_t kCentralHeaderBytes = 46;
constexpr uint64_t kEndBytes = 22;
constexpr uint64_t kZip64EndBytes = 56;
constexpr uint64_t kZip64LocatorBytes = 20;
constexpr uint32_t kVersion45 = 45;         // zip64
constexpr uint32_t kMadeByUnix45 = 0x032d;  // made on Unix by a 4.5 writer
constexpr uint32_t kDosDate1980 = 0x0021;   // 1980-01-01, time 00:00
constexpr uint32_t kUtf8NameFlag = 0x0800;
constexpr uint32_t kRegularFile0644 = 0100644u << 16;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr const char* kNpySuffix = ".npy";

// A stored member read in order, its CRC-32 accumulated on the way (read_npy reads front to back).
class StoredMemberSource final : public detail::ByteSource {
 public:
  StoredMemberSource(detail::FileReader& file, uint64_t start, uint64_t size, const FileContext& context)
      : file_(file), start_(start), size_(size), context_(context) {}
  uint64_t size() const override { return size_; }
  void read(uint64_t offset, void* destination, uint64_t n) override {
    if (offset != consumed_) context_.fail("internal error: a stored member was not read front to back");
    if (offset > size_ || n > size_ - offset) context_.fail("a read runs past the end of the member");
    file_.read(start_ + offset, destination, n);
    crc_ = detail::crc32_update(crc_, destination, static_cast<size_t>(n));
    consumed_ += n;
  }
  uint64_t consumed() const { return consumed_; }
  uint32_t crc() const { return crc_; }

 private:
  detail::FileReader& file_;
  uint64_t start_;
  uint64_t size_;
  const FileContext& context_;
  uint64_t consumed_ = 0;
  uint32_t crc_ = 0;
};

struct Member {
  std::string name;
  uint32_t flags = 0;
  uint32_t method = 0;
  uint32_t crc = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;
  uint64_t local_offset = 0;
  uint64_t data_start = 0;
};

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<uint8_t>(c) < 0x80; });
}

void check_crc(const FileContext& context, uint32_t expected, uint32_t computed) {
  if (expected != computed) {
    context.fail(fmt::format("CRC-32 mismatch: the archive records 0x{:08x}, the data gives 0x{:08x} (corrupt?)",
                             expected, computed));
  }
}

// Reads the zip64 extra field of a central directory entry: the fields whose 32-bit value is 0xffffffff.
void apply_zip64_extra(const uint8_t* extra, size_t extra_bytes, Member& member, const FileContext& context) {
  size_t p = 0;
  while (extra_bytes - p >= 4) {
    const uint16_t id = load_le16(extra + p);
    const uint16_t field_bytes = load_le16(extra + p + 2);
    p += 4;
    if (field_bytes > extra_bytes - p) context.fail("an extra field runs past its entry");
    if (id == kZip64ExtraId) {
      const uint8_t* field = extra + p;
      size_t used = 0;
      for (uint64_t* value : {&member.size, &member.compressed_size, &member.local_offset}) {
        if (*value != 0xffffffffu) continue;
        if (field_bytes - used < 8) context.fail("the zip64 extra field is too short");
        *value = load_le64(field + used);
        used += 8;
      }
    }
    p += field_bytes;
  }
}

}  // namespace

// ---- save -----------------------------------------------------------------------------------------------
void save_npz(const std::string& path, const NamedTensors& tensors) {
  const FileContext context{"save_npz", path, {}};
  struct Prepared {
    std::string member_name;
    std::string header;
    Tensor data;
    uint32_t crc;
    uint64_t size;
    uint64_t local_offset;
  };
  std::vector<Prepared> members;
  std::set<std::string_view> names;
  for (const auto& [name, tensor] : tensors) {
    const std::string what = "tensor " + detail::quoted(name);
    if (name.empty()) context.fail("a tensor name is empty");
    if (detail::find_invalid_utf8(name) != std::string_view::npos) context.fail(what + ": the name is not valid UTF-8");
    if (!names.insert(name).second) context.fail(what + " is given twice");
    if (!tensor.defined()) context.fail(what + " is undefined");
    Prepared prepared{name + kNpySuffix,
                      detail::npy_header(tensor.dtype(), tensor.sizes(), context, what),
                      detail::contiguous_cpu(tensor),
                      0,
                      0,
                      0};
    if (prepared.member_name.size() > 0xffff) context.fail(what + ": the name is longer than zip allows");
    const auto nbytes = static_cast<uint64_t>(prepared.data.nbytes());
    prepared.crc = detail::crc32_update(0, prepared.header.data(), prepared.header.size());
    if (nbytes > 0) prepared.crc = detail::crc32_update(prepared.crc, prepared.data.data_ptr(), nbytes);
    prepared.size = prepared.header.size() + nbytes;
    members.push_back(std::move(prepared));
  }

  detail::AtomicFileWriter out(context);
  for (Prepared& member : members) {
    member.local_offset = out.position();
    const uint32_t flags = is_ascii(member.member_name) ? 0 : kUtf8NameFlag;
    std::string local;
    append_le(local, kLocalSignature, 4);
    append_le(local, kVersion45, 2);
    append_le(local, flags, 2);
    append_le(local, 0, 2);  // stored
    append_le(local, 0, 2);  // time
    append_le(local, kDosDate1980, 2);
    append_le(local, member.crc, 4);
    append_le(local, 0xffffffffu, 4);  // compressed size: in the zip64 extra field
    append_le(local, 0xffffffffu, 4);  // size: in the zip64 extra field
    append_le(local, member.member_name.size(), 2);
    append_le(local, 20, 2);
    local += member.member_name;
    append_le(local, kZip64ExtraId, 2);
    append_le(local, 16, 2);
    append_le(local, member.size, 8);
    append_le(local, member.size, 8);
    out.write(local);
    out.write(member.header);
    if (member.data.numel() > 0) out.write(member.data.data_ptr(), static_cast<uint64_t>(member.data.nbytes()));
  }

  const uint64_t directory_offset = out.position();
  for (const Prepared& member : members) {
    std::string central;
    append_le(central, kCentralSignature, 4);
    append_le(central, kMadeByUnix45, 2);
    append_le(central, kVersion45, 2);
    append_le(central, is_ascii(member.member_name) ? 0 : kUtf8NameFlag, 2);
    append_le(central, 0, 2);  // stored
    append_le(central, 0, 2);  // time
    append_le(central, kDosDate1980, 2);
    append_le(central, member.crc, 4);
    append_le(central, 0xffffffffu, 4);
    append_le(central, 0xffffffffu, 4);
    append_le(central, member.member_name.size(), 2);
    append_le(central, 28, 2);  // extra field bytes
    append_le(central, 0, 2);   // comment bytes
    append_le(central, 0, 2);   // disk
    append_le(central, 0, 2);   // internal attributes
    append_le(central, kRegularFile0644, 4);
    append_le(central, 0xffffffffu, 4);  // local header offset: in the zip64 extra field
    central += member.member_name;
    append_le(central, kZip64ExtraId, 2);
    append_le(central, 24, 2);
    append_le(central, member.size, 8);
    append_le(central, member.size, 8);
    append_le(central, member.local_offset, 8);
    out.write(central);
  }
  const uint64_t directory_bytes = out.position() - directory_offset;
  const uint64_t zip64_end_offset = out.position();
  std::string end;
  append_le(end, kZip64EndSignature, 4);
  append_le(end, kZip64EndBytes - 12, 8);
  append_le(end, kMadeByUnix45, 2);
  append_le(end, kVersion45, 2);
  append_le(end, 0, 4);
  append_le(end, 0, 4);
  append_le(end, members.size(), 8);
  append_le(end, members.size(), 8);
  append_le(end, directory_bytes, 8);
  append_le(end, directory_offset, 8);
  append_le(end, kZip64LocatorSignature, 4);
  append_le(end, 0, 4);
  append_le(end, zip64_end_offset, 8);
  append_le(end, 1, 4);
  append_le(end, kEndSignature, 4);
  append_le(end, 0, 2);
  append_le(end, 0, 2);
  append_le(end, std::min<uint64_t>(members.size(), 0xffff), 2);
  append_le(end, std::min<uint64_t>(members.size(), 0xffff), 2);
  append_le(end, std::min<uint64_t>(directory_bytes, 0xffffffffu), 4);
  append_le(end, std::min<uint64_t>(directory_offset, 0xffffffffu), 4);
  append_le(end, 0, 2);
  out.write(end);
  out.commit();
}

// ---- load -----------------------------------------------------------------------------------------------
NamedTensors load_npz(const std::string& path) {
  const FileContext context{"load_npz", path, {}};
  detail::FileReader file(context);
  const uint64_t file_size = file.size();
  if (file_size < kEndBytes) {
    context.fail(fmt::format("the file is {} bytes, too short for a zip archive (truncated?)", file_size));
  }

  // The end record: the last signature whose comment length reaches exactly to the end of the file.
  const uint64_t tail_bytes = std::min<uint64_t>(file_size, kEndBytes + 0xffff);
  const uint64_t tail_start = file_size - tail_bytes;
  std::vector<uint8_t> tail(tail_bytes);
  file.read(tail_start, tail.data(), tail_bytes);
  int64_t end_at = -1;
  for (int64_t p = static_cast<int64_t>(tail_bytes - kEndBytes); p >= 0; --p) {
    if (load_le32(&tail[p]) == kEndSignature && kEndBytes + load_le16(&tail[p + 20]) == tail_bytes - p) {
      end_at = p;
      break;
    }
  }
  if (end_at < 0) {
    uint8_t head[4] = {};
    file.read(0, head, 4);
    if (load_le32(head) == kLocalSignature) context.fail("the zip archive has no end record (truncated?)");
    context.fail("not a zip archive: wrong magic bytes and no end-of-central-directory record");
  }
  const uint8_t* end = &tail[end_at];
  const uint64_t end_offset = tail_start + static_cast<uint64_t>(end_at);
  uint64_t disk = load_le16(end + 4), directory_disk = load_le16(end + 6);
  uint64_t entries_here = load_le16(end + 8), entries = load_le16(end + 10);
  uint64_t directory_bytes = load_le32(end + 12), directory_offset = load_le32(end + 16);
  uint64_t directory_limit = end_offset;  // the central directory must end before this

  bool zip64 = false;
  if (end_offset >= kZip64LocatorBytes) {
    uint8_t locator[kZip64LocatorBytes];
    file.read(end_offset - kZip64LocatorBytes, locator, kZip64LocatorBytes);
    zip64 = load_le32(locator) == kZip64LocatorSignature;
    if (zip64) {
      const uint64_t record_offset = load_le64(locator + 8);
      const uint64_t locator_offset = end_offset - kZip64LocatorBytes;
      if (locator_offset < kZip64EndBytes || record_offset > locator_offset - kZip64EndBytes) {
        context.fail(fmt::format("the zip64 end record offset {} lies outside the archive", record_offset));
      }
      uint8_t record[kZip64EndBytes];
      file.read(record_offset, record, kZip64EndBytes);
      if (load_le32(record) != kZip64EndSignature) context.fail("the zip64 end record has a wrong signature");
      disk = load_le32(record + 16);
      directory_disk = load_le32(record + 20);
      entries_here = load_le64(record + 24);
      entries = load_le64(record + 32);
      directory_bytes = load_le64(record + 40);
      directory_offset = load_le64(record + 48);
      directory_limit = record_offset;
    }
  }
  if (disk != 0 || directory_disk != 0 || entries_here != entries) {
    context.fail("multi-disk zip archives are not supported");
  }
  if (directory_offset > directory_limit || directory_bytes > directory_limit - directory_offset) {
    context.fail(fmt::format("the central directory ({} bytes at offset {}) lies outside the archive ({} bytes)",
                             directory_bytes, directory_offset, file_size));
  }
  if (entries > directory_bytes / kCentralHeaderBytes) {
    context.fail(fmt::format("{} entries cannot fit in a central directory of {} bytes", entries, directory_bytes));
  }

  std::vector<uint8_t> directory(directory_bytes);
  file.read(directory_offset, directory.data(), directory_bytes);
  std::vector<Member> members;
  std::set<std::string> names;
  uint64_t p = 0;
  for (uint64_t i = 0; i < entries; ++i) {
    if (directory_bytes - p < kCentralHeaderBytes || load_le32(&directory[p]) != kCentralSignature) {
      context.fail(fmt::format("central directory entry {} is malformed", i));
    }
    const uint8_t* entry = &directory[p];
    Member member;
    member.flags = load_le16(entry + 8);
    member.method = load_le16(entry + 10);
    member.crc = load_le32(entry + 16);
    member.compressed_size = load_le32(entry + 20);
    member.size = load_le32(entry + 24);
    const uint64_t name_bytes = load_le16(entry + 28), extra_bytes = load_le16(entry + 30);
    const uint64_t comment_bytes = load_le16(entry + 32);
    const uint32_t disk_start = load_le16(entry + 34);
    member.local_offset = load_le32(entry + 42);
    if (directory_bytes - p - kCentralHeaderBytes < name_bytes + extra_bytes + comment_bytes) {
      context.fail(fmt::format("central directory entry {} runs past the directory", i));
    }
    member.name.assign(reinterpret_cast<const char*>(entry + kCentralHeaderBytes), name_bytes);
    const FileContext member_context{context.op, path, member.name};
    apply_zip64_extra(entry + kCentralHeaderBytes + name_bytes, extra_bytes, member, member_context);
    p += kCentralHeaderBytes + name_bytes + extra_bytes + comment_bytes;

    if (detail::find_invalid_utf8(member.name) != std::string_view::npos)
      member_context.fail("the name is not valid UTF-8");
    if (disk_start != 0 && disk_start != 0xffff) member_context.fail("multi-disk zip archives are not supported");
    if (member.flags & 1u) member_context.fail("the member is encrypted");
    if (member.method != 0 && member.method != 8) {
      member_context.fail(
          fmt::format("compression method {} is not supported (reel reads stored and deflate)", member.method));
    }
    if (member.method == 0 && member.compressed_size != member.size) {
      member_context.fail(fmt::format("a stored member of {} bytes records a compressed size of {}", member.size,
                                      member.compressed_size));
    }
    const size_t suffix = std::char_traits<char>::length(kNpySuffix);
    if (member.name.size() <= suffix || member.name.compare(member.name.size() - suffix, suffix, kNpySuffix) != 0) {
      member_context.fail("is not a .npy file (every member of an .npz archive must be)");
    }
    if (!names.insert(member.name).second) member_context.fail("appears twice in the archive");

    if (member.local_offset > directory_offset || directory_offset - member.local_offset < kLocalHeaderBytes) {
      member_context.fail(fmt::format("the local header offset {} lies outside the member data", member.local_offset));
    }
    uint8_t local[kLocalHeaderBytes];
    file.read(member.local_offset, local, kLocalHeaderBytes);
    if (load_le32(local) != kLocalSignature) member_context.fail("the local header has a wrong signature");
    const uint64_t local_name_bytes = load_le16(local + 26), local_extra_bytes = load_le16(local + 28);
    member.data_start = member.local_offset + kLocalHeaderBytes + local_name_bytes + local_extra_bytes;
    if (member.data_start > directory_offset || member.compressed_size > directory_offset - member.data_start) {
      member_context.fail(fmt::format("the member's {} bytes at offset {} run into the central directory",
                                      member.compressed_size, member.data_start));
    }
    std::string local_name(local_name_bytes, '\0');
    file.read(member.local_offset + kLocalHeaderBytes, local_name.data(), local_name_bytes);
    if (local_name != member.name) {
      member_context.fail(fmt::format("the local header names it {}", detail::quoted(local_name)));
    }
    members.push_back(std::move(member));
  }

  std::vector<const Member*> by_offset;
  for (const Member& member : members) by_offset.push_back(&member);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const Member* a, const Member* b) { return a->local_offset < b->local_offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const Member& before = *by_offset[i - 1];
    if (before.data_start + before.compressed_size > by_offset[i]->local_offset) {
      context.fail(
          fmt::format("members {} and {} overlap", detail::quoted(before.name), detail::quoted(by_offset[i]->name)));
    }
  }

  NamedTensors result;
  result.reserve(members.size());
  for (const Member& member : members) {
    const FileContext member_context{context.op, path, member.name};
    Tensor tensor;
    if (member.method == 0) {
      StoredMemberSource source(file, member.data_start, member.size, member_context);
      tensor = detail::read_npy(source, member_context);
      if (source.consumed() != member.size) member_context.fail("internal error: the member was not read whole");
      check_crc(member_context, member.crc, source.crc());
    } else {
      std::vector<uint8_t> compressed(member.compressed_size);
      file.read(member.data_start, compressed.data(), member.compressed_size);
      const std::vector<uint8_t> bytes =
          detail::inflate(compressed.data(), compressed.size(), member.size, member_context);
      check_crc(member_context, member.crc, detail::crc32_update(0, bytes.data(), bytes.size()));
      detail::MemorySource source(member_context, bytes);
      tensor = detail::read_npy(source, member_context);
    }
    result.emplace_back(member.name.substr(0, member.name.size() - 4), std::move(tensor));
  }
  return result;
}

}  // namespace reel::serialize
