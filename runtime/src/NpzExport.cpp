//===- NpzExport.cpp - NumPy files: checkpoint tensors (.npz), arrays (.npy) -===//
//
// An .npz is a zip archive of .npy files. Entries are stored uncompressed
// (method 0), as numpy.savez writes them, with zlib's CRC-32; the archive is
// built in memory and written atomically.
//
//===----------------------------------------------------------------------===//

#include "AtomicFile.h"
#include "Error.h"
#include "NpyFormat.h"

#include "kiln/checkpoint.h"
#include "kiln/dataset.h"
#include "kiln/model.h"

#include <zlib.h>

#include <cstring>
#include <string>

using namespace kiln;

namespace {

template <typename T> void put(std::string &out, T value) {
  for (size_t i = 0; i < sizeof(T); ++i)
    out += char((uint64_t(value) >> (8 * i)) & 0xFF);
}

// 1980-01-01 00:00 in MS-DOS form: fixed, so exports of one checkpoint are
// byte-identical.
constexpr uint16_t kDosTime = 0, kDosDate = (0 << 9) | (1 << 5) | 1;

/// The fields local and central headers share, from "version needed" on.
void putCommon(std::string &out, uint32_t crc, uint32_t size, uint16_t nameLength) {
  put<uint16_t>(out, 20); // version needed: 2.0
  put<uint16_t>(out, 0);  // flags
  put<uint16_t>(out, 0);  // method: stored
  put<uint16_t>(out, kDosTime);
  put<uint16_t>(out, kDosDate);
  put<uint32_t>(out, crc);
  put<uint32_t>(out, size); // compressed
  put<uint32_t>(out, size); // uncompressed
  put<uint16_t>(out, nameLength);
  put<uint16_t>(out, 0); // extra field length
}

} // namespace

int kiln_checkpoint_export_npz(const kiln_checkpoint *checkpoint, const char *path,
                               char *err, size_t err_len) {
  std::string archive, directory;
  size_t count = kiln_checkpoint_num_tensors(checkpoint);
  for (size_t i = 0; i < count; ++i) {
    kiln_tensor_view view;
    kiln_checkpoint_tensor(checkpoint, i, &view);
    std::string name = std::string(view.name) + ".npy";
    std::string member = npyHeader(view.dtype, view.rank, view.shape);
    member.append(static_cast<const char *>(view.data), view.bytes);
    if (member.size() > UINT32_MAX || archive.size() > UINT32_MAX) {
      setError(err, err_len, "%s: '%s' is too large for a zip without zip64", path,
               view.name);
      return -1;
    }
    uint32_t crc = uint32_t(crc32_z(crc32_z(0, nullptr, 0),
                                    reinterpret_cast<const Bytef *>(member.data()),
                                    member.size()));
    uint32_t offset = uint32_t(archive.size());
    put<uint32_t>(archive, 0x04034b50); // local file header
    putCommon(archive, crc, uint32_t(member.size()), uint16_t(name.size()));
    archive += name;
    archive += member;

    put<uint32_t>(directory, 0x02014b50); // central directory header
    put<uint16_t>(directory, 20);         // version made by
    putCommon(directory, crc, uint32_t(member.size()), uint16_t(name.size()));
    put<uint16_t>(directory, 0); // comment length
    put<uint16_t>(directory, 0); // disk number
    put<uint16_t>(directory, 0); // internal attributes
    put<uint32_t>(directory, 0); // external attributes
    put<uint32_t>(directory, offset);
    directory += name;
  }
  uint32_t directoryOffset = uint32_t(archive.size());
  archive += directory;
  put<uint32_t>(archive, 0x06054b50); // end of central directory
  put<uint16_t>(archive, 0);          // this disk
  put<uint16_t>(archive, 0);          // disk with the directory
  put<uint16_t>(archive, uint16_t(count));
  put<uint16_t>(archive, uint16_t(count));
  put<uint32_t>(archive, uint32_t(directory.size()));
  put<uint32_t>(archive, directoryOffset);
  put<uint16_t>(archive, 0); // comment length
  return writeFileAtomically(path, archive.data(), archive.size(), err, err_len) ? 0 : -1;
}

int kiln_write_npy_f32(const char *path, const float *data, int32_t rank,
                       const int64_t *shape, char *err, size_t err_len) {
  size_t count = 1;
  for (int32_t i = 0; i < rank; ++i) {
    if (shape[i] < 0) {
      setError(err, err_len, "%s: negative dimension in the array shape", path);
      return -1;
    }
    count *= size_t(shape[i]);
  }
  std::string file = npyHeader(KILN_DTYPE_F32, rank, shape);
  file.append(reinterpret_cast<const char *>(data), count * sizeof(float));
  return writeFileAtomically(path, file.data(), file.size(), err, err_len) ? 0 : -1;
}
