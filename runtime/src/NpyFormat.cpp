//===- NpyFormat.cpp - the NumPy .npy header ------------------------------===//

#include "NpyFormat.h"

#include "kiln/model.h"

using namespace kiln;

const char *kiln::npyDescr(int32_t dtype) {
  switch (dtype) {
  case KILN_DTYPE_F32:
    return "<f4";
  case KILN_DTYPE_F64:
    return "<f8";
  case KILN_DTYPE_I32:
    return "<i4";
  case KILN_DTYPE_I64:
    return "<i8";
  case KILN_DTYPE_U8:
    return "|u1";
  case KILN_DTYPE_I8:
    return "|i1";
  }
  return nullptr;
}

std::string kiln::npyHeader(int32_t dtype, int32_t rank, const int64_t *shape) {
  std::string dict = "{'descr': '" + std::string(npyDescr(dtype)) +
                     "', 'fortran_order': False, 'shape': (";
  for (int32_t i = 0; i < rank; ++i)
    dict += std::to_string(shape[i]) + (rank == 1 ? ",)" : i + 1 < rank ? ", " : ")");
  if (rank == 0)
    dict += ")";
  dict += ", }";
  constexpr size_t kPrefix = 10; // magic (6) + version (2) + length (2)
  size_t total = (kPrefix + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - kPrefix - dict.size() - 1, ' ');
  dict += '\n';
  std::string header("\x93NUMPY\x01\x00", 8);
  header += char(dict.size() & 0xFF);
  header += char(dict.size() >> 8);
  return header + dict;
}
