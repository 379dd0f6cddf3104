//===- LossesToLinalg.cpp - Lower losses and their gradients -------------===//
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

/// Per-row maximum and sum of exp(logit - maximum) of [N, C] logits.
struct SoftmaxRowStats {
  Value max, sumExp;
};

/// A generic over [N, C] (reduction over C) reading `inputs` (each either
/// [N, C] or [N]) into a zero-initialized [N] accumulator.
Value buildRowReduction(OpBuilder &b, Location loc, Value logits,
                        ValueRange inputs, BodyBuilder body) {
  MLIRContext *context = b.getContext();
  AffineExpr n, c;
  bindDims(context, n, c);
  auto full = AffineMap::get(2, 0, {n, c}, context);
  auto row = AffineMap::get(2, 0, {n}, context);
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(cast<RankedTensorType>(input.getType()).getRank() == 2
                       ? full
                       : row);
  maps.push_back(row);
  auto logitsType = cast<RankedTensorType>(logits.getType());
  auto rowType = RankedTensorType::get({logitsType.getDimSize(0)},
                                       logitsType.getElementType());
  Value init = buildFilled(b, loc, rowType,
                           {tensor::getMixedSize(b, loc, logits, 0)}, 0.0f);
  return linalg::GenericOp::create(
             b, loc, TypeRange{rowType}, inputs, ValueRange{init}, maps,
             {utils::IteratorType::parallel, utils::IteratorType::reduction},
             [&](OpBuilder &nested, Location l, ValueRange args) {
               linalg::YieldOp::create(nested, l, body(nested, l, args));
             })
      .getResult(0);
}

SoftmaxRowStats buildSoftmaxRowStats(OpBuilder &b, Location loc,
                                     Value logits) {
  Value max = buildReduction(
      b, loc, logits, {1}, -std::numeric_limits<float>::infinity(),
      [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::MaximumFOp::create(nb, l, args[0], args[1]);
      });
  Value sumExp = buildRowReduction(
      b, loc, logits, ValueRange{logits, max},
      [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value shifted = arith::SubFOp::create(nb, l, args[0], args[1]);
        Value e = math::ExpOp::create(nb, l, shifted);
        return arith::AddFOp::create(nb, l, args[2], e);
      });
  return {max, sumExp};
}

/// True in a generic over [N, C] when the class index equals the label.
Value isLabelClass(OpBuilder &b, Location loc, Value label) {
  Value classIndex = linalg::IndexOp::create(b, loc, 1);
  Value labelIndex =
      arith::IndexCastOp::create(b, loc, b.getIndexType(), label);
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, classIndex,
                               labelIndex);
}

bool hasDenseLabels(Value labels) {
  return cast<RankedTensorType>(labels.getType()).getElementType().isF32();
}

/// `label * value` in a generic over [N, C], where an i32 label stands for
/// its one-hot row: `value` at the label's class, 0 elsewhere.
Value weightByLabel(OpBuilder &b, Location loc, Value label, Value value) {
  if (label.getType().isF32())
    return arith::MulFOp::create(b, loc, label, value);
  return arith::SelectOp::create(b, loc, isLabelClass(b, loc, label), value,
                                 buildF32(b, loc, 0));
}

/// Per-row sum of the labels: 1 for i32 labels, computed for f32 ones.
Value buildLabelSum(OpBuilder &b, Location loc, Value logits, Value labels) {
  if (!hasDenseLabels(labels))
    return {};
  return buildRowReduction(
      b, loc, logits, ValueRange{labels},
      [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return arith::AddFOp::create(nb, l, args[1], args[0]);
      });
}

struct LowerSoftmaxCrossEntropy : OpRewritePattern<SoftmaxCrossEntropyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxCrossEntropyOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value logits = op.getLogits(), labels = op.getLabels();
    SoftmaxRowStats stats = buildSoftmaxRowStats(rewriter, loc, logits);
    Value picked = buildRowReduction(
        rewriter, loc, logits, ValueRange{logits, labels},
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::AddFOp::create(b, l, args[2],
                                       weightByLabel(b, l, args[1], args[0]));
        });
    // loss[n] = (log(sum exp(l - max)) + max) * sum(labels) - sum(labels * l).
    SmallVector<Value> inputs{stats.sumExp, stats.max, picked};
    if (Value labelSum = buildLabelSum(rewriter, loc, logits, labels))
      inputs.push_back(labelSum);
    Value loss = buildElementwise(
        rewriter, loc, op.getType(),
        {tensor::getMixedSize(rewriter, loc, logits, 0)}, inputs,
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value logSum = math::LogOp::create(b, l, args[0]);
          Value shifted = arith::AddFOp::create(b, l, logSum, args[1]);
          if (args.size() == 4)
            shifted = arith::MulFOp::create(b, l, shifted, args[3]);
          return arith::SubFOp::create(b, l, shifted, args[2]);
        });
    rewriter.replaceOp(op, loss);
    return success();
  }
};

struct LowerSoftmaxCrossEntropyGrad
    : OpRewritePattern<SoftmaxCrossEntropyGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxCrossEntropyGradOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Value logits = op.getLogits(), labels = op.getLabels();
    SoftmaxRowStats stats = buildSoftmaxRowStats(rewriter, loc, logits);
    AffineExpr n, c;
    bindDims(context, n, c);
    auto full = AffineMap::get(2, 0, {n, c}, context);
    auto row = AffineMap::get(2, 0, {n}, context);
    SmallVector<Value> inputs{logits, labels, stats.max, stats.sumExp,
                              op.getDloss()};
    SmallVector<AffineMap> maps{full, hasDenseLabels(labels) ? full : row, row,
                                row, row};
    if (Value labelSum = buildLabelSum(rewriter, loc, logits, labels)) {
      inputs.push_back(labelSum);
      maps.push_back(row);
    }
    maps.push_back(full);
    Value init = buildEmpty(rewriter, loc, op.getType(),
                            tensor::getMixedSizes(rewriter, loc, logits));
    // d logits = (softmax * sum(labels) - labels) * dloss[n].
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{op.getType()}, inputs, ValueRange{init}, maps,
        {utils::IteratorType::parallel, utils::IteratorType::parallel},
        [](OpBuilder &b, Location l, ValueRange args) {
          Value shifted = arith::SubFOp::create(b, l, args[0], args[2]);
          Value p = arith::DivFOp::create(
              b, l, math::ExpOp::create(b, l, shifted), args[3]);
          if (args.size() == 7)
            p = arith::MulFOp::create(b, l, p, args[5]);
          Value target =
              args[1].getType().isF32()
                  ? args[1]
                  : arith::SelectOp::create(b, l, isLabelClass(b, l, args[1]),
                                            buildF32(b, l, 1),
                                            buildF32(b, l, 0));
          Value diff = arith::SubFOp::create(b, l, p, target);
          linalg::YieldOp::create(
              b, l, ValueRange{arith::MulFOp::create(b, l, diff, args[4])});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void kiln::populateLossLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerSoftmaxCrossEntropy, LowerSoftmaxCrossEntropyGrad>(
      patterns.getContext());
}
