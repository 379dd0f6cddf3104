//===- KilnGradients.cpp - Vector-Jacobian products of kiln ops -----------===//
//
// Each forward op's GradientOpInterface implementation. Rules are written in
// kiln ops so the backward pass goes through the same lowering and fusion as
// the forward pass.
//
//===----------------------------------------------------------------------===//
#include "Kiln/IR/KilnOps.h"

#include "llvm/Support/MathExtras.h"

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

/// Terse builders of broadcasting kiln arithmetic, for the rules below.
struct Arith {
  OpBuilder &b;
  Location loc;
  Value c(float value) { return scalarConstant(b, loc, value); }
  Value add(Value x, Value y) { return AddOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, loc, x, y); }
};

/// A softmax-like op's `axis` as a one-element reduction axis list.
template <typename OpT> DenseI64ArrayAttr axisList(OpBuilder &b, OpT op) {
  return b.getDenseI64ArrayAttr({(int64_t)op.getAxis()});
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
  // max(x, 0) > 0 exactly where x > 0: masking with the output leaves the
  // pre-activation with one reader, so bias + relu fuse into one loop (and
  // into the producing product's epilogue).
  return {ReluGradOp::create(b, getLoc(), getResult(), grads[0])};
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
  Location loc = getLoc();
  Value dlogits = SoftmaxCrossEntropyGradOp::create(b, loc, getLogits(),
                                                    getLabels(), grads[0]);
  if (!getLabels().getType().getElementType().isF32())
    return {dlogits, Value()};
  // Probability labels: d loss[n] / d labels[n, c] = -log_softmax[n, c].
  auto column = RankedTensorType::get(
      {cast<RankedTensorType>(grads[0].getType()).getDimSize(0), 1},
      b.getF32Type());
  Value logProbabilities = LogSoftmaxOp::create(b, loc, getLogits());
  Value dlabels = MulOp::create(b, loc, NegOp::create(b, loc, logProbabilities),
                                reshapeTo(b, loc, grads[0], column));
  return {dlogits, dlabels};
}

SmallVector<Value> PowOp::buildGradients(OpBuilder &b, ArrayRef<Value> grads) {
  Location loc = getLoc();
  Arith a{b, loc};
  Value g = grads[0], x = getLhs(), p = getRhs();
  // d(x^p)/dx = p x^(p-1);  d(x^p)/dp = x^p log(x).
  Value xToPMinus1 = PowOp::create(b, loc, x, a.sub(p, a.c(1)));
  Value dx = a.mul(g, a.mul(p, xToPMinus1));
  Value dp = a.mul(g, a.mul(getResult(), LogOp::create(b, loc, x)));
  return {sumToShape(b, loc, dx, x.getType()),
          sumToShape(b, loc, dp, p.getType())};
}

SmallVector<Value> NegOp::buildGradients(OpBuilder &b, ArrayRef<Value> grads) {
  return {NegOp::create(b, getLoc(), grads[0])};
}

SmallVector<Value> ExpOp::buildGradients(OpBuilder &b, ArrayRef<Value> grads) {
  return {Arith{b, getLoc()}.mul(grads[0], getResult())};
}

SmallVector<Value> LogOp::buildGradients(OpBuilder &b, ArrayRef<Value> grads) {
  return {Arith{b, getLoc()}.div(grads[0], getX())};
}

SmallVector<Value> SqrtOp::buildGradients(OpBuilder &b, ArrayRef<Value> grads) {
  Arith a{b, getLoc()};
  return {a.div(a.mul(grads[0], a.c(0.5f)), getResult())};
}

SmallVector<Value> RsqrtOp::buildGradients(OpBuilder &b,
                                           ArrayRef<Value> grads) {
  // d(x^-1/2)/dx = -1/2 x^-3/2 = -1/2 y^3.
  Arith a{b, getLoc()};
  Value y = getResult();
  Value cube = a.mul(a.mul(y, y), y);
  return {a.mul(grads[0], a.mul(cube, a.c(-0.5f)))};
}

