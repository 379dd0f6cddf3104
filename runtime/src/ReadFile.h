//===- ReadFile.h - read a whole file into memory ---------------*- C++ -*-===//
#ifndef KILN_RUNTIME_READFILE_H
#define KILN_RUNTIME_READFILE_H

#include <cstddef>
#include <vector>

namespace kiln {

/// Reads all of `path`; false with "PATH: cannot open/read: reason" in err.
bool readWholeFile(const char *path, std::vector<unsigned char> &bytes, char *err,
                   size_t errLen);

} // namespace kiln

#endif // KILN_RUNTIME_READFILE_H
