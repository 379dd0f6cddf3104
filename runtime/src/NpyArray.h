//===- NpyArray.h - parse NumPy .npy bytes ---------------------------*- C++ -*-===//
#ifndef KILN_RUNTIME_NPYARRAY_H
#define KILN_RUNTIME_NPYARRAY_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

/// A parsed .npy: C-order data of a supported dtype.
struct NpyArray {
  int32_t dtype = 0; // kiln_dtype: F32, I32 or U8 (also I64/F64 for labels)
  std::vector<int64_t> shape;
  const unsigned char *data = nullptr; // into the bytes parsed
  size_t bytes = 0;

  int64_t count() const;
  /// Element i widened to double.
  double at(int64_t i) const;
};

/// Parses `bytes` (a whole .npy file); `source` names it in err.
bool parseNpy(const std::vector<unsigned char> &bytes, const std::string &source,
              NpyArray &array, char *err, size_t errLen);

} // namespace kiln

#endif // KILN_RUNTIME_NPYARRAY_H
