//===- Pipelines.h - Named pass pipelines of the Kiln compiler -----------===//
#ifndef KILN_PIPELINES_PIPELINES_H
#define KILN_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

namespace kiln {

/// @forward -> @init/@train_step/@evaluate/@predict in the kiln dialect.
mlir::LogicalResult addTrainingPasses(mlir::OpPassManager &pm);
/// kiln dialect -> linalg/tensor/arith/math on tensors.
mlir::LogicalResult addLinalgPasses(mlir::OpPassManager &pm);
/// linalg on tensors -> LLVM dialect with the public C functions (CPU).
mlir::LogicalResult addCpuLoweringPasses(mlir::OpPassManager &pm);

/// Registers `kiln-train-pipeline` (forward to LLVM dialect) and
/// `kiln-cpu-pipeline` (training functions to LLVM dialect) for kiln-opt,
/// and the upstream passes the pipelines are made of.
void registerKilnPipelines();

} // namespace kiln

#endif // KILN_PIPELINES_PIPELINES_H
