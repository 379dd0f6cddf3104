//===- ModelBuild.cpp - Compile, link and load a model for a command -----===//

#include "ModelBuild.h"

#include "CliSupport.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace kiln::cli {

/// The folder relative data paths of `modelPath` are read from.
static std::string modelDirectory(StringRef modelPath) {
  SmallString<256> path(modelPath);
  (void)sys::fs::make_absolute(path);
  return sys::path::parent_path(path).str();
}

std::unique_ptr<BuiltModel> buildModel(const BuildRequest &request) {
  Expected<WorkDir> workDir =
      request.workDir.empty() ? WorkDir::createTemporary(request.keepWorkDir)
                              : WorkDir::useExisting(request.workDir);
  if (!workDir) {
    fail(workDir.takeError());
    return nullptr;
  }
  if (request.keepWorkDir && request.workDir.empty())
    WithColor::note(errs(), "kiln")
        << "work directory: " << workDir->path() << '\n';

  auto built = std::make_unique<BuiltModel>(std::move(*workDir));
  std::string objectPath = built->workDir.file("model.o");
  std::string libraryPath = built->workDir.file("model.so");
  built->info = compileToFiles(
      request.modelPath, request.target, objectPath,
      request.keepWorkDir || !request.workDir.empty()
          ? built->workDir.file("model.h")
          : std::string(),
      "kiln");
  if (!built->info)
    return nullptr; // the driver has printed the diagnostic
  if (Error error = linkSharedModel(objectPath, libraryPath, request.cuda(),
                                    /*openmp=*/request.target.threads > 1)) {
    fail(std::move(error));
    return nullptr;
  }
  Expected<std::unique_ptr<LoadedModel>> loaded =
      LoadedModel::load(*built->info, libraryPath);
  if (!loaded) {
    fail(loaded.takeError());
    return nullptr;
  }
  built->loaded = std::move(*loaded);
  built->baseDir = modelDirectory(request.modelPath);
  return built;
}

} // namespace kiln::cli
