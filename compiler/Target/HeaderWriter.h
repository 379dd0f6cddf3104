//===- HeaderWriter.h - The C header of a compiled model ------------------===//
#ifndef KILN_TARGET_HEADERWRITER_H
#define KILN_TARGET_HEADERWRITER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace kiln {

/// Writes the C header for `module` once kiln-state-abi has run (any later
/// stage works too): prototypes of the public functions, size macros, and
/// a helper that fills libkilnrt's kiln_model table when kiln/model.h is
/// included first.
mlir::LogicalResult writeHeader(mlir::ModuleOp module, llvm::raw_ostream &os);

} // namespace kiln

#endif // KILN_TARGET_HEADERWRITER_H
