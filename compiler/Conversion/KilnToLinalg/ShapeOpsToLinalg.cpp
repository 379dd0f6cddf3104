//===- ShapeOpsToLinalg.cpp - Lower transpose, concat, slice, one_hot ----===//
//
// Each op becomes one linalg op over its result. Reads whose position is
// not an affine function of the loop indices (concat's inputs, the inside
// of a slice's gradient) are guarded tensor.extracts, so no tensor.pad or
// insert_slice is needed (both bufferize to strided copies that the CPU
// pipeline turns into a memrefCopy runtime call).
//
//===----------------------------------------------------------------------===//
#include "Conversion/KilnToLinalg/LinalgBuilders.h"
#include "Conversion/KilnToLinalg/Patterns.h"
#include "Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace kiln;

namespace {

struct LowerTranspose : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    SmallVector<OpFoldResult> sizes;
    for (int64_t p : op.getPerm())
      sizes.push_back(tensor::getMixedSize(rewriter, loc, op.getX(), p));
    Value init = buildEmpty(rewriter, loc, op.getType(), sizes);
    rewriter.replaceOp(op, linalg::TransposeOp::create(rewriter, loc, op.getX(),
                                                       init, op.getPerm())
                               ->getResult(0));
    return success();
  }
};

/// Loop indices of a generic over a tensor of rank `rank`.
SmallVector<Value> loopIndices(OpBuilder &b, Location loc, int64_t rank) {
  SmallVector<Value> indices;
  for (int64_t i = 0; i < rank; ++i)
    indices.push_back(linalg::IndexOp::create(b, loc, i));
  return indices;
}

/// result[i] = x[i + begin], read with tensor.extract in a generic over
/// the result. An offset indexing map would let linalg take the loop bounds
/// from the larger input, and an extract_slice view bufferizes to a strided
/// memref.copy (a memrefCopy call) whenever it has to be copied.
struct LowerSlice : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    Value x = op.getX();
    ArrayRef<int64_t> begin = op.getBegin();
    Value result = buildElementwise(
        rewriter, loc, type, tensor::getMixedSizes(rewriter, loc, x),
        ValueRange{}, [&](OpBuilder &b, Location l, ValueRange) -> Value {
          SmallVector<Value> indices = loopIndices(b, l, type.getRank());
          for (auto [index, offset] : llvm::zip_equal(indices, begin))
            index = arith::AddIOp::create(
                b, l, index, arith::ConstantIndexOp::create(b, l, offset));
          return tensor::ExtractOp::create(b, l, x, indices);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// x-shaped zeros with dy read at (i - begin) where that is inside dy.
struct LowerSliceGrad : OpRewritePattern<SliceGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceGradOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value dy = op.getDy();
    auto dyType = op.getDy().getType();
    ArrayRef<int64_t> begin = op.getBegin();
    Value result = buildElementwise(
        rewriter, loc, op.getType(),
        tensor::getMixedSizes(rewriter, loc, op.getX()), ValueRange{},
        [&](OpBuilder &b, Location l, ValueRange) {
          SmallVector<Value> indices = loopIndices(b, l, dyType.getRank());
          Value inside = arith::ConstantIntOp::create(b, l, 1, 1);
          for (auto [i, index] : llvm::enumerate(indices)) {
            // Dynamic dimensions are taken whole by slice.
            if (dyType.isDynamicDim(i))
              continue;
            index = arith::SubIOp::create(
                b, l, index, arith::ConstantIndexOp::create(b, l, begin[i]));
            inside = arith::AndIOp::create(
                b, l, inside, buildInRange(b, l, index, 0, dyType.getDimSize(i)));
          }
          return buildGuardedExtract(b, l, dy, indices, inside,
                                     buildF32(b, l, 0));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Each result element reads the input whose block along the axis holds it.
struct LowerConcat : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    int64_t rank = type.getRank();
    int64_t axis = (int64_t)op.getAxis() < 0 ? (int64_t)op.getAxis() + rank
                                             : (int64_t)op.getAxis();
    SmallVector<OpFoldResult> sizes =
        broadcastSizes(rewriter, loc, type, op.getInputs());
    Value result = buildElementwise(
        rewriter, loc, type, sizes, ValueRange{},
        [&](OpBuilder &b, Location l, ValueRange) {
          SmallVector<Value> indices = loopIndices(b, l, rank);
          Value position = indices[axis];
          Value value = buildF32(b, l, 0);
          int64_t offset = 0;
          for (Value input : op.getInputs()) {
            int64_t size =
                cast<RankedTensorType>(input.getType()).getDimSize(axis);
            indices[axis] = arith::SubIOp::create(
                b, l, position, arith::ConstantIndexOp::create(b, l, offset));
            value = buildGuardedExtract(
                b, l, input, indices, buildInRange(b, l, indices[axis], 0, size),
                value);
            offset += size;
          }
          return value;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// result[..., c] = (indices[...] == c) as f32.
struct LowerOneHot : OpRewritePattern<OneHotOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(OneHotOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    auto type = op.getType();
    int64_t rank = type.getRank();
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, op.getIndices());
    sizes.push_back(rewriter.getIndexAttr(op.getDepth()));
    SmallVector<AffineMap> maps{
        AffineMap::getMultiDimIdentityMap(rank, context).getMajorSubMap(
            rank - 1),
        AffineMap::getMultiDimIdentityMap(rank, context)};
    Value init = buildEmpty(rewriter, loc, type, sizes);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{op.getIndices()},
        ValueRange{init}, maps,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value index =
              arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
          Value isClass = arith::CmpIOp::create(
              b, l, arith::CmpIPredicate::eq, index,
              linalg::IndexOp::create(b, l, rank - 1));
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, isClass,
                                                 buildF32(b, l, 1),
                                                 buildF32(b, l, 0))});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void kiln::populateShapeOpLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerTranspose, LowerSlice, LowerSliceGrad, LowerConcat,
               LowerOneHot>(patterns.getContext());
}
