//===- ReverseMode.cpp - Reverse-mode differentiation over kiln ops ------===//
#include "Autodiff/ReverseMode.h"

#include "Kiln/IR/KilnOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

using namespace mlir;

namespace kiln {

/// Values computed from any of `wrt`, in one forward sweep.
static DenseSet<Value> dependentsOf(Block &block, ValueRange wrt) {
  DenseSet<Value> active(wrt.begin(), wrt.end());
  for (Operation &op : block)
    if (llvm::any_of(op.getOperands(),
                     [&](Value v) { return active.contains(v); }))
      active.insert(op.result_begin(), op.result_end());
  return active;
}

/// Ops whose results `loss` is computed from, in one backward sweep.
static DenseSet<Operation *> producersOf(Block &block, Value loss) {
  DenseSet<Operation *> needed;
  DenseSet<Value> wanted{loss};
  for (Operation &op : llvm::reverse(block)) {
    if (llvm::none_of(op.getResults(),
                      [&](Value v) { return wanted.contains(v); }))
      continue;
    needed.insert(&op);
    wanted.insert(op.operand_begin(), op.operand_end());
  }
  return needed;
}

FailureOr<SmallVector<Value>> buildGradients(OpBuilder &builder, Block &block,
                                             Value loss, ValueRange wrt) {
  DenseSet<Value> active = dependentsOf(block, wrt);
  DenseSet<Operation *> needed = producersOf(block, loss);
  DenseMap<Value, Value> gradients;

  auto lossType = cast<RankedTensorType>(loss.getType());
  gradients[loss] = ConstantOp::create(builder, loss.getLoc(), lossType, 1.0f);

  for (Operation &op : llvm::reverse(block)) {
    if (!needed.contains(&op) ||
        llvm::none_of(op.getResults(),
                      [&](Value v) { return active.contains(v); }))
      continue;
    SmallVector<Value> resultGradients;
    for (Value result : op.getResults())
      resultGradients.push_back(gradients.lookup(result));
    if (llvm::all_of(resultGradients, [](Value g) { return !g; }))
      continue;
    auto differentiable = dyn_cast<GradientOpInterface>(&op);
    if (!differentiable)
      return op.emitError("cannot differentiate '")
             << op.getName() << "': it has no gradient rule";
    SmallVector<Value> operandGradients =
        differentiable.buildGradients(builder, resultGradients);
    for (auto [operand, grad] :
         llvm::zip_equal(op.getOperands(), operandGradients)) {
      if (!grad || !active.contains(operand))
        continue;
      Value &sum = gradients[operand];
      sum = sum ? AddOp::create(builder, op.getLoc(), sum, grad).getResult()
                : grad;
    }
  }

  SmallVector<Value> result;
  for (Value w : wrt) {
    Value grad = gradients.lookup(w);
    if (!grad)
      grad = ConstantOp::create(builder, w.getLoc(),
                                cast<RankedTensorType>(w.getType()), 0.0f);
    result.push_back(grad);
  }
  return result;
}

} // namespace kiln
