//===- ObjectEmitter.h - LLVM dialect to LLVM IR and object code ---------===//
#ifndef KILN_TARGET_OBJECTEMITTER_H
#define KILN_TARGET_OBJECTEMITTER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace kiln {

/// Which machine the object is for. Empty triple and cpu mean the host and
/// its CPU with all its features; with a triple, cpu defaults to "generic".
struct CodegenOptions {
  std::string triple, cpu, features;
  unsigned optLevel = 3;
};

/// Width of the target's vector registers in bits (128, 256 or 512), from
/// its CPU and features: what register tiles are sized for.
unsigned vectorRegisterBits(const CodegenOptions &options);

/// Translates and optimizes `module` (LLVM dialect) and prints LLVM IR.
mlir::LogicalResult emitLLVMIR(mlir::ModuleOp module,
                               const CodegenOptions &options,
                               llvm::raw_ostream &os);

/// Translates, optimizes and compiles `module` (LLVM dialect) to a
/// position-independent object file written to `os`.
mlir::LogicalResult emitObject(mlir::ModuleOp module,
                               const CodegenOptions &options,
                               llvm::raw_ostream &os);

} // namespace kiln

#endif // KILN_TARGET_OBJECTEMITTER_H
