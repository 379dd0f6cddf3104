//===- HoistRegisterTiles.cpp - Register tiles carried through loops -----===//
#include "Transforms/Passes.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace kiln {
#define GEN_PASS_DEF_HOISTREGISTERTILES
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// An innermost loop whose body reads or writes vectors: a register tile's
/// reduction loop.
bool isTileLoop(LoopLikeOpInterface loop) {
  bool nested = false, transfers = false;
  for (Region *region : loop.getLoopRegions())
    region->walk([&](Operation *op) {
      nested |= isa<LoopLikeOpInterface>(op);
      transfers |= isa<vector::TransferReadOp, vector::TransferWriteOp>(op);
    });
  return transfers && !nested;
}

class HoistRegisterTilesPass
    : public kiln::impl::HoistRegisterTilesBase<HoistRegisterTilesPass> {
public:
  void runOnOperation() override {
    SmallVector<LoopLikeOpInterface> innermost;
    getOperation()->walk([&](LoopLikeOpInterface loop) {
      if (isTileLoop(loop))
        innermost.push_back(loop);
    });
    IRRewriter rewriter(&getContext());
    for (LoopLikeOpInterface loop : innermost) {
      // Outward while each loop gave up a subset: the tile is invariant in
      // the next loop out too only if it was in this one.
      while (loop) {
        size_t carried = loop.getRegionIterArgs().size();
        loop = hoistLoopInvariantSubsets(rewriter, loop);
        if (loop.getRegionIterArgs().size() == carried)
          break;
        loop = dyn_cast_or_null<LoopLikeOpInterface>(loop->getParentOp());
      }
    }
  }
};

} // namespace
