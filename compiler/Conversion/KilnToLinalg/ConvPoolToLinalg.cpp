//===- ConvPoolToLinalg.cpp - Lower convolution, pooling and gradients ---===//
//
// Forward ops read a padded copy of the input (built by a generic whose
// reads are guarded, not tensor.pad, which the CPU pipeline cannot lower
// without a runtime copy function) through linalg's named NHWC convolution
// and pooling ops. Gradients with respect to the input are gathers: each
// input element sums, over the window offsets (kh, kw), the output position
// whose window puts that offset on it, if there is one.
//
//===----------------------------------------------------------------------===//
#include "Conversion/KilnToLinalg/LinalgBuilders.h"
#include "Conversion/KilnToLinalg/Patterns.h"
#include "Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace kiln;

namespace {

constexpr float kNegInfinity = -std::numeric_limits<float>::infinity();

/// One spatial dimension (height or width) of a windowed op.
struct Spatial {
  int64_t in, window, stride, dilation, out, padBefore;
  /// Input rows (from the first padded one) that the windows reach.
  int64_t reach() const { return (out - 1) * stride + (window - 1) * dilation + 1; }
};
using Geometry = std::array<Spatial, 2>;

Geometry geometry(RankedTensorType x, ArrayRef<int64_t> window,
                  ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                  StringRef padding) {
  Geometry g;
  for (int i = 0; i < 2; ++i) {
    int64_t in = x.getDimSize(1 + i);
    WindowDim dim = windowDim(in, window[i], strides[i], dilations[i],
                              padding == "SAME");
    g[i] = {in, window[i], strides[i], dilations[i], dim.outSize,
            dim.padBefore};
  }
  return g;
}

/// `x` with `fill` around it so that every window of `g` lies inside; `x`
/// itself when no window leaves it.
Value buildPadded(OpBuilder &b, Location loc, Value x, const Geometry &g,
                  float fill) {
  if (llvm::all_of(g, [](const Spatial &s) {
        return s.padBefore == 0 && s.reach() <= s.in;
      }))
    return x;
  auto xType = cast<RankedTensorType>(x.getType());
  auto type = RankedTensorType::get({xType.getDimSize(0), g[0].reach(),
                                     g[1].reach(), xType.getDimSize(3)},
                                    xType.getElementType());
  return buildElementwise(
      b, loc, type, tensor::getMixedSizes(b, loc, x), ValueRange{},
      [&](OpBuilder &nb, Location l, ValueRange) {
        SmallVector<Value> indices;
        for (int64_t d = 0; d < 4; ++d)
          indices.push_back(linalg::IndexOp::create(nb, l, d));
        Value inside = arith::ConstantIntOp::create(nb, l, 1, 1);
        for (int i = 0; i < 2; ++i) {
          Value &index = indices[1 + i];
          index = arith::SubIOp::create(
              nb, l, index,
              arith::ConstantIndexOp::create(nb, l, g[i].padBefore));
          inside = arith::AndIOp::create(nb, l, inside,
                                         buildInRange(nb, l, index, 0, g[i].in));
        }
        return buildGuardedExtract(nb, l, x, indices, inside,
                                   buildF32(nb, l, fill));
      });
}

/// The output position whose window puts offset `k` on input position
/// `in`, and whether it exists: in + pad - k * dilation = out * stride.
std::pair<Value, Value> sourceOutput(OpBuilder &b, Location loc, Value in,
                                     Value k, const Spatial &s) {
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  Value shifted = arith::SubIOp::create(
      b, loc, arith::AddIOp::create(b, loc, in, index(s.padBefore)),
      arith::MulIOp::create(b, loc, k, index(s.dilation)));
  Value out = arith::DivSIOp::create(b, loc, shifted, index(s.stride));
  Value exact = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::eq,
      arith::RemSIOp::create(b, loc, shifted, index(s.stride)), index(0));
  Value valid = arith::AndIOp::create(
      b, loc, exact,
      arith::AndIOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, shifted,
                                index(0)),
          buildInRange(b, loc, out, 0, s.out)));
  return {out, valid};
}

