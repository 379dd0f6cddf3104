//===- FuseRowReductions.cpp - Row reductions and their readers by row ---===//
//
// Softmax cross-entropy's gradient reads each row's max and sum of
// exponentials, reductions over the very rows of logits it then reads again.
// Tiled by rows with those reductions fused in, each row is read once from
// memory and used while still in cache for both.
//
//===----------------------------------------------------------------------===//
#include "Transforms/Epilogue.h"
#include "Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_FUSEROWREDUCTIONS
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// Whether `op` is elementwise over a matrix.
bool isMatrixElementwise(linalg::GenericOp op) {
  return op.getNumLoops() == 2 && kiln::isElementwise(op);
}

/// Whether `op` reduces each row of a matrix to its results: loops (row,
/// column), the column a reduction, every result indexed by the row.
bool isRowReduction(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() != 2 ||
      op.getIteratorTypesArray() !=
          ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                        utils::IteratorType::reduction})
    return false;
  AffineMap row = AffineMap::get(
      2, 0, getAffineDimExpr(0, op.getContext()), op.getContext());
  return llvm::all_of(op.getDpsInitsMutable(), [&](OpOperand &init) {
    return op.getMatchingIndexingMap(&init) == row;
  });
}

/// The matrices `op` reads whole, at the place of each of its iterations.
SmallVector<Value> matricesReadInPlace(linalg::GenericOp op) {
  SmallVector<Value> matrices;
  for (OpOperand *input : op.getDpsInputOperands())
    if (op.getMatchingIndexingMap(input).isIdentity())
      matrices.push_back(input->get());
  return matrices;
}

/// The row reduction whose results `op` reads by row and that reads one of
/// the matrices `op` reads in place, or null.
linalg::GenericOp rowReductionOfSameRows(linalg::GenericOp op) {
  AffineMap row = AffineMap::get(
      2, 0, getAffineDimExpr(0, op.getContext()), op.getContext());
  SmallVector<Value> rows = matricesReadInPlace(op);
  for (OpOperand *input : op.getDpsInputOperands()) {
    auto producer = input->get().getDefiningOp<linalg::GenericOp>();
    if (!producer || !isRowReduction(producer) ||
        op.getMatchingIndexingMap(input) != row)
      continue;
    if (llvm::any_of(matricesReadInPlace(producer), [&](Value matrix) {
          return llvm::is_contained(rows, matrix);
        }))
      return producer;
  }
  return {};
}

class FuseRowReductionsPass
    : public kiln::impl::FuseRowReductionsBase<FuseRowReductionsPass> {
public:
  void runOnOperation() override {
    // One reader per reduction: fusing erases the reduction, and its other
    // readers then read the statistics the loop yields.
    SmallVector<std::pair<linalg::GenericOp, linalg::GenericOp>> pairs;
    llvm::SmallPtrSet<Operation *, 4> claimed;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (!isMatrixElementwise(op))
        return;
      linalg::GenericOp reduction = rowReductionOfSameRows(op);
      if (reduction && claimed.insert(reduction).second)
        pairs.push_back({op, reduction});
    });
    IRRewriter rewriter(&getContext());
    for (auto [consumer, reduction] : pairs)
      if (failed(fuseByRows(rewriter, consumer, reduction)))
        return signalPassFailure();
  }

private:
  /// Tiles `consumer` one row at a time with `reduction`'s tile of that row
  /// computed first in the same iteration (once, whichever of its results
  /// the consumer reads); the loop also yields `reduction`'s results when
  /// other ops read them.
  static LogicalResult fuseByRows(RewriterBase &rewriter,
                                  linalg::GenericOp consumer,
                                  linalg::GenericOp reduction) {
    scf::SCFTilingOptions options;
    options.setTileSizes({rewriter.getIndexAttr(1), rewriter.getIndexAttr(0)});
    rewriter.setInsertionPoint(consumer);
    auto tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(consumer.getOperation()), options);
    if (failed(tiled))
      return consumer->emitError("cannot tile this op by rows");
    rewriter.replaceOp(consumer, tiled->replacements);
    Operation *loop = tiled->loops.front().getOperation();
    SmallVector<tensor::ExtractSliceOp> slices;
    loop->walk([&](tensor::ExtractSliceOp slice) {
      if (slice.getSource().getDefiningOp() == reduction)
        slices.push_back(slice);
    });
    auto fused =
        scf::tileAndFuseProducerOfSlice(rewriter, slices.front(), tiled->loops);
    Operation *row = fused ? fused->tiledAndFusedProducer.getDefiningOp()
                           : nullptr;
    if (!isa_and_nonnull<linalg::GenericOp>(row))
      return reduction->emitError("cannot compute this reduction by rows");
    for (tensor::ExtractSliceOp slice : llvm::drop_begin(slices))
      rewriter.replaceOp(
          slice, row->getResult(cast<OpResult>(slice.getSource())
                                    .getResultNumber()));
    // Tiling reads the sizes of the reduction's results; its inits have
    // the same.
    for (OpResult result : reduction->getResults())
      for (OpOperand &use : llvm::make_early_inc_range(result.getUses()))
        if (isa<tensor::DimOp>(use.getOwner()))
          rewriter.modifyOpInPlace(use.getOwner(), [&] {
            use.set(reduction.getDpsInits()[result.getResultNumber()]);
          });
    bool readElsewhere = llvm::any_of(reduction->getUsers(), [&](Operation *u) {
      return !loop->isAncestor(u);
    });
    if (readElsewhere) {
      if (failed(scf::yieldReplacementForFusedProducer(
              rewriter, slices.front(), *fused, tiled->loops)))
        return reduction->emitError("cannot yield this reduction by rows");
      loop = tiled->loops.front().getOperation();
      for (auto [original, replacement] : llvm::zip(
               reduction->getResults(),
               loop->getResults().take_back(reduction->getNumResults())))
        rewriter.replaceUsesWithIf(original, replacement, [&](OpOperand &use) {
          return !loop->isAncestor(use.getOwner());
        });
      moveReadersAfter(reduction, tiled->loops.front());
    }
    // The fused slice, now unread, is the reduction's last reader.
    rewriter.eraseOp(slices.front());
    rewriter.eraseOp(reduction);
    return success();
  }

  /// The loop stands where the consumer stood, so the ops between the
  /// reduction and the loop that now read the loop's results (the loss from
  /// the row statistics), and whatever reads those, move after it, in order.
  static void moveReadersAfter(Operation *reduction, LoopLikeOpInterface loop) {
    llvm::SmallPtrSet<Operation *, 8> moved{loop.getOperation()};
    auto readsMoved = [&](Operation *op) {
      return op
          ->walk([&](Operation *nested) {
            for (Value operand : nested->getOperands())
              if (Operation *def = operand.getDefiningOp();
                  def && moved.contains(def))
                return WalkResult::interrupt();
            return WalkResult::advance();
          })
          .wasInterrupted();
    };
    SmallVector<Operation *> readers;
    for (Operation *op = reduction->getNextNode(); op != loop.getOperation();
         op = op->getNextNode())
      if (readsMoved(op)) {
        moved.insert(op);
        readers.push_back(op);
      }
    Operation *after = loop.getOperation();
    for (Operation *op : readers) {
      op->moveAfter(after);
      after = op;
    }
  }
};

} // namespace