SmallVector<Value> ErfOp::buildGradients(OpBuilder &b, ArrayRef<Value> grads) {
  // d erf(x)/dx = 2/sqrt(pi) e^(-x^2).
  Arith a{b, getLoc()};
  Value x = getX();
  Value gauss = ExpOp::create(b, getLoc(), NegOp::create(b, getLoc(),
                                                         a.mul(x, x)));
  return {a.mul(grads[0], a.mul(gauss, a.c(2 / std::sqrt(llvm::numbers::pi))))};
}

SmallVector<Value> SigmoidOp::buildGradients(OpBuilder &b,
                                             ArrayRef<Value> grads) {
  Arith a{b, getLoc()};
  Value y = getResult();
  return {a.mul(grads[0], a.mul(y, a.sub(a.c(1), y)))};
}

SmallVector<Value> TanhOp::buildGradients(OpBuilder &b, ArrayRef<Value> grads) {
  Arith a{b, getLoc()};
  Value y = getResult();
  return {a.mul(grads[0], a.sub(a.c(1), a.mul(y, y)))};
}

SmallVector<Value> SoftplusOp::buildGradients(OpBuilder &b,
                                              ArrayRef<Value> grads) {
  return {Arith{b, getLoc()}.mul(grads[0],
                                 SigmoidOp::create(b, getLoc(), getX()))};
}

SmallVector<Value> GeluOp::buildGradients(OpBuilder &b, ArrayRef<Value> grads) {
  // d(x Phi(x))/dx = Phi(x) + x phi(x), with the standard normal's
  // Phi(x) = (1 + erf(x / sqrt 2)) / 2 and phi(x) = e^(-x^2/2) / sqrt(2 pi).
  Location loc = getLoc();
  Arith a{b, loc};
  Value x = getX();
  Value erf = ErfOp::create(b, loc, a.mul(x, a.c(1 / std::sqrt(2.0))));
  Value cdf = a.mul(a.add(erf, a.c(1)), a.c(0.5f));
  Value halfSquare = a.mul(a.mul(x, x), a.c(-0.5f));
  Value pdf = a.mul(ExpOp::create(b, loc, halfSquare),
                    a.c(1 / std::sqrt(2 * llvm::numbers::pi)));
  return {a.mul(grads[0], a.add(cdf, a.mul(x, pdf)))};
}

SmallVector<Value> LeakyReluOp::buildGradients(OpBuilder &b,
                                               ArrayRef<Value> grads) {
  // Slope alpha + (1 - alpha) * [x > 0].
  Arith a{b, getLoc()};
  float alpha = getAlpha().convertToFloat();
  Value step = StepOp::create(b, getLoc(), getX());
  Value slope = a.add(a.c(alpha), a.mul(step, a.c(1 - alpha)));
  return {a.mul(grads[0], slope)};
}

SmallVector<Value> EluOp::buildGradients(OpBuilder &b, ArrayRef<Value> grads) {
  // Slope 1 for x > 0, else alpha e^x = y + alpha.
  Arith a{b, getLoc()};
  Value step = StepOp::create(b, getLoc(), getX());
  Value negativeSlope =
      a.add(getResult(), a.c(getAlpha().convertToFloat()));
  Value slope = a.add(step, a.mul(a.sub(a.c(1), step), negativeSlope));
  return {a.mul(grads[0], slope)};
}

SmallVector<Value> SoftmaxOp::buildGradients(OpBuilder &b,
                                             ArrayRef<Value> grads) {
  // dx = y * (g - sum(g * y, axis)).
  Location loc = getLoc();
  Arith a{b, loc};
  Value y = getResult(), g = grads[0];
  Value dot = ReduceSumOp::create(b, loc, a.mul(g, y), axisList(b, *this),
                                  b.getBoolAttr(true));
  return {a.mul(y, a.sub(g, dot))};
}

