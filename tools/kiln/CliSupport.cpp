//===- CliSupport.cpp - Error printing shared by the kiln commands -------===//

#include "CliSupport.h"

#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace kiln::cli {

int fail(const Twine &message) {
  WithColor::error(errs(), "kiln") << message << '\n';
  return 1;
}

int fail(Error error) { return fail(toString(std::move(error))); }

CheckpointPtr loadCheckpoint(const std::string &path) {
  char err[512] = "";
  CheckpointPtr checkpoint(kiln_checkpoint_load(path.c_str(), err, sizeof(err)));
  if (!checkpoint)
    fail(err);
  return checkpoint;
}

} // namespace kiln::cli
