//===- VectorizeContractions.cpp - Register-tiled vector matmuls ---------===//
#include "Transforms/ConstantFill.h"
#include "Transforms/Epilogue.h"
#include "Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_VECTORIZECONTRACTIONS
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// Marks the fills that start register tiles until they are vectorized.
constexpr llvm::StringLiteral kTileFillAttr = "kiln.tile_fill";

/// The M, N and K loop of a plain matrix product, or nothing.
std::optional<std::array<unsigned, 3>> matmulDims(linalg::GenericOp op) {
  if (op.getNumLoops() != 3 || !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  auto dims = linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.size() != 1 || dims->n.size() != 1 ||
      dims->k.size() != 1 || !dims->batch.empty())
    return std::nullopt;
  return std::array<unsigned, 3>{dims->m[0], dims->n[0], dims->k[0]};
}

/// C[m, n] += A[m, k] * B[k, n] with the dimensions in that order.
bool isPlainMatmul(linalg::GenericOp op) {
  MLIRContext *context = op.getContext();
  AffineExpr m, n, k;
  bindDims(context, m, n, k);
  auto map = [&](AffineExpr a, AffineExpr b) {
    return AffineMap::get(3, 0, {a, b}, context);
  };
  return op.getIndexingMapsArray() ==
         SmallVector<AffineMap>{map(m, k), map(k, n), map(m, n)};
}

/// Rewrites a matrix product with a transposed operand (A indexed (k, m) or
/// B indexed (n, k), as the backward pass of a dense layer produces) into a
/// plain one on an explicitly transposed copy: the copy is O(n^2) and lets
/// the O(n^3) product use the register-tiled kernel.
linalg::GenericOp makePlain(RewriterBase &rewriter, linalg::GenericOp op) {
  if (isPlainMatmul(op))
    return op;
  auto [m, n, k] = *matmulDims(op);
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<Value> inputs;
  for (auto [index, input] : llvm::enumerate(op.getDpsInputs())) {
    AffineMap map = op.getIndexingMapsArray()[index];
    unsigned rowDim = index == 0 ? m : k;
    if (map.getDimPosition(0) == rowDim) {
      inputs.push_back(input);
      continue;
    }
    auto type = cast<RankedTensorType>(input.getType());
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, input);
    std::swap(sizes[0], sizes[1]);
    Value init =
        tensor::EmptyOp::create(rewriter, loc, sizes, type.getElementType());
    inputs.push_back(linalg::TransposeOp::create(rewriter, loc, input, init,
                                                 ArrayRef<int64_t>{1, 0})
                         .getResult()[0]);
  }
  MLIRContext *context = op.getContext();
  AffineExpr dm = getAffineDimExpr(m, context), dn = getAffineDimExpr(n, context),
             dk = getAffineDimExpr(k, context);
  auto map = [&](AffineExpr a, AffineExpr b) {
    return AffineMap::get(3, 0, {a, b}, context);
  };
  auto plain = linalg::GenericOp::create(
      rewriter, loc, op.getResultTypes(), inputs, op.getDpsInits(),
      SmallVector<AffineMap>{map(dm, dk), map(dk, dn), map(dm, dn)},
      op.getIteratorTypesArray());
  rewriter.inlineRegionBefore(op.getRegion(), plain.getRegion(),
                              plain.getRegion().begin());
  rewriter.replaceOp(op, plain.getResults());
  return plain;
}

/// Runs every canonicalization pattern on `root`, so that the slices of
/// peeled full tiles get static shapes.
void canonicalize(Operation *root) {
  MLIRContext *context = root->getContext();
  RewritePatternSet patterns(context);
  for (Dialect *dialect : context->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName op : context->getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, context);
  (void)applyPatternsGreedily(root, std::move(patterns));
}