/// Input elements (not padding) in the window at output position `out`.
Value coveredCount(OpBuilder &b, Location loc, Value out, const Spatial &s) {
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  Value start = arith::SubIOp::create(
      b, loc, arith::MulIOp::create(b, loc, out, index(s.stride)),
      index(s.padBefore));
  Value end = arith::MinSIOp::create(
      b, loc, arith::AddIOp::create(b, loc, start, index(s.window)),
      index(s.in));
  return arith::SubIOp::create(
      b, loc, end, arith::MaxSIOp::create(b, loc, start, index(0)));
}

Value indexToF32(OpBuilder &b, Location loc, Value index) {
  Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), asInt);
}

/// Sizes of an NHWC tensor of `type` whose batch is that of `batchSource`.
SmallVector<OpFoldResult> nhwcSizes(OpBuilder &b, Location loc,
                                    RankedTensorType type, Value batchSource) {
  return {tensor::getMixedSize(b, loc, batchSource, 0),
          b.getIndexAttr(type.getDimSize(1)), b.getIndexAttr(type.getDimSize(2)),
          b.getIndexAttr(type.getDimSize(3))};
}

AffineMap map(MLIRContext *context, unsigned dims,
              ArrayRef<AffineExpr> results) {
  return AffineMap::get(dims, 0, results, context);
}

SmallVector<utils::IteratorType> iterators(int parallel, int reduction) {
  SmallVector<utils::IteratorType> result(parallel,
                                          utils::IteratorType::parallel);
  result.append(reduction, utils::IteratorType::reduction);
  return result;
}

struct LowerConv2D : OpRewritePattern<Conv2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Conv2DOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto filterShape = op.getFilter().getType().getShape();
    Geometry g = geometry(op.getX().getType(), filterShape.take_front(2),
                          op.getStrides(), op.getDilations(), op.getPadding());
    Value padded = buildPadded(rewriter, loc, op.getX(), g, 0);
    Value init = buildFilled(rewriter, loc, op.getType(),
                             nhwcSizes(rewriter, loc, op.getType(), op.getX()),
                             0);
    rewriter.replaceOp(
        op, linalg::Conv2DNhwcHwcfOp::create(
                rewriter, loc, TypeRange{op.getType()},
                ValueRange{padded, op.getFilter()}, ValueRange{init},
                rewriter.getI64VectorAttr(op.getStrides()),
                rewriter.getI64VectorAttr(op.getDilations()))
                ->getResult(0));
    return success();
  }
};

