//===- Compiler.h - Compile a .kiln file, stage by stage -----------------===//
//
// The one entry point the tools use: kilnc dumps any stage, `kiln train`
// compiles to an object and reads the training recipe. Diagnostics go to
// stderr as `file:line:col: error: ...` with the source line and a caret.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_DRIVER_COMPILER_H
#define KILN_DRIVER_COMPILER_H

#include "Frontend/Recipe.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

/// What `kilnc --emit=` prints or writes.
enum class EmitStage {
  AST,         // the parsed file, printed back as .kiln
  Kiln,        // @forward in the kiln dialect
  Train,       // @init/@train_step/@evaluate/@predict in the kiln dialect
  Linalg,      // the same on linalg/tensor/arith/math
  LLVMDialect, // lowered to the LLVM dialect, with the C wrappers
  LLVMIR,      // LLVM IR text
  Object,      // native (or cross) object file
  Header,      // the C header of the generated functions
  PTX,         // the GPU kernels as PTX (CUDA target only)
};

/// Where the generated functions run.
enum class Backend { CPU, CUDA };

struct TargetOptions {
  std::string triple;   // empty: the host
  std::string cpu;      // empty: the host CPU (with --triple: "generic")
  std::string features; // extra LLVM target features, e.g. "+avx2"
  unsigned optLevel = 3;
  Backend backend = Backend::CPU; // --target=cpu|cuda
  std::string gpuArch = "sm_80";  // --gpu-arch (CUDA): sm_80, sm_90, ...
  /// --threads (CPU): OpenMP team size of the parallel loops; 1 is a serial
  /// object that needs no OpenMP runtime.
  int64_t threads = 1;
  /// --disable-pass (CPU): optimization passes to leave out.
  std::vector<std::string> disabledPasses;
  /// -g (CPU): line tables that map the machine code to the .kiln source
  /// lines, for perf, gdb and other profilers.
  bool lineTables = false;
};

/// libLLVM registers a hidden command-line option named "threads"; this
/// renames it to "llvm-threads" so a tool can define its own --threads. Call
/// it in the initializer of a static defined before that option. Returns
/// true.
bool freeThreadsOptionName();

/// Why `target`'s --threads or --disable-pass cannot be used, or nothing.
std::optional<std::string> checkPassOptions(const TargetOptions &target);

/// One input, label or output of the generated functions.
struct TensorInfo {
  std::string name;
  std::vector<int64_t> shape; // -1 for the batch dimension
  std::string dtype = "f32";  // labels may be "i32" (class indices)
  int64_t elementsPerExample() const;
};

/// One entry of the training state buffer, as the compiler laid it out.
struct StateEntryInfo {
  std::string name;
  int64_t offset = 0; // bytes
  std::vector<int64_t> shape;
  std::string dtype; // element type as MLIR prints it: "f32", "i64", ...
};

/// What a caller needs to drive the compiled functions.
struct ModelInfo {
  std::string name;
  int64_t stateSize = 0;
  std::vector<StateEntryInfo> stateLayout; // set, like stateSize, once lowered
  std::vector<TensorInfo> inputs, labels, outputs;
  TrainingRecipe recipe;
};

/// A .kiln file on its way through the stages. Each stage runs once, the
/// later ones after the earlier ones; any failure has been reported.
class Compilation {
public:
  /// Reads and parses `path` ("-" for stdin). Null after a diagnostic;
  /// `tool` prefixes errors that have no source location.
  static std::unique_ptr<Compilation> open(llvm::StringRef path,
                                           llvm::StringRef tool = "kilnc");
  ~Compilation();

  /// Writes `stage` to `os` (objects as bytes). False after a diagnostic.
  bool emit(EmitStage stage, const TargetOptions &target, llvm::raw_ostream &os);

  /// Model name, state size, tensors and recipe; needs MLIR generation,
  /// which this runs if no stage has yet. Null after a diagnostic.
  const ModelInfo *info();

private:
  Compilation();
  struct State;
  std::unique_ptr<State> state;
};

/// Convenience for tools: compiles `path` to an object (and a header when
/// `headerPath` is not empty). Returns the model info, or null after a
/// diagnostic; files are written atomically (temporary file + rename).
std::unique_ptr<ModelInfo> compileToFiles(llvm::StringRef path,
                                          const TargetOptions &target,
                                          llvm::StringRef objectPath,
                                          llvm::StringRef headerPath,
                                          llvm::StringRef tool = "kilnc");

/// Runs `write` into a temporary file beside `path` and renames it over
/// `path` only when `write` returned true; reports I/O errors.
bool writeFileAtomically(llvm::StringRef path,
                         llvm::function_ref<bool(llvm::raw_ostream &)> write,
                         llvm::StringRef tool = "kilnc");

} // namespace kiln

#endif // KILN_DRIVER_COMPILER_H
