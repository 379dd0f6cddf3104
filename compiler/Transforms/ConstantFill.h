//===- ConstantFill.h - Outputs that start from a constant ---*- C++ -*-===//
//
// A gradient accumulates into zeros: a fill of the whole output in memory
// that the kernel then reads back. The kernels can start from the constant
// instead, when nothing else reads the fill.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TRANSFORMS_CONSTANTFILL_H
#define KILN_TRANSFORMS_CONSTANTFILL_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace kiln {

/// The constant `op` fills its output with (a linalg.fill, or a generic
/// with no inputs that yields a value from outside its body), or null.
mlir::Value constantFillValue(mlir::Operation *op);

/// When `op`'s (only) output starts as a constant fill that nothing else
/// reads, makes `op` start from the fill's destination instead and returns
/// the constant, which the caller's kernel must write to every output
/// element before accumulating; null (and `op` unchanged) otherwise.
mlir::Value takeConstantFill(mlir::linalg::LinalgOp op);

} // namespace kiln

#endif // KILN_TRANSFORMS_CONSTANTFILL_H
