//===- Epilogue.cpp - Elementwise ops run on their producer's tiles -------===//
#include "Transforms/Epilogue.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace kiln {

bool isElementwise(linalg::GenericOp op) {
  return op->getNumResults() == 1 && op.hasPureTensorSemantics() &&
         op.getNumLoops() == op.getNumParallelLoops() &&
         op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity();
}

linalg::GenericOp markedEpilogue(Value result) {
  if (!result.hasOneUse())
    return {};
  auto user = dyn_cast<linalg::GenericOp>(result.use_begin()->getOwner());
  return user && user->hasAttr(kEpilogueAttr) ? user : linalg::GenericOp();
}

/// Stops the innermost of `loops` (scf.for loops) from writing the tiles of
/// the tiled op's result (the loops' first) into the tensor it carries, and
/// erases what computed only for that write: once no loop result is read,
/// the loops then only pass the tensor through, which canonicalization
/// removes, and the op's tile has the epilogue's tile as its only reader.
static void dropResultWrites(RewriterBase &rewriter,
                             ArrayRef<LoopLikeOpInterface> loops) {
  auto forOp = dyn_cast<scf::ForOp>(static_cast<Operation *>(loops.back()));
  if (!forOp)
    return;
  Operation *yield = forOp.getBody()->getTerminator();
  rewriter.modifyOpInPlace(yield, [&] {
    yield->setOperand(0, forOp.getRegionIterArgs()[0]);
  });
  SmallVector<Operation *> ops;
  for (Operation &op : forOp.getBody()->without_terminator())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops))
    if (isOpTriviallyDead(op))
      rewriter.eraseOp(op);
}

linalg::GenericOp fuseEpilogue(RewriterBase &rewriter,
                               MutableArrayRef<LoopLikeOpInterface> loops,
                               bool keepResult) {
  Operation *outer = loops.front();
  if (outer->getNumResults() != 1)
    return {};
  linalg::GenericOp epilogue = markedEpilogue(outer->getResult(0));
  if (!epilogue)
    return {};
  auto fused = scf::tileAndFuseConsumer(rewriter, epilogue, loops);
  if (failed(fused) || fused->tiledOps.empty())
    return {};
  if (epilogue->use_empty())
    rewriter.eraseOp(epilogue);
  if (!keepResult && loops.front()->getResult(0).use_empty())
    dropResultWrites(rewriter, loops);
  return dyn_cast<linalg::GenericOp>(fused->tiledOps.front());
}

void dropUnreadChunkWrite(RewriterBase &rewriter, Operation *op) {
  if (op->getNumResults() != 1)
    return;
  Value result = op->getResult(0);
  linalg::GenericOp epilogue;
  tensor::ParallelInsertSliceOp write;
  for (Operation *user : result.getUsers()) {
    if (auto generic = dyn_cast<linalg::GenericOp>(user);
        generic && generic->hasAttr(kEpilogueAttr) && !epilogue)
      epilogue = generic;
    else if (auto insert = dyn_cast<tensor::ParallelInsertSliceOp>(user);
             insert && !write && insert.getSource() == result)
      write = insert;
    else
      return;
  }
  if (!epilogue || !write)
    return;
  auto forall = write->getParentOfType<scf::ForallOp>();
  auto shared = dyn_cast<BlockArgument>(write.getDest());
  if (!forall || !shared || shared.getOwner()->getParentOp() != forall ||
      !forall.getTiedOpResult(forall.getTiedOpOperand(shared)).use_empty())
    return;
  rewriter.eraseOp(write);
}

bool canApplyEpilogue(linalg::GenericOp epilogue, unsigned input) {
  Block &body = epilogue.getRegion().front();
  if (!body.getArgument(epilogue.getNumDpsInputs()).use_empty())
    return false;
  for (Operation &op : body.without_terminator())
    if (!isa<arith::ArithDialect, math::MathDialect>(op.getDialect()) ||
        op.getNumRegions() != 0 || op.getNumResults() != 1 ||
        !op.getResult(0).getType().isIntOrFloat())
      return false;
  unsigned last = epilogue.getNumLoops() - 1;
  for (OpOperand *operand : epilogue.getDpsInputOperands()) {
    AffineMap map = epilogue.getMatchingIndexingMap(operand);
    if (!map.isProjectedPermutation() ||
        !isa<RankedTensorType>(operand->get().getType()))
      return false;
    std::optional<unsigned> position =
        map.getResultPosition(getAffineDimExpr(last, map.getContext()));
    if (position && *position != map.getNumResults() - 1)
      return false;
  }
  return input < epilogue.getNumDpsInputs();
}

Value applyEpilogue(OpBuilder &b, linalg::GenericOp epilogue, unsigned input,
                    Value vector, ValueRange indices, ArrayRef<bool> inBounds) {
  Location loc = epilogue.getLoc();
  auto vectorType = cast<VectorType>(vector.getType());
  unsigned last = epilogue.getNumLoops() - 1;
  Block &body = epilogue.getRegion().front();
  IRMapping mapping;
  for (OpOperand *operand : epilogue.getDpsInputOperands()) {
    unsigned number = operand->getOperandNumber();
    if (number == input) {
      mapping.map(body.getArgument(number), vector);
      continue;
    }
    AffineMap map = epilogue.getMatchingIndexingMap(operand);
    SmallVector<Value> at;
    for (AffineExpr result : map.getResults())
      at.push_back(indices[cast<AffineDimExpr>(result).getPosition()]);
    auto elementType = getElementTypeOrSelf(operand->get().getType());
    auto type = vectorType.clone(elementType);
    Value read;
    if (map.isFunctionOfDim(last)) {
      Value padding = arith::ConstantOp::create(b, loc, b.getZeroAttr(elementType));
      read = vector::TransferReadOp::create(b, loc, type, operand->get(), at,
                                            padding, inBounds);
    } else {
      read = vector::BroadcastOp::create(
          b, loc, type, tensor::ExtractOp::create(b, loc, operand->get(), at));
    }
    mapping.map(body.getArgument(number), read);
  }
  // Values from outside the body (constants) are splat once.
  auto lookup = [&](Value value) -> Value {
    if (Value mapped = mapping.lookupOrNull(value))
      return mapped;
    Value splat = vector::BroadcastOp::create(
        b, loc, vectorType.clone(value.getType()), value);
    mapping.map(value, splat);
    return splat;
  };
  for (Operation &op : body.without_terminator()) {
    if (isa<arith::ConstantOp>(op)) {
      mapping.map(op.getResult(0), lookup(b.clone(op)->getResult(0)));
      continue;
    }
    OperationState state(loc, op.getName());
    for (Value operand : op.getOperands())
      state.operands.push_back(lookup(operand));
    state.types.push_back(vectorType.clone(op.getResult(0).getType()));
    state.attributes = op.getAttrs();
    mapping.map(op.getResult(0), b.create(state)->getResult(0));
  }
  return lookup(body.getTerminator()->getOperand(0));
}

} // namespace kiln