/// dx[n, ih, iw, ci] = sum over (kh, kw, co) of dy at the output position
/// whose window puts (kh, kw) on (ih, iw), times filter[kh, kw, ci, co].
struct LowerConv2DBackpropInput : OpRewritePattern<Conv2DBackpropInputOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Conv2DBackpropInputOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    auto type = cast<RankedTensorType>(op.getType());
    Geometry g = geometry(type, op.getFilter().getType().getShape().take_front(2),
                          op.getStrides(), op.getDilations(), op.getPadding());
    Value dy = op.getDy();
    Value init = buildFilled(rewriter, loc, type,
                             nhwcSizes(rewriter, loc, type, dy), 0);
    AffineExpr n, ih, iw, ci, kh, kw, co;
    bindDims(context, n, ih, iw, ci, kh, kw, co);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{op.getFilter()},
        ValueRange{init},
        SmallVector<AffineMap>{map(context, 7, {kh, kw, ci, co}),
                               map(context, 7, {n, ih, iw, ci})},
        iterators(4, 3), [&](OpBuilder &b, Location l, ValueRange args) {
          auto idx = [&](int64_t d) { return linalg::IndexOp::create(b, l, d); };
          auto [oh, validH] = sourceOutput(b, l, idx(1), idx(4), g[0]);
          auto [ow, validW] = sourceOutput(b, l, idx(2), idx(5), g[1]);
          Value valid = arith::AndIOp::create(b, l, validH, validW);
          Value d = buildGuardedExtract(b, l, dy, {idx(0), oh, ow, idx(6)},
                                        valid, buildF32(b, l, 0));
          Value product = arith::MulFOp::create(b, l, d, args[0]);
          linalg::YieldOp::create(
              b, l, ValueRange{arith::AddFOp::create(b, l, args[1], product)});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// dfilter[kh, kw, ci, co] = sum over (n, oh, ow) of
/// padded_x[n, oh * s + kh * d, ow * s + kw * d, ci] * dy[n, oh, ow, co].
struct LowerConv2DBackpropFilter : OpRewritePattern<Conv2DBackpropFilterOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Conv2DBackpropFilterOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    auto type = op.getType();
    Geometry g = geometry(op.getX().getType(), type.getShape().take_front(2),
                          op.getStrides(), op.getDilations(), op.getPadding());
    Value padded = buildPadded(rewriter, loc, op.getX(), g, 0);
    Value init = buildFilled(rewriter, loc, type, {}, 0);
    AffineExpr kh, kw, ci, co, n, oh, ow;
    bindDims(context, kh, kw, ci, co, n, oh, ow);
    AffineExpr row = oh * g[0].stride + kh * g[0].dilation;
    AffineExpr column = ow * g[1].stride + kw * g[1].dilation;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{padded, op.getDy()},
        ValueRange{init},
        SmallVector<AffineMap>{map(context, 7, {n, row, column, ci}),
                               map(context, 7, {n, oh, ow, co}),
                               map(context, 7, {kh, kw, ci, co})},
        iterators(4, 3), [](OpBuilder &b, Location l, ValueRange args) {
          Value product = arith::MulFOp::create(b, l, args[0], args[1]);
          linalg::YieldOp::create(
              b, l, ValueRange{arith::AddFOp::create(b, l, args[2], product)});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// An uninitialized [window_h, window_w] tensor: linalg reads only its
/// shape, to bound the window loops.
Value windowShape(OpBuilder &b, Location loc, const Geometry &g) {
  return tensor::EmptyOp::create(b, loc, {g[0].window, g[1].window},
                                 b.getF32Type());
}

template <typename OpT>
Geometry poolGeometry(OpT op) {
  int64_t ones[] = {1, 1};
  return geometry(op.getX().getType(), op.getWindow(), op.getStrides(), ones,
                  op.getPadding());
}

/// The maximum of each window of x; the -inf padding never wins. max_pool
/// and its gradient build it the same way, so CSE computes it once.
Value buildMaxPool(OpBuilder &b, Location loc, Value x, RankedTensorType type,
                   const Geometry &g, ArrayRef<int64_t> strides) {
  Value padded = buildPadded(b, loc, x, g, kNegInfinity);
  Value init =
      buildFilled(b, loc, type, nhwcSizes(b, loc, type, x), kNegInfinity);
  return linalg::PoolingNhwcMaxOp::create(
             b, loc, TypeRange{type},
             ValueRange{padded, windowShape(b, loc, g)}, ValueRange{init},
             b.getI64VectorAttr(strides), b.getI64VectorAttr({1, 1}))
      ->getResult(0);
}

/// max_pool: padding is -inf, which never wins. avg_pool: a zero-padded sum
/// divided by the number of input elements each window covers.
template <typename OpT, bool isMax>
struct LowerPool : OpRewritePattern<OpT> {
  using OpRewritePattern<OpT>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpT op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Geometry g = poolGeometry(op);
    if (isMax) {
      rewriter.replaceOp(op, buildMaxPool(rewriter, loc, op.getX(), type, g,
                                          op.getStrides()));
      return success();
    }
    Value padded = buildPadded(rewriter, loc, op.getX(), g, 0.0f);
    SmallVector<OpFoldResult> sizes =
        nhwcSizes(rewriter, loc, type, op.getX());
    Value init = buildFilled(rewriter, loc, type, sizes, 0.0f);
    SmallVector<Value> inputs{padded, windowShape(rewriter, loc, g)};
    auto strides = rewriter.getI64VectorAttr(op.getStrides());
    auto dilations = rewriter.getI64VectorAttr({1, 1});
    Value sum = linalg::PoolingNhwcSumOp::create(rewriter, loc, TypeRange{type},
                                                 inputs, ValueRange{init},
                                                 strides, dilations)
                    ->getResult(0);
    Value mean = buildElementwise(
        rewriter, loc, type, sizes, sum,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value count = arith::MulIOp::create(
              b, l, coveredCount(b, l, linalg::IndexOp::create(b, l, 1), g[0]),
              coveredCount(b, l, linalg::IndexOp::create(b, l, 2), g[1]));
          return arith::DivFOp::create(b, l, args[0], indexToF32(b, l, count));
        });
    rewriter.replaceOp(op, mean);
    return success();
  }
};

