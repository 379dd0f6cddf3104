//===- ParallelizeLoops.cpp - Split big linalg ops across threads --------===//
//
// Each big enough linalg op becomes an scf.forall of `threads` static chunks
// along one parallel dimension. A chunk owns a disjoint slice of the results
// and every reduction stays whole inside one chunk, so the arithmetic of each
// element (and its order) does not depend on the threads or on scheduling.
//
//===----------------------------------------------------------------------===//
#include "Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_PARALLELIZELOOPS
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// A dynamic loop extent (the batch) is estimated at this many iterations,
/// the default batch size of a training recipe.
constexpr int64_t kDynamicExtentEstimate = 64;

int64_t estimatedExtent(int64_t extent) {
  return ShapedType::isDynamic(extent) ? kDynamicExtentEstimate : extent;
}

/// The parallel dimension to split: the one with the largest (estimated)
/// extent, the outermost on ties; none when no parallel dimension has at
/// least `threads` iterations.
std::optional<unsigned> splitDimension(linalg::LinalgOp op, int64_t threads) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  std::optional<unsigned> best;
  for (auto [dim, type] : llvm::enumerate(op.getIteratorTypesArray())) {
    if (type != utils::IteratorType::parallel)
      continue;
    int64_t extent = estimatedExtent(ranges[dim]);
    if (extent >= threads &&
        (!best || extent > estimatedExtent(ranges[*best])))
      best = dim;
  }
  return best;
}

/// Iterations of the whole loop nest, with dynamic extents estimated.
int64_t estimatedWork(linalg::LinalgOp op) {
  int64_t work = 1;
  for (int64_t extent : op.getStaticLoopRanges())
    work *= estimatedExtent(extent);
  return work;
}

class ParallelizeLoopsPass
    : public kiln::impl::ParallelizeLoopsBase<ParallelizeLoopsPass> {
public:
  using ParallelizeLoopsBase::ParallelizeLoopsBase;

  void runOnOperation() override {
    if (threads < 2)
      return;
    // Ops already inside a parallel loop stay as they are: one level of
    // threads is all the cores there are. Ops with several results (max
    // pooling with its argmax) stay whole too: bufferization would give each
    // chunk a private copy of a strided slice, which needs a runtime copy
    // helper the objects do not link.
    SmallVector<linalg::LinalgOp> candidates;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && op->getNumResults() == 1 &&
          !op->getParentOfType<scf::ForallOp>() &&
          estimatedWork(op) >= minWork)
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : candidates)
      if (failed(split(rewriter, op)))
        return signalPassFailure();
  }

private:
  LogicalResult split(RewriterBase &rewriter, linalg::LinalgOp op) {
    std::optional<unsigned> dim = splitDimension(op, threads);
    if (!dim)
      return success();
    SmallVector<OpFoldResult> chunks(op.getNumLoops(),
                                     rewriter.getIndexAttr(0));
    chunks[*dim] = rewriter.getIndexAttr(threads);
    scf::SCFTilingOptions options;
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp)
        .setNumThreads(chunks);
    rewriter.setInsertionPoint(op);
    auto tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return op->emitError("cannot split the loop nest across threads");
    rewriter.replaceOp(op, tiled->replacements);
    return success();
  }
};

} // namespace
