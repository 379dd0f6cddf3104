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
// Shape ops
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attributes, OpaqueProperties properties,
    RegionRange regions, SmallVectorImpl<Type> &results) {
  Adaptor adaptor(operands, attributes, properties, regions);
  return pushInferredType(
      inferTransposeType(loc, adaptor.getX().getType(), adaptor.getPerm()),
      results);
}

LogicalResult ConcatOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attributes, OpaqueProperties properties,
    RegionRange regions, SmallVectorImpl<Type> &results) {
  Adaptor adaptor(operands, attributes, properties, regions);
  return pushInferredType(inferConcatType(loc, adaptor.getInputs().getTypes(),
                                          adaptor.getAxis()),
                          results);
}

LogicalResult SliceOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attributes, OpaqueProperties properties,
    RegionRange regions, SmallVectorImpl<Type> &results) {
  Adaptor adaptor(operands, attributes, properties, regions);
  return pushInferredType(inferSliceType(loc, adaptor.getX().getType(),
                                         adaptor.getBegin(),
                                         adaptor.getSize()),
                          results);
}

LogicalResult OneHotOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attributes, OpaqueProperties properties,
    RegionRange regions, SmallVectorImpl<Type> &results) {
  Adaptor adaptor(operands, attributes, properties, regions);
  return pushInferredType(inferOneHotType(loc, adaptor.getIndices().getType(),
                                          adaptor.getDepth()),
                          results);
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

LogicalResult Conv2DOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attributes, OpaqueProperties properties,
    RegionRange regions, SmallVectorImpl<Type> &results) {
  Adaptor adaptor(operands, attributes, properties, regions);
  return pushInferredType(
      inferConv2DType(loc, adaptor.getX().getType(),
                      adaptor.getFilter().getType(), adaptor.getStrides(),
                      adaptor.getDilations(), adaptor.getPadding()),
      results);
}

/// max_pool and avg_pool share their shape rule.
template <typename PoolOpT>
static LogicalResult inferPoolReturnType(std::optional<Location> loc,
                                         ValueRange operands,
                                         DictionaryAttr attributes,
                                         OpaqueProperties properties,
                                         RegionRange regions,
                                         SmallVectorImpl<Type> &results) {
  typename PoolOpT::Adaptor adaptor(operands, attributes, properties, regions);
  StringRef name = PoolOpT::getOperationName().drop_front(strlen("kiln."));
  return pushInferredType(inferPoolType(loc, name, adaptor.getX().getType(),
                                        adaptor.getWindow(),
                                        adaptor.getStrides(),
                                        adaptor.getPadding()),
                          results);
}

LogicalResult MaxPoolOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attributes, OpaqueProperties properties,
    RegionRange regions, SmallVectorImpl<Type> &results) {
  return inferPoolReturnType<MaxPoolOp>(loc, operands, attributes, properties,
                                        regions, results);
}

LogicalResult AvgPoolOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attributes, OpaqueProperties properties,
    RegionRange regions, SmallVectorImpl<Type> &results) {
  return inferPoolReturnType<AvgPoolOp>(loc, operands, attributes, properties,
                                        regions, results);
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

template <typename SoftmaxOpT>
static LogicalResult verifySoftmaxAxis(SoftmaxOpT op) {
  return normalizeAxes(op.getLoc(), op.getX().getType().getRank(),
                       {(int64_t)op.getAxis()});
}
LogicalResult SoftmaxOp::verify() { return verifySoftmaxAxis(*this); }
LogicalResult LogSoftmaxOp::verify() { return verifySoftmaxAxis(*this); }

LogicalResult SliceGradOp::verify() {
  // dy is the slice of x at `begin` whose sizes are dy's own.
  SmallVector<int64_t> sizes;
  for (int64_t d : getDy().getType().getShape())
    sizes.push_back(ShapedType::isDynamic(d) ? -1 : d);
  auto sliced = inferSliceType(getLoc(), getX().getType(), getBegin(), sizes);
  if (failed(sliced))
    return failure();
  return verifyCompatibleType(getLoc(), "dy", getDy().getType(), *sliced);
}

LogicalResult Conv2DBackpropInputOp::verify() {
  auto forward = inferConv2DType(getLoc(), getType(), getFilter().getType(),
                                 getStrides(), getDilations(), getPadding());
  if (failed(forward))
    return failure();
  return verifyCompatibleType(getLoc(), "dy", getDy().getType(), *forward);
}

LogicalResult Conv2DBackpropFilterOp::verify() {
  auto forward = inferConv2DType(getLoc(), getX().getType(), getType(),
                                 getStrides(), getDilations(), getPadding());
  if (failed(forward))
    return failure();
  return verifyCompatibleType(getLoc(), "dy", getDy().getType(), *forward);
}

template <typename PoolGradOpT>
static LogicalResult verifyPoolGrad(PoolGradOpT op, StringRef forwardName) {
  auto forward =
      inferPoolType(op.getLoc(), forwardName, op.getX().getType(),
                    op.getWindow(), op.getStrides(), op.getPadding());
  if (failed(forward))
    return failure();
  return verifyCompatibleType(op.getLoc(), "dy", op.getDy().getType(),
                              *forward);
}
LogicalResult MaxPoolGradOp::verify() {
  return verifyPoolGrad(*this, "max_pool");
}
LogicalResult AvgPoolGradOp::verify() {
  return verifyPoolGrad(*this, "avg_pool");
}

LogicalResult DropoutOp::verify() {
  float rate = getRate().convertToFloat();
  if (!(rate >= 0.0f && rate < 1.0f))
    return emitOpError("rate must be in [0, 1), got ") << rate;
  return success();
}

LogicalResult BatchNormOp::verify() {
  auto x = getX().getType();
  auto channels = getGamma().getType();
  if (x.getRank() < 2 || x.isDynamicDim(x.getRank() - 1))
    return emitOpError("expects an input with a batch and a static channel "
                       "dimension, got ")
           << formatUserType(x);
  if (channels.getRank() != 1 ||
      channels.getDimSize(0) != x.getDimSize(x.getRank() - 1))
    return emitOpError("expects gamma, beta and the moving statistics of "
                       "shape [")
           << x.getDimSize(x.getRank() - 1) << "], got "
           << formatUserType(channels);
  float momentum = getMomentum().convertToFloat();
  if (!(momentum >= 0.0f && momentum < 1.0f) ||
      !(getEpsilon().convertToFloat() > 0.0f))
    return emitOpError("expects momentum in [0, 1) and epsilon > 0");
  return success();
}
