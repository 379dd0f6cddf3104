//===- ParallelizeLoops.cpp - Split big linalg ops across threads --------===//
//
// Each big enough linalg op becomes an scf.forall of `threads` static chunks
// along one parallel dimension. A chunk owns a disjoint slice of the results
// and every reduction stays whole inside one chunk, so the arithmetic of each
// element (and its order) does not depend on the threads or on scheduling.
//
//===----------------------------------------------------------------------===//
#include "Transforms/ConstantFill.h"
#include "Transforms/Epilogue.h"
#include "Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

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
    if (extent >= threads && (!best || extent > estimatedExtent(ranges[*best])))
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

/// Whether two slice parameters are the same: the same value or constant, or
/// equivalent ops on the same operands (tiling recomputes each offset).
bool sameSliceParameter(OpFoldResult a, OpFoldResult b) {
  if (isEqualConstantIntOrValue(a, b))
    return true;
  auto va = dyn_cast<Value>(a), vb = dyn_cast<Value>(b);
  Operation *opA = va ? va.getDefiningOp() : nullptr;
  Operation *opB = vb ? vb.getDefiningOp() : nullptr;
  return opA && opB && isPure(opA) &&
         OperationEquivalence::isEquivalentTo(
             opA, opB, OperationEquivalence::IgnoreLocations);
}

bool sameSlice(tensor::ExtractSliceOp a, tensor::ExtractSliceOp b) {
  auto same = [](ArrayRef<OpFoldResult> x, ArrayRef<OpFoldResult> y) {
    return x.size() == y.size() && llvm::all_of(llvm::zip(x, y), [](auto pair) {
             return sameSliceParameter(std::get<0>(pair), std::get<1>(pair));
           });
  };
  return same(a.getMixedOffsets(), b.getMixedOffsets()) &&
         same(a.getMixedSizes(), b.getMixedSizes()) &&
         same(a.getMixedStrides(), b.getMixedStrides());
}

/// Whether `a` and `b` hold the same tensor: the same value, or two
/// `restrict` views (which nothing else writes) of the same state bytes, as
/// kiln-state-abi reads a parameter and eliminate-empty-tensors writes it.
bool sameTensor(Value a, Value b) {
  if (a == b)
    return true;
  auto toA = a.getDefiningOp<bufferization::ToTensorOp>();
  auto toB = b.getDefiningOp<bufferization::ToTensorOp>();
  if (!toA || !toB || !toA.getRestrict() || !toB.getRestrict() ||
      a.getType() != b.getType())
    return false;
  auto viewA = toA.getBuffer().getDefiningOp<memref::ViewOp>();
  auto viewB = toB.getBuffer().getDefiningOp<memref::ViewOp>();
  return viewA && viewB && viewA.getSource() == viewB.getSource() &&
         viewA.getType() == viewB.getType() &&
         sameSliceParameter(viewA.getByteShift(), viewB.getByteShift()) &&
         viewA.getSizes() == viewB.getSizes();
}

/// An update in place (an input that is also the output tensor, as
/// `w = w - lr * g` on the state) reads its chunk from the loop's shared
/// output instead of the value before the loop: bufferization then sees each
/// chunk read and write the same slice and updates the buffer in place
/// instead of copying the whole tensor around the loop.
void readInPlaceInputsFromSharedOutputs(scf::ForallOp forall,
                                        linalg::LinalgOp tiled) {
  for (OpOperand *input : tiled.getDpsInputOperands()) {
    auto slice = input->get().getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice)
      continue;
    for (OpOperand &init : tiled.getDpsInitsMutable()) {
      auto outSlice = init.get().getDefiningOp<tensor::ExtractSliceOp>();
      auto shared = outSlice ? dyn_cast<BlockArgument>(outSlice.getSource())
                             : BlockArgument();
      if (!shared || shared.getOwner()->getParentOp() != forall)
        continue;
      OpOperand *sharedInit = forall.getTiedOpOperand(shared);
      if (sharedInit && sameTensor(sharedInit->get(), slice.getSource()) &&
          sameSlice(slice, outSlice) &&
          tiled.getMatchingIndexingMap(input) ==
              tiled.getMatchingIndexingMap(&init))
        slice.getSourceMutable().set(shared);
    }
  }
}

