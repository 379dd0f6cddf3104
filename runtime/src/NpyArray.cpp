//===- NpyArray.cpp - parse NumPy .npy bytes -------------------------------===//

#include "NpyArray.h"
#include "Error.h"

#include "kiln/model.h"

#include <cstring>

using namespace kiln;

namespace {

/// The value text after 'key': in the header dict, or "" if absent.
std::string field(const std::string &dict, const char *key) {
  std::string quoted = std::string("'") + key + "'";
  size_t at = dict.find(quoted);
  if (at == std::string::npos)
    return "";
  at = dict.find(':', at + quoted.size());
  if (at == std::string::npos)
    return "";
  ++at;
  while (at < dict.size() && dict[at] == ' ')
    ++at;
  bool tuple = at < dict.size() && dict[at] == '(';
  size_t end = tuple ? dict.find(')', at) : dict.find_first_of(",}", at);
  if (end == std::string::npos)
    return "";
  return dict.substr(at, end + (tuple ? 1 : 0) - at);
}

int32_t dtypeOf(const std::string &descr) {
  if (descr == "'<f4'")
    return KILN_DTYPE_F32;
  if (descr == "'<f8'")
    return KILN_DTYPE_F64;
  if (descr == "'<i4'")
    return KILN_DTYPE_I32;
  if (descr == "'<i8'")
    return KILN_DTYPE_I64;
  if (descr == "'|u1'")
    return KILN_DTYPE_U8;
  return 0;
}

size_t sizeOf(int32_t dtype) {
  return dtype == KILN_DTYPE_U8 ? 1 : dtype == KILN_DTYPE_F32 || dtype == KILN_DTYPE_I32 ? 4 : 8;
}

} // namespace

int64_t NpyArray::count() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

double NpyArray::at(int64_t i) const {
  const unsigned char *p = data + size_t(i) * sizeOf(dtype);
  switch (dtype) {
  case KILN_DTYPE_F32: {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case KILN_DTYPE_F64: {
    double v;
    std::memcpy(&v, p, 8);
    return v;
  }
  case KILN_DTYPE_I32: {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case KILN_DTYPE_I64: {
    int64_t v;
    std::memcpy(&v, p, 8);
    return double(v);
  }
  default:
    return *p;
  }
}

bool kiln::parseNpy(const std::vector<unsigned char> &bytes, const std::string &source,
                    NpyArray &array, char *err, size_t errLen) {
  const char *name = source.c_str();
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0) {
    setError(err, errLen, "%s: not a NumPy .npy file (wrong magic)", name);
    return false;
  }
  size_t headerLength, headerStart;
  if (bytes[6] == 1) {
    headerLength = bytes[8] | size_t(bytes[9]) << 8;
    headerStart = 10;
  } else if (bytes.size() >= 12 && (bytes[6] == 2 || bytes[6] == 3)) {
    headerLength = bytes[8] | size_t(bytes[9]) << 8 | size_t(bytes[10]) << 16 |
                   size_t(bytes[11]) << 24;
    headerStart = 12;
  } else {
    setError(err, errLen, "%s: unsupported .npy version %d", name, bytes[6]);
    return false;
  }
  if (headerStart + headerLength > bytes.size()) {
    setError(err, errLen, "%s: truncated .npy header", name);
    return false;
  }
  std::string dict(reinterpret_cast<const char *>(bytes.data()) + headerStart,
                   headerLength);
  std::string descr = field(dict, "descr");
  array.dtype = dtypeOf(descr);
  if (!array.dtype) {
    setError(err, errLen,
             "%s: unsupported dtype %s (expected float32, int32 or uint8, "
             "little-endian)",
             name, descr.empty() ? "(none)" : descr.c_str());
    return false;
  }
  if (field(dict, "fortran_order") != "False") {
    setError(err, errLen, "%s: Fortran-order arrays are not supported; save C order",
             name);
    return false;
  }
  std::string shape = field(dict, "shape");
  if (shape.size() < 2 || shape.front() != '(') {
    setError(err, errLen, "%s: malformed .npy header: no shape", name);
    return false;
  }
  array.shape.clear();
  for (size_t at = 1; at < shape.size() - 1;) {
    char *end;
    long long d = std::strtoll(shape.c_str() + at, &end, 10);
    if (end == shape.c_str() + at)
      break;
    array.shape.push_back(d);
    at = size_t(end - shape.c_str());
    while (at < shape.size() && (shape[at] == ',' || shape[at] == ' '))
      ++at;
  }
  array.data = bytes.data() + headerStart + headerLength;
  array.bytes = bytes.size() - headerStart - headerLength;
  uint64_t expected = uint64_t(array.count()) * sizeOf(array.dtype);
  if (array.bytes < expected) {
    setError(err, errLen, "%s: truncated: %zu data bytes, the shape needs %llu", name,
             array.bytes, (unsigned long long)expected);
    return false;
  }
  return true;
}
