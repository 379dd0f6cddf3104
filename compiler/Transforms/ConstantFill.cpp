//===- ConstantFill.cpp - Outputs that start from a constant --------------===//
#include "Transforms/ConstantFill.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace kiln {

Value constantFillValue(Operation *op) {
  if (auto fill = dyn_cast_or_null<linalg::FillOp>(op))
    return fill.value();
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 0 || generic->getNumResults() != 1)
    return Value();
  // A generalized fill: it yields a value from outside its body.
  Value yielded = generic.getRegion().front().getTerminator()->getOperand(0);
  if (generic.getRegion().isAncestor(yielded.getParentRegion()))
    return Value();
  return yielded;
}

Value takeConstantFill(linalg::LinalgOp op) {
  if (op.getNumDpsInits() != 1)
    return Value();
  OpOperand *init = op.getDpsInitOperand(0);
  Operation *producer = init->get().getDefiningOp();
  Value constant = constantFillValue(producer);
  if (!constant)
    return Value();
  Value destination = cast<DestinationStyleOpInterface>(producer).getDpsInits()[0];
  if (init->get().hasOneUse()) {
    init->set(destination);
    return constant;
  }
  // CSE merges equal fills (a convolution's zeros and a pooling gradient's):
  // the fill stays for its other readers and `op` gets a new empty tensor of
  // its own, so the two do not share a buffer.
  auto empty = destination.getDefiningOp<tensor::EmptyOp>();
  if (!empty)
    return Value();
  OpBuilder b(op);
  init->set(b.clone(*empty)->getResult(0));
  return constant;
}

} // namespace kiln
