//===- LoopOrder.cpp - Unit-stride innermost loops for linalg.generic ----===//
#include "Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_VECTORIZABLELOOPORDER
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// How well dimension `dim` suits the innermost loop: the number of
/// operands it indexes last (contiguous), or -1 when some operand has it in
/// another position (a strided access). Parallel dimensions win ties, and
/// an output indexed contiguously counts twice (it is loaded and stored).
int innermostScore(linalg::GenericOp op, unsigned dim) {
  int score = 0;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (unsigned r = 0; r < map.getNumResults(); ++r) {
      auto d = dyn_cast<AffineDimExpr>(map.getResult(r));
      if (!d || d.getPosition() != dim)
        continue;
      if (r + 1 != map.getNumResults())
        return -1;
      score += op.isDpsInit(&operand) ? 2 : 1;
    }
  }
  return score;
}

void reorder(RewriterBase &rewriter, linalg::GenericOp op) {
  unsigned rank = op.getNumLoops();
  if (rank < 2)
    return;
  auto iterators = op.getIteratorTypesArray();
  int bestDim = -1, bestScore = 0;
  for (unsigned d = 0; d < rank; ++d) {
    int score = innermostScore(op, d) * 2 +
                (iterators[d] == utils::IteratorType::parallel ? 1 : 0);
    if (score > bestScore) {
      bestScore = score;
      bestDim = d;
    }
  }
  if (bestDim < 0 || bestDim == (int)rank - 1)
    return;
  SmallVector<unsigned> order;
  for (unsigned d = 0; d < rank; ++d)
    if ((int)d != bestDim)
      order.push_back(d);
  order.push_back(bestDim);
  rewriter.setInsertionPoint(op);
  (void)linalg::interchangeGenericOp(rewriter, op, order);
}

/// Lets LLVM reassociate the body's float math (vector reductions) and
/// fuse multiply-adds.
void allowReassociation(linalg::GenericOp op) {
  if (op.getNumReductionLoops() == 0)
    return;
  auto flags = arith::FastMathFlags::reassoc | arith::FastMathFlags::contract;
  op.getRegion().walk([&](arith::ArithFastMathInterface math) {
    math->setAttr(math.getFastMathAttrName(),
                  arith::FastMathFlagsAttr::get(op.getContext(), flags));
  });
}

class VectorizableLoopOrderPass
    : public kiln::impl::VectorizableLoopOrderBase<VectorizableLoopOrderPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::GenericOp> generics;
    getOperation()->walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp op : generics) {
      allowReassociation(op);
      reorder(rewriter, op);
    }
  }
};

} // namespace
