//===- MLIRGen.h - .kiln AST to the kiln dialect --------------------------===//
#ifndef KILN_FRONTEND_MLIRGEN_H
#define KILN_FRONTEND_MLIRGEN_H

#include "Frontend/AST.h"
#include "Frontend/Recipe.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace kiln {

/// Builds `module @<name>` holding `func.func @forward(inputs, labels,
/// params) -> (loss, output)` in the kiln dialect, with the optimizer as a
/// module attribute (the contract in Kiln/IR/KilnModel.h), and fills
/// `recipe`. Unknown names, wrong arity, bad shapes and bad blocks are
/// reported as errors at their source location (through MLIR's diagnostic
/// engine); returns null then.
mlir::OwningOpRef<mlir::ModuleOp> generateMLIR(mlir::MLIRContext &context,
                                               llvm::SourceMgr &sourceMgr,
                                               const ast::Module &module,
                                               TrainingRecipe &recipe);

} // namespace kiln

#endif // KILN_FRONTEND_MLIRGEN_H
