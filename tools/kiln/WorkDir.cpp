//===- WorkDir.cpp - The directory a kiln command builds its files in -----===//

#include "WorkDir.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace llvm;

namespace kiln::cli {

Expected<WorkDir> WorkDir::createTemporary(bool keep) {
  SmallString<128> dir;
  // A relative prefix is placed in the system temporary directory.
  if (std::error_code ec = sys::fs::createUniqueDirectory("kiln", dir))
    return createStringError(ec, "cannot create a temporary directory: %s",
                             ec.message().c_str());
  return WorkDir(dir, /*removeAtEnd=*/!keep);
}

Expected<WorkDir> WorkDir::useExisting(StringRef path) {
  SmallString<128> dir(path);
  if (std::error_code ec = sys::fs::make_absolute(dir))
    return createStringError(ec, "%s: %s", path.str().c_str(),
                             ec.message().c_str());
  if (std::error_code ec = sys::fs::create_directories(dir))
    return createStringError(ec, "cannot create the work directory '%s': %s",
                             path.str().c_str(), ec.message().c_str());
  return WorkDir(dir, /*removeAtEnd=*/false);
}

WorkDir::WorkDir(WorkDir &&other)
    : dir(std::move(other.dir)), removeAtEnd(other.removeAtEnd) {
  other.removeAtEnd = false;
}

WorkDir::~WorkDir() {
  if (removeAtEnd)
    (void)sys::fs::remove_directories(dir, /*IgnoreErrors=*/true);
}

std::string WorkDir::file(StringRef name) const {
  SmallString<128> result(dir);
  sys::path::append(result, name);
  return std::string(result);
}

} // namespace kiln::cli
