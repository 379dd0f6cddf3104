//===- ModelLoader.h - Link a compiled model and bind its functions ------===//
//
// `kiln` runs a model that the compiler wrote as an object file: the system C
// compiler links it into a shared object, dlopen loads it, and the generated
// NAME_* functions fill the runtime's kiln_model table.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_KILN_MODELLOADER_H
#define KILN_TOOLS_KILN_MODELLOADER_H

#include "kiln/model.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace kiln {
struct ModelInfo;
} // namespace kiln

namespace kiln::cli {

/// Links `objectPath` into the shared object `libraryPath` with the system C
/// compiler (cc, else gcc, else clang) and libm. The error carries the
/// compiler's first line of output.
/// Links `objectPath` into the shared library `libraryPath` with the system C
/// compiler; `openmp` adds the OpenMP runtime (objects from --threads N > 1).
llvm::Error linkSharedModel(llvm::StringRef objectPath,
                            llvm::StringRef libraryPath, bool openmp);

/// A model's shared object, loaded, with its kiln_model table. Unloaded by
/// the destructor, so the table must not outlive it.
class LoadedModel {
public:
  /// Loads `libraryPath` and binds the functions of the model `info`
  /// describes, which must have one input, one label and an output.
  static llvm::Expected<std::unique_ptr<LoadedModel>>
  load(const ModelInfo &info, llvm::StringRef libraryPath);
  ~LoadedModel();

  const kiln_model &model() const { return table; }

private:
  LoadedModel() = default;
  /// Fills table.state_entries from the compiler's state layout.
  llvm::Error bindStateLayout(const ModelInfo &info);

  void *handle = nullptr;
  std::string name;
  // Storage behind table.state_entries.
  std::vector<std::string> entryNames;
  std::vector<std::vector<int64_t>> entryShapes;
  std::vector<kiln_state_entry> entries;
  kiln_model table = {};
};

} // namespace kiln::cli

#endif // KILN_TOOLS_KILN_MODELLOADER_H