/// A generic over (n, ih, iw, c, kh, kw) accumulating into x-shaped zeros
/// `contribution(b, loc, (n, oh, ow, c) of the source output, valid, k)`,
/// where k = kh * window_w + kw is the flat window offset.
using Contribution = llvm::function_ref<Value(
    OpBuilder &, Location, ArrayRef<Value>, Value, Value)>;
Value buildPoolGradient(OpBuilder &b, Location loc, Value x,
                        const Geometry &g, Contribution contribution) {
  MLIRContext *context = b.getContext();
  auto type = cast<RankedTensorType>(x.getType());
  Value init = buildFilled(b, loc, type, tensor::getMixedSizes(b, loc, x), 0);
  AffineExpr n, ih, iw, c, kh, kw;
  bindDims(context, n, ih, iw, c, kh, kw);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, ValueRange{windowShape(b, loc, g)},
      ValueRange{init},
      SmallVector<AffineMap>{map(context, 6, {kh, kw}),
                             map(context, 6, {n, ih, iw, c})},
      iterators(4, 2), [&](OpBuilder &nb, Location l, ValueRange args) {
        auto idx = [&](int64_t d) { return linalg::IndexOp::create(nb, l, d); };
        auto [oh, validH] = sourceOutput(nb, l, idx(1), idx(4), g[0]);
        auto [ow, validW] = sourceOutput(nb, l, idx(2), idx(5), g[1]);
        Value valid = arith::AndIOp::create(nb, l, validH, validW);
        Value k = arith::AddIOp::create(
            nb, l,
            arith::MulIOp::create(
                nb, l, idx(4), arith::ConstantIndexOp::create(nb, l, g[1].window)),
            idx(5));
        Value value = contribution(nb, l, {idx(0), oh, ow, idx(3)}, valid, k);
        linalg::YieldOp::create(
            nb, l, ValueRange{arith::AddFOp::create(nb, l, args[1], value)});
      });
  return generic.getResult(0);
}

