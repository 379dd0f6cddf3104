//===- KilnGradients.cpp - Vector-Jacobian products of kiln ops -----------===//
//
// Each forward op's GradientOpInterface implementation. Rules are written in
// kiln ops so the backward pass goes through the same lowering and fusion as
// the forward pass.
//
//===----------------------------------------------------------------------===//
#include "Kiln/IR/KilnOps.h"

using namespace mlir;
using namespace kiln;

namespace {

Value scalarConstant(OpBuilder &b, Location loc, float value) {
  return ConstantOp::create(b, loc, RankedTensorType::get({}, b.getF32Type()),
                            value);
}

/// Reshapes `value` to `type` unless it already has it.
Value reshapeTo(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return ReshapeOp::create(b, loc, type, value);
}

/// The gradient of a broadcast operand: sums `grad` (shaped like the
/// broadcast result) over the dimensions the operand was stretched along.
Value sumToShape(OpBuilder &b, Location loc, Value grad, Type operandType) {
  auto target = cast<RankedTensorType>(operandType);
  auto source = cast<RankedTensorType>(grad.getType());
  int64_t offset = source.getRank() - target.getRank();
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i < source.getRank(); ++i) {
    if (i < offset || (target.getDimSize(i - offset) == 1 &&
                       source.getDimSize(i) != 1))
      axes.push_back(i);
  }
  if (!axes.empty())
    grad = ReduceSumOp::create(b, loc, grad, b.getDenseI64ArrayAttr(axes),
                               b.getBoolAttr(true));
  return reshapeTo(b, loc, grad, target);
}

/// Shapes a reduction's incoming gradient with the reduced axes kept as 1.
template <typename ReduceOpT>
Value keepReducedDims(OpBuilder &b, ReduceOpT op, Value grad) {
  auto keptType = inferReduceType(std::nullopt, op.getX().getType(),
                                  op.getAxes(), /*keepdims=*/true);
  return reshapeTo(b, op.getLoc(), grad, *keptType);
}

} // namespace

SmallVector<Value> AddOp::buildGradients(OpBuilder &b, ArrayRef<Value> grads) {
  Value g = grads[0];
  return {sumToShape(b, getLoc(), g, getLhs().getType()),
          sumToShape(b, getLoc(), g, getRhs().getType())};
}

SmallVector<Value> SubOp::buildGradients(OpBuilder &b, ArrayRef<Value> grads) {
  Location loc = getLoc();
  Value g = grads[0];
  Value negated = MulOp::create(b, loc, g, scalarConstant(b, loc, -1.0f));
  return {sumToShape(b, loc, g, getLhs().getType()),
          sumToShape(b, loc, negated, getRhs().getType())};
}

SmallVector<Value> MulOp::buildGradients(OpBuilder &b, ArrayRef<Value> grads) {
  Location loc = getLoc();
  Value g = grads[0];
  return {sumToShape(b, loc, MulOp::create(b, loc, g, getRhs()),
                     getLhs().getType()),
          sumToShape(b, loc, MulOp::create(b, loc, g, getLhs()),
                     getRhs().getType())};
}

SmallVector<Value> DivOp::buildGradients(OpBuilder &b, ArrayRef<Value> grads) {
  Location loc = getLoc();
  Value g = grads[0];
  // d(l/r)/dl = 1/r;  d(l/r)/dr = -l/r^2 = -(l/r)/r.
  Value dl = DivOp::create(b, loc, g, getRhs());
  Value quotientOverR = DivOp::create(b, loc, getResult(), getRhs());
  Value dr = MulOp::create(b, loc, MulOp::create(b, loc, g, quotientOverR),
                           scalarConstant(b, loc, -1.0f));
  return {sumToShape(b, loc, dl, getLhs().getType()),
          sumToShape(b, loc, dr, getRhs().getType())};
}

SmallVector<Value> ReluOp::buildGradients(OpBuilder &b, ArrayRef<Value> grads) {
  return {ReluGradOp::create(b, getLoc(), getX(), grads[0])};
}

SmallVector<Value> MatmulOp::buildGradients(OpBuilder &b,
                                            ArrayRef<Value> grads) {
  Location loc = getLoc();
  Value g = grads[0], a = getA(), bb = getB();
  bool ta = getTransposeA(), tb = getTransposeB();
  auto matmul = [&](Value x, Value y, bool tx, bool ty) -> Value {
    return MatmulOp::create(b, loc, x, y, tx, ty);
  };
  // C = op(A) op(B): dop(A) = G op(B)^T and dop(B) = op(A)^T G, then undo
  // the transpose of the operand itself by transposing the product.
  Value da = ta ? matmul(bb, g, tb, true) : matmul(g, bb, false, !tb);
  Value db = tb ? matmul(g, a, true, ta) : matmul(a, g, !ta, false);
  return {da, db};
}

SmallVector<Value> ReshapeOp::buildGradients(OpBuilder &b,
                                             ArrayRef<Value> grads) {
  return {ReshapeOp::create(b, getLoc(), getX().getType(), grads[0])};
}

SmallVector<Value> ReduceSumOp::buildGradients(OpBuilder &b,
                                               ArrayRef<Value> grads) {
  Value kept = keepReducedDims(b, *this, grads[0]);
  return {BroadcastLikeOp::create(b, getLoc(), kept, getX())};
}

SmallVector<Value> ReduceMeanOp::buildGradients(OpBuilder &b,
                                                ArrayRef<Value> grads) {
  Location loc = getLoc();
  Value kept = keepReducedDims(b, *this, grads[0]);
  Value count = ElementCountOp::create(
      b, loc, RankedTensorType::get({}, b.getF32Type()), getX(), getAxesAttr());
  Value scaled = DivOp::create(b, loc, kept, count);
  return {BroadcastLikeOp::create(b, loc, scaled, getX())};
}

SmallVector<Value>
SoftmaxCrossEntropyOp::buildGradients(OpBuilder &b, ArrayRef<Value> grads) {
  Value dlogits = SoftmaxCrossEntropyGradOp::create(b, getLoc(), getLogits(),
                                                    getLabels(), grads[0]);
  return {dlogits, Value()};
}
