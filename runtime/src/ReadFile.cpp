//===- ReadFile.cpp - read a whole file into memory -----------------------===//

#include "ReadFile.h"
#include "Error.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

using namespace kiln;

bool kiln::readWholeFile(const char *path, std::vector<unsigned char> &bytes, char *err,
                         size_t errLen) {
  std::FILE *file = std::fopen(path, "rb");
  if (!file) {
    setError(err, errLen, "%s: cannot open: %s", path, std::strerror(errno));
    return false;
  }
  bool ok = std::fseek(file, 0, SEEK_END) == 0;
  long size = ok ? std::ftell(file) : -1;
  ok = size >= 0 && std::fseek(file, 0, SEEK_SET) == 0;
  if (ok) {
    bytes.resize(size_t(size));
    ok = std::fread(bytes.data(), 1, bytes.size(), file) == bytes.size();
  }
  int readErrno = errno;
  std::fclose(file);
  if (!ok)
    setError(err, errLen, "%s: cannot read: %s", path, std::strerror(readErrno));
  return ok;
}
