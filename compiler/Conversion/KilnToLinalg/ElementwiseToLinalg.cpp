//===- ElementwiseToLinalg.cpp - Lower elementwise math and softmax ------===//
//
// Unary math and activations become one parallel linalg.generic each, with
// the scalar formula in its body. Softmax and log-softmax reduce along their
// axis (maximum, then sum of exponentials) and combine elementwise.
//
//===----------------------------------------------------------------------===//
#include "Conversion/KilnToLinalg/LinalgBuilders.h"
#include "Conversion/KilnToLinalg/Patterns.h"
#include "Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace kiln;

namespace {

Value isPositive(OpBuilder &b, Location loc, Value x) {
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                               buildF32(b, loc, 0));
}

Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(
      b, loc, buildF32(b, loc, 1),
      arith::AddFOp::create(b, loc, buildF32(b, loc, 1), e));
}

/// erf by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7): the
/// CPU pipeline has no lowering for math.erf.
Value erf(OpBuilder &b, Location loc, Value x) {
  auto c = [&](float v) { return buildF32(b, loc, v); };
  Value ax = math::AbsFOp::create(b, loc, x);
  Value t = arith::DivFOp::create(
      b, loc, c(1),
      arith::AddFOp::create(b, loc, c(1),
                            arith::MulFOp::create(b, loc, c(0.3275911f), ax)));
  Value poly = c(1.061405429f);
  for (float coefficient :
       {-1.453152027f, 1.421413741f, -0.284496736f, 0.254829592f})
    poly = arith::AddFOp::create(
        b, loc, arith::MulFOp::create(b, loc, poly, t), c(coefficient));
  poly = arith::MulFOp::create(b, loc, poly, t);
  Value gauss = math::ExpOp::create(
      b, loc, arith::NegFOp::create(b, loc, arith::MulFOp::create(b, loc, x, x)));
  Value magnitude = arith::SubFOp::create(
      b, loc, c(1), arith::MulFOp::create(b, loc, poly, gauss));
  return math::CopySignOp::create(b, loc, magnitude, x);
}

// The scalar formula of each unary op, given its input element.
Value scalar(OpBuilder &b, Location loc, NegOp, Value x) {
  return arith::NegFOp::create(b, loc, x);
}
Value scalar(OpBuilder &b, Location loc, ExpOp, Value x) {
  return math::ExpOp::create(b, loc, x);
}
Value scalar(OpBuilder &b, Location loc, LogOp, Value x) {
  return math::LogOp::create(b, loc, x);
}
Value scalar(OpBuilder &b, Location loc, SqrtOp, Value x) {
  return math::SqrtOp::create(b, loc, x);
}
Value scalar(OpBuilder &b, Location loc, RsqrtOp, Value x) {
  return math::RsqrtOp::create(b, loc, x);
}
Value scalar(OpBuilder &b, Location loc, ErfOp, Value x) {
  return erf(b, loc, x);
}
Value scalar(OpBuilder &b, Location loc, ReluOp, Value x) {
  return arith::MaximumFOp::create(b, loc, x, buildF32(b, loc, 0));
}
Value scalar(OpBuilder &b, Location loc, SigmoidOp, Value x) {
  return sigmoid(b, loc, x);
}
Value scalar(OpBuilder &b, Location loc, TanhOp, Value x) {
  return math::TanhOp::create(b, loc, x);
}
Value scalar(OpBuilder &b, Location loc, SoftplusOp, Value x) {
  // max(x, 0) + log(1 + e^-|x|) never overflows.
  Value negAbs =
      arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x));
  Value tail =
      math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, negAbs));
  Value positivePart =
      arith::MaximumFOp::create(b, loc, x, buildF32(b, loc, 0));
  return arith::AddFOp::create(b, loc, positivePart, tail);
}
Value scalar(OpBuilder &b, Location loc, GeluOp, Value x) {
  Value scaled = arith::MulFOp::create(b, loc, x,
                                       buildF32(b, loc, 1 / std::sqrt(2.0f)));
  Value cdf = arith::MulFOp::create(
      b, loc, buildF32(b, loc, 0.5f),
      arith::AddFOp::create(b, loc, buildF32(b, loc, 1), erf(b, loc, scaled)));
  return arith::MulFOp::create(b, loc, x, cdf);
}
Value scalar(OpBuilder &b, Location loc, LeakyReluOp op, Value x) {
  Value scaled = arith::MulFOp::create(
      b, loc, x, buildF32(b, loc, op.getAlpha().convertToFloat()));
  return arith::SelectOp::create(b, loc, isPositive(b, loc, x), x, scaled);
}
Value scalar(OpBuilder &b, Location loc, EluOp op, Value x) {
  Value expm1 = arith::SubFOp::create(b, loc, math::ExpOp::create(b, loc, x),
                                      buildF32(b, loc, 1));
  Value scaled = arith::MulFOp::create(
      b, loc, expm1, buildF32(b, loc, op.getAlpha().convertToFloat()));
  return arith::SelectOp::create(b, loc, isPositive(b, loc, x), x, scaled);
}
Value scalar(OpBuilder &b, Location loc, StepOp, Value x) {
  return arith::SelectOp::create(b, loc, isPositive(b, loc, x),
                                 buildF32(b, loc, 1), buildF32(b, loc, 0));
}

