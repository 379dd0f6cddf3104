//===- KilnOps.cpp - Type inference and verifiers of kiln ops -------------===//
#include "Kiln/IR/KilnOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace kiln;

#include "Kiln/IR/GradientOpInterface.cpp.inc"

#define GET_OP_CLASSES
#include "Kiln/IR/KilnOps.cpp.inc"

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

void ConstantOp::build(OpBuilder &builder, OperationState &state,
                       RankedTensorType type, float value) {
  build(builder, state, DenseElementsAttr::get(type, value));
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }


//===----------------------------------------------------------------------===//
// MatmulOp, reductions, losses
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         ValueRange operands,
                                         DictionaryAttr attributes,
                                         OpaqueProperties properties,
                                         RegionRange regions,
                                         SmallVectorImpl<Type> &results) {
  Adaptor adaptor(operands, attributes, properties, regions);
  return pushInferredType(inferMatmulType(loc, adaptor.getA().getType(),
                                      adaptor.getB().getType(),
                                      adaptor.getTransposeA(),
                                      adaptor.getTransposeB()),
                      results);
}


LogicalResult SoftmaxCrossEntropyOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr, OpaqueProperties, RegionRange,
    SmallVectorImpl<Type> &results) {
  return pushInferredType(inferSoftmaxCrossEntropyType(loc, operands[0].getType(),
                                                   operands[1].getType()),
                      results);
}

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  return verifyReshapeTypes(getLoc(), getX().getType(), getType());
}

LogicalResult SoftmaxCrossEntropyGradOp::verify() {
  auto perExample = inferSoftmaxCrossEntropyType(
      getLoc(), getLogits().getType(), getLabels().getType());
  if (failed(perExample))
    return failure();
  if (getDloss().getType().getRank() != 1)
    return emitOpError("expects dloss of shape [batch], got ")
           << formatUserType(getDloss().getType());
  return success();
}

LogicalResult BroadcastLikeOp::verify() {
  if (!isBroadcastableTo(getValue().getType(), getLike().getType()))
    return emitOpError("cannot broadcast ")
           << formatUserType(getValue().getType()) << " to "
           << formatUserType(getLike().getType());
  return success();
}

LogicalResult ElementCountOp::verify() {
  return normalizeAxes(getLoc(), getX().getType().getRank(), getAxes());
}
