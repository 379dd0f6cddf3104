//===- ZipReader.cpp - one member of a zip archive (for .npz) -------------===//
//
// Reads the central directory at the end (not the local headers, whose sizes
// may be deferred to a data descriptor). No zip64: .npz files over 4 GiB are
// refused.
//
//===----------------------------------------------------------------------===//

#include "ZipReader.h"
#include "Error.h"

#include <zlib.h>

#include <cstdint>
#include <cstring>

using namespace kiln;

namespace {

uint32_t le(const std::vector<unsigned char> &b, size_t at, int bytes) {
  uint32_t value = 0;
  for (int i = bytes - 1; i >= 0; --i)
    value = value << 8 | b[at + size_t(i)];
  return value;
}

bool inflateRaw(const unsigned char *data, size_t size, std::vector<unsigned char> &out) {
  z_stream stream{};
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK)
    return false;
  stream.next_in = const_cast<unsigned char *>(data);
  stream.avail_in = uInt(size);
  stream.next_out = out.data();
  stream.avail_out = uInt(out.size());
  int status = inflate(&stream, Z_FINISH);
  inflateEnd(&stream);
  return status == Z_STREAM_END && stream.total_out == out.size();
}

} // namespace

bool kiln::readZipMember(const std::vector<unsigned char> &b, const std::string &member,
                         const std::string &source, std::vector<unsigned char> &out,
                         char *err, size_t errLen) {
  const char *name = source.c_str();
  // The end-of-central-directory record: 22 bytes plus a comment of < 64 KiB.
  size_t end = std::string::npos;
  for (size_t at = b.size() >= 22 ? b.size() - 22 : 0; b.size() >= 22; --at) {
    if (le(b, at, 4) == 0x06054b50) {
      end = at;
      break;
    }
    if (at == 0 || b.size() - at > 22 + 65535)
      break;
  }
  if (end == std::string::npos) {
    setError(err, errLen, "%s: not a zip archive (.npz): no central directory", name);
    return false;
  }
  size_t entries = le(b, end + 10, 2), at = le(b, end + 16, 4);
  for (size_t i = 0; i < entries; ++i) {
    if (at + 46 > b.size() || le(b, at, 4) != 0x02014b50) {
      setError(err, errLen, "%s: corrupt zip central directory", name);
      return false;
    }
    uint32_t method = le(b, at + 10, 2), crc = le(b, at + 16, 4);
    size_t packed = le(b, at + 20, 4), size = le(b, at + 24, 4);
    size_t nameLength = le(b, at + 28, 2), extra = le(b, at + 30, 2),
           comment = le(b, at + 32, 2), local = le(b, at + 42, 4);
    std::string entryName(reinterpret_cast<const char *>(&b[at + 46]), nameLength);
    at += 46 + nameLength + extra + comment;
    if (entryName != member)
      continue;
    if (local + 30 > b.size()) {
      setError(err, errLen, "%s: '%s' lies outside the archive", name, member.c_str());
      return false;
    }
    size_t data = local + 30 + le(b, local + 26, 2) + le(b, local + 28, 2);
    if (data + packed > b.size()) {
      setError(err, errLen, "%s: '%s' is truncated", name, member.c_str());
      return false;
    }
    out.assign(size, 0);
    if (method == 0 && packed == size)
      std::memcpy(out.data(), &b[data], size);
    else if (method != 8 || !inflateRaw(&b[data], packed, out)) {
      setError(err, errLen, "%s: cannot extract '%s' (method %u)", name, member.c_str(),
               method);
      return false;
    }
    if (uint32_t(crc32_z(crc32_z(0, nullptr, 0), out.data(), out.size())) != crc) {
      setError(err, errLen, "%s: '%s' fails its CRC-32 check", name, member.c_str());
      return false;
    }
    return true;
  }
  setError(err, errLen, "%s: has no array '%s'", name, member.c_str());
  return false;
}
