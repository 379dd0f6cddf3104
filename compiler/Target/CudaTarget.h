//===- CudaTarget.h - PTX, translations and header of the CUDA target -----===//
#ifndef KILN_TARGET_CUDATARGET_H
#define KILN_TARGET_CUDATARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace kiln {

/// Dialect extensions the CUDA target needs in the context: the NVVM target
/// (serialization to PTX/fatbin) and the GPU/NVVM translations to LLVM IR
/// (gpu.binary embedding, gpu.launch_func as mgpu* runtime calls).
void registerCudaTargetExtensions(mlir::DialectRegistry &registry);

/// The CUDA toolkit directory holding bin/ptxas (and nvvm/libdevice), from
/// $CUDA_HOME, $CUDA_PATH, ptxas on PATH or /usr/local/cuda; empty if none.
std::string findCudaToolkit();

/// Prints the PTX of every gpu.binary object in `module` (the module must
/// have been serialized with format=isa).
mlir::LogicalResult emitPTX(mlir::ModuleOp module, llvm::raw_ostream &os);

/// Adds the CUDA notes and <model>_state_to_host/_from_host declarations
/// to a header written by writeHeader.
std::string amendHeaderForCuda(llvm::StringRef header, llvm::StringRef model,
                               llvm::StringRef chip);

} // namespace kiln

#endif // KILN_TARGET_CUDATARGET_H
