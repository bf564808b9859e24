// reel/nn/serialize.h — saving and loading tensors: safetensors, NumPy's .npy and .npz.
//
// The files are the ones the Python world writes and reads:
//   - safetensors, byte for byte as the Python `safetensors` package writes it (8-byte little-endian header
//     length, a JSON header padded with spaces to a multiple of 8, then the raw little-endian data; tensors
//     ordered by descending dtype alignment, then by name; metadata keys sorted, where the reference uses
//     its hash map's order), so a reel checkpoint loads in PyTorch and back;
//   - .npy (NumPy format 1.0, 2.0 and 3.0; written byte for byte as `numpy.save`), one tensor per file;
//   - .npz, a zip archive of .npy members as `numpy.savez` writes it; reel writes stored (uncompressed)
//     members, and reads stored and deflate-compressed ones (`numpy.savez_compressed`).
//
// Saving makes each tensor contiguous and copies it to the CPU first. Every save is atomic: the bytes go to
// `<path>.tmp.<pid>.<n>`, which is flushed and fsync'ed, then renamed over `path` (and the directory synced),
// so a crash or an error mid-save leaves the previous file intact under `path`; on an error the temporary
// is removed. Loading validates every size and offset against the file before allocating or reading, and
// throws reel::Error naming the operation, the file and the problem (truncated file, header that lies about
// sizes or offsets, overlapping data, unknown dtype, malformed JSON, names that are not UTF-8, ...).
// Loaded tensors are on the CPU. reel::save / reel::load (nn/checkpoint.h) write modules, tensors, optimizers and
// schedulers with save_safetensors, their kind in the metadata.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "../tensor/tensor.h"

namespace reel::serialize {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
// A safetensors file's "__metadata__": key -> value (loaded in key order).
using SafetensorsMetadata = std::vector<std::pair<std::string, std::string>>;

// ---- safetensors ----------------------------------------------------------------------------------------
// dtypes: F64 F32 F16 BF16 I64 I32 U8 BOOL. Names must be distinct, valid UTF-8 and not "__metadata__";
// `metadata` (string to string, written under "__metadata__" when not empty, keys sorted) must be valid UTF-8 too,
// its keys distinct.
void save_safetensors(const std::string& path, const NamedTensors& tensors, const SafetensorsMetadata& metadata = {});
// The same with the metadata in a std::map<std::string, std::string> (or any map of strings to strings).
template <typename Map>
  requires requires(const Map& map) { SafetensorsMetadata(map.begin(), map.end()); }
void save_safetensors(const std::string& path, const NamedTensors& tensors, const Map& metadata) {
  save_safetensors(path, tensors, SafetensorsMetadata(metadata.begin(), metadata.end()));
}
// The tensors in the order their data lies in the file (for files written by reel or by the Python
// library: the header's order). `metadata`, when given, receives the "__metadata__" entries (or is cleared).
// Files holding other safetensors dtypes (I8, I16, U16, U32, U64, F8_*) are refused with an error naming it.
NamedTensors load_safetensors(const std::string& path, SafetensorsMetadata* metadata = nullptr);
// The same, the metadata received into a std::map<std::string, std::string> (or any map of strings to strings).
template <typename Map>
  requires requires(Map& map, const std::string& key) {
    map.clear();
    map[key] = key;
  }
NamedTensors load_safetensors(const std::string& path, Map* metadata) {
  SafetensorsMetadata entries;
  NamedTensors tensors = load_safetensors(path, metadata != nullptr ? &entries : nullptr);
  if (metadata != nullptr) {
    metadata->clear();
    for (auto& [key, value] : entries) (*metadata)[key] = std::move(value);
  }
  return tensors;
}

// ---- NumPy ----------------------------------------------------------------------------------------------
// dtypes: float64 '<f8', float32 '<f4', float16 '<f2', int64 '<i8', int32 '<i4', uint8 '|u1', bool '|b1'.
// bfloat16 has no NumPy dtype: saving one is an error (convert it first, e.g. `.to(reel::kFloat32)`).
void save_npy(const std::string& path, const Tensor& tensor);
// Reads little- and big-endian data of the dtypes above; Fortran-ordered arrays are transposed back into
// reel's row-major layout. Other dtypes (int8, uint16, complex, strings, objects, records) are refused.
Tensor load_npy(const std::string& path);

// One member "<name>.npy" per tensor, stored without compression, in the order given.
void save_npz(const std::string& path, const NamedTensors& tensors);
// Every member must be a .npy file; names are returned without the ".npy" suffix, in the archive's order.
NamedTensors load_npz(const std::string& path);

}  // namespace reel::serialize
