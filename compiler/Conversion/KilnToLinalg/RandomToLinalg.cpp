//===- RandomToLinalg.cpp - Counter-based random initializers ------------===//
//
// Element i of a random tensor is hash(seed, stream, i), using the
// SplitMix64 finalizer: no state, so any loop order or thread count gives
// the same values.
//
//===----------------------------------------------------------------------===//
#include "Conversion/KilnToLinalg/LinalgBuilders.h"
#include "Conversion/KilnToLinalg/Patterns.h"
#include "Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace kiln;

namespace {

Value i64Constant(OpBuilder &b, Location loc, uint64_t value) {
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(b.getI64Type(), (int64_t)value));
}

/// Row-major linear index of the current element of a generic whose
/// dimensions have sizes `sizes` (i64 values).
Value linearIndex(OpBuilder &b, Location loc, ValueRange sizes) {
  Value index = i64Constant(b, loc, 0);
  for (int64_t d = 0; d < (int64_t)sizes.size(); ++d) {
    Value scaled = arith::MulIOp::create(b, loc, index, sizes[d]);
    Value position = arith::IndexCastOp::create(
        b, loc, b.getI64Type(), linalg::IndexOp::create(b, loc, d));
    index = arith::AddIOp::create(b, loc, scaled, position);
  }
  return index;
}

/// A uniform float in [0, 1) (or (0, 1] with `excludeZero`) from counter
/// `counter` of (seed, stream).
Value uniformBits(OpBuilder &b, Location loc, Value seed, int64_t stream,
                  Value counter, bool excludeZero) {
  auto mix = [&](Value x, uint64_t shift, uint64_t multiplier) {
    Value shifted =
        arith::ShRUIOp::create(b, loc, x, i64Constant(b, loc, shift));
    Value mixed = arith::XOrIOp::create(b, loc, x, shifted);
    return multiplier ? arith::MulIOp::create(b, loc, mixed,
                                              i64Constant(b, loc, multiplier))
                            .getResult()
                      : mixed;
  };
  // Spread seed and stream with distinct odd constants, then finalize.
  Value x = arith::MulIOp::create(b, loc, seed,
                                  i64Constant(b, loc, 0x9E3779B97F4A7C15ull));
  x = arith::AddIOp::create(
      b, loc, x, i64Constant(b, loc, (uint64_t)stream * 0xD1B54A32D192ED03ull));
  x = arith::AddIOp::create(b, loc, x, counter);
  x = mix(x, 30, 0xBF58476D1CE4E5B9ull);
  x = mix(x, 27, 0x94D049BB133111EBull);
  x = mix(x, 31, 0);
  // The top 24 bits fill an f32 mantissa exactly.
  Value top = arith::ShRUIOp::create(b, loc, x, i64Constant(b, loc, 40));
  if (excludeZero)
    top = arith::AddIOp::create(b, loc, top, i64Constant(b, loc, 1));
  Value asFloat = arith::UIToFPOp::create(b, loc, b.getF32Type(), top);
  return arith::MulFOp::create(b, loc, asFloat,
                               buildF32(b, loc, 1.0f / (1 << 24)));
}

/// A parallel generic over the op's static result type computing
/// `element(linear index)` for every element.
template <typename OpT>
LogicalResult replaceWithGenerated(
    OpT op, PatternRewriter &rewriter,
    llvm::function_ref<Value(OpBuilder &, Location, Value)> element) {
  auto type = cast<RankedTensorType>(op.getType());
  Value result = buildElementwise(
      rewriter, op.getLoc(), type, {}, ValueRange{},
      [&](OpBuilder &b, Location loc, ValueRange) {
        SmallVector<Value> sizes;
        for (int64_t d : type.getShape())
          sizes.push_back(i64Constant(b, loc, d));
        return element(b, loc, linearIndex(b, loc, sizes));
      });
  rewriter.replaceOp(op, result);
  return success();
}

struct LowerRandomUniform : OpRewritePattern<RandomUniformOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RandomUniformOp op,
                                PatternRewriter &rewriter) const override {
    float low = op.getLow().convertToFloat();
    float high = op.getHigh().convertToFloat();
    return replaceWithGenerated(
        op, rewriter, [&](OpBuilder &b, Location loc, Value index) -> Value {
          Value u = uniformBits(b, loc, op.getSeed(), op.getStream(), index,
                                /*excludeZero=*/false);
          Value scaled =
              arith::MulFOp::create(b, loc, u, buildF32(b, loc, high - low));
          return arith::AddFOp::create(b, loc, scaled, buildF32(b, loc, low));
        });
  }
};

struct LowerRandomNormal : OpRewritePattern<RandomNormalOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RandomNormalOp op,
                                PatternRewriter &rewriter) const override {
    float mean = op.getMean().convertToFloat();
    float stddev = op.getStddev().convertToFloat();
    return replaceWithGenerated(
        op, rewriter, [&](OpBuilder &b, Location loc, Value index) -> Value {
          // Box-Muller on counters 2i and 2i+1.
          Value twice =
              arith::MulIOp::create(b, loc, index, i64Constant(b, loc, 2));
          Value next =
              arith::AddIOp::create(b, loc, twice, i64Constant(b, loc, 1));
          Value u1 = uniformBits(b, loc, op.getSeed(), op.getStream(), twice,
                                 /*excludeZero=*/true);
          Value u2 = uniformBits(b, loc, op.getSeed(), op.getStream(), next,
                                 /*excludeZero=*/false);
          Value radius = math::SqrtOp::create(
              b, loc,
              arith::MulFOp::create(b, loc, buildF32(b, loc, -2.0f),
                                    math::LogOp::create(b, loc, u1)));
          Value angle = arith::MulFOp::create(
              b, loc, u2, buildF32(b, loc, 2.0f * llvm::numbers::pif));
          Value z = arith::MulFOp::create(b, loc, radius,
                                          math::CosOp::create(b, loc, angle));
          Value scaled =
              arith::MulFOp::create(b, loc, z, buildF32(b, loc, stddev));
          return arith::AddFOp::create(b, loc, scaled, buildF32(b, loc, mean));
        });
  }
};

struct LowerDropout : OpRewritePattern<DropoutOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DropoutOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    float rate = op.getRate().convertToFloat();
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, op.getX());
    SmallVector<Value> sizeValues;
    for (OpFoldResult size : sizes)
      sizeValues.push_back(arith::IndexCastOp::create(
          rewriter, loc, rewriter.getI64Type(),
          getValueOrCreateConstantIndexOp(rewriter, loc, size)));
    // A different mask every step: fold the step into the seed.
    Value stepMix = arith::MulIOp::create(
        rewriter, loc, op.getStep(),
        i64Constant(rewriter, loc, 0xA24BAED4963EE407ull));
    Value seed = arith::XOrIOp::create(rewriter, loc, op.getSeed(), stepMix);
    Value result = buildElementwise(
        rewriter, loc, op.getType(), sizes, op.getX(),
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value u = uniformBits(b, l, seed, op.getStream(),
                                linearIndex(b, l, sizeValues),
                                /*excludeZero=*/false);
          Value keep = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE,
                                             u, buildF32(b, l, rate));
          Value scaled = arith::MulFOp::create(
              b, l, args[0], buildF32(b, l, 1.0f / (1.0f - rate)));
          return arith::SelectOp::create(b, l, keep, scaled, buildF32(b, l, 0));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void kiln::populateRandomLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerRandomUniform, LowerRandomNormal, LowerDropout>(
      patterns.getContext());
}
