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
/// compiler (cc, else gcc, else clang) and libm; a CUDA object also against
/// the libkilnrt this process runs (its CUDA layer), with no symbol left
/// undefined; `openmp` adds the OpenMP runtime (objects from --threads N > 1).
/// The error carries the compiler's first line of output.
llvm::Error linkSharedModel(llvm::StringRef objectPath,
                            llvm::StringRef libraryPath, bool cuda,
                            bool openmp);

/// A model's shared object, loaded, with its kiln_model table. Unloaded by
/// the destructor, so the table must not outlive it.
class LoadedModel {
public:
  /// Loads `libraryPath` and binds the functions of the model `info`
  /// describes, which must have one label and an output; with several
  /// inputs, their packed variants.
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
  std::vector<int64_t> inputSizes; // behind table.input_sizes
  std::vector<int64_t> labelSizes; // behind table.label_sizes
  std::vector<int32_t> labelDTypes; // behind table.label_dtypes
  kiln_model table = {};
};

} // namespace kiln::cli

#endif // KILN_TOOLS_KILN_MODELLOADER_H