class ParallelizeLoopsPass
    : public kiln::impl::ParallelizeLoopsBase<ParallelizeLoopsPass> {
public:
  using ParallelizeLoopsBase::ParallelizeLoopsBase;

  void runOnOperation() override {
    if (threads < 2)
      return;
    // Ops already inside a parallel loop stay as they are: one level of
    // threads is all the cores there are. Reductions with several results
    // stay whole too (none come from Kiln's lowering now): a result nobody
    // reads would get a private buffer per chunk. Elementwise ops with
    // several results (an optimizer updating a parameter and its moments)
    // are split like the others.
    SmallVector<linalg::LinalgOp> candidates;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() &&
          (op->getNumResults() == 1 || op.getNumReductionLoops() == 0) &&
          !op->getParentOfType<scf::ForallOp>() && estimatedWork(op) >= minWork)
        candidates.push_back(op);
    });
    // A constant fill that only starts the outputs of ops split here is
    // filled chunk by chunk inside them instead (see split).
    llvm::SmallPtrSet<Operation *, 16> splitOps;
    for (linalg::LinalgOp op : candidates)
      splitOps.insert(op);
    llvm::erase_if(candidates, [&](linalg::LinalgOp op) {
      return kiln::constantFillValue(op) &&
             llvm::all_of(op->getUses(), [&](OpOperand &use) {
               auto user = dyn_cast<linalg::LinalgOp>(use.getOwner());
               return user && splitOps.contains(user) && user.isDpsInit(&use);
             });
    });
    IRRewriter rewriter(&getContext());
    // An epilogue fused into its producer's chunks is gone by its turn.
    llvm::SmallPtrSet<Operation *, 16> fused;
    for (linalg::LinalgOp op : candidates) {
      if (fused.contains(op))
        continue;
      if (failed(split(rewriter, op, fused)))
        return signalPassFailure();
    }
  }

private:
  /// Splits `op` into chunks, each followed by its chunk of `op`'s marked
  /// epilogue, which is then added to `fused`.
  LogicalResult split(RewriterBase &rewriter, linalg::LinalgOp op,
                      llvm::SmallPtrSetImpl<Operation *> &fused) {
    std::optional<unsigned> dim = splitDimension(op, threads);
    if (!dim)
      return success();
    linalg::GenericOp epilogue =
        op->getNumResults() == 1 ? kiln::markedEpilogue(op->getResult(0))
                                 : linalg::GenericOp();
    SmallVector<OpFoldResult> chunks(op.getNumLoops(),
                                     rewriter.getIndexAttr(0));
    chunks[*dim] = rewriter.getIndexAttr(threads);
    scf::SCFTilingOptions options;
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp)
        .setNumThreads(chunks);
    rewriter.setInsertionPoint(op);
    Operation *filled = op.getNumDpsInits() == 1
                            ? op.getDpsInits()[0].getDefiningOp()
                            : nullptr;
    Value fill = detachConstantFill(rewriter, op);
    auto tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return op->emitError("cannot split the loop nest across threads");
    rewriter.replaceOp(op, tiled->replacements);
    auto chunk = cast<linalg::LinalgOp>(tiled->tiledOps.front());
    // The chunk keeps writing its slice of `op`'s result (the shared output
    // needs no temporary per chunk) until its tiles run the epilogue.
    if (epilogue &&
        kiln::fuseEpilogue(rewriter, tiled->loops, /*keepResult=*/true))
      fused.insert(epilogue);
    readInPlaceInputsFromSharedOutputs(
        cast<scf::ForallOp>(tiled->loops.front().getOperation()), chunk);
    if (fill) {
      // Each chunk fills its own slice, then accumulates into it.
      OpOperand *init = chunk.getDpsInitOperand(0);
      rewriter.setInsertionPoint(chunk);
      init->set(linalg::FillOp::create(rewriter, chunk.getLoc(), fill,
                                       init->get())
                    .getResult(0));
    }
    // The whole fill, once no other op reads it.
    if (fill && filled->use_empty())
      rewriter.eraseOp(filled);
    return success();
  }

  /// When `op`'s only output starts as a constant fill of an empty tensor,
  /// makes it start from a new empty tensor and returns the constant, for
  /// each chunk to fill its own slice: the chunks' kernels then start from
  /// the constant instead of a fill in memory (takeConstantFill).
  static Value detachConstantFill(RewriterBase &rewriter, linalg::LinalgOp op) {
    if (op.getNumDpsInits() != 1)
      return Value();
    OpOperand *init = op.getDpsInitOperand(0);
    Operation *producer = init->get().getDefiningOp();
    Value constant = kiln::constantFillValue(producer);
    if (!constant)
      return Value();
    auto empty = cast<DestinationStyleOpInterface>(producer)
                     .getDpsInits()[0]
                     .getDefiningOp<tensor::EmptyOp>();
    if (!empty)
      return Value();
    init->set(rewriter.clone(*empty)->getResult(0));
    return constant;
  }
};

} // namespace
