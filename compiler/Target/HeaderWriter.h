//===- HeaderWriter.h - The C header of a compiled model ------------------===//
#ifndef KILN_TARGET_HEADERWRITER_H
#define KILN_TARGET_HEADERWRITER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace kiln {

/// Writes the C header for `module` once kiln-state-abi has run (any later
/// stage works too): prototypes of the public functions, size macros, and
/// a helper that fills libkilnrt's kiln_model table when kiln/model.h is
/// included first. With `stateOnDevice` (the CUDA target) that table also
/// points at NAME_state_to_host/_from_host, which the header must declare.
mlir::LogicalResult writeHeader(mlir::ModuleOp module, llvm::raw_ostream &os,
                                bool stateOnDevice = false);

} // namespace kiln

#endif // KILN_TARGET_HEADERWRITER_H
