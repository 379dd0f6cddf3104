//===- EventFile.h - TensorBoard event files with scalar summaries -*- C++ -*-===//
//
// An events.out.tfevents.* file is a TFRecord stream of tensorflow.Event
// protobufs: each record is uint64 length, masked CRC-32C of the length,
// the bytes, masked CRC-32C of the bytes (all little-endian). The first event
// carries file_version "brain.Event:2"; each later one a wall time, a step
// and a Summary of scalar values. The few protobuf fields are encoded here by
// hand rather than pulling in protobuf.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_EVENTFILE_H
#define KILN_RUNTIME_EVENTFILE_H

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

namespace kiln {

class EventFile {
public:
  /// Creates `dir` (mkdir -p) and a new event file in it; null with err.
  static std::unique_ptr<EventFile> create(const std::string &dir, char *err,
                                           size_t errLen);
  ~EventFile();

  /// Appends one event holding the scalar `tag` = value at `step`.
  bool addScalar(const char *tag, double value, int64_t step, char *err, size_t errLen);
  /// Makes what was written visible to readers (TensorBoard polls the file).
  bool flush(char *err, size_t errLen);

  const std::string &path() const { return filePath; }

private:
  EventFile(std::FILE *file, std::string path) : file(file), filePath(std::move(path)) {}
  bool writeRecord(const std::string &data, char *err, size_t errLen);

  std::FILE *file;
  std::string filePath;
};

} // namespace kiln

#endif // KILN_RUNTIME_EVENTFILE_H
