//===- NpyFormat.h - the NumPy .npy header --------------------------*- C++ -*-===//
//
// NPY 1.0: "\x93NUMPY", version 1.0, a little-endian uint16 header length,
// then a Python dict literal {'descr', 'fortran_order', 'shape'} padded with
// spaces and a newline so that the data starts on a 64-byte boundary.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_NPYFORMAT_H
#define KILN_RUNTIME_NPYFORMAT_H

#include <cstdint>
#include <string>

namespace kiln {

/// The NumPy type string of a kiln_dtype ("<f4"), or null if it has none.
const char *npyDescr(int32_t dtype);

/// Magic, version, length and dict of a C-order array; data follows it.
std::string npyHeader(int32_t dtype, int32_t rank, const int64_t *shape);

} // namespace kiln

#endif // KILN_RUNTIME_NPYFORMAT_H
