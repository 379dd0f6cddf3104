//===- WorkDir.h - The directory a kiln command builds its files in -------===//
//
// Either a private temporary directory, removed when the command ends, or a
// directory the user named (created if needed and always kept).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_KILN_WORKDIR_H
#define KILN_TOOLS_KILN_WORKDIR_H

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace kiln::cli {

class WorkDir {
public:
  /// A new private directory under the system temporary directory ($TMPDIR
  /// or /tmp), removed by the destructor unless `keep`.
  static llvm::Expected<WorkDir> createTemporary(bool keep);
  /// `path`, created if missing; never removed.
  static llvm::Expected<WorkDir> useExisting(llvm::StringRef path);

  WorkDir(WorkDir &&other);
  WorkDir &operator=(WorkDir &&) = delete;
  ~WorkDir();

  llvm::StringRef path() const { return dir; }
  bool isKept() const { return !removeAtEnd; }
  /// `path()/name`.
  std::string file(llvm::StringRef name) const;

private:
  WorkDir(llvm::StringRef dir, bool removeAtEnd)
      : dir(dir), removeAtEnd(removeAtEnd) {}
  llvm::SmallString<128> dir;
  bool removeAtEnd;
};

} // namespace kiln::cli

#endif // KILN_TOOLS_KILN_WORKDIR_H
