//===- EventFile.cpp - TensorBoard event files with scalar summaries ------===//

#include "EventFile.h"
#include "Crc32c.h"
#include "Directories.h"
#include "Error.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstring>

#include <unistd.h>

using namespace kiln;

namespace {

// Protobuf wire format: a key is (field number << 3) | wire type.
enum WireType { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

void putKey(std::string &out, int field, WireType type) {
  out += char((field << 3) | type);
}

void putVarint(std::string &out, uint64_t value) {
  while (value >= 0x80) {
    out += char((value & 0x7F) | 0x80);
    value >>= 7;
  }
  out += char(value);
}

template <typename T> void putLittleEndian(std::string &out, T value) {
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian host");
  out.append(reinterpret_cast<const char *>(bytes), sizeof(T));
}

void putBytes(std::string &out, int field, const std::string &bytes) {
  putKey(out, field, kLengthDelimited);
  putVarint(out, bytes.size());
  out += bytes;
}

double wallTime() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

/// tensorflow.Event: wall_time = 1 (double), step = 2 (int64),
/// file_version = 3 (string), summary = 5 (Summary).
std::string event(int64_t step, int field, const std::string &payload) {
  std::string out;
  putKey(out, 1, kFixed64);
  putLittleEndian(out, wallTime());
  putKey(out, 2, kVarint);
  putVarint(out, uint64_t(step));
  putBytes(out, field, payload);
  return out;
}

/// tensorflow.Summary { repeated Value value = 1; } with one
/// Value { string tag = 1; float simple_value = 2; }.
std::string scalarSummary(const char *tag, float value) {
  std::string summaryValue;
  putBytes(summaryValue, 1, tag);
  putKey(summaryValue, 2, kFixed32);
  putLittleEndian(summaryValue, value);
  std::string summary;
  putBytes(summary, 1, summaryValue);
  return summary;
}

/// events.out.tfevents.<seconds>.<host>.<pid>.<n>, TensorFlow's pattern; n
/// keeps two files of one process in one second apart.
std::string fileName() {
  static std::atomic<int> counter{0};
  char host[256] = "localhost";
  gethostname(host, sizeof(host) - 1);
  char name[400];
  std::snprintf(name, sizeof(name), "events.out.tfevents.%" PRId64 ".%s.%d.%d",
                int64_t(wallTime()), host, int(getpid()), counter++);
  return name;
}

} // namespace

std::unique_ptr<EventFile> EventFile::create(const std::string &dir, char *err,
                                             size_t errLen) {
  if (!makeDirectories(dir, err, errLen))
    return nullptr;
  std::string path = dir + "/" + fileName();
  std::FILE *file = std::fopen(path.c_str(), "wb");
  if (!file) {
    setError(err, errLen, "%s: cannot create: %s", path.c_str(), std::strerror(errno));
    return nullptr;
  }
  std::unique_ptr<EventFile> events(new EventFile(file, path));
  if (!events->writeRecord(event(0, 3, "brain.Event:2"), err, errLen) ||
      !events->flush(err, errLen))
    return nullptr;
  return events;
}

EventFile::~EventFile() { std::fclose(file); }

bool EventFile::addScalar(const char *tag, double value, int64_t step, char *err,
                          size_t errLen) {
  return writeRecord(event(step, 5, scalarSummary(tag, float(value))), err, errLen);
}

bool EventFile::writeRecord(const std::string &data, char *err, size_t errLen) {
  std::string record;
  putLittleEndian(record, uint64_t(data.size()));
  putLittleEndian(record, maskedCrc32c(record.data(), sizeof(uint64_t)));
  record += data;
  putLittleEndian(record, maskedCrc32c(data.data(), data.size()));
  if (std::fwrite(record.data(), 1, record.size(), file) != record.size()) {
    setError(err, errLen, "%s: cannot write: %s", filePath.c_str(), std::strerror(errno));
    return false;
  }
  return true;
}

bool EventFile::flush(char *err, size_t errLen) {
  if (std::fflush(file) != 0) {
    setError(err, errLen, "%s: cannot write: %s", filePath.c_str(), std::strerror(errno));
    return false;
  }
  return true;
}
