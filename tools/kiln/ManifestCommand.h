//===- ManifestCommand.h - `kiln inspect model.o` -------------------------===//
#ifndef KILN_TOOLS_KILN_MANIFESTCOMMAND_H
#define KILN_TOOLS_KILN_MANIFESTCOMMAND_H

#include "llvm/ADT/StringRef.h"

namespace kiln::cli {

/// True when `path` is an object file (rather than a checkpoint).
bool isObjectFile(llvm::StringRef path);

/// Finds the manifest kilnc embedded in the object at `path`, verifies it
/// and prints it. Returns the process exit code.
int runInspectObject(llvm::StringRef path);

} // namespace kiln::cli

#endif // KILN_TOOLS_KILN_MANIFESTCOMMAND_H
