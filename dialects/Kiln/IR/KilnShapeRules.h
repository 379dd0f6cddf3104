//===- KilnShapeRules.h - Result shapes of kiln ops -----------------------===//
//
// One function per shape rule, shared by the ops' type inference, their
// verifiers and the frontend, which checks user programs before it builds
// ops. With a location, a failure is reported there as an error.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_IR_KILNSHAPERULES_H
#define KILN_IR_KILNSHAPERULES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "mlir/Support/LLVM.h"

#include <optional>

namespace kiln {

/// NumPy broadcasting of two tensor types (element type of `lhs`).
mlir::FailureOr<mlir::RankedTensorType>
inferBroadcastType(std::optional<mlir::Location> loc, mlir::Type lhs,
                   mlir::Type rhs);

/// True when `from` broadcasts to `to` under NumPy rules.
bool isBroadcastableTo(mlir::RankedTensorType from, mlir::RankedTensorType to);

mlir::FailureOr<mlir::RankedTensorType>
inferMatmulType(std::optional<mlir::Location> loc, mlir::Type a, mlir::Type b,
                bool transposeA, bool transposeB);

/// Normalizes negative axes and checks them against the rank; empty `axes`
/// means every axis. Returns the sorted, unique axes.
mlir::FailureOr<llvm::SmallVector<int64_t>>
normalizeAxes(std::optional<mlir::Location> loc, int64_t rank,
              llvm::ArrayRef<int64_t> axes);

mlir::FailureOr<mlir::RankedTensorType>
inferReduceType(std::optional<mlir::Location> loc, mlir::Type x,
                llvm::ArrayRef<int64_t> axes, bool keepdims);

mlir::FailureOr<mlir::RankedTensorType>
inferSoftmaxCrossEntropyType(std::optional<mlir::Location> loc,
                             mlir::Type logits, mlir::Type labels);

mlir::LogicalResult verifyReshapeTypes(std::optional<mlir::Location> loc,
                                       mlir::Type from, mlir::Type to);

/// Appends an inferred type to `results`, for inferReturnTypes bodies.
mlir::LogicalResult
pushInferredType(mlir::FailureOr<mlir::RankedTensorType> type,
                 llvm::SmallVectorImpl<mlir::Type> &results);

/// Formats a tensor type the way users write it: `f32[?, 784]`.
std::string formatUserType(mlir::Type type);

} // namespace kiln

#endif // KILN_IR_KILNSHAPERULES_H
