//===- Optimizers.cpp - Parameter update rules ----------------------------===//
#include "Autodiff/Optimizers.h"

#include "Kiln/IR/KilnOps.h"

using namespace mlir;

namespace kiln {

FailureOr<Optimizer> Optimizer::fromAttr(DictionaryAttr attr, Location loc) {
  if (!attr)
    return emitError(loc, "the model has no optimizer (kiln.optimizer)");
  auto kind = attr.getAs<StringAttr>("kind");
  if (!kind)
    return emitError(loc, "kiln.optimizer needs a string 'kind'");
  Optimizer optimizer;
  optimizer.kind = kind.str();
  if (optimizer.kind != "sgd")
    return emitError(loc, "unknown optimizer '") << optimizer.kind << "'";
  auto rate = attr.getAs<FloatAttr>("learning_rate");
  if (!rate)
    return emitError(loc, "optimizer '")
           << optimizer.kind << "' needs a learning_rate";
  optimizer.learningRate = rate.getValueAsDouble();
  return optimizer;
}

SmallVector<std::string> Optimizer::slotNames() const { return {}; }

Value Optimizer::buildLearningRate(OpBuilder &builder, Location loc) const {
  return ConstantOp::create(builder, loc,
                            RankedTensorType::get({}, builder.getF32Type()),
                            learningRate);
}

ParameterUpdate Optimizer::buildUpdate(OpBuilder &builder, Location loc,
                                       Value parameter, Value gradient,
                                       ValueRange, Value learningRate) const {
  // Plain gradient descent: p <- p - lr * g.
  Value step = MulOp::create(builder, loc, gradient, learningRate);
  return {SubOp::create(builder, loc, parameter, step), {}};
}

} // namespace kiln
