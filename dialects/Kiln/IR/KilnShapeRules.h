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

/// Labels are i32 [N] class indices or f32 [N, C] probabilities.
mlir::FailureOr<mlir::RankedTensorType>
inferSoftmaxCrossEntropyType(std::optional<mlir::Location> loc,
                             mlir::Type logits, mlir::Type labels);

mlir::FailureOr<mlir::RankedTensorType>
inferTransposeType(std::optional<mlir::Location> loc, mlir::Type x,
                   llvm::ArrayRef<int64_t> perm);

mlir::FailureOr<mlir::RankedTensorType>
inferConcatType(std::optional<mlir::Location> loc, mlir::TypeRange inputs,
                int64_t axis);

/// `tf.slice` shapes: a size of -1 means "to the end".
mlir::FailureOr<mlir::RankedTensorType>
inferSliceType(std::optional<mlir::Location> loc, mlir::Type x,
               llvm::ArrayRef<int64_t> begin, llvm::ArrayRef<int64_t> size);

mlir::FailureOr<mlir::RankedTensorType>
inferOneHotType(std::optional<mlir::Location> loc, mlir::Type indices,
                int64_t depth);

/// One spatial dimension of a windowed op (TensorFlow's padding rules).
struct WindowDim {
  int64_t outSize;
  /// Padding before the first element; the rest goes after the last one.
  int64_t padBefore;
};
WindowDim windowDim(int64_t inSize, int64_t window, int64_t stride,
                    int64_t dilation, bool same);

/// Checks that `padding` is "SAME" or "VALID"; returns whether it is SAME.
mlir::FailureOr<bool> parsePadding(std::optional<mlir::Location> loc,
                                   llvm::StringRef padding);

mlir::FailureOr<mlir::RankedTensorType>
inferConv2DType(std::optional<mlir::Location> loc, mlir::Type x,
                mlir::Type filter, llvm::ArrayRef<int64_t> strides,
                llvm::ArrayRef<int64_t> dilations, llvm::StringRef padding);

/// max_pool / avg_pool; `name` is used in messages.
mlir::FailureOr<mlir::RankedTensorType>
inferPoolType(std::optional<mlir::Location> loc, llvm::StringRef name,
              mlir::Type x, llvm::ArrayRef<int64_t> window,
              llvm::ArrayRef<int64_t> strides, llvm::StringRef padding);

/// Fails at `loc` unless `actual` has `expected`'s shape (a dynamic
/// dimension matches any size); `what` names `actual` in the message.
mlir::LogicalResult verifyCompatibleType(std::optional<mlir::Location> loc,
                                         llvm::StringRef what,
                                         mlir::Type actual,
                                         mlir::Type expected);

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
