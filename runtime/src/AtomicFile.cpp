//===- AtomicFile.cpp - replace a file so readers never see half of it ----===//

#include "AtomicFile.h"
#include "Error.h"

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <unistd.h>

using namespace kiln;

namespace {

bool writeAll(int fd, const char *data, size_t size) {
  while (size > 0) {
    ssize_t written = ::write(fd, data, size);
    if (written < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    data += written;
    size -= size_t(written);
  }
  return true;
}

/// The folder of `path` ("." for a bare name), whose entry the rename changed.
std::string parentOf(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

bool kiln::writeFileAtomically(const char *path, const void *data, size_t size,
                               char *err, size_t errLen) {
  std::string tmpPath = std::string(path) + ".tmp";
  int fd = ::open(tmpPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    setError(err, errLen, "%s: cannot create: %s", tmpPath.c_str(), std::strerror(errno));
    return false;
  }
  bool written = writeAll(fd, static_cast<const char *>(data), size) && ::fsync(fd) == 0;
  int writeErrno = errno;
  if (::close(fd) != 0 && written) {
    written = false;
    writeErrno = errno;
  }
  if (!written) {
    ::unlink(tmpPath.c_str());
    setError(err, errLen, "%s: cannot write: %s", tmpPath.c_str(),
             std::strerror(writeErrno));
    return false;
  }
  if (std::rename(tmpPath.c_str(), path) != 0) {
    int renameErrno = errno;
    ::unlink(tmpPath.c_str());
    setError(err, errLen, "%s: cannot replace with %s: %s", path, tmpPath.c_str(),
             std::strerror(renameErrno));
    return false;
  }
  // The rename is durable only once the folder's entry is on disk.
  int dirFd = ::open(parentOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd >= 0) {
    ::fsync(dirFd);
    ::close(dirFd);
  }
  return true;
}
