//===- BatchNorm.cpp - Batch normalization per mode -----------------------===//
#include "Autodiff/BatchNorm.h"

using namespace mlir;

namespace kiln {

namespace {

Value scalar(OpBuilder &b, Location loc, float value) {
  return ConstantOp::create(b, loc, RankedTensorType::get({}, b.getF32Type()),
                            value);
}

/// (x - mean) * rsqrt(variance + epsilon) * gamma + beta; mean and variance
/// broadcast over every axis but the last.
Value normalize(OpBuilder &b, BatchNormOp op, Value x, Value mean,
                Value variance, Value gamma, Value beta) {
  Location loc = op.getLoc();
  Value centered = SubOp::create(b, loc, x, mean);
  Value scale = RsqrtOp::create(
      b, loc,
      AddOp::create(b, loc, variance,
                    scalar(b, loc, op.getEpsilon().convertToFloat())));
  Value normalized = MulOp::create(b, loc, centered, scale);
  return AddOp::create(b, loc, MulOp::create(b, loc, normalized, gamma), beta);
}

/// momentum * moving + (1 - momentum) * batch.
Value movingAverage(OpBuilder &b, BatchNormOp op, Value moving, Value batch) {
  Location loc = op.getLoc();
  float momentum = op.getMomentum().convertToFloat();
  return AddOp::create(
      b, loc, MulOp::create(b, loc, moving, scalar(b, loc, momentum)),
      MulOp::create(b, loc, batch, scalar(b, loc, 1.0f - momentum)));
}

} // namespace

BatchNormTraining expandBatchNormTraining(OpBuilder &b, BatchNormOp op,
                                          ValueRange operands) {
  Location loc = op.getLoc();
  Value x = operands[0];
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i + 1 < rank; ++i)
    axes.push_back(i);
  auto mean = [&](Value v) -> Value {
    return ReduceMeanOp::create(b, loc, v, b.getDenseI64ArrayAttr(axes),
                                b.getBoolAttr(false));
  };
  // Per-channel statistics of this batch; the variance is the biased one,
  // as in Keras.
  Value batchMean = mean(x);
  Value centered = SubOp::create(b, loc, x, batchMean);
  Value batchVariance = mean(MulOp::create(b, loc, centered, centered));
  Value output = normalize(b, op, x, batchMean, batchVariance, operands[1],
                           operands[2]);
  return {output, movingAverage(b, op, operands[3], batchMean),
          movingAverage(b, op, operands[4], batchVariance)};
}

Value expandBatchNormInference(OpBuilder &b, BatchNormOp op,
                               ValueRange operands) {
  return normalize(b, op, operands[0], operands[3], operands[4], operands[1],
                   operands[2]);
}

} // namespace kiln
