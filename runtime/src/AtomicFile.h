//===- AtomicFile.h - replace a file so readers never see half of it -*- C++ -*-===//
#ifndef KILN_RUNTIME_ATOMICFILE_H
#define KILN_RUNTIME_ATOMICFILE_H

#include <cstddef>

namespace kiln {

/// Writes `size` bytes to `path` through `path`.tmp: write, fsync, rename
/// over `path`, fsync the folder. A crash at any point leaves either the old
/// file or the complete new one (and perhaps a stale .tmp). False with err.
bool writeFileAtomically(const char *path, const void *data, size_t size, char *err,
                         size_t errLen);

} // namespace kiln

#endif // KILN_RUNTIME_ATOMICFILE_H
