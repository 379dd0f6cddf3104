//===- LinalgBuilders.cpp - Small builders shared by kiln lowerings ------===//
#include "Conversion/KilnToLinalg/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

using namespace mlir;

namespace kiln {

Value buildF32(OpBuilder &b, Location loc, float value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

Value buildEmpty(OpBuilder &b, Location loc, RankedTensorType type,
                 ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> mixed;
  for (auto [i, d] : llvm::enumerate(type.getShape()))
    mixed.push_back(ShapedType::isDynamic(d) ? sizes[i]
                                             : OpFoldResult(b.getIndexAttr(d)));
  return tensor::EmptyOp::create(b, loc, mixed, type.getElementType());
}

Value buildFilled(OpBuilder &b, Location loc, RankedTensorType type,
                  ArrayRef<OpFoldResult> sizes, float value) {
  Value empty = buildEmpty(b, loc, type, sizes);
  return linalg::FillOp::create(b, loc, ValueRange{buildF32(b, loc, value)},
                                ValueRange{empty})
      .getResult(0);
}

AffineMap broadcastMap(RankedTensorType operand, RankedTensorType resultType,
                       MLIRContext *context) {
  int64_t offset = resultType.getRank() - operand.getRank();
  SmallVector<AffineExpr> exprs;
  for (auto [i, d] : llvm::enumerate(operand.getShape())) {
    bool stretched = d == 1 && resultType.getDimSize(offset + i) != 1;
    exprs.push_back(stretched ? getAffineConstantExpr(0, context)
                              : getAffineDimExpr(offset + i, context));
  }
  return AffineMap::get(resultType.getRank(), 0, exprs, context);
}

Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ArrayRef<OpFoldResult> sizes, ValueRange inputs,
                       BodyBuilder body) {
  MLIRContext *context = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(broadcastMap(cast<RankedTensorType>(input.getType()),
                                resultType, context));
  maps.push_back(AffineMap::getMultiDimIdentityMap(resultType.getRank(),
                                                   context));
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  Value init = buildEmpty(b, loc, resultType, sizes);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

SmallVector<OpFoldResult> broadcastSizes(OpBuilder &b, Location loc,
                                         RankedTensorType resultType,
                                         ValueRange operands) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t i = 0; i < resultType.getRank(); ++i) {
    OpFoldResult size = b.getIndexAttr(resultType.getDimSize(i));
    if (resultType.isDynamicDim(i)) {
      for (Value operand : operands) {
        auto type = cast<RankedTensorType>(operand.getType());
        int64_t dim = i - (resultType.getRank() - type.getRank());
        if (dim >= 0 && type.isDynamicDim(dim)) {
          size = tensor::getMixedSize(b, loc, operand, dim);
          break;
        }
      }
    }
    sizes.push_back(size);
  }
  return sizes;
}

Value buildReduction(OpBuilder &b, Location loc, Value input,
                     ArrayRef<int64_t> axes, float initial,
                     BodyBuilder combine) {
  MLIRContext *context = b.getContext();
  auto inputType = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape;
  SmallVector<OpFoldResult> sizes;
  SmallVector<AffineExpr> outputExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t i = 0; i < inputType.getRank(); ++i) {
    bool reduced = llvm::is_contained(axes, i);
    iterators.push_back(reduced ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
    if (reduced)
      continue;
    shape.push_back(inputType.getDimSize(i));
    sizes.push_back(tensor::getMixedSize(b, loc, input, i));
    outputExprs.push_back(getAffineDimExpr(i, context));
  }
  auto resultType = RankedTensorType::get(shape, inputType.getElementType());
  Value init = buildFilled(b, loc, resultType, sizes, initial);
  SmallVector<AffineMap> maps{
      AffineMap::getMultiDimIdentityMap(inputType.getRank(), context),
      AffineMap::get(inputType.getRank(), 0, outputExprs, context)};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, ValueRange{input}, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        linalg::YieldOp::create(nested, nestedLoc,
                                combine(nested, nestedLoc, args));
      });
  return generic.getResult(0);
}

