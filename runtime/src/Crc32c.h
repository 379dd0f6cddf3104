//===- Crc32c.h - CRC-32C (Castagnoli), as TFRecord framing uses -*- C++ -*-===//
#ifndef KILN_RUNTIME_CRC32C_H
#define KILN_RUNTIME_CRC32C_H

#include <cstddef>
#include <cstdint>

namespace kiln {

/// CRC-32C of size bytes (reflected polynomial 0x82F63B78, init and final
/// xor 0xFFFFFFFF): crc32c("123456789") == 0xE3069283.
uint32_t crc32c(const void *data, size_t size);

/// TFRecord's masked form: rotate right by 15 and add 0xa282ead8, so that a
/// CRC stored inside CRC-checked data does not checksum to a fixed point.
inline uint32_t maskedCrc32c(const void *data, size_t size) {
  uint32_t crc = crc32c(data, size);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

} // namespace kiln

#endif // KILN_RUNTIME_CRC32C_H