/// The first maximal element of each window (smallest flat offset among
/// equal maxima) gets the window's gradient. The maxima are max_pool's own
/// result (shared with the forward pass through CSE), so finding the
/// winners is a one-result reduction, which splits across threads.
struct LowerMaxPoolGrad : OpRewritePattern<MaxPoolGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MaxPoolGradOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Geometry g = poolGeometry(op);
    auto dyType = op.getDy().getType();
    Value maxima = buildMaxPool(rewriter, loc, op.getX(), dyType, g,
                                op.getStrides());
    Value padded = buildPadded(rewriter, loc, op.getX(), g, kNegInfinity);
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, op.getDy());
    auto argType = RankedTensorType::get(dyType.getShape(),
                                         rewriter.getIndexType());
    Value argInit = linalg::FillOp::create(
                        rewriter, loc,
                        ValueRange{arith::ConstantIndexOp::create(
                            rewriter, loc, std::numeric_limits<int64_t>::max())},
                        ValueRange{buildEmpty(rewriter, loc, argType, sizes)})
                        .getResult(0);
    AffineExpr n, oh, ow, c, kh, kw;
    bindDims(context, n, oh, ow, c, kh, kw);
    AffineMap out = map(context, 6, {n, oh, ow, c});
    auto argmax = linalg::GenericOp::create(
        rewriter, loc, TypeRange{argType},
        ValueRange{padded, windowShape(rewriter, loc, g), maxima},
        ValueRange{argInit},
        SmallVector<AffineMap>{
            map(context, 6,
                {n, oh * g[0].stride + kh, ow * g[1].stride + kw, c}),
            map(context, 6, {kh, kw}), out, out},
        iterators(4, 2), [&](OpBuilder &b, Location l, ValueRange args) {
          Value k = arith::AddIOp::create(
              b, l,
              arith::MulIOp::create(
                  b, l, linalg::IndexOp::create(b, l, 4),
                  arith::ConstantIndexOp::create(b, l, g[1].window)),
              linalg::IndexOp::create(b, l, 5));
          Value v = args[0], max = args[2], arg = args[3];
          // Order-independent: the smallest offset holding the maximum. A
          // NaN is the maximum of its window (max_pool propagates it), so the
          // first NaN gets the gradient, as in PyTorch.
          Value isMax = arith::OrIOp::create(
              b, l,
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, v, max),
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, v, v));
          Value wins = arith::AndIOp::create(
              b, l, isMax,
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, k, arg));
          linalg::YieldOp::create(
              b, l, ValueRange{arith::SelectOp::create(b, l, wins, k, arg)});
        });
    Value arg = argmax.getResult(0), dy = op.getDy();
    Value result = buildPoolGradient(
        rewriter, loc, op.getX(), g,
        [&](OpBuilder &b, Location l, ArrayRef<Value> source, Value valid,
            Value k) -> Value {
          Value winner = buildGuardedExtract(
              b, l, arg, source, valid, arith::ConstantIndexOp::create(b, l, -1));
          Value d =
              buildGuardedExtract(b, l, dy, source, valid, buildF32(b, l, 0));
          Value isWinner =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, winner, k);
          return arith::SelectOp::create(b, l, isWinner, d, buildF32(b, l, 0));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Each window spreads dy evenly over the input elements it covers.
struct LowerAvgPoolGrad : OpRewritePattern<AvgPoolGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AvgPoolGradOp op,
                                PatternRewriter &rewriter) const override {
    Geometry g = poolGeometry(op);
    Value dy = op.getDy();
    Value result = buildPoolGradient(
        rewriter, op.getLoc(), op.getX(), g,
        [&](OpBuilder &b, Location l, ArrayRef<Value> source, Value valid,
            Value) -> Value {
          Value d =
              buildGuardedExtract(b, l, dy, source, valid, buildF32(b, l, 0));
          // Off-window positions count window (0, 0), never zero elements.
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value oh = arith::SelectOp::create(b, l, valid, source[1], zero);
          Value ow = arith::SelectOp::create(b, l, valid, source[2], zero);
          Value count = arith::MulIOp::create(b, l, coveredCount(b, l, oh, g[0]),
                                              coveredCount(b, l, ow, g[1]));
          return arith::DivFOp::create(b, l, d, indexToF32(b, l, count));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void kiln::populateConvPoolLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerConv2D, LowerConv2DBackpropInput,
               LowerConv2DBackpropFilter, LowerPool<MaxPoolOp, true>,
               LowerPool<AvgPoolOp, false>, LowerMaxPoolGrad,
               LowerAvgPoolGrad>(patterns.getContext());
}