class VectorizeContractionsPass
    : public kiln::impl::VectorizeContractionsBase<VectorizeContractionsPass> {
public:
  using VectorizeContractionsBase::VectorizeContractionsBase;

  void runOnOperation() override {
    if (tileM < 1 || tileN < 1 || batchTileM < 1 || batchTileM > tileM) {
      getOperation()->emitError()
          << "kiln-vectorize-contractions needs tile-m, tile-n >= 1 and 1 <= "
             "batch-tile-m <= tile-m (got "
          << int64_t(tileM) << ", " << int64_t(tileN) << ", "
          << int64_t(batchTileM) << ")";
      return signalPassFailure();
    }
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::GenericOp> contractions;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (matmulDims(op))
        contractions.push_back(op);
    });
    for (linalg::GenericOp op : contractions)
      if (failed(tileAndPeel(rewriter, makePlain(rewriter, op))))
        return signalPassFailure();
    canonicalize(getOperation());

    // Full tiles now have the static register-tile shape.
    SmallVector<linalg::GenericOp> tiles;
    getOperation()->walk([&](linalg::GenericOp op) {
      auto dims = matmulDims(op);
      if (!dims)
        return;
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      bool staticOperands = llvm::all_of(op->getOperandTypes(), [](Type t) {
        return cast<ShapedType>(t).hasStaticShape();
      });
      if (staticOperands && isPlainMatmul(op) && ranges[(*dims)[0]] <= tileM &&
          ranges[(*dims)[1]] <= tileN && ranges[(*dims)[2]] == 1)
        tiles.push_back(op);
    });
    for (linalg::GenericOp generic : tiles) {
      // As a named matmul the tile vectorizes straight to a vector.contract
      // with matmul maps, which lowers to outer products.
      rewriter.setInsertionPoint(generic);
      auto named = linalg::specializeGenericOp(rewriter, generic);
      Operation *op = succeeded(named) ? named->getOperation()
                                       : generic.getOperation();
      auto vectorized = linalg::vectorize(
          rewriter, op, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
          /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
          /*assumeDynamicDimsMatchVecSizes=*/false,
          /*createNamedContraction=*/true);
      if (failed(vectorized))
        continue; // stays a scalar loop nest: correct, only slower
      rewriter.replaceOp(op, vectorized->replacements);
    }
    // The epilogues fused into the tiles, on one register tile each: their
    // reads of the tile fold to the contraction's vectors once the tile is
    // hoisted out of the K loop.
    SmallVector<linalg::GenericOp> epilogues;
    getOperation()->walk([&](linalg::GenericOp op) {
      auto type = cast<ShapedType>(op->getResultTypes()[0]);
      if (op->hasAttr(kiln::kEpilogueAttr) && type.hasStaticShape() &&
          type.getNumElements() <= tileM * tileN &&
          op->getParentOfType<scf::ForOp>())
        epilogues.push_back(op);
    });
    for (linalg::GenericOp op : epilogues)
      vectorizeInPlace(rewriter, op);
    // The tiles' initial values (see tileFill): one vector write of the
    // constant, which the C tile's first read then folds to.
    SmallVector<linalg::FillOp> fills;
    getOperation()->walk([&](linalg::FillOp fill) {
      if (fill->removeAttr(kTileFillAttr) &&
          cast<ShapedType>(fill.getResultTypes()[0]).hasStaticShape())
        fills.push_back(fill);
    });
    for (linalg::FillOp fill : fills)
      vectorizeInPlace(rewriter, fill);
    // mul + multi_reduction -> vector.contract, lowered later to FMAs.
    RewritePatternSet patterns(&getContext());
    vector::populateVectorReductionToContractPatterns(patterns);
    (void)applyPatternsGreedily(getOperation(), std::move(patterns));
  }

