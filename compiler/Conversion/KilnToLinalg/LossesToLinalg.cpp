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

/// What the loss and its gradient need of each row of [N, C] logits.
struct SoftmaxRowStats {
  Value max;      // the largest logit
  Value sumExp;   // sum of exp(logit - max)
  Value picked;   // sum of label * logit
  Value labelSum; // sum of the labels; null for i32 labels (always 1)
};

/// All the row statistics in one pass over the logits: one generic with a
/// result per statistic. The sum of exponentials is kept relative to the
/// running maximum (online softmax): when the maximum grows from m to m',
/// the sum so far is scaled by exp(m - m'). The forward loss and the
/// gradient build the same op, which CSE then computes once.
SoftmaxRowStats buildSoftmaxRowStats(OpBuilder &b, Location loc, Value logits,
                                     Value labels) {
  MLIRContext *context = b.getContext();
  AffineExpr n, c;
  bindDims(context, n, c);
  auto full = AffineMap::get(2, 0, {n, c}, context);
  auto row = AffineMap::get(2, 0, {n}, context);
  bool dense = hasDenseLabels(labels);
  auto logitsType = cast<RankedTensorType>(logits.getType());
  auto rowType = RankedTensorType::get({logitsType.getDimSize(0)},
                                       logitsType.getElementType());
  OpFoldResult rows = tensor::getMixedSize(b, loc, logits, 0);
  // The sums of labelled logits start from -0, IEEE's exact additive
  // identity; it also keeps their fill apart from the exponentials' +0, so
  // CSE does not merge the two and bufferization needs no copy to give each
  // result its own buffer.
  SmallVector<Value> inits{
      buildFilled(b, loc, rowType, {rows},
                  -std::numeric_limits<float>::infinity()),
      buildFilled(b, loc, rowType, {rows}, 0.0f),
      buildFilled(b, loc, rowType, {rows}, -0.0f)};
  if (dense)
    inits.push_back(buildFilled(b, loc, rowType, {rows}, 0.0f));
  SmallVector<AffineMap> maps{full, dense ? full : row};
  maps.append(inits.size(), row);
  auto stats = linalg::GenericOp::create(
      b, loc, SmallVector<Type>(inits.size(), rowType),
      ValueRange{logits, labels}, inits, maps,
      {utils::IteratorType::parallel, utils::IteratorType::reduction},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value x = args[0], label = args[1], max = args[2], sumExp = args[3],
              picked = args[4];
        Value newMax = arith::MaximumFOp::create(nb, l, max, x);
        Value rescaled = arith::MulFOp::create(
            nb, l, sumExp,
            math::ExpOp::create(nb, l,
                                arith::SubFOp::create(nb, l, max, newMax)));
        Value term = math::ExpOp::create(
            nb, l, arith::SubFOp::create(nb, l, x, newMax));
        SmallVector<Value> results{
            newMax, arith::AddFOp::create(nb, l, rescaled, term),
            arith::AddFOp::create(nb, l, picked,
                                  weightByLabel(nb, l, label, x))};
        if (dense)
          results.push_back(arith::AddFOp::create(nb, l, args[5], label));
        linalg::YieldOp::create(nb, l, results);
      });
  return {stats.getResult(0), stats.getResult(1), stats.getResult(2),
          dense ? stats.getResult(3) : Value()};
}

struct LowerSoftmaxCrossEntropy : OpRewritePattern<SoftmaxCrossEntropyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxCrossEntropyOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value logits = op.getLogits(), labels = op.getLabels();
    SoftmaxRowStats stats =
        buildSoftmaxRowStats(rewriter, loc, logits, labels);
    // loss[n] = (log(sum exp(l - max)) + max) * sum(labels) - sum(labels * l).
    SmallVector<Value> inputs{stats.sumExp, stats.max, stats.picked};
    if (stats.labelSum)
      inputs.push_back(stats.labelSum);
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
    SoftmaxRowStats stats =
        buildSoftmaxRowStats(rewriter, loc, logits, labels);
    AffineExpr n, c;
    bindDims(context, n, c);
    auto full = AffineMap::get(2, 0, {n, c}, context);
    auto row = AffineMap::get(2, 0, {n}, context);
    SmallVector<Value> inputs{logits, labels, stats.max, stats.sumExp,
                              op.getDloss()};
    SmallVector<AffineMap> maps{full, hasDenseLabels(labels) ? full : row, row,
                                row, row};
    if (stats.labelSum) {
      inputs.push_back(stats.labelSum);
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
