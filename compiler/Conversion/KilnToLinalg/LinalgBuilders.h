//===- LinalgBuilders.h - Small builders shared by kiln lowerings --------===//
#ifndef KILN_CONVERSION_KILNTOLINALG_LINALGBUILDERS_H
#define KILN_CONVERSION_KILNTOLINALG_LINALGBUILDERS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

namespace kiln {

using BodyBuilder = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// An uninitialized tensor of `type`; dynamic sizes come from `sizes`
/// (one entry per dimension; static entries are ignored).
mlir::Value buildEmpty(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::RankedTensorType type,
                       llvm::ArrayRef<mlir::OpFoldResult> sizes);

/// `buildEmpty` filled with `value`.
mlir::Value buildFilled(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType type,
                        llvm::ArrayRef<mlir::OpFoldResult> sizes,
                        float value);

/// The map that reads `operand` (NumPy-broadcast) inside a loop nest over
/// `resultType`'s dimensions: leading dimensions are dropped and static
/// size-1 dimensions read index 0.
mlir::AffineMap broadcastMap(mlir::RankedTensorType operand,
                             mlir::RankedTensorType resultType,
                             mlir::MLIRContext *context);

/// One parallel linalg.generic over `resultType` (sized by `sizes`) reading
/// `inputs` with broadcast maps and yielding `body(block arguments)`.
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::RankedTensorType resultType,
                             llvm::ArrayRef<mlir::OpFoldResult> sizes,
                             mlir::ValueRange inputs, BodyBuilder body);

/// Result sizes of a NumPy broadcast of `operands` to `resultType`: each
/// dynamic dimension is read from an operand whose aligned dimension is
/// dynamic too.
llvm::SmallVector<mlir::OpFoldResult>
broadcastSizes(mlir::OpBuilder &b, mlir::Location loc,
               mlir::RankedTensorType resultType, mlir::ValueRange operands);

/// Reduces `input` over `axes` (sorted) with `combine`, starting from
/// `initial`, giving a tensor without those dimensions.
mlir::Value buildReduction(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value input, llvm::ArrayRef<int64_t> axes,
                           float initial, BodyBuilder combine);

/// Row-major reshape of `value` to `type` through collapse/expand_shape.
mlir::Value buildReshape(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value value, mlir::RankedTensorType type);

/// Number of elements of `value` over `axes`, as an f32 scalar value.
mlir::Value buildElementCount(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value value, llvm::ArrayRef<int64_t> axes);

/// Inside a generic body: `source[indices]` where `inBounds` holds, else
/// `fallback`. Out-of-bounds positions read index 0 instead, so that the
/// read itself is always legal (it is selected away).
mlir::Value buildGuardedExtract(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value source, mlir::ValueRange indices,
                                mlir::Value inBounds, mlir::Value fallback);

/// `low <= index < high` for an index value, as i1.
mlir::Value buildInRange(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value index, int64_t low, int64_t high);

/// `value` reshaped to its type with `axes` (sorted) reinserted as size 1,
/// so that it broadcasts against the unreduced tensor.
mlir::Value buildKeepDims(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value value, mlir::RankedTensorType unreduced,
                          llvm::ArrayRef<int64_t> axes);

/// An f32 arith.constant.
mlir::Value buildF32(mlir::OpBuilder &b, mlir::Location loc, float value);

} // namespace kiln

#endif // KILN_CONVERSION_KILNTOLINALG_LINALGBUILDERS_H