template <typename OpT> struct LowerUnary : OpRewritePattern<OpT> {
  using OpRewritePattern<OpT>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpT op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value result = buildElementwise(
        rewriter, loc, op.getType(),
        tensor::getMixedSizes(rewriter, loc, op.getX()), op.getX(),
        [&](OpBuilder &b, Location l, ValueRange args) {
          return scalar(b, l, op, args[0]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// 1.0 where the broadcast operands are equal, else 0.0.
struct LowerEqual : OpRewritePattern<EqualOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(EqualOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    ValueRange operands = op->getOperands();
    Value result = buildElementwise(
        rewriter, loc, type, broadcastSizes(rewriter, loc, type, operands),
        operands, [](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value equal = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                              args[0], args[1]);
          return arith::SelectOp::create(b, l, equal, buildF32(b, l, 1),
                                         buildF32(b, l, 0));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// softmax = e / sum(e) and log_softmax = x - max - log(sum(e)), where
/// e = exp(x - max) and max, sum run along the axis.
template <typename OpT, bool isLog>
struct LowerSoftmax : OpRewritePattern<OpT> {
  using OpRewritePattern<OpT>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpT op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getX();
    auto type = cast<RankedTensorType>(x.getType());
    auto axes = normalizeAxes(std::nullopt, type.getRank(),
                              {(int64_t)op.getAxis()});
    if (failed(axes))
      return failure();
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, x);
    Value max = buildReduction(
        rewriter, loc, x, *axes, -std::numeric_limits<float>::infinity(),
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::MaximumFOp::create(b, l, args[0], args[1]);
        });
    max = buildKeepDims(rewriter, loc, max, type, *axes);
    Value e = buildElementwise(
        rewriter, loc, type, sizes, ValueRange{x, max},
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          return math::ExpOp::create(
              b, l, arith::SubFOp::create(b, l, args[0], args[1]));
        });
    Value sum = buildReduction(
        rewriter, loc, e, *axes, 0.0f,
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::AddFOp::create(b, l, args[0], args[1]);
        });
    sum = buildKeepDims(rewriter, loc, sum, type, *axes);
    Value result;
    if (isLog)
      result = buildElementwise(
          rewriter, loc, type, sizes, ValueRange{x, max, sum},
          [](OpBuilder &b, Location l, ValueRange args) -> Value {
            Value shifted = arith::SubFOp::create(b, l, args[0], args[1]);
            return arith::SubFOp::create(b, l, shifted,
                                         math::LogOp::create(b, l, args[2]));
          });
    else
      result = buildElementwise(
          rewriter, loc, type, sizes, ValueRange{e, sum},
          [](OpBuilder &b, Location l, ValueRange args) -> Value {
            return arith::DivFOp::create(b, l, args[0], args[1]);
          });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void kiln::populateElementwiseLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerUnary<NegOp>, LowerUnary<ExpOp>, LowerUnary<LogOp>,
               LowerUnary<SqrtOp>, LowerUnary<RsqrtOp>, LowerUnary<ErfOp>,
               LowerUnary<ReluOp>, LowerUnary<SigmoidOp>, LowerUnary<TanhOp>,
               LowerUnary<SoftplusOp>, LowerUnary<GeluOp>,
               LowerUnary<LeakyReluOp>, LowerUnary<EluOp>, LowerUnary<StepOp>,
               LowerEqual, LowerSoftmax<SoftmaxOp, false>,
               LowerSoftmax<LogSoftmaxOp, true>>(patterns.getContext());
}
