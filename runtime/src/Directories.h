//===- Directories.h - create the folders the runtime writes into -*- C++ -*-===//
#ifndef KILN_RUNTIME_DIRECTORIES_H
#define KILN_RUNTIME_DIRECTORIES_H

#include <cstddef>
#include <string>

namespace kiln {

/// Creates `dir` and its missing parents (mkdir -p); false with err.
bool makeDirectories(const std::string &dir, char *err, size_t errLen);

} // namespace kiln

#endif // KILN_RUNTIME_DIRECTORIES_H
