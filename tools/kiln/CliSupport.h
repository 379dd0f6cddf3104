//===- CliSupport.h - Error printing shared by the kiln commands ---------===//
#ifndef KILN_TOOLS_KILN_CLISUPPORT_H
#define KILN_TOOLS_KILN_CLISUPPORT_H

#include "kiln/checkpoint.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <memory>

namespace kiln::cli {

/// Prints `kiln: error: message` and returns the exit status 1.
int fail(const llvm::Twine &message);
int fail(llvm::Error error);

struct CheckpointDeleter {
  void operator()(kiln_checkpoint *c) const { kiln_checkpoint_free(c); }
};
using CheckpointPtr = std::unique_ptr<kiln_checkpoint, CheckpointDeleter>;

/// Loads and verifies a checkpoint file; null after printing why not.
CheckpointPtr loadCheckpoint(const std::string &path);

} // namespace kiln::cli

#endif // KILN_TOOLS_KILN_CLISUPPORT_H
