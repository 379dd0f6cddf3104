//===- IdxLoader.cpp - MNIST-style IDX files, plain or gzip ----------------===//
//
// An IDX file is a 4-byte magic (0, 0, element type, rank), `rank` big-endian
// uint32 dimensions, then the elements. zlib's gz* reader is used for both
// forms: it inflates files that start with the gzip magic 1f 8b and passes
// other files through unchanged.
//
//===----------------------------------------------------------------------===//

#include "Dataset.h"
#include "Error.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>

using namespace kiln;

namespace {

constexpr uint32_t kImagesMagic = 0x00000803; // unsigned bytes, [n, rows, cols]
constexpr uint32_t kLabelsMagic = 0x00000801; // unsigned bytes, [n]
// Labels and batch indices are int32 on the model side.
constexpr uint64_t kMaxItems = std::numeric_limits<int32_t>::max();

/// One open IDX file; every failure message starts with its path.
class IdxReader {
public:
  IdxReader(const char *path, char *err, size_t errLen)
      : path(path), err(err), errLen(errLen) {}
  ~IdxReader() {
    if (file)
      gzclose(file);
  }

  bool open() {
    errno = 0;
    file = gzopen(path, "rb");
    if (!file)
      return fail("cannot open: %s", errno ? std::strerror(errno) : "out of memory");
    gzbuffer(file, 1 << 17);
    return true;
  }

  /// Reads the magic and dimensions; rank comes from the expected magic.
  bool readHeader(uint32_t expectedMagic, const char *kind, uint32_t *dims) {
    unsigned rank = expectedMagic & 0xff;
    unsigned char header[4 + 4 * 3];
    int64_t headerSize = 4 + 4 * rank;
    int64_t found = readUpTo(header, 4);
    if (found < 0)
      return false;
    if (found == 4 && readMagic(header) != expectedMagic)
      return fail("not an IDX %s file: magic 0x%08" PRIx32 ", expected 0x%08" PRIx32,
                  kind, readMagic(header), expectedMagic);
    if (found == 4) {
      int64_t more = readUpTo(header + 4, headerSize - 4);
      if (more < 0)
        return false;
      found += more;
    }
    if (found < headerSize)
      return fail("truncated: expected a %" PRId64 "-byte IDX header, found %" PRId64,
                  headerSize, found);
    for (unsigned i = 0; i < rank; ++i)
      dims[i] = readMagic(header + 4 + 4 * i);
    if (dims[0] > kMaxItems)
      return fail("too many items: %" PRIu32 ", at most %" PRIu64 " are supported",
                  dims[0], kMaxItems);
    return true;
  }

  /// Reads exactly `size` bytes of `what`, reporting a short read as truncation.
  bool readExactly(void *buffer, int64_t size, const char *what,
                   int64_t alreadyRead, int64_t total) {
    int64_t found = readUpTo(buffer, size);
    if (found < 0)
      return false;
    if (found < size)
      return fail("truncated: expected %" PRId64 " bytes of %s, found %" PRId64, total,
                  what, alreadyRead + found);
    return true;
  }

  /// Reports "PATH: reason"; returns false so callers can `return fail(...)`.
  __attribute__((format(printf, 2, 3))) bool fail(const char *format, ...) {
    char reason[256];
    va_list args;
    va_start(args, format);
    std::vsnprintf(reason, sizeof(reason), format, args);
    va_end(args);
    setError(err, errLen, "%s: %s", path, reason);
    return false;
  }

private:
  static uint32_t readMagic(const unsigned char *bytes) {
    return uint32_t(bytes[0]) << 24 | uint32_t(bytes[1]) << 16 |
           uint32_t(bytes[2]) << 8 | uint32_t(bytes[3]);
  }

  /// Returns the bytes read (fewer at end of file), or -1 on a read error.
  int64_t readUpTo(void *buffer, int64_t size) {
    auto *bytes = static_cast<unsigned char *>(buffer);
    int64_t total = 0;
    while (total < size) {
      // gzread counts in int; stay well inside it.
      unsigned chunk = unsigned(std::min<int64_t>(size - total, 1 << 30));
      int got = gzread(file, bytes + total, chunk);
      if (got < 0) {
        int code;
        const char *message = gzerror(file, &code);
        if (code == Z_ERRNO)
          message = std::strerror(errno);
        // zlib prefixes its messages with the path, which fail() adds too.
        size_t pathLength = std::strlen(path);
        if (std::strncmp(message, path, pathLength) == 0 &&
            std::strncmp(message + pathLength, ": ", 2) == 0)
          message += pathLength + 2;
        fail("read error: %s", message);
        return -1;
      }
      if (got == 0)
        break;
      total += got;
    }
    return total;
  }

  const char *path;
  char *err;
  size_t errLen;
  gzFile file = nullptr;
};

} // namespace

kiln_dataset *kiln_dataset_load_idx(const char *images_path, const char *labels_path,
                                    float scale, float shift, char *err,
                                    size_t err_len) {
  IdxReader images(images_path, err, err_len);
  uint32_t imageDims[3] = {}, labelDims[1] = {};
  if (!images.open() || !images.readHeader(kImagesMagic, "image", imageDims))
    return nullptr;
  // Check both headers before the long read so a wrong pairing fails fast.
  std::optional<IdxReader> labels;
  if (labels_path) {
    labels.emplace(labels_path, err, err_len);
    if (!labels->open() || !labels->readHeader(kLabelsMagic, "label", labelDims))
      return nullptr;
    if (imageDims[0] != labelDims[0]) {
      labels->fail("has %" PRIu32 " labels but %s has %" PRIu32 " images",
                   labelDims[0], images_path, imageDims[0]);
      return nullptr;
    }
  }
  int64_t count = imageDims[0];
  uint64_t pixelsPerImage = uint64_t(imageDims[1]) * imageDims[2];
  if (pixelsPerImage == 0 || pixelsPerImage > uint64_t(INT64_MAX)) {
    images.fail("unsupported image size %" PRIu32 " x %" PRIu32, imageDims[1],
                imageDims[2]);
    return nullptr;
  }
  std::unique_ptr<kiln_dataset> dataset(
      labels_path ? allocateDataset(images_path, labels_path, count,
                                    int64_t(pixelsPerImage), err, err_len)
                  : allocateUnlabelledDataset(images_path, count,
                                              int64_t(pixelsPerImage), err, err_len));
  if (!dataset)
    return nullptr;

  // Labels and pixels are unsigned bytes; both go through a byte buffer that
  // is widened in place (labels) or chunk by chunk (pixels, to avoid holding
  // a second full-size copy).
  if (labels) {
    auto *labelBytes = dataset->labelData.get();
    if (!labels->readExactly(labelBytes, count, "label data", 0, count))
      return nullptr;
    for (int64_t i = count - 1; i >= 0; --i)
      dataset->classLabels()[i] = labelBytes[i];
  }

  int64_t totalPixels = count * int64_t(pixelsPerImage);
  unsigned char chunk[1 << 16];
  float *out = dataset->features.get();
  for (int64_t done = 0; done < totalPixels;) {
    int64_t size = std::min<int64_t>(sizeof(chunk), totalPixels - done);
    if (!images.readExactly(chunk, size, "pixel data", done, totalPixels))
      return nullptr;
    for (int64_t i = 0; i < size; ++i)
      out[done + i] = float(chunk[i]) * scale + shift;
    done += size;
  }
  return dataset.release();
}