Value buildReshape(OpBuilder &b, Location loc, Value value,
                   RankedTensorType type) {
  auto source = cast<RankedTensorType>(value.getType());
  if (source == type)
    return value;
  // Collapse to one dimension (or none), then expand to the target rank.
  Value flat = value;
  if (source.getRank() > 1) {
    ReassociationIndices all;
    for (int64_t i = 0; i < source.getRank(); ++i)
      all.push_back(i);
    int64_t count = source.getNumElements();
    auto flatType = RankedTensorType::get(
        {source.hasStaticShape() ? count : ShapedType::kDynamic},
        source.getElementType());
    flat = tensor::CollapseShapeOp::create(b, loc, flatType, value,
                                           ArrayRef<ReassociationIndices>{all});
  }
  if (type.getRank() == 0 || cast<RankedTensorType>(flat.getType()).getRank() == 0) {
    // Between a scalar and an all-ones shape: no reassociation groups.
    if (type.getRank() == 0)
      return tensor::CollapseShapeOp::create(b, loc, type, flat,
                                             ArrayRef<ReassociationIndices>{});
    return tensor::ExpandShapeOp::create(b, loc, type, flat,
                                         ArrayRef<ReassociationIndices>{});
  }
  if (type.getRank() == 1)
    return tensor::CastOp::create(b, loc, type, flat);

  // The one dynamic target dimension takes what the static ones leave.
  int64_t staticCount = 1;
  for (int64_t d : type.getShape())
    if (!ShapedType::isDynamic(d))
      staticCount *= d;
  SmallVector<OpFoldResult> outputShape;
  for (int64_t d : type.getShape()) {
    if (!ShapedType::isDynamic(d)) {
      outputShape.push_back(b.getIndexAttr(d));
      continue;
    }
    Value total = tensor::DimOp::create(b, loc, flat, 0);
    Value divisor = arith::ConstantIndexOp::create(b, loc, staticCount);
    outputShape.push_back(
        arith::DivUIOp::create(b, loc, total, divisor).getResult());
  }
  auto flatType = cast<RankedTensorType>(flat.getType());
  // expand_shape needs the flat dimension's static-ness to match the target.
  auto expandSource = RankedTensorType::get(
      {type.hasStaticShape() ? type.getNumElements() : ShapedType::kDynamic},
      flatType.getElementType());
  if (expandSource != flatType)
    flat = tensor::CastOp::create(b, loc, expandSource, flat);
  ReassociationIndices all;
  for (int64_t i = 0; i < type.getRank(); ++i)
    all.push_back(i);
  return tensor::ExpandShapeOp::create(b, loc, type, flat,
                                       ArrayRef<ReassociationIndices>{all},
                                       outputShape);
}

Value buildElementCount(OpBuilder &b, Location loc, Value value,
                        ArrayRef<int64_t> axes) {
  Value count = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t axis : axes) {
    Value dim = tensor::DimOp::create(b, loc, value, axis);
    count = arith::MulIOp::create(b, loc, count, dim);
  }
  Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), asInt);
}

Value buildGuardedExtract(OpBuilder &b, Location loc, Value source,
                          ValueRange indices, Value inBounds, Value fallback) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  SmallVector<Value> safe;
  for (Value index : indices)
    safe.push_back(arith::SelectOp::create(b, loc, inBounds, index, zero));
  Value read = tensor::ExtractOp::create(b, loc, source, safe);
  return arith::SelectOp::create(b, loc, inBounds, read, fallback);
}

Value buildInRange(OpBuilder &b, Location loc, Value index, int64_t low,
                   int64_t high) {
  Value lo = arith::ConstantIndexOp::create(b, loc, low);
  Value hi = arith::ConstantIndexOp::create(b, loc, high);
  Value aboveLow =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, index, lo);
  Value belowHigh =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, index, hi);
  return arith::AndIOp::create(b, loc, aboveLow, belowHigh);
}

Value buildKeepDims(OpBuilder &b, Location loc, Value value,
                    RankedTensorType unreduced, ArrayRef<int64_t> axes) {
  SmallVector<int64_t> shape(unreduced.getShape());
  for (int64_t axis : axes)
    shape[axis] = 1;
  return buildReshape(b, loc, value,
                      RankedTensorType::get(shape, unreduced.getElementType()));
}

} // namespace kiln