SmallVector<Value> LogSoftmaxOp::buildGradients(OpBuilder &b,
                                                ArrayRef<Value> grads) {
  // dx = g - softmax(x) * sum(g, axis), with softmax(x) = e^y.
  Location loc = getLoc();
  Arith a{b, loc};
  Value g = grads[0];
  Value total = ReduceSumOp::create(b, loc, g, axisList(b, *this),
                                    b.getBoolAttr(true));
  return {a.sub(g, a.mul(ExpOp::create(b, loc, getResult()), total))};
}

SmallVector<Value> ReduceMaxOp::buildGradients(OpBuilder &b,
                                               ArrayRef<Value> grads) {
  // The maxima share the gradient evenly: mask / count(mask).
  Location loc = getLoc();
  Arith a{b, loc};
  Value kept = keepReducedDims(b, *this, grads[0]);
  Value maxKept = keepReducedDims(b, *this, getResult());
  Value mask = EqualOp::create(b, loc, getX(), maxKept);
  Value ties =
      ReduceSumOp::create(b, loc, mask, getAxesAttr(), b.getBoolAttr(true));
  return {a.mul(mask, a.div(kept, ties))};
}

SmallVector<Value> TransposeOp::buildGradients(OpBuilder &b,
                                               ArrayRef<Value> grads) {
  SmallVector<int64_t> inverse(getPerm().size());
  for (auto [i, p] : llvm::enumerate(getPerm()))
    inverse[p] = i;
  return {TransposeOp::create(b, getLoc(), grads[0],
                              b.getDenseI64ArrayAttr(inverse))};
}

SmallVector<Value> ConcatOp::buildGradients(OpBuilder &b,
                                            ArrayRef<Value> grads) {
  // Each input's gradient is its block of the result's gradient.
  int64_t rank = getType().getRank();
  int64_t axis = (int64_t)getAxis() < 0 ? (int64_t)getAxis() + rank
                                        : (int64_t)getAxis();
  int64_t offset = 0;
  SmallVector<Value> result;
  for (Value input : getInputs()) {
    SmallVector<int64_t> begin(rank, 0), size(rank, -1);
    begin[axis] = offset;
    size[axis] = cast<RankedTensorType>(input.getType()).getDimSize(axis);
    offset += size[axis];
    result.push_back(SliceOp::create(b, getLoc(), grads[0],
                                     b.getDenseI64ArrayAttr(begin),
                                     b.getDenseI64ArrayAttr(size)));
  }
  return result;
}

SmallVector<Value> SliceOp::buildGradients(OpBuilder &b,
                                           ArrayRef<Value> grads) {
  return {SliceGradOp::create(b, getLoc(), grads[0], getX(), getBeginAttr())};
}

SmallVector<Value> Conv2DOp::buildGradients(OpBuilder &b,
                                            ArrayRef<Value> grads) {
  Location loc = getLoc();
  Value dx = Conv2DBackpropInputOp::create(
      b, loc, getX().getType(), grads[0], getFilter(), getStridesAttr(),
      getDilationsAttr(), getPaddingAttr());
  Value dfilter = Conv2DBackpropFilterOp::create(
      b, loc, getFilter().getType(), getX(), grads[0], getStridesAttr(),
      getDilationsAttr(), getPaddingAttr());
  return {dx, dfilter};
}

SmallVector<Value> MaxPoolOp::buildGradients(OpBuilder &b,
                                             ArrayRef<Value> grads) {
  return {MaxPoolGradOp::create(b, getLoc(), getX(), grads[0], getWindowAttr(),
                                getStridesAttr(), getPaddingAttr())};
}

SmallVector<Value> AvgPoolOp::buildGradients(OpBuilder &b,
                                             ArrayRef<Value> grads) {
  return {AvgPoolGradOp::create(b, getLoc(), getX(), grads[0], getWindowAttr(),
                                getStridesAttr(), getPaddingAttr())};
}

SmallVector<Value> DropoutOp::buildGradients(OpBuilder &b,
                                             ArrayRef<Value> grads) {
  // Linear in x for a fixed mask: the same op on dy recomputes that mask.
  Value dx = DropoutOp::create(b, getLoc(), grads[0], getSeed(), getStep(),
                               getRateAttr(), getStreamAttr());
  return {dx, Value(), Value()};
}
