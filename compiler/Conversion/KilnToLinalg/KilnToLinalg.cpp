//===- KilnToLinalg.cpp - Lower kiln tensor ops to linalg ----------------===//
#include "Conversion/KilnToLinalg/LinalgBuilders.h"
#include "Conversion/KilnToLinalg/Patterns.h"
#include "Kiln/IR/KilnOps.h"
#include "Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

namespace kiln {
#define GEN_PASS_DEF_CONVERTKILNTOLINALG
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

struct LowerConstant : OpRewritePattern<ConstantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConstantOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, cast<TypedAttr>(op.getValue()));
    return success();
  }
};

/// Broadcasting binary ops: one generic with the scalar op in its body.
template <typename KilnOp, typename ArithOp>
struct LowerBinary : OpRewritePattern<KilnOp> {
  using OpRewritePattern<KilnOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(KilnOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    ValueRange operands = op->getOperands();
    Value result = buildElementwise(
        rewriter, loc, type, broadcastSizes(rewriter, loc, type, operands),
        operands, [](OpBuilder &b, Location l, ValueRange args) -> Value {
          return ArithOp::create(b, l, args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerReluGrad : OpRewritePattern<ReluGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReluGradOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value result = buildElementwise(
        rewriter, loc, op.getType(),
        tensor::getMixedSizes(rewriter, loc, op.getX()),
        ValueRange{op.getX(), op.getDy()},
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value positive = arith::CmpFOp::create(
              b, l, arith::CmpFPredicate::OGT, args[0], buildF32(b, l, 0));
          return arith::SelectOp::create(b, l, positive, args[1],
                                         buildF32(b, l, 0));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// C[m, n] += op(A)[m, k] * op(B)[k, n] as a generic contraction whose
/// operand maps absorb the transposes.
struct LowerMatmul : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    AffineExpr m, n, k;
    bindDims(context, m, n, k);
    auto map = [&](AffineExpr a, AffineExpr b) {
      return AffineMap::get(3, 0, {a, b}, context);
    };
    AffineMap aMap = op.getTransposeA() ? map(k, m) : map(m, k);
    AffineMap bMap = op.getTransposeB() ? map(n, k) : map(k, n);
    SmallVector<OpFoldResult> sizes{
        tensor::getMixedSize(rewriter, loc, op.getA(),
                             op.getTransposeA() ? 1 : 0),
        tensor::getMixedSize(rewriter, loc, op.getB(),
                             op.getTransposeB() ? 0 : 1)};
    Value init = buildFilled(rewriter, loc, op.getType(), sizes, 0.0f);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{op.getType()},
        ValueRange{op.getA(), op.getB()}, ValueRange{init},
        SmallVector<AffineMap>{aMap, bMap, map(m, n)},
        SmallVector<utils::IteratorType>{utils::IteratorType::parallel,
                                         utils::IteratorType::parallel,
                                         utils::IteratorType::reduction},
        [](OpBuilder &b, Location l, ValueRange args) {
          Value product = arith::MulFOp::create(b, l, args[0], args[1]);
          linalg::YieldOp::create(
              b, l, ValueRange{arith::AddFOp::create(b, l, args[2], product)});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct LowerReshape : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildReshape(rewriter, op.getLoc(), op.getX(),
                                        op.getType()));
    return success();
  }
};

enum class ReduceKind { Sum, Mean, Max };

/// reduce_sum, reduce_mean and reduce_max: a sum (or maximum), then the
/// mean's division, then the reshape that keeps reduced dimensions as 1.
template <typename KilnOp, ReduceKind kind>
struct LowerReduce : OpRewritePattern<KilnOp> {
  using OpRewritePattern<KilnOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(KilnOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getX();
    auto axes = normalizeAxes(std::nullopt,
                              cast<RankedTensorType>(x.getType()).getRank(),
                              op.getAxes());
    if (failed(axes))
      return failure();
    bool isMax = kind == ReduceKind::Max;
    Value reduced = buildReduction(
        rewriter, loc, x, *axes,
        isMax ? -std::numeric_limits<float>::infinity() : 0.0f,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          if (isMax)
            return arith::MaximumFOp::create(b, l, args[0], args[1]);
          return arith::AddFOp::create(b, l, args[0], args[1]);
        });
    if (kind == ReduceKind::Mean) {
      Value count = buildElementCount(rewriter, loc, x, *axes);
      auto sumType = cast<RankedTensorType>(reduced.getType());
      reduced = buildElementwise(
          rewriter, loc, sumType,
          tensor::getMixedSizes(rewriter, loc, reduced), reduced,
          [&](OpBuilder &b, Location l, ValueRange args) -> Value {
            return arith::DivFOp::create(b, l, args[0], count);
          });
    }
    rewriter.replaceOp(op, buildReshape(rewriter, loc, reduced,
                                        cast<RankedTensorType>(op.getType())));
    return success();
  }
};

struct LowerBroadcastLike : OpRewritePattern<BroadcastLikeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BroadcastLikeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value result = buildElementwise(
        rewriter, loc, op.getType(),
        tensor::getMixedSizes(rewriter, loc, op.getLike()), op.getValue(),
        [](OpBuilder &, Location, ValueRange args) { return args[0]; });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerElementCount : OpRewritePattern<ElementCountOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ElementCountOp op,
                                PatternRewriter &rewriter) const override {
    auto axes = normalizeAxes(std::nullopt, op.getX().getType().getRank(),
                              op.getAxes());
    if (failed(axes))
      return failure();
    Value count = buildElementCount(rewriter, op.getLoc(), op.getX(), *axes);
    rewriter.replaceOpWithNewOp<tensor::FromElementsOp>(op, op.getType(),
                                                        count);
    return success();
  }
};

class ConvertKilnToLinalgPass
    : public kiln::impl::ConvertKilnToLinalgBase<ConvertKilnToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    ConversionTarget target(*context);
    target.addIllegalDialect<KilnDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(context);
    populateTensorOpLoweringPatterns(patterns);
    populateElementwiseLoweringPatterns(patterns);
    populateShapeOpLoweringPatterns(patterns);
    populateConvPoolLoweringPatterns(patterns);
    populateLossLoweringPatterns(patterns);
    populateRandomLoweringPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void kiln::populateTensorOpLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerConstant, LowerBinary<AddOp, arith::AddFOp>,
               LowerBinary<SubOp, arith::SubFOp>,
               LowerBinary<MulOp, arith::MulFOp>,
               LowerBinary<DivOp, arith::DivFOp>,
               LowerBinary<PowOp, math::PowFOp>, LowerReluGrad, LowerMatmul,
               LowerReshape, LowerReduce<ReduceSumOp, ReduceKind::Sum>,
               LowerReduce<ReduceMeanOp, ReduceKind::Mean>,
               LowerReduce<ReduceMaxOp, ReduceKind::Max>, LowerBroadcastLike,
               LowerElementCount>(patterns.getContext());
}
