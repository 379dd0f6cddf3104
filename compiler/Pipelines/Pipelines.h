//===- Pipelines.h - Named pass pipelines of the Kiln compiler -----------===//
#ifndef KILN_PIPELINES_PIPELINES_H
#define KILN_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

#include <string>
#include <vector>

namespace kiln {

/// @forward -> @init/@train_step/@evaluate/@predict in the kiln dialect.
mlir::LogicalResult addTrainingPasses(mlir::OpPassManager &pm);
/// kiln dialect -> linalg/tensor/arith/math on tensors.
mlir::LogicalResult addLinalgPasses(mlir::OpPassManager &pm);
/// Register tile of the CPU matrix-product kernel: tileM rows by tileN
/// columns of C must fit the target's vector registers with room for the
/// operands (e.g. 6 x 16 on AVX2, 8 x 32 on AVX-512).
/// `threads` is the OpenMP team size the big loops are split for (1: no
/// threads, no OpenMP runtime needed); `disabledPasses` names optimization
/// passes to leave out (PassSwitches.h).
struct CpuOptions {
  int64_t tileM = 6, tileN = 16;
  int64_t threads = 1;
  std::vector<std::string> disabledPasses;
  /// Debug line tables whose locations are the .kiln source lines.
  bool lineTables = false;
  /// Large workspaces advised for transparent huge pages (Linux targets).
  bool hugePages = false;
};
/// linalg on tensors -> LLVM dialect with the public C functions (CPU).
mlir::LogicalResult addCpuLoweringPasses(mlir::OpPassManager &pm,
                                         const CpuOptions &options = {});

/// Options of the CUDA target (kilnc --target=cuda --gpu-arch=...).
struct CudaOptions {
  std::string chip = "sm_80"; // sm_80, sm_90, ...
  std::string format;         // gpu-module-to-binary format: isa (PTX, the
                              // default) or fatbin (cubin + PTX, needs ptxas)
  std::string toolkitPath;    // CUDA toolkit (libdevice, ptxas); "" = none
};
/// linalg on tensors -> outlined gpu.func kernels + async host code
/// (the first half of addCudaLoweringPasses; CudaPipeline.cpp).
mlir::LogicalResult addCudaKernelPasses(mlir::OpPassManager &pm);
/// linalg on tensors -> host LLVM dialect with the public C functions and
/// the kernels embedded as a gpu.binary (CUDA target; CudaPipeline.cpp).
mlir::LogicalResult addCudaLoweringPasses(mlir::OpPassManager &pm,
                                          const CudaOptions &options);
/// Registers `kiln-cuda-kernels` and `kiln-cuda-pipeline` for kiln-opt.
void registerKilnCudaPipelines();

/// Registers `kiln-train-pipeline` (forward to LLVM dialect) and
/// `kiln-cpu-pipeline` (training functions to LLVM dialect) for kiln-opt,
/// and the upstream passes the pipelines are made of.
void registerKilnPipelines();

} // namespace kiln

#endif // KILN_PIPELINES_PIPELINES_H
