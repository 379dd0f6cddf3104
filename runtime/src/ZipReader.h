//===- ZipReader.h - one member of a zip archive (for .npz) -----*- C++ -*-===//
#ifndef KILN_RUNTIME_ZIPREADER_H
#define KILN_RUNTIME_ZIPREADER_H

#include <cstddef>
#include <string>
#include <vector>

namespace kiln {

/// Extracts `member` from the zip archive `archive` (stored or deflated, as
/// numpy.savez and savez_compressed write them) and checks its CRC-32.
/// `source` names the archive in err.
bool readZipMember(const std::vector<unsigned char> &archive, const std::string &member,
                   const std::string &source, std::vector<unsigned char> &out, char *err,
                   size_t errLen);

} // namespace kiln

#endif // KILN_RUNTIME_ZIPREADER_H