private:
  /// Replaces `op` (of static shape) by its vector form; leaves it as it is
  /// (a scalar loop nest later: correct, only slower) when that fails.
  static void vectorizeInPlace(RewriterBase &rewriter, Operation *op) {
    rewriter.setInsertionPoint(op);
    auto vectorized = linalg::vectorize(rewriter, op);
    if (succeeded(vectorized))
      rewriter.replaceOp(op, vectorized->replacements);
  }

  /// The constant the contraction being tiled starts from, or none.
  Value tileFill;

  /// The inner tile loop re-reads all of one operand for every step of
  /// the outer one: all of B per row tile with the M loop outside, all of
  /// A per column tile with the N loop outside. That is cheap while the
  /// operand stays in cache (half of a 512 KiB L2). The M loop stays
  /// outside unless B is larger than that and A is smaller than B (a batch
  /// times a 3136x1024 weight then reads the weight once from memory).
  /// A dynamic size counts as 64, a typical batch.
  bool columnsOutside(linalg::GenericOp op) {
    auto [m, n, k] = *matmulDims(op);
    SmallVector<int64_t> sizes = op.getStaticLoopRanges();
    for (int64_t &size : sizes)
      if (ShapedType::isDynamic(size))
        size = 64;
    constexpr int64_t cachedElements = 256 * 1024 / 4;
    int64_t a = sizes[m] * sizes[k], b = sizes[k] * sizes[n];
    return b > cachedElements && a < b;
  }

  /// With the column loop outside, every row tile reads the column tile's
  /// strip of B, tileN elements from each of its K rows: for a wide B (a
  /// 1024-column weight) a new page at every K step. The strip is copied
  /// once per column tile into a contiguous K x tileN tensor that the tiles
  /// read instead. Only for static B with whole column tiles.
  void packColumnStrips(RewriterBase &rewriter, scf::ForOp columns, Value b) {
    auto type = cast<RankedTensorType>(b.getType());
    if (!type.hasStaticShape() || type.getDimSize(1) % tileN != 0)
      return;
    SmallVector<tensor::ExtractSliceOp> reads;
    Value column = columns.getInductionVar();
    columns.walk([&](tensor::ExtractSliceOp slice) {
      if (slice.getSource() == b)
        reads.push_back(slice);
    });
    if (reads.empty() ||
        llvm::any_of(reads, [&](tensor::ExtractSliceOp slice) {
          return getAsOpFoldResult(column) != slice.getMixedOffsets()[1];
        }))
      return;
    Location loc = columns.getLoc();
    rewriter.setInsertionPointToStart(columns.getBody());
    int64_t rows = type.getDimSize(0);
    // One vector per row, copied in an explicit loop: a copying generic
    // would fold away as an identity.
    auto packedType = RankedTensorType::get({rows, tileN}, type.getElementType());
    auto rowType = VectorType::get({tileN}, type.getElementType());
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value padding = arith::ConstantOp::create(
        rewriter, loc, rewriter.getZeroAttr(type.getElementType()));
    Value packed =
        scf::ForOp::create(
            rewriter, loc, zero,
            arith::ConstantIndexOp::create(rewriter, loc, rows),
            arith::ConstantIndexOp::create(rewriter, loc, 1),
            ValueRange{tensor::EmptyOp::create(rewriter, loc,
                                               packedType.getShape(),
                                               type.getElementType())},
            [&](OpBuilder &nb, Location l, Value row, ValueRange args) {
              Value v = vector::TransferReadOp::create(
                  nb, l, rowType, b, ValueRange{row, column}, padding,
                  ArrayRef<bool>{true});
              Value written = vector::TransferWriteOp::create(
                                  nb, l, v, args[0],
                                  ValueRange{row, zero},
                                  ArrayRef<bool>{true})
                                  .getResult();
              scf::YieldOp::create(nb, l, written);
            })
            .getResult(0);
    for (tensor::ExtractSliceOp slice : reads) {
      SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
      offsets[1] = rewriter.getIndexAttr(0);
      rewriter.setInsertionPoint(slice);
      rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
          slice, slice.getType(), packed, offsets, slice.getMixedSizes(),
          slice.getMixedStrides());
    }
  }

  /// Tiles `op` into loops over tiles of `rows` x `columns` x `depth` (M,
  /// N, K), in that order; a size of 0 leaves that dimension whole. The M and
  /// N loops come first, with `op`'s marked epilogue fused into them (it
  /// then runs on each tile after its K loop); the K loop is then made
  /// inside. The M and N loops are peeled, so full tiles get static shapes;
  /// with `wholeRowTiles` (M is known to be a multiple of `rows`) the M
  /// loop's remainder never runs and is dropped. Returns the outer loop and,
  /// when it has one, its peeled remainder.
  FailureOr<SmallVector<scf::ForOp>>
  tileAndPeelLoops(RewriterBase &rewriter, linalg::GenericOp op, int64_t rows,
                   int64_t columns, int64_t depth,
                   bool wholeRowTiles = false) {
    auto [m, n, k] = *matmulDims(op);
    SmallVector<OpFoldResult> sizes(3, rewriter.getIndexAttr(0));
    sizes[m] = rewriter.getIndexAttr(rows);
    sizes[n] = rewriter.getIndexAttr(columns);
    auto tiled = tile(rewriter, op, sizes);
    if (failed(tiled))
      return failure();
    kiln::fuseEpilogue(rewriter, tiled->loops);
    if (depth) {
      auto tileOp = cast<linalg::GenericOp>(tiled->tiledOps.front());
      SmallVector<OpFoldResult> steps(3, rewriter.getIndexAttr(0));
      steps[k] = rewriter.getIndexAttr(depth);
      auto reduction = tile(rewriter, tileOp, steps);
      if (failed(reduction))
        return failure();
      if (tileFill)
        fillTileBeforeReduction(
            rewriter, cast<scf::ForOp>(reduction->loops.front().getOperation()));
    }
    SmallVector<scf::ForOp> outer;
    for (LoopLikeOpInterface loop : tiled->loops) {
      auto forOp = cast<scf::ForOp>(loop.getOperation());
      scf::ForOp remainder;
      (void)scf::peelForLoopAndSimplifyBounds(rewriter, forOp, remainder);
      bool first = outer.empty();
      if (first && rows && wholeRowTiles && remainder) {
        rewriter.replaceOp(remainder, remainder.getInitArgs());
        remainder = nullptr;
      }
      if (first) {
        outer.push_back(forOp);
        if (remainder)
          outer.push_back(remainder);
      }
    }
    return outer;
  }

  /// Tiles `op` by `sizes` (0: untiled) into scf.for loops in M, N, K
  /// order and puts the loops in its place.
  FailureOr<scf::SCFTilingResult> tile(RewriterBase &rewriter,
                                       linalg::GenericOp op,
                                       ArrayRef<OpFoldResult> sizes) {
    auto [m, n, k] = *matmulDims(op);
    scf::SCFTilingOptions options;
    options.setTileSizes(sizes)
        .setInterchange(SmallVector<int64_t>{m, n, k})
        .setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
    rewriter.setInsertionPoint(op);
    auto tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return op.emitError("cannot tile the contraction");
    rewriter.replaceOp(op, tiled->replacements);
    return tiled;
  }

  /// Fills the register tile with `tileFill` before `kLoop` accumulates
  /// into it. The tiles cover the output once and the K loop is all that
  /// touches its tile, so this is the whole output's fill, done in
  /// registers: the tile's first read folds to the constant.
  void fillTileBeforeReduction(RewriterBase &rewriter, scf::ForOp kLoop) {
    OpOperand &init = kLoop.getInitArgsMutable()[0];
    rewriter.setInsertionPoint(kLoop);
    auto fill = linalg::FillOp::create(rewriter, kLoop.getLoc(),
                                       ValueRange{tileFill},
                                       ValueRange{init.get()});
    // Marked, so that only these fills (and their copies in peeled loops)
    // are vectorized.
    fill->setAttr(kTileFillAttr, rewriter.getUnitAttr());
    init.set(fill.getResult(0));
  }

  /// The contractions inside `loops`.
  static SmallVector<linalg::GenericOp> contractionsIn(ArrayRef<scf::ForOp> loops) {
    SmallVector<linalg::GenericOp> found;
    for (scf::ForOp loop : loops)
      loop.walk([&](linalg::GenericOp op) {
        if (matmulDims(op))
          found.push_back(op);
      });
    return found;
  }

  /// Tiles the rows of `op` (and its columns by `columns`, 0: untiled) into
  /// register tiles. A static M ends in a static partial tile. A dynamic M
  /// (the batch) is cut into blocks of `tile-m` rows, each one tile, then
  /// the rows left over into at most one block of `batch-tile-m` rows and
  /// single rows: every tile then has a static shape and is vectorized,
  /// where a peeled remainder of dynamic height would stay scalar.
  LogicalResult tileRows(RewriterBase &rewriter, linalg::GenericOp op,
                         int64_t columns) {
    auto [m, n, k] = *matmulDims(op);
    if (!ShapedType::isDynamic(op.getStaticLoopRanges()[m]))
      return success(
          succeeded(tileAndPeelLoops(rewriter, op, tileM, columns, 1)));
    SmallVector<int64_t> heights{tileM};
    if (batchTileM < tileM)
      heights.push_back(batchTileM);
    if (heights.back() > 1)
      heights.push_back(1);
    return tileBlocks(rewriter, op, heights, columns);
  }

  /// Blocks of heights[0] rows, each one register tile, and the rows left
  /// over tiled the same way by the heights after it (the last is 1).
  LogicalResult tileBlocks(RewriterBase &rewriter, linalg::GenericOp op,
                           ArrayRef<int64_t> heights, int64_t columns) {
    if (heights.size() == 1)
      return success(
          succeeded(tileAndPeelLoops(rewriter, op, heights[0], columns, 1)));
    auto blocks = tileAndPeelLoops(rewriter, op, heights[0], 0, 0);
    if (failed(blocks))
      return failure();
    for (auto [index, loop] : llvm::enumerate(*blocks)) {
      for (linalg::GenericOp block : contractionsIn(loop)) {
        LogicalResult tiled =
            index == 0
                ? success(succeeded(tileAndPeelLoops(rewriter, block, heights[0],
                                                     columns, 1,
                                                     /*wholeRowTiles=*/true)))
                : tileBlocks(rewriter, block, heights.drop_front(), columns);
        if (failed(tiled))
          return failure();
      }
    }
    return success();
  }

  LogicalResult tileAndPeel(RewriterBase &rewriter, linalg::GenericOp op) {
    // A chunk's result that only its epilogue reads now stays in registers.
    kiln::dropUnreadChunkWrite(rewriter, op);
    // Each register tile starts from a zero fill's constant: the fill is no
    // longer a pass over the whole output in memory, nor the tiles' first
    // read of it.
    tileFill = kiln::takeConstantFill(op);
    if (!columnsOutside(op))
      return tileRows(rewriter, op, tileN);
    // Column strips outside: the strip of B is packed once per column tile
    // and every row tile of that strip reads it.
    Value b = op.getDpsInputs()[1];
    auto columnLoops = tileAndPeelLoops(rewriter, op, 0, tileN, 0);
    if (failed(columnLoops))
      return failure();
    SmallVector<linalg::GenericOp> strips = contractionsIn(*columnLoops);
    packColumnStrips(rewriter, columnLoops->front(), b);
    for (linalg::GenericOp strip : strips)
      if (failed(tileRows(rewriter, strip, /*columns=*/0)))
        return failure();
    return success();
  }
};

} // namespace
