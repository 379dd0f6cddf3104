//===- FuseEpilogues.cpp - Choose the ops that run on producers' tiles ----===//
#include "Transforms/Epilogue.h"
#include "Transforms/Passes.h"

namespace kiln {
#define GEN_PASS_DEF_FUSEEPILOGUES
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// Whether `op` computes each element of its one result from the elements
/// of its inputs at the same place: all loops parallel, the output indexed
/// by the loops in order.
bool isElementwise(linalg::GenericOp op) {
  return op->getNumResults() == 1 && op.hasPureTensorSemantics() &&
         op.getNumLoops() == op.getNumParallelLoops() &&
         op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity();
}

/// The reduction (a matrix product, a convolution) that `operand` of an
/// elementwise op reads whole and alone: its result, read at the same
/// place, by no other op.
bool readsWholeReduction(linalg::GenericOp op, OpOperand &operand) {
  auto producer = operand.get().getDefiningOp<linalg::LinalgOp>();
  return producer && producer->getNumResults() == 1 &&
         producer.hasPureTensorSemantics() &&
         producer.getNumReductionLoops() > 0 && operand.get().hasOneUse() &&
         op.getMatchingIndexingMap(&operand).isIdentity();
}

class FuseEpiloguesPass
    : public kiln::impl::FuseEpiloguesBase<FuseEpiloguesPass> {
public:
  void runOnOperation() override {
    getOperation()->walk([](linalg::GenericOp op) {
      if (!isElementwise(op))
        return;
      for (OpOperand *input : op.getDpsInputOperands())
        if (readsWholeReduction(op, *input)) {
          op->setAttr(kiln::kEpilogueAttr, UnitAttr::get(op.getContext()));
          return;
        }
    });
  }
};

} // namespace
