//===- ModelBuild.h - Compile, link and load a model for a command -------===//
//
// train, eval and predict all start the same way: compile the .kiln file in a
// work directory, link the object into a shared library and bind it.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_KILN_MODELBUILD_H
#define KILN_TOOLS_KILN_MODELBUILD_H

#include "ModelLoader.h"
#include "WorkDir.h"

#include "Driver/Compiler.h"

#include <memory>
#include <string>

namespace kiln::cli {

struct BuildRequest {
  std::string modelPath;
  std::string workDir; // empty: a private temporary directory
  bool keepWorkDir = false;
  TargetOptions target; // this machine or CUDA; --threads, --disable-pass

  /// The CUDA target: linked against libkilnrt, state on the device.
  bool cuda() const { return target.backend == Backend::CUDA; }
};

struct BuiltModel {
  explicit BuiltModel(WorkDir workDir) : workDir(std::move(workDir)) {}
  WorkDir workDir;
  std::unique_ptr<ModelInfo> info;
  std::unique_ptr<LoadedModel> loaded;
  std::string baseDir; // the model file's folder: relative data paths start here
  const kiln_model &model() const { return loaded->model(); }
};

/// Null after the error has been printed.
std::unique_ptr<BuiltModel> buildModel(const BuildRequest &request);

} // namespace kiln::cli

#endif // KILN_TOOLS_KILN_MODELBUILD_H
